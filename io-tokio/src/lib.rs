//! # rnatsd-io-tokio
//!
//! The production adapter: it owns sockets, timers, threads and the clock,
//! and drives the sans-IO [`rnatsd_core::server::Server`] exactly as the
//! engine's call-order documentation says. It holds no protocol logic: it
//! moves bytes in and out, re-arms one timer from `poll_timeout`, and turns
//! [`Event`](rnatsd_core::server::Event)s into socket writes and closes.
//!
//! The engine lives behind one mutex. Each connection has a reader task
//! (read, lock, `handle_read`, unlock) and a writer task (woken by a
//! `Transmit` event; lock, `poll_transmit` swaps out the whole pending
//! buffer, unlock, one `write_all`), so socket IO runs in parallel while the
//! engine's routing is serialized.
//!
//! TLS lives here too (`tls.rs`): rustls via tokio-rustls does the
//! handshake, `x509.rs` reads the client certificate's identities, and the
//! engine is told only the outcome (see `rnatsd_core::server::TlsPolicy`).

mod clock;
mod conn;
mod monitor;
mod runtime;
pub mod storage;
mod tls;
mod x509;

pub use clock::Clock;
pub use monitor::process_stats;
pub use runtime::{start, RunningServer};

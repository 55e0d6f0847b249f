//! # rnatsd-core
//!
//! The sans-IO heart of rnatsd. Nothing in this crate opens a socket or a
//! file, reads a clock, spawns a thread or asks the OS for randomness: bytes,
//! time ([`time::Instant`]) and seeds ([`prng::Prng`]) come in as values, and
//! bytes to send, timer deadlines and close requests go out as values. The
//! same state machines are driven by `rnatsd-io-tokio` in production and by
//! `rnatsd-io-sim` under a seeded deterministic simulator.
//!
//! See docs/ARCHITECTURE.md for the map of the crate.

pub mod conf;
pub mod jetstream;
pub mod jwt;
pub mod options;
pub mod prng;
pub mod protocol;
pub mod raft;
pub mod server;
pub mod storage;
pub mod store;
pub mod subject;
pub mod subject_transform;
pub mod sublist;
pub mod time;

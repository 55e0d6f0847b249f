//! # rnatsd-sim-tests: simulation suites and checkers
//!
//! - [`wire`]: an independent client-side codec (what a client sends and
//!   decodes), so the simulator does not share core's parser bugs.
//! - [`checkers`]: the reference model of core NATS delivery and its checks.
//! - [`harness`]: the core workload, one server and many clients over
//!   `rnatsd-io-sim` streams, driven from one seed.
//!
//! See docs/TESTING.md for the trace, the fault menu and how to replay.

pub mod checkers;
pub mod harness;
pub mod js_consumer_sim;
pub mod js_sim;
pub mod raft;
pub mod store_sim;
pub mod wire;

pub use harness::{report, run_seed, SimConfig, SimReport};

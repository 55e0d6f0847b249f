//! # rnatsd-io-sim: the deterministic simulator
//!
//! One `u64` seed determines a whole run. Components:
//!
//! - [`prng`]: the seeded generator and integer probabilities ([`prng::Ratio`]).
//! - [`queue`]: virtual time and the event queue, ordered by (time, sequence).
//! - [`clock`]: per-node monotonic and wall clocks with offset, drift and jumps.
//! - [`disk`]: a simulated disk implementing `rnatsd_core::storage::Storage`.
//! - [`net`]: client byte streams and node-to-node packet links.
//! - [`process`]: crash, restart, pause and resume of a simulated node.
//! - [`faults`]: the fault menu, the fault atlas and fault counters.
//! - [`swarm`]: choosing, from the seed, which faults are on and how often.
//! - [`trace`]: the stable digest of everything that happened, and the log.
//!
//! No wall clock, no threads, no tokio: the harness in `rnatsd-sim-tests`
//! pops events from a [`queue::EventQueue`] and drives the core state machines.

pub mod clock;
pub mod disk;
pub mod faults;
pub mod net;
pub mod prng;
pub mod process;
pub mod queue;
pub mod shared;
pub mod swarm;
pub mod trace;

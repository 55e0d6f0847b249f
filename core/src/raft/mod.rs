//! Raft as a pure state machine, ported from the concepts of NRG
//! (nats-server's `raft.go`): `appendEntry`, `appendEntryResponse`,
//! `voteRequest`, `CommittedEntry`, catch-up, peer changes, stepdown and
//! observers, plus a pre-vote phase and stricter durability rules.
//!
//! - [`node`]: [`RaftNode`], the state machine and its call order.
//! - [`ready`]: the [`Ready`] batch the adapter persists, sends and applies.
//! - [`log`]: the in-memory log and [`LogStore`], its checksummed
//!   persistence over [`Storage`](crate::storage::Storage) with recovery.
//! - [`messages`]: the wire messages and their encoding.
//! - [`election`], [`replication`], [`membership`], [`snapshot`]: the
//!   protocol's parts, as `impl RaftNode` blocks.
//!
//! docs/RAFT.md says where this differs from NRG and why.

pub mod election;
pub mod log;
pub mod membership;
pub mod messages;
pub mod node;
pub mod ready;
pub mod replication;
pub mod snapshot;

pub use log::{LogStore, OpenError, RaftLog, Recovered, RecoveryBugs, RecoveryReport};
pub use messages::{
    AppendEntry, AppendEntryResponse, Entry, EntryType, LogEntry, Message, MsgError, NodeId,
    VoteRequest, VoteResponse,
};
pub use node::{InjectedBugs, ProposeError, RaftConfig, RaftNode, RaftState};
pub use ready::{CommittedEntry, HardState, Ready};
pub use snapshot::{CompactError, Snapshot};

#[cfg(test)]
mod node_tests;

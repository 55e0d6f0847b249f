//! The [`Ready`] batch: everything a [`RaftNode`](super::RaftNode) asks its
//! adapter to do, and the order in which it must be done.
//!
//! ```text
//! let rd = node.ready()?;                 // at most one batch outstanding
//! store.write(disk, &rd)?;                // truncate + append (volatile)
//! send(rd.messages);                      // may leave before the batch is durable
//! store.sync(disk, &rd)?;                 // log fsync, then term/vote/high-water mark
//! node.on_persisted(now, rd.number);      // only after every write is durable
//! send(rd.persisted_messages);            // acks and votes: only after durability
//! apply(rd.committed); install(rd.snapshot)
//! ```
//!
//! If a write or a sync fails, durability is unknown: the adapter must not
//! call `on_persisted`, and should stop the node and restart it from disk
//! (fail-stop on fsync errors).

use super::messages::{Entry, LogEntry, Message, NodeId};
use super::snapshot::Snapshot;

/// The durable part of a node's state besides its log.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct HardState {
    pub term: u64,
    pub vote: Option<NodeId>,
}

/// An entry the state machine must apply, in index order (NRG's
/// `CommittedEntry`, one per log entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommittedEntry {
    pub index: u64,
    pub term: u64,
    pub entry: Entry,
}

/// One batch of work for the adapter. See the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ready {
    /// Pass back to [`RaftNode::on_persisted`](super::RaftNode::on_persisted).
    pub number: u64,
    /// The term and vote to persist, when they changed.
    pub hard_state: Option<HardState>,
    /// A snapshot to persist before the entries (the log below it is
    /// compacted); also to be installed in the state machine when
    /// `install_snapshot` is set.
    pub snapshot: Option<Snapshot>,
    /// The state machine must load `snapshot` (it came from the leader).
    pub install_snapshot: bool,
    /// Remove every log entry with an index at or above this one first.
    pub truncate_from: Option<u64>,
    /// Entries to append, contiguous, after the truncation.
    pub entries: Vec<LogEntry>,
    /// Whether the batch must be fsynced before `on_persisted`.
    pub must_sync: bool,
    /// The log's last index once this batch is applied (the new durable
    /// high-water mark).
    pub last_index: u64,
    pub last_term: u64,
    /// The node's repair index as of this batch, persisted with the
    /// high-water mark so that a node that restarts while repairing still
    /// knows what it lost (`None`: repaired).
    pub repair_index: Option<u64>,
    /// Messages that may be sent at once.
    pub messages: Vec<(NodeId, Message)>,
    /// Messages that may only leave after the batch is durable.
    pub persisted_messages: Vec<(NodeId, Message)>,
    /// Entries to apply.
    pub committed: Vec<CommittedEntry>,
}

impl Ready {
    /// Whether anything must be written to disk.
    pub fn has_writes(&self) -> bool {
        self.hard_state.is_some()
            || self.snapshot.is_some()
            || self.truncate_from.is_some()
            || !self.entries.is_empty()
    }
}

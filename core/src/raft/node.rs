//! [`RaftNode`]: one member of a Raft group as a pure state machine.
//!
//! # Call order
//!
//! 1. Build it with [`RaftNode::new`] from a [`RaftConfig`], the
//!    [`Recovered`] state read by [`LogStore::open`](super::LogStore::open),
//!    a PRNG seed (election timeouts) and the current time.
//! 2. Feed it inputs: [`handle_message`](RaftNode::handle_message) for
//!    every message from a peer, [`handle_timeout`](RaftNode::handle_timeout)
//!    once `now` reaches [`poll_timeout`](RaftNode::poll_timeout), and
//!    [`propose`](RaftNode::propose) / [`step_down`](RaftNode::step_down)
//!    for commands.
//! 3. After inputs, take [`ready`](RaftNode::ready) while it returns a
//!    batch and process it as described in [`super::ready`]; then call
//!    [`on_persisted`](RaftNode::on_persisted). Only one batch is
//!    outstanding at a time; inputs keep being accepted meanwhile.
//!
//! Nothing here reads a clock: time arrives as `now`, and is used only for
//! liveness (timeouts, leader stickiness, quorum checks), never for safety.

use super::log::{encode_peers, RaftLog, Recovered};
use super::messages::{Entry, EntryType, LogEntry, Message, NodeId};
use super::ready::{CommittedEntry, HardState, Ready};
use super::snapshot::{Incoming, SnapSend, Snapshot};
use crate::prng::Prng;
use crate::time::Instant;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// A node's role (NRG's `RaftState`, plus the pre-vote phase).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RaftState {
    Follower,
    /// Asking whether it could win, without touching its term.
    PreCandidate,
    Candidate,
    Leader,
}

/// Test-only switches that plant known bugs, so the simulator can prove it
/// catches them. All off by default; never set them outside tests.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct InjectedBugs {
    /// Acknowledge appended entries before they are durable.
    pub ack_before_fsync: bool,
    /// Grant votes and count acknowledgements while the log is unrepaired.
    pub vote_with_unrepaired_log: bool,
    /// Never hand term and vote changes to the adapter for persisting.
    pub term_not_persisted: bool,
}

/// Static parameters of a node.
#[derive(Clone, Debug)]
pub struct RaftConfig {
    /// Non-zero.
    pub id: NodeId,
    /// The voting members at bootstrap (the log's PeerState entries take
    /// over once present). A node not among them never campaigns.
    pub peers: Vec<NodeId>,
    pub election_timeout_min: Duration,
    pub election_timeout_max: Duration,
    pub heartbeat_interval: Duration,
    /// Entries per append entry.
    pub max_append_entries: usize,
    /// Flow control: entries sent to a follower beyond what it acknowledged.
    pub max_inflight_entries: u64,
    pub pre_vote: bool,
    /// Bytes per snapshot chunk sent to a follower that needs a snapshot.
    pub snapshot_chunk_size: usize,
    /// An observer applies everything but never campaigns (NRG's observer).
    pub observer: bool,
    pub bugs: InjectedBugs,
}

impl RaftConfig {
    /// Defaults scaled from NRG's (4-9 s elections, 1 s heartbeats) down by
    /// 20x, which suits the simulator; adapters pick their own.
    pub fn new(id: NodeId, peers: Vec<NodeId>) -> RaftConfig {
        RaftConfig {
            id,
            peers,
            election_timeout_min: Duration::from_millis(200),
            election_timeout_max: Duration::from_millis(450),
            heartbeat_interval: Duration::from_millis(50),
            max_append_entries: 64,
            max_inflight_entries: 256,
            pre_vote: true,
            snapshot_chunk_size: 64 * 1024,
            observer: false,
            bugs: InjectedBugs::default(),
        }
    }
}

/// Why a proposal was refused.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProposeError {
    /// Not the leader; the known leader, if any.
    NotLeader(Option<NodeId>),
    /// A leadership transfer is under way.
    Transferring,
    /// A membership change is still uncommitted (single-step changes only).
    MembershipChangeInProgress,
}

/// A leader's view of one peer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Progress {
    /// Highest index known to match and be durable on the peer.
    pub match_index: u64,
    /// Next index to send.
    pub next_index: u64,
    /// The peer's last acknowledgement said it is repaired.
    pub repaired: bool,
    /// When the peer last answered this leader.
    pub last_ack: Option<Instant>,
    /// A snapshot transfer under way.
    pub snap_send: Option<SnapSend>,
}

impl Progress {
    pub(super) fn new(next_index: u64, last_ack: Option<Instant>) -> Progress {
        Progress { match_index: 0, next_index, repaired: true, last_ack, snap_send: None }
    }
}

/// Work accumulated for the next [`Ready`].
#[derive(Clone, Debug, Default)]
pub(super) struct Pending {
    pub hard_state: bool,
    pub snapshot: Option<Snapshot>,
    pub install_snapshot: bool,
    pub truncate_from: Option<u64>,
    pub entries: Vec<LogEntry>,
    pub messages: Vec<(NodeId, Message)>,
    pub persisted_messages: Vec<(NodeId, Message)>,
}

/// The batch handed out and not yet persisted.
#[derive(Copy, Clone, Debug)]
pub(super) struct Outstanding {
    pub number: u64,
    pub last_index: u64,
}

/// One Raft group member. See the module documentation for the call order.
#[derive(Debug)]
pub struct RaftNode {
    pub(super) cfg: RaftConfig,
    pub(super) prng: Prng,
    pub(super) state: RaftState,
    pub(super) term: u64,
    pub(super) vote: Option<NodeId>,
    pub(super) leader: Option<NodeId>,
    pub(super) log: RaftLog,
    pub(super) commit: u64,
    /// Last index handed out as committed.
    pub(super) applied: u64,
    /// The log's last index that is durable (on disk and synced).
    pub(super) durable_last: u64,
    pub(super) voters: BTreeSet<NodeId>,
    /// Non-voting members: replicated to, never counted, never voting.
    pub(super) observers: BTreeSet<NodeId>,
    pub(super) progress: BTreeMap<NodeId, Progress>,
    pub(super) votes: BTreeMap<NodeId, bool>,
    pub(super) election_deadline: Instant,
    pub(super) heartbeat_deadline: Instant,
    pub(super) quorum_deadline: Instant,
    pub(super) last_leader_contact: Option<Instant>,
    /// `Some(i)`: unrepaired until the log matches a leader through `i`.
    pub(super) repair_index: Option<u64>,
    /// A successor this leader is handing over to.
    pub(super) transfer_to: Option<NodeId>,
    pub(super) pending: Pending,
    pub(super) outstanding: Option<Outstanding>,
    pub(super) next_ready: u64,
    /// The snapshot the log starts after (kept to send to lagging peers).
    pub(super) snapshot: Option<Snapshot>,
    /// Its encoding (what is sent in chunks).
    pub(super) snapshot_bytes: Vec<u8>,
    /// A snapshot from the leader under assembly.
    pub(super) incoming: Option<Incoming>,
    pub(super) snapshots_rejected: u64,
    /// Append entries refused because they would truncate a committed entry.
    pub(super) refused_truncations: u64,
    /// A LeaderTransfer entry naming us was just appended.
    pub(super) pending_transfer: bool,
    /// Proposals were appended since the last broadcast.
    pub(super) broadcast_pending: bool,
}

impl RaftNode {
    /// A node restarting from `rec` (use [`Recovered::empty`] for a new one).
    pub fn new(cfg: RaftConfig, rec: Recovered, seed: u64, now: Instant) -> RaftNode {
        assert!(cfg.id != 0, "node id 0 is reserved for 'no vote'");
        assert!(cfg.election_timeout_min < cfg.election_timeout_max);
        assert!(cfg.heartbeat_interval < cfg.election_timeout_min);
        assert!(cfg.max_append_entries > 0);
        let base = rec.snapshot.as_ref().map_or((0, 0), |s| (s.index, s.term));
        let log = RaftLog::new(base.0, base.1, rec.entries);
        let durable_last = log.last_index();
        let mut n = RaftNode {
            voters: cfg.peers.iter().copied().collect(),
            observers: BTreeSet::new(),
            cfg,
            prng: Prng::from_seed(seed),
            state: RaftState::Follower,
            term: rec.hard_state.term,
            vote: rec.hard_state.vote,
            leader: None,
            log,
            commit: base.0,
            applied: base.0,
            durable_last,
            progress: BTreeMap::new(),
            votes: BTreeMap::new(),
            election_deadline: now,
            heartbeat_deadline: Instant::MAX,
            quorum_deadline: Instant::MAX,
            last_leader_contact: None,
            repair_index: rec.repair_index,
            transfer_to: None,
            pending: Pending::default(),
            outstanding: None,
            next_ready: 1,
            snapshot: None,
            snapshot_bytes: Vec::new(),
            incoming: None,
            snapshots_rejected: 0,
            refused_truncations: 0,
            pending_transfer: false,
            broadcast_pending: false,
        };
        if let Some(s) = rec.snapshot {
            n.set_snapshot(s);
        }
        n.recompute_voters();
        n.reset_election_timer(now);
        n.check_invariants();
        n
    }

    // ---- getters ----

    pub fn id(&self) -> NodeId {
        self.cfg.id
    }
    pub fn state(&self) -> RaftState {
        self.state
    }
    pub fn is_leader(&self) -> bool {
        self.state == RaftState::Leader
    }
    pub fn term(&self) -> u64 {
        self.term
    }
    pub fn vote(&self) -> Option<NodeId> {
        self.vote
    }
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }
    pub fn commit_index(&self) -> u64 {
        self.commit
    }
    pub fn applied_index(&self) -> u64 {
        self.applied
    }
    pub fn log(&self) -> &RaftLog {
        &self.log
    }
    pub fn voters(&self) -> &BTreeSet<NodeId> {
        &self.voters
    }
    /// The non-voting members (added with
    /// [`propose_add_observer`](Self::propose_add_observer)).
    pub fn observers(&self) -> &BTreeSet<NodeId> {
        &self.observers
    }
    /// False while the node repairs a damaged log.
    pub fn is_repaired(&self) -> bool {
        self.repair_index.is_none()
    }
    /// `Some(i)`: repairing a log that lost or damaged entries up to `i`.
    pub fn repair_index(&self) -> Option<u64> {
        self.repair_index
    }
    pub fn is_observer(&self) -> bool {
        self.cfg.observer
    }
    /// NRG's `SetObserver`.
    pub fn set_observer(&mut self, on: bool) {
        self.cfg.observer = on;
    }
    pub fn config(&self) -> &RaftConfig {
        &self.cfg
    }
    /// Append entries refused because they asked to truncate a committed
    /// entry (only a broken peer or a planted bug can cause one).
    pub fn refused_truncations(&self) -> u64 {
        self.refused_truncations
    }

    /// The next instant [`handle_timeout`](Self::handle_timeout) wants to run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let t = match self.state {
            RaftState::Leader => self.heartbeat_deadline.min(self.quorum_deadline),
            _ => self.election_deadline,
        };
        (t != Instant::MAX).then_some(t)
    }

    // ---- inputs ----

    /// A message from peer `from`.
    pub fn handle_message(&mut self, now: Instant, from: NodeId, msg: Message) {
        if from == self.cfg.id {
            return;
        }
        match msg {
            Message::AppendEntry(ae) => self.handle_append_entry(now, from, ae),
            Message::AppendEntryResponse(r) => self.handle_append_entry_response(now, from, r),
            Message::VoteRequest(v) => self.handle_vote_request(now, from, v),
            Message::VoteResponse(v) => self.handle_vote_response(now, from, v),
        }
        self.debug_check();
    }

    /// Time passed: heartbeats, elections, quorum checks.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            RaftState::Leader => {
                if now >= self.quorum_deadline {
                    self.check_quorum(now);
                }
                if self.state == RaftState::Leader && now >= self.heartbeat_deadline {
                    self.broadcast_append(now, true);
                }
            }
            _ => {
                if now >= self.election_deadline {
                    self.on_election_timeout(now);
                }
            }
        }
        self.debug_check();
    }

    // ---- output ----

    /// Whether [`ready`](Self::ready) would return a batch.
    pub fn has_ready(&self) -> bool {
        self.outstanding.is_none()
            && (self.pending.hard_state
                || self.broadcast_pending
                || self.pending.snapshot.is_some()
                || self.pending.truncate_from.is_some()
                || !self.pending.entries.is_empty()
                || !self.pending.messages.is_empty()
                || !self.pending.persisted_messages.is_empty()
                || self.applied < self.commit)
    }

    /// The next batch of work, unless one is outstanding or there is none.
    pub fn ready(&mut self) -> Option<Ready> {
        if !self.has_ready() {
            return None;
        }
        if std::mem::take(&mut self.broadcast_pending) && self.state == RaftState::Leader {
            for p in self.peers() {
                self.send_append(p, false);
            }
        }
        let p = std::mem::take(&mut self.pending);
        let hard_state = (p.hard_state && !self.cfg.bugs.term_not_persisted)
            .then_some(HardState { term: self.term, vote: self.vote });
        let mut rd = Ready {
            number: self.next_ready,
            hard_state,
            snapshot: p.snapshot,
            install_snapshot: p.install_snapshot,
            truncate_from: p.truncate_from,
            entries: p.entries,
            must_sync: false,
            last_index: self.log.last_index(),
            last_term: self.log.last_term(),
            repair_index: self.repair_index,
            messages: p.messages,
            persisted_messages: p.persisted_messages,
            committed: Vec::new(),
        };
        rd.must_sync = rd.has_writes();
        if self.cfg.bugs.ack_before_fsync {
            let acks = std::mem::take(&mut rd.persisted_messages);
            rd.messages.extend(acks);
        }
        let first = self.applied.max(self.log.snap_index()) + 1;
        rd.committed = (first..=self.commit)
            .map(|i| {
                let e = self.log.get(i).expect("committed entries are in the log");
                CommittedEntry { index: i, term: e.term, entry: e.entry.clone() }
            })
            .collect();
        self.applied = self.commit;
        self.next_ready += 1;
        self.outstanding = Some(Outstanding { number: rd.number, last_index: rd.last_index });
        Some(rd)
    }

    /// The adapter made batch `number` durable (and sent its messages).
    pub fn on_persisted(&mut self, now: Instant, number: u64) {
        let Some(o) = self.outstanding else {
            return;
        };
        if o.number != number {
            return;
        }
        self.outstanding = None;
        self.durable_last = o.last_index.min(self.log.last_index());
        if self.state == RaftState::Leader {
            self.maybe_commit(now);
        }
        self.debug_check();
    }

    // ---- shared helpers ----

    pub(super) fn debug_check(&self) {
        if cfg!(debug_assertions) {
            self.check_invariants();
        }
    }

    /// The node's internal invariants; panics on a programmer error. The
    /// simulator calls it after every step.
    pub fn check_invariants(&self) {
        self.log.check();
        assert!(self.commit <= self.log.last_index(), "commit beyond the log");
        assert!(self.applied <= self.commit, "applied beyond commit");
        assert!(self.log.snap_index() <= self.commit, "snapshot beyond commit");
        assert!(self.durable_last <= self.log.last_index(), "durable beyond the log");
        assert!(self.log.last_term() <= self.term, "log term beyond current term");
        if self.state == RaftState::Leader {
            assert_eq!(self.leader, Some(self.cfg.id));
            assert_eq!(self.vote, Some(self.cfg.id));
            assert!(self.is_repaired() || self.cfg.bugs.vote_with_unrepaired_log);
        }
        if self.state == RaftState::Candidate {
            assert_eq!(self.vote, Some(self.cfg.id));
        }
        if let Some(o) = self.outstanding {
            assert!(o.number < self.next_ready);
        }
    }

    pub(super) fn quorum(&self) -> usize {
        self.voters.len() / 2 + 1
    }

    pub(super) fn random_election_timeout(&mut self) -> Duration {
        let min = self.cfg.election_timeout_min.as_nanos() as u64;
        let max = self.cfg.election_timeout_max.as_nanos() as u64;
        Duration::from_nanos(min + self.prng.below(max - min))
    }

    pub(super) fn reset_election_timer(&mut self, now: Instant) {
        let d = self.random_election_timeout();
        self.election_deadline = now + d;
    }

    /// Appends to the in-memory log and queues the entry for persisting.
    pub(super) fn append_local(&mut self, e: LogEntry) {
        let membership = e.entry.entry_type != EntryType::Normal;
        self.log.append(e.clone());
        self.pending.entries.push(e);
        if membership {
            self.recompute_voters();
        }
    }

    /// Removes entries at and above `index` from memory and queues the
    /// truncation.
    pub(super) fn truncate_local(&mut self, index: u64) {
        assert!(index > self.commit, "truncating a committed entry");
        self.log.truncate_from(index);
        let first_pending = self.pending.entries.first().map(|e| e.index);
        match first_pending {
            Some(a) if index > a => self.pending.entries.retain(|e| e.index < index),
            _ => {
                self.pending.entries.clear();
                let t = self.pending.truncate_from.map_or(index, |t| t.min(index));
                self.pending.truncate_from = Some(t);
            }
        }
        self.durable_last = self.durable_last.min(index - 1);
        if let Some(o) = self.outstanding.as_mut() {
            o.last_index = o.last_index.min(index - 1);
        }
        self.recompute_voters();
    }

    pub(super) fn send(&mut self, to: NodeId, msg: Message) {
        self.pending.messages.push((to, msg));
    }

    pub(super) fn send_after_persist(&mut self, to: NodeId, msg: Message) {
        self.pending.persisted_messages.push((to, msg));
    }

    pub(super) fn set_hard_state(&mut self, term: u64, vote: Option<NodeId>) {
        if (term, vote) != (self.term, self.vote) {
            self.term = term;
            self.vote = vote;
            self.pending.hard_state = true;
        }
    }

    /// Everyone the node talks to as leader: voters and observers other
    /// than itself.
    pub(super) fn peers(&self) -> Vec<NodeId> {
        self.voters
            .iter()
            .chain(&self.observers)
            .copied()
            .filter(|p| *p != self.cfg.id)
            .collect()
    }

    /// Leader: appends a new entry of this term.
    pub(super) fn append_new(&mut self, entry: Entry) -> u64 {
        let index = self.log.last_index() + 1;
        self.append_local(LogEntry { term: self.term, index, entry });
        index
    }

    pub(super) fn peer_state_entry(&self) -> Entry {
        let peers: Vec<NodeId> = self.voters.iter().copied().collect();
        Entry { entry_type: EntryType::PeerState, data: encode_peers(&peers) }
    }
}

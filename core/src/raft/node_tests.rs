//! Unit tests of [`RaftNode`] over a tiny in-memory group with a perfect
//! network and simulated time. Tests named after Go's raft_test.go keep
//! the Go name, snake_cased; Go's `checkFor`/sleeps become time advances.

use super::log::tests::MemStorage;
use super::*;
use crate::time::Instant;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

struct Group {
    nodes: BTreeMap<NodeId, RaftNode>,
    /// Each node's disk and log store (every batch is persisted).
    disks: BTreeMap<NodeId, (MemStorage, LogStore)>,
    /// Each node's state machine: the normal entries applied, in order.
    sm: BTreeMap<NodeId, Vec<Vec<u8>>>,
    /// Snapshots installed from a leader, per node.
    installs: BTreeMap<NodeId, u64>,
    now: Instant,
    queue: VecDeque<(NodeId, NodeId, Message)>,
    applied: BTreeMap<NodeId, Vec<CommittedEntry>>,
    /// Messages from or to these nodes are dropped.
    cut: BTreeSet<NodeId>,
    /// Every message sent, for tests that inspect traffic.
    sent: Vec<(NodeId, NodeId, Message)>,
}

impl Group {
    fn new(n: u64) -> Group {
        Group::with(n, |_| {})
    }

    fn with(n: u64, tune: impl Fn(&mut RaftConfig)) -> Group {
        let ids: Vec<NodeId> = (1..=n).collect();
        let now = Instant::from_nanos(1);
        let mut disks = BTreeMap::new();
        let mut nodes = BTreeMap::new();
        for id in &ids {
            let mut disk = MemStorage::default();
            let (store, rec) = LogStore::open(&mut disk, "g", RecoveryBugs::default()).expect("new store");
            let mut cfg = RaftConfig::new(*id, ids.clone());
            tune(&mut cfg);
            nodes.insert(*id, RaftNode::new(cfg, rec, *id, now));
            disks.insert(*id, (disk, store));
        }
        Group {
            nodes,
            disks,
            sm: BTreeMap::new(),
            installs: BTreeMap::new(),
            now,
            queue: VecDeque::new(),
            applied: BTreeMap::new(),
            cut: BTreeSet::new(),
            sent: Vec::new(),
        }
    }

    fn node(&mut self, id: NodeId) -> &mut RaftNode {
        self.nodes.get_mut(&id).expect("node exists")
    }

    /// Processes ready batches and messages until quiet.
    fn drain(&mut self) {
        for _ in 0..100_000 {
            let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
            for id in ids {
                let now = self.now;
                let n = self.nodes.get_mut(&id).expect("node");
                while let Some(rd) = n.ready() {
                    let (disk, store) = self.disks.get_mut(&id).expect("disk");
                    store.persist(disk, &rd).expect("memory storage does not fail");
                    if rd.install_snapshot {
                        let s = rd.snapshot.as_ref().expect("install carries the snapshot");
                        self.sm.insert(id, decode_state(&s.data));
                        *self.installs.entry(id).or_default() += 1;
                    }
                    let sm = self.sm.entry(id).or_default();
                    for c in &rd.committed {
                        if c.entry.entry_type == EntryType::Normal {
                            sm.push(c.entry.data.clone());
                        }
                    }
                    for (to, m) in rd.messages.into_iter().chain(rd.persisted_messages) {
                        self.queue.push_back((id, to, m));
                    }
                    n.on_persisted(now, rd.number);
                    self.applied.entry(id).or_default().extend(rd.committed);
                }
            }
            let Some((from, to, m)) = self.queue.pop_front() else {
                return;
            };
            self.sent.push((from, to, m.clone()));
            if self.cut.contains(&from) || self.cut.contains(&to) {
                continue;
            }
            let now = self.now;
            if let Some(n) = self.nodes.get_mut(&to) {
                n.handle_message(now, from, m);
            }
        }
        panic!("group never went quiet");
    }

    /// Advances time by `d` in 5 ms steps, firing timeouts.
    fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now = self.now + Duration::from_millis(5);
            let now = self.now;
            for n in self.nodes.values_mut() {
                if n.poll_timeout().is_some_and(|t| t <= now) {
                    n.handle_timeout(now);
                }
            }
            self.drain();
        }
    }

    fn leader(&self) -> Option<NodeId> {
        self.nodes
            .values()
            .filter(|n| n.is_leader() && !self.cut.contains(&n.id()))
            .max_by_key(|n| n.term())
            .map(|n| n.id())
    }

    fn wait_on_leader(&mut self) -> NodeId {
        for _ in 0..400 {
            if let Some(l) = self.leader() {
                return l;
            }
            self.advance(Duration::from_millis(10));
        }
        panic!("no leader elected");
    }

    fn non_leader(&self) -> NodeId {
        let l = self.leader();
        *self.nodes.keys().find(|id| Some(**id) != l).expect("a follower")
    }

    /// The node's state machine snapshots everything it applied.
    fn compact(&mut self, id: NodeId) -> Result<(), CompactError> {
        let data = encode_state(self.sm.get(&id).map_or(&[][..], |v| &v[..]));
        let n = self.node(id);
        let at = n.applied_index();
        n.compact(at, data)
    }

    /// Restarts a node from its disk; its state machine loads the snapshot.
    fn restart(&mut self, id: NodeId) -> Recovered {
        let (disk, store) = self.disks.get_mut(&id).expect("disk");
        let (st, rec) = LogStore::open(disk, "g", RecoveryBugs::default()).expect("reopen");
        *store = st;
        let sm = rec.snapshot.as_ref().map(|s| decode_state(&s.data)).unwrap_or_default();
        self.sm.insert(id, sm);
        let cfg = self.node(id).config().clone();
        let now = self.now;
        self.nodes.insert(id, RaftNode::new(cfg, rec.clone(), id + 100, now));
        rec
    }

    /// A brand-new node that knows no peers: it joins when the leader adds it.
    fn add_node(&mut self, id: NodeId) {
        let mut disk = MemStorage::default();
        let (store, rec) = LogStore::open(&mut disk, "g", RecoveryBugs::default()).expect("new store");
        let now = self.now;
        self.nodes.insert(id, RaftNode::new(RaftConfig::new(id, Vec::new()), rec, id, now));
        self.disks.insert(id, (disk, store));
    }

    fn state(&self, id: NodeId) -> Vec<Vec<u8>> {
        self.sm.get(&id).cloned().unwrap_or_default()
    }

    fn applied_data(&self, id: NodeId) -> Vec<Vec<u8>> {
        self.applied
            .get(&id)
            .map(|v| {
                v.iter()
                    .filter(|c| c.entry.entry_type == EntryType::Normal)
                    .map(|c| c.entry.data.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn encode_state(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        out.extend_from_slice(&(i.len() as u32).to_le_bytes());
        out.extend_from_slice(i);
    }
    out
}

fn decode_state(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let n = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        out.push(b[4..4 + n].to_vec());
        b = &b[4 + n..];
    }
    out
}

/// Go: TestNRGSimple. Proposals from the leader are applied everywhere.
#[test]
fn test_nrg_simple() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    let now = g.now;
    for d in [b"22".to_vec(), b"-11".to_vec(), b"-10".to_vec()] {
        g.node(l).propose(now, d).expect("leader accepts");
    }
    g.advance(Duration::from_millis(200));
    for id in 1..=3 {
        assert_eq!(g.applied_data(id), vec![b"22".to_vec(), b"-11".to_vec(), b"-10".to_vec()]);
    }
}

/// Go: TestNRGSimpleElection. After a stepdown the next election bumps the
/// term by one and everyone votes for the winner.
#[test]
fn test_nrg_simple_election() {
    let mut g = Group::new(5);
    let l = g.wait_on_leader();
    let start = g.node(l).term();
    let now = g.now;
    g.node(l).step_down(now, None);
    assert!(!g.node(l).is_leader());
    let l2 = g.wait_on_leader();
    assert_eq!(g.node(l2).term(), start + 1);
    for id in 1..=5 {
        assert_eq!(g.node(id).term(), start + 1);
        assert_eq!(g.node(id).vote(), Some(l2));
    }
}

/// Go: TestNRGRecoverFromFollowingNoLeader. Followers that lost their
/// leader elect a new one in a new term.
#[test]
fn test_nrg_recover_from_following_no_leader() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    let term = g.node(l).term();
    let now = g.now;
    for id in 1..=3 {
        let n = g.node(id);
        let t = n.term();
        n.become_follower(now, t, None);
    }
    let l2 = g.wait_on_leader();
    assert_ne!(g.node(l2).term(), term);
}

/// Go: TestNRGInlineStepdown. After `step_down` returns the node is no
/// longer leader.
#[test]
fn test_nrg_inline_stepdown() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    let now = g.now;
    g.node(l).step_down(now, None);
    assert_ne!(g.node(l).state(), RaftState::Leader);
}

/// Go: TestNRGObserverMode. Observers do not campaign but apply.
#[test]
fn test_nrg_observer_mode() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    for id in 1..=3 {
        if id != l {
            g.node(id).set_observer(true);
        }
    }
    let now = g.now;
    for d in [b"1", b"2", b"3"] {
        g.node(l).propose(now, d.to_vec()).expect("leader");
    }
    g.advance(Duration::from_millis(300));
    for id in 1..=3 {
        assert_eq!(g.applied_data(id).len(), 3);
        if id != l {
            assert!(g.node(id).is_observer());
        }
    }
    // With the leader gone, observers never take over.
    g.cut.insert(l);
    g.advance(Duration::from_secs(3));
    assert_eq!(g.leader(), None);
}

/// Go: TestNRGAEFromOldLeader. An append entry from an older term is
/// refused and changes nothing.
#[test]
fn test_nrg_ae_from_old_leader() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    let now = g.now;
    g.node(l).step_down(now, None);
    let l = g.wait_on_leader();
    let term = g.node(l).term();
    assert!(term >= 2);
    let f = g.non_leader();
    let last = g.node(f).log().last_index();
    let ae = AppendEntry { leader: f, term: 1, commit: 0, pterm: 0, pindex: 0, entries: vec![] };
    let now = g.now;
    g.node(l).handle_message(now, f, Message::AppendEntry(ae));
    let rd = g.node(l).ready().expect("a response");
    let resp = rd.persisted_messages.iter().find_map(|(to, m)| match m {
        Message::AppendEntryResponse(r) if *to == f => Some(r.clone()),
        _ => None,
    });
    let resp = resp.expect("answered");
    assert!(!resp.success);
    assert_eq!(resp.term, term);
    assert!(g.node(l).is_leader());
    assert_eq!(g.node(f).log().last_index(), last);
}

/// Go: TestNRGLeaderTransfer. Stepping down with a preferred successor
/// makes it the next leader, announced by a LeaderTransfer entry.
#[test]
fn test_nrg_leader_transfer() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    g.advance(Duration::from_millis(100));
    let preferred = g.non_leader();
    let now = g.now;
    g.node(l).step_down(now, Some(preferred));
    g.drain();
    assert_eq!(g.wait_on_leader(), preferred);
    let announced = g.sent.iter().any(|(_, to, m)| match m {
        Message::AppendEntry(ae) => {
            *to == preferred
                && ae.entries.iter().any(|e| {
                    e.entry.entry_type == EntryType::LeaderTransfer
                        && e.entry.data == preferred.to_le_bytes()
                })
        }
        _ => false,
    });
    assert!(announced);
}

/// Go: TestNRGStepDownOnSameTermDoesntClearVote. A leader that gets an
/// append entry of its own term steps down but keeps its vote; one of an
/// older term is ignored.
#[test]
fn test_nrg_step_down_on_same_term_doesnt_clear_vote() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    let f = g.non_leader();
    let term = g.node(l).term();
    let now = g.now;
    let mut ae = AppendEntry { leader: f, term: term - 1, commit: 0, pterm: 0, pindex: 0, entries: vec![] };
    g.node(l).handle_message(now, f, Message::AppendEntry(ae.clone()));
    assert!(g.node(l).is_leader());
    ae.term = term;
    g.node(l).handle_message(now, f, Message::AppendEntry(ae));
    assert!(!g.node(l).is_leader());
    assert_eq!(g.node(l).vote(), Some(l));
}

/// Go: TestNRGCandidateDoesntRevertTermAfterOldAE. A candidate that gets
/// an append entry from an older term keeps its term.
#[test]
fn test_nrg_candidate_doesnt_revert_term_after_old_ae() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    let f = g.non_leader();
    let old = g.node(l).term();
    g.cut.insert(f);
    let now = g.now;
    g.node(f).campaign(now);
    assert_eq!(g.node(f).state(), RaftState::Candidate);
    let t = g.node(f).term();
    assert_eq!(t, old + 1);
    let ae = AppendEntry { leader: l, term: old, commit: 0, pterm: 0, pindex: 0, entries: vec![] };
    g.node(f).handle_message(now, l, Message::AppendEntry(ae));
    assert_eq!(g.node(f).term(), t);
    assert_eq!(g.node(f).state(), RaftState::Candidate);
}

/// Go: TestNRGSingleNodeElection. A group of one elects itself.
#[test]
fn test_nrg_single_node_election() {
    let mut g = Group::new(1);
    assert_eq!(g.wait_on_leader(), 1);
    let now = g.now;
    g.node(1).propose(now, b"x".to_vec()).expect("leader");
    g.advance(Duration::from_millis(10));
    assert_eq!(g.applied_data(1), vec![b"x".to_vec()]);
}

/// Go: TestNRGTruncateWALRevertsUncommittedAddPeer. An AddPeer entry that
/// gets truncated no longer counts in the peer set.
#[test]
fn test_nrg_truncate_wal_reverts_uncommitted_add_peer() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    g.advance(Duration::from_millis(100));
    let f = g.non_leader();
    // Cut the leader off, then let it append an AddPeer nobody gets.
    g.cut.insert(l);
    let now = g.now;
    let _ = g.node(l).propose_add_peer(now, 9);
    assert!(g.node(l).voters().contains(&9));
    g.advance(Duration::from_secs(2));
    let l2 = g.leader().expect("a new leader without the old one");
    assert_ne!(l2, l);
    assert!(!g.node(f).voters().contains(&9));
    g.cut.clear();
    g.advance(Duration::from_secs(1));
    assert!(!g.node(l).voters().contains(&9), "uncommitted add peer reverted");
}

/// Go: TestNRGOnlyCommitIfCurrentTerm. A new leader does not count
/// replicas of an old-term entry as committing it; its own-term entry does.
#[test]
fn test_nrg_only_commit_if_current_term() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    g.advance(Duration::from_millis(100));
    let c = g.node(l).commit_index();
    let idx = g.node(l).log().last_index();
    assert_eq!(c, idx, "the leader's peer-state entry is committed");
    assert_eq!(g.node(l).log().term_at(idx), Some(g.node(l).term()));
}

/// Durability: a follower's acknowledgement and a voter's vote only leave
/// after the batch that made them true is persisted.
#[test]
fn acks_and_votes_wait_for_persistence() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    let f = g.non_leader();
    let now = g.now;
    let term = g.node(l).term();
    let ae = AppendEntry {
        leader: l,
        term,
        commit: 0,
        pterm: g.node(f).log().last_term(),
        pindex: g.node(f).log().last_index(),
        entries: vec![LogEntry {
            term,
            index: g.node(f).log().last_index() + 1,
            entry: Entry::normal(b"d".to_vec()),
        }],
    };
    g.node(f).handle_message(now, l, Message::AppendEntry(ae));
    let rd = g.node(f).ready().expect("batch");
    assert!(rd.must_sync);
    assert!(rd.messages.iter().all(|(_, m)| !matches!(m, Message::AppendEntryResponse(_))));
    assert!(rd.persisted_messages.iter().any(|(_, m)| matches!(m, Message::AppendEntryResponse(r) if r.success)));
    assert!(g.node(f).ready().is_none(), "one batch outstanding at a time");
    g.node(f).on_persisted(now, rd.number);
    let vr = VoteRequest { term: term + 5, last_term: term, last_index: 100, candidate: 3, pre_vote: false, transfer: true };
    let n = if f == 3 { 2 } else { f };
    g.node(n).handle_message(now, 3, Message::VoteRequest(vr));
    let rd = g.node(n).ready().expect("batch");
    assert_eq!(rd.hard_state, Some(HardState { term: term + 5, vote: Some(3) }));
    assert!(rd.messages.is_empty());
    assert_eq!(rd.persisted_messages.len(), 1);
}

/// A node whose log is unrepaired neither votes nor campaigns.
#[test]
fn unrepaired_node_does_not_vote() {
    let now = Instant::from_nanos(1);
    let rec = Recovered { repair_index: Some(5), ..Recovered::empty() };
    let mut n = RaftNode::new(RaftConfig::new(1, vec![1, 2, 3]), rec, 1, now);
    let vr = VoteRequest { term: 1, last_term: 0, last_index: 0, candidate: 2, pre_vote: false, transfer: false };
    n.handle_message(now, 2, Message::VoteRequest(vr));
    let rd = n.ready().expect("answer");
    let granted = rd.persisted_messages.iter().any(|(_, m)| matches!(m, Message::VoteResponse(v) if v.granted));
    assert!(!granted);
    n.on_persisted(now, rd.number);
    n.handle_timeout(now + Duration::from_secs(5));
    assert_eq!(n.state(), RaftState::Follower);
}

fn propose_n(g: &mut Group, l: NodeId, from: u32, to: u32) {
    let now = g.now;
    for k in from..to {
        g.node(l).propose(now, format!("v{k}").into_bytes()).expect("leader accepts");
        g.drain();
    }
}

fn values(from: u32, to: u32) -> Vec<Vec<u8>> {
    (from..to).map(|k| format!("v{k}").into_bytes()).collect()
}

/// Go: TestNRGSnapshotAndRestart (and TestNRGSnapshotRecovery). Every node
/// snapshots and compacts; more entries follow; a restarted follower loads
/// its snapshot from disk, replays the rest and ends in the same state.
#[test]
fn test_nrg_snapshot_and_restart() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    propose_n(&mut g, l, 0, 10);
    g.advance(Duration::from_millis(100));
    for id in 1..=3 {
        g.compact(id).expect("compacts");
        assert!(g.node(id).log().snap_index() > 0);
        let si = g.node(id).log().snap_index();
        assert_eq!(g.node(id).log().get(si), None, "compacted");
    }
    propose_n(&mut g, l, 10, 15);
    g.advance(Duration::from_millis(100));
    let f = g.non_leader();
    let snap_at = g.node(f).log().snap_index();
    let rec = g.restart(f);
    assert_eq!(rec.snapshot.as_ref().map(|s| s.index), Some(snap_at));
    assert_eq!(rec.repair_index, None);
    assert_eq!(g.node(f).commit_index(), snap_at);
    g.advance(Duration::from_millis(300));
    for id in 1..=3 {
        assert_eq!(g.state(id), values(0, 15), "node {id}");
    }
}

/// Go: TestNRGIgnoreDoubleSnapshot. A second snapshot at the same index is
/// refused; the snapshot carries the term of its last entry; an index not
/// yet applied cannot be snapshotted.
#[test]
fn test_nrg_ignore_double_snapshot() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    propose_n(&mut g, l, 0, 3);
    g.advance(Duration::from_millis(100));
    g.compact(l).expect("first");
    assert_eq!(g.compact(l), Err(CompactError::AlreadyCompacted));
    let n = g.node(l);
    let s = n.last_snapshot().expect("kept");
    assert_eq!(s.term, n.term());
    let beyond = n.applied_index() + 1;
    assert_eq!(n.compact(beyond, Vec::new()), Err(CompactError::NotApplied));
}

/// Go: TestNRGSimpleCatchup. A follower that was away catches up from the
/// leader's log when the leader still has the entries it needs.
#[test]
fn test_nrg_simple_catchup() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    g.advance(Duration::from_millis(100));
    let f = g.non_leader();
    g.cut.insert(f);
    propose_n(&mut g, l, 0, 30);
    g.cut.clear();
    g.advance(Duration::from_millis(500));
    assert_eq!(g.state(f), values(0, 30));
    assert_eq!(g.installs.get(&f), None, "caught up from the log");
}

/// Go: TestNRGSnapshotCatchup and TestNRGSendSnapshotInstallsSnapshot. A
/// follower that needs entries the leader compacted away gets the
/// snapshot, in several checksummed chunks, installs it, then the rest
/// from the log; it counts toward quorums again afterwards.
#[test]
fn test_nrg_snapshot_catchup() {
    let mut g = Group::with(3, |c| c.snapshot_chunk_size = 16);
    let l = g.wait_on_leader();
    g.advance(Duration::from_millis(100));
    let f = g.non_leader();
    g.cut.insert(f);
    propose_n(&mut g, l, 0, 20);
    g.advance(Duration::from_millis(100));
    g.compact(l).expect("leader compacts");
    propose_n(&mut g, l, 20, 25);
    g.sent.clear();
    g.cut.clear();
    g.advance(Duration::from_millis(600));
    assert_eq!(g.installs.get(&f), Some(&1));
    assert_eq!(g.state(f), values(0, 25));
    let chunks = g
        .sent
        .iter()
        .filter(|(_, to, m)| {
            *to == f
                && matches!(m, Message::AppendEntry(ae) if ae.entries.first().is_some_and(|e| e.entry.entry_type == EntryType::Snapshot))
        })
        .count();
    assert!(chunks > 3, "sent in chunks ({chunks})");
    assert_eq!(g.node(f).log().snap_index(), g.node(l).log().snap_index());
    // The other follower down: the caught-up one forms the quorum.
    let other = (1..=3).find(|id| *id != l && *id != f).expect("third node");
    g.cut.insert(other);
    propose_n(&mut g, l, 25, 26);
    g.advance(Duration::from_millis(100));
    assert_eq!(g.state(f), values(0, 26));
}

/// A damaged chunk is refused by its checksum and sent again; a snapshot
/// whose assembled bytes fail their checksum is never installed.
#[test]
fn corrupt_snapshot_chunks_are_never_installed() {
    use super::snapshot::{decode_chunk, encode_chunk};
    let c = encode_chunk(0, 10, b"abcde");
    assert_eq!(decode_chunk(&c), Some((0, 10, &b"abcde"[..])));
    for i in 0..c.len() {
        let mut d = c.clone();
        d[i] ^= 2;
        assert!(decode_chunk(&d).is_none_or(|x| x != (0, 10, &b"abcde"[..])), "flip at {i}");
    }
    let now = Instant::from_nanos(1);
    let mut n = RaftNode::new(RaftConfig::new(2, vec![1, 2, 3]), Recovered::empty(), 2, now);
    let snap = Snapshot { index: 5, term: 1, voters: vec![1, 2, 3], observers: vec![], data: b"state".to_vec() };
    let mut bytes = snap.encode();
    let last = bytes.len() - 1;
    bytes[last] ^= 1; // damage inside the snapshot, with valid chunk crcs
    let chunk = |off: usize, end: usize| {
        let data = encode_chunk(off as u64, bytes.len() as u64, &bytes[off..end]);
        Message::AppendEntry(AppendEntry {
            leader: 1,
            term: 1,
            commit: 5,
            pterm: 0,
            pindex: 4,
            entries: vec![LogEntry { term: 1, index: 5, entry: Entry { entry_type: EntryType::Snapshot, data } }],
        })
    };
    let half = bytes.len() / 2;
    n.handle_message(now, 1, chunk(0, half));
    n.handle_message(now, 1, chunk(half, bytes.len()));
    assert_eq!(n.snapshots_rejected(), 1);
    assert_eq!(n.log().snap_index(), 0);
    assert_eq!(n.commit_index(), 0);
    let rd = n.ready().expect("acks");
    assert!(rd.snapshot.is_none());
    let asks_again = rd.messages.iter().any(|(_, m)| {
        matches!(m, Message::AppendEntryResponse(r) if r.snapshot && r.index == 0)
    });
    assert!(asks_again, "asks for the snapshot again from offset 0");
}

/// A follower whose snapshot file is damaged on disk comes up empty and
/// repairing (nothing deleted: the files are set aside), does not count
/// toward a quorum, and repairs from the leader's snapshot.
#[test]
fn corrupt_snapshot_on_disk_is_repaired_from_the_leader() {
    let mut g = Group::with(3, |c| c.snapshot_chunk_size = 64);
    let l = g.wait_on_leader();
    propose_n(&mut g, l, 0, 12);
    g.advance(Duration::from_millis(100));
    for id in 1..=3 {
        g.compact(id).expect("compacts");
    }
    propose_n(&mut g, l, 12, 14);
    g.advance(Duration::from_millis(100));
    let f = g.non_leader();
    let (disk, _) = g.disks.get_mut(&f).expect("disk");
    disk.files.get_mut("g/snap").expect("snapshot file")[40] ^= 0x08;
    let rec = g.restart(f);
    assert!(rec.report.snapshot_corrupt && rec.report.log_orphaned);
    assert!(rec.repair_index.is_some());
    assert!(!g.node(f).is_repaired());
    g.advance(Duration::from_millis(600));
    assert!(g.node(f).is_repaired());
    assert_eq!(g.installs.get(&f), Some(&1));
    assert_eq!(g.state(f), values(0, 14));
    let (disk, _) = g.disks.get(&f).expect("disk");
    assert!(disk.files.contains_key("g/snap.corrupt") && disk.files.contains_key("g/log.orphan"));
}

/// Go: TestNRGReplayOnSnapshotSameTerm. An append entry replaying entries
/// the follower already compacted is recognised as a replay: success, no
/// truncation, nothing refused.
#[test]
fn test_nrg_replay_on_snapshot_same_term() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    propose_n(&mut g, l, 0, 5);
    g.advance(Duration::from_millis(100));
    let f = g.non_leader();
    g.compact(f).expect("compacts");
    let snap = g.node(f).log().snap_index();
    let last = g.node(f).log().last_index();
    let term = g.node(l).term();
    let replay: Vec<LogEntry> = (1..=last).filter_map(|i| g.node(l).log().get(i).cloned()).collect();
    let ae = AppendEntry { leader: l, term, commit: last, pterm: 0, pindex: 0, entries: replay };
    let now = g.now;
    g.node(f).handle_message(now, l, Message::AppendEntry(ae));
    assert_eq!(g.node(f).log().snap_index(), snap);
    assert_eq!(g.node(f).log().last_index(), last);
    assert_eq!(g.node(f).refused_truncations(), 0);
    let rd = g.node(f).ready().expect("ack");
    let ok = rd.persisted_messages.iter().any(|(_, m)| matches!(m, Message::AppendEntryResponse(r) if r.success && r.index == last));
    assert!(ok);
}

/// Go: TestNRGSnapshotExcludesUncommittedMembershipChange. A snapshot
/// records the peer set as of its index, not a later uncommitted change.
#[test]
fn test_nrg_snapshot_excludes_uncommitted_membership_change() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    propose_n(&mut g, l, 0, 2);
    g.advance(Duration::from_millis(100));
    for id in 1..=3 {
        if id != l {
            g.cut.insert(id);
        }
    }
    let now = g.now;
    g.node(l).propose_add_peer(now, 9).expect("leader");
    assert!(g.node(l).voters().contains(&9));
    g.compact(l).expect("compacts at applied");
    let s = g.node(l).last_snapshot().expect("snapshot");
    assert_eq!(s.voters, vec![1, 2, 3]);
}

/// Observers (non-voting members): a voter demoted to observer keeps
/// receiving and applying entries, but its acknowledgements do not count
/// and it neither votes nor campaigns; AddPeer promotes it back. The
/// observer set survives compaction (it is in the snapshot).
#[test]
fn observer_members_replicate_but_never_vote_or_count() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    g.advance(Duration::from_millis(100));
    let o = g.non_leader();
    let other = (1..=3).find(|id| *id != l && *id != o).expect("third");
    let now = g.now;
    g.node(l).propose_add_observer(now, o).expect("leader");
    g.advance(Duration::from_millis(100));
    assert!(g.node(l).observers().contains(&o) && !g.node(l).voters().contains(&o));
    assert!(g.node(o).observers().contains(&o));
    // Applies like everyone.
    propose_n(&mut g, l, 0, 3);
    g.advance(Duration::from_millis(100));
    assert_eq!(g.state(o), values(0, 3));
    // With the other voter gone, the observer's acks do not commit.
    g.cut.insert(other);
    let c = g.node(l).commit_index();
    propose_n(&mut g, l, 3, 4);
    g.advance(Duration::from_millis(100));
    assert_eq!(g.node(l).commit_index(), c, "an observer's ack counted");
    // The observer neither votes nor campaigns: with the leader gone too,
    // nobody is elected.
    g.cut.clear();
    g.advance(Duration::from_millis(100));
    g.compact(o).expect("observer compacts");
    assert_eq!(g.node(o).last_snapshot().map(|s| s.observers.clone()), Some(vec![o]));
    g.cut.insert(l);
    g.cut.insert(other);
    g.advance(Duration::from_secs(2));
    assert_eq!(g.node(o).state(), RaftState::Follower);
    let vr = VoteRequest { term: 99, last_term: 99, last_index: 999, candidate: other, pre_vote: false, transfer: true };
    let now = g.now;
    g.node(o).handle_message(now, other, Message::VoteRequest(vr));
    let rd = g.node(o).ready().expect("answer");
    assert!(rd.persisted_messages.iter().all(|(_, m)| !matches!(m, Message::VoteResponse(v) if v.granted)));
    g.node(o).on_persisted(now, rd.number);
    // Promoted back, it counts again.
    g.cut.clear();
    let l = g.wait_on_leader();
    let now = g.now;
    g.node(l).propose_add_peer(now, o).expect("leader");
    g.advance(Duration::from_millis(200));
    assert!(g.node(l).voters().contains(&o) && g.node(l).observers().is_empty());
}

/// Go: TestNRGProposeRemovePeer. A removed follower leaves every node's
/// peer set.
#[test]
fn test_nrg_propose_remove_peer() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    g.advance(Duration::from_millis(100));
    let f = g.non_leader();
    let now = g.now;
    g.node(l).propose_remove_peer(now, f).expect("leader");
    g.advance(Duration::from_millis(300));
    for id in 1..=3 {
        if id != f {
            assert_eq!(g.node(id).voters().len(), 2, "node {id}");
        }
    }
    // The group of two still commits.
    propose_n(&mut g, l, 0, 1);
    g.advance(Duration::from_millis(100));
    assert_eq!(g.state(l), values(0, 1));
}

/// Go: TestNRGProposeRemovePeerLeader. A leader removing itself keeps the
/// change in progress until it commits, then steps down; a new leader is
/// elected among the rest.
#[test]
fn test_nrg_propose_remove_peer_leader() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    g.advance(Duration::from_millis(100));
    let f0 = g.non_leader();
    g.cut.insert(f0);
    let f1 = (1..=3).find(|id| *id != l && *id != f0).expect("third");
    g.cut.insert(f1);
    let now = g.now;
    g.node(l).propose_remove_peer(now, l).expect("leader");
    g.drain();
    assert!(g.node(l).is_leader(), "keeps leading until the removal commits");
    assert_eq!(g.node(l).propose_add_peer(now, 9), Err(ProposeError::MembershipChangeInProgress));
    g.cut.clear();
    g.advance(Duration::from_millis(100));
    assert!(!g.node(l).is_leader(), "stepped down once its removal committed");
    let l2 = g.wait_on_leader();
    assert_ne!(l2, l);
    assert!(!g.node(l2).voters().contains(&l));
}

/// Go: TestNRGProposeRemovePeerConcurrent. One membership change at a
/// time: a second proposal while the first is uncommitted is refused.
#[test]
fn test_nrg_propose_remove_peer_concurrent() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    g.advance(Duration::from_millis(100));
    let now = g.now;
    let f = g.non_leader();
    g.node(l).propose_remove_peer(now, f).expect("first");
    assert_eq!(g.node(l).propose_remove_peer(now, f), Err(ProposeError::MembershipChangeInProgress));
    g.advance(Duration::from_millis(200));
    let now = g.now;
    g.node(l).propose_add_peer(now, f).expect("after the first committed");
}

/// Go: TestNRGAddPeers. New, empty nodes added one at a time grow the
/// group to 9; each catches up and applies everything.
#[test]
fn test_nrg_add_peers() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    propose_n(&mut g, l, 0, 5);
    g.advance(Duration::from_millis(100));
    for id in 4..=9 {
        g.add_node(id);
        let now = g.now;
        g.node(l).propose_add_peer(now, id).expect("leader");
        g.advance(Duration::from_millis(150));
    }
    assert_eq!(g.node(l).voters().len(), 9);
    g.advance(Duration::from_millis(300));
    for id in 1..=9 {
        assert_eq!(g.state(id), values(0, 5), "node {id}");
        assert_eq!(g.node(id).voters().len(), 9, "node {id}");
    }
}

/// Go: TestNRGTruncateWALRevertsUncommittedRemovePeer. A RemovePeer entry
/// that gets truncated no longer counts: the peer is a voter again.
#[test]
fn test_nrg_truncate_wal_reverts_uncommitted_remove_peer() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    g.advance(Duration::from_millis(100));
    let f = g.non_leader();
    g.cut.insert(l);
    let now = g.now;
    g.node(l).propose_remove_peer(now, f).expect("leader");
    assert!(!g.node(l).voters().contains(&f));
    g.advance(Duration::from_secs(2));
    assert_ne!(g.leader(), Some(l));
    g.cut.clear();
    g.advance(Duration::from_secs(1));
    assert!(g.node(l).voters().contains(&f), "uncommitted remove peer reverted");
}

/// Go: TestNRGQuorumAfterLeaderStepdown (in part). A leader that stops
/// hearing from a quorum steps down by itself; stepping down with a
/// preferred successor hands over to it.
#[test]
fn test_nrg_quorum_after_leader_stepdown() {
    let mut g = Group::new(3);
    let l = g.wait_on_leader();
    g.advance(Duration::from_millis(100));
    for id in 1..=3 {
        if id != l {
            g.cut.insert(id);
        }
    }
    g.advance(Duration::from_secs(1));
    assert!(!g.node(l).is_leader(), "a leader without a quorum steps down");
    g.cut.clear();
    let l = g.wait_on_leader();
    g.advance(Duration::from_millis(100));
    let succ = g.non_leader();
    let now = g.now;
    g.node(l).step_down(now, Some(succ));
    assert_eq!(g.wait_on_leader(), succ);
}

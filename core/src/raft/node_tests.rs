//! Unit tests of [`RaftNode`] over a tiny in-memory group with a perfect
//! network and simulated time. Tests named after Go's raft_test.go keep
//! the Go name, snake_cased; Go's `checkFor`/sleeps become time advances.

use super::*;
use crate::time::Instant;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

struct Group {
    nodes: BTreeMap<NodeId, RaftNode>,
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
        let ids: Vec<NodeId> = (1..=n).collect();
        let now = Instant::from_nanos(1);
        let nodes = ids
            .iter()
            .map(|id| (*id, RaftNode::new(RaftConfig::new(*id, ids.clone()), Recovered::empty(), *id, now)))
            .collect();
        Group {
            nodes,
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

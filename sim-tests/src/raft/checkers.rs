//! Cross-node Raft safety checkers: at most one leader per term, log
//! matching, leader completeness, identical apply sequences, and no
//! committed entry ever lost or changed.

use rnatsd_core::raft::{CommittedEntry, NodeId, RaftNode};
use rnatsd_io_sim::trace::Fnv64;
use std::collections::BTreeMap;

pub fn entry_hash(ty: u8, data: &[u8]) -> u64 {
    let mut h = Fnv64::default();
    h.write(&[ty]);
    h.write(data);
    h.finish()
}

/// The state machine's running hash: `prev` followed by one entry.
pub fn chain_hash(prev: u64, entry_hash: u64) -> u64 {
    let mut h = Fnv64::default();
    h.write(&prev.to_le_bytes());
    h.write(&entry_hash.to_le_bytes());
    h.finish()
}

/// What the checkers have learned so far, and the violations found.
#[derive(Debug, Default)]
pub struct RaftChecker {
    /// term -> the leader seen in it.
    leaders: BTreeMap<u64, NodeId>,
    /// index -> (term, hash) of every entry known committed.
    pub committed: BTreeMap<u64, (u64, u64)>,
    /// Per node: last index applied in its current incarnation.
    applied: BTreeMap<NodeId, u64>,
    /// Per node: commit index already recorded.
    commit_seen: BTreeMap<NodeId, u64>,
    /// Per node: (term) it was last seen leading, to spot new leaderships.
    leading: BTreeMap<NodeId, u64>,
    pub violations: Vec<String>,
}

impl RaftChecker {
    fn fail(&mut self, v: String) {
        if self.violations.len() < 20 {
            self.violations.push(v);
        }
    }

    /// How many terms had a leader.
    pub fn leader_terms(&self) -> usize {
        self.leaders.len()
    }

    /// A node restarted: its apply sequence starts over.
    pub fn restarted(&mut self, id: NodeId) {
        self.applied.remove(&id);
        self.commit_seen.remove(&id);
        self.leading.remove(&id);
    }

    fn record_committed(&mut self, who: NodeId, index: u64, term: u64, hash: u64) {
        match self.committed.get(&index) {
            Some(&(t, h)) if (t, h) != (term, hash) => self.fail(format!(
                "node {who}: committed entry {index} is (term {term}, {hash:x}) but was (term {t}, {h:x})"
            )),
            Some(_) => {}
            None => {
                self.committed.insert(index, (term, hash));
            }
        }
    }

    /// After every step of node `n`.
    pub fn after_step(&mut self, n: &RaftNode) {
        let id = n.id();
        if n.refused_truncations() > 0 {
            self.fail(format!("node {id}: was asked to truncate a committed entry"));
        }
        if n.is_leader() && n.repair_index().is_some() {
            self.fail(format!("node {id}: leads term {} while repairing its log", n.term()));
        }
        if n.is_leader() {
            match self.leaders.get(&n.term()) {
                Some(&l) if l != id => {
                    self.fail(format!("two leaders in term {}: {l} and {id}", n.term()))
                }
                Some(_) => {}
                None => {
                    self.leaders.insert(n.term(), id);
                }
            }
            if self.leading.get(&id) != Some(&n.term()) {
                self.leading.insert(id, n.term());
                self.check_leader_completeness(n);
            }
        }
        let from = self.commit_seen.get(&id).copied().unwrap_or(0);
        for i in from + 1..=n.commit_index() {
            if let Some(e) = n.log().get(i) {
                let h = entry_hash(e.entry.entry_type as u8, &e.entry.data);
                self.record_committed(id, i, e.term, h);
            }
        }
        self.commit_seen.insert(id, n.commit_index().max(from));
    }

    fn check_leader_completeness(&mut self, n: &RaftNode) {
        let missing: Vec<u64> = self
            .committed
            .iter()
            .filter(|(i, (t, h))| match n.log().get(**i) {
                Some(e) => e.term != *t || entry_hash(e.entry.entry_type as u8, &e.entry.data) != *h,
                None => **i > n.log().snap_index(),
            })
            .map(|(i, _)| *i)
            .take(3)
            .collect();
        if !missing.is_empty() {
            self.fail(format!(
                "leader completeness: node {} leads term {} without committed entries {missing:?}",
                n.id(),
                n.term()
            ));
        }
    }

    /// Node `id` applied `c`.
    pub fn applied(&mut self, id: NodeId, c: &CommittedEntry) {
        let want = self.applied.get(&id).copied().unwrap_or(0) + 1;
        if c.index != want {
            self.fail(format!("node {id}: applied {} after {}", c.index, want - 1));
        }
        self.applied.insert(id, c.index);
        let h = entry_hash(c.entry.entry_type as u8, &c.entry.data);
        self.record_committed(id, c.index, c.term, h);
    }

    /// The state-machine hash of the committed entries `1..=index`, if all
    /// of them are known.
    pub fn prefix_hash(&self, index: u64) -> Option<u64> {
        let mut h = 0u64;
        for i in 1..=index {
            let (_, eh) = self.committed.get(&i)?;
            h = chain_hash(h, *eh);
        }
        Some(h)
    }

    /// Node `id`'s state machine loaded a snapshot at `index` whose state
    /// hash is `hash`: it must be the state of exactly the committed
    /// entries through `index`, and applying continues after it.
    pub fn installed(&mut self, id: NodeId, index: u64, hash: u64) {
        let at = self.applied.get(&id).copied().unwrap_or(0);
        if at > index {
            self.fail(format!("node {id}: installed a snapshot at {index} after applying {at}"));
        }
        self.applied.insert(id, index);
        if let Some(want) = self.prefix_hash(index) {
            if want != hash {
                self.fail(format!(
                    "node {id}: snapshot at {index} holds state {hash:x}, the committed entries give {want:x}"
                ));
            }
        }
    }

    /// Every committed entry is held, or known lost (repairing), by a
    /// quorum: acknowledged means durable. Crashed nodes count as holding
    /// (their disk is judged when they restart). Called after a restart.
    pub fn check_durability(&mut self, nodes: &[Option<&RaftNode>], quorum: usize) {
        let mut lost = None;
        for (i, (t, h)) in &self.committed {
            let ok = nodes
                .iter()
                .filter(|n| match n {
                    None => true,
                    Some(n) => {
                        n.repair_index().is_some_and(|r| r >= *i)
                            || *i <= n.log().snap_index()
                            || n.log().get(*i).is_some_and(|e| {
                                e.term == *t && entry_hash(e.entry.entry_type as u8, &e.entry.data) == *h
                            })
                    }
                })
                .count();
            if ok < quorum {
                lost = Some(*i);
                break;
            }
        }
        if let Some(i) = lost {
            self.fail(format!("committed entry {i} is no longer durable on a quorum"));
        }
    }

    /// Log matching over the nodes' current logs: the same (index, term)
    /// means the same entry and the same term before it.
    pub fn check_log_matching<'a>(&mut self, nodes: impl Iterator<Item = &'a RaftNode>) {
        let mut seen: BTreeMap<(u64, u64), (u64, u64, NodeId)> = BTreeMap::new();
        let mut bad = Vec::new();
        for n in nodes {
            let log = n.log();
            for e in log.entries() {
                let prev = log.term_at(e.index - 1).unwrap_or(0);
                let h = entry_hash(e.entry.entry_type as u8, &e.entry.data);
                match seen.get(&(e.index, e.term)) {
                    Some(&(h2, p2, other)) if (h2, p2) != (h, prev) => bad.push(format!(
                        "log matching: nodes {other} and {} differ at index {} term {}",
                        n.id(),
                        e.index,
                        e.term
                    )),
                    Some(_) => {}
                    None => {
                        seen.insert((e.index, e.term), (h, prev, n.id()));
                    }
                }
            }
        }
        for b in bad.into_iter().take(3) {
            self.fail(b);
        }
    }
}

//! Single-step membership changes: one peer added or removed at a time.
//!
//! As in the Raft dissertation (and unlike NRG, which applies peer changes
//! when committed), a change takes effect as soon as its entry is in a
//! node's log, and is undone if the entry is truncated (NRG:
//! TestNRGTruncateWALRevertsUncommittedAddPeer). The voter set is a
//! function of the log: the snapshot's voters (or the configured peers),
//! then every PeerState, AddPeer and RemovePeer entry in order. A leader
//! refuses a second change while one is uncommitted.

use super::log::decode_peers;
use super::messages::{Entry, EntryType, NodeId};
use super::node::{ProposeError, Progress, RaftNode, RaftState};
use crate::time::Instant;
use std::collections::BTreeSet;

fn peer_id(data: &[u8]) -> Option<NodeId> {
    data.try_into().ok().map(u64::from_le_bytes)
}

impl RaftNode {
    /// The voters and observers as of `index`: the snapshot's (or the
    /// configured peers), then the log's peer entries through `index`.
    pub(super) fn members_through(&self, index: u64) -> (BTreeSet<NodeId>, BTreeSet<NodeId>) {
        let (mut voters, mut observers): (BTreeSet<NodeId>, BTreeSet<NodeId>) = match &self.snapshot {
            Some(s) => (s.voters.iter().copied().collect(), s.observers.iter().copied().collect()),
            None => (self.cfg.peers.iter().copied().collect(), BTreeSet::new()),
        };
        for e in self.log.entries().iter().take_while(|e| e.index <= index) {
            let peer = peer_id(&e.entry.data);
            match (e.entry.entry_type, peer) {
                (EntryType::PeerState, _) => {
                    if let Some(p) = decode_peers(&e.entry.data) {
                        voters = p.into_iter().collect();
                        observers.retain(|o| !voters.contains(o));
                    }
                }
                (EntryType::AddPeer, Some(p)) => {
                    observers.remove(&p);
                    voters.insert(p);
                }
                (EntryType::AddObserver, Some(p)) => {
                    voters.remove(&p);
                    observers.insert(p);
                }
                (EntryType::RemovePeer, Some(p)) => {
                    voters.remove(&p);
                    observers.remove(&p);
                }
                _ => {}
            }
        }
        (voters, observers)
    }

    /// Rebuilds the voter and observer sets from the base and the log.
    pub(super) fn recompute_voters(&mut self) {
        (self.voters, self.observers) = self.members_through(u64::MAX);
        if self.state == RaftState::Leader {
            let next = self.log.last_index() + 1;
            for v in self.voters.iter().chain(&self.observers) {
                self.progress.entry(*v).or_insert(Progress::new(next, None));
            }
        }
    }

    fn membership_change_pending(&self) -> bool {
        self.log.entries().iter().any(|e| {
            e.index > self.commit
                && matches!(
                    e.entry.entry_type,
                    EntryType::AddPeer | EntryType::RemovePeer | EntryType::AddObserver
                )
        })
    }

    fn propose_peer_change(&mut self, now: Instant, ty: EntryType, peer: NodeId) -> Result<u64, ProposeError> {
        if self.state == RaftState::Leader && self.membership_change_pending() {
            return Err(ProposeError::MembershipChangeInProgress);
        }
        let e = Entry { entry_type: ty, data: peer.to_le_bytes().to_vec() };
        let index = self.propose_entry(now, e)?;
        self.debug_check();
        Ok(index)
    }

    /// NRG's `ProposeAddPeer`: `peer` becomes a voter once the entry is in
    /// the log.
    pub fn propose_add_peer(&mut self, now: Instant, peer: NodeId) -> Result<u64, ProposeError> {
        self.propose_peer_change(now, EntryType::AddPeer, peer)
    }

    /// Adds `peer` as a non-voting member, or demotes a voter to one: it is
    /// replicated to but neither votes nor counts toward a quorum (NRG has
    /// no such thing: its observers are voters that do not campaign; see
    /// [`set_observer`](Self::set_observer)). A later AddPeer promotes it.
    pub fn propose_add_observer(&mut self, now: Instant, peer: NodeId) -> Result<u64, ProposeError> {
        self.propose_peer_change(now, EntryType::AddObserver, peer)
    }

    /// NRG's `ProposeRemovePeer`. A leader that removes itself keeps
    /// leading until the removal commits, then steps down.
    pub fn propose_remove_peer(&mut self, now: Instant, peer: NodeId) -> Result<u64, ProposeError> {
        self.propose_peer_change(now, EntryType::RemovePeer, peer)
    }
}

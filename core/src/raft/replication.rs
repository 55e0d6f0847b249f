//! Log replication: proposals, append entries with flow control, their
//! responses, catch-up of lagging followers from the log, and commit.
//!
//! Safety rules beyond NRG:
//! - a follower acknowledges only entries that are durable (the response
//!   is a `persisted_message`), and the leader counts itself only up to its
//!   durable index;
//! - acknowledgements from a follower that is repairing its log do not
//!   count toward a quorum;
//! - a follower never truncates an entry at or below its commit index: an
//!   append entry asking for that is refused and counted
//!   ([`RaftNode::refused_truncations`]).

use super::messages::{
    AppendEntry, AppendEntryResponse, Entry, EntryType, LogEntry, Message, NodeId,
};
use super::node::{ProposeError, RaftNode, RaftState};
use crate::time::Instant;

impl RaftNode {
    /// NRG's `Propose`: appends `data` as a normal entry; returns its index.
    pub fn propose(&mut self, now: Instant, data: Vec<u8>) -> Result<u64, ProposeError> {
        let index = self.propose_entry(now, Entry::normal(data))?;
        self.debug_check();
        Ok(index)
    }

    pub(super) fn propose_entry(&mut self, _now: Instant, e: Entry) -> Result<u64, ProposeError> {
        if self.state != RaftState::Leader {
            return Err(ProposeError::NotLeader(self.leader));
        }
        if self.transfer_to.is_some() {
            return Err(ProposeError::Transferring);
        }
        let index = self.append_new(e);
        // Sent with the next Ready, so that proposals made together
        // travel in one append entry per follower.
        self.broadcast_pending = true;
        Ok(index)
    }

    /// Sends what each peer needs; `heartbeat` also sends empty appends and
    /// retransmits to peers that are behind.
    pub(super) fn broadcast_append(&mut self, now: Instant, heartbeat: bool) {
        for p in self.peers() {
            self.send_append(p, heartbeat);
        }
        if heartbeat {
            self.heartbeat_deadline = now + self.cfg.heartbeat_interval;
        }
    }

    pub(super) fn send_append(&mut self, to: NodeId, heartbeat: bool) {
        let last = self.log.last_index();
        let Some(pr) = self.progress.get_mut(&to) else {
            return;
        };
        if heartbeat && pr.match_index < last {
            // Retransmit from the last acknowledged entry (lost packets).
            pr.next_index = pr.match_index + 1;
        }
        let pr = *pr;
        if pr.next_index <= self.log.snap_index() {
            self.send_snapshot(to, heartbeat);
            return;
        }
        let inflight = (pr.next_index - 1).saturating_sub(pr.match_index);
        let room = self.cfg.max_inflight_entries.saturating_sub(inflight) as usize;
        let max = room.min(self.cfg.max_append_entries);
        if !heartbeat && (pr.next_index > last || max == 0) {
            return;
        }
        let pindex = pr.next_index - 1;
        let Some(pterm) = self.log.term_at(pindex) else {
            return;
        };
        let entries: Vec<LogEntry> = (pr.next_index..=last)
            .take(max)
            .filter_map(|i| self.log.get(i).cloned())
            .collect();
        let sent = entries.len() as u64;
        let ae = AppendEntry {
            leader: self.cfg.id,
            term: self.term,
            commit: self.commit,
            pterm,
            pindex,
            entries,
        };
        if let Some(pr) = self.progress.get_mut(&to) {
            pr.next_index += sent;
        }
        self.send(to, Message::AppendEntry(ae));
    }

    pub(super) fn respond_append(&mut self, to: NodeId, success: bool, index: u64) {
        let resp = AppendEntryResponse {
            term: self.term,
            index,
            peer: self.cfg.id,
            success,
            repaired: self.is_repaired() || self.cfg.bugs.vote_with_unrepaired_log,
            snapshot: false,
        };
        self.send_after_persist(to, Message::AppendEntryResponse(resp));
    }

    pub(super) fn handle_append_entry(&mut self, now: Instant, from: NodeId, mut ae: AppendEntry) {
        if ae.leader != from {
            return;
        }
        if ae.term < self.term {
            // NRG: TestNRGAEFromOldLeader: refuse, do not reset anything.
            self.respond_append(from, false, self.log.last_index());
            return;
        }
        if ae.term > self.term || self.state != RaftState::Follower {
            // Same term as a leader or candidate: the sender won this term;
            // keep our vote (TestNRGStepDownOnSameTermDoesntClearVote).
            self.become_follower(now, ae.term, Some(from));
        }
        self.leader = Some(from);
        self.last_leader_contact = Some(now);
        self.reset_election_timer(now);
        if ae.entries.len() == 1 && ae.entries[0].entry.entry_type == EntryType::Snapshot {
            self.handle_snapshot_entry(now, from, ae);
            return;
        }
        // Entries already covered by our snapshot are committed: skip them.
        let snap = self.log.snap_index();
        if ae.pindex < snap {
            let skip = (snap - ae.pindex) as usize;
            ae.entries.drain(..skip.min(ae.entries.len()));
            ae.pindex = snap;
            ae.pterm = self.log.snap_term();
        }
        match self.log.term_at(ae.pindex) {
            None => {
                self.respond_append(from, false, self.log.last_index());
                return;
            }
            Some(t) if t != ae.pterm => {
                let hint = self.conflict_hint(ae.pindex);
                self.respond_append(from, false, hint);
                return;
            }
            Some(_) => {}
        }
        let last_new = ae.pindex + ae.entries.len() as u64;
        for e in ae.entries {
            match self.log.term_at(e.index) {
                Some(t) if t == e.term => continue,
                Some(_) if e.index <= self.commit => {
                    self.refused_truncations += 1;
                    return;
                }
                Some(_) => self.truncate_local(e.index),
                None => {}
            }
            let transfer = e.entry.entry_type == EntryType::LeaderTransfer;
            let me = transfer && e.entry.data == self.cfg.id.to_le_bytes();
            self.append_local(e);
            if me {
                self.pending_transfer = true;
            }
        }
        let commit = ae.commit.min(last_new);
        if commit > self.commit {
            self.commit = commit;
        }
        if self.repair_index.is_some_and(|r| last_new >= r) {
            self.repair_index = None;
        }
        self.respond_append(from, true, last_new);
        if std::mem::take(&mut self.pending_transfer) && self.can_campaign() {
            self.become_candidate(now, true);
        }
    }

    /// After a term mismatch at `pindex`: the index before the first entry
    /// of the mismatching term (never below the commit index).
    fn conflict_hint(&self, pindex: u64) -> u64 {
        let t = self.log.term_at(pindex);
        let mut i = pindex - 1;
        while i > self.commit && i > self.log.snap_index() && self.log.term_at(i) == t {
            i -= 1;
        }
        i.max(self.commit)
    }

    pub(super) fn handle_append_entry_response(
        &mut self,
        now: Instant,
        from: NodeId,
        r: AppendEntryResponse,
    ) {
        if r.peer != from {
            return;
        }
        if r.term > self.term {
            self.become_follower(now, r.term, None);
            return;
        }
        if self.state != RaftState::Leader || r.term != self.term {
            return;
        }
        let last = self.log.last_index();
        let Some(pr) = self.progress.get_mut(&from) else {
            return;
        };
        pr.last_ack = Some(now);
        if r.snapshot {
            self.handle_snapshot_ack(from, r.index);
            return;
        }
        // Only news triggers a send: duplicated or stale responses must not
        // multiply the traffic.
        let before = *pr;
        if r.success {
            if r.index > last {
                return;
            }
            pr.match_index = pr.match_index.max(r.index);
            pr.next_index = pr.next_index.max(pr.match_index + 1);
            pr.repaired = r.repaired;
            if pr.snap_send.is_some_and(|s| pr.match_index >= s.index) {
                pr.snap_send = None;
            }
            self.maybe_commit(now);
        } else {
            if !r.repaired && r.index < pr.match_index {
                // The follower restarted having lost entries it had
                // acknowledged (it is repairing): what we knew it held is
                // gone, so walk back from its hint instead.
                pr.match_index = 0;
                pr.repaired = false;
            }
            let lowered = (r.index + 1).min(pr.next_index.saturating_sub(1));
            pr.next_index = lowered.max(pr.match_index + 1);
        }
        let changed = self.progress.get(&from).is_some_and(|p| {
            (p.match_index, p.next_index) != (before.match_index, before.next_index)
        });
        if self.state == RaftState::Leader && changed {
            self.send_append(from, false);
        }
    }

    /// Leader: advances the commit index to the highest index durable on a
    /// quorum of repaired voters, if it is of the current term.
    pub(super) fn maybe_commit(&mut self, now: Instant) {
        let count_unrepaired = self.cfg.bugs.vote_with_unrepaired_log;
        let mut matches: Vec<u64> = self
            .voters
            .iter()
            .filter_map(|v| {
                if *v == self.cfg.id {
                    return Some(self.durable_last);
                }
                self.progress
                    .get(v)
                    .filter(|p| p.repaired || count_unrepaired)
                    .map(|p| p.match_index)
            })
            .collect();
        let q = self.quorum();
        if matches.len() < q {
            return;
        }
        matches.sort_unstable_by(|a, b| b.cmp(a));
        let n = matches[q - 1];
        if n > self.commit && self.log.term_at(n) == Some(self.term) {
            self.commit = n;
            if !self.voters.contains(&self.cfg.id) {
                // Our own removal committed (NRG: the leader steps down).
                self.become_follower(now, self.term, None);
            }
        }
    }
}

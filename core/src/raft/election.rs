//! Leader election: randomized timeouts, the pre-vote phase, votes, leader
//! stickiness, quorum checks and stepping down (with a preferred successor).
//!
//! Safety rules beyond NRG:
//! - a vote (and the term it is in) is durable before the response leaves:
//!   responses go out as `persisted_messages`;
//! - a node whose log is unrepaired neither grants (pre-)votes nor
//!   campaigns;
//! - time only decides *when* to campaign and whether a leader was heard
//!   from recently (stickiness), never whether a vote is safe.

use super::messages::{Entry, EntryType, Message, NodeId, VoteRequest, VoteResponse};
use super::node::{Progress, RaftNode, RaftState};
use crate::time::Instant;

impl RaftNode {
    /// Whether this node may stand for election.
    pub(super) fn can_campaign(&self) -> bool {
        !self.cfg.observer
            && self.voters.contains(&self.cfg.id)
            && (self.is_repaired() || self.cfg.bugs.vote_with_unrepaired_log)
    }

    /// Whether a leader was heard from within the minimum election timeout.
    fn leader_is_fresh(&self, now: Instant) -> bool {
        self.state == RaftState::Leader
            || self
                .last_leader_contact
                .is_some_and(|t| now.saturating_duration_since(t) < self.cfg.election_timeout_min)
    }

    pub(super) fn on_election_timeout(&mut self, now: Instant) {
        self.reset_election_timer(now);
        if !self.can_campaign() {
            return;
        }
        if self.cfg.pre_vote {
            self.start_pre_vote(now);
        } else {
            self.become_candidate(now, false);
        }
    }

    /// NRG's `Campaign`: start an election now (skipping the pre-vote).
    pub fn campaign(&mut self, now: Instant) {
        if self.state != RaftState::Leader && self.can_campaign() {
            self.become_candidate(now, false);
        }
        self.debug_check();
    }

    fn start_pre_vote(&mut self, now: Instant) {
        self.state = RaftState::PreCandidate;
        self.leader = None;
        self.votes.clear();
        self.votes.insert(self.cfg.id, true);
        if self.tally_won() {
            self.become_candidate(now, false);
            return;
        }
        let req = VoteRequest {
            term: self.term + 1,
            last_term: self.log.last_term(),
            last_index: self.log.last_index(),
            candidate: self.cfg.id,
            pre_vote: true,
            transfer: false,
        };
        for p in self.peers() {
            self.send(p, Message::VoteRequest(req.clone()));
        }
    }

    pub(super) fn become_candidate(&mut self, now: Instant, transfer: bool) {
        self.state = RaftState::Candidate;
        self.leader = None;
        self.transfer_to = None;
        let term = self.term + 1;
        self.set_hard_state(term, Some(self.cfg.id));
        self.reset_election_timer(now);
        self.votes.clear();
        self.votes.insert(self.cfg.id, true);
        if self.tally_won() {
            self.become_leader(now);
            return;
        }
        let req = VoteRequest {
            term,
            last_term: self.log.last_term(),
            last_index: self.log.last_index(),
            candidate: self.cfg.id,
            pre_vote: false,
            transfer,
        };
        for p in self.peers() {
            // Our own vote must be durable before we ask for others'.
            self.send_after_persist(p, Message::VoteRequest(req.clone()));
        }
    }

    fn tally_won(&self) -> bool {
        let granted = self
            .votes
            .iter()
            .filter(|(p, g)| **g && self.voters.contains(p))
            .count();
        granted >= self.quorum()
    }

    fn tally_lost(&self) -> bool {
        let denied = self
            .votes
            .iter()
            .filter(|(p, g)| !**g && self.voters.contains(p))
            .count();
        denied >= self.quorum()
    }

    pub(super) fn become_follower(&mut self, now: Instant, term: u64, leader: Option<NodeId>) {
        let vote = if term > self.term { None } else { self.vote };
        self.set_hard_state(term, vote);
        if self.state == RaftState::Leader || self.state == RaftState::Candidate {
            self.reset_election_timer(now);
        }
        self.state = RaftState::Follower;
        self.leader = leader;
        self.transfer_to = None;
        self.progress.clear();
        self.votes.clear();
        self.heartbeat_deadline = Instant::MAX;
        self.quorum_deadline = Instant::MAX;
    }

    pub(super) fn become_leader(&mut self, now: Instant) {
        self.state = RaftState::Leader;
        self.leader = Some(self.cfg.id);
        self.transfer_to = None;
        self.votes.clear();
        let next = self.log.last_index() + 1;
        self.progress = self
            .voters
            .iter()
            .chain(&self.observers)
            .map(|p| {
                (*p, Progress::new(next, Some(now)))
            })
            .collect();
        self.quorum_deadline = now + self.cfg.election_timeout_max;
        // NRG: a new leader appends its peer state; it doubles as the
        // no-op that lets it commit entries of earlier terms.
        let e = self.peer_state_entry();
        self.append_new(e);
        self.broadcast_append(now, true);
    }

    /// Leader: steps down if it has not heard from a quorum in an election
    /// timeout (NRG's lost-quorum check).
    pub(super) fn check_quorum(&mut self, now: Instant) {
        self.quorum_deadline = now + self.cfg.election_timeout_max;
        let window = self.cfg.election_timeout_max;
        let id = self.cfg.id;
        let heard = self
            .progress
            .iter()
            .filter(|(p, pr)| {
                self.voters.contains(p)
                    && (**p == id || pr.last_ack.is_some_and(|t| now.saturating_duration_since(t) < window))
            })
            .count();
        if heard < self.quorum() {
            self.become_follower(now, self.term, None);
        }
    }

    pub(super) fn handle_vote_request(&mut self, now: Instant, from: NodeId, v: VoteRequest) {
        if v.candidate != from {
            return;
        }
        let repaired = self.is_repaired() || self.cfg.bugs.vote_with_unrepaired_log;
        let eligible = repaired
            && self.voters.contains(&from)
            && self.voters.contains(&self.cfg.id)
            && !self.cfg.observer;
        let up_to_date = self.log.is_up_to_date(v.last_term, v.last_index);
        let sticky = self.leader_is_fresh(now) && !v.transfer;
        if v.pre_vote {
            let granted = eligible && up_to_date && !sticky && v.term > self.term;
            let resp = VoteResponse {
                term: if granted { v.term } else { self.term },
                peer: self.cfg.id,
                granted,
                empty: self.log.last_index() == 0,
                pre_vote: true,
            };
            self.send(from, Message::VoteResponse(resp));
            return;
        }
        if v.term > self.term {
            if sticky {
                // A leader is alive: ignore the disruption entirely.
                return;
            }
            self.become_follower(now, v.term, None);
        }
        let free = self.vote.is_none() || self.vote == Some(from);
        let granted = eligible && v.term == self.term && free && up_to_date;
        if granted {
            self.set_hard_state(self.term, Some(from));
            self.reset_election_timer(now);
        }
        let resp = VoteResponse {
            term: self.term,
            peer: self.cfg.id,
            granted,
            empty: self.log.last_index() == 0,
            pre_vote: false,
        };
        self.send_after_persist(from, Message::VoteResponse(resp));
    }

    pub(super) fn handle_vote_response(&mut self, now: Instant, from: NodeId, v: VoteResponse) {
        if v.peer != from {
            return;
        }
        if v.term > self.term && !(v.pre_vote && v.granted) {
            self.become_follower(now, v.term, None);
            return;
        }
        match self.state {
            RaftState::PreCandidate if v.pre_vote && v.term == self.term + 1 => {
                self.votes.insert(from, v.granted);
                if self.tally_won() {
                    self.become_candidate(now, false);
                } else if self.tally_lost() {
                    self.become_follower(now, self.term, None);
                }
            }
            RaftState::Candidate if !v.pre_vote && v.term == self.term => {
                self.votes.insert(from, v.granted);
                if self.tally_won() {
                    self.become_leader(now);
                }
            }
            _ => {}
        }
    }

    /// NRG's `StepDown`. With a `preferred` successor that is a voter, the
    /// leader appends a LeaderTransfer entry naming it; once the successor
    /// has it, it campaigns at once (its vote requests bypass leader
    /// stickiness). The leader stops being leader immediately either way.
    pub fn step_down(&mut self, now: Instant, preferred: Option<NodeId>) {
        if self.state != RaftState::Leader {
            return;
        }
        match preferred.filter(|p| *p != self.cfg.id && self.voters.contains(p)) {
            Some(p) => {
                let e = Entry { entry_type: EntryType::LeaderTransfer, data: p.to_le_bytes().to_vec() };
                self.append_new(e);
                self.broadcast_append(now, false);
                self.become_follower(now, self.term, None);
                // Give the successor time before campaigning ourselves.
                self.last_leader_contact = Some(now);
            }
            None => self.become_follower(now, self.term, None),
        }
        self.debug_check();
    }
}

//! Crossing an account boundary (Go's `checkForImportServices`,
//! `processServiceImport`, and the shadow subscriptions of stream imports):
//! the engine calls [`Server::route_across`] after delivering a message in
//! its own account, and only for accounts that have imports, exports in
//! use, or pending responses.

use bytes::Bytes;

use crate::time::Instant;

use super::super::timers::TimerKind;
use super::super::{ConnId, Server, INTERNAL_CONN};
use super::{map_subject, new_service_reply, AccountId, ResponseImport, ResponseType};

/// Attempts at a fresh `_R_` reply before giving up (a collision among
/// 62^6 values needs thousands of pending responses; retrying is cheap).
const REPLY_ATTEMPTS_MAX: usize = 8;

impl Server {
    /// Delivers a message published in `acc` to the other accounts it may
    /// reach: stream importers of the subject, the exporter of a service
    /// the subject imports, or the requester a `_R_` response belongs to.
    /// Returns the number of deliveries.
    pub(in crate::server) fn route_across(
        &mut self,
        acc: AccountId,
        from: ConnId,
        routed: &Bytes,
        reply: Option<&Bytes>,
        header_len: Option<usize>,
        message: &Bytes,
    ) -> usize {
        let mut delivered = 0;
        let a = self.accounts.get_mut(acc);
        if !a.stream_targets.is_empty() {
            let matched = a.stream_routes.match_subject(routed);
            let targets: Vec<_> = matched.psubs.iter().map(|&i| a.stream_targets[i as usize].clone()).collect();
            for t in targets {
                let to = map_subject(routed, &t.from, &t.to);
                delivered += self.deliver_in(t.account, from, true, &to, &to, reply, header_len, message);
            }
        }
        let a = self.accounts.get_mut(acc);
        if !a.responses.is_empty() && routed.starts_with(a.reply_prefix.as_bytes()) {
            if let Some(resp) = a.responses.get(routed).cloned() {
                if resp.expires <= self.now {
                    a.responses.remove(routed);
                    return delivered;
                }
                if resp.response_type == ResponseType::Singleton {
                    a.responses.remove(routed);
                }
                // Only the requester's own reply subject is reachable.
                let to = resp.reply;
                return delivered + self.deliver_in(resp.account, from, true, &to, &to, None, header_len, message);
            }
        }
        let a = self.accounts.get_mut(acc);
        if !a.service_imports.is_empty() {
            let matched = a.service_routes.match_subject(routed);
            // One service import per subject: the first configured wins.
            let Some(&i) = matched.psubs.iter().min() else { return delivered };
            let si = a.service_imports[i as usize].clone();
            let to = map_subject(routed, si.to.as_bytes(), si.from.as_bytes());
            let mapped_reply = match reply {
                Some(r) => self.add_response(si.account, acc, r, si.response_type, si.response_threshold),
                None => None,
            };
            delivered += self.deliver_in(si.account, from, true, &to, &to, mapped_reply.as_ref(), header_len, message);
            // A request nobody in the exporter took leaves no mapping behind.
            if delivered == 0 {
                if let Some(r) = &mapped_reply {
                    self.accounts.get_mut(si.account).responses.remove(r);
                }
            }
        }
        delivered
    }

    /// Go's `addRespServiceImport`: a fresh `_R_` reply in the exporter
    /// that leads back to `reply` in the requester's account.
    fn add_response(
        &mut self,
        exporter: AccountId,
        requester: AccountId,
        reply: &Bytes,
        response_type: ResponseType,
        threshold: std::time::Duration,
    ) -> Option<Bytes> {
        let expires = self.now + threshold;
        let a = self.accounts.get_mut(exporter);
        for _ in 0..REPLY_ATTEMPTS_MAX {
            let nr = new_service_reply(&a.reply_prefix, &mut self.prng);
            if a.responses.contains_key(&nr) {
                continue;
            }
            let r = ResponseImport { account: requester, reply: reply.clone(), response_type, expires };
            a.responses.insert(nr.clone(), r);
            if self.response_timer.is_none_or(|t| t > expires) {
                self.response_timer = Some(expires);
                self.timers.schedule(expires, INTERNAL_CONN, TimerKind::Responses);
            }
            return Some(nr);
        }
        tracing::warn!("could not allocate a service reply in account {}", a.name);
        None
    }

    /// Go's response threshold timer: forget responses nobody sent in time.
    pub(in crate::server) fn on_response_timer(&mut self, now: Instant) {
        if self.response_timer.is_none_or(|t| t > now) {
            return;
        }
        self.response_timer = self.accounts.expire_responses(now);
        if let Some(at) = self.response_timer {
            self.timers.schedule(at, INTERNAL_CONN, TimerKind::Responses);
        }
    }
}

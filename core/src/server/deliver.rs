//! Routing a published message to matching subscriptions (Go's
//! `processMsgResults` and `deliverMsg`): every plain subscription gets a
//! copy, each queue group one member, chosen at random from a seeded PRNG;
//! `echo: false` suppresses self-delivery; auto-unsubscribe counts; headers
//! are stripped for subscribers that did not declare header support; and a
//! requester that asked for it gets a 503 no-responders status.

use bytes::Bytes;

use crate::protocol::encode;

use super::accounts::AccountId;
use super::client::CloseReason;
use super::internal::INTERNAL_CONN;
use super::subs::SubRef;
use super::{ConnId, Server};

impl Server {
    /// Routes a message published by `from` in account `acc`.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(super) fn deliver(
        &mut self,
        acc: AccountId,
        from: ConnId,
        echo: bool,
        subject: &Bytes,
        reply: Option<&Bytes>,
        header_len: Option<usize>,
        message: &Bytes,
    ) {
        self.deliver_shown(acc, from, echo, subject, subject, reply, header_len, message);
    }

    /// Routes on `routed` but shows subscribers `subject` (Go's
    /// `pa.deliver`): first the publisher's own account, then, when the
    /// account has any, its imports and exports (see [`super::accounts`]).
    /// Returns how many subscriptions got the message.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn deliver_shown(
        &mut self,
        acc: AccountId,
        from: ConnId,
        echo: bool,
        routed: &Bytes,
        subject: &Bytes,
        reply: Option<&Bytes>,
        header_len: Option<usize>,
        message: &Bytes,
    ) -> usize {
        let mut delivered = self.deliver_in(acc, from, echo, routed, subject, reply, header_len, message);
        if self.accounts.get(acc).has_routes() {
            delivered += self.route_across(acc, from, routed, reply, header_len, message);
        }
        if delivered == 0 {
            if let Some(reply) = reply {
                self.maybe_no_responders(acc, from, subject, reply);
            }
        }
        delivered
    }

    /// Delivers to the matching subscriptions of one account; returns how
    /// many got the message.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn deliver_in(
        &mut self,
        acc: AccountId,
        from: ConnId,
        echo: bool,
        routed: &Bytes,
        subject: &Bytes,
        reply: Option<&Bytes>,
        header_len: Option<usize>,
        message: &Bytes,
    ) -> usize {
        let result = self.accounts.get_mut(acc).sublist.match_subject(routed);
        let mut delivered = 0usize;
        let last_psub = result.psubs.len().saturating_sub(1);
        // The internal client takes a message once even when several of its
        // subscriptions match (it dispatches by subject, not by sid).
        let mut internal_done = false;
        for (i, &r) in result.psubs.iter().enumerate() {
            if self.canary.skip_last_psub && i == last_psub && i >= 2 {
                continue;
            }
            let internal = self.subs.get(r).is_some_and(|s| s.conn == INTERNAL_CONN);
            if internal && internal_done {
                continue;
            }
            if self.deliver_to(from, echo, r, subject, reply, header_len, message) {
                delivered += 1;
                internal_done |= internal;
            }
        }
        for group in &result.qsubs {
            let n = group.members.len();
            if n == 0 {
                continue;
            }
            let start = self.prng.below(n as u64) as usize;
            for k in 0..n {
                let r = group.members[(start + k) % n];
                if self.deliver_to(from, echo, r, subject, reply, header_len, message) {
                    delivered += 1;
                    break;
                }
            }
        }
        delivered
    }

    /// Delivers to one subscription; false when it was skipped.
    #[allow(clippy::too_many_arguments)]
    fn deliver_to(
        &mut self,
        from: ConnId,
        echo: bool,
        r: SubRef,
        subject: &Bytes,
        reply: Option<&Bytes>,
        header_len: Option<usize>,
        message: &Bytes,
    ) -> bool {
        let Some(sub) = self.subs.get_mut(r) else { return false };
        let to = sub.conn;
        if to == from && !echo {
            return false;
        }
        if to == INTERNAL_CONN {
            sub.delivered += 1;
            let acc = sub.acc;
            self.deliver_internal(acc, subject, reply, header_len, message);
            return true;
        }
        let Some(c) = self.conns.get_mut(&to) else { return false };
        if c.is_closing() {
            return false;
        }
        // A wildcard subscription allowed by an allow list may still cover
        // subjects its deny list forbids (Go's mperms).
        if let Some(p) = &mut c.perms {
            if p.has_subscribe_deny() && p.deliver_denied(subject) {
                return false;
            }
            if let Some(r) = reply.filter(|_| p.has_response_permission()) {
                p.note_reply(r, self.now);
            }
        }
        sub.delivered += 1;
        let reached_max = sub.max.is_some_and(|m| sub.delivered >= m);
        let sid = sub.sid.clone();
        let before = c.outbound.len();
        match header_len {
            Some(h) if c.opts.headers => {
                encode::write_hmsg(&mut c.outbound, subject, &sid, reply.map(|r| &r[..]), h, message)
            }
            Some(h) => encode::write_msg(&mut c.outbound, subject, &sid, reply.map(|r| &r[..]), &message[h..]),
            None => encode::write_msg(&mut c.outbound, subject, &sid, reply.map(|r| &r[..]), message),
        }
        let _ = before;
        let payload_len = message.len() as u64;
        c.out_msgs += 1;
        c.out_bytes += payload_len;
        self.stats.out_msgs += 1;
        self.stats.out_bytes += payload_len;
        let pending = c.outbound.len() as i64;
        if reached_max {
            self.remove_sub(to, &sid);
        }
        if self.opts.max_pending > 0 && pending > self.opts.max_pending {
            if let Some(c) = self.conns.get(&to) {
                tracing::info!(
                    "{} - Slow Consumer Detected: MaxPending of {} Exceeded",
                    c.log_prefix(),
                    self.opts.max_pending
                );
            }
            self.stats.slow_consumers += 1;
            self.close_conn(to, CloseReason::SlowConsumerPendingBytes, false);
            return true;
        }
        self.want_transmit(to);
        true
    }

    /// Go's no-responders status: when a publish with a reply reached no
    /// one, and the publisher asked for `no_responders` and holds a
    /// subscription on the reply subject, it gets
    /// `HMSG <reply> <sid> <n> <n>` with `NATS/1.0 503` and `Nats-Subject`.
    fn maybe_no_responders(&mut self, acc: AccountId, from: ConnId, subject: &Bytes, reply: &Bytes) {
        let Some(c) = self.conns.get(&from) else { return };
        if !c.opts.no_responders || c.is_closing() {
            return;
        }
        let result = self.accounts.get_mut(acc).sublist.match_subject(reply);
        let sid = result
            .psubs
            .iter()
            .filter_map(|r| self.subs.get(*r))
            .find(|s| s.conn == from)
            .map(|s| s.sid.clone());
        let Some(sid) = sid else { return };
        let mut hdr = Vec::with_capacity(32 + subject.len());
        hdr.extend_from_slice(b"NATS/1.0 503\r\nNats-Subject: ");
        hdr.extend_from_slice(subject);
        hdr.extend_from_slice(b"\r\n\r\n");
        let Some(c) = self.conns.get_mut(&from) else { return };
        encode::write_hmsg(&mut c.outbound, reply, &sid, None, hdr.len(), &hdr);
        self.want_transmit(from);
    }
}

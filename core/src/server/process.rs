//! Processing of decoded client operations (Go's `processConnect`,
//! `processPub`, `processSub`, `processUnsub`, `processPing`, ...), and the
//! PING and auth timers.

use std::time::Duration;

use bytes::Bytes;

use crate::protocol::parser::State;
use crate::protocol::{encode, go_quote, Op, ParseError};
use crate::subject;
use crate::time::Instant;

use super::accounts::GLOBAL;
use super::client::{CloseReason, ConnState};
use super::connect::{CLIENT_PROTO_INFO, CLIENT_PROTO_ZERO};
use super::perms::ClientPermissions;
use super::subs::Subscription;
use super::timers::TimerKind;
use super::{ConnId, Server};

/// Go's `gwReplyPrefix`: clients may not publish on gateway-routed replies.
const GW_REPLY_PREFIX: &[u8] = b"_GR_.";
/// Go's `clientNRGPrefix`: reserved for Raft traffic (newer Go only).
const CLIENT_NRG_PREFIX: &[u8] = b"$NRG.";
/// Go's `replyPrefix`: service import replies.
const SERVICE_REPLY_PREFIX: &[u8] = b"_R_.";
/// Go's `jsAckPre`.
const JS_ACK_PREFIX: &[u8] = b"$JS.ACK.";
/// Go's `sysGroup`: a queue name clients may not use.
const SYS_GROUP: &[u8] = b"_sys_";

/// `s` starts with `prefix` and has at least one byte more (Go's checks
/// compare `len(s) > len(prefix)` first).
fn has_prefix_beyond(s: &[u8], prefix: &[u8]) -> bool {
    s.len() > prefix.len() && s.starts_with(prefix)
}

/// Go's `isReservedReply`: reply subjects a client may not set.
fn is_reserved_reply(reply: &[u8]) -> bool {
    has_prefix_beyond(reply, SERVICE_REPLY_PREFIX)
        || has_prefix_beyond(reply, JS_ACK_PREFIX)
        || has_prefix_beyond(reply, GW_REPLY_PREFIX)
}

/// A publish that `process_pub` might refuse even without permissions:
/// reserved subject prefixes or a reserved reply. Such a PUB leaves the
/// hot path so every check lives in one place.
fn is_restricted_publish(subject: &[u8], reply: Option<&[u8]>) -> bool {
    has_prefix_beyond(subject, GW_REPLY_PREFIX)
        || subject.starts_with(CLIENT_NRG_PREFIX)
        || reply.is_some_and(is_reserved_reply)
}

impl Server {
    /// Decodes and processes every complete op in the connection's buffer.
    pub(super) fn process_input(&mut self, now: Instant, id: ConnId) {
        let auth_required = self.auth.required();
        let trace = tracing::enabled!(tracing::Level::TRACE);
        loop {
            let Some(c) = self.conns.get_mut(&id) else { return };
            if c.is_closing() {
                return;
            }
            // Go's parser, awaiting auth, accepts nothing but a `C`/`c` as
            // the first byte of an op: PING, PONG and unknown verbs alike
            // are an Authorization Violation.
            let awaiting_auth = self.auth.required() && !c.connect_received;
            if awaiting_auth && c.parser.state() == State::OP_START {
                if let Some(&b) = c.read_buf.first() {
                    if b != b'C' && b != b'c' {
                        self.auth_violation(id, "operation before CONNECT");
                        return;
                    }
                }
            }
            let op = match c.parser.parse(&mut c.read_buf) {
                Ok(Some(op)) => op,
                Ok(None) => return,
                Err(e) => {
                    self.on_parse_error(id, e);
                    return;
                }
            };
            // The hot path: a PUB from a client that needs no auth or
            // permission checks is routed with one connection lookup. It
            // behaves exactly as `process_pub` (same checks, same order).
            let plain = (c.connect_received || !auth_required) && c.perms.is_none() && !trace;
            match op {
                Op::Pub { subject, reply, payload } if plain && !is_restricted_publish(&subject, reply.as_deref()) => {
                    let len = payload.len() as u64;
                    c.in_msgs += 1;
                    c.in_bytes += len;
                    self.stats.in_msgs += 1;
                    self.stats.in_bytes += len;
                    let (verbose, pedantic, echo, acc) = (c.opts.verbose, c.opts.pedantic, c.opts.echo, c.acc);
                    if pedantic && !subject::is_valid_literal_subject(&subject) {
                        self.send_err(id, "Invalid Publish Subject");
                    }
                    if verbose {
                        self.send_ok_if_verbose(id);
                    }
                    self.deliver(acc, id, echo, &subject, reply.as_ref(), None, &payload);
                }
                op => self.process_op(now, id, op),
            }
        }
    }

    fn on_parse_error(&mut self, id: ConnId, e: ParseError) {
        let reason = match e {
            ParseError::MaxPayload { .. } => CloseReason::MaxPayloadExceeded,
            ParseError::MaxControlLine { .. } => CloseReason::MaxControlLineExceeded,
            _ => CloseReason::ParseError,
        };
        if let Some(c) = self.conns.get(&id) {
            tracing::error!("{} - Client parser ERROR: {}", c.log_prefix(), e);
        }
        if e.sends_err() {
            self.send_err(id, &e.err_text());
        }
        self.close_conn(id, reason, true);
    }

    fn process_op(&mut self, now: Instant, id: ConnId, op: Op) {
        if tracing::enabled!(tracing::Level::TRACE) {
            if let Some(c) = self.conns.get(&id) {
                tracing::trace!("{} - <<- [{}]", c.log_prefix(), op.verb());
            }
        }
        // Before CONNECT, with auth on, only CONNECT gets here (see
        // process_input); this guards the invariant for any other caller.
        let awaiting_auth = {
            let Some(c) = self.conns.get(&id) else { return };
            self.auth.required() && !c.connect_received
        };
        if awaiting_auth && !matches!(op, Op::Connect(_)) {
            self.auth_violation(id, "operation before CONNECT");
            return;
        }
        match op {
            Op::Connect(json) => self.process_connect(now, id, &json),
            Op::Pub { subject, reply, payload } => {
                self.process_pub(id, subject, reply, None, payload);
            }
            Op::Hpub { subject, reply, header_len, message } => {
                if !self.conns.get(&id).is_some_and(|c| c.opts.headers) {
                    // Go closes a client that sends HPUB without declaring
                    // header support, with no error on the wire.
                    self.close_conn(id, CloseReason::ProtocolViolation, true);
                    return;
                }
                // Go: a message has headers only when the header length is
                // positive; `HPUB foo 0 2` is delivered as a plain MSG.
                let header_len = (header_len > 0).then_some(header_len);
                self.process_pub(id, subject, reply, header_len, message);
            }
            Op::Sub { subject, queue, sid } => self.process_sub(id, subject, queue, sid),
            Op::Unsub { sid, max } => self.process_unsub(id, sid, max),
            Op::Ping => {
                if let Some(c) = self.conns.get_mut(&id) {
                    c.outbound.extend_from_slice(encode::PONG);
                }
                self.want_transmit(id);
            }
            Op::Pong => {
                if let Some(c) = self.conns.get_mut(&id) {
                    c.pings_out = 0;
                    c.rtt_measured = true;
                    if let Some(start) = c.rtt_start.take() {
                        c.rtt = Some(now.saturating_duration_since(start));
                    }
                }
            }
            // INFO and +OK from a client are ignored, as Go ignores them.
            Op::Info(_) | Op::Ok => {}
            Op::Err(text) => {
                if let Some(c) = self.conns.get(&id) {
                    tracing::error!("{} - Received -ERR from client: {}", c.log_prefix(), String::from_utf8_lossy(&text));
                }
                self.close_conn(id, CloseReason::ParseError, true);
            }
            // A client never sends MSG/HMSG: Go's client parser rejects them.
            Op::Msg { .. } | Op::Hmsg { .. } => {
                self.send_err(id, "Unknown Protocol Operation");
                self.close_conn(id, CloseReason::ParseError, true);
            }
        }
    }

    fn send_ok_if_verbose(&mut self, id: ConnId) {
        if let Some(c) = self.conns.get_mut(&id) {
            if c.opts.verbose && !c.is_closing() {
                c.outbound.extend_from_slice(encode::OK);
                self.want_transmit(id);
            }
        }
    }

    pub(super) fn auth_violation(&mut self, id: ConnId, why: &str) {
        if let Some(c) = self.conns.get(&id) {
            tracing::error!("{} - authentication error: {}", c.log_prefix(), why);
        }
        self.send_err(id, "Authorization Violation");
        self.close_conn(id, CloseReason::AuthenticationViolation, true);
    }

    /// Go's `processConnect`, in its order: JSON, (re)authentication on
    /// every CONNECT, the refused `account`/`new_account` designation, the
    /// protocol level, no_responders without headers, then `+OK`. A second
    /// CONNECT first drops the client's subscriptions (newer Go: it may
    /// move the client to another account).
    fn process_connect(&mut self, now: Instant, id: ConnId, json: &Bytes) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if let Err(e) = c.opts.apply(json) {
            tracing::error!("{} - Client parser ERROR, bad CONNECT: {}", c.log_prefix(), e);
            self.close_conn(id, CloseReason::ParseError, true);
            return;
        }
        let first_connect = !c.connect_received;
        c.connect_received = true;
        c.auth_deadline = None;
        c.state = ConnState::Connected;
        if !first_connect {
            self.remove_all_subs(id);
        }
        if self.operator_mode() {
            if !self.operator_authenticate(id) {
                return;
            }
        } else if self.auth.required() {
            let Some(c) = self.conns.get_mut(&id) else { return };
            let who = match self.auth.check(&c.opts, c.nonce.as_bytes(), c.tls.as_ref()) {
                Ok(who) => who,
                Err(why) => {
                    self.auth_violation(id, why);
                    return;
                }
            };
            // Go's `registerWithAccount`: bind once, here; the publish
            // path then uses the cached id.
            let acc = match who.account.as_deref() {
                None => GLOBAL,
                Some(name) => match self.accounts.lookup(name) {
                    Some(acc) => acc,
                    None => {
                        self.auth_violation(id, "account not found");
                        return;
                    }
                },
            };
            c.user = who.user;
            c.acc = acc;
            c.perms = who.permissions.as_ref().map(ClientPermissions::new);
            if !self.apply_account_limits(id) {
                return;
            }
        }
        let Some(c) = self.conns.get_mut(&id) else { return };
        if c.opts.account.is_some() || c.opts.new_account {
            self.auth_violation(id, "account designation in CONNECT");
            return;
        }
        let proto = c.opts.protocol;
        let (headers, no_responders) = (c.opts.headers, c.opts.no_responders);
        if !(CLIENT_PROTO_ZERO..=CLIENT_PROTO_INFO).contains(&proto) {
            self.send_err(id, "invalid client protocol");
            self.close_conn(id, CloseReason::BadClientProtocolVersion, true);
            return;
        }
        if no_responders && !headers {
            self.send_err(id, "no responders requires headers support");
            self.close_conn(id, CloseReason::NoRespondersRequiresHeaders, true);
            return;
        }
        self.send_ok_if_verbose(id);
        if first_connect {
            self.account_connect_event(now, id);
        }
    }

    /// The limits of the account `id` was just bound to: its connection
    /// count (Go cuts the newcomer with `maximum account active connections
    /// exceeded`) and its payload limit. False when the connection was cut.
    pub(super) fn apply_account_limits(&mut self, id: ConnId) -> bool {
        let Some(c) = self.conns.get(&id) else { return false };
        let acc = c.acc;
        let limits = self.accounts.get(acc).limits;
        if limits.max_connections >= 0 && self.account_conns(acc) as i64 > limits.max_connections {
            self.send_err(id, "maximum account active connections exceeded");
            self.close_conn(id, CloseReason::MaxAccountConnectionsExceeded, true);
            return false;
        }
        if limits.max_payload >= 0 && limits.max_payload < i64::from(self.opts.max_payload) {
            let mut l = self.limits;
            l.max_payload = usize::try_from(limits.max_payload).unwrap_or(0);
            if let Some(c) = self.conns.get_mut(&id) {
                c.parser.set_limits(l);
            }
        }
        true
    }

    /// Removes every subscription of `id` (sorted, for replayable order).
    fn remove_all_subs(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        let mut sids: Vec<Bytes> = c.subs.keys().cloned().collect();
        sids.sort_unstable();
        for sid in sids {
            self.remove_sub(id, &sid);
        }
    }

    fn process_pub(
        &mut self,
        id: ConnId,
        subject: Bytes,
        reply: Option<Bytes>,
        header_len: Option<usize>,
        message: Bytes,
    ) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        c.in_msgs += 1;
        c.in_bytes += message.len() as u64;
        self.stats.in_msgs += 1;
        self.stats.in_bytes += message.len() as u64;
        if c.opts.pedantic && !subject::is_valid_literal_subject(&subject) {
            // Go reports this while reading the PUB line, and still
            // processes the message.
            self.send_err(id, "Invalid Publish Subject");
        }
        let Some(c) = self.conns.get_mut(&id) else { return };
        // Go's processInboundClientMsg order: gateway-routed prefix,
        // permissions, the Raft prefix, then reserved reply subjects.
        let allowed = !has_prefix_beyond(&subject, GW_REPLY_PREFIX)
            && c.perms.as_mut().is_none_or(|p| p.can_publish(&subject) || p.can_respond(&subject, self.now))
            && !subject.starts_with(CLIENT_NRG_PREFIX);
        if !allowed {
            let text = format!("Permissions Violation for Publish to {}", go_quote(&subject));
            tracing::error!("{} - Publish Violation - User \"{}\", Subject \"{}\"", c.log_prefix(),
                c.user.as_deref().unwrap_or(""), String::from_utf8_lossy(&subject));
            self.send_err(id, &text);
            return;
        }
        if let Some(r) = reply.as_ref().filter(|r| is_reserved_reply(r)) {
            let text = format!("Permissions Violation for Publish with Reply of {}", go_quote(r));
            tracing::error!("{} - Publish Violation - Reply \"{}\"", c.log_prefix(), String::from_utf8_lossy(r));
            self.send_err(id, &text);
            return;
        }
        self.send_ok_if_verbose(id);
        let Some(c) = self.conns.get(&id) else { return };
        let (echo, acc) = (c.opts.echo, c.acc);
        self.deliver(acc, id, echo, &subject, reply.as_ref(), header_len, &message);
    }

    fn process_sub(&mut self, id: ConnId, subject: Bytes, queue: Option<Bytes>, sid: Bytes) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        let sys_queue = queue.as_deref() == Some(SYS_GROUP);
        if sys_queue || c.perms.is_some() {
            let allowed = !sys_queue && c.perms.as_mut().is_none_or(|p| p.can_subscribe(&subject, queue.as_deref()));
            if !allowed {
                let mut text = format!("Permissions Violation for Subscription to {}", go_quote(&subject));
                if let Some(q) = &queue {
                    text.push_str(&format!(" using queue {}", go_quote(q)));
                }
                tracing::error!("{} - Subscription Violation - User \"{}\", Subject \"{}\"", c.log_prefix(),
                    c.user.as_deref().unwrap_or(""), String::from_utf8_lossy(&subject));
                self.send_err(id, &text);
                return;
            }
        }
        if !subject::is_valid_subject(&subject) || queue.as_ref().is_some_and(|q| !subject::is_valid_queue_name(q)) {
            self.send_err(id, "Invalid Subject");
            return;
        }
        let acc_max = self.accounts.get(c.acc).limits.max_subscriptions;
        let user_max = c.jwt.as_ref().map_or(-1, |u| u.max_subs);
        let over_acc = (acc_max >= 0 && c.subs.len() as i64 >= acc_max) || (user_max >= 0 && c.subs.len() as i64 >= user_max);
        if over_acc || (self.opts.max_subs > 0 && c.subs.len() >= self.opts.max_subs as usize) {
            tracing::error!("{} - maximum subscriptions exceeded", c.log_prefix());
            self.send_err(id, "maximum subscriptions exceeded");
            return;
        }
        // Re-using a sid keeps the original subscription, as Go does.
        if !c.subs.contains_key(&sid) {
            let acc = c.acc;
            let r = self.subs.insert(Subscription {
                conn: id,
                acc,
                subject: subject.clone(),
                queue: queue.clone(),
                sid: sid.clone(),
                max: None,
                delivered: 0,
            });
            if self.accounts.get_mut(acc).sublist.insert(&subject, queue.as_deref(), r).is_err() {
                self.subs.remove(r);
                self.send_err(id, "Invalid Subject");
                return;
            }
            c.subs.insert(sid, r);
        }
        self.send_ok_if_verbose(id);
    }

    fn process_unsub(&mut self, id: ConnId, sid: Bytes, max: Option<u64>) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if let Some(&r) = c.subs.get(&sid) {
            let done = match (max, self.subs.get_mut(r)) {
                (Some(m), Some(s)) if m > s.delivered => {
                    s.max = Some(m);
                    false
                }
                _ => true,
            };
            if done {
                self.remove_sub(id, &sid);
            }
        }
        self.send_ok_if_verbose(id);
    }

    /// Removes one subscription of `id` by sid.
    pub(super) fn remove_sub(&mut self, id: ConnId, sid: &[u8]) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        let Some(r) = c.subs.remove(sid) else { return };
        if let Some(s) = self.subs.remove(r) {
            let _ = self.accounts.get_mut(s.acc).sublist.remove(&s.subject, s.queue.as_deref(), r);
        }
    }

    /// Go's `setFirstPingTimer`: the first PING comes early (at most 2 s,
    /// with up to 20% jitter) so RTT is measured soon after connecting.
    pub(super) fn first_ping_deadline(&mut self, now: Instant) -> Instant {
        let mut d = self.opts.ping_interval.min(Duration::from_secs(2));
        let jitter_ms = (d.as_millis() as u64) / 5;
        if jitter_ms > 0 {
            d += Duration::from_millis(self.prng.below(jitter_ms));
        }
        now + d
    }

    /// Go's `processPingTimer`: skip the PING if the client was recently
    /// active (after RTT is known), cut the connection when too many PINGs
    /// went unanswered, otherwise send one.
    pub(super) fn on_ping_timer(&mut self, now: Instant, id: ConnId) {
        let interval = self.opts.ping_interval;
        let max_out = self.opts.max_pings_out;
        let Some(c) = self.conns.get_mut(&id) else { return };
        let recently_active = now.saturating_duration_since(c.last_in) < interval;
        if !(recently_active && c.rtt_measured) {
            if c.pings_out + 1 > max_out {
                tracing::debug!("{} - Stale Client Connection - Closing", c.log_prefix());
                self.stats.stale_connections += 1;
                self.send_err(id, "Stale Connection");
                self.close_conn(id, CloseReason::StaleConnection, true);
                return;
            }
            c.pings_out += 1;
            c.rtt_start = Some(now);
            c.outbound.extend_from_slice(encode::PING);
            self.want_transmit(id);
        }
        self.set_timer(id, TimerKind::Ping, now + interval);
    }

    pub(super) fn on_auth_timer(&mut self, id: ConnId) {
        let Some(c) = self.conns.get(&id) else { return };
        if c.connect_received {
            return;
        }
        tracing::error!("{} - Authentication Timeout", c.log_prefix());
        self.send_err(id, "Authentication Timeout");
        self.close_conn(id, CloseReason::AuthenticationTimeout, true);
    }
}

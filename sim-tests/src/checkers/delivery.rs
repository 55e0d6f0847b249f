//! The reference model of core NATS delivery, and its checks.
//!
//! Properties checked (a client is *clean* if its connection was never reset
//! and never closed, by either side):
//!
//! - every plain subscription of a clean client receives exactly the
//!   messages the model routed to it, in the order the server processed the
//!   publishes (so: each matching message exactly once, per-publisher order,
//!   nothing after UNSUB or after its max); for other clients, a prefix;
//! - each message reaches at most one member of each queue group, exactly
//!   one if every member is clean, and only members subscribed when the
//!   message was processed;
//! - a request (a publish with a reply) that reached no one gets a 503
//!   no-responders status on the requester's reply subscription when the
//!   requester asked for it, and otherwise gets nothing but real replies;
//! - every PING gets a PONG; a client that sends garbage gets `-ERR`; a
//!   well-behaved client never gets `-ERR` and is never closed by the server;
//! - every MSG carries the subject, reply, headers and payload published;
//! - accounts: a message reaches only clients of its publisher's account,
//!   or of an account importing a stream export that covers its subject
//!   (checked on every MSG, not only against the model's expectations).

use crate::wire::subject_matches;
use bytes::Bytes;
use std::collections::BTreeMap;

/// One client op as the model sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientOp {
    Connect {
        headers: bool,
        no_responders: bool,
    },
    Pub {
        msg: usize,
    },
    Sub {
        sid: u64,
        subject: String,
        queue: Option<String>,
    },
    Unsub {
        sid: u64,
        max: Option<u64>,
    },
    Ping,
    Pong,
    Garbage,
}

/// A published message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgRecord {
    pub publisher: usize,
    pub subject: String,
    pub reply: Option<String>,
    pub headers: Option<Bytes>,
    pub payload: Bytes,
    /// Order in which the server processed it (None: never processed).
    pub processed: Option<u64>,
}

/// What a subscription expects next.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    Msg(usize),
    NoResponders(usize),
}

#[derive(Clone, Debug)]
struct SubModel {
    subject: String,
    queue: Option<String>,
    max: Option<u64>,
    delivered: u64,
}

#[derive(Clone, Debug, Default)]
struct ClientModel {
    /// Server side: the connection is live and processing ops.
    live: bool,
    /// Never reset or closed.
    clean: bool,
    garbage_sent: bool,
    closed_by_server: bool,
    headers: bool,
    no_responders: bool,
    subs: BTreeMap<u64, SubModel>,
    expected: BTreeMap<u64, Vec<Delivery>>,
    received: BTreeMap<u64, Vec<Delivery>>,
    /// Queue deliveries received: (sid, msg).
    queue_received: Vec<(u64, usize)>,
    pings_processed: u64,
    pongs_received: u64,
    errs: Vec<String>,
    info_seen: bool,
    ops_received: u64,
    /// The account the client is bound to (0 without accounts).
    account: usize,
}

#[derive(Clone, Debug)]
struct QueueExpect {
    msg: usize,
    /// Queue groups are per account.
    account: usize,
    group: String,
    members: Vec<(usize, u64)>,
}

/// The model plus every violation found so far.
#[derive(Debug, Default)]
pub struct Model {
    clients: Vec<ClientModel>,
    pub msgs: Vec<MsgRecord>,
    /// Queue-group expectations by message id.
    queue_expects: BTreeMap<usize, Vec<QueueExpect>>,
    processed: u64,
    violations: Vec<String>,
    /// Stream imports: (exporting account, importing account, filter).
    imports: Vec<(usize, usize, String)>,
}

impl Model {
    pub fn new() -> Model {
        Model::default()
    }

    /// A model with stream imports between accounts: (exporting account,
    /// importing account, subject filter).
    pub fn with_accounts(imports: Vec<(usize, usize, String)>) -> Model {
        Model { imports, ..Model::default() }
    }

    /// A new connection was accepted; returns the client index.
    pub fn add_client(&mut self) -> usize {
        self.add_client_in(0)
    }

    /// A new connection of a user bound to `account`.
    pub fn add_client_in(&mut self, account: usize) -> usize {
        self.clients.push(ClientModel {
            live: true,
            clean: true,
            account,
            ..ClientModel::default()
        });
        self.clients.len() - 1
    }

    /// May a message published in account `from` on `subject` be seen in
    /// account `to`? Only in its own account, or through an import.
    fn visible(&self, from: usize, to: usize, subject: &str) -> bool {
        from == to || self.imports.iter().any(|(e, i, f)| *e == from && *i == to && subject_matches(f, subject))
    }

    /// Registers a message a client is about to publish; returns its id.
    pub fn new_msg(&mut self, rec: MsgRecord) -> usize {
        self.msgs.push(rec);
        self.msgs.len() - 1
    }

    pub fn violations(&self) -> &[String] {
        &self.violations
    }

    /// A violation found outside the model (by the harness).
    pub fn report_violation(&mut self, text: String) {
        self.violate(text);
    }

    fn violate(&mut self, text: String) {
        if self.violations.len() < 50 {
            self.violations.push(text);
        }
    }

    pub fn is_live(&self, client: usize) -> bool {
        self.clients[client].live
    }

    /// The client wrote garbage (the server may react to its first byte,
    /// before the whole op has arrived).
    pub fn garbage_sent(&mut self, client: usize) {
        self.clients[client].garbage_sent = true;
    }

    /// The server processed `op` of `client`.
    pub fn apply(&mut self, client: usize, op: &ClientOp) {
        if !self.clients[client].live {
            return;
        }
        match op {
            ClientOp::Connect {
                headers,
                no_responders,
            } => {
                let c = &mut self.clients[client];
                c.headers = *headers;
                c.no_responders = *no_responders;
            }
            ClientOp::Pub { msg } => self.route(*msg),
            ClientOp::Sub {
                sid,
                subject,
                queue,
            } => {
                let sub = SubModel {
                    subject: subject.clone(),
                    queue: queue.clone(),
                    max: None,
                    delivered: 0,
                };
                self.clients[client].subs.insert(*sid, sub);
            }
            ClientOp::Unsub { sid, max } => {
                let c = &mut self.clients[client];
                match (max, c.subs.get_mut(sid)) {
                    (Some(m), Some(s)) if s.delivered < *m => s.max = Some(*m),
                    _ => {
                        c.subs.remove(sid);
                    }
                }
            }
            ClientOp::Ping => self.clients[client].pings_processed += 1,
            ClientOp::Pong => {}
            ClientOp::Garbage => {
                let c = &mut self.clients[client];
                c.live = false;
                c.subs.clear();
            }
        }
    }

    fn route(&mut self, msg: usize) {
        self.processed += 1;
        self.msgs[msg].processed = Some(self.processed);
        let subject = self.msgs[msg].subject.clone();
        let from = self.clients[self.msgs[msg].publisher].account;
        let mut reached = 0usize;
        // Queue groups are per account: (account, group name).
        let mut groups: BTreeMap<(usize, String), Vec<(usize, u64)>> = BTreeMap::new();
        let visible: Vec<bool> = self.clients.iter().map(|c| self.visible(from, c.account, &subject)).collect();
        for (k, c) in self.clients.iter_mut().enumerate() {
            if !c.live || !visible[k] {
                continue;
            }
            let mut done = Vec::new();
            for (sid, s) in c.subs.iter_mut() {
                if !subject_matches(&s.subject, &subject) {
                    continue;
                }
                if let Some(q) = &s.queue {
                    groups.entry((c.account, q.clone())).or_default().push((k, *sid));
                    continue;
                }
                reached += 1;
                s.delivered += 1;
                c.expected.entry(*sid).or_default().push(Delivery::Msg(msg));
                if s.max.is_some_and(|m| s.delivered >= m) {
                    done.push(*sid);
                }
            }
            for sid in done {
                c.subs.remove(&sid);
            }
        }
        reached += groups.len();
        for ((account, group), members) in groups {
            self.queue_expects
                .entry(msg)
                .or_default()
                .push(QueueExpect {
                    msg,
                    account,
                    group,
                    members,
                });
        }
        let publisher = self.msgs[msg].publisher;
        if reached == 0 {
            if let Some(reply) = self.msgs[msg].reply.clone() {
                let p = &mut self.clients[publisher];
                if p.no_responders {
                    let sid = p
                        .subs
                        .iter()
                        .find(|(_, s)| s.queue.is_none() && subject_matches(&s.subject, &reply))
                        .map(|(sid, _)| *sid);
                    if let Some(sid) = sid {
                        p.expected
                            .entry(sid)
                            .or_default()
                            .push(Delivery::NoResponders(msg));
                    }
                }
            }
        }
    }

    /// The connection went away at the server (reset, client close, or the
    /// server closed it).
    pub fn disconnected(&mut self, client: usize, by_server: bool) {
        let c = &mut self.clients[client];
        c.live = false;
        c.clean = false;
        c.subs.clear();
        if by_server {
            c.closed_by_server = true;
        }
    }

    /// The client decoded INFO.
    pub fn on_info(&mut self, client: usize) {
        let c = &mut self.clients[client];
        if c.ops_received != 0 {
            self.violate(format!("client {client}: INFO was not the first op"));
        }
        self.clients[client].info_seen = true;
        self.clients[client].ops_received += 1;
    }

    pub fn on_pong(&mut self, client: usize) {
        self.clients[client].ops_received += 1;
        self.clients[client].pongs_received += 1;
    }

    pub fn on_other(&mut self, client: usize) {
        self.clients[client].ops_received += 1;
    }

    pub fn on_err(&mut self, client: usize, text: &str) {
        let c = &mut self.clients[client];
        c.ops_received += 1;
        c.errs.push(text.to_string());
        if !c.garbage_sent {
            self.violate(format!("client {client}: unexpected -ERR '{text}'"));
        }
    }

    /// The client decoded a MSG/HMSG on `sid`.
    pub fn on_msg(
        &mut self,
        client: usize,
        sid: u64,
        subject: &str,
        reply: Option<&str>,
        headers: Option<&[u8]>,
        payload: &[u8],
    ) {
        self.clients[client].ops_received += 1;
        if let Some(h) = headers {
            if h.starts_with(b"NATS/1.0 503") {
                if !payload.is_empty() {
                    self.violate(format!("client {client}: 503 status with a payload"));
                }
                self.clients[client]
                    .received
                    .entry(sid)
                    .or_default()
                    .push(Delivery::NoResponders(usize::MAX));
                return;
            }
        }
        let Some(id) = parse_msg_id(payload).filter(|id| *id < self.msgs.len()) else {
            self.violate(format!(
                "client {client}: MSG on sid {sid} with unknown payload"
            ));
            return;
        };
        let m = &self.msgs[id];
        let (from, to) = (self.clients[m.publisher].account, self.clients[client].account);
        if !self.visible(from, to, &m.subject) {
            let text = format!(
                "client {client}: msg {id} crossed from account {from} to account {to} without an import"
            );
            self.violate(text);
            return;
        }
        let m = &self.msgs[id];
        let want_headers = if self.clients[client].headers {
            m.headers.as_deref()
        } else {
            None
        };
        if m.subject != subject
            || m.reply.as_deref() != reply
            || want_headers != headers
            || m.payload != payload
        {
            let text = format!(
                "client {client}: msg {id} corrupted: got subject={subject:?} reply={reply:?} \
                 headers={:?} payload_len={}, published {m:?}",
                headers.map(String::from_utf8_lossy),
                payload.len()
            );
            self.violate(text);
        }
        let queue = self
            .queue_expects
            .get(&id)
            .is_some_and(|qs| qs.iter().any(|q| q.members.contains(&(client, sid))));
        if queue {
            self.clients[client].queue_received.push((sid, id));
        } else {
            self.clients[client]
                .received
                .entry(sid)
                .or_default()
                .push(Delivery::Msg(id));
        }
    }

    /// Final checks, once everything in flight has been delivered.
    pub fn finish(&mut self) {
        for k in 0..self.clients.len() {
            self.finish_client(k);
        }
        self.finish_queues();
    }

    fn finish_client(&mut self, k: usize) {
        let c = self.clients[k].clone();
        let legit = !c.garbage_sent;
        if legit && c.closed_by_server {
            self.violate(format!("client {k}: closed by the server without cause"));
        }
        if c.garbage_sent && !c.closed_by_server && c.clean {
            self.violate(format!("client {k}: sent garbage and was not closed"));
        }
        if c.clean && c.pongs_received != c.pings_processed {
            self.violate(format!(
                "client {k}: {} PINGs processed, {} PONGs",
                c.pings_processed, c.pongs_received
            ));
        }
        if c.pongs_received > c.pings_processed {
            self.violate(format!("client {k}: more PONGs than PINGs"));
        }
        let sids: std::collections::BTreeSet<u64> = c
            .expected
            .keys()
            .chain(c.received.keys())
            .copied()
            .collect();
        for sid in sids {
            let empty = Vec::new();
            let want = c.expected.get(&sid).unwrap_or(&empty);
            let got = c.received.get(&sid).unwrap_or(&empty);
            let same = |a: &Delivery, b: &Delivery| match (a, b) {
                (Delivery::NoResponders(_), Delivery::NoResponders(_)) => true,
                _ => a == b,
            };
            let prefix =
                got.len() <= want.len() && got.iter().zip(want.iter()).all(|(g, w)| same(g, w));
            let exact = prefix && got.len() == want.len();
            if !(exact || (!c.clean && prefix)) {
                let first = got.iter().zip(want.iter()).position(|(g, w)| !same(g, w));
                self.violate(format!(
                    "client {k} sid {sid} (clean={}): expected {} deliveries, got {}; first difference \
                     at {first:?}: want {:?} got {:?}",
                    c.clean,
                    want.len(),
                    got.len(),
                    first.and_then(|i| want.get(i)).or(want.get(got.len())),
                    first.and_then(|i| got.get(i)).or(got.get(want.len())),
                ));
            }
        }
    }

    fn finish_queues(&mut self) {
        let mut got: BTreeMap<(usize, usize, String), Vec<(usize, u64)>> = BTreeMap::new();
        let mut order_errors = Vec::new();
        for (k, c) in self.clients.iter().enumerate() {
            let mut last: BTreeMap<u64, u64> = BTreeMap::new();
            for (sid, msg) in &c.queue_received {
                let seq = self.msgs[*msg].processed.unwrap_or(0);
                if last.get(sid).is_some_and(|l| *l >= seq) {
                    order_errors.push(format!(
                        "client {k} queue sid {sid}: msg {msg} out of order"
                    ));
                }
                last.insert(*sid, seq);
                let qs = self
                    .queue_expects
                    .get(msg)
                    .map_or(&[][..], |v| v.as_slice());
                for q in qs.iter().filter(|q| q.members.contains(&(k, *sid))) {
                    got.entry((*msg, q.account, q.group.clone()))
                        .or_default()
                        .push((k, *sid));
                }
            }
        }
        for e in order_errors {
            self.violate(e);
        }
        let expects: Vec<QueueExpect> = self.queue_expects.values().flatten().cloned().collect();
        for q in expects {
            let n = got.get(&(q.msg, q.account, q.group.clone())).map_or(0, |v| v.len());
            let all_clean = q.members.iter().all(|(k, _)| self.clients[*k].clean);
            if n > 1 || (all_clean && n == 0) {
                self.violate(format!(
                    "msg {} queue group {:?}: delivered {n} times to members {:?}",
                    q.msg, q.group, q.members
                ));
            }
        }
    }
}

/// Payloads start with `m<id>.`.
pub fn parse_msg_id(payload: &[u8]) -> Option<usize> {
    let rest = payload.strip_prefix(b"m")?;
    let end = rest.iter().position(|b| *b == b'.')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(model: &mut Model, publisher: usize, subject: &str, reply: Option<&str>) -> usize {
        let id = model.msgs.len();
        model.new_msg(MsgRecord {
            publisher,
            subject: subject.into(),
            reply: reply.map(Into::into),
            headers: None,
            payload: Bytes::from(format!("m{id}.x")),
            processed: None,
        })
    }

    fn deliver(model: &mut Model, k: usize, sid: u64, id: usize) {
        let m = model.msgs[id].clone();
        model.on_msg(k, sid, &m.subject, m.reply.as_deref(), None, &m.payload);
    }

    #[test]
    fn exact_delivery_passes_and_missing_fails() {
        let mut m = Model::new();
        let (a, b) = (m.add_client(), m.add_client());
        m.apply(
            b,
            &ClientOp::Sub {
                sid: 1,
                subject: "a.*".into(),
                queue: None,
            },
        );
        let x = rec(&mut m, a, "a.b", None);
        let y = rec(&mut m, a, "a.c", None);
        m.apply(a, &ClientOp::Pub { msg: x });
        m.apply(a, &ClientOp::Pub { msg: y });
        deliver(&mut m, b, 1, x);
        m.finish();
        assert_eq!(m.violations().len(), 1, "{:?}", m.violations());
        deliver(&mut m, b, 1, y);
        m.violations.clear();
        m.finish();
        assert!(m.violations().is_empty(), "{:?}", m.violations());
    }

    #[test]
    fn max_and_unsub_stop_delivery() {
        let mut m = Model::new();
        let (a, b) = (m.add_client(), m.add_client());
        m.apply(
            b,
            &ClientOp::Sub {
                sid: 1,
                subject: "s".into(),
                queue: None,
            },
        );
        m.apply(
            b,
            &ClientOp::Unsub {
                sid: 1,
                max: Some(1),
            },
        );
        let x = rec(&mut m, a, "s", None);
        let y = rec(&mut m, a, "s", None);
        m.apply(a, &ClientOp::Pub { msg: x });
        m.apply(a, &ClientOp::Pub { msg: y });
        deliver(&mut m, b, 1, x);
        deliver(&mut m, b, 1, y);
        m.finish();
        assert_eq!(m.violations().len(), 1, "{:?}", m.violations());
    }

    #[test]
    fn queue_group_gets_one_copy() {
        let mut m = Model::new();
        let (a, b, c) = (m.add_client(), m.add_client(), m.add_client());
        m.apply(
            b,
            &ClientOp::Sub {
                sid: 1,
                subject: "q".into(),
                queue: Some("g".into()),
            },
        );
        m.apply(
            c,
            &ClientOp::Sub {
                sid: 1,
                subject: "q".into(),
                queue: Some("g".into()),
            },
        );
        let x = rec(&mut m, a, "q", None);
        m.apply(a, &ClientOp::Pub { msg: x });
        m.finish();
        assert_eq!(
            m.violations().len(),
            1,
            "nobody got it: {:?}",
            m.violations()
        );
        m.violations.clear();
        deliver(&mut m, b, 1, x);
        deliver(&mut m, c, 1, x);
        m.finish();
        assert_eq!(m.violations().len(), 1, "both got it: {:?}", m.violations());
    }

    #[test]
    fn no_responders_expected() {
        let mut m = Model::new();
        let a = m.add_client();
        m.apply(
            a,
            &ClientOp::Connect {
                headers: true,
                no_responders: true,
            },
        );
        m.apply(
            a,
            &ClientOp::Sub {
                sid: 9,
                subject: "_INBOX.a.1".into(),
                queue: None,
            },
        );
        let x = rec(&mut m, a, "svc", Some("_INBOX.a.1"));
        m.apply(a, &ClientOp::Pub { msg: x });
        m.finish();
        assert_eq!(m.violations().len(), 1);
        m.violations.clear();
        m.on_msg(a, 9, "_INBOX.a.1", None, Some(b"NATS/1.0 503\r\n\r\n"), b"");
        m.finish();
        assert!(m.violations().is_empty(), "{:?}", m.violations());
    }

    #[test]
    fn reset_client_may_miss_a_tail_only() {
        let mut m = Model::new();
        let (a, b) = (m.add_client(), m.add_client());
        m.apply(
            b,
            &ClientOp::Sub {
                sid: 1,
                subject: "s".into(),
                queue: None,
            },
        );
        let x = rec(&mut m, a, "s", None);
        let y = rec(&mut m, a, "s", None);
        m.apply(a, &ClientOp::Pub { msg: x });
        m.apply(a, &ClientOp::Pub { msg: y });
        m.disconnected(b, false);
        deliver(&mut m, b, 1, x);
        m.finish();
        assert!(m.violations().is_empty());
        m.clients[b].received.clear();
        deliver(&mut m, b, 1, y);
        m.finish();
        assert_eq!(m.violations().len(), 1, "a gap is not a tail");
    }

    #[test]
    fn msg_ids_parse() {
        assert_eq!(parse_msg_id(b"m12.abc"), Some(12));
        assert_eq!(parse_msg_id(b"x12.abc"), None);
        assert_eq!(parse_msg_id(b"m12"), None);
    }
}

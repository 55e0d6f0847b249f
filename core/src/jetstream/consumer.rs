//! One consumer (Go's `consumer` in server/consumer.go): its config with
//! Go's JSON and defaults, the next stream sequence to deliver, the waiting
//! pull requests, ack tracking (through [`ConsumerStore`]) and redelivery
//! after `ack_wait` (or `backoff`), `-NAK` or `+WPI`. Push delivery, flow
//! control, heartbeats, pause and advisories are in
//! [`super::consumer_push`]; updates in [`super::consumer_update`].
//!
//! The consumer does not own the stream's store: every operation that reads
//! messages takes it as an argument, so [`super::JetStream`] keeps streams
//! and consumers side by side.

pub use super::consumer_config::*;
use super::consumer_push::{PushState, ReplayState};
use super::types::{format_rfc3339, parse_rfc3339};
use super::Outgoing;
use crate::store::consumer_store::{self, ConsumerStore};
use crate::store::{StoreError, StoreMsg, StreamStore};
use crate::time::{Instant, UnixNanos};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

/// Go's `JsAckWaitDefault` (30s), in nanoseconds.
pub const JS_ACK_WAIT_DEFAULT: i64 = 30 * 1_000_000_000;
/// Go's `JsDefaultMaxAckPending`.
pub const JS_DEFAULT_MAX_ACK_PENDING: i64 = 1000;
/// Go's `JSWaitQueueDefaultMax`.
pub const JS_WAIT_QUEUE_DEFAULT_MAX: i64 = 512;
/// Go's `JsDeleteWaitTimeDefault` (5s): ephemeral inactivity threshold.
pub const JS_DELETE_WAIT_TIME_DEFAULT: i64 = 5 * 1_000_000_000;
/// Go's `jsAckPre`.
pub const JS_ACK_PRE: &str = "$JS.ACK";
/// Go's `JSPullRequestPendingMsgs` / `JSPullRequestPendingBytes`.
pub const JS_PULL_REQUEST_PENDING_MSGS: &str = "Nats-Pending-Messages";
pub const JS_PULL_REQUEST_PENDING_BYTES: &str = "Nats-Pending-Bytes";
/// Go's `JSLastConsumerSeq`, `JSLastStreamSeq`, `JSConsumerStalled` and
/// `JSMsgSize` headers.
pub const JS_LAST_CONSUMER_SEQ: &str = "Nats-Last-Consumer";
pub const JS_LAST_STREAM_SEQ: &str = "Nats-Last-Stream";
pub const JS_CONSUMER_STALLED: &str = "Nats-Consumer-Stalled";
pub const JS_MSG_SIZE: &str = "Nats-Msg-Size";

/// Go's `SequenceInfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceInfo {
    pub consumer_seq: u64,
    pub stream_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_active: Option<String>,
}

/// Go's `ConsumerInfo`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsumerInfo {
    pub stream_name: String,
    pub name: String,
    pub created: String,
    pub config: ConsumerConfig,
    pub delivered: SequenceInfo,
    pub ack_floor: SequenceInfo,
    pub num_ack_pending: usize,
    pub num_redelivered: usize,
    pub num_waiting: usize,
    pub num_pending: u64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub push_bound: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub paused: bool,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub pause_remaining: i64,
    pub ts: String,
}

/// A pull request waiting for messages (Go's `waitingRequest`).
#[derive(Clone, Debug)]
pub struct WaitingRequest {
    pub reply: Bytes,
    /// Messages still wanted.
    pub n: i64,
    /// Bytes still allowed (0: no limit).
    pub b: i64,
    /// Messages delivered so far.
    pub d: i64,
    pub expires: Option<Instant>,
    pub no_wait: bool,
    /// Idle heartbeat interval in nanoseconds (0: none).
    pub hb: i64,
    /// When the next idle heartbeat is due.
    pub hbt: Option<Instant>,
}

/// Go's `JSApiConsumerGetNextRequest`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct NextRequest {
    pub batch: i64,
    pub expires: i64,
    pub no_wait: bool,
    pub max_bytes: i64,
    #[serde(rename = "idle_heartbeat")]
    pub heartbeat: i64,
}

/// A header-only status reply (`NATS/1.0 <code> <text>`).
pub fn status_msg(reply: &[u8], line: String) -> Outgoing {
    Outgoing {
        subject: Bytes::copy_from_slice(reply),
        reply: None,
        deliver_as: None,
        headers: Some(Bytes::from(line)),
        payload: Bytes::new(),
    }
}

/// An ack reply parsed (Go's `ackReplyInfo`):
/// `$JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckReply<'a> {
    pub stream: &'a str,
    pub consumer: &'a str,
    pub dc: u64,
    pub sseq: u64,
    pub dseq: u64,
}

/// Parses an ack subject; `None` if it is not one.
pub fn parse_ack_reply(subject: &str) -> Option<AckReply<'_>> {
    let rest = subject.strip_prefix(JS_ACK_PRE)?.strip_prefix('.')?;
    let t: Vec<&str> = rest.split('.').collect();
    if t.len() != 7 {
        return None;
    }
    let num = |s: &str| s.parse::<u64>().ok();
    Some(AckReply {
        stream: t[0],
        consumer: t[1],
        dc: num(t[2])?,
        sseq: num(t[3])?,
        dseq: num(t[4])?,
    })
}

/// What an ack message asks for (Go's `processAck` cases).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AckKind {
    Ack,
    Nak(Option<Duration>),
    Progress,
    Term,
    /// Unknown bodies are ignored, as in Go.
    Other,
}

/// Classifies an ack body.
pub fn ack_kind(body: &[u8]) -> AckKind {
    let b = trim(body);
    if b.is_empty() || b == b"+ACK" || b.starts_with(b"+ACK ") {
        return AckKind::Ack;
    }
    if let Some(rest) = b.strip_prefix(b"-NAK") {
        let delay = parse_nak_delay(trim(rest));
        return AckKind::Nak(delay);
    }
    if b == b"+WPI" {
        return AckKind::Progress;
    }
    if b.starts_with(b"+TERM") {
        return AckKind::Term;
    }
    // Go also takes `+NXT` as an ack.
    if b.starts_with(b"+NXT") {
        return AckKind::Ack;
    }
    AckKind::Other
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// `-NAK {"delay": <ns>}` or `-NAK <go duration>`.
fn parse_nak_delay(b: &[u8]) -> Option<Duration> {
    if b.is_empty() {
        return None;
    }
    #[derive(Deserialize)]
    struct Delay {
        #[serde(default)]
        delay: i64,
    }
    let ns = if b.first() == Some(&b'{') {
        serde_json::from_slice::<Delay>(b).ok()?.delay
    } else {
        super::headers::parse_go_duration(std::str::from_utf8(b).ok()?)?
    };
    (ns > 0).then(|| Duration::from_nanos(ns as u64))
}

/// A pull consumer.
pub struct Consumer {
    pub(crate) stream: String,
    pub(crate) name: String,
    pub(crate) cfg: ConsumerConfig,
    pub(crate) created: UnixNanos,
    pub(super) store: ConsumerStore,
    /// Next stream sequence to look at.
    pub(super) sseq: u64,
    /// Last consumer (delivery) sequence used.
    pub(super) dseq: u64,
    /// Sequences to send again, in order (Go's `rdq`).
    pub(super) rdq: VecDeque<u64>,
    /// Sequences still to send for `last_per_subject` before `sseq`.
    pub(super) lss: VecDeque<u64>,
    /// Delivery count per pending stream sequence (Go's `rdc`, counting
    /// the first delivery as 1).
    pub(super) dc: BTreeMap<u64, u64>,
    /// When each pending message is due for redelivery.
    pub(super) deadlines: BTreeMap<u64, Instant>,
    pub(crate) waiting: VecDeque<WaitingRequest>,
    /// Last time a pull request arrived or was served (for ephemerals),
    /// or, for push consumers, when delivery interest went away.
    pub(crate) last_active: Instant,
    pub(super) last_delivered: Option<UnixNanos>,
    pub(super) last_acked: Option<UnixNanos>,
    /// Push delivery state (`deliver_subject` set).
    pub(super) push: Option<PushState>,
    /// Delivery stops until then (`pause_until`, as a monotonic instant).
    pub(super) pause_at: Option<Instant>,
    /// `replay_policy: original` pacing.
    pub(super) replay: Option<ReplayState>,
    /// Advisories and other messages produced outside a delivery call,
    /// sent with the next batch of output.
    pub(super) outbox: Vec<Outgoing>,
    /// Counts advisories (their ids).
    pub(super) adv_seq: u64,
    /// The store's pending count at a stream sequence, computed once per
    /// delivery round and then decremented as messages go out (Go's
    /// `npc`/`npf`): `(sseq, pending from the store at sseq)`. Cleared at
    /// the start of every round, since the store may have changed between.
    pub(super) npc: Option<(u64, u64)>,
    /// Deliver only messages the stream's store reports durable (file
    /// streams with durable acks): the consumer's state then never counts a
    /// delivery of a message a crash could still take back. The stream's
    /// group commit signals the consumer when more become durable.
    pub(crate) durable_only: bool,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("stream", &self.stream)
            .field("name", &self.name)
            .field("sseq", &self.sseq)
            .finish()
    }
}

fn store_policy(p: AckPolicy) -> consumer_store::AckPolicy {
    match p {
        AckPolicy::None => consumer_store::AckPolicy::None,
        AckPolicy::All => consumer_store::AckPolicy::All,
        AckPolicy::Explicit => consumer_store::AckPolicy::Explicit,
    }
}

impl Consumer {
    /// A consumer starting where its deliver policy says (Go's
    /// `selectStartingSeqNo`). `cfg` has its defaults set and was checked.
    pub fn new(
        stream: &str,
        name: &str,
        cfg: ConsumerConfig,
        store: &mut dyn StreamStore,
        now: Instant,
        realtime: UnixNanos,
    ) -> Consumer {
        let state = store.state();
        let filters = cfg.filters();
        let mut lss = VecDeque::new();
        let sseq = match cfg.deliver_policy {
            DeliverPolicy::All => state.first_seq.max(1),
            DeliverPolicy::ByStartTime => {
                let t = cfg.opt_start_time.as_deref().and_then(parse_rfc3339).flatten();
                seq_from_time(store, t.unwrap_or(0))
            }
            DeliverPolicy::New => state.last_seq + 1,
            DeliverPolicy::ByStartSequence => cfg.opt_start_seq.max(1),
            DeliverPolicy::Last => {
                let last = if filters.is_empty() {
                    Some(state.last_seq)
                } else {
                    filters
                        .iter()
                        .filter_map(|f| store.load_last_msg(f).ok().map(|m| m.seq))
                        .max()
                };
                last.filter(|s| *s > 0).unwrap_or(state.last_seq + 1)
            }
            DeliverPolicy::LastPerSubject => {
                let mut seqs = BTreeSet::new();
                let fs = if filters.is_empty() {
                    vec![">".to_string()]
                } else {
                    filters.clone()
                };
                for f in &fs {
                    seqs.extend(store.subjects_state(f).values().map(|s| s.last));
                }
                lss.extend(seqs);
                state.last_seq + 1
            }
        };
        let max_deliver = cfg.max_deliver;
        let ack = store_policy(cfg.ack_policy);
        let push = (!cfg.deliver_subject.is_empty()).then(|| PushState::new(&cfg));
        let replay = (cfg.replay_policy == ReplayPolicy::Original)
            .then(|| ReplayState::new(state.last_seq));
        Consumer {
            stream: stream.to_string(),
            name: name.to_string(),
            created: realtime,
            store: ConsumerStore::new(ack, max_deliver),
            sseq,
            dseq: 0,
            rdq: VecDeque::new(),
            lss,
            dc: BTreeMap::new(),
            deadlines: BTreeMap::new(),
            waiting: VecDeque::new(),
            last_active: now,
            last_delivered: None,
            last_acked: None,
            push,
            pause_at: None,
            replay,
            outbox: Vec::new(),
            adv_seq: 0,
            npc: None,
            durable_only: false,
            cfg,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn config(&self) -> &ConsumerConfig {
        &self.cfg
    }

    /// Messages not yet delivered (Go's `numPending`).
    pub fn num_pending(&self, store: &dyn StreamStore) -> u64 {
        self.store_pending(store) + self.lss.len() as u64
    }

    /// The count for an ack subject during a delivery round: from the
    /// round's cache when the cache is at `sseq`, else counted once.
    fn num_pending_cached(&mut self, store: &dyn StreamStore) -> u64 {
        let from_store = match self.npc {
            Some((at, n)) if at == self.sseq => n,
            _ => {
                let n = self.store_pending(store);
                self.npc = Some((self.sseq, n));
                n
            }
        };
        from_store + self.lss.len() as u64
    }

    /// Starts a delivery round: the store may have changed since the last.
    pub(super) fn begin_round(&mut self) {
        self.npc = None;
    }

    /// Stream messages at or after `sseq` matching the filters.
    fn store_pending(&self, store: &dyn StreamStore) -> u64 {
        let filters = self.cfg.filters();
        if filters.is_empty() {
            store.num_pending(self.sseq, ">", false).0
        } else {
            filters
                .iter()
                .map(|f| store.num_pending(self.sseq, f, false).0)
                .sum()
        }
    }

    /// Go's `ConsumerInfo` of this consumer.
    pub fn info(&self, store: &dyn StreamStore, realtime: UnixNanos) -> ConsumerInfo {
        let st = self.store.state();
        ConsumerInfo {
            stream_name: self.stream.clone(),
            name: self.name.clone(),
            created: format_rfc3339(Some(self.created)),
            config: self.cfg.clone(),
            delivered: SequenceInfo {
                consumer_seq: st.delivered.consumer,
                stream_seq: st.delivered.stream,
                last_active: self.last_delivered.map(|t| format_rfc3339(Some(t))),
            },
            ack_floor: SequenceInfo {
                consumer_seq: st.ack_floor.consumer,
                stream_seq: st.ack_floor.stream,
                last_active: self.last_acked.map(|t| format_rfc3339(Some(t))),
            },
            num_ack_pending: st.pending.len(),
            num_redelivered: st.redelivered.len(),
            num_waiting: self.waiting.len(),
            num_pending: self.num_pending(store),
            push_bound: self.push.as_ref().is_some_and(|p| p.active),
            paused: self.pause_remaining(realtime) > 0,
            pause_remaining: self.pause_remaining(realtime),
            ts: format_rfc3339(Some(realtime)),
        }
    }

    /// The next message to deliver and its delivery count, or `None`
    /// (Go's `getNextMsg`). Acked or removed messages waiting for
    /// redelivery are skipped.
    pub(super) fn next_msg(&mut self, store: &mut dyn StreamStore) -> Option<(StoreMsg, u64)> {
        while let Some(seq) = self.rdq.pop_front() {
            if !self.store.state().pending.contains_key(&seq) {
                continue;
            }
            match store.load_msg(seq) {
                Ok(sm) => {
                    let dc = self.dc.get(&seq).copied().unwrap_or(1) + 1;
                    return Some((sm, dc));
                }
                Err(_) => self.forget(seq),
            }
        }
        let cap = if self.durable_only { store.durable_seq() } else { u64::MAX };
        while let Some(seq) = self.lss.pop_front() {
            if seq > cap {
                self.lss.push_front(seq);
                return None;
            }
            if let Ok(sm) = store.load_msg(seq) {
                return Some((sm, 1));
            }
        }
        if self.sseq > cap {
            return None;
        }
        let filters = self.cfg.filters();
        let res = match filters.len() {
            0 => store.load_next_msg(">", true, self.sseq),
            1 => store.load_next_msg(&filters[0], true, self.sseq),
            _ => {
                let fs: Vec<&str> = filters.iter().map(String::as_str).collect();
                store.load_next_msg_multi(&fs, self.sseq)
            }
        };
        match res {
            Ok((_, seq)) if seq > cap => None,
            Ok((sm, seq)) => {
                // The message at `seq` is the only match in
                // `[sseq, seq]`: the cached count drops by one.
                if let Some((at, n)) = self.npc {
                    self.npc = (at == self.sseq).then(|| (seq + 1, n.saturating_sub(1)));
                }
                self.sseq = seq + 1;
                Some((sm, 1))
            }
            Err(StoreError::Eof | StoreError::MsgNotFound) => None,
            Err(e) => {
                tracing::warn!(consumer = %self.name, error = %e, "consumer load failed");
                None
            }
        }
    }

    /// Drops the ack state of a message that is gone or terminated.
    fn forget(&mut self, seq: u64) {
        self.dc.remove(&seq);
        self.deadlines.remove(&seq);
        if let Some(p) = self.store.state().pending.get(&seq).copied() {
            // A pending entry always exists for a consumer sequence we sent.
            let _ = self.store.update_acks(p.sequence, seq);
        }
    }

    pub(super) fn ack_pending_full(&self) -> bool {
        self.cfg.ack_policy != AckPolicy::None
            && self.cfg.max_ack_pending > 0
            && self.store.state().pending.len() as i64 >= self.cfg.max_ack_pending
            && self.rdq.is_empty()
    }

    /// Serves waiting requests with available messages (Go's
    /// `loopAndGatherMsgs` for pull mode); requests that are done or, with
    /// `no_wait`, found the stream exhausted, are answered and removed.
    pub fn process_waiting(
        &mut self,
        store: &mut dyn StreamStore,
        now: Instant,
        realtime: UnixNanos,
    ) -> Vec<Outgoing> {
        let mut out = std::mem::take(&mut self.outbox);
        if self.push.is_some() || self.paused(now) {
            return out;
        }
        self.begin_round();
        // Bounded: every round either removes a request or delivers one
        // message, and there are finitely many of each.
        while let Some(mut wr) = self.waiting.pop_front() {
            if wr.expires.is_some_and(|e| now >= e) {
                out.push(timeout_status(&wr));
                continue;
            }
            let mut exhausted = false;
            while wr.n > 0 {
                if self.ack_pending_full() {
                    exhausted = true;
                    break;
                }
                let Some((sm, dc)) = self.next_msg(store) else {
                    exhausted = true;
                    break;
                };
                if !self.replay_ready(sm.seq, sm.ts, now) {
                    // `replay_policy: original`: wait for the message's
                    // time; the request stays, even a no-wait one.
                    self.put_back(sm.seq, dc);
                    break;
                }
                let size = (sm.subj.len() + sm.hdr.len() + sm.msg.len()) as i64;
                if wr.b > 0 && size > wr.b {
                    // Go answers 409 and puts the message back.
                    self.put_back(sm.seq, dc);
                    let line = "NATS/1.0 409 Message Size Exceeds MaxBytes\r\n\r\n".to_string();
                    out.push(status_msg(&wr.reply, line));
                    wr.n = 0;
                    break;
                }
                out.push(self.deliver(&wr.reply, sm, dc, store, now, realtime));
                wr.n -= 1;
                wr.d += 1;
                if wr.b > 0 {
                    wr.b -= size;
                }
                if wr.hb > 0 {
                    wr.hbt = Some(now + Duration::from_nanos(wr.hb as u64));
                }
                self.last_active = now;
                if wr.n <= 0 && wr.b > 0 {
                    // Go's `JsPullRequestRemainingBytesT`: the batch is
                    // done with bytes to spare.
                    let line = format!(
                        "NATS/1.0 409 Batch Completed\r\n{JS_PULL_REQUEST_PENDING_MSGS}: {}\r\n{JS_PULL_REQUEST_PENDING_BYTES}: {}\r\n\r\n",
                        wr.n, wr.b
                    );
                    out.push(status_msg(&wr.reply, line));
                }
            }
            if wr.n <= 0 {
                continue;
            }
            if exhausted && wr.no_wait {
                if wr.d == 0 {
                    let line = "NATS/1.0 404 No Messages\r\n\r\n".to_string();
                    out.push(status_msg(&wr.reply, line));
                } else {
                    out.push(timeout_status(&wr));
                }
                continue;
            }
            // Nothing more to send now: this and later requests wait.
            self.waiting.push_front(wr);
            break;
        }
        out
    }

    /// A message taken by `next_msg` that could not be sent.
    pub(super) fn put_back(&mut self, seq: u64, dc: u64) {
        if dc > 1 {
            self.rdq.push_front(seq);
        } else if self.sseq == seq + 1 {
            if let Some((at, n)) = self.npc {
                self.npc = (at == self.sseq).then_some((seq, n + 1));
            }
            self.sseq = seq;
        } else {
            self.lss.push_front(seq);
        }
    }

    pub(super) fn deliver(
        &mut self,
        reply: &Bytes,
        sm: StoreMsg,
        dc: u64,
        store: &dyn StreamStore,
        now: Instant,
        realtime: UnixNanos,
    ) -> Outgoing {
        let mut sm = sm;
        if self.cfg.headers_only {
            convert_to_headers_only(&mut sm);
        }
        self.dseq += 1;
        let dseq = self.dseq;
        let seq = sm.seq;
        if self.cfg.ack_policy == AckPolicy::None {
            let _ = self.store.update_delivered(dseq, seq, 1, realtime);
        } else {
            // dc > max_deliver never reaches here; an error is a bug in the
            // bookkeeping, logged rather than fatal.
            if let Err(e) = self.store.update_delivered(dseq, seq, dc, realtime) {
                tracing::warn!(consumer = %self.name, error = %e, "update delivered");
            }
            self.dc.insert(seq, dc);
            self.deadlines.insert(seq, now + self.ack_wait_for(dc));
        }
        self.last_delivered = Some(realtime);
        let pending = self.num_pending_cached(store);
        let ack = format!(
            "{JS_ACK_PRE}.{}.{}.{dc}.{seq}.{dseq}.{}.{pending}",
            self.stream, self.name, sm.ts
        );
        Outgoing {
            subject: reply.clone(),
            reply: Some(Bytes::from(ack)),
            deliver_as: Some(Bytes::from(sm.subj)),
            headers: (!sm.hdr.is_empty()).then(|| Bytes::from(sm.hdr)),
            payload: Bytes::from(sm.msg),
        }
    }

    /// An ack for delivery `dseq` of stream sequence `sseq` (Go's
    /// `processAck`). Returns true when waiting requests may now be served.
    pub fn process_ack(
        &mut self,
        kind: AckKind,
        sseq: u64,
        dseq: u64,
        now: Instant,
        realtime: UnixNanos,
    ) -> bool {
        if self.cfg.ack_policy == AckPolicy::None {
            return false;
        }
        let pending = self.store.state().pending.contains_key(&sseq);
        match kind {
            AckKind::Ack => {
                if self.store.update_acks(dseq, sseq).is_ok() {
                    self.last_acked = Some(realtime);
                }
                let floor = self.store.state().ack_floor.stream;
                self.dc.retain(|s, _| *s > floor && *s != sseq);
                self.deadlines.retain(|s, _| *s > floor && *s != sseq);
                true
            }
            AckKind::Nak(delay) if pending => {
                match delay {
                    Some(d) => {
                        self.deadlines.insert(sseq, now + d);
                    }
                    None => {
                        self.deadlines.remove(&sseq);
                        self.queue_redelivery(sseq, realtime);
                    }
                }
                true
            }
            AckKind::Progress if pending => {
                let dc = self.dc.get(&sseq).copied().unwrap_or(1);
                self.deadlines.insert(sseq, now + self.ack_wait_for(dc));
                false
            }
            AckKind::Term if pending => {
                self.forget(sseq);
                self.last_acked = Some(realtime);
                true
            }
            _ => false,
        }
    }

    /// Puts a pending message on the redelivery queue unless it has been
    /// delivered `max_deliver` times (then it stays pending, as in Go, and
    /// is not sent again).
    fn queue_redelivery(&mut self, seq: u64, realtime: UnixNanos) {
        let dc = self.dc.get(&seq).copied().unwrap_or(1);
        if self.cfg.max_deliver > 0 && dc >= self.cfg.max_deliver as u64 {
            // Go's `hasMaxDeliveries`: one advisory, then the message
            // leaves the pending set and the ack floor may move past it.
            let adv = self.max_deliveries_advisory(seq, dc, realtime);
            self.outbox.push(adv);
            self.forget(seq);
            return;
        }
        if !self.rdq.contains(&seq) {
            self.rdq.push_back(seq);
        }
    }

    /// Moves messages whose ack wait expired to the redelivery queue and
    /// expires waiting requests (Go's `checkPending` and the pull-request
    /// expiry). Returns status replies for expired requests.
    pub fn handle_timeout(&mut self, now: Instant, realtime: UnixNanos) -> Vec<Outgoing> {
        let due: Vec<u64> = self
            .deadlines
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(s, _)| *s)
            .collect();
        for seq in due {
            self.deadlines.remove(&seq);
            self.queue_redelivery(seq, realtime);
        }
        self.check_pause_end(now, realtime);
        let mut out = std::mem::take(&mut self.outbox);
        self.waiting.retain(|wr| {
            let expired = wr.expires.is_some_and(|e| now >= e);
            if expired {
                out.push(timeout_status(wr));
            }
            !expired
        });
        let (lc, ls) = (self.dseq, self.sseq.saturating_sub(1));
        for wr in self.waiting.iter_mut() {
            if wr.hbt.is_some_and(|t| now >= t) {
                out.push(idle_heartbeat(&wr.reply, lc, ls, None));
                wr.hbt = Some(now + Duration::from_nanos(wr.hb.max(1) as u64));
            }
        }
        out.extend(self.push_timeout(now));
        out
    }

    /// When [`Consumer::handle_timeout`] next has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let a = self.deadlines.values().min().copied();
        let b = self.waiting.iter().filter_map(|w| w.expires).min();
        let c = self.waiting.iter().filter_map(|w| w.hbt).min();
        [a, b, c, self.pause_at, self.push_poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// True when an ephemeral consumer has been idle past its threshold.
    pub fn inactive(&self, now: Instant) -> bool {
        // Durables go away too when they set a threshold (Go's
        // `updateInactiveThreshold`).
        if self.cfg.inactive_threshold <= 0 {
            return false;
        }
        let t = Duration::from_nanos(self.cfg.inactive_threshold as u64);
        if let Some(p) = &self.push {
            return !p.active && now >= self.last_active + t;
        }
        self.waiting.is_empty() && now >= self.last_active + t
    }

    /// When an ephemeral consumer would become inactive.
    pub fn inactive_at(&self) -> Option<Instant> {
        // Durables go away too when they set a threshold (Go's
        // `updateInactiveThreshold`).
        if self.cfg.inactive_threshold <= 0 {
            return None;
        }
        if !self.waiting.is_empty() || self.push.as_ref().is_some_and(|p| p.active) {
            return None;
        }
        Some(self.last_active + Duration::from_nanos(self.cfg.inactive_threshold as u64))
    }

    /// The ack state (for retention and persistence, see
    /// `consumer_persist` and `retention`).
    pub(crate) fn ack_state(&self) -> &consumer_store::ConsumerState {
        self.store.state()
    }

    /// The next stream sequence this consumer looks at (Go's `o.sseq`).
    pub(crate) fn next_seq(&self) -> u64 {
        self.sseq
    }

    /// True while `last_per_subject` messages wait before `sseq`.
    pub(crate) fn has_skip_list(&self) -> bool {
        !self.lss.is_empty()
    }

    /// Resumes from a persisted state (Go's `applyState`): delivery goes on
    /// after `delivered`, pending messages keep their delivery counts and
    /// are due again `ack_wait` after their last delivery (never later).
    pub(crate) fn restore_state(
        &mut self,
        st: consumer_store::ConsumerState,
        now: Instant,
        realtime: UnixNanos,
    ) -> Result<(), StoreError> {
        self.store.update(st.clone())?;
        let wait = self.cfg.ack_wait.max(0);
        self.sseq = st.delivered.stream + 1;
        self.dseq = st.delivered.consumer;
        self.lss.clear();
        self.rdq.clear();
        self.dc.clear();
        self.deadlines.clear();
        for (seq, p) in &st.pending {
            self.dc
                .insert(*seq, st.redelivered.get(seq).copied().unwrap_or(0) + 1);
            let left = p.timestamp.saturating_add(wait).saturating_sub(realtime);
            let left = left.clamp(0, wait) as u64;
            self.deadlines
                .insert(*seq, now + Duration::from_nanos(left));
        }
        Ok(())
    }

    /// Panics if an internal invariant is broken (a programmer error).
    pub fn check_invariants(&self) {
        let st = self.store.state();
        assert!(
            st.ack_floor.consumer <= st.delivered.consumer,
            "ack floor above delivered"
        );
        assert!(
            st.delivered.consumer <= self.dseq,
            "delivered above last dseq"
        );
        assert!(
            self.waiting.len() as i64 <= self.cfg.max_waiting.max(0),
            "waiting requests within max_waiting"
        );
        for seq in self.deadlines.keys() {
            assert!(
                st.pending.contains_key(seq),
                "deadline without pending entry"
            );
        }
    }
}

/// Go's `convertToHeadersOnly`: the payload is dropped and its size goes
/// into a `Nats-Msg-Size` header.
pub(super) fn convert_to_headers_only(sm: &mut StoreMsg) {
    let size = sm.msg.len();
    let mut hdr = if sm.hdr.is_empty() {
        b"NATS/1.0\r\n".to_vec()
    } else {
        let mut h = std::mem::take(&mut sm.hdr);
        h.truncate(h.len().saturating_sub(2));
        h
    };
    hdr.extend_from_slice(format!("{JS_MSG_SIZE}: {size}\r\n\r\n").as_bytes());
    sm.hdr = hdr;
    sm.msg = Vec::new();
}

/// Go's `sendIdleHeartbeat`: a `100 Idle Heartbeat` status with the last
/// consumer and stream sequences, and the pending flow control reply when
/// delivery is stalled on it.
pub(super) fn idle_heartbeat(to: &[u8], last_dseq: u64, last_sseq: u64, stalled: Option<&str>) -> Outgoing {
    let mut line = format!(
        "NATS/1.0 100 Idle Heartbeat\r\n{JS_LAST_CONSUMER_SEQ}: {last_dseq}\r\n{JS_LAST_STREAM_SEQ}: {last_sseq}\r\n"
    );
    if let Some(fc) = stalled {
        line.push_str(&format!("{JS_CONSUMER_STALLED}: {fc}\r\n"));
    }
    line.push_str("\r\n");
    status_msg(to, line)
}

/// Go's `GetSeqFromTime` over a store: the first sequence stored at or
/// after `t` (one past the last if none).
fn seq_from_time(store: &mut dyn StreamStore, t: UnixNanos) -> u64 {
    let state = store.state();
    let mut seq = state.first_seq.max(1);
    // Bounded by the stream's sequence range: every step moves forward.
    while seq <= state.last_seq {
        match store.load_next_msg(">", true, seq) {
            Ok((sm, found)) if sm.ts >= t => return found,
            Ok((_, found)) => seq = found + 1,
            Err(_) => break,
        }
    }
    state.last_seq + 1
}

/// Go's 408 for an expired (or exhausted no-wait) request, with what the
/// request still wanted.
fn timeout_status(wr: &WaitingRequest) -> Outgoing {
    let line = format!(
        "NATS/1.0 408 Request Timeout\r\n{JS_PULL_REQUEST_PENDING_MSGS}: {}\r\n{JS_PULL_REQUEST_PENDING_BYTES}: {}\r\n\r\n",
        wr.n, wr.b
    );
    status_msg(&wr.reply, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_reply_parses_go_v1_format() {
        let a = parse_ack_reply("$JS.ACK.S.C.2.10.7.1700000000000000000.3").unwrap();
        assert_eq!(
            (a.stream, a.consumer, a.dc, a.sseq, a.dseq),
            ("S", "C", 2, 10, 7)
        );
        assert!(parse_ack_reply("$JS.ACK.S.C.1.2").is_none());
        assert!(parse_ack_reply("$JS.ACK.S.C.x.1.1.1.1").is_none());
    }

    #[test]
    fn ack_kinds_like_go() {
        assert_eq!(ack_kind(b""), AckKind::Ack);
        assert_eq!(ack_kind(b"+ACK"), AckKind::Ack);
        assert_eq!(ack_kind(b"-NAK"), AckKind::Nak(None));
        assert_eq!(
            ack_kind(br#"-NAK {"delay": 2000000000}"#),
            AckKind::Nak(Some(Duration::from_secs(2)))
        );
        assert_eq!(ack_kind(b"+WPI"), AckKind::Progress);
        assert_eq!(ack_kind(b"+TERM reason"), AckKind::Term);
        assert_eq!(ack_kind(b"bogus"), AckKind::Other);
    }

    #[test]
    fn config_defaults_like_go() {
        let mut c: ConsumerConfig = serde_json::from_str(r#"{"durable_name":"d"}"#).unwrap();
        c.set_defaults();
        assert_eq!(c.ack_wait, JS_ACK_WAIT_DEFAULT);
        assert_eq!(c.max_deliver, -1);
        assert_eq!(c.max_ack_pending, 1000);
        assert_eq!(c.max_waiting, 512);
        assert_eq!(c.inactive_threshold, 0);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["deliver_policy"], "all");
        assert_eq!(v["ack_policy"], "explicit");
        assert_eq!(v["replay_policy"], "instant");
        assert_eq!(v["num_replicas"], 0);
        assert!(v.get("filter_subject").is_none());
    }
}

#[cfg(test)]
mod pending_tests {
    //! The ack subject's pending count is counted once per delivery round,
    //! not once per message (a scan per message made pull O(stream size)).
    use super::*;
    use crate::store::memstore::MemStore;
    use crate::store::{SimpleState, StreamConfig, StreamState};
    use std::cell::Cell;

    /// A memory store that counts the calls that scan the index.
    struct Counting {
        inner: MemStore,
        scans: Cell<u64>,
    }

    impl StreamStore for Counting {
        fn store_msg(
            &mut self,
            subj: &str,
            hdr: &[u8],
            msg: &[u8],
            ttl: i64,
            now: UnixNanos,
        ) -> Result<(u64, UnixNanos), StoreError> {
            self.inner.store_msg(subj, hdr, msg, ttl, now)
        }
        fn store_raw_msg(
            &mut self,
            subj: &str,
            hdr: &[u8],
            msg: &[u8],
            seq: u64,
            ts: UnixNanos,
            ttl: i64,
        ) -> Result<(), StoreError> {
            self.inner.store_raw_msg(subj, hdr, msg, seq, ts, ttl)
        }
        fn skip_msg(&mut self, seq: u64, now: UnixNanos) -> Result<u64, StoreError> {
            self.inner.skip_msg(seq, now)
        }
        fn skip_msgs(&mut self, seq: u64, num: u64, now: UnixNanos) -> Result<(), StoreError> {
            self.inner.skip_msgs(seq, num, now)
        }
        fn load_msg(&mut self, seq: u64) -> Result<StoreMsg, StoreError> {
            self.inner.load_msg(seq)
        }
        fn load_next_msg(
            &mut self,
            filter: &str,
            wc: bool,
            start: u64,
        ) -> Result<(StoreMsg, u64), StoreError> {
            self.inner.load_next_msg(filter, wc, start)
        }
        fn load_next_msg_multi(
            &mut self,
            filters: &[&str],
            start: u64,
        ) -> Result<(StoreMsg, u64), StoreError> {
            self.inner.load_next_msg_multi(filters, start)
        }
        fn load_last_msg(&mut self, subj: &str) -> Result<StoreMsg, StoreError> {
            self.inner.load_last_msg(subj)
        }
        fn remove_msg(&mut self, seq: u64) -> Result<bool, StoreError> {
            self.inner.remove_msg(seq)
        }
        fn erase_msg(&mut self, seq: u64) -> Result<bool, StoreError> {
            self.inner.erase_msg(seq)
        }
        fn purge(&mut self) -> Result<u64, StoreError> {
            self.inner.purge()
        }
        fn purge_ex(&mut self, subject: &str, seq: u64, keep: u64) -> Result<u64, StoreError> {
            self.inner.purge_ex(subject, seq, keep)
        }
        fn compact(&mut self, seq: u64) -> Result<u64, StoreError> {
            self.inner.compact(seq)
        }
        fn truncate(&mut self, seq: u64) -> Result<(), StoreError> {
            self.inner.truncate(seq)
        }
        fn expire_msgs(&mut self, now: UnixNanos) -> Result<u64, StoreError> {
            self.inner.expire_msgs(now)
        }
        fn next_expiry(&self) -> Option<UnixNanos> {
            self.inner.next_expiry()
        }
        fn flush(&mut self) -> Result<u64, StoreError> {
            self.inner.flush()
        }
        fn durable_seq(&self) -> u64 {
            self.inner.durable_seq()
        }
        fn state(&self) -> StreamState {
            self.inner.state()
        }
        fn filtered_state(&self, sseq: u64, subj: &str) -> SimpleState {
            self.scans.set(self.scans.get() + 1);
            self.inner.filtered_state(sseq, subj)
        }
        fn subjects_state(&self, filter: &str) -> BTreeMap<String, SimpleState> {
            self.inner.subjects_state(filter)
        }
        fn subjects_totals(&self, filter: &str) -> BTreeMap<String, u64> {
            self.inner.subjects_totals(filter)
        }
        fn num_pending(&self, sseq: u64, filter: &str, lps: bool) -> (u64, u64) {
            self.scans.set(self.scans.get() + 1);
            self.inner.num_pending(sseq, filter, lps)
        }
        fn update_config(&mut self, cfg: StreamConfig, now: UnixNanos) -> Result<(), StoreError> {
            self.inner.update_config(cfg, now)
        }
        fn check_invariants(&self) {
            self.inner.check_invariants()
        }
    }

    fn pending_of(o: &Outgoing) -> u64 {
        let r = std::str::from_utf8(o.reply.as_ref().unwrap()).unwrap();
        r.rsplit('.').next().unwrap().parse().unwrap()
    }

    fn request(n: i64) -> WaitingRequest {
        WaitingRequest {
            reply: Bytes::from_static(b"_INBOX.r"),
            n,
            b: 0,
            d: 0,
            expires: None,
            no_wait: true,
            hb: 0,
            hbt: None,
        }
    }

    fn run(filter: &str, subjects: &[&str]) {
        let mut st = Counting {
            inner: MemStore::new(StreamConfig::default()),
            scans: Cell::new(0),
        };
        for i in 0..1000u64 {
            let subj = subjects[i as usize % subjects.len()];
            st.store_msg(subj, b"", b"x", 0, 1).unwrap();
        }
        // Two of the matching messages go away before the consumer reads.
        st.remove_msg(10).unwrap();
        st.remove_msg(500).unwrap();
        let cfg = ConsumerConfig {
            durable: "d".into(),
            filter_subject: filter.into(),
            ..Default::default()
        };
        let mut cfg = cfg;
        cfg.set_defaults();
        let now = Instant::from_nanos(1);
        let mut c = Consumer::new("S", "d", cfg, &mut st, now, 1);
        let total = c.num_pending(&st);
        let mut expect = total;
        let mut delivered = 0;
        // Bounded: ten rounds of 100.
        for _ in 0..10 {
            st.scans.set(0);
            c.waiting.push_back(request(100));
            let out = c.process_waiting(&mut st, now, 1);
            let msgs: Vec<_> = out.iter().filter(|o| o.reply.is_some()).collect();
            assert!(
                st.scans.get() <= 1,
                "{} index scans for one round",
                st.scans.get()
            );
            for m in msgs {
                expect -= 1;
                delivered += 1;
                assert_eq!(pending_of(m), expect, "pending after delivery {delivered}");
            }
            let acks: Vec<(u64, u64)> = c
                .ack_state()
                .pending
                .iter()
                .map(|(s, p)| (*s, p.sequence))
                .collect();
            for (sseq, dseq) in acks {
                c.process_ack(AckKind::Ack, sseq, dseq, now, 1);
            }
        }
        assert_eq!(delivered, total, "every match delivered");
        assert_eq!(c.num_pending(&st), 0);
    }

    #[test]
    fn pull_pending_is_counted_once_per_round() {
        run("", &["a"]);
        run("a", &["a", "b"]);
        run("a.*", &["a.x", "a.y", "b.x"]);
    }
}

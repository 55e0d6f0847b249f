//! Push delivery, flow control, idle heartbeats, pause, `replay_policy:
//! original` pacing, backoff and the consumer advisories (Go's
//! `loopAndGatherMsgs` push branch, `needFlowControl`,
//! `processFlowControl`, `sendIdleHeartbeat`, `updateDeliveryInterest`,
//! `checkPending` backoff and `notifyDeliveryExceeded`/`processTerm`
//! advisories in server/consumer.go).
//!
//! A push consumer sends to its `deliver_subject` only while a client is
//! subscribed to it (with `deliver_group`, a member of that queue group):
//! the engine reports interest changes through
//! [`super::JetStream::handle_interest`], like Go's sublist notifications.
//! Every timer here is a deadline returned by [`Consumer::poll_timeout`].

use super::consumer::*;
use super::types::format_rfc3339;
use super::Outgoing;
use crate::store::StreamStore;
use crate::time::{Instant, UnixNanos};
use bytes::Bytes;
use serde::Serialize;
use std::time::Duration;

/// Go's `JsFlowControlMaxPending`: bytes a flow-controlled push consumer
/// may have outstanding at most.
pub const JS_FLOW_CONTROL_MAX_PENDING: i64 = 32 * 1024 * 1024;
/// Go's `jsFlowControlPre`.
pub const JS_FLOW_CONTROL_PRE: &str = "$JS.FC.";
/// Go's `JSAdvisoryConsumerMaxDeliveryExceedPre`.
pub const JS_ADVISORY_CONSUMER_MAX_DELIVERY_EXCEED_PRE: &str =
    "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES";
/// Go's `JSAdvisoryConsumerMsgTerminatedPre`.
pub const JS_ADVISORY_CONSUMER_MSG_TERMINATED_PRE: &str =
    "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED";
/// Go's `JSAdvisoryConsumerPausePre`.
pub const JS_ADVISORY_CONSUMER_PAUSE_PRE: &str = "$JS.EVENT.ADVISORY.CONSUMER.PAUSE";
/// Go's `JSConsumerPauseAdvisoryType`.
pub const JS_CONSUMER_PAUSE_ADVISORY_TYPE: &str = "io.nats.jetstream.advisory.v1.consumer_pause";
/// Go's `JSConsumerDeliveryExceededAdvisoryType`.
pub const JS_CONSUMER_DELIVERY_EXCEEDED_ADVISORY_TYPE: &str =
    "io.nats.jetstream.advisory.v1.max_deliver";
/// Go's `JSConsumerDeliveryTerminatedAdvisoryType`.
pub const JS_CONSUMER_DELIVERY_TERMINATED_ADVISORY_TYPE: &str =
    "io.nats.jetstream.advisory.v1.terminated";

/// Messages one delivery call sends at most; the rest follow on the next
/// timer tick (which is due at once), so one call never builds an
/// unbounded batch.
const PUSH_BATCH_MAX: usize = 1024;

/// A push consumer's delivery state (Go's `active`, `pbytes`, `maxpb`,
/// `pblimit`, `fcid`, `fcsz` and the heartbeat timer).
#[derive(Clone, Debug, Default)]
pub struct PushState {
    /// A client is subscribed to the deliver subject (Go's `active`).
    pub active: bool,
    /// Bytes sent since the last flow control reply.
    pub pbytes: i64,
    /// Current flow control window (0: no flow control).
    pub maxpb: i64,
    pub pblimit: i64,
    /// The outstanding flow control reply subject.
    pub fcid: Option<String>,
    pub fcsz: i64,
    /// Counter for flow control reply tokens.
    pub fc_seq: u64,
    /// When the next idle heartbeat is due.
    pub hb_at: Option<Instant>,
    /// More messages may be ready than the last call sent.
    pub more_at: Option<Instant>,
}

impl PushState {
    pub fn new(cfg: &ConsumerConfig) -> PushState {
        let mut p = PushState::default();
        if cfg.flow_control {
            // Go's `setMaxPendingBytes`: start at 1/16 of the limit.
            p.pblimit = JS_FLOW_CONTROL_MAX_PENDING;
            p.maxpb = (JS_FLOW_CONTROL_MAX_PENDING / 16).max(1);
        }
        p
    }
}

/// `replay_policy: original` state: messages that existed when the
/// consumer was created go out spaced as they were stored.
#[derive(Clone, Debug)]
pub struct ReplayState {
    /// Replay pacing applies up to this stream sequence (Go's `lseq`).
    pub until_seq: u64,
    /// Timestamp of the last message sent and when it was sent.
    pub last: Option<(UnixNanos, Instant)>,
    /// The next message may go out at this instant.
    pub next_at: Option<Instant>,
}

impl ReplayState {
    pub fn new(until_seq: u64) -> ReplayState {
        ReplayState {
            until_seq,
            last: None,
            next_at: None,
        }
    }
}

#[derive(Serialize)]
struct DeliveryExceededAdvisory<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    timestamp: String,
    stream: &'a str,
    consumer: &'a str,
    stream_seq: u64,
    deliveries: u64,
}

#[derive(Serialize)]
struct PauseAdvisory<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    timestamp: String,
    stream: &'a str,
    consumer: &'a str,
    paused: bool,
    pause_until: String,
}

#[derive(Serialize)]
struct DeliveryTerminatedAdvisory<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    timestamp: String,
    stream: &'a str,
    consumer: &'a str,
    consumer_seq: u64,
    stream_seq: u64,
    deliveries: u64,
    #[serde(skip_serializing_if = "str::is_empty")]
    reason: &'a str,
}

/// A 22-character base-62 id, like Go's nuid (unique per consumer and
/// advisory; derived, not random, so a simulation replays).
fn advisory_id(created: UnixNanos, seq: u64) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut v = ((created as u128) << 64) | seq as u128;
    let mut out = [b'0'; 22];
    for b in out.iter_mut().rev() {
        *b = DIGITS[(v % 62) as usize];
        v /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Consumer {
    /// Serves whatever can go out now: pull requests, or for a push
    /// consumer its deliver subject. Includes queued advisories.
    pub fn deliver_ready(
        &mut self,
        store: &mut dyn StreamStore,
        now: Instant,
        realtime: UnixNanos,
    ) -> Vec<Outgoing> {
        if self.push.is_some() {
            return self.deliver_push(store, now, realtime);
        }
        self.process_waiting(store, now, realtime)
    }

    /// True when a call to [`Consumer::deliver_ready`] may send something.
    pub fn wants_delivery(&self) -> bool {
        match &self.push {
            Some(p) => p.active,
            None => !self.waiting.is_empty(),
        }
    }

    /// Go's push branch of `loopAndGatherMsgs`.
    fn deliver_push(
        &mut self,
        store: &mut dyn StreamStore,
        now: Instant,
        realtime: UnixNanos,
    ) -> Vec<Outgoing> {
        let mut out = std::mem::take(&mut self.outbox);
        let Some(p) = self.push.as_mut() else {
            return out;
        };
        p.more_at = None;
        if !p.active || self.paused(now) {
            return out;
        }
        let to = Bytes::from(self.cfg.deliver_subject.clone());
        self.begin_round();
        for _ in 0..PUSH_BATCH_MAX {
            let p = self.push.as_ref().expect("push consumer");
            if p.maxpb > 0 && p.pbytes > p.maxpb {
                return out;
            }
            if self.ack_pending_full() {
                return out;
            }
            let Some((sm, dc)) = self.next_msg(store) else {
                return out;
            };
            if !self.replay_ready(sm.seq, sm.ts, now) {
                self.put_back(sm.seq, dc);
                return out;
            }
            let msg = self.deliver(&to, sm, dc, store, now, realtime);
            let size = (to.len()
                + msg.reply.as_ref().map_or(0, |r| r.len())
                + msg.headers.as_ref().map_or(0, |h| h.len())
                + msg.payload.len()) as i64;
            out.push(msg);
            if let Some(fc) = self.track_flow_control(size) {
                out.push(fc);
            }
            if self.cfg.heartbeat > 0 {
                let hb = Duration::from_nanos(self.cfg.heartbeat as u64);
                self.push.as_mut().expect("push consumer").hb_at = Some(now + hb);
            }
        }
        // More may be waiting: continue on the next timer tick.
        self.push.as_mut().expect("push consumer").more_at = Some(now);
        out
    }

    /// Replay pacing: may a message stored at `ts` go out now?
    pub(super) fn replay_ready(&mut self, seq: u64, ts: UnixNanos, now: Instant) -> bool {
        let Some(r) = self.replay.as_mut() else {
            return true;
        };
        if seq > r.until_seq {
            // Caught up: Go leaves replay mode.
            self.replay = None;
            return true;
        }
        if let Some((lts, sent)) = r.last {
            let gap = ts - lts;
            if gap > 1_000_000 {
                let at = sent + Duration::from_nanos(gap as u64);
                if now < at {
                    r.next_at = Some(at);
                    return false;
                }
            }
        }
        r.last = Some((ts, now));
        r.next_at = None;
        true
    }

    /// Go's byte accounting in `deliverMsg` and `needFlowControl`: returns
    /// a flow control request to send when over half the window.
    fn track_flow_control(&mut self, size: i64) -> Option<Outgoing> {
        let stream = self.stream.clone();
        let name = self.name.clone();
        let to = self.cfg.deliver_subject.clone();
        let p = self.push.as_mut()?;
        if p.maxpb == 0 {
            return None;
        }
        p.pbytes += size;
        if p.fcid.is_none() && p.pbytes > p.maxpb / 2 {
            p.fc_seq += 1;
            let reply = format!("{JS_FLOW_CONTROL_PRE}{stream}.{name}.{}", p.fc_seq);
            p.fcid = Some(reply.clone());
            p.fcsz = p.pbytes;
            return Some(Outgoing {
                subject: Bytes::from(to),
                reply: Some(Bytes::from(reply)),
                deliver_as: None,
                headers: Some(Bytes::from_static(b"NATS/1.0 100 FlowControl Request\r\n\r\n")),
                payload: Bytes::new(),
            });
        }
        if p.fcid.is_some() && p.pbytes - p.fcsz >= p.maxpb {
            p.fcsz += size;
        }
        None
    }

    /// Go's `processFlowControl`: the client answered `subject`. Returns
    /// true when delivery may resume.
    pub fn process_flow_control(&mut self, subject: &str) -> bool {
        let Some(p) = self.push.as_mut() else {
            return false;
        };
        if p.fcid.as_deref() != Some(subject) {
            return false;
        }
        if p.maxpb < p.pblimit {
            p.maxpb = (p.maxpb * 2).min(p.pblimit);
        }
        p.pbytes = (p.pbytes - p.fcsz).max(0);
        p.fcid = None;
        p.fcsz = 0;
        true
    }

    /// Go's `updateDeliveryInterest`: a client subscribed to the deliver
    /// subject, or the last one left. Returns true when delivery may start.
    pub fn set_delivery_interest(&mut self, interest: bool, now: Instant) -> bool {
        let hb = self.cfg.heartbeat;
        let Some(p) = self.push.as_mut() else {
            return false;
        };
        let was = p.active;
        p.active = interest;
        if !interest {
            // The inactivity threshold counts from here.
            self.last_active = now;
            p.hb_at = None;
        } else if !was && hb > 0 {
            p.hb_at = Some(now + Duration::from_nanos(hb as u64));
        }
        interest && !was
    }

    /// Push timers: idle heartbeats while bound. Delivery that waited for a
    /// timer (more messages, replay, pause) is resumed by the caller.
    pub(super) fn push_timeout(&mut self, now: Instant) -> Vec<Outgoing> {
        let (dseq, sseq) = (self.dseq, self.sseq.saturating_sub(1));
        let hb = self.cfg.heartbeat;
        let to = self.cfg.deliver_subject.clone();
        let Some(p) = self.push.as_mut() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if p.active && hb > 0 && p.hb_at.is_some_and(|t| now >= t) {
            out.push(idle_heartbeat(to.as_bytes(), dseq, sseq, p.fcid.as_deref()));
            p.hb_at = Some(now + Duration::from_nanos(hb as u64));
        }
        out
    }

    /// The push timers' next deadline.
    pub(super) fn push_poll_timeout(&self) -> Option<Instant> {
        let replay = self.replay.as_ref().and_then(|r| r.next_at);
        let p = self.push.as_ref();
        let hb = p.filter(|p| p.active).and_then(|p| p.hb_at);
        let more = p.and_then(|p| p.more_at);
        [replay, hb, more].into_iter().flatten().min()
    }

    /// Delivery is paused at `now` (Go's `pause_until` check).
    pub fn paused(&self, now: Instant) -> bool {
        self.pause_at.is_some_and(|t| now < t)
    }

    /// Nanoseconds left of a pause at wall time `realtime` (0: not paused).
    pub fn pause_remaining(&self, realtime: UnixNanos) -> i64 {
        let until = self
            .cfg
            .pause_until
            .as_deref()
            .and_then(super::types::parse_rfc3339)
            .flatten();
        until.map_or(0, |u| (u - realtime).max(0))
    }

    /// Sets `pause_until` (wall time; `None` resumes) and the monotonic
    /// deadline that ends the pause; queues Go's pause advisory.
    pub fn set_pause(&mut self, until: Option<UnixNanos>, now: Instant, realtime: UnixNanos) {
        self.set_pause_state(until, now, realtime);
        let adv = self.pause_advisory(realtime);
        self.outbox.push(adv);
    }

    /// A pause that ran out: delivery resumes, with an advisory.
    pub(super) fn check_pause_end(&mut self, now: Instant, realtime: UnixNanos) {
        if self.pause_at.is_some_and(|t| now >= t) {
            self.pause_at = None;
            let adv = self.pause_advisory(realtime);
            self.outbox.push(adv);
        }
    }

    /// Go's `sendPauseAdvisoryLocked`.
    fn pause_advisory(&mut self, realtime: UnixNanos) -> Outgoing {
        let until = self
            .cfg
            .pause_until
            .as_deref()
            .and_then(super::types::parse_rfc3339)
            .flatten();
        let id = self.next_advisory_id();
        let e = PauseAdvisory {
            kind: JS_CONSUMER_PAUSE_ADVISORY_TYPE,
            id,
            timestamp: format_rfc3339(Some(realtime)),
            stream: &self.stream,
            consumer: &self.name,
            paused: until.is_some_and(|u| u > realtime),
            pause_until: format_rfc3339(until),
        };
        let subject = format!("{JS_ADVISORY_CONSUMER_PAUSE_PRE}.{}.{}", self.stream, self.name);
        Outgoing::new(subject.as_bytes(), serde_json::to_vec(&e).unwrap_or_default())
    }

    fn set_pause_state(&mut self, until: Option<UnixNanos>, now: Instant, realtime: UnixNanos) {
        match until {
            Some(u) if u > realtime => {
                self.cfg.pause_until = Some(format_rfc3339(Some(u)));
                self.pause_at = Some(now + Duration::from_nanos((u - realtime) as u64));
            }
            Some(u) => {
                self.cfg.pause_until = Some(format_rfc3339(Some(u)));
                self.pause_at = None;
            }
            None => {
                self.cfg.pause_until = None;
                self.pause_at = None;
            }
        }
    }

    /// How long delivery `dc` of a message waits for its ack: `ack_wait`,
    /// or with `backoff` the entry for this redelivery (the last one once
    /// past the end), as Go's `checkPending`.
    pub(super) fn ack_wait_for(&self, dc: u64) -> Duration {
        let ns = match self.cfg.backoff.len() {
            0 => self.cfg.ack_wait,
            n => self.cfg.backoff[(dc.saturating_sub(1) as usize).min(n - 1)],
        };
        Duration::from_nanos(ns.max(0) as u64)
    }

    fn next_advisory_id(&mut self) -> String {
        self.adv_seq += 1;
        advisory_id(self.created, self.adv_seq)
    }

    /// Go's `notifyDeliveryExceeded`.
    pub(super) fn max_deliveries_advisory(
        &mut self,
        seq: u64,
        dc: u64,
        realtime: UnixNanos,
    ) -> Outgoing {
        let id = self.next_advisory_id();
        let e = DeliveryExceededAdvisory {
            kind: JS_CONSUMER_DELIVERY_EXCEEDED_ADVISORY_TYPE,
            id,
            timestamp: format_rfc3339(Some(realtime)),
            stream: &self.stream,
            consumer: &self.name,
            stream_seq: seq,
            deliveries: dc,
        };
        let subject = format!(
            "{JS_ADVISORY_CONSUMER_MAX_DELIVERY_EXCEED_PRE}.{}.{}",
            self.stream, self.name
        );
        Outgoing::new(subject.as_bytes(), serde_json::to_vec(&e).unwrap_or_default())
    }

    /// Go's advisory in `processTerm`.
    pub(super) fn terminated_advisory(
        &mut self,
        sseq: u64,
        dseq: u64,
        dc: u64,
        reason: &str,
        realtime: UnixNanos,
    ) -> Outgoing {
        let id = self.next_advisory_id();
        let e = DeliveryTerminatedAdvisory {
            kind: JS_CONSUMER_DELIVERY_TERMINATED_ADVISORY_TYPE,
            id,
            timestamp: format_rfc3339(Some(realtime)),
            stream: &self.stream,
            consumer: &self.name,
            consumer_seq: dseq,
            stream_seq: sseq,
            deliveries: dc,
            reason,
        };
        let subject = format!(
            "{JS_ADVISORY_CONSUMER_MSG_TERMINATED_PRE}.{}.{}",
            self.stream, self.name
        );
        Outgoing::new(subject.as_bytes(), serde_json::to_vec(&e).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_ids_are_22_chars_and_distinct() {
        let a = advisory_id(1_700_000_000_000_000_000, 1);
        let b = advisory_id(1_700_000_000_000_000_000, 2);
        assert_eq!(a.len(), 22);
        assert_ne!(a, b);
    }

    #[test]
    fn flow_control_window_starts_at_a_sixteenth() {
        let cfg = ConsumerConfig {
            flow_control: true,
            heartbeat: 1_000_000_000,
            deliver_subject: "d".into(),
            ..Default::default()
        };
        let p = PushState::new(&cfg);
        assert_eq!(p.pblimit, JS_FLOW_CONTROL_MAX_PENDING);
        assert_eq!(p.maxpb, JS_FLOW_CONTROL_MAX_PENDING / 16);
        let p = PushState::new(&ConsumerConfig::default());
        assert_eq!(p.maxpb, 0);
    }
}

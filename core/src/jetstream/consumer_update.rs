//! Changing a consumer after it was created: config updates (Go's
//! `checkNewConsumerConfig` and `updateConfig`), the pause API (Go's
//! `jsConsumerPauseRequest`), delivery interest reported by the engine and
//! flow control replies on `$JS.FC.…`.

use super::api::from_json;
use super::consumer::*;
use super::consumer_push::{PushState, JS_FLOW_CONTROL_PRE};
use super::errors::*;
use super::types::{format_rfc3339, parse_rfc3339};
use super::{JetStream, Outgoing};
use crate::time::{Instant, UnixNanos};
use serde::{Deserialize, Serialize};

/// Go's `JSApiConsumerPauseResponseType`.
pub const JS_API_CONSUMER_PAUSE_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.consumer_pause_response";

/// Go's `checkNewConsumerConfig`: which fields an update may change.
/// `bound`: a client is subscribed to the current deliver subject.
pub fn check_new_consumer_config(
    old: &ConsumerConfig,
    new: &ConsumerConfig,
    bound: bool,
) -> Result<(), String> {
    if old == new {
        return Ok(());
    }
    let checks: [(bool, &str); 9] = [
        (old.deliver_policy != new.deliver_policy, "deliver policy can not be updated"),
        (old.memory_storage != new.memory_storage, "storage type can not be updated"),
        (old.direct != new.direct, "direct can not be updated"),
        (old.opt_start_seq != new.opt_start_seq, "start sequence can not be updated"),
        (!same_time(&old.opt_start_time, &new.opt_start_time), "start time can not be updated"),
        (old.ack_policy != new.ack_policy, "ack policy can not be updated"),
        (old.replay_policy != new.replay_policy, "replay policy can not be updated"),
        (old.heartbeat != new.heartbeat, "heart beats can not be updated"),
        (old.flow_control != new.flow_control, "flow control can not be updated"),
    ];
    if let Some((_, msg)) = checks.iter().find(|(bad, _)| *bad) {
        return Err(msg.to_string());
    }
    if old.deliver_subject != new.deliver_subject {
        if old.deliver_subject.is_empty() {
            return Err("can not update pull consumer to push based".into());
        }
        if new.deliver_subject.is_empty() {
            return Err("can not update push consumer to pull based".into());
        }
        if bound {
            return Err(ApiError::new(&JS_CONSUMER_NAME_EXIST_ERR).description);
        }
    }
    if old.max_waiting != new.max_waiting {
        return Err("max waiting can not be updated".into());
    }
    let lbo = new.backoff.len() as i64;
    if lbo > 0 && new.max_deliver != -1 && lbo > new.max_deliver {
        return Err(ApiError::new(&JS_CONSUMER_MAX_DELIVER_BACKOFF_ERR).description);
    }
    Ok(())
}

fn same_time(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => parse_rfc3339(a) == parse_rfc3339(b),
        (None, None) => true,
        _ => false,
    }
}

impl Consumer {
    /// Go's `didNotDeliver` for pull mode: forget requests on `inbox` and
    /// queue `seq` for immediate redelivery with its delivery uncounted.
    pub fn did_not_deliver(&mut self, inbox: &[u8], seq: u64) {
        self.waiting.retain(|w| w.reply.as_ref() != inbox);
        if !self.store.state().pending.contains_key(&seq) {
            return;
        }
        if let Some(dc) = self.dc.get_mut(&seq) {
            *dc = dc.saturating_sub(1);
        }
        self.deadlines.remove(&seq);
        if !self.rdq.contains(&seq) {
            self.rdq.push_front(seq);
        }
    }

    /// Go's `updateConfig` after [`check_new_consumer_config`] passed.
    pub fn update_config(&mut self, cfg: ConsumerConfig) {
        if self.cfg.deliver_subject != cfg.deliver_subject {
            // A new deliver subject starts unbound; the engine reports it.
            let mut p = PushState::new(&cfg);
            if let Some(old) = &self.push {
                p.fc_seq = old.fc_seq;
            }
            self.push = Some(p);
        }
        // Go's `updateConfig` also hands a new max_deliver to the store.
        self.store.max_deliver = cfg.max_deliver;
        self.cfg = cfg;
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PauseRequest {
    pause_until: Option<String>,
}

#[derive(Serialize, Default)]
struct PauseBody {
    paused: bool,
    pause_until: String,
    #[serde(skip_serializing_if = "is_zero")]
    pause_remaining: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl JetStream {
    /// `$JS.API.CONSUMER.PAUSE.<stream>.<consumer>` (Go's
    /// `jsConsumerPauseRequest`): an empty body or a zero time resumes.
    pub(crate) fn consumer_pause_request(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        stream: &str,
        name: &str,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_CONSUMER_PAUSE_RESPONSE_TYPE;
        let t = msg.trim_ascii();
        let req: PauseRequest = if t.first().is_some_and(|c| *c == b'{' || *c == b'[') {
            match from_json(t) {
                Ok(r) => r,
                Err(e) => {
                    let e = ApiError::new(&JS_INVALID_JSON_ERR).with("err", e);
                    return self.err::<PauseBody>(reply, T, e);
                }
            }
        } else {
            PauseRequest::default()
        };
        let until = match req.pause_until.as_deref().map(parse_rfc3339) {
            None => None,
            Some(Some(t)) => t,
            Some(None) => {
                let e = ApiError::new(&JS_INVALID_JSON_ERR).with("err", "bad pause_until time");
                return self.err::<PauseBody>(reply, T, e);
            }
        };
        if !self.streams.contains_key(stream) {
            return self.err::<PauseBody>(reply, T, ApiError::new(&JS_STREAM_NOT_FOUND_ERR));
        }
        let Some(c) = self.consumers.get_mut(stream).and_then(|m| m.get_mut(name)) else {
            return self.err::<PauseBody>(reply, T, ApiError::new(&JS_CONSUMER_NOT_FOUND_ERR));
        };
        c.set_pause(until, now, realtime);
        let advisories = std::mem::take(&mut c.outbox);
        let remaining = c.pause_remaining(realtime);
        let body = PauseBody {
            paused: remaining > 0,
            pause_until: format_rfc3339(until),
            pause_remaining: remaining,
        };
        let mut out = self.respond(reply, T, None, body);
        out.extend(advisories);
        if remaining == 0 {
            out.extend(self.signal_consumers(now, realtime, stream));
        }
        out
    }

    /// Deliver subjects (and groups) of push consumers, for the engine to
    /// report interest on.
    pub fn watched_interest(&self) -> Vec<(String, Option<String>)> {
        let mut out: Vec<(String, Option<String>)> = self
            .consumers
            .values()
            .flat_map(|m| m.values())
            .filter(|c| !c.cfg.deliver_subject.is_empty())
            .map(|c| {
                let g = (!c.cfg.deliver_group.is_empty()).then(|| c.cfg.deliver_group.clone());
                (c.cfg.deliver_subject.clone(), g)
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Client interest in a deliver subject changed: push consumers on it
    /// start or stop delivering.
    pub fn handle_interest(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        subject: &str,
        queue: Option<&str>,
        interest: bool,
    ) -> Vec<Outgoing> {
        let mut out = Vec::new();
        for (stream, cs) in self.consumers.iter_mut() {
            let Some(s) = self.streams.get_mut(stream) else {
                continue;
            };
            for c in cs.values_mut() {
                let group = (!c.cfg.deliver_group.is_empty()).then_some(c.cfg.deliver_group.as_str());
                if c.cfg.deliver_subject != subject || group != queue {
                    continue;
                }
                if c.set_delivery_interest(interest, now) {
                    out.extend(c.deliver_ready(s.store.as_mut(), now, realtime));
                }
            }
        }
        out
    }

    /// A consumer message reached nobody (Go's `didNotDeliver`): for a pull
    /// consumer the request's inbox is gone, so the request is dropped and
    /// the message goes out again at once, its delivery not counted.
    pub fn handle_undelivered(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        subject: &[u8],
        reply: &[u8],
    ) -> Vec<Outgoing> {
        let Some(a) = std::str::from_utf8(reply).ok().and_then(parse_ack_reply) else {
            return Vec::new();
        };
        let (Some(s), Some(c)) = (
            self.streams.get_mut(a.stream),
            self.consumers.get_mut(a.stream).and_then(|m| m.get_mut(a.consumer)),
        ) else {
            return Vec::new();
        };
        if c.push.is_some() {
            // Push interest comes from the engine's reports; ack_wait
            // redelivers what was lost in between.
            return Vec::new();
        }
        c.did_not_deliver(subject, a.sseq);
        c.deliver_ready(s.store.as_mut(), now, realtime)
    }

    /// A flow control reply on `$JS.FC.<stream>.<consumer>.<token>`.
    pub(crate) fn handle_flow_control(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        subject: &str,
    ) -> Vec<Outgoing> {
        let Some(rest) = subject.strip_prefix(JS_FLOW_CONTROL_PRE) else {
            return Vec::new();
        };
        let mut t = rest.split('.');
        let (Some(stream), Some(name)) = (t.next(), t.next()) else {
            return Vec::new();
        };
        let (Some(s), Some(c)) = (
            self.streams.get_mut(stream),
            self.consumers.get_mut(stream).and_then(|m| m.get_mut(name)),
        ) else {
            return Vec::new();
        };
        if c.process_flow_control(subject) {
            return c.deliver_ready(s.store.as_mut(), now, realtime);
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> ConsumerConfig {
        let mut c = ConsumerConfig {
            durable: "d".into(),
            ..Default::default()
        };
        c.set_defaults();
        c
    }

    #[test]
    fn update_allows_description_and_ack_wait() {
        let old = base();
        let mut new = old.clone();
        new.description = "x".into();
        new.ack_wait = 5_000_000_000;
        new.max_ack_pending = 10;
        assert!(check_new_consumer_config(&old, &new, false).is_ok());
    }

    #[test]
    fn update_forbids_policy_changes() {
        let old = base();
        let mut new = old.clone();
        new.ack_policy = AckPolicy::None;
        assert_eq!(
            check_new_consumer_config(&old, &new, false).unwrap_err(),
            "ack policy can not be updated"
        );
        let mut new = old.clone();
        new.deliver_policy = DeliverPolicy::New;
        assert_eq!(
            check_new_consumer_config(&old, &new, false).unwrap_err(),
            "deliver policy can not be updated"
        );
        let mut new = old.clone();
        new.deliver_subject = "push".into();
        assert_eq!(
            check_new_consumer_config(&old, &new, false).unwrap_err(),
            "can not update pull consumer to push based"
        );
        let mut new = old.clone();
        new.max_waiting = 1;
        assert_eq!(
            check_new_consumer_config(&old, &new, false).unwrap_err(),
            "max waiting can not be updated"
        );
    }

    #[test]
    fn update_checks_backoff_against_max_deliver() {
        let old = base();
        let mut new = old.clone();
        new.backoff = vec![1_000_000_000, 2_000_000_000];
        new.max_deliver = 1;
        let e = check_new_consumer_config(&old, &new, false).unwrap_err();
        assert!(e.contains("max deliver"), "{e}");
    }
}

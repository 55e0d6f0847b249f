//! JetStream advisories (Go's jetstream_events.go): the API audit on
//! `$JS.EVENT.ADVISORY.API` and the stream and consumer action advisories
//! on `$JS.EVENT.ADVISORY.{STREAM,CONSUMER}.{CREATED,DELETED,UPDATED}.…`.
//!
//! They are derived around an API call: the streams and consumers before
//! and after it tell what was created, deleted or updated, and the reply
//! the call produced is the audit's `response`. Ids are NUID-shaped and
//! deterministic (seeded from the API call count and the wall time), so the
//! engine's own PRNG sequence is left alone.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::prng::Prng;
use crate::server::rfc3339;
use crate::time::{Instant, UnixNanos};

use super::{JetStream, Outgoing};

pub const JS_ADVISORY_PREFIX: &str = "$JS.EVENT.ADVISORY";
pub const JS_API_AUDIT_TYPE: &str = "io.nats.jetstream.advisory.v1.api_audit";
pub const JS_STREAM_ACTION_TYPE: &str = "io.nats.jetstream.advisory.v1.stream_action";
pub const JS_CONSUMER_ACTION_TYPE: &str = "io.nats.jetstream.advisory.v1.consumer_action";

/// Go's `JSAPIAudit`.
#[derive(Serialize)]
struct ApiAudit<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    timestamp: String,
    server: &'a str,
    client: AuditClient,
    subject: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    request: &'a str,
    response: &'a str,
}

/// The requester as far as the service knows it (Go's `ClientInfo`).
#[derive(Serialize)]
struct AuditClient {
    acc: &'static str,
    kind: &'static str,
}

/// Go's `JSStreamActionAdvisory` and `JSConsumerActionAdvisory`.
#[derive(Serialize)]
struct ActionAdvisory<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    timestamp: String,
    stream: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumer: Option<&'a str>,
    action: &'static str,
}

fn nuid(prng: &mut Prng) -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..22).map(|_| ALPHABET[prng.below(62) as usize] as char).collect()
}

fn json_msg<T: Serialize>(subject: String, body: &T) -> Option<Outgoing> {
    serde_json::to_vec(body).ok().map(|p| Outgoing::new(subject.as_bytes(), p))
}

impl JetStream {
    fn assets(&self) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
        let streams = self.streams.keys().cloned().collect();
        let consumers = self
            .consumers
            .iter()
            .flat_map(|(s, cs)| cs.keys().map(move |c| (s.clone(), c.clone())))
            .collect();
        (streams, consumers)
    }

    /// [`JetStream::handle_api`] plus the advisories the call causes.
    pub(super) fn handle_api_with_advisories(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        subject: &str,
        reply: Option<&[u8]>,
        hdr: &[u8],
        msg: &[u8],
    ) -> Vec<Outgoing> {
        let (streams0, consumers0) = self.assets();
        let mut out = self.handle_api(now, realtime, subject, reply, hdr, msg);
        let (streams1, consumers1) = self.assets();
        let seed = self.api_total.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ realtime as u64;
        let mut prng = Prng::from_seed(seed);
        let ts = rfc3339(realtime);
        let mut adv = Vec::new();
        let response = reply.and_then(|r| out.iter().find(|o| o.subject.as_ref() == r));
        let ok = response.is_some_and(|o| !o.payload.windows(8).any(|w| w == b"\"error\":"));
        let mut stream_action = |name: &str, action: &'static str, verb: &str| {
            let a = ActionAdvisory {
                kind: JS_STREAM_ACTION_TYPE,
                id: nuid(&mut prng),
                timestamp: ts.clone(),
                stream: name,
                consumer: None,
                action,
            };
            json_msg(format!("{JS_ADVISORY_PREFIX}.STREAM.{verb}.{name}"), &a)
        };
        adv.extend(streams1.difference(&streams0).filter_map(|s| stream_action(s, "create", "CREATED")));
        adv.extend(streams0.difference(&streams1).filter_map(|s| stream_action(s, "delete", "DELETED")));
        if let Some(name) = subject.strip_prefix("$JS.API.STREAM.UPDATE.") {
            if ok && streams0.contains(name) {
                adv.extend(stream_action(name, "modify", "UPDATED"));
            }
        }
        let mut consumer_action = |(s, c): &(String, String), action: &'static str, verb: &str| {
            let a = ActionAdvisory {
                kind: JS_CONSUMER_ACTION_TYPE,
                id: nuid(&mut prng),
                timestamp: ts.clone(),
                stream: s,
                consumer: Some(c),
                action,
            };
            json_msg(format!("{JS_ADVISORY_PREFIX}.CONSUMER.{verb}.{s}.{c}"), &a)
        };
        // A deleted stream takes its consumers along: Go reports only the stream.
        let created = consumers1.difference(&consumers0).filter_map(|k| consumer_action(k, "create", "CREATED"));
        adv.extend(created.collect::<Vec<_>>());
        let gone = consumers0.difference(&consumers1).filter(|(s, _)| streams1.contains(s));
        adv.extend(gone.filter_map(|k| consumer_action(k, "delete", "DELETED")).collect::<Vec<_>>());
        if let Some(resp) = response {
            let audit = ApiAudit {
                kind: JS_API_AUDIT_TYPE,
                id: nuid(&mut prng),
                timestamp: ts.clone(),
                server: &self.server_name,
                client: AuditClient { acc: crate::server::accounts::GLOBAL_ACCOUNT, kind: "Client" },
                subject,
                request: std::str::from_utf8(msg).unwrap_or(""),
                response: std::str::from_utf8(&resp.payload).unwrap_or(""),
            };
            adv.extend(json_msg(format!("{JS_ADVISORY_PREFIX}.API"), &audit));
        }
        out.extend(adv);
        out
    }
}

//! The consumer part of the JetStream API (Go's `jsConsumer*Request` in
//! jetstream_api.go and `addConsumer`/`checkConsumerCfg` in consumer.go):
//! create, info, delete, names, list, pull requests on
//! `$JS.API.CONSUMER.MSG.NEXT.…` and acks on `$JS.ACK.…`.
//!
//! Pull and push consumers; a config asking for a feature not built
//! (rate limits, priority groups, direct consumers) is refused with Go's
//! `JSConsumerCreateErrF` and a message saying so.

use super::api::from_json;
use super::config::{
    JS_API_LEVEL, JS_REQUIRED_LEVEL_METADATA_KEY, JS_SERVER_LEVEL_METADATA_KEY,
    JS_SERVER_VERSION_METADATA_KEY,
};
use super::consumer::*;
use super::consumer_update::check_new_consumer_config;
use super::errors::*;
use super::types::*;
use super::types::parse_rfc3339;
use super::{JetStream, Outgoing};
use crate::subject::{is_valid_subject, subjects_collide};
use crate::time::{Instant, UnixNanos};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub const JS_API_CONSUMER_CREATE_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.consumer_create_response";
pub const JS_API_CONSUMER_INFO_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.consumer_info_response";
pub const JS_API_CONSUMER_DELETE_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.consumer_delete_response";
pub const JS_API_CONSUMER_NAMES_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.consumer_names_response";
pub const JS_API_CONSUMER_LIST_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.consumer_list_response";

/// Go's `CreateConsumerRequest`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct CreateConsumerRequest {
    stream_name: String,
    config: Option<ConsumerConfig>,
    action: String,
    pedantic: bool,
}


#[derive(Serialize, Default)]
struct InfoBody {
    #[serde(flatten)]
    info: Option<ConsumerInfo>,
}

#[derive(Serialize, Default)]
struct SuccessBody {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    success: bool,
}

#[derive(Serialize, Default)]
struct NamesBody {
    #[serde(flatten)]
    paged: ApiPaged,
    consumers: Vec<String>,
}

#[derive(Serialize, Default)]
struct ListBody {
    #[serde(flatten)]
    paged: ApiPaged,
    consumers: Vec<ConsumerInfo>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OffsetRequest {
    offset: i64,
}

fn not_supported(what: &str) -> ApiError {
    ApiError::new(&JS_CONSUMER_CREATE_ERR_F).with("err", format!("{what} not supported yet"))
}

fn invalid_policy(msg: &str) -> ApiError {
    ApiError::new(&JS_CONSUMER_INVALID_POLICY_ERR_F).with("err", msg)
}

/// Go's `setStaticConsumerMetadata` (level 0 for what is supported).
fn set_static_metadata(cfg: &mut ConsumerConfig) {
    let md = cfg.metadata.get_or_insert_with(Default::default);
    md.remove(JS_SERVER_VERSION_METADATA_KEY);
    md.remove(JS_SERVER_LEVEL_METADATA_KEY);
    md.insert(JS_REQUIRED_LEVEL_METADATA_KEY.to_string(), "0".to_string());
}

/// Go's `setDynamicConsumerMetadata` on an info copy.
fn with_dynamic_metadata(mut info: ConsumerInfo) -> ConsumerInfo {
    let md = info.config.metadata.get_or_insert_with(Default::default);
    md.insert(
        JS_SERVER_VERSION_METADATA_KEY.to_string(),
        crate::server::NATS_COMPAT_VERSION.to_string(),
    );
    md.insert(
        JS_SERVER_LEVEL_METADATA_KEY.to_string(),
        JS_API_LEVEL.to_string(),
    );
    info
}

/// A name usable as a consumer (Go's `isValidName` plus the path and
/// length checks of `checkConsumerCfg`).
fn check_name(name: &str) -> Result<(), ApiError> {
    if name.contains(['/', '\\']) {
        return Err(ApiError::new(
            &JS_CONSUMER_NAME_CONTAINS_PATH_SEPARATORS_ERR,
        ));
    }
    if name.contains(['.', '*', '>', ' ', '\t', '\r', '\n']) {
        return Err(ApiError::new(&JS_CONSUMER_BAD_DURABLE_NAME_ERR));
    }
    if name.len() > JS_MAX_NAME_LEN {
        return Err(ApiError::new(&JS_CONSUMER_NAME_TOO_LONG_ERR_F).with("max", JS_MAX_NAME_LEN));
    }
    Ok(())
}

/// Go's `checkConsumerCfg` for what a standalone pull consumer uses;
/// features not built yet are refused.
fn check_consumer_cfg(cfg: &ConsumerConfig, stream: &StreamConfig) -> Result<(), ApiError> {
    if cfg.backoff.iter().any(|b| *b < 0) {
        return Err(ApiError::new(&JS_CONSUMER_BACK_OFF_NEGATIVE_ERR));
    }
    if cfg.ack_wait < 0 {
        return Err(ApiError::new(&JS_CONSUMER_ACK_WAIT_NEGATIVE_ERR));
    }
    let lbo = cfg.backoff.len() as i64;
    if lbo > 0 && cfg.max_deliver != -1 && lbo > cfg.max_deliver {
        return Err(ApiError::new(&JS_CONSUMER_MAX_DELIVER_BACKOFF_ERR));
    }
    if cfg.description.len() > JS_MAX_DESCRIPTION_LEN {
        let e = ApiError::new(&JS_CONSUMER_DESCRIPTION_TOO_LONG_ERR_F);
        return Err(e.with("max", JS_MAX_DESCRIPTION_LEN));
    }
    if cfg.deliver_subject.is_empty() {
        check_pull_cfg(cfg)?;
    } else {
        check_push_cfg(cfg, stream)?;
    }
    if !cfg.durable.is_empty() && !cfg.name.is_empty() && cfg.durable != cfg.name {
        return Err(ApiError::new(&JS_CONSUMER_CREATE_DURABLE_AND_NAME_MISMATCH));
    }
    for n in [&cfg.durable, &cfg.name] {
        if !n.is_empty() {
            check_name(n)?;
        }
    }
    check_filters(cfg)?;
    check_deliver_policy(cfg)?;
    if cfg.replicas > 1 {
        return Err(ApiError::new(&JS_CONSUMER_REPLICAS_EXCEEDS_STREAM));
    }
    if cfg.replicas < 0 {
        return Err(ApiError::new(&JS_REPLICAS_COUNT_CANNOT_BE_NEGATIVE));
    }
    if !cfg.sample_frequency.is_empty() {
        let f = cfg.sample_frequency.trim_end_matches('%');
        if f.parse::<i64>().map_or(true, |v| v < 0) {
            let e = ApiError::new(&JS_CONSUMER_INVALID_SAMPLING_ERR_F);
            return Err(e.with("err", format!("strconv.Atoi: parsing {f:?}: invalid syntax")));
        }
    }
    if cfg.flow_control && cfg.heartbeat == 0 {
        return Err(ApiError::new(&JS_CONSUMER_WITH_FLOW_CONTROL_NEEDS_HEARTBEATS));
    }
    let md: usize = cfg.metadata.iter().flatten().map(|(k, v)| k.len() + v.len()).sum();
    if md > JS_MAX_METADATA_LEN {
        let e = ApiError::new(&JS_CONSUMER_METADATA_LENGTH_ERR_F);
        return Err(e.with("limit", format!("{}KB", JS_MAX_METADATA_LEN / 1024)));
    }
    if cfg.rate_limit != 0 {
        return Err(not_supported("rate_limit_bps"));
    }
    if !cfg.priority_groups.is_empty()
        || cfg
            .priority_policy
            .as_deref()
            .is_some_and(|p| !p.is_empty() && p != "none")
        || cfg.direct
    {
        return Err(not_supported("priority groups and direct consumers"));
    }
    let _ = stream;
    Ok(())
}

/// Go's pull-mode branch of `checkConsumerCfg`.
fn check_pull_cfg(cfg: &ConsumerConfig) -> Result<(), ApiError> {
    if cfg.max_waiting < 0 {
        return Err(ApiError::new(&JS_CONSUMER_MAX_WAITING_NEGATIVE_ERR));
    }
    if cfg.heartbeat > 0 {
        return Err(ApiError::new(&JS_CONSUMER_HB_REQUIRES_PUSH_ERR));
    }
    if cfg.flow_control {
        return Err(ApiError::new(&JS_CONSUMER_FC_REQUIRES_PUSH_ERR));
    }
    if cfg.max_request_batch < 0 {
        return Err(ApiError::new(&JS_CONSUMER_MAX_REQUEST_BATCH_NEGATIVE_ERR));
    }
    if cfg.max_request_expires != 0 && cfg.max_request_expires < 1_000_000 {
        return Err(ApiError::new(&JS_CONSUMER_MAX_REQUEST_EXPIRES_TOO_SMALL));
    }
    Ok(())
}

/// Go's push-mode branch of `checkConsumerCfg`.
fn check_push_cfg(cfg: &ConsumerConfig, stream: &StreamConfig) -> Result<(), ApiError> {
    let d = cfg.deliver_subject.as_bytes();
    if d.split(|c| *c == b'.').any(|t| t == b"*" || t == b">") {
        return Err(ApiError::new(&JS_CONSUMER_DELIVER_TO_WILDCARDS_ERR));
    }
    if !is_valid_subject(d) {
        return Err(ApiError::new(&JS_CONSUMER_INVALID_DELIVER_SUBJECT));
    }
    // Go's `deliveryFormsCycle`.
    if stream
        .subjects
        .iter()
        .any(|s| crate::subject::subject_matches_filter(d, s.as_bytes()))
    {
        return Err(ApiError::new(&JS_CONSUMER_DELIVER_CYCLE_ERR));
    }
    if cfg.max_waiting != 0 {
        return Err(ApiError::new(&JS_CONSUMER_PUSH_MAX_WAITING_ERR));
    }
    if cfg.max_ack_pending > 0 && cfg.ack_policy == AckPolicy::None {
        return Err(ApiError::new(&JS_CONSUMER_MAX_PENDING_ACK_POLICY_REQUIRED_ERR));
    }
    if cfg.heartbeat > 0 && cfg.heartbeat < 100_000_000 {
        return Err(ApiError::new(&JS_CONSUMER_SMALL_HEARTBEAT_ERR));
    }
    Ok(())
}

fn check_filters(cfg: &ConsumerConfig) -> Result<(), ApiError> {
    if !cfg.filter_subject.is_empty() && !cfg.filter_subjects.is_empty() {
        return Err(ApiError::new(&JS_CONSUMER_DUPLICATE_FILTER_SUBJECTS));
    }
    let filters = cfg.filters();
    for (i, f) in filters.iter().enumerate() {
        if f.is_empty() {
            return Err(ApiError::new(&JS_CONSUMER_EMPTY_FILTER));
        }
        if !is_valid_subject(f.as_bytes()) {
            let e = ApiError::new(&JS_CONSUMER_CREATE_ERR_F);
            return Err(e.with("err", "consumer filter subject is not a valid subject"));
        }
        for g in &filters[i + 1..] {
            if subjects_collide(f.as_bytes(), g.as_bytes()) {
                return Err(ApiError::new(&JS_CONSUMER_OVERLAPPING_SUBJECT_FILTERS));
            }
        }
    }
    Ok(())
}

/// Go's deliver-policy checks in `checkConsumerCfg`.
fn check_deliver_policy(cfg: &ConsumerConfig) -> Result<(), ApiError> {
    let name = match cfg.deliver_policy {
        DeliverPolicy::All => "deliver all",
        DeliverPolicy::Last => "deliver last",
        DeliverPolicy::New => "deliver new",
        DeliverPolicy::LastPerSubject => "deliver last per subject",
        DeliverPolicy::ByStartSequence => "deliver by start sequence",
        DeliverPolicy::ByStartTime => "deliver by start time",
    };
    match cfg.deliver_policy {
        DeliverPolicy::ByStartSequence if cfg.opt_start_seq == 0 => Err(invalid_policy(
            "consumer delivery policy is deliver by start sequence, but optional start sequence is not set",
        )),
        DeliverPolicy::ByStartSequence if cfg.opt_start_time.is_some() => Err(invalid_policy(
            "consumer delivery policy is deliver by start sequence, but optional start time is also set",
        )),
        DeliverPolicy::ByStartTime if cfg.opt_start_time.is_none() => Err(invalid_policy(
            "consumer delivery policy is deliver by start time, but optional start time is not set",
        )),
        DeliverPolicy::ByStartTime if cfg.opt_start_seq != 0 => Err(invalid_policy(
            "consumer delivery policy is deliver by start time, but optional start sequence is also set",
        )),
        DeliverPolicy::ByStartTime | DeliverPolicy::ByStartSequence => Ok(()),
        DeliverPolicy::LastPerSubject if cfg.opt_start_seq == 0 && cfg.opt_start_time.is_none() && cfg.filters().is_empty() => Err(invalid_policy(
            "consumer delivery policy is deliver last per subject, but optional filter subject is not set",
        )),
        _ if cfg.opt_start_seq > 0 => Err(invalid_policy(&format!(
            "consumer delivery policy is {name}, but optional start sequence is also set"
        ))),
        _ if cfg.opt_start_time.is_some() => Err(invalid_policy(&format!(
            "consumer delivery policy is {name}, but optional start time is also set"
        ))),
        _ => Ok(()),
    }
}

/// A create subject taken apart: stream, consumer name from the subject,
/// filter from the subject.
struct CreateSubject<'a> {
    stream: &'a str,
    name: Option<&'a str>,
    filter: Option<String>,
    durable: bool,
}

impl JetStream {
    /// Routes a `$JS.API.CONSUMER.…` request; `None` if the subject is not
    /// one of the consumer requests handled here.
    pub(crate) fn handle_consumer_api(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        tokens: &[&str],
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Option<Vec<Outgoing>> {
        let out = match tokens {
            ["CONSUMER", "CREATE", stream, rest @ ..] => {
                let (name, filter) = match rest {
                    [] => (None, None),
                    [name] => (Some(*name), None),
                    [name, f @ ..] => (Some(*name), Some(f.join("."))),
                };
                let cs = CreateSubject {
                    stream,
                    name,
                    filter,
                    durable: false,
                };
                self.consumer_create_request(now, realtime, cs, reply, msg)
            }
            ["CONSUMER", "DURABLE", "CREATE", stream, rest @ ..] => {
                let cs = CreateSubject {
                    stream,
                    name: rest.first().copied(),
                    filter: (rest.len() > 1).then(String::new),
                    durable: true,
                };
                self.consumer_create_request(now, realtime, cs, reply, msg)
            }
            ["CONSUMER", "INFO", stream, name] => {
                self.consumer_info_request(realtime, stream, name, reply, msg)
            }
            ["CONSUMER", "DELETE", stream, name] => {
                self.consumer_delete_request(stream, name, reply, msg)
            }
            ["CONSUMER", "NAMES", stream] => self.consumer_names_request(stream, reply, msg),
            ["CONSUMER", "LIST", stream] => {
                self.consumer_list_request(realtime, stream, reply, msg)
            }
            ["CONSUMER", "MSG", "NEXT", stream, name] => {
                self.next_msg_request(now, realtime, stream, name, reply, msg)
            }
            ["CONSUMER", "PAUSE", stream, name] => {
                self.consumer_pause_request(now, realtime, stream, name, reply, msg)
            }
            _ => return None,
        };
        Some(out)
    }

    fn consumer_create_request(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        cs: CreateSubject<'_>,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_CONSUMER_CREATE_RESPONSE_TYPE;
        let req: CreateConsumerRequest = match from_json(msg) {
            Ok(r) => r,
            Err(e) => {
                let e = ApiError::new(&JS_INVALID_JSON_ERR).with("err", e);
                return self.err::<InfoBody>(reply, T, e);
            }
        };
        match self.prepare_create(&cs, &req) {
            Ok(cfg) => match self.add_consumer(now, realtime, cs.stream, cfg, &req.action) {
                Ok(info) => {
                    let advisories = self
                        .consumers
                        .get_mut(cs.stream)
                        .and_then(|m| m.get_mut(&info.name))
                        .map(|c| std::mem::take(&mut c.outbox))
                        .unwrap_or_default();
                    let body = InfoBody {
                        info: Some(with_dynamic_metadata(info)),
                    };
                    let mut out = self.respond(reply, T, None, body);
                    out.extend(advisories);
                    out
                }
                Err(e) => self.err::<InfoBody>(reply, T, e),
            },
            Err(e) => self.err::<InfoBody>(reply, T, e),
        }
    }

    /// The subject and request checks of Go's `jsConsumerCreate`, in its
    /// order; returns the config with defaults and the name set.
    fn prepare_create(
        &mut self,
        cs: &CreateSubject<'_>,
        req: &CreateConsumerRequest,
    ) -> Result<ConsumerConfig, ApiError> {
        let Some(mut cfg) = req.config.clone() else {
            return Err(ApiError::new(&JS_CONSUMER_CONFIG_REQUIRED_ERR));
        };
        if cfg.flow_control && cfg.heartbeat == 0 {
            return Err(ApiError::new(
                &JS_CONSUMER_WITH_FLOW_CONTROL_NEEDS_HEARTBEATS,
            ));
        }
        cfg.set_defaults();
        if cs.stream != req.stream_name {
            return Err(ApiError::new(&JS_STREAM_MISMATCH_ERR));
        }
        let _ = req.pedantic;
        if cs.durable {
            let Some(name) = cs.name.filter(|_| cs.filter.is_none()) else {
                return Err(ApiError::new(&JS_CONSUMER_DURABLE_NAME_NOT_IN_SUBJECT_ERR));
            };
            if cfg.durable.is_empty() {
                return Err(ApiError::new(&JS_CONSUMER_DURABLE_NAME_NOT_SET_ERR));
            }
            if name != cfg.durable {
                return Err(ApiError::new(
                    &JS_CONSUMER_DURABLE_NAME_NOT_MATCH_SUBJECT_ERR,
                ));
            }
        } else if let Some(name) = cs.name {
            if !cfg.name.is_empty() && cfg.name != name {
                return Err(ApiError::new(&JS_CONSUMER_CREATE_ERR_F).with(
                    "err",
                    "consumer name in subject does not match name in request",
                ));
            }
            if !cfg.durable.is_empty() && cfg.durable != name {
                return Err(ApiError::new(&JS_CONSUMER_CREATE_DURABLE_AND_NAME_MISMATCH));
            }
            cfg.name = name.to_string();
            if let Some(f) = &cs.filter {
                if !cfg.filter_subjects.is_empty() {
                    return Err(ApiError::new(&JS_CONSUMER_MULTIPLE_FILTERS_NOT_ALLOWED));
                }
                if !cfg.filter_subject.is_empty() && &cfg.filter_subject != f {
                    return Err(ApiError::new(
                        &JS_CONSUMER_CREATE_FILTER_SUBJECT_MISMATCH_ERR,
                    ));
                }
            }
        } else if !cfg.durable.is_empty() && cfg.name.is_empty() {
            return Err(ApiError::new(&JS_CONSUMER_EPHEMERAL_WITH_DURABLE_NAME_ERR));
        }
        if cfg.name.is_empty() {
            cfg.name = if cfg.durable.is_empty() {
                self.ephemeral_name()
            } else {
                cfg.durable.clone()
            };
        }
        set_static_metadata(&mut cfg);
        Ok(cfg)
    }

    /// Go's `createConsumerName`: eight random alphanumerics.
    fn ephemeral_name(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..8)
            .map(|_| ALPHABET[self.prng.below(ALPHABET.len() as u64) as usize] as char)
            .collect()
    }

    /// Go's `addConsumerWithAction` for a standalone server.
    fn add_consumer(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        stream: &str,
        cfg: ConsumerConfig,
        action: &str,
    ) -> Result<ConsumerInfo, ApiError> {
        let Some(s) = self.streams.get_mut(stream) else {
            return Err(ApiError::new(&JS_STREAM_NOT_FOUND_ERR));
        };
        let mut cfg = cfg;
        let consumers = self.consumers.entry(stream.to_string()).or_default();
        if let Some(existing) = consumers.get_mut(&cfg.name) {
            // Go's `jsConsumerCreate`: pause_until changes only through
            // the pause API.
            cfg.pause_until = existing.cfg.pause_until.clone();
        }
        check_consumer_cfg(&cfg, &s.cfg)?;
        if let Some(existing) = consumers.get_mut(&cfg.name) {
            if action == "create" && existing.cfg != cfg {
                return Err(ApiError::new(&JS_CONSUMER_ALREADY_EXISTS));
            }
            let bound = existing.push.as_ref().is_some_and(|p| p.active);
            check_new_consumer_config(&existing.cfg, &cfg, bound).map_err(|e| {
                ApiError::new(&JS_CONSUMER_CREATE_ERR_F).with("err", e)
            })?;
            let push_changed = existing.cfg.deliver_subject != cfg.deliver_subject
                || existing.cfg.deliver_group != cfg.deliver_group;
            existing.update_config(cfg);
            if push_changed {
                self.interest_changed = true;
            }
            return Ok(existing.info(s.store.as_ref(), realtime));
        }
        if action == "update" {
            return Err(ApiError::new(&JS_CONSUMER_DOES_NOT_EXIST));
        }
        let max = s.cfg.max_consumers;
        if max > 0 && consumers.len() as i64 >= max {
            return Err(ApiError::new(&JS_MAXIMUM_CONSUMERS_LIMIT_ERR));
        }
        super::retention::check_workqueue_consumer(&s.cfg, &cfg, Some(consumers))?;
        let name = cfg.name.clone();
        let pause = cfg.pause_until.as_deref().and_then(parse_rfc3339).flatten();
        let mut c = Consumer::new(stream, &name, cfg, s.store.as_mut(), now, realtime);
        c.durable_only = self.cfg.sync_always && s.cfg.storage == StorageType::File;
        if pause.is_some() {
            c.set_pause(pause, now, realtime);
        }
        if c.push.is_some() {
            // The engine reports the deliver subject's interest next.
            self.interest_changed = true;
        }
        let info = c.info(s.store.as_ref(), realtime);
        consumers.insert(name.clone(), c);
        self.persist_consumer_created(stream, &name)?;
        Ok(info)
    }

    fn consumer_info_request(
        &mut self,
        realtime: UnixNanos,
        stream: &str,
        name: &str,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_CONSUMER_INFO_RESPONSE_TYPE;
        if !super::api::is_empty_request(msg) {
            return self.err::<InfoBody>(
                reply,
                T,
                ApiError::new(&JS_NOT_EMPTY_REQUEST_ERR),
            );
        }
        let Some(s) = self.streams.get(stream) else {
            return self.err::<InfoBody>(
                reply,
                T,
                ApiError::new(&JS_STREAM_NOT_FOUND_ERR),
            );
        };
        let Some(c) = self.consumers.get(stream).and_then(|m| m.get(name)) else {
            let e = ApiError::new(&JS_CONSUMER_NOT_FOUND_ERR);
            return self.err::<InfoBody>(reply, T, e);
        };
        let info = with_dynamic_metadata(c.info(s.store.as_ref(), realtime));
        self.respond(reply, T, None, InfoBody { info: Some(info) })
    }

    fn consumer_delete_request(
        &mut self,
        stream: &str,
        name: &str,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_CONSUMER_DELETE_RESPONSE_TYPE;
        if !super::api::is_empty_request(msg) {
            let e = ApiError::new(&JS_NOT_EMPTY_REQUEST_ERR);
            return self.err::<SuccessBody>(reply, T, e);
        }
        if !self.streams.contains_key(stream) {
            let e = ApiError::new(&JS_STREAM_NOT_FOUND_ERR);
            return self.err::<SuccessBody>(reply, T, e);
        }
        let removed = self.consumers.get_mut(stream).and_then(|m| m.remove(name));
        let Some(removed) = removed else {
            let e = ApiError::new(&JS_CONSUMER_NOT_FOUND_ERR);
            return self.err::<SuccessBody>(reply, T, e);
        };
        if removed.push.is_some() {
            self.interest_changed = true;
        }
        self.persist_consumer_removed(stream, name);
        self.respond(reply, T, None, SuccessBody { success: true })
    }

    fn consumer_offset(msg: &[u8]) -> Result<i64, ApiError> {
        if super::api::is_empty_request(msg) {
            return Ok(0);
        }
        from_json::<OffsetRequest>(msg)
            .map(|r| r.offset)
            .map_err(|e| ApiError::new(&JS_INVALID_JSON_ERR).with("err", e))
    }

    fn consumer_names_request(
        &mut self,
        stream: &str,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_CONSUMER_NAMES_RESPONSE_TYPE;
        let offset = match Self::consumer_offset(msg) {
            Ok(o) => o,
            Err(e) => return self.err::<NamesBody>(reply, T, e),
        };
        if !self.streams.contains_key(stream) {
            let e = ApiError::new(&JS_STREAM_NOT_FOUND_ERR);
            return self.err::<NamesBody>(reply, T, e);
        }
        let names: Vec<String> = self
            .consumers
            .get(stream)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let total = names.len();
        let offset = (offset.max(0) as usize).min(total);
        let body = NamesBody {
            paged: ApiPaged {
                total,
                offset,
                limit: JS_API_NAMES_LIMIT,
            },
            consumers: names
                .into_iter()
                .skip(offset)
                .take(JS_API_NAMES_LIMIT)
                .collect(),
        };
        self.respond(reply, T, None, body)
    }

    fn consumer_list_request(
        &mut self,
        realtime: UnixNanos,
        stream: &str,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_CONSUMER_LIST_RESPONSE_TYPE;
        let offset = match Self::consumer_offset(msg) {
            Ok(o) => o,
            Err(e) => return self.err::<ListBody>(reply, T, e),
        };
        let Some(s) = self.streams.get(stream) else {
            let e = ApiError::new(&JS_STREAM_NOT_FOUND_ERR);
            return self.err::<ListBody>(reply, T, e);
        };
        let all: Vec<&Consumer> = self
            .consumers
            .get(stream)
            .map(|m| m.values().collect())
            .unwrap_or_default();
        let total = all.len();
        let offset = (offset.max(0) as usize).min(total);
        let consumers = all
            .into_iter()
            .skip(offset)
            .take(JS_API_LIST_LIMIT)
            .map(|c| with_dynamic_metadata(c.info(s.store.as_ref(), realtime)))
            .collect();
        let body = ListBody {
            paged: ApiPaged {
                total,
                offset,
                limit: JS_API_LIST_LIMIT,
            },
            consumers,
        };
        self.respond(reply, T, None, body)
    }

    /// Go's `processNextMsgRequest`: a pull request. Errors are header-only
    /// status messages to the request's reply subject.
    fn next_msg_request(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        stream: &str,
        name: &str,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        let Some(reply) = reply.filter(|r| !r.is_empty()) else {
            return Vec::new();
        };
        let (Some(s), Some(c)) = (
            self.streams.get_mut(stream),
            self.consumers.get_mut(stream).and_then(|m| m.get_mut(name)),
        ) else {
            // Go has no subscription for a missing consumer: nothing answers.
            return Vec::new();
        };
        let status = |code: &str| vec![status_msg(reply, format!("NATS/1.0 {code}\r\n\r\n"))];
        if c.push.is_some() {
            return status("409 Consumer is push based");
        }
        let req = match parse_next_request(msg) {
            Some(r) => r,
            None => return status("400 Bad Request"),
        };
        if req.heartbeat > 0 && req.heartbeat * 2 > req.expires {
            return status("400 Bad Request - heartbeat value too large");
        }
        let batch = req.batch.max(1);
        let cfg = &c.cfg;
        if cfg.max_request_batch > 0 && batch > cfg.max_request_batch {
            return status(&format!(
                "409 Exceeded MaxRequestBatch of {}",
                cfg.max_request_batch
            ));
        }
        if cfg.max_request_expires > 0 && req.expires > cfg.max_request_expires {
            let d = format_go_duration(cfg.max_request_expires);
            return status(&format!("409 Exceeded MaxRequestExpires of {d}"));
        }
        if cfg.max_request_max_bytes > 0 && req.max_bytes > cfg.max_request_max_bytes {
            let m = cfg.max_request_max_bytes;
            return status(&format!("409 Exceeded MaxRequestMaxBytes of {m}"));
        }
        c.last_active = now;
        let hb = req.heartbeat.max(0);
        let hbt = (hb > 0).then(|| now + Duration::from_nanos(hb as u64));
        let expires = (req.expires > 0).then(|| now + Duration::from_nanos(req.expires as u64));
        let no_wait = req.no_wait && expires.is_none();
        if no_wait && c.waiting.is_empty() {
            // Answered at once, never queued.
            c.waiting.push_back(WaitingRequest {
                reply: Bytes::copy_from_slice(reply),
                n: batch,
                b: req.max_bytes.max(0),
                d: 0,
                expires: None,
                no_wait: true,
                hb,
                hbt,
            });
            return c.process_waiting(s.store.as_mut(), now, realtime);
        }
        if c.waiting.len() as i64 >= c.cfg.max_waiting {
            // Go stays silent when the client has heartbeats: it will
            // notice them missing and retry, instead of looping on 409s.
            if hb > 0 {
                return Vec::new();
            }
            return status("409 Exceeded MaxWaiting");
        }
        c.waiting.push_back(WaitingRequest {
            reply: Bytes::copy_from_slice(reply),
            n: batch,
            b: req.max_bytes.max(0),
            d: 0,
            expires,
            no_wait,
            hb,
            hbt,
        });
        c.process_waiting(s.store.as_mut(), now, realtime)
    }

    /// An ack on `$JS.ACK.…`.
    pub(crate) fn handle_ack(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        subject: &str,
        reply: Option<&[u8]>,
        payload: &[u8],
    ) -> Vec<Outgoing> {
        let Some(a) = parse_ack_reply(subject) else {
            return Vec::new();
        };
        let (Some(s), Some(c)) = (
            self.streams.get_mut(a.stream),
            self.consumers
                .get_mut(a.stream)
                .and_then(|m| m.get_mut(a.consumer)),
        ) else {
            return Vec::new();
        };
        let reply = reply.filter(|r| !r.is_empty());
        let kind = ack_kind(payload);
        let mut out = Vec::new();
        if let AckKind::Term = kind {
            if c.cfg.ack_policy != AckPolicy::None {
                let reason = term_reason(payload);
                let adv = c.terminated_advisory(a.sseq, a.dseq, a.dc, &reason, realtime);
                out.push(adv);
            }
        }
        let signal = c.process_ack(kind, a.sseq, a.dseq, now, realtime);
        let next = trim_ascii(payload).strip_prefix(b"+NXT");
        if signal {
            out.extend(c.deliver_ready(s.store.as_mut(), now, realtime));
        }
        match (next, reply) {
            (Some(rest), Some(r)) => {
                // Go's `+NXT`: the ack's reply is a pull request.
                let (st, cn) = (a.stream.to_string(), a.consumer.to_string());
                let r = r.to_vec();
                out.extend(self.next_msg_request(now, realtime, &st, &cn, Some(&r), rest));
            }
            (None, Some(r)) => {
                // A double ack (`AckSync`): answered once processed.
                out.push(Outgoing::new(r, Vec::new()));
            }
            _ => {}
        }
        out
    }

    /// New messages may be in `stream`: serve its waiting pull requests.
    pub(crate) fn signal_consumers(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        stream: &str,
    ) -> Vec<Outgoing> {
        let (Some(s), Some(cs)) = (self.streams.get_mut(stream), self.consumers.get_mut(stream))
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for c in cs.values_mut().filter(|c| c.wants_delivery()) {
            out.extend(c.deliver_ready(s.store.as_mut(), now, realtime));
        }
        out
    }

    /// Consumer timers: ack-wait redelivery, request expiry, and deletion
    /// of idle ephemerals.
    pub(crate) fn consumers_timeout(&mut self, now: Instant, realtime: UnixNanos) -> Vec<Outgoing> {
        let mut out = Vec::new();
        for (stream, cs) in self.consumers.iter_mut() {
            let Some(s) = self.streams.get_mut(stream) else {
                continue;
            };
            let before = cs.len();
            cs.retain(|_, c| !c.inactive(now));
            if cs.len() != before {
                self.interest_changed = true;
            }
            for c in cs.values_mut() {
                out.extend(c.handle_timeout(now, realtime));
                out.extend(c.deliver_ready(s.store.as_mut(), now, realtime));
            }
        }
        out
    }

    /// When [`JetStream::consumers_timeout`] next has work.
    pub(crate) fn consumers_poll_timeout(&self) -> Option<Instant> {
        self.consumers
            .values()
            .flat_map(|m| m.values())
            .flat_map(|c| [c.poll_timeout(), c.inactive_at()])
            .flatten()
            .min()
    }

    /// Number of consumers of `stream`.
    pub fn consumer_count(&self, stream: &str) -> usize {
        self.consumers.get(stream).map_or(0, |m| m.len())
    }

    /// The consumer `name` of `stream`.
    pub fn consumer(&self, stream: &str, name: &str) -> Option<&Consumer> {
        self.consumers.get(stream)?.get(name)
    }
}

/// The reason after `+TERM`, trimmed.
fn term_reason(payload: &[u8]) -> String {
    let rest = trim_ascii(payload).strip_prefix(b"+TERM").unwrap_or_default();
    String::from_utf8_lossy(rest.trim_ascii()).into_owned()
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// A pull request body: empty (one message), a plain number (a batch) or
/// Go's `JSApiConsumerGetNextRequest` JSON.
fn parse_next_request(msg: &[u8]) -> Option<NextRequest> {
    let t = msg.trim_ascii();
    if t.is_empty() {
        return Some(NextRequest {
            batch: 1,
            ..Default::default()
        });
    }
    if t.first() == Some(&b'{') {
        return from_json(t).ok();
    }
    let n = std::str::from_utf8(t).ok()?.parse::<i64>().ok()?;
    Some(NextRequest {
        batch: n,
        ..Default::default()
    })
}

/// Go's `time.Duration.String` for non-negative durations.
fn format_go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".to_string();
    }
    let frac = |v: i64, unit: i64, suffix: &str| {
        let whole = v / unit;
        let rest = v % unit;
        if rest == 0 {
            return format!("{whole}{suffix}");
        }
        let digits = unit.to_string().len() - 1;
        let f = format!("{rest:0digits$}");
        format!("{whole}.{}{suffix}", f.trim_end_matches('0'))
    };
    if ns < 1_000 {
        return format!("{ns}ns");
    }
    if ns < 1_000_000 {
        return frac(ns, 1_000, "µs");
    }
    if ns < 1_000_000_000 {
        return frac(ns, 1_000_000, "ms");
    }
    let secs_ns = ns % 60_000_000_000;
    let mins = ns / 60_000_000_000;
    let (h, m) = (mins / 60, mins % 60);
    let s = frac(secs_ns, 1_000_000_000, "s");
    match (h, m) {
        (0, 0) => s,
        (0, m) => format!("{m}m{s}"),
        (h, m) => format!("{h}h{m}m{s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_strings() {
        assert_eq!(format_go_duration(30_000_000_000), "30s");
        assert_eq!(format_go_duration(1_500_000_000), "1.5s");
        assert_eq!(format_go_duration(90_000_000_000), "1m30s");
        assert_eq!(format_go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(format_go_duration(2_000_000), "2ms");
    }

    #[test]
    fn next_request_bodies() {
        assert_eq!(parse_next_request(b"").unwrap().batch, 1);
        assert_eq!(parse_next_request(b" 5 ").unwrap().batch, 5);
        let r = parse_next_request(br#"{"batch":3,"expires":1000,"no_wait":true}"#).unwrap();
        assert_eq!((r.batch, r.expires, r.no_wait), (3, 1000, true));
        assert!(parse_next_request(b"x").is_none());
    }
}

//! The JetStream JSON API (Go's `jetstream_api.go`), routed by subject:
//! `$JS.API.INFO` and the `$JS.API.STREAM.*` requests. Each handler follows
//! the order of checks of its Go counterpart for a standalone server.

use super::account_info::{account_info, Usage};
use super::config::{
    check_stream_cfg, config_update_check, set_static_stream_metadata,
    with_dynamic_stream_metadata, JS_REQUIRED_LEVEL_METADATA_KEY,
};
use super::errors::*;
use super::meta;
use super::stream::{store_config, Stream};
use super::types::*;
use super::{JetStream, Outgoing};
use crate::store::{self, StoreError};
use crate::subject::{subject_has_wildcard, subjects_collide};
use crate::time::{Instant, UnixNanos};
use serde::Serialize;
use std::collections::BTreeMap;

/// A response: Go's `ApiResponse` with the handler's fields flattened in.
#[derive(Serialize)]
struct Resp<T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ApiError>,
    #[serde(flatten)]
    body: T,
}

#[derive(Serialize, Default)]
struct Empty {}

#[derive(Serialize, Default)]
struct CreateBody {
    #[serde(flatten)]
    info: Option<StreamInfo>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    did_create: bool,
}

#[derive(Serialize, Default)]
struct InfoBody {
    #[serde(flatten)]
    paged: ApiPaged,
    #[serde(flatten)]
    info: Option<StreamInfo>,
}

#[derive(Serialize, Default)]
struct SuccessBody {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    success: bool,
}

#[derive(Serialize, Default)]
struct PurgeBody {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    success: bool,
    purged: u64,
}

#[derive(Serialize, Default)]
struct NamesBody {
    #[serde(flatten)]
    paged: ApiPaged,
    streams: Option<Vec<String>>,
}

#[derive(Serialize, Default)]
struct ListBody {
    #[serde(flatten)]
    paged: ApiPaged,
    streams: Vec<StreamInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing: Vec<String>,
}

#[derive(Serialize, Default)]
struct MsgGetBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<StoredMsg>,
}

/// Go's `isEmptyRequest`: no payload, or a JSON object with no fields.
pub(super) fn is_empty_request(msg: &[u8]) -> bool {
    if msg.is_empty() {
        return true;
    }
    match serde_json::from_slice::<serde_json::Value>(msg) {
        Ok(serde_json::Value::Object(m)) => m.is_empty(),
        _ => false,
    }
}

/// Go's `isJSONObjectOrArray`.
fn is_json_object_or_array(msg: &[u8]) -> bool {
    matches!(
        msg.iter().find(|c| !c.is_ascii_whitespace()),
        Some(b'{') | Some(b'[')
    )
}

/// Go's `json.Unmarshal` leaves a field alone when the JSON value is
/// `null`; serde refuses it for non-optional fields. Nulls inside objects
/// are dropped before decoding so both agree.
fn strip_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Decodes a request body like Go's `json.Unmarshal`.
pub(super) fn from_json<T: serde::de::DeserializeOwned>(msg: &[u8]) -> Result<T, serde_json::Error> {
    let mut v: serde_json::Value = serde_json::from_slice(msg)?;
    strip_nulls(&mut v);
    serde_json::from_value(v)
}

fn invalid_json(e: serde_json::Error) -> ApiError {
    ApiError::new(&JS_INVALID_JSON_ERR).with("err", e)
}

/// The JSON state of a store (Go's `StreamState`). Deleted sequences are
/// listed only with `details` (Go's `stateWithDetail`).
pub fn state_json(st: &store::StreamState, details: bool) -> StreamState {
    StreamState {
        messages: st.msgs,
        bytes: st.bytes,
        first_seq: st.first_seq,
        first_ts: format_rfc3339((st.msgs > 0).then_some(st.first_ts)),
        last_seq: st.last_seq,
        last_ts: format_rfc3339((st.last_seq > 0 && st.last_ts != 0).then_some(st.last_ts)),
        num_subjects: st.num_subjects as usize,
        subjects: None,
        num_deleted: st.num_deleted as usize,
        deleted: if details {
            st.deleted.clone()
        } else {
            Vec::new()
        },
        lost: st.lost.as_ref().map(|l| LostStreamData {
            msgs: l.msgs.clone(),
            bytes: l.bytes,
        }),
        consumer_count: 0,
    }
}

impl JetStream {
    pub(super) fn respond<T: Serialize>(
        &mut self,
        reply: Option<&[u8]>,
        kind: &'static str,
        error: Option<ApiError>,
        body: T,
    ) -> Vec<Outgoing> {
        self.api_total += 1;
        if error.is_some() {
            self.api_errors += 1;
        }
        let Some(reply) = reply.filter(|r| !r.is_empty()) else {
            return Vec::new();
        };
        let payload = serde_json::to_vec(&Resp { kind, error, body }).unwrap_or_default();
        vec![Outgoing::new(reply, payload)]
    }

    pub(super) fn err<T: Serialize + Default>(
        &mut self,
        reply: Option<&[u8]>,
        kind: &'static str,
        e: ApiError,
    ) -> Vec<Outgoing> {
        self.respond(reply, kind, Some(e), T::default())
    }

    /// An API request on `subject` (already mapped to `$JS.API.…`).
    pub(crate) fn handle_api(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        subject: &str,
        reply: Option<&[u8]>,
        hdr: &[u8],
        msg: &[u8],
    ) -> Vec<Outgoing> {
        let tokens: Vec<&str> = subject.split('.').skip(2).collect();
        if let Some(out) = self.handle_consumer_api(now, realtime, &tokens, reply, msg) {
            return out;
        }
        match tokens.as_slice() {
            ["INFO"] => self.account_info_request(reply),
            ["STREAM", "CREATE", name] => self.stream_create_request(realtime, name, reply, msg),
            ["STREAM", "UPDATE", name] => self.stream_update_request(realtime, name, reply, msg),
            ["STREAM", "DELETE", name] => self.stream_delete_request(name, reply, msg),
            ["STREAM", "INFO", name] => self.stream_info_request(realtime, name, reply, hdr, msg),
            ["STREAM", "NAMES"] => self.stream_names_request(reply, msg),
            ["STREAM", "LIST"] => self.stream_list_request(realtime, reply, msg),
            ["STREAM", "PURGE", name] => self.stream_purge_request(name, reply, msg),
            ["STREAM", "MSG", "GET", name] => self.msg_get_request(name, reply, msg),
            ["STREAM", "MSG", "DELETE", name] => self.msg_delete_request(name, reply, msg),
            _ => {
                let e = ApiError::new(&JS_BAD_REQUEST_ERR);
                self.err::<Empty>(reply, JS_API_SYSTEM_RESPONSE_TYPE, e)
            }
        }
    }

    /// The account's usage (Go's `JetStreamUsage`).
    pub fn usage(&self) -> Usage {
        Usage {
            memory: self.used(StorageType::Memory),
            storage: self.used(StorageType::File),
            reserved_memory: self.reserved(StorageType::Memory, None),
            reserved_storage: self.reserved(StorageType::File, None),
            streams: self.streams.len(),
            consumers: self.consumers.values().map(|m| m.len()).sum(),
            api_total: self.api_total,
            api_errors: self.api_errors,
        }
    }

    fn account_info_request(&mut self, reply: Option<&[u8]>) -> Vec<Outgoing> {
        let info = account_info(&self.usage(), self.cfg.domain.as_deref().unwrap_or(""));
        self.api_total += 1;
        let Some(reply) = reply.filter(|r| !r.is_empty()) else {
            return Vec::new();
        };
        vec![Outgoing::new(
            reply,
            serde_json::to_vec(&info).unwrap_or_default(),
        )]
    }

    /// Go's `StreamInfo` of a stream.
    pub fn stream_info(&self, s: &Stream, realtime: UnixNanos, details: bool) -> StreamInfo {
        let mut state = state_json(&s.store.state(), details);
        state.consumer_count = self.consumer_count(s.name());
        StreamInfo {
            config: with_dynamic_stream_metadata(&s.cfg),
            created: format_rfc3339(Some(s.created)),
            state,
            domain: self.cfg.domain.clone().unwrap_or_default(),
            cluster: (!self.server_name.is_empty()).then(|| ClusterInfo {
                name: String::new(),
                leader: self.server_name.clone(),
            }),
            ts: format_rfc3339(Some(realtime)),
        }
    }

    /// Go's `jsNonClusteredStreamLimitsCheck` / `checkBytesLimits` (server
    /// part; the account has no limits): `max_bytes` must fit what the
    /// server has left after the other streams' reservations.
    fn check_bytes_limits(&self, cfg: &StreamConfig, skip: Option<&str>) -> Result<(), ApiError> {
        let add = if cfg.max_bytes < 0 { 1 } else { cfg.max_bytes };
        let (max, def) = match cfg.storage {
            StorageType::Memory => (self.cfg.max_memory, &JS_MEMORY_RESOURCES_EXCEEDED_ERR),
            StorageType::File => (self.cfg.max_store, &JS_STORAGE_RESOURCES_EXCEEDED_ERR),
        };
        if max < 0 {
            return Ok(());
        }
        let reserved = self.reserved(cfg.storage, skip) as i64;
        if reserved > max || add > max - reserved {
            return Err(ApiError::new(def));
        }
        Ok(())
    }

    fn overlaps(&self, subjects: &[String], skip: Option<&str>) -> bool {
        self.streams
            .values()
            .filter(|s| Some(s.name()) != skip)
            .any(|s| {
                s.cfg.subjects.iter().any(|a| {
                    subjects
                        .iter()
                        .any(|b| subjects_collide(a.as_bytes(), b.as_bytes()))
                })
            })
    }

    fn stream_create_request(
        &mut self,
        realtime: UnixNanos,
        name: &str,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_STREAM_CREATE_RESPONSE_TYPE;
        let req: StreamConfigRequest = match from_json(msg) {
            Ok(r) => r,
            Err(e) => return self.err::<CreateBody>(reply, T, invalid_json(e)),
        };
        let mut cfg = req.config;
        set_static_stream_metadata(&mut cfg);
        if name != cfg.name {
            return self.err::<CreateBody>(reply, T, ApiError::new(&JS_STREAM_MISMATCH_ERR));
        }
        if name.contains(['\\', '/']) {
            let e = ApiError::new(&JS_STREAM_NAME_CONTAINS_PATH_SEPARATORS_ERR);
            return self.err::<CreateBody>(reply, T, e);
        }
        if cfg.sealed {
            let e = ApiError::new(&JS_STREAM_INVALID_CONFIG_F)
                .with("err", "stream configuration for create can not be sealed");
            return self.err::<CreateBody>(reply, T, e);
        }
        if cfg.mirror_direct && cfg.mirror.is_none() {
            let e = ApiError::new(&JS_STREAM_INVALID_CONFIG_F)
                .with("err", "stream has no mirror but does have mirror direct");
            return self.err::<CreateBody>(reply, T, e);
        }
        if let Err(e) = self.check_bytes_limits(&cfg, Some(name)) {
            return self.err::<CreateBody>(reply, T, e);
        }
        match self.add_stream(realtime, cfg, req.pedantic) {
            Ok(()) => {
                let s = &self.streams[name];
                let mut info = self.stream_info(s, realtime, false);
                info.domain.clear();
                info.cluster = None;
                let body = CreateBody {
                    info: Some(info),
                    did_create: true,
                };
                self.respond(reply, T, None, body)
            }
            Err(e) => self.err::<CreateBody>(reply, T, e),
        }
    }

    /// Go's `addStream`: validates, detects an identical existing stream,
    /// checks overlaps, creates the store and persists the config.
    fn add_stream(
        &mut self,
        realtime: UnixNanos,
        config: StreamConfig,
        pedantic: bool,
    ) -> Result<(), ApiError> {
        let mut cfg = check_stream_cfg(&config, pedantic)?;
        if cfg.num_replicas > 1 {
            return Err(ApiError::new(&JS_STREAM_REPLICAS_NOT_SUPPORTED_ERR));
        }
        if let Some(existing) = self.streams.get(&cfg.name) {
            // Go's copyStreamMetadata: the required level is the old one.
            let old = existing.cfg.metadata.as_ref();
            let level = old.and_then(|m| m.get(JS_REQUIRED_LEVEL_METADATA_KEY));
            let md = cfg.metadata.get_or_insert_with(BTreeMap::new);
            match level {
                Some(l) => md.insert(JS_REQUIRED_LEVEL_METADATA_KEY.to_string(), l.clone()),
                None => md.remove(JS_REQUIRED_LEVEL_METADATA_KEY),
            };
            if cfg.metadata.as_ref().is_some_and(|m| m.is_empty()) && old.is_none() {
                cfg.metadata = None;
            }
            if cfg == existing.cfg {
                return Ok(());
            }
            return Err(ApiError::new(&JS_STREAM_NAME_EXIST_ERR));
        }
        if self.overlaps(&cfg.subjects, None) {
            return Err(ApiError::new(&JS_STREAM_SUBJECT_OVERLAP_ERR));
        }
        let store_failed = |e: String| {
            tracing::warn!(error = %e, "stream create failed");
            ApiError::new(&JS_STREAM_CREATE_ERR_F).with("err", "error creating store for stream")
        };
        let created = realtime;
        if cfg.storage == StorageType::File {
            let dir = super::stream_dir(&cfg.name);
            meta::write_meta(self.meta.as_mut(), &dir, &cfg, created)
                .map_err(|e| store_failed(e.to_string()))?;
        }
        let name = cfg.name.clone();
        let stream = self
            .open_stream(cfg, created, realtime)
            .map_err(store_failed)?;
        self.streams.insert(name, stream);
        self.interest_changed = true;
        Ok(())
    }

    fn stream_update_request(
        &mut self,
        realtime: UnixNanos,
        name: &str,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_STREAM_UPDATE_RESPONSE_TYPE;
        let req: StreamConfigRequest = match from_json(msg) {
            Ok(r) => r,
            Err(e) => return self.err::<CreateBody>(reply, T, invalid_json(e)),
        };
        let cfg = match check_stream_cfg(&req.config, req.pedantic) {
            Ok(c) => c,
            Err(e) => return self.err::<CreateBody>(reply, T, e),
        };
        if name != cfg.name {
            return self.err::<CreateBody>(reply, T, ApiError::new(&JS_STREAM_MISMATCH_ERR));
        }
        let Some(old) = self.streams.get(name).map(|s| s.cfg.clone()) else {
            return self.err::<CreateBody>(reply, T, ApiError::new(&JS_STREAM_NOT_FOUND_ERR));
        };
        let mut ncfg = req.config;
        set_static_stream_metadata(&mut ncfg);
        match self.update_stream(realtime, &old, &ncfg, req.pedantic) {
            Ok(()) => {
                let info = self.stream_info(&self.streams[name], realtime, false);
                let body = CreateBody {
                    info: Some(info),
                    did_create: false,
                };
                self.respond(reply, T, None, body)
            }
            Err(e) => self.err::<CreateBody>(reply, T, e),
        }
    }

    /// Go's `stream.update`.
    fn update_stream(
        &mut self,
        realtime: UnixNanos,
        old: &StreamConfig,
        new: &StreamConfig,
        pedantic: bool,
    ) -> Result<(), ApiError> {
        let cfg = config_update_check(old, new, pedantic)?;
        if self.overlaps(&cfg.subjects, Some(&cfg.name)) {
            return Err(ApiError::new(&JS_STREAM_SUBJECT_OVERLAP_ERR));
        }
        if cfg.max_bytes > old.max_bytes.max(0) {
            self.check_bytes_limits(&cfg, Some(&cfg.name))?;
        }
        let s = self
            .streams
            .get_mut(&cfg.name)
            .expect("caller looked the stream up");
        let update_err = |e: String| ApiError::new(&JS_STREAM_UPDATE_ERR_F).with("err", e);
        if let Some(dir) = s.dir.clone() {
            meta::write_meta(self.meta.as_mut(), &dir, &cfg, s.created)
                .map_err(|e| update_err(e.to_string()))?;
        }
        s.store
            .update_config(store_config(&cfg), realtime)
            .map_err(|e| update_err(e.to_string()))?;
        s.mark_dirty();
        if s.cfg.subjects != cfg.subjects || s.cfg.allow_direct != cfg.allow_direct {
            self.interest_changed = true;
        }
        s.set_config(cfg);
        Ok(())
    }

    fn stream_delete_request(
        &mut self,
        name: &str,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_STREAM_DELETE_RESPONSE_TYPE;
        if !is_empty_request(msg) {
            return self.err::<SuccessBody>(reply, T, ApiError::new(&JS_NOT_EMPTY_REQUEST_ERR));
        }
        let Some(mut s) = self.streams.remove(name) else {
            return self.err::<SuccessBody>(reply, T, ApiError::new(&JS_STREAM_NOT_FOUND_ERR));
        };
        self.consumers.remove(name);
        self.interest_changed = true;
        // Acks held for this stream are answered: what they acknowledged was
        // stored (and is now being deleted).
        let mut out = s.flush();
        if let Some(dir) = s.dir.clone() {
            drop(s);
            let res = self.delete_stream_files(&dir);
            if let Err(e) = res {
                let e = ApiError::new(&JS_STREAM_DELETE_ERR_F).with("err", e);
                out.extend(self.err::<SuccessBody>(reply, T, e));
                return out;
            }
        }
        out.extend(self.respond(reply, T, None, SuccessBody { success: true }));
        out
    }

    /// Removes `meta.inf` first (durably), so a crash part way leaves a
    /// directory that recovery recognises as deleted, then everything else.
    fn delete_stream_files(&mut self, dir: &str) -> Result<(), String> {
        let inf = format!("{dir}/{}", meta::JETSTREAM_META_FILE);
        match self.meta.remove(&inf) {
            Ok(()) => {}
            Err(e) if e.kind == crate::storage::StorageErrorKind::NotFound => {}
            Err(e) => return Err(e.to_string()),
        }
        self.meta.sync_dir(dir).map_err(|e| e.to_string())?;
        meta::remove_tree(self.meta.as_mut(), dir).map_err(|e| e.to_string())
    }

    fn stream_info_request(
        &mut self,
        realtime: UnixNanos,
        name: &str,
        reply: Option<&[u8]>,
        _hdr: &[u8],
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_STREAM_INFO_RESPONSE_TYPE;
        let mut req = StreamInfoRequest::default();
        if is_json_object_or_array(msg) {
            match from_json(msg) {
                Ok(r) => req = r,
                Err(e) => return self.err::<InfoBody>(reply, T, invalid_json(e)),
            }
        }
        let Some(s) = self.streams.get(name) else {
            return self.err::<InfoBody>(reply, T, ApiError::new(&JS_STREAM_NOT_FOUND_ERR));
        };
        let mut info = self.stream_info(s, realtime, req.deleted_details);
        let mut paged = ApiPaged::default();
        if !req.subjects_filter.is_empty() {
            let totals = s.store.subjects_totals(&req.subjects_filter);
            if !totals.is_empty() {
                let offset = (req.offset.max(0) as usize).min(totals.len());
                paged = ApiPaged {
                    total: totals.len(),
                    offset,
                    limit: JS_MAX_SUBJECT_DETAILS,
                };
                let page: BTreeMap<String, u64> = totals
                    .into_iter()
                    .skip(offset)
                    .take(JS_MAX_SUBJECT_DETAILS)
                    .collect();
                info.state.subjects = (!page.is_empty()).then_some(page);
            }
        }
        let body = InfoBody {
            paged,
            info: Some(info),
        };
        self.respond(reply, T, None, body)
    }

    /// Streams with a subject colliding with `filter` (all if empty),
    /// sorted by name (Go's `filteredStreams`).
    fn filtered_streams(&self, filter: &str) -> Vec<&Stream> {
        self.streams
            .values()
            .filter(|s| {
                filter.is_empty()
                    || s.cfg
                        .subjects
                        .iter()
                        .any(|x| subjects_collide(filter.as_bytes(), x.as_bytes()))
            })
            .collect()
    }

    fn paging_request(msg: &[u8]) -> Result<StreamNamesRequest, ApiError> {
        if is_json_object_or_array(msg) {
            return from_json(msg).map_err(invalid_json);
        }
        Ok(StreamNamesRequest::default())
    }

    fn stream_names_request(&mut self, reply: Option<&[u8]>, msg: &[u8]) -> Vec<Outgoing> {
        const T: &str = JS_API_STREAM_NAMES_RESPONSE_TYPE;
        let req = match Self::paging_request(msg) {
            Ok(r) => r,
            Err(e) => return self.err::<NamesBody>(reply, T, e),
        };
        let names: Vec<String> = self
            .filtered_streams(&req.subject)
            .iter()
            .map(|s| s.name().to_string())
            .collect();
        let total = names.len();
        let offset = (req.offset.max(0) as usize).min(total);
        let page: Vec<String> = names
            .into_iter()
            .skip(offset)
            .take(JS_API_NAMES_LIMIT)
            .collect();
        let body = NamesBody {
            paged: ApiPaged {
                total,
                offset,
                limit: JS_API_NAMES_LIMIT,
            },
            streams: (!page.is_empty()).then_some(page),
        };
        self.respond(reply, T, None, body)
    }

    fn stream_list_request(
        &mut self,
        realtime: UnixNanos,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_STREAM_LIST_RESPONSE_TYPE;
        let req = match Self::paging_request(msg) {
            Ok(r) => r,
            Err(e) => return self.err::<ListBody>(reply, T, e),
        };
        let streams = self.filtered_streams(&req.subject);
        let total = streams.len();
        let offset = (req.offset.max(0) as usize).min(total);
        let infos: Vec<StreamInfo> = streams
            .iter()
            .skip(offset)
            .take(JS_API_LIST_LIMIT)
            .map(|s| {
                let mut i = self.stream_info(s, realtime, false);
                i.cluster = None;
                i.config = s.cfg.clone();
                i
            })
            .collect();
        let body = ListBody {
            paged: ApiPaged {
                total,
                offset,
                limit: JS_API_LIST_LIMIT,
            },
            streams: infos,
            missing: Vec::new(),
        };
        self.respond(reply, T, None, body)
    }

    fn stream_purge_request(
        &mut self,
        name: &str,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_STREAM_PURGE_RESPONSE_TYPE;
        let mut req: Option<StreamPurgeRequest> = None;
        if is_json_object_or_array(msg) {
            match from_json::<StreamPurgeRequest>(msg) {
                Ok(r) if r.seq > 0 && r.keep > 0 => {
                    return self.err::<PurgeBody>(reply, T, ApiError::new(&JS_BAD_REQUEST_ERR));
                }
                Ok(r) => req = Some(r),
                Err(e) => return self.err::<PurgeBody>(reply, T, invalid_json(e)),
            }
        }
        let Some(s) = self.streams.get_mut(name) else {
            return self.err::<PurgeBody>(reply, T, ApiError::new(&JS_STREAM_NOT_FOUND_ERR));
        };
        if s.cfg.sealed {
            return self.err::<PurgeBody>(reply, T, ApiError::new(&JS_STREAM_SEALED_ERR));
        }
        if s.cfg.deny_purge {
            let e =
                ApiError::new(&JS_STREAM_PURGE_FAILED_F).with("err", "stream purge not permitted");
            return self.err::<PurgeBody>(reply, T, e);
        }
        let res = match &req {
            Some(r) => s.store.purge_ex(&r.filter, r.seq, r.keep),
            None => s.store.purge(),
        };
        s.after_purge();
        match res {
            Ok(purged) => self.respond(
                reply,
                T,
                None,
                PurgeBody {
                    success: true,
                    purged,
                },
            ),
            Err(e) => {
                let e = ApiError::new(&JS_STREAM_GENERAL_ERROR_F).with("err", e);
                self.err::<PurgeBody>(reply, T, e)
            }
        }
    }

    fn msg_delete_request(
        &mut self,
        name: &str,
        reply: Option<&[u8]>,
        msg: &[u8],
    ) -> Vec<Outgoing> {
        const T: &str = JS_API_MSG_DELETE_RESPONSE_TYPE;
        if is_empty_request(msg) {
            return self.err::<SuccessBody>(reply, T, ApiError::new(&JS_BAD_REQUEST_ERR));
        }
        let req: MsgDeleteRequest = match from_json(msg) {
            Ok(r) => r,
            Err(e) => return self.err::<SuccessBody>(reply, T, invalid_json(e)),
        };
        let Some(s) = self.streams.get_mut(name) else {
            return self.err::<SuccessBody>(reply, T, ApiError::new(&JS_STREAM_NOT_FOUND_ERR));
        };
        if s.cfg.sealed {
            return self.err::<SuccessBody>(reply, T, ApiError::new(&JS_STREAM_SEALED_ERR));
        }
        if s.cfg.deny_delete {
            let e = ApiError::new(&JS_STREAM_MSG_DELETE_FAILED_F)
                .with("err", "message delete not permitted");
            return self.err::<SuccessBody>(reply, T, e);
        }
        let res = if req.no_erase {
            s.store.remove_msg(req.seq)
        } else {
            s.store.erase_msg(req.seq)
        };
        s.mark_dirty();
        let e = match res {
            Ok(true) => return self.respond(reply, T, None, SuccessBody { success: true }),
            Ok(false) | Err(StoreError::MsgNotFound | StoreError::Eof) => {
                ApiError::new(&JS_SEQUENCE_NOT_FOUND_ERR_F).with("seq", req.seq)
            }
            Err(e) => ApiError::new(&JS_STREAM_MSG_DELETE_FAILED_F).with("err", e),
        };
        self.err::<SuccessBody>(reply, T, e)
    }

    fn msg_get_request(&mut self, name: &str, reply: Option<&[u8]>, msg: &[u8]) -> Vec<Outgoing> {
        const T: &str = JS_API_MSG_GET_RESPONSE_TYPE;
        let bad = || ApiError::new(&JS_BAD_REQUEST_ERR);
        if is_empty_request(msg) {
            return self.err::<MsgGetBody>(reply, T, bad());
        }
        let req: MsgGetRequest = match from_json(msg) {
            Ok(r) => r,
            Err(e) => return self.err::<MsgGetBody>(reply, T, invalid_json(e)),
        };
        if req.batch > 0 || req.max_bytes > 0 {
            return self.err::<MsgGetBody>(reply, T, bad());
        }
        let (seq, last, next, start) = (
            req.seq,
            !req.last_by_subj.is_empty(),
            !req.next_by_subj.is_empty(),
            req.start_time.is_some(),
        );
        if (seq > 0 && last)
            || (seq == 0 && !last && !next && !start)
            || (seq > 0 && start)
            || (start && last)
            || (last && next)
        {
            return self.err::<MsgGetBody>(reply, T, bad());
        }
        let Some(s) = self.streams.get_mut(name) else {
            return self.err::<MsgGetBody>(reply, T, ApiError::new(&JS_STREAM_NOT_FOUND_ERR));
        };
        let seq = match &req.start_time {
            Some(t) => match parse_rfc3339(t) {
                Some(t) => seq_from_time(s, t.unwrap_or(i64::MIN)),
                None => return self.err::<MsgGetBody>(reply, T, bad()),
            },
            None => seq,
        };
        let res = if seq > 0 && !next {
            s.store.load_msg(seq)
        } else if next {
            let wc = subject_has_wildcard(req.next_by_subj.as_bytes());
            s.store
                .load_next_msg(&req.next_by_subj, wc, seq)
                .map(|(m, _)| m)
        } else {
            s.store.load_last_msg(&req.last_by_subj)
        };
        match res {
            Ok(sm) => {
                let message = StoredMsg {
                    subject: sm.subj,
                    seq: sm.seq,
                    hdrs: if req.no_hdr {
                        String::new()
                    } else {
                        base64_encode(&sm.hdr)
                    },
                    data: base64_encode(&sm.msg),
                    time: format_rfc3339(Some(sm.ts)),
                };
                let body = MsgGetBody {
                    message: Some(message),
                };
                self.respond(reply, T, None, body)
            }
            Err(_) => self.err::<MsgGetBody>(reply, T, ApiError::new(&JS_NO_MESSAGE_FOUND_ERR)),
        }
    }
}

/// Go's `GetSeqFromTime`: the first sequence stored at or after `t` (one
/// past the last if none).
pub(super) fn seq_from_time(s: &mut Stream, t: UnixNanos) -> u64 {
    let state = s.store.state();
    let mut seq = state.first_seq;
    while seq <= state.last_seq && seq > 0 {
        match s.store.load_next_msg(">", true, seq) {
            Ok((sm, found)) if sm.ts >= t => return found,
            Ok((_, found)) => seq = found + 1,
            Err(_) => break,
        }
    }
    state.last_seq + 1
}

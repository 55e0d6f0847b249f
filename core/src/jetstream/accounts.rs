//! JetStream per account (Go's `jsAccount` and `JetStreamAccountLimits` in
//! server/jetstream.go): every JetStream-enabled account runs its own
//! [`JetStream`] in the engine (see `server/internal_services.rs`), stored
//! under `jetstream/<account>/` like Go's layout, with the account's limits
//! checked on the API ([`AccountJetStream`]); an account without JetStream
//! answers its `$JS.API.>` requests with Go's "JetStream not enabled for
//! account" ([`NotEnabled`]).

use super::account_info::{AccountInfoResponse, JetStreamAccountLimits};
use super::consumer_api::JS_API_CONSUMER_CREATE_RESPONSE_TYPE;
use super::errors::{
    ApiError, ErrorDef, JS_MAXIMUM_CONSUMERS_LIMIT_ERR, JS_MAXIMUM_STREAMS_LIMIT_ERR,
    JS_MEMORY_RESOURCES_EXCEEDED_ERR, JS_NOT_ENABLED_FOR_ACCOUNT_ERR, JS_STORAGE_RESOURCES_EXCEEDED_ERR,
};
use super::types::{StorageType, StreamConfig, JS_API_ACCOUNT_INFO_RESPONSE_TYPE, JS_API_STREAM_CREATE_RESPONSE_TYPE};
use super::{JetStream, Outgoing, StorageFactory, GLOBAL_ACCOUNT, JS_ALL_API};
use crate::server::{InternalMsg, InternalService};
use crate::storage::{FileId, Storage, StorageError};
use crate::time::{Instant, UnixNanos};

/// A storage whose `jetstream/$G` paths live under `jetstream/<account>`.
pub struct AccountStorage {
    inner: Box<dyn Storage + Send>,
    account: String,
}

impl AccountStorage {
    fn map(&self, path: &str) -> String {
        account_path(&self.account, path)
    }
}

/// `path` with its leading `jetstream/$G` replaced by `jetstream/<account>`.
pub fn account_path(account: &str, path: &str) -> String {
    let global = format!("jetstream/{GLOBAL_ACCOUNT}");
    match path.strip_prefix(&global) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("jetstream/{account}{rest}"),
        _ => path.to_string(),
    }
}

/// A factory whose storages keep `account`'s JetStream in its own directory.
pub fn account_storage_factory(account: &str, mut factory: StorageFactory) -> StorageFactory {
    let account = account.to_string();
    Box::new(move |dir: &str| {
        let inner = factory(&account_path(&account, dir));
        Box::new(AccountStorage { inner, account: account.clone() }) as Box<dyn Storage + Send>
    })
}

impl Storage for AccountStorage {
    fn open(&mut self, path: &str, create: bool) -> Result<FileId, StorageError> {
        let p = self.map(path);
        self.inner.open(&p, create)
    }
    fn close(&mut self, file: FileId) {
        self.inner.close(file)
    }
    fn read_at(&mut self, file: FileId, off: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        self.inner.read_at(file, off, buf)
    }
    fn write_at(&mut self, file: FileId, off: u64, data: &[u8]) -> Result<(), StorageError> {
        self.inner.write_at(file, off, data)
    }
    fn append(&mut self, file: FileId, data: &[u8]) -> Result<u64, StorageError> {
        self.inner.append(file, data)
    }
    fn len(&mut self, file: FileId) -> Result<u64, StorageError> {
        self.inner.len(file)
    }
    fn truncate(&mut self, file: FileId, len: u64) -> Result<(), StorageError> {
        self.inner.truncate(file, len)
    }
    fn sync(&mut self, file: FileId) -> Result<(), StorageError> {
        self.inner.sync(file)
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<(), StorageError> {
        let (f, t) = (self.map(from), self.map(to));
        self.inner.rename(&f, &t)
    }
    fn remove(&mut self, path: &str) -> Result<(), StorageError> {
        let p = self.map(path);
        self.inner.remove(&p)
    }
    fn sync_dir(&mut self, dir: &str) -> Result<(), StorageError> {
        let p = self.map(dir);
        self.inner.sync_dir(&p)
    }
    fn list(&mut self, dir: &str) -> Result<Vec<String>, StorageError> {
        let p = self.map(dir);
        self.inner.list(&p)
    }
    fn sync_handle(&mut self, file: FileId) -> Option<Box<dyn crate::storage::SyncHandle>> {
        self.inner.sync_handle(file)
    }
}

/// An account's JetStream limits from `accounts { A { jetstream: {...} } }`
/// or from the account JWT (`-1`: unlimited). In operator mode JetStream
/// is on when the claims set memory or disk storage (Go's `IsJSEnabled`).
impl JetStreamAccountLimits {
    /// Limits as configured: zero and negative values mean unlimited.
    pub fn from_config(max_memory: i64, max_storage: i64, max_streams: i64, max_consumers: i64) -> JetStreamAccountLimits {
        let lim = |v: i64| if v > 0 { v } else { -1 };
        JetStreamAccountLimits {
            max_memory: lim(max_memory),
            max_storage: lim(max_storage),
            max_streams: lim(max_streams),
            max_consumers: lim(max_consumers),
            ..JetStreamAccountLimits::dynamic()
        }
    }
}

/// One account's JetStream with its limits checked on the API.
pub struct AccountJetStream {
    js: JetStream,
    limits: JetStreamAccountLimits,
}

impl AccountJetStream {
    pub fn new(js: JetStream, limits: JetStreamAccountLimits) -> AccountJetStream {
        AccountJetStream { js, limits }
    }

    pub fn jetstream(&self) -> &JetStream {
        &self.js
    }

    /// The limit a request breaks, with its response type (Go's
    /// `jsAccount.checkAccountLimits` / `checkLimits` on create).
    fn check_request(&self, subject: &str, payload: &[u8]) -> Option<(ApiError, &'static str)> {
        let tokens: Vec<&str> = subject.split('.').collect();
        let usage = self.js.usage();
        let err = |d: &ErrorDef, t| Some((ApiError::new(d), t));
        match tokens.as_slice() {
            ["$JS", "API", "STREAM", "CREATE", name] => {
                const T: &str = JS_API_STREAM_CREATE_RESPONSE_TYPE;
                if self.js.stream(name).is_some() {
                    return None;
                }
                if self.limits.max_streams > 0 && usage.streams as i64 >= self.limits.max_streams {
                    return err(&JS_MAXIMUM_STREAMS_LIMIT_ERR, T);
                }
                let cfg: StreamConfig = serde_json::from_slice(payload).ok()?;
                let (limit, reserved, def) = match cfg.storage {
                    StorageType::Memory => (self.limits.max_memory, usage.reserved_memory, &JS_MEMORY_RESOURCES_EXCEEDED_ERR),
                    StorageType::File => (self.limits.max_storage, usage.reserved_storage, &JS_STORAGE_RESOURCES_EXCEEDED_ERR),
                };
                if limit > 0 && cfg.max_bytes > 0 && reserved as i64 + cfg.max_bytes > limit {
                    return err(def, T);
                }
                None
            }
            ["$JS", "API", "CONSUMER", "CREATE", ..] | ["$JS", "API", "CONSUMER", "DURABLE", "CREATE", ..] => {
                if self.limits.max_consumers > 0 && usage.consumers as i64 >= self.limits.max_consumers {
                    return err(&JS_MAXIMUM_CONSUMERS_LIMIT_ERR, JS_API_CONSUMER_CREATE_RESPONSE_TYPE);
                }
                None
            }
            _ => None,
        }
    }

    /// Puts the account's limits into an account info answer.
    fn with_limits(&self, mut o: Outgoing) -> Outgoing {
        if let Ok(mut info) = serde_json::from_slice::<AccountInfoResponse>(&o.payload) {
            if let Some(stats) = info.stats.as_mut() {
                stats.tier.limits = self.limits.clone();
                if let Ok(v) = serde_json::to_vec(&info) {
                    o.payload = v.into();
                }
            }
        }
        o
    }
}

fn error_reply(reply: &[u8], kind: &str, e: ApiError) -> Outgoing {
    let body = serde_json::json!({ "type": kind, "error": e });
    Outgoing::new(reply, serde_json::to_vec(&body).unwrap_or_default())
}

impl InternalService for AccountJetStream {
    fn interest(&self) -> Vec<String> {
        self.js.interest()
    }
    fn handle_msg(&mut self, now: Instant, realtime: UnixNanos, msg: InternalMsg) -> Vec<Outgoing> {
        let subject = String::from_utf8_lossy(&msg.subject).into_owned();
        if let Some((e, kind)) = self.check_request(&subject, &msg.payload) {
            return match msg.reply.as_deref().filter(|r| !r.is_empty()) {
                Some(reply) => vec![error_reply(reply, kind, e)],
                None => Vec::new(),
            };
        }
        let reply = msg.reply.clone();
        let out = InternalService::handle_msg(&mut self.js, now, realtime, msg);
        if subject != "$JS.API.INFO" {
            return out;
        }
        out.into_iter()
            .map(|o| if Some(&o.subject) == reply.as_ref() { self.with_limits(o) } else { o })
            .collect()
    }
    fn wants_flush(&self) -> bool {
        self.js.wants_flush()
    }
    fn flush(&mut self, now: Instant) -> Vec<Outgoing> {
        self.js.flush(now)
    }
    fn begin_flush(&mut self, now: Instant) -> (Vec<Outgoing>, Vec<Box<dyn crate::storage::SyncHandle>>) {
        self.js.begin_flush(now)
    }
    fn finish_flush(&mut self, now: Instant, results: &[Result<(), StorageError>]) -> Vec<Outgoing> {
        self.js.finish_flush(now, results)
    }
    fn take_interest_changed(&mut self) -> bool {
        self.js.take_interest_changed()
    }
    fn handle_timeout(&mut self, now: Instant, realtime: UnixNanos) -> Vec<Outgoing> {
        self.js.handle_timeout(now, realtime)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.js.poll_timeout()
    }
    fn check_invariants(&self) {
        self.js.check_invariants()
    }
    fn shutdown(&mut self, now: Instant) {
        InternalService::shutdown(&mut self.js, now)
    }
    fn watched_interest(&self) -> Vec<(String, Option<String>)> {
        InternalService::watched_interest(&self.js)
    }
    fn handle_undelivered(&mut self, now: Instant, realtime: UnixNanos, subject: &[u8], reply: &[u8]) -> Vec<Outgoing> {
        InternalService::handle_undelivered(&mut self.js, now, realtime, subject, reply)
    }
    fn handle_interest(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        subject: &str,
        queue: Option<&str>,
        interest: bool,
    ) -> Vec<Outgoing> {
        InternalService::handle_interest(&mut self.js, now, realtime, subject, queue, interest)
    }
}

/// The `$JS.API.>` responder of an account without JetStream on a server
/// with JetStream: Go answers `$JS.API.INFO` (and the other requests) with
/// `JSNotEnabledForAccountErr` (10039).
#[derive(Debug, Default)]
pub struct NotEnabled {
    interest_changed: bool,
}

impl NotEnabled {
    pub fn new() -> NotEnabled {
        NotEnabled { interest_changed: true }
    }
}

/// The response type Go uses for the not-enabled answer to `subject`.
fn response_type(subject: &str) -> &'static str {
    let tokens: Vec<&str> = subject.split('.').collect();
    match tokens.as_slice() {
        ["$JS", "API", "STREAM", "CREATE", _] => JS_API_STREAM_CREATE_RESPONSE_TYPE,
        ["$JS", "API", "CONSUMER", "CREATE", ..] | ["$JS", "API", "CONSUMER", "DURABLE", "CREATE", ..] => {
            JS_API_CONSUMER_CREATE_RESPONSE_TYPE
        }
        _ => JS_API_ACCOUNT_INFO_RESPONSE_TYPE,
    }
}

impl InternalService for NotEnabled {
    fn interest(&self) -> Vec<String> {
        vec![JS_ALL_API.to_string()]
    }
    fn handle_msg(&mut self, _now: Instant, _realtime: UnixNanos, msg: InternalMsg) -> Vec<Outgoing> {
        let Some(reply) = msg.reply.as_deref().filter(|r| !r.is_empty()) else {
            return Vec::new();
        };
        let subject = String::from_utf8_lossy(&msg.subject);
        vec![error_reply(reply, response_type(&subject), ApiError::new(&JS_NOT_ENABLED_FOR_ACCOUNT_ERR))]
    }
    fn wants_flush(&self) -> bool {
        false
    }
    fn flush(&mut self, _now: Instant) -> Vec<Outgoing> {
        Vec::new()
    }
    fn take_interest_changed(&mut self) -> bool {
        std::mem::take(&mut self.interest_changed)
    }
    fn handle_timeout(&mut self, _now: Instant, _realtime: UnixNanos) -> Vec<Outgoing> {
        Vec::new()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn check_invariants(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_path_moves_only_the_global_tree() {
        assert_eq!(account_path("A", "jetstream/$G/streams/S/meta.inf"), "jetstream/A/streams/S/meta.inf");
        assert_eq!(account_path("A", "jetstream/$G"), "jetstream/A");
        assert_eq!(account_path("A", "jetstream"), "jetstream");
        assert_eq!(account_path("A", "jetstream/$GX/s"), "jetstream/$GX/s");
    }

    #[test]
    fn not_enabled_answers_with_10039() {
        let mut s = NotEnabled::new();
        assert!(s.take_interest_changed());
        assert_eq!(s.interest(), vec!["$JS.API.>".to_string()]);
        let msg = InternalMsg {
            account: crate::server::accounts::GLOBAL,
            subject: "$JS.API.INFO".into(),
            reply: Some("_INBOX.1".into()),
            headers: None,
            payload: Default::default(),
        };
        let out = s.handle_msg(Instant::ZERO, 0, msg);
        assert_eq!(out.len(), 1);
        let v: serde_json::Value = serde_json::from_slice(&out[0].payload).unwrap();
        assert_eq!(v["error"]["err_code"], 10039);
        assert_eq!(v["error"]["code"], 503);
        assert_eq!(v["type"], JS_API_ACCOUNT_INFO_RESPONSE_TYPE);
    }
}

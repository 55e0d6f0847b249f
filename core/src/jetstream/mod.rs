//! JetStream streams as a sans-IO component (Go's `jetStream`, `jsAccount`
//! and `stream` in server/jetstream.go, jetstream_api.go and stream.go), for
//! one account (`$G`) on a standalone server.
//!
//! # Call order
//!
//! The engine's internal-client hook drives it:
//!
//! 1. [`JetStream::new`] recovers every persisted stream through the
//!    [`StorageFactory`].
//! 2. The hook subscribes internally to [`JetStream::interest`] and calls
//!    [`JetStream::handle_msg`] for every delivery; it publishes the returned
//!    [`Outgoing`] messages (API responses, error PubAcks, and PubAcks of
//!    memory streams) at once. After each call it checks
//!    [`JetStream::take_interest_changed`] and re-syncs its subscriptions.
//! 3. When [`JetStream::wants_flush`] is true, the hook calls
//!    [`JetStream::flush`] (ideally once per batch of deliveries: a group
//!    commit) and publishes the PubAcks it returns, which are now durable.
//! 4. The hook arms a timer at [`JetStream::poll_timeout`] and calls
//!    [`JetStream::handle_timeout`] (max age and TTL expiry, the duplicate
//!    window, and the sync interval when `sync_always` is off).
//!
//! # Storage layout
//!
//! Paths are relative to the storage root (the adapter's `store_dir`):
//! `jetstream/$G/streams/<stream>/` holds `meta.inf`/`meta.sum` (see
//! [`meta`]) and the file store's `msgs/` (docs/FILESTORE.md). Memory
//! streams are not persisted, as in Go.

pub mod account_info;
pub mod accounts;
pub mod advisories;
pub mod api;
pub mod config;
pub mod consumer;
pub mod consumer_api;
pub mod consumer_config;
pub mod consumer_push;
pub mod consumer_update;
pub mod consumer_persist;
pub mod direct;
pub mod errors;
pub mod headers;
mod jsz;
pub mod meta;
pub mod retention;
pub mod stream;
pub mod types;

use self::consumer::Consumer;
use self::stream::{store_config, JsStore, Stream};
use self::types::{StorageType, StreamConfig};
use crate::prng::Prng;
use crate::server::{InternalMsg, InternalService};
use crate::storage::{FileId, Storage, StorageError, SyncHandle};
use crate::store::filestore::write_buffer::WriteBuffer;
use crate::store::filestore::{FileStore, FileStoreConfig, SyncPolicy};
use crate::store::memstore::MemStore;
use crate::subject::subject_matches_filter;
use crate::time::{Instant, UnixNanos};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::time::Duration;

/// The account every stream belongs to (Go's global account).
pub const GLOBAL_ACCOUNT: &str = "$G";
/// Go's `jsAllAPI`.
pub const JS_ALL_API: &str = "$JS.API.>";
/// Go's `JSApiPrefix`.
pub const JS_API_PREFIX: &str = "$JS.API";
/// Go's `defaultSyncInterval`, used when `sync_always` is off.
pub const DEFAULT_SYNC_INTERVAL: Duration = Duration::from_secs(120);

/// JetStream server settings (Go's `JetStreamConfig`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsConfig {
    /// The store directory as configured (for reporting; paths handed to
    /// the factory are relative to it).
    pub store_dir: String,
    /// Server memory limit in bytes (-1: none).
    pub max_memory: i64,
    /// Server storage limit in bytes (-1: none).
    pub max_store: i64,
    pub domain: Option<String>,
    /// PubAcks of file streams are sent only once durable (default true).
    /// When false, acks go out at once and stores are flushed every
    /// [`DEFAULT_SYNC_INTERVAL`] (Go's `sync_interval`).
    pub sync_always: bool,
    /// Encryption at rest of file streams (`jetstream { cipher, key }`).
    pub cipher: Option<crate::store::filestore::StoreCipher>,
    /// Seeds block salts and nonces; the adapter draws it from OS
    /// randomness at every start (it must never repeat with a key).
    pub store_seed: u64,
    /// Publish the advisories and API audit on `$JS.EVENT.ADVISORY.>`
    /// (see [`advisories`]); off for tests that count API replies.
    pub advisories: bool,
}

impl Default for JsConfig {
    fn default() -> JsConfig {
        JsConfig {
            store_dir: String::new(),
            max_memory: -1,
            max_store: -1,
            domain: None,
            sync_always: true,
            cipher: None,
            store_seed: 0,
            advisories: false,
        }
    }
}

/// Makes a storage for the given directory (relative to the store root).
/// Every storage it returns is rooted at the store root: paths passed to it
/// include the directory. `"jetstream"` is asked once, for JetStream's own
/// metadata; each file stream asks for its own directory.
pub type StorageFactory = Box<dyn FnMut(&str) -> Box<dyn Storage + Send> + Send>;

/// A message to publish: an API response or a PubAck (the engine's
/// internal-client message).
pub use crate::server::Outgoing;

impl Outgoing {
    pub fn new(subject: &[u8], payload: Vec<u8>) -> Outgoing {
        Outgoing {
            subject: Bytes::copy_from_slice(subject),
            reply: None,
            deliver_as: None,
            headers: None,
            payload: Bytes::from(payload),
        }
    }
}

/// A boxed storage as a [`Storage`] (so a [`FileStore`] can own it).
pub struct BoxedStorage(pub Box<dyn Storage + Send>);

impl std::fmt::Debug for BoxedStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxedStorage")
    }
}

impl Storage for BoxedStorage {
    fn open(&mut self, path: &str, create: bool) -> Result<FileId, StorageError> {
        self.0.open(path, create)
    }
    fn close(&mut self, file: FileId) {
        self.0.close(file)
    }
    fn read_at(&mut self, file: FileId, off: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        self.0.read_at(file, off, buf)
    }
    fn write_at(&mut self, file: FileId, off: u64, data: &[u8]) -> Result<(), StorageError> {
        self.0.write_at(file, off, data)
    }
    fn append(&mut self, file: FileId, data: &[u8]) -> Result<u64, StorageError> {
        self.0.append(file, data)
    }
    fn len(&mut self, file: FileId) -> Result<u64, StorageError> {
        self.0.len(file)
    }
    fn truncate(&mut self, file: FileId, len: u64) -> Result<(), StorageError> {
        self.0.truncate(file, len)
    }
    fn sync(&mut self, file: FileId) -> Result<(), StorageError> {
        self.0.sync(file)
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<(), StorageError> {
        self.0.rename(from, to)
    }
    fn remove(&mut self, path: &str) -> Result<(), StorageError> {
        self.0.remove(path)
    }
    fn sync_dir(&mut self, dir: &str) -> Result<(), StorageError> {
        self.0.sync_dir(dir)
    }
    fn list(&mut self, dir: &str) -> Result<Vec<String>, StorageError> {
        self.0.list(dir)
    }
    fn sync_handle(&mut self, file: FileId) -> Option<Box<dyn crate::storage::SyncHandle>> {
        self.0.sync_handle(file)
    }
}

/// A stream that could not be recovered, and why (Go logs these).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryWarning {
    pub stream: String,
    pub reason: String,
}

/// JetStream for the global account.
pub struct JetStream {
    cfg: JsConfig,
    factory: StorageFactory,
    /// JetStream's own storage (meta files, listing, deletion).
    meta: Box<dyn Storage + Send>,
    streams: BTreeMap<String, Stream>,
    /// Consumers by stream, then by name.
    consumers: BTreeMap<String, BTreeMap<String, Consumer>>,
    /// Names ephemeral consumers (seeded from the start time).
    prng: Prng,
    interest_changed: bool,
    api_total: u64,
    api_errors: u64,
    server_name: String,
    /// [`JetStream::shutdown`] ran: the stores are closed.
    shut_down: bool,
    /// The split-phase flushes in progress, oldest first: for each, every
    /// stream in it and how many of the batch's handles are its own, in
    /// batch order.
    inflight: std::collections::VecDeque<Vec<(String, usize)>>,
    /// The last (monotonic, wall) time pair seen, to turn wall deadlines
    /// into monotonic ones.
    clock: (Instant, UnixNanos),
    last_interval_flush: Instant,
    warnings: Vec<RecoveryWarning>,
    /// Consumer persistence (see [`consumer_persist`]).
    durability: consumer_persist::Durability,
}

impl std::fmt::Debug for JetStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStream")
            .field("streams", &self.streams.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The directory of stream `name`, relative to the store root.
pub fn stream_dir(name: &str) -> String {
    format!("jetstream/{GLOBAL_ACCOUNT}/streams/{name}")
}

fn streams_root() -> String {
    format!("jetstream/{GLOBAL_ACCOUNT}/streams")
}

impl JetStream {
    /// Recovers every stream found under the store (account `$G`) through
    /// the factory. A stream whose meta files are missing or damaged is
    /// skipped (see [`JetStream::recovery_warnings`]); a stream directory
    /// without `meta.inf` is a deletion that a crash interrupted and is
    /// removed.
    pub fn new(
        cfg: JsConfig,
        mut storage: StorageFactory,
        now: Instant,
        realtime: UnixNanos,
    ) -> Result<JetStream, String> {
        let meta = storage("jetstream");
        let mut js = JetStream {
            cfg,
            factory: storage,
            meta,
            streams: BTreeMap::new(),
            consumers: BTreeMap::new(),
            prng: Prng::from_seed(realtime as u64 ^ now.as_nanos()),
            interest_changed: true,
            api_total: 0,
            api_errors: 0,
            server_name: String::new(),
            shut_down: false,
            inflight: std::collections::VecDeque::new(),
            clock: (now, realtime),
            last_interval_flush: now,
            warnings: Vec::new(),
            durability: Default::default(),
        };
        js.recover(realtime)?;
        js.recover_consumers(now, realtime);
        js.check_invariants();
        Ok(js)
    }

    fn recover(&mut self, realtime: UnixNanos) -> Result<(), String> {
        let root = streams_root();
        let names = self.meta.list(&root).map_err(|e| e.to_string())?;
        for entry in names {
            let Some(name) = entry.strip_suffix('/') else {
                continue;
            };
            let dir = format!("{root}/{name}");
            match meta::read_meta(self.meta.as_mut(), &dir, name) {
                Ok((cfg, created)) => match self.open_stream(cfg, created, realtime) {
                    Ok(s) => {
                        self.streams.insert(name.to_string(), s);
                    }
                    Err(e) => self.warn(name, e),
                },
                Err(meta::MetaError::Missing) => {
                    if let Err(e) = meta::remove_tree(self.meta.as_mut(), &dir) {
                        self.warn(name, format!("removing partially deleted stream: {e}"));
                    }
                }
                Err(e) => self.warn(name, format!("{e:?}")),
            }
        }
        Ok(())
    }

    fn warn(&mut self, stream: &str, reason: impl Into<String>) {
        let reason = reason.into();
        tracing::warn!(stream, %reason, "JetStream stream not recovered");
        self.warnings.push(RecoveryWarning {
            stream: stream.to_string(),
            reason,
        });
    }

    /// Streams that could not be recovered by [`JetStream::new`].
    pub fn recovery_warnings(&self) -> &[RecoveryWarning] {
        &self.warnings
    }

    /// Opens the store of a stream and wraps it.
    fn open_stream(
        &mut self,
        cfg: StreamConfig,
        created: UnixNanos,
        realtime: UnixNanos,
    ) -> Result<Stream, String> {
        let scfg = store_config(&cfg);
        let domain = self.cfg.domain.clone().unwrap_or_default();
        let (store, dir, hold): (Box<dyn JsStore>, _, _) = match cfg.storage {
            StorageType::Memory => (Box::new(MemStore::new(scfg)), None, false),
            StorageType::File => {
                let dir = stream_dir(&cfg.name);
                // Appends gather in memory until the group commit writes
                // them out in one go.
                let inner = BoxedStorage((self.factory)(&dir));
                let storage = BoxedStorage(Box::new(WriteBuffer::new(inner)));
                let mut fcfg = FileStoreConfig::new(dir.clone());
                if !self.cfg.sync_always {
                    fcfg.sync = SyncPolicy::Interval(DEFAULT_SYNC_INTERVAL);
                }
                fcfg.encryption = self.cfg.cipher.clone();
                fcfg.compression = match cfg.compression {
                    types::StoreCompression::S2 => crate::store::StoreCompression::S2,
                    types::StoreCompression::None => crate::store::StoreCompression::None,
                };
                // A fresh seed per open: the start seed, the stream, the time.
                fcfg.seed = self.cfg.store_seed
                    ^ crate::store::filestore::msg_block::stream_hash(&cfg.name)
                    ^ (realtime as u64).rotate_left(29);
                let fs = FileStore::open(storage, fcfg, scfg).map_err(|e| e.to_string())?;
                tracing::debug!(
                    stream = %cfg.name,
                    from_index = fs.recovery_report().from_index,
                    "JetStream file store opened"
                );
                (Box::new(fs), Some(dir), self.cfg.sync_always)
            }
        };
        Ok(Stream::new(
            cfg, created, store, dir, hold, domain, realtime,
        ))
    }

    /// Names the server in stream info (`cluster.leader`, as Go does for a
    /// standalone server).
    pub fn set_server_name(&mut self, name: &str) {
        self.server_name = name.to_string();
    }

    pub fn config(&self) -> &JsConfig {
        &self.cfg
    }

    /// The stream named `name`.
    pub fn stream(&self, name: &str) -> Option<&Stream> {
        self.streams.get(name)
    }

    /// Names of all streams, sorted.
    pub fn stream_names(&self) -> Vec<String> {
        self.streams.keys().cloned().collect()
    }

    /// The API prefix clients use with the domain, if one is set.
    fn domain_api_prefix(&self) -> Option<String> {
        self.cfg.domain.as_ref().map(|d| format!("$JS.{d}.API"))
    }

    /// Subjects JetStream needs internal subscriptions on: `$JS.API.>` (and
    /// `$JS.<domain>.API.>`) plus every stream's subjects, and the
    /// direct-get subjects of streams with `allow_direct` (Go's
    /// `subscribeToDirect`; the engine delivers a message to its internal
    /// client once even when several of these match).
    pub fn interest(&self) -> Vec<String> {
        let mut out = vec![
            JS_ALL_API.to_string(),
            format!("{}.>", consumer::JS_ACK_PRE),
            format!("{}>", consumer_push::JS_FLOW_CONTROL_PRE),
        ];
        if let Some(p) = self.domain_api_prefix() {
            out.push(format!("{p}.>"));
        }
        for s in self.streams.values() {
            out.extend(s.cfg.subjects.iter().cloned());
            if s.cfg.allow_direct {
                out.extend(direct::direct_subjects(s.name()));
            }
        }
        out
    }

    /// Interest changed since the last call (streams created, deleted or
    /// updated): the hook re-syncs its internal subscriptions.
    pub fn take_interest_changed(&mut self) -> bool {
        std::mem::take(&mut self.interest_changed)
    }

    /// A message on an internal subscription. Returns replies to publish now
    /// (API responses, error PubAcks, PubAcks of memory streams).
    /// Successful publishes to file streams are acked by [`JetStream::flush`].
    pub fn handle_msg(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        subject: &[u8],
        reply: Option<&[u8]>,
        headers: Option<&[u8]>,
        payload: &[u8],
    ) -> Vec<Outgoing> {
        self.clock = (now, realtime);
        let Ok(subject) = std::str::from_utf8(subject) else {
            return Vec::new();
        };
        let hdr = headers.unwrap_or_default();
        let api_subject = self.api_subject(subject);
        let out = match api_subject {
            Some(api) if api.starts_with(direct::JS_DIRECT_MSG_GET_PREFIX) => {
                self.handle_direct_get(&api, reply, hdr, payload)
            }
            Some(api) if self.cfg.advisories => self.handle_api_with_advisories(now, realtime, &api, reply, hdr, payload),
            Some(api) => self.handle_api(now, realtime, &api, reply, hdr, payload),
            None if subject.starts_with("$JS.ACK.") => {
                // `+NXT` replies are pull requests (handle_ack); a double
                // ack's reply is answered by after_ack once the ack is durable.
                let next = payload.trim_ascii().starts_with(b"+NXT");
                let mut out = self.handle_ack(now, realtime, subject, reply.filter(|_| next), payload);
                out.extend(self.after_ack(subject, reply.filter(|_| !next), payload));
                out
            }
            None if subject.starts_with(consumer_push::JS_FLOW_CONTROL_PRE) => {
                self.handle_flow_control(now, realtime, subject)
            }
            None => self.handle_publish(now, realtime, subject, reply, hdr, payload),
        };
        let out = self.hold_undurable(out);
        #[cfg(debug_assertions)]
        self.check_invariants();
        out
    }

    /// `subject` as a `$JS.API.…` subject if it is an API request.
    fn api_subject(&self, subject: &str) -> Option<String> {
        if subject.starts_with("$JS.API.") {
            return Some(subject.to_string());
        }
        let p = self.domain_api_prefix()?;
        let rest = subject.strip_prefix(p.as_str())?.strip_prefix('.')?;
        Some(format!("{JS_API_PREFIX}.{rest}"))
    }

    fn handle_publish(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        subject: &str,
        reply: Option<&[u8]>,
        hdr: &[u8],
        payload: &[u8],
    ) -> Vec<Outgoing> {
        let name = self.streams.iter().find_map(|(n, s)| {
            s.cfg
                .subjects
                .iter()
                .any(|f| subject_matches_filter(subject.as_bytes(), f.as_bytes()))
                .then(|| n.clone())
        });
        let Some(name) = name else {
            return Vec::new();
        };
        let exceeded = self.limits_exceeded(self.streams[&name].cfg.storage);
        let interest = self.publish_interest(&name, subject);
        let s = self.streams.get_mut(&name).expect("stream found above");
        let mut out: Vec<Outgoing> = s
            .process_msg(realtime, subject, reply, hdr, payload, exceeded, interest)
            .into_iter()
            .collect();
        out.extend(s.take_republished());
        out.extend(self.signal_consumers(now, realtime, &name));
        out
    }

    /// Go's `js.limitsExceeded`: the server is already over its limit for
    /// this storage type.
    fn limits_exceeded(&self, storage: StorageType) -> bool {
        let max = match storage {
            StorageType::Memory => self.cfg.max_memory,
            StorageType::File => self.cfg.max_store,
        };
        max >= 0 && self.used(storage) > max as u64
    }

    /// Bytes stored in streams of this storage type.
    fn used(&self, storage: StorageType) -> u64 {
        self.streams
            .values()
            .filter(|s| s.cfg.storage == storage)
            .map(|s| s.store.state().bytes)
            .sum()
    }

    /// Bytes reserved (`max_bytes`) by streams of this storage type, except
    /// `skip` (Go's `reservedStorage` / `tieredReservation`).
    fn reserved(&self, storage: StorageType, skip: Option<&str>) -> u64 {
        self.streams
            .values()
            .filter(|s| s.cfg.storage == storage && s.cfg.max_bytes > 0)
            .filter(|s| Some(s.name()) != skip)
            .map(|s| s.cfg.max_bytes as u64)
            .sum()
    }

    /// Group commit: flushes every store with pending writes (one sync
    /// each) and returns the PubAcks now durable.
    pub fn flush(&mut self, now: Instant) -> Vec<Outgoing> {
        let mut out = Vec::new();
        for s in self.streams.values_mut() {
            out.extend(s.flush());
        }
        if self.cfg.sync_always && !self.shut_down {
            // Consumers deliver only durable messages: more may be now.
            let names: Vec<String> = self.consumers.keys().cloned().collect();
            for name in names {
                out.extend(self.signal_consumers(now, self.clock.1, &name));
            }
        }
        if self.durability.wants_flush() {
            out.extend(self.flush_consumers(now));
        }
        self.last_interval_flush = now;
        out
    }

    /// Group commit off the engine's lock, first half: consumer state is
    /// written in place; every stream with pending writes begins its
    /// split-phase flush. Returns what is durable already and the sync
    /// handles of the batch, whose results go to [`JetStream::finish_flush`].
    pub fn begin_flush(&mut self, now: Instant) -> (Vec<Outgoing>, Vec<Box<dyn SyncHandle>>) {
        let mut out = Vec::new();
        let mut handles = Vec::new();
        let mut synced = Vec::new();
        let mut batch = Vec::new();
        for (name, s) in self.streams.iter_mut() {
            if !s.wants_flush() {
                continue;
            }
            let (o, h) = s.begin_flush();
            out.extend(o);
            if h.is_empty() {
                synced.push(name.clone());
            } else {
                batch.push((name.clone(), h.len()));
                handles.extend(h);
            }
        }
        if !handles.is_empty() {
            self.inflight.push_back(batch);
        }
        // Synced in place: their consumers may deliver what became durable.
        for name in synced {
            out.extend(self.signal_consumers(now, self.clock.1, &name));
        }
        if self.durability.wants_flush() {
            out.extend(self.flush_consumers(now));
        }
        self.last_interval_flush = now;
        (out, handles)
    }

    /// Second half: the results of the batch's handles, in order. Returns
    /// the acks and deliveries now durable.
    pub fn finish_flush(&mut self, now: Instant, results: &[Result<(), StorageError>]) -> Vec<Outgoing> {
        // The engine reports batches in the order they began.
        let inflight = self.inflight.pop_front().unwrap_or_default();
        let total: usize = inflight.iter().map(|(_, n)| n).sum();
        assert_eq!(total, results.len(), "one result per handle of the batch");
        if self.shut_down {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut at = 0;
        for (name, n) in inflight {
            let r = &results[at..at + n];
            at += n;
            // A stream deleted meanwhile answered its acks then.
            if let Some(s) = self.streams.get_mut(&name) {
                out.extend(s.finish_flush(r));
                out.extend(self.signal_consumers(now, self.clock.1, &name));
            }
        }
        if self.durability.wants_flush() {
            out.extend(self.flush_consumers(now));
        }
        out
    }

    /// True when [`JetStream::flush`] has work.
    pub fn wants_flush(&self) -> bool {
        (self.cfg.sync_always && self.streams.values().any(|s| s.wants_flush()))
            || self.durability.wants_flush()
    }

    /// Expires messages past max age or TTL, forgets old message ids, and
    /// (without `sync_always`) flushes every sync interval.
    pub fn handle_timeout(&mut self, now: Instant, realtime: UnixNanos) -> Vec<Outgoing> {
        self.clock = (now, realtime);
        let before = self.consumer_counts();
        let mut out = self.consumers_timeout(now, realtime);
        self.retention_after_expiry(before);
        out = self.hold_undurable(out);
        out.extend(self.consumers_lazy_save(now));
        for s in self.streams.values_mut() {
            if let Ok(n) = s.store.expire_msgs(realtime) {
                if n > 0 {
                    s.mark_dirty();
                }
            }
            s.purge_msg_ids(realtime);
        }
        if !self.cfg.sync_always
            && now >= self.last_interval_flush + DEFAULT_SYNC_INTERVAL
            && self.streams.values().any(|s| s.wants_flush())
        {
            // No acks are held without sync_always.
            let _ = self.flush(now);
        }
        #[cfg(debug_assertions)]
        self.check_invariants();
        out
    }

    /// Clean shutdown (Go's `JetStream` shutdown, `stream.stop`): releases
    /// what waits for the group commit, writes every persisted consumer's
    /// state (acks of the last save interval included), and closes every
    /// store so the next start reopens from the index. Idempotent; the
    /// replies it would release go nowhere, as the clients are gone.
    pub fn shutdown(&mut self, now: Instant) {
        if self.shut_down {
            return;
        }
        self.shut_down = true;
        let _ = self.flush(now);
        self.retry_removals();
        let _ = self.save_consumers(now);
        for (name, s) in &mut self.streams {
            if let Err(e) = s.store.close() {
                tracing::warn!(stream = %name, error = %e, "JetStream store close failed");
            }
        }
    }

    /// When [`JetStream::handle_timeout`] next has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let (now, realtime) = self.clock;
        let mut next: Option<Instant> = None;
        for s in self.streams.values() {
            if let Some(at) = s.store.next_expiry() {
                let wait = Duration::from_nanos(at.saturating_sub(realtime).max(0) as u64);
                next = Some(next.map_or(now + wait, |n| n.min(now + wait)));
            }
        }
        if !self.cfg.sync_always && self.streams.values().any(|s| s.wants_flush()) {
            let at = self.last_interval_flush + DEFAULT_SYNC_INTERVAL;
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        if let Some(at) = self.consumers_save_at() {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        if let Some(at) = self.consumers_poll_timeout() {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        next
    }

    /// Panics if an internal invariant is broken (a programmer error).
    pub fn check_invariants(&self) {
        for (name, s) in &self.streams {
            assert_eq!(name, s.name(), "streams are keyed by name");
            assert_eq!(
                s.dir.is_some(),
                s.cfg.storage == StorageType::File,
                "file streams have a directory"
            );
            s.check_invariants();
        }
        for (stream, cs) in &self.consumers {
            assert!(self.streams.contains_key(stream), "consumers belong to a stream");
            for (name, c) in cs {
                assert_eq!(name, c.name(), "consumers are keyed by name");
                c.check_invariants();
            }
        }
    }
}

/// The engine drives JetStream as its internal service.
impl InternalService for JetStream {
    fn interest(&self) -> Vec<String> {
        JetStream::interest(self)
    }
    fn handle_msg(&mut self, now: Instant, realtime: UnixNanos, msg: InternalMsg) -> Vec<Outgoing> {
        JetStream::handle_msg(
            self,
            now,
            realtime,
            &msg.subject,
            msg.reply.as_deref(),
            msg.headers.as_deref(),
            &msg.payload,
        )
    }
    fn wants_flush(&self) -> bool {
        JetStream::wants_flush(self)
    }
    fn flush(&mut self, now: Instant) -> Vec<Outgoing> {
        JetStream::flush(self, now)
    }
    fn begin_flush(&mut self, now: Instant) -> (Vec<Outgoing>, Vec<Box<dyn SyncHandle>>) {
        JetStream::begin_flush(self, now)
    }
    fn finish_flush(&mut self, now: Instant, results: &[Result<(), StorageError>]) -> Vec<Outgoing> {
        JetStream::finish_flush(self, now, results)
    }
    fn take_interest_changed(&mut self) -> bool {
        JetStream::take_interest_changed(self)
    }
    fn handle_timeout(&mut self, now: Instant, realtime: UnixNanos) -> Vec<Outgoing> {
        JetStream::handle_timeout(self, now, realtime)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        JetStream::poll_timeout(self)
    }
    fn shutdown(&mut self, now: Instant) {
        JetStream::shutdown(self, now);
    }
    fn check_invariants(&self) {
        JetStream::check_invariants(self)
    }
    fn jetstream_report(
        &self,
        realtime: UnixNanos,
        o: &crate::server::JszOptions,
    ) -> Option<crate::server::JetStreamReport> {
        Some(self.jsz_report(realtime, o))
    }
    fn watched_interest(&self) -> Vec<(String, Option<String>)> {
        JetStream::watched_interest(self)
    }
    fn handle_undelivered(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        subject: &[u8],
        reply: &[u8],
    ) -> Vec<Outgoing> {
        JetStream::handle_undelivered(self, now, realtime, subject, reply)
    }
    fn handle_interest(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        subject: &str,
        queue: Option<&str>,
        interest: bool,
    ) -> Vec<Outgoing> {
        self.clock = (now, realtime);
        JetStream::handle_interest(self, now, realtime, subject, queue, interest)
    }
}

// The hook moves JetStream between threads with the engine.
const _: fn() = || {
    fn assert_send<T: Send>() {}
    assert_send::<JetStream>();
};

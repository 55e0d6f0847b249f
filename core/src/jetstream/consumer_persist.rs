//! Durable consumers on file streams survive restarts and crashes (Go's
//! `consumerFileStore`: `obs/<name>/meta.inf`, `meta.sum` and `o.dat`).
//!
//! # Layout
//!
//! `jetstream/$G/streams/<stream>/obs/<consumer>/` holds `meta.inf` (Go's
//! `FileConsumerInfo` JSON: `name`, `created` and `config`; Go flattens the config),
//! `meta.sum` (crc32 of the consumer name and `meta.inf`, as hex, see
//! [`super::meta`]) and `o.dat` (the state, encoded by
//! [`consumer_store::encode_state`]). Every file is replaced atomically
//! (tmp, sync, rename, sync_dir). Ephemeral consumers, consumers with
//! `mem_storage` and consumers of memory streams are not persisted.
//!
//! # What is durable when
//!
//! - A create is answered after `meta.inf`, `meta.sum` and the first `o.dat`
//!   are durable.
//! - An ack that asks for a reply (a double ack) is answered only after
//!   the consumer's state holding it is durable: the reply waits for the
//!   group commit ([`JetStream::flush`]), like a PubAck.
//! - Plain acks and deliveries are persisted lazily, at the next flush that
//!   has replies waiting or every [`CONSUMER_STATE_INTERVAL`]. A crash
//!   before that loses them: the messages are delivered again after the
//!   restart, never skipped (the persisted state only holds acks that
//!   happened, and pending messages are due again `ack_wait` after their
//!   persisted delivery time).
//! - With `sync_always`, a message is delivered to a consumer only once it
//!   is durable: a delivery of a newer one waits for the group commit like
//!   its PubAck (otherwise a worker could act on, and ack, a message a crash
//!   then takes back, and a new message would reuse its sequence).

use super::consumer::{ack_kind, parse_ack_reply, Consumer, ConsumerConfig};
use super::errors::{ApiError, JS_CONSUMER_STORE_FAILED_ERR_F};
use super::meta::{meta_checksum, remove_tree};
use super::types::{format_rfc3339, parse_rfc3339, StorageType};
use super::{stream_dir, JetStream, Outgoing};
use crate::storage::{parent_dir, Storage, StorageError, StorageErrorKind};
use crate::store::consumer_store::{self, ConsumerState, ConsumerStore};
use crate::store::StoreError;
use crate::time::{Instant, UnixNanos};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The directory of a stream's consumers, below the stream directory.
pub const CONSUMER_DIR: &str = "obs";
/// Go's `consumerState` file name.
pub const CONSUMER_STATE_FILE: &str = "o.dat";
pub const CONSUMER_META_FILE: &str = "meta.inf";
pub const CONSUMER_META_SUM: &str = "meta.sum";
/// How long deliveries and plain acks may stay unpersisted.
pub const CONSUMER_STATE_INTERVAL: Duration = Duration::from_secs(1);

/// The directory of consumer `name` of `stream`, relative to the store root.
pub fn consumer_dir(stream: &str, name: &str) -> String {
    format!("{}/{CONSUMER_DIR}/{name}", stream_dir(stream))
}

/// Go's `FileConsumerInfo`.
#[derive(Serialize, Deserialize)]
struct FileConsumerInfo {
    name: String,
    created: String,
    config: ConsumerConfig,
}

/// An ack reply waiting for its consumer's state to be durable.
#[derive(Clone, Debug)]
struct HeldReply {
    stream: String,
    consumer: String,
    reply: Bytes,
}

/// The persistence bookkeeping of [`JetStream`].
#[derive(Debug, Default)]
pub struct Durability {
    /// The last state written per (stream, consumer).
    saved: BTreeMap<(String, String), ConsumerState>,
    held: Vec<HeldReply>,
    /// Deliveries of messages not durable yet: (stream, sequence, message).
    held_deliveries: Vec<(String, u64, Outgoing)>,
    /// Retention removals a disk error stopped: (stream, sequence).
    removals: std::collections::BTreeSet<(String, u64)>,
    last_save: Option<Instant>,
}

impl Durability {
    /// Ack replies are waiting for a flush.
    pub fn wants_flush(&self) -> bool {
        !self.held.is_empty() || !self.held_deliveries.is_empty() || !self.removals.is_empty()
    }

    pub(crate) fn retry_removal(&mut self, stream: &str, seq: u64) {
        self.removals.insert((stream.to_string(), seq));
    }

    pub(crate) fn take_removals(&mut self) -> Vec<(String, u64)> {
        std::mem::take(&mut self.removals).into_iter().collect()
    }
}

/// The state to persist for `c`: the consumer store's, with the delivered
/// stream sequence raised to just below the next one to look at (Go's
/// `SetStarting`), so a consumer that skipped messages (deliver new, a
/// filter) does not start over after a restart.
pub fn durable_state(c: &Consumer) -> ConsumerState {
    let mut st = c.ack_state().clone();
    let below = c.next_seq().saturating_sub(1);
    if !c.has_skip_list() && below > st.delivered.stream {
        st.delivered.stream = below;
        if st.pending.is_empty() {
            st.ack_floor.stream = below;
        }
    }
    st
}

fn io_err(e: impl std::fmt::Display) -> StorageError {
    StorageError::new(StorageErrorKind::Other, e.to_string())
}

/// Replaces `path` atomically with `data` (tmp, sync, rename); the caller
/// syncs the directory.
fn replace_file(storage: &mut dyn Storage, path: &str, data: &[u8]) -> Result<(), StorageError> {
    let tmp = format!("{path}.tmp");
    let f = storage.open(&tmp, true)?;
    let res = storage
        .truncate(f, 0)
        .and_then(|_| storage.write_at(f, 0, data))
        .and_then(|_| storage.sync(f));
    storage.close(f);
    res?;
    storage.rename(&tmp, path)
}

fn read_file(storage: &mut dyn Storage, path: &str) -> Result<Vec<u8>, StorageError> {
    let f = storage.open(path, false)?;
    let res = storage.len(f).and_then(|len| {
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX).min(1 << 24)];
        let mut done = 0;
        while done < buf.len() {
            let n = storage.read_at(f, done as u64, &mut buf[done..])?;
            if n == 0 {
                break;
            }
            done += n;
        }
        buf.truncate(done);
        Ok(buf)
    });
    storage.close(f);
    res
}

/// Writes a consumer's meta files and state in `dir`.
fn write_consumer(
    storage: &mut dyn Storage,
    dir: &str,
    c: &Consumer,
    st: &ConsumerState,
) -> Result<(), StorageError> {
    let fci = FileConsumerInfo {
        name: c.name().to_string(),
        created: format_rfc3339(Some(c.created)),
        config: c.config().clone(),
    };
    let buf = serde_json::to_vec(&fci).map_err(io_err)?;
    let sum = meta_checksum(c.name(), &buf);
    replace_file(
        storage,
        &format!("{dir}/{CONSUMER_STATE_FILE}"),
        &consumer_store::encode_state(st),
    )?;
    replace_file(
        storage,
        &format!("{dir}/{CONSUMER_META_SUM}.new"),
        sum.as_bytes(),
    )?;
    replace_file(storage, &format!("{dir}/{CONSUMER_META_FILE}"), &buf)?;
    storage.rename(
        &format!("{dir}/{CONSUMER_META_SUM}.new"),
        &format!("{dir}/{CONSUMER_META_SUM}"),
    )?;
    storage.sync_dir(dir)?;
    storage.sync_dir(parent_dir(dir))
}

/// Reads a consumer directory: the config, creation time and state.
fn read_consumer(
    storage: &mut dyn Storage,
    dir: &str,
    name: &str,
) -> Result<Option<(ConsumerConfig, UnixNanos, ConsumerState)>, String> {
    let inf = match read_file(storage, &format!("{dir}/{CONSUMER_META_FILE}")) {
        Ok(b) => b,
        Err(e) if e.kind == StorageErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    // The sum is renamed into place last; a crash before leaves `.new`.
    let mut ok = false;
    for sumf in [CONSUMER_META_SUM, "meta.sum.new"] {
        if let Ok(sum) = read_file(storage, &format!("{dir}/{sumf}")) {
            ok |= sum == meta_checksum(name, &inf).as_bytes();
        }
    }
    if !ok {
        return Err(format!("{dir}: meta checksum does not match"));
    }
    let fci: FileConsumerInfo = serde_json::from_slice(&inf).map_err(|e| format!("{dir}: {e}"))?;
    if fci.name != name {
        return Err(format!("{dir}: names consumer {:?}", fci.name));
    }
    let state = ConsumerStore::load(storage, &format!("{dir}/{CONSUMER_STATE_FILE}"))
        .map_err(|e: StoreError| format!("{dir}: {e}"))?
        .unwrap_or_default();
    let created = parse_rfc3339(&fci.created).flatten().unwrap_or(0);
    Ok(Some((fci.config, created, state)))
}

/// A crash can take back the newest messages of a stream (never one a
/// consumer was given with `sync_always`, but without it, or from the lazy
/// state of an older run): state above the stream's last sequence is
/// dropped so the sequences, when reused, are delivered.
fn clamp_to_stream(mut st: ConsumerState, last: u64) -> ConsumerState {
    if st.delivered.stream <= last {
        return st;
    }
    st.pending.retain(|s, _| *s <= last);
    st.redelivered.retain(|s, _| *s <= last);
    st.delivered.stream = last;
    st.ack_floor.stream = st.ack_floor.stream.min(last);
    if st.pending.is_empty() {
        st.ack_floor.stream = last;
    }
    st
}

impl JetStream {
    /// Whether consumer `name` of `stream` is persisted.
    fn persisted(&self, stream: &str, name: &str) -> bool {
        let Some(s) = self.streams.get(stream) else {
            return false;
        };
        let Some(c) = self.consumers.get(stream).and_then(|m| m.get(name)) else {
            return false;
        };
        s.cfg.storage == StorageType::File
            && !c.config().durable.is_empty()
            && !c.config().memory_storage
    }

    /// Hook after a consumer was added: a persisted one is written (config
    /// and first state) before the create is answered. On failure the
    /// consumer is removed again.
    pub(crate) fn persist_consumer_created(
        &mut self,
        stream: &str,
        name: &str,
    ) -> Result<(), ApiError> {
        if !self.persisted(stream, name) {
            return Ok(());
        }
        let c = &self.consumers[stream][name];
        let st = durable_state(c);
        let dir = consumer_dir(stream, name);
        if let Err(e) = write_consumer(self.meta.as_mut(), &dir, c, &st) {
            if let Some(m) = self.consumers.get_mut(stream) {
                m.remove(name);
            }
            let _ = remove_tree(self.meta.as_mut(), &dir);
            return Err(ApiError::new(&JS_CONSUMER_STORE_FAILED_ERR_F).with("err", e));
        }
        self.durability
            .saved
            .insert((stream.to_string(), name.to_string()), st);
        Ok(())
    }

    /// Hook after a consumer was deleted: its files go, and on an interest
    /// stream the messages only it needed.
    pub(crate) fn persist_consumer_removed(&mut self, stream: &str, name: &str) {
        let key = (stream.to_string(), name.to_string());
        if self.durability.saved.remove(&key).is_some() {
            if let Err(e) = remove_tree(self.meta.as_mut(), &consumer_dir(stream, name)) {
                tracing::warn!(stream, consumer = name, error = %e, "removing consumer files");
            }
        }
        self.durability
            .held
            .retain(|h| h.stream != stream || h.consumer != name);
        self.retention_after_consumer_removed(stream);
    }

    /// Hook after an ack on `$JS.ACK.…` was processed: retention, then the
    /// ack reply (for a double ack) now or once durable.
    pub(crate) fn after_ack(
        &mut self,
        subject: &str,
        reply: Option<&[u8]>,
        payload: &[u8],
    ) -> Vec<Outgoing> {
        let Some(a) = parse_ack_reply(subject) else {
            return Vec::new();
        };
        if self
            .consumers
            .get(a.stream)
            .and_then(|m| m.get(a.consumer))
            .is_none()
        {
            return Vec::new();
        }
        let (stream, consumer, sseq) = (a.stream.to_string(), a.consumer.to_string(), a.sseq);
        self.retention_after_ack(&stream, &consumer, &ack_kind(payload), sseq);
        let Some(reply) = reply.filter(|r| !r.is_empty()) else {
            return Vec::new();
        };
        if self.cfg.sync_always && self.persisted(&stream, &consumer) {
            self.durability.held.push(HeldReply {
                stream,
                consumer,
                reply: Bytes::copy_from_slice(reply),
            });
            return Vec::new();
        }
        vec![Outgoing::new(reply, Vec::new())]
    }

    /// Hook on every batch JetStream returns: with `sync_always`,
    /// deliveries of file-stream messages above the store's durable sequence
    /// are held for [`JetStream::flush`].
    pub(crate) fn hold_undurable(&mut self, out: Vec<Outgoing>) -> Vec<Outgoing> {
        if !self.cfg.sync_always {
            return out;
        }
        let mut now = Vec::with_capacity(out.len());
        for o in out {
            let seq = o
                .reply
                .as_deref()
                .and_then(|r| std::str::from_utf8(r).ok())
                .and_then(parse_ack_reply)
                .map(|a| (a.stream.to_string(), a.sseq));
            if let Some((stream, seq)) = seq {
                let undurable = self.streams.get(&stream).is_some_and(|s| {
                    s.cfg.storage == StorageType::File && seq > s.store.durable_seq()
                });
                if undurable {
                    self.durability.held_deliveries.push((stream, seq, o));
                    continue;
                }
            }
            now.push(o);
        }
        now
    }

    /// After the streams flushed: deliveries now durable go out; those a
    /// flush still in progress covers wait for it; the rest are dropped
    /// (their flush failed; ack wait redelivers them).
    fn release_deliveries(&mut self) -> Vec<Outgoing> {
        let held = std::mem::take(&mut self.durability.held_deliveries);
        let mut out = Vec::new();
        for (stream, seq, o) in held {
            let Some(s) = self.streams.get(&stream) else { continue };
            if seq <= s.store.durable_seq() {
                out.push(o);
            } else if s.flush_pending() {
                self.durability.held_deliveries.push((stream, seq, o));
            }
        }
        out
    }

    /// Writes the state of every persisted consumer that changed since its
    /// last write, then answers the held ack replies whose consumer is now
    /// durable (a failed write drops them: the client retries).
    pub(crate) fn flush_consumers(&mut self, now: Instant) -> Vec<Outgoing> {
        self.retry_removals();
        let mut out = self.release_deliveries();
        if self.durability.held.is_empty() {
            return out;
        }
        out.extend(self.save_consumers(now));
        out
    }

    /// Writes every persisted consumer whose state changed since its last
    /// write; returns the held replies of those now durable.
    pub(crate) fn save_consumers(&mut self, now: Instant) -> Vec<Outgoing> {
        self.durability.last_save = Some(now);
        let mut out = Vec::new();
        let mut failed: Vec<(String, String)> = Vec::new();
        let keys: Vec<(String, String)> = self
            .consumers
            .iter()
            .flat_map(|(s, m)| m.keys().map(move |n| (s.clone(), n.clone())))
            .collect();
        for (stream, name) in keys {
            if !self.persisted(&stream, &name) {
                continue;
            }
            let st = durable_state(&self.consumers[&stream][&name]);
            let key = (stream.clone(), name.clone());
            if self.durability.saved.get(&key) == Some(&st) {
                continue;
            }
            let path = format!("{}/{CONSUMER_STATE_FILE}", consumer_dir(&stream, &name));
            let res = replace_file(
                self.meta.as_mut(),
                &path,
                &consumer_store::encode_state(&st),
            )
            .and_then(|_| self.meta.sync_dir(parent_dir(&path)));
            match res {
                Ok(()) => {
                    self.durability.saved.insert(key, st);
                }
                Err(e) => {
                    tracing::warn!(stream, consumer = name, error = %e, "consumer state not saved");
                    failed.push(key);
                }
            }
        }
        let held = std::mem::take(&mut self.durability.held);
        out.extend(
            held.into_iter()
                .filter(|h| {
                    !failed
                        .iter()
                        .any(|(s, n)| *s == h.stream && *n == h.consumer)
                })
                .map(|h| Outgoing::new(&h.reply, Vec::new())),
        );
        out
    }

    /// Lazy persistence from the timer: every [`CONSUMER_STATE_INTERVAL`].
    pub(crate) fn consumers_lazy_save(&mut self, now: Instant) -> Vec<Outgoing> {
        match self.consumers_save_at() {
            Some(at) if now >= at => {
                self.retry_removals();
                self.save_consumers(now)
            }
            _ => Vec::new(),
        }
    }

    /// When the timer next saves consumer state (while any is persisted).
    pub(crate) fn consumers_save_at(&self) -> Option<Instant> {
        if self.durability.saved.is_empty() {
            return None;
        }
        let last = self.durability.last_save.unwrap_or(self.clock.0);
        Some(last + CONSUMER_STATE_INTERVAL)
    }

    /// Recovers the persisted consumers of every stream (after the streams),
    /// then applies retention for acks that were durable before the
    /// removals they caused. A consumer that cannot be read is skipped with
    /// a warning, and its stream then keeps every message.
    pub(crate) fn recover_consumers(&mut self, now: Instant, realtime: UnixNanos) {
        let mut damaged: Vec<String> = Vec::new();
        let streams: Vec<String> = self
            .streams
            .iter()
            .filter(|(_, s)| s.cfg.storage == StorageType::File)
            .map(|(n, _)| n.clone())
            .collect();
        for stream in streams {
            let root = format!("{}/{CONSUMER_DIR}", stream_dir(&stream));
            let names = match self.meta.list(&root) {
                Ok(n) => n,
                Err(e) if e.kind == StorageErrorKind::NotFound => continue,
                Err(e) => {
                    self.warn(&stream, format!("listing consumers: {e}"));
                    damaged.push(stream.clone());
                    continue;
                }
            };
            for entry in names {
                let Some(name) = entry.strip_suffix('/') else {
                    continue;
                };
                if let Err(e) = self.recover_consumer(&stream, name, now, realtime) {
                    self.warn(&stream, format!("consumer {name}: {e}"));
                    damaged.push(stream.clone());
                }
            }
        }
        self.durability.last_save = Some(now);
        self.retention_recover(&damaged);
    }

    fn recover_consumer(
        &mut self,
        stream: &str,
        name: &str,
        now: Instant,
        realtime: UnixNanos,
    ) -> Result<(), String> {
        let dir = consumer_dir(stream, name);
        let Some((cfg, created, state)) = read_consumer(self.meta.as_mut(), &dir, name)? else {
            // A create that never completed, or an interrupted delete.
            return remove_tree(self.meta.as_mut(), &dir).map_err(|e| e.to_string());
        };
        let s = self.streams.get_mut(stream).ok_or("no stream")?;
        let state = clamp_to_stream(state, s.store.state().last_seq);
        let mut c = Consumer::new(stream, name, cfg, s.store.as_mut(), now, realtime);
        c.durable_only = self.cfg.sync_always && s.cfg.storage == StorageType::File;
        c.created = created;
        c.restore_state(state.clone(), now, realtime)
            .map_err(|e| e.to_string())?;
        self.consumers
            .entry(stream.to_string())
            .or_default()
            .insert(name.to_string(), c);
        self.durability
            .saved
            .insert((stream.to_string(), name.to_string()), state);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::consumer_store::{Pending, SequencePair};

    fn pair(consumer: u64, stream: u64) -> SequencePair {
        SequencePair { consumer, stream }
    }

    #[test]
    fn state_above_a_shortened_stream_is_dropped() {
        let mut st = ConsumerState {
            delivered: pair(6, 10),
            ack_floor: pair(2, 4),
            ..ConsumerState::default()
        };
        st.pending.insert(
            5,
            Pending {
                sequence: 3,
                timestamp: 1,
            },
        );
        st.pending.insert(
            9,
            Pending {
                sequence: 5,
                timestamp: 2,
            },
        );
        st.redelivered.insert(9, 1);
        assert_eq!(
            clamp_to_stream(st.clone(), 10),
            st,
            "nothing lost: unchanged"
        );
        let c = clamp_to_stream(st.clone(), 7);
        assert_eq!(c.delivered, pair(6, 7));
        assert_eq!(c.pending.keys().copied().collect::<Vec<_>>(), vec![5]);
        assert!(c.redelivered.is_empty());
        assert_eq!(
            c.ack_floor,
            pair(2, 4),
            "the floor stays below what is pending"
        );
        let c = clamp_to_stream(st, 3);
        assert_eq!((c.delivered.stream, c.ack_floor.stream), (3, 3));
        assert!(c.pending.is_empty());
        // What is kept is a state the consumer store accepts.
        let mut store = ConsumerStore::new(consumer_store::AckPolicy::Explicit, 0);
        store.update(c).unwrap();
    }

    #[test]
    fn consumer_dir_is_below_the_stream() {
        assert_eq!(consumer_dir("S", "D"), "jetstream/$G/streams/S/obs/D");
    }
}

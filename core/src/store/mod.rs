//! JetStream's storage engine: the [`StreamStore`] interface and its two
//! implementations, [`memstore::MemStore`] and [`filestore::FileStore`], plus
//! the per-consumer state store ([`consumer_store`]).
//!
//! Ported from the concepts of Go's `server/store.go`, `memstore.go` and
//! `filestore.go`; the on-disk format is our own and is written down in
//! `docs/FILESTORE.md`.
//!
//! Both stores keep the same in-memory index ([`index::MsgIndex`]), so the
//! bookkeeping of sequences, subjects and limits is written once; they differ
//! in where the bytes of a message live and in durability. Time never comes
//! from a clock: every call that needs wall time takes `now: UnixNanos`.
//!
//! # Durability
//!
//! [`StreamStore::store_msg`] returns a sequence at once. A message is
//! *durable* once [`StreamStore::durable_seq`] has reached its sequence,
//! which happens in [`StreamStore::flush`]: one fsync covers every append
//! since the previous flush (group commit). A caller that acks publishes must
//! ack only up to `durable_seq()`. The memory store has nothing to sync and
//! reports every stored message as "durable" (it never survives a restart).

pub mod consumer_store;
pub mod filestore;
pub mod index;
pub mod limits;
pub mod memstore;

use crate::storage::{StorageError, SyncHandle};
use crate::time::UnixNanos;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// A message as loaded from a store (Go's `StoreMsg`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreMsg {
    pub subj: String,
    pub hdr: Vec<u8>,
    pub msg: Vec<u8>,
    pub seq: u64,
    /// Wall-clock time the message was stored, unix nanoseconds.
    pub ts: UnixNanos,
    /// Per-message TTL in seconds (0: none; Go's `Nats-TTL`).
    pub ttl: i64,
}

/// What happens when a limit is reached (Go's `DiscardPolicy`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum DiscardPolicy {
    /// Remove the oldest messages to make room (Go's `DiscardOld`).
    #[default]
    Old,
    /// Refuse the new message (Go's `DiscardNew`).
    New,
}

/// The stream limits a store enforces (the store-relevant part of Go's
/// `StreamConfig`). Zero or negative means "no limit", as in Go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamConfig {
    pub name: String,
    pub max_msgs: i64,
    pub max_bytes: i64,
    pub max_age: Duration,
    /// Go's `MaxMsgsPer`.
    pub max_msgs_per_subject: i64,
    pub max_msg_size: i32,
    pub discard: DiscardPolicy,
    /// Go's `DiscardNewPer`: with [`DiscardPolicy::New`], refuse a message
    /// that would exceed `max_msgs_per_subject` instead of removing the
    /// subject's oldest.
    pub discard_new_per: bool,
    /// Go's `AllowMsgTTL`: per-message TTLs are honoured.
    pub allow_msg_ttl: bool,
}

/// Compression of a file store's sealed blocks (Go's `StoreCompression`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum StoreCompression {
    #[default]
    None,
    /// S2 (a Snappy-compatible block format), Go's `S2Compression`.
    S2,
}

/// A damaged range found during recovery (Go's `LostStreamData`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LostStreamData {
    /// Sequences known or presumed lost (gaps between good records that no
    /// good record explains).
    pub msgs: Vec<u64>,
    /// Bytes of damaged records (not counting an unsynced torn tail).
    pub bytes: u64,
}

/// The state of a whole stream (Go's `StreamState`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamState {
    pub msgs: u64,
    pub bytes: u64,
    pub first_seq: u64,
    pub first_ts: UnixNanos,
    pub last_seq: u64,
    pub last_ts: UnixNanos,
    pub num_subjects: u64,
    /// Interior deletes: sequences between first and last with no message.
    pub num_deleted: u64,
    pub deleted: Vec<u64>,
    pub lost: Option<LostStreamData>,
}

/// Messages matching a filter and their first and last sequence (Go's
/// `SimpleState`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SimpleState {
    pub msgs: u64,
    pub first: u64,
    pub last: u64,
}

/// Errors of a store (Go's `ErrStore*` and friends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// `ErrStoreMsgNotFound`: no message at that sequence (deleted).
    MsgNotFound,
    /// `ErrStoreEOF`: past the end of the stream, or no further match.
    Eof,
    /// `ErrMaxMsgs` (discard new).
    MaxMsgs,
    /// `ErrMaxBytes` (discard new).
    MaxBytes,
    /// `ErrMaxMsgsPerSubject` (discard new per subject).
    MaxMsgsPerSubject,
    /// `ErrMsgTooLarge`.
    MsgTooLarge,
    /// `ErrSequenceMismatch`: a raw store or skip at the wrong sequence.
    SequenceMismatch,
    /// `ErrStoreClosed`.
    Closed,
    /// A stored record failed its checksum or is malformed; it is never
    /// returned as data.
    Corrupt(String),
    /// An earlier sync failed: the durability of the unsynced writes is
    /// unknown, so the store refuses writes until it is reopened (recovery
    /// then decides from what the disk holds).
    Failed(String),
    /// The storage trait reported an error.
    Storage(StorageError),
    /// A bad argument (e.g. an invalid subject).
    BadRequest(String),
    /// The store's encryption does not match the configuration: encrypted
    /// blocks without a key, a wrong key, or plaintext blocks in an
    /// encrypted store. Nothing was changed on disk.
    Encryption(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::MsgNotFound => f.write_str("no message found"),
            StoreError::Eof => f.write_str("stream store EOF"),
            StoreError::MaxMsgs => f.write_str("maximum messages exceeded"),
            StoreError::MaxBytes => f.write_str("maximum bytes exceeded"),
            StoreError::MaxMsgsPerSubject => f.write_str("maximum messages per subject exceeded"),
            StoreError::MsgTooLarge => f.write_str("message too large"),
            StoreError::SequenceMismatch => f.write_str("expected sequence does not match"),
            StoreError::Closed => f.write_str("store is closed"),
            StoreError::Corrupt(s) => write!(f, "corrupt record: {s}"),
            StoreError::Failed(s) => write!(f, "store failed: {s}"),
            StoreError::Storage(e) => write!(f, "{e}"),
            StoreError::BadRequest(s) => write!(f, "bad request: {s}"),
            StoreError::Encryption(s) => write!(f, "store encryption: {s}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<StorageError> for StoreError {
    fn from(e: StorageError) -> StoreError {
        StoreError::Storage(e)
    }
}

/// The accounted size of a message: Go's `fileStoreMsgSize` (record header,
/// subject, headers with their length, payload, checksum), used by both
/// stores so byte limits behave the same.
pub fn msg_size(subj: &str, hdr: &[u8], msg: &[u8]) -> u64 {
    let hdr_len = if hdr.is_empty() {
        0
    } else {
        4 + hdr.len() as u64
    };
    22 + subj.len() as u64 + hdr_len + msg.len() as u64 + 8
}

/// The interface of a stream's message store (Go's `StreamStore`).
///
/// Filters are NATS subjects with wildcards; `""` and `">"` match all.
pub trait StreamStore {
    /// Stores a message at the next sequence with timestamp `now`; `ttl` is
    /// in seconds (0: none). Returns the sequence and timestamp.
    fn store_msg(
        &mut self,
        subj: &str,
        hdr: &[u8],
        msg: &[u8],
        ttl: i64,
        now: UnixNanos,
    ) -> Result<(u64, UnixNanos), StoreError>;

    /// Stores a message at exactly `seq` (which must be the next sequence)
    /// with timestamp `ts` (Go's `StoreRawMsg`, used by replication).
    fn store_raw_msg(
        &mut self,
        subj: &str,
        hdr: &[u8],
        msg: &[u8],
        seq: u64,
        ts: UnixNanos,
        ttl: i64,
    ) -> Result<(), StoreError>;

    /// Skips the next sequence (Go's `SkipMsg`); `seq` must be the next one.
    fn skip_msg(&mut self, seq: u64, now: UnixNanos) -> Result<u64, StoreError>;

    /// Skips `num` sequences starting at `seq` (Go's `SkipMsgs`).
    fn skip_msgs(&mut self, seq: u64, num: u64, now: UnixNanos) -> Result<(), StoreError>;

    /// Loads the message at `seq`: [`StoreError::MsgNotFound`] if deleted,
    /// [`StoreError::Eof`] past the end.
    fn load_msg(&mut self, seq: u64) -> Result<StoreMsg, StoreError>;

    /// The first message at or after `start` matching `filter`, and its
    /// sequence (Go's `LoadNextMsg`; `wc` is accepted for Go parity, the
    /// filter is inspected anyway).
    fn load_next_msg(
        &mut self,
        filter: &str,
        wc: bool,
        start: u64,
    ) -> Result<(StoreMsg, u64), StoreError>;

    /// The first message at or after `start` matching any of `filters` (Go's
    /// `LoadNextMsgMulti`).
    fn load_next_msg_multi(
        &mut self,
        filters: &[&str],
        start: u64,
    ) -> Result<(StoreMsg, u64), StoreError>;

    /// The last message matching `subj` (Go's `LoadLastMsg`).
    fn load_last_msg(&mut self, subj: &str) -> Result<StoreMsg, StoreError>;

    /// Removes a message; `Ok(false)` if there was none.
    fn remove_msg(&mut self, seq: u64) -> Result<bool, StoreError>;

    /// Removes a message and overwrites its bytes (Go's `EraseMsg`).
    fn erase_msg(&mut self, seq: u64) -> Result<bool, StoreError>;

    /// Removes every message; returns how many (Go's `Purge`).
    fn purge(&mut self) -> Result<u64, StoreError>;

    /// Go's `PurgeEx`: removes messages matching `subject` (all if empty)
    /// below sequence `seq` (if non-zero), keeping the newest `keep`.
    fn purge_ex(&mut self, subject: &str, seq: u64, keep: u64) -> Result<u64, StoreError>;

    /// Removes every message below `seq`; returns how many (Go's `Compact`).
    fn compact(&mut self, seq: u64) -> Result<u64, StoreError>;

    /// Removes every message above `seq`, which becomes the last sequence
    /// (Go's `Truncate`).
    fn truncate(&mut self, seq: u64) -> Result<(), StoreError>;

    /// Removes messages past `max_age` or their TTL at wall time `now`;
    /// returns how many (Go's `expireMsgs`).
    fn expire_msgs(&mut self, now: UnixNanos) -> Result<u64, StoreError>;

    /// The wall time at which [`StreamStore::expire_msgs`] next has work.
    fn next_expiry(&self) -> Option<UnixNanos>;

    /// Makes every stored change durable (one fsync for all pending appends);
    /// returns the new [`StreamStore::durable_seq`].
    fn flush(&mut self) -> Result<u64, StoreError>;

    /// Split-phase flush, first half (group commit off the engine's lock):
    /// returns the sequence that is durable once every returned handle has
    /// synced, and the handles. Files whose storage gives no handle are
    /// synced in place; with no handle at all the target is durable already.
    /// At most one split-phase flush is in progress per store; a plain
    /// [`StreamStore::flush`] meanwhile is allowed (it syncs in place).
    fn begin_flush(&mut self) -> Result<(u64, Vec<Box<dyn SyncHandle>>), StoreError> {
        self.flush().map(|d| (d, Vec::new()))
    }

    /// Second half: the results of the handles of the last
    /// [`StreamStore::begin_flush`], in order. All `Ok`: `target` (or what
    /// is left of it after a truncate) is durable. Any error fails the
    /// store. Returns the new [`StreamStore::durable_seq`].
    fn finish_flush(&mut self, _target: u64, _results: &[Result<(), StorageError>]) -> Result<u64, StoreError> {
        Ok(self.durable_seq())
    }

    /// Every message with a sequence up to this one is durable.
    fn durable_seq(&self) -> u64;

    fn state(&self) -> StreamState;

    /// Go's `FilteredState`: messages at or after `sseq` matching `subj`.
    fn filtered_state(&self, sseq: u64, subj: &str) -> SimpleState;

    /// Go's `SubjectsState`: per-subject state for subjects matching
    /// `filter`.
    fn subjects_state(&self, filter: &str) -> BTreeMap<String, SimpleState>;

    /// Go's `SubjectsTotals`.
    fn subjects_totals(&self, filter: &str) -> BTreeMap<String, u64>;

    /// Go's `NumPending`: messages at or after `sseq` matching `filter`
    /// (only the last per subject with `last_per_subject`), and the last
    /// sequence the answer is valid through.
    fn num_pending(&self, sseq: u64, filter: &str, last_per_subject: bool) -> (u64, u64);

    /// Applies new limits (enforcing them at once with `now`).
    fn update_config(&mut self, cfg: StreamConfig, now: UnixNanos) -> Result<(), StoreError>;

    /// Panics if an internal invariant is broken (a programmer error).
    fn check_invariants(&self);
}

//! One stream (Go's `stream` in server/stream.go): its config, its store,
//! the publish path with Go's consistency checks and error replies
//! (`processJetStreamMsg`), duplicate detection and the acks waiting for a
//! group commit.
//!
//! # Durability of acks
//!
//! A file stream with `sync_always` holds each successful PubAck in
//! `pending` until [`Stream::flush`] has made its sequence durable
//! (`durable_seq() >= seq`); every other ack is returned at once.

use super::errors::*;
use super::headers::*;
use super::types::*;
use super::Outgoing;
use crate::prng::Prng;
use crate::storage::{StorageError, SyncHandle};
use crate::store::{self, StoreError, StreamStore};
use crate::subject_transform::SubjectTransform;
use crate::time::UnixNanos;
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// A stream's store as JetStream holds it: the store interface plus a clean
/// close for shutdown.
pub trait JsStore: StreamStore + Send {
    /// Makes everything durable and leaves what speeds up the next open
    /// (the file store's `index.db`, Go's `Stop`). Mutations afterwards may
    /// be refused.
    fn close(&mut self) -> Result<(), StoreError> {
        self.flush().map(|_| ())
    }
}

impl JsStore for store::memstore::MemStore {}

impl JsStore for store::filestore::FileStore<super::BoxedStorage> {
    fn close(&mut self) -> Result<(), StoreError> {
        store::filestore::FileStore::close(self)
    }
}

/// One republish: where to, and what the added headers say.
struct Republish<'a> {
    to: String,
    subject: &'a str,
    seq: u64,
    ts: UnixNanos,
    last_seq: u64,
}

/// A successful PubAck waiting for its sequence to become durable.
#[derive(Clone, Debug)]
struct PendingAck {
    seq: u64,
    reply: Bytes,
    payload: Bytes,
}

/// A stream: config, store and publish state.
pub struct Stream {
    pub(crate) cfg: StreamConfig,
    pub(crate) created: UnixNanos,
    pub(crate) store: Box<dyn JsStore>,
    /// The stream directory (file streams), relative to the storage root.
    pub(crate) dir: Option<String>,
    /// Acks are held until a flush made them durable.
    hold_acks: bool,
    /// Go's `mset.lseq`: the last sequence assigned.
    lseq: u64,
    /// Go's `mset.lmsgId`: the `Nats-Msg-Id` of the last stored message.
    lmsg_id: String,
    /// Go's `ddmap`/`ddarr`: message ids within the duplicate window.
    dedup: HashMap<String, (u64, UnixNanos)>,
    dedup_order: VecDeque<(String, UnixNanos)>,
    pending: VecDeque<PendingAck>,
    /// The store has changes not yet flushed.
    dirty: bool,
    /// The target sequences of the split-phase flushes in progress,
    /// oldest first.
    inflight: VecDeque<u64>,
    /// The start of every PubAck (stream and domain never change).
    ack_prefix: Vec<u8>,
    /// Go's `mset.itr`: the input subject transform.
    itr: Option<SubjectTransform>,
    /// Go's `mset.tr`: the republish transform.
    tr: Option<SubjectTransform>,
    /// Republished copies of stored messages, taken by
    /// [`Stream::take_republished`].
    republished: Vec<Outgoing>,
    /// Serves `{{random(n)}}` in the subject transform.
    rng: Prng,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("name", &self.cfg.name)
            .field("lseq", &self.lseq)
            .field("pending", &self.pending.len())
            .finish()
    }
}

/// The store-level limits of a stream config.
pub fn store_config(cfg: &StreamConfig) -> store::StreamConfig {
    store::StreamConfig {
        name: cfg.name.clone(),
        max_msgs: cfg.max_msgs,
        max_bytes: cfg.max_bytes,
        max_age: Duration::from_nanos(cfg.max_age.max(0) as u64),
        max_msgs_per_subject: cfg.max_msgs_per_subject,
        max_msg_size: cfg.max_msg_size,
        discard: match cfg.discard {
            DiscardPolicy::Old => store::DiscardPolicy::Old,
            DiscardPolicy::New => store::DiscardPolicy::New,
        },
        discard_new_per: cfg.discard_new_per,
        allow_msg_ttl: cfg.allow_msg_ttl,
    }
}

/// The stream's input subject transform (the config was validated, so a
/// failure here means no transform).
fn input_transform(cfg: &StreamConfig) -> Option<SubjectTransform> {
    let st = cfg.subject_transform.as_ref()?;
    SubjectTransform::new(&st.source, &st.destination)
        .ok()
        .flatten()
}

/// The stream's republish transform; an empty destination means `>`.
fn republish_transform(cfg: &StreamConfig) -> Option<SubjectTransform> {
    let rp = cfg.republish.as_ref()?;
    let src = if rp.source.is_empty() {
        ">"
    } else {
        &rp.source
    };
    let dest = if rp.destination.is_empty() {
        ">"
    } else {
        &rp.destination
    };
    SubjectTransform::new(src, dest).ok().flatten()
}

/// Go's `PubAck` template: `{"stream":"S"[,"domain":"D"],"seq":N` + tail.
#[cfg(test)]
fn pub_ack_json(stream: &str, domain: &str, seq: u64, duplicate: bool) -> Bytes {
    pub_ack_with_prefix(&pub_ack_prefix(stream, domain), seq, duplicate)
}

/// What every PubAck of a stream starts with: `{"stream":..,["domain":..,]`.
fn pub_ack_prefix(stream: &str, domain: &str) -> Vec<u8> {
    let mut s = b"{\"stream\":".to_vec();
    s.extend_from_slice(serde_json::to_string(stream).unwrap_or_default().as_bytes());
    s.push(b',');
    if !domain.is_empty() {
        s.extend_from_slice(b"\"domain\":");
        s.extend_from_slice(serde_json::to_string(domain).unwrap_or_default().as_bytes());
        s.push(b',');
    }
    s
}

/// A PubAck from its stream's prefix: one allocation, no formatting
/// machinery (it is built for every stored message).
fn pub_ack_with_prefix(prefix: &[u8], seq: u64, duplicate: bool) -> Bytes {
    let mut s = Vec::with_capacity(prefix.len() + 48);
    s.extend_from_slice(prefix);
    s.extend_from_slice(b"\"seq\":");
    let mut digits = [0u8; crate::protocol::encode::U64_DIGITS_MAX];
    s.extend_from_slice(crate::protocol::encode::u64_digits(seq, &mut digits));
    // Go writes the duplicate flag with a space after the colon.
    s.extend_from_slice(if duplicate { b",\"duplicate\": true}" } else { b"}" });
    Bytes::from(s)
}

impl Stream {
    /// A stream over `store`; rebuilds `lseq` and the duplicate window from
    /// what the store holds (Go's `rebuildDedupe`).
    pub fn new(
        cfg: StreamConfig,
        created: UnixNanos,
        store: Box<dyn JsStore>,
        dir: Option<String>,
        hold_acks: bool,
        domain: String,
        realtime: UnixNanos,
    ) -> Stream {
        let mut store = store;
        let state = store.state();
        let mut dirty = false;
        // Go's store constructors: a stream starting at `first_seq` (or one
        // recovered below it) begins there.
        if cfg.first_seq > 0 && state.first_seq < cfg.first_seq && state.last_seq < cfg.first_seq {
            dirty = store.compact(cfg.first_seq).is_ok();
        }
        let lseq = store.state().last_seq;
        let itr = input_transform(&cfg);
        let tr = republish_transform(&cfg);
        let cfg_name_for_ack = cfg.name.clone();
        let mut s = Stream {
            cfg,
            created,
            store,
            dir,
            hold_acks,
            lseq,
            lmsg_id: String::new(),
            dedup: HashMap::new(),
            dedup_order: VecDeque::new(),
            pending: VecDeque::new(),
            dirty,
            inflight: VecDeque::new(),
            ack_prefix: pub_ack_prefix(&cfg_name_for_ack, &domain),
            itr,
            tr,
            republished: Vec::new(),
            rng: Prng::from_seed(created as u64),
        };
        s.rebuild_dedupe(realtime);
        s
    }

    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    pub fn config(&self) -> &StreamConfig {
        &self.cfg
    }

    /// The store's state.
    pub fn state(&self) -> store::StreamState {
        self.store.state()
    }

    /// Go's `rebuildDedupe`: message ids of messages still inside the
    /// duplicate window are known again after a restart.
    fn rebuild_dedupe(&mut self, realtime: UnixNanos) {
        let window = self.cfg.duplicate_window;
        if window <= 0 {
            return;
        }
        let state = self.store.state();
        let mut found = Vec::new();
        let mut seq = state.last_seq;
        while seq >= state.first_seq && seq > 0 {
            match self.store.load_msg(seq) {
                Ok(sm) => {
                    if realtime.saturating_sub(sm.ts) >= window {
                        break;
                    }
                    if let Some(id) = header_str(JS_MSG_ID, &sm.hdr) {
                        found.push((id, sm.seq, sm.ts));
                    }
                }
                Err(StoreError::MsgNotFound) => {}
                Err(_) => break,
            }
            seq -= 1;
        }
        if let Some((id, _, _)) = found.first() {
            self.lmsg_id = id.clone();
        }
        for (id, seq, ts) in found.into_iter().rev() {
            self.store_msg_id(id, seq, ts);
        }
    }

    fn store_msg_id(&mut self, id: String, seq: u64, ts: UnixNanos) {
        if self.cfg.duplicate_window <= 0 {
            return;
        }
        self.dedup.insert(id.clone(), (seq, ts));
        self.dedup_order.push_back((id, ts));
    }

    /// Go's `purgeMsgIds`: forgets ids older than the window.
    pub fn purge_msg_ids(&mut self, realtime: UnixNanos) {
        let window = self.cfg.duplicate_window;
        while let Some((id, ts)) = self.dedup_order.front() {
            if realtime.saturating_sub(*ts) < window {
                break;
            }
            if self.dedup.get(id).is_some_and(|(_, t)| t == ts) {
                self.dedup.remove(id);
            }
            self.dedup_order.pop_front();
        }
    }

    fn check_msg_id(&self, id: &str, realtime: UnixNanos) -> Option<u64> {
        let (seq, ts) = self.dedup.get(id)?;
        (realtime.saturating_sub(*ts) < self.cfg.duplicate_window).then_some(*seq)
    }

    fn error_reply(&self, reply: Option<&[u8]>, err: ApiError) -> Option<Outgoing> {
        let reply = reply.filter(|r| !r.is_empty() && !self.cfg.no_ack)?;
        let resp = PubAckResponse {
            error: Some(err),
            stream: self.cfg.name.clone(),
            ..Default::default()
        };
        let payload = serde_json::to_vec(&resp).unwrap_or_default();
        Some(Outgoing::new(reply, payload))
    }

    /// The ack for `seq`: returned now, or held until `seq` is durable.
    fn ack(&mut self, reply: Option<&[u8]>, seq: u64, duplicate: bool) -> Option<Outgoing> {
        let reply = reply.filter(|r| !r.is_empty() && !self.cfg.no_ack)?;
        let payload = pub_ack_with_prefix(&self.ack_prefix, seq, duplicate);
        if self.hold_acks && seq > self.store.durable_seq() {
            self.pending.push_back(PendingAck {
                seq,
                reply: Bytes::copy_from_slice(reply),
                payload,
            });
            return None;
        }
        Some(Outgoing {
            subject: Bytes::copy_from_slice(reply),
            reply: None,
            deliver_as: None,
            headers: None,
            payload,
        })
    }

    /// A message published to one of the stream's subjects (Go's
    /// `processJetStreamMsg`). Returns the reply to send now, if any.
    /// `limits_exceeded` is Go's `js.limitsExceeded(storage)`; `interest` is
    /// false when an interest stream has no consumer for `subject`
    /// (`retention::JetStream::publish_interest`).
    #[allow(clippy::too_many_arguments)]
    pub fn process_msg(
        &mut self,
        realtime: UnixNanos,
        subject: &str,
        reply: Option<&[u8]>,
        hdr: &[u8],
        msg: &[u8],
        limits_exceeded: bool,
        interest: bool,
    ) -> Option<Outgoing> {
        self.purge_msg_ids(realtime);
        // Go applies the input transform first; a subject outside its
        // source is stored as published.
        let transformed = self
            .itr
            .as_ref()
            .and_then(|t| t.match_subject(subject, &mut self.rng).ok());
        let subject = transformed.as_deref().unwrap_or(subject);
        if self.cfg.sealed {
            return self.error_reply(reply, ApiError::new(&JS_STREAM_SEALED_ERR));
        }
        let mut msg_id = String::new();
        let mut rollup = None;
        if !hdr.is_empty() {
            if let Err(e) = self.check_expected(subject, hdr) {
                return self.error_reply(reply, e);
            }
            msg_id = header_str(JS_MSG_ID, hdr).unwrap_or_default();
            if !msg_id.is_empty() {
                if let Some(seq) = self.check_msg_id(&msg_id, realtime) {
                    return self.ack(reply, seq, true);
                }
            }
            if let Some(last) = header_str(JS_EXPECTED_LAST_MSG_ID, hdr) {
                if last != self.lmsg_id {
                    let e =
                        ApiError::new(&JS_STREAM_WRONG_LAST_MSG_ID_ERR_F).with("id", &self.lmsg_id);
                    return self.error_reply(reply, e);
                }
            }
            match self.check_rollup(hdr) {
                Ok(r) => rollup = r,
                Err(e) => return self.error_reply(reply, e),
            }
        }
        let max = i64::from(self.cfg.max_msg_size);
        if max >= 0 && (hdr.len() as i64 > max || msg.len() as i64 > max - hdr.len() as i64) {
            let e = ApiError::new(&JS_STREAM_MESSAGE_EXCEEDS_MAXIMUM_ERR);
            return self.error_reply(reply, e);
        }
        if hdr.len() > usize::from(u16::MAX) {
            let e = ApiError::new(&JS_STREAM_HEADER_EXCEEDS_MAXIMUM_ERR);
            return self.error_reply(reply, e);
        }
        if limits_exceeded {
            let e = ApiError::new(&JS_INSUFFICIENT_RESOURCES_ERR);
            return self.error_reply(reply, e);
        }
        if self.cfg.retention == RetentionPolicy::Interest && !interest {
            // No consumer selects the subject (Go's `noInterest`): the
            // sequence is used but nothing is stored.
            return self.skip_no_interest(realtime, reply, msg_id);
        }
        let ttl = match message_ttl(hdr) {
            Ok(t) => t,
            Err(InvalidTtl) => {
                let e = ApiError::new(&JS_MESSAGE_TTL_INVALID_ERR);
                return self.error_reply(reply, e);
            }
        };
        // Go: with subject delete markers, a shorter per-message TTL is
        // raised to the marker TTL (and the header rewritten to match).
        let clamped;
        let (hdr, ttl) = match self.min_ttl_secs() {
            Some(min) if ttl > 0 && ttl < min => {
                let h = remove_header_if_present(hdr, JS_MESSAGE_TTL);
                clamped = gen_header(&h, JS_MESSAGE_TTL, &min.to_string());
                (&clamped[..], min)
            }
            _ => (hdr, ttl),
        };
        let republish_to = self.republish_subject(subject);
        let last_on_subject = match &republish_to {
            Some(_) => self.store.load_last_msg(subject).map_or(0, |sm| sm.seq),
            None => 0,
        };
        let seq = match self.store.store_msg(subject, hdr, msg, ttl, realtime) {
            Ok((seq, _)) => seq,
            Err(e) => {
                let e = ApiError::new(&JS_STREAM_STORE_FAILED_F).with("err", e);
                return self.error_reply(reply, e);
            }
        };
        self.dirty = true;
        self.lseq = seq;
        self.lmsg_id = msg_id.clone();
        if !msg_id.is_empty() {
            self.store_msg_id(msg_id, seq, realtime);
        }
        if let Some(all) = rollup {
            let filter = if all { "" } else { subject };
            // A rollup that fails leaves the new message stored, as in Go.
            let _ = self.store.purge_ex(filter, 0, 1);
        }
        if let Some(to) = republish_to {
            let rp = Republish {
                to,
                subject,
                seq,
                ts: realtime,
                last_seq: last_on_subject,
            };
            self.republish(rp, hdr, msg);
        }
        self.ack(reply, seq, false)
    }

    /// Where a message on `subject` is republished, if anywhere (Go skips
    /// a transformed subject that is not a valid publish subject).
    fn republish_subject(&mut self, subject: &str) -> Option<String> {
        let tr = self.tr.as_ref()?;
        let to = tr.match_subject(subject, &mut self.rng).ok()?;
        crate::subject::is_valid_publish_subject(to.as_bytes()).then_some(to)
    }

    /// Go's republish after a store: the stored headers plus `Nats-Stream`,
    /// `Nats-Subject`, `Nats-Sequence`, `Nats-Time-Stamp` and
    /// `Nats-Last-Sequence` (and `Nats-Msg-Size` with no body for
    /// `headers_only`).
    fn republish(&mut self, rp: Republish<'_>, hdr: &[u8], msg: &[u8]) {
        let headers_only = self.cfg.republish.as_ref().is_some_and(|r| r.headers_only);
        let mut h = if hdr.len() >= 2 && hdr.ends_with(b"\r\n\r\n") {
            hdr[..hdr.len() - 2].to_vec()
        } else {
            b"NATS/1.0\r\n".to_vec()
        };
        let ts = super::types::format_rfc3339(Some(rp.ts));
        let extra = format!(
            "Nats-Stream: {}\r\nNats-Subject: {}\r\nNats-Sequence: {}\r\nNats-Time-Stamp: {ts}\r\nNats-Last-Sequence: {}\r\n",
            self.cfg.name, rp.subject, rp.seq, rp.last_seq
        );
        h.extend_from_slice(extra.as_bytes());
        if headers_only {
            h.extend_from_slice(format!("Nats-Msg-Size: {}\r\n", msg.len()).as_bytes());
        }
        h.extend_from_slice(b"\r\n");
        let payload = if headers_only {
            Bytes::new()
        } else {
            Bytes::copy_from_slice(msg)
        };
        self.republished.push(Outgoing {
            subject: Bytes::from(rp.to),
            reply: None,
            deliver_as: None,
            headers: Some(Bytes::from(h)),
            payload,
        });
    }

    /// Republished messages to publish now (Go sends them on the stream's
    /// out queue right after the store).
    pub fn take_republished(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.republished)
    }

    /// The subject delete marker TTL in seconds, when per-message TTLs
    /// must not be shorter (Go: markers on, and not one message per subject).
    fn min_ttl_secs(&self) -> Option<i64> {
        let sdm = self.cfg.subject_delete_marker_ttl;
        (sdm > 0 && self.cfg.max_msgs_per_subject != 1).then_some(sdm / 1_000_000_000)
    }

    fn skip_no_interest(
        &mut self,
        realtime: UnixNanos,
        reply: Option<&[u8]>,
        msg_id: String,
    ) -> Option<Outgoing> {
        let next = self.lseq + 1;
        if let Err(e) = self.store.skip_msg(next, realtime) {
            let e = ApiError::new(&JS_STREAM_STORE_FAILED_F).with("err", e);
            return self.error_reply(reply, e);
        }
        self.dirty = true;
        self.lseq = next;
        self.lmsg_id = msg_id.clone();
        if !msg_id.is_empty() {
            self.store_msg_id(msg_id, next, realtime);
        }
        self.ack(reply, next, false)
    }

    /// Go's `Nats-Expected-*` and `Nats-TTL` checks.
    fn check_expected(&mut self, subject: &str, hdr: &[u8]) -> Result<(), ApiError> {
        if let Some(name) = header_str(JS_EXPECTED_STREAM, hdr) {
            if name != self.cfg.name {
                return Err(ApiError::new(&JS_STREAM_NOT_MATCH_ERR));
            }
        }
        if matches!(message_ttl(hdr), Ok(t) if t != 0) && !self.cfg.allow_msg_ttl {
            return Err(ApiError::new(&JS_MESSAGE_TTL_DISABLED_ERR));
        }
        let subj_subj = header_str(JS_EXPECTED_LAST_SUBJ_SEQ_SUBJ, hdr);
        if let Some(seq) = header_seq(JS_EXPECTED_LAST_SUBJ_SEQ, hdr) {
            let seq_subj = subj_subj.as_deref().unwrap_or(subject);
            let (fseq, ok) = match self.store.load_last_msg(seq_subj) {
                Ok(sm) => (sm.seq, true),
                Err(StoreError::MsgNotFound | StoreError::Eof) => (0, seq == 0),
                Err(_) => (0, false),
            };
            if !ok || fseq != seq {
                return Err(ApiError::new(&JS_STREAM_WRONG_LAST_SEQUENCE_ERR_F).with("seq", fseq));
            }
        } else if subj_subj.is_some() {
            return Err(ApiError::new(
                &JS_STREAM_EXPECTED_LAST_SEQ_PER_SUBJECT_INVALID,
            ));
        }
        if let Some(seq) = header_seq(JS_EXPECTED_LAST_SEQ, hdr) {
            if seq != self.lseq {
                let e = ApiError::new(&JS_STREAM_WRONG_LAST_SEQUENCE_ERR_F).with("seq", self.lseq);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Go's `Nats-Rollup` check: `Some(true)` rolls up everything,
    /// `Some(false)` the subject.
    fn check_rollup(&self, hdr: &[u8]) -> Result<Option<bool>, ApiError> {
        let Some(r) = header_str(JS_MSG_ROLLUP, hdr) else {
            return Ok(None);
        };
        let r = r.to_ascii_lowercase();
        if !self.cfg.allow_rollup || self.cfg.deny_purge {
            let e = ApiError::new(&JS_STREAM_ROLLUP_FAILED_F).with("err", "rollup not permitted");
            return Err(e);
        }
        match r.as_str() {
            JS_MSG_ROLLUP_SUBJECT => Ok(Some(false)),
            JS_MSG_ROLLUP_ALL => Ok(Some(true)),
            _ => Err(ApiError::new(&JS_STREAM_ROLLUP_FAILED_F)
                .with("err", format!("rollup value invalid: {r:?}"))),
        }
    }

    /// Whether the store has changes that no flush (finished or in
    /// progress) covers.
    pub fn wants_flush(&self) -> bool {
        self.dirty || (!self.pending.is_empty() && self.inflight.is_empty())
    }

    /// Whether a flush is in progress or wanted: what is not durable yet may
    /// still become so.
    pub fn flush_pending(&self) -> bool {
        !self.inflight.is_empty() || self.wants_flush()
    }

    /// Flushes the store in place and returns the acks now durable. If the
    /// flush fails the held acks are answered with an error: their
    /// durability is unknown.
    pub fn flush(&mut self) -> Vec<Outgoing> {
        if !self.wants_flush() && self.inflight.is_empty() {
            return Vec::new();
        }
        self.dirty = false;
        // A split-phase flush in progress is overtaken: this one syncs
        // everything in place, and its late finish changes nothing.
        let res = self.store.flush();
        self.settle(res)
    }

    /// Split-phase flush, first half (see [`StreamStore::begin_flush`]):
    /// the acks already durable, and the sync handles whose completion
    /// [`Stream::finish_flush`] reports.
    pub fn begin_flush(&mut self) -> (Vec<Outgoing>, Vec<Box<dyn SyncHandle>>) {
        if !self.wants_flush() {
            return (Vec::new(), Vec::new());
        }
        self.dirty = false;
        match self.store.begin_flush() {
            Ok((target, handles)) => {
                if !handles.is_empty() {
                    self.inflight.push_back(target);
                }
                let durable = self.store.durable_seq();
                (self.settle(Ok(durable)), handles)
            }
            Err(e) => (self.settle(Err(e)), Vec::new()),
        }
    }

    /// Split-phase flush, second half: the handles' results, in order.
    /// Returns the acks now durable (or their errors).
    pub fn finish_flush(&mut self, results: &[Result<(), StorageError>]) -> Vec<Outgoing> {
        let Some(target) = self.inflight.pop_front() else {
            return Vec::new();
        };
        let res = self.store.finish_flush(target, results);
        self.settle(res)
    }

    /// Answers the held acks a flush decided: those up to the durable
    /// sequence go out; on an error every held ack gets it.
    fn settle(&mut self, res: Result<u64, StoreError>) -> Vec<Outgoing> {
        let mut out = Vec::new();
        match res {
            Ok(durable) => {
                // Not always in order: a duplicate's ack names the original.
                let (done, wait): (VecDeque<_>, VecDeque<_>) =
                    self.pending.drain(..).partition(|p| p.seq <= durable);
                self.pending = wait;
                for p in done {
                    out.push(Outgoing {
                        subject: p.reply,
                        reply: None,
                        deliver_as: None,
                        headers: None,
                        payload: p.payload,
                    });
                }
            }
            Err(e) => {
                self.inflight.clear();
                for p in self.pending.drain(..) {
                    let resp = PubAckResponse {
                        error: Some(ApiError::new(&JS_STREAM_STORE_FAILED_F).with("err", &e)),
                        stream: self.cfg.name.clone(),
                        ..Default::default()
                    };
                    let payload = serde_json::to_vec(&resp).unwrap_or_default();
                    out.push(Outgoing::new(&p.reply, payload));
                }
            }
        }
        out
    }

    /// Marks the store as changed by an API operation (purge, delete).
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// Re-reads `lseq` after a purge that may have moved it (Go's
    /// `purgeLocked`).
    pub fn after_purge(&mut self) {
        let last = self.store.state().last_seq;
        if last > self.lseq {
            self.lseq = last;
        }
        self.dirty = true;
    }

    pub fn set_config(&mut self, cfg: StreamConfig) {
        if cfg.subject_transform != self.cfg.subject_transform {
            self.itr = input_transform(&cfg);
        }
        self.tr = republish_transform(&cfg);
        self.cfg = cfg;
    }

    pub fn check_invariants(&self) {
        self.store.check_invariants();
        assert!(
            self.lseq >= self.store.state().last_seq,
            "lseq behind the store"
        );
        for p in &self.pending {
            assert!(p.seq <= self.lseq, "a held ack names an assigned sequence");
        }
        assert!(self.dedup.len() <= self.dedup_order.len(), "dedup index");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pub_ack_bytes_like_go() {
        assert_eq!(
            &pub_ack_json("S", "", 3, false)[..],
            br#"{"stream":"S","seq":3}"#
        );
        assert_eq!(
            &pub_ack_json("S", "hub", 3, true)[..],
            br#"{"stream":"S","domain":"hub","seq":3,"duplicate": true}"#
        );
    }
}

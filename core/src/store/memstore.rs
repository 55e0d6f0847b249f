//! The memory store (Go's `memStore`): messages live in the index itself.
//! Nothing survives a restart, so every stored message counts as "durable"
//! at once.

use super::index::{Entry, MsgIndex};
use super::limits;
use super::{msg_size, SimpleState, StoreError, StoreMsg, StreamConfig, StreamState, StreamStore};
use crate::time::UnixNanos;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemMsg {
    pub hdr: Vec<u8>,
    pub msg: Vec<u8>,
}

/// A stream store held entirely in memory.
#[derive(Debug, Default)]
pub struct MemStore {
    cfg: StreamConfig,
    idx: MsgIndex<MemMsg>,
}

impl MemStore {
    pub fn new(cfg: StreamConfig) -> MemStore {
        MemStore {
            cfg,
            idx: MsgIndex::default(),
        }
    }

    pub fn config(&self) -> &StreamConfig {
        &self.cfg
    }

    fn to_store_msg(&self, seq: u64) -> Option<StoreMsg> {
        let e = self.idx.get(seq)?;
        Some(StoreMsg {
            subj: e.subj.clone(),
            hdr: e.data.hdr.clone(),
            msg: e.data.msg.clone(),
            seq,
            ts: e.ts,
            ttl: e.ttl,
        })
    }

    fn remove_all(&mut self, seqs: &[u64]) -> u64 {
        seqs.iter()
            .filter(|s| self.idx.remove(**s).is_some())
            .count() as u64
    }

    fn lookup(&self, seq: Option<u64>) -> Result<(StoreMsg, u64), StoreError> {
        let seq = seq.ok_or(StoreError::Eof)?;
        // The index returned a live sequence.
        let sm = self.to_store_msg(seq).ok_or(StoreError::MsgNotFound)?;
        Ok((sm, seq))
    }
}

impl StreamStore for MemStore {
    fn store_msg(
        &mut self,
        subj: &str,
        hdr: &[u8],
        msg: &[u8],
        ttl: i64,
        now: UnixNanos,
    ) -> Result<(u64, UnixNanos), StoreError> {
        let seq = self.idx.last_seq() + 1;
        self.store_raw_msg(subj, hdr, msg, seq, now, ttl)?;
        Ok((seq, now))
    }

    fn store_raw_msg(
        &mut self,
        subj: &str,
        hdr: &[u8],
        msg: &[u8],
        seq: u64,
        ts: UnixNanos,
        ttl: i64,
    ) -> Result<(), StoreError> {
        if seq != self.idx.last_seq() + 1 {
            return Err(StoreError::SequenceMismatch);
        }
        let size = msg_size(subj, hdr, msg);
        limits::check_store(&self.idx, &self.cfg, subj, size, hdr.len() + msg.len())?;
        let ttl = if self.cfg.allow_msg_ttl { ttl } else { 0 };
        let data = MemMsg {
            hdr: hdr.to_vec(),
            msg: msg.to_vec(),
        };
        self.idx.insert(
            seq,
            Entry {
                subj: subj.to_string(),
                ts,
                ttl,
                size,
                data,
            },
        );
        let evict = limits::to_evict(&self.idx, &self.cfg, Some(subj));
        self.remove_all(&evict);
        Ok(())
    }

    fn skip_msg(&mut self, seq: u64, now: UnixNanos) -> Result<u64, StoreError> {
        if seq != self.idx.last_seq() + 1 {
            return Err(StoreError::SequenceMismatch);
        }
        self.idx.skip(seq, now);
        Ok(seq)
    }

    fn skip_msgs(&mut self, seq: u64, num: u64, now: UnixNanos) -> Result<(), StoreError> {
        if seq != self.idx.last_seq() + 1 {
            return Err(StoreError::SequenceMismatch);
        }
        if num > 0 {
            self.idx.skip(seq + num - 1, now);
        }
        Ok(())
    }

    fn load_msg(&mut self, seq: u64) -> Result<StoreMsg, StoreError> {
        if seq > self.idx.last_seq() || seq == 0 {
            return Err(StoreError::Eof);
        }
        self.to_store_msg(seq).ok_or(StoreError::MsgNotFound)
    }

    fn load_next_msg(
        &mut self,
        filter: &str,
        _wc: bool,
        start: u64,
    ) -> Result<(StoreMsg, u64), StoreError> {
        self.lookup(self.idx.next_match(&[filter], start))
    }

    fn load_next_msg_multi(
        &mut self,
        filters: &[&str],
        start: u64,
    ) -> Result<(StoreMsg, u64), StoreError> {
        self.lookup(self.idx.next_match(filters, start))
    }

    fn load_last_msg(&mut self, subj: &str) -> Result<StoreMsg, StoreError> {
        let seq = self.idx.last_match(subj).ok_or(StoreError::MsgNotFound)?;
        self.to_store_msg(seq).ok_or(StoreError::MsgNotFound)
    }

    fn remove_msg(&mut self, seq: u64) -> Result<bool, StoreError> {
        Ok(self.idx.remove(seq).is_some())
    }

    fn erase_msg(&mut self, seq: u64) -> Result<bool, StoreError> {
        match self.idx.remove(seq) {
            Some(mut e) => {
                e.data.hdr.fill(0);
                e.data.msg.fill(0);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn purge(&mut self) -> Result<u64, StoreError> {
        let seqs = self.idx.matching_seqs("");
        let n = self.remove_all(&seqs);
        let next = self.idx.last_seq() + 1;
        self.idx.compact_to(next);
        Ok(n)
    }

    fn purge_ex(&mut self, subject: &str, seq: u64, keep: u64) -> Result<u64, StoreError> {
        if super::index::is_full_wildcard(subject) && seq == 0 && keep == 0 {
            return self.purge();
        }
        let seqs = limits::purge_ex_seqs(&self.idx, subject, seq, keep);
        Ok(self.remove_all(&seqs))
    }

    fn compact(&mut self, seq: u64) -> Result<u64, StoreError> {
        if seq == 0 {
            return self.purge();
        }
        let seqs = self.idx.seqs_in(0, seq - 1);
        let n = self.remove_all(&seqs);
        self.idx.compact_to(seq);
        Ok(n)
    }

    fn truncate(&mut self, seq: u64) -> Result<(), StoreError> {
        let seqs = self.idx.seqs_in(seq + 1, u64::MAX);
        self.remove_all(&seqs);
        self.idx.truncate_to(seq);
        Ok(())
    }

    fn expire_msgs(&mut self, now: UnixNanos) -> Result<u64, StoreError> {
        let seqs = limits::expired(&self.idx, &self.cfg, now);
        Ok(self.remove_all(&seqs))
    }

    fn next_expiry(&self) -> Option<UnixNanos> {
        limits::next_expiry(&self.idx, &self.cfg)
    }

    fn flush(&mut self) -> Result<u64, StoreError> {
        Ok(self.idx.last_seq())
    }

    fn durable_seq(&self) -> u64 {
        self.idx.last_seq()
    }

    fn state(&self) -> StreamState {
        self.idx.state()
    }

    fn filtered_state(&self, sseq: u64, subj: &str) -> SimpleState {
        self.idx.filtered_state(sseq, subj)
    }

    fn subjects_state(&self, filter: &str) -> BTreeMap<String, SimpleState> {
        self.idx.subjects_state(filter)
    }

    fn subjects_totals(&self, filter: &str) -> BTreeMap<String, u64> {
        self.idx
            .subjects_state(filter)
            .into_iter()
            .map(|(k, v)| (k, v.msgs))
            .collect()
    }

    fn num_pending(&self, sseq: u64, filter: &str, last_per_subject: bool) -> (u64, u64) {
        self.idx.num_pending(sseq, filter, last_per_subject)
    }

    fn update_config(&mut self, cfg: StreamConfig, now: UnixNanos) -> Result<(), StoreError> {
        self.cfg = cfg;
        let evict = limits::to_evict(&self.idx, &self.cfg, None);
        self.remove_all(&evict);
        self.expire_msgs(now)?;
        Ok(())
    }

    fn check_invariants(&self) {
        self.idx.check_invariants();
    }
}

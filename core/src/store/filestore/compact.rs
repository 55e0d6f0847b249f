//! Space reclaim and compression: rewriting a sealed block (Go's
//! `compact`/`compactWithFloor` on a message block, and the compression of a
//! block when it is sealed).
//!
//! A rewrite keeps the block's index (so records keep their checksum
//! identity), drops dead message records and markers no earlier block
//! needs, optionally S2-compresses the rest into chunks, and replaces the
//! file atomically:
//!
//! ```text
//! open(N.blk.tmp, create) ; truncate(0) ; write(header ‖ frames) ; sync
//! rename(N.blk.tmp, N.blk) ; sync_dir(msgs)
//! ```
//!
//! It runs only after a flush (every removal it relies on is durable), only
//! on sealed, clean, unquarantined blocks, and only after a fresh scan of
//! the block shows no damage. Crash analysis: docs/FILESTORE.md.

use super::frame::CHUNK_RAW_TARGET;
use super::msg_block::HeaderCheck;
use super::record::{encode, Kind, Record};
use super::recovery::{scan_frames, Found};
use super::{FileStore, Loc};
use crate::storage::Storage;
use crate::store::{StoreCompression, StoreError};

impl<S: Storage> FileStore<S> {
    /// Whether sealed block `index` is worth rewriting.
    fn worth_rewrite(&self, index: u64) -> bool {
        let Some(b) = self.blocks.get(&index) else {
            return false;
        };
        if Some(index) == self.active || b.writable || b.quarantined || b.unsynced() {
            return false;
        }
        let compress = self.fcfg.compression == StoreCompression::S2 && !b.codec.compressed;
        let dead = b.msg_bytes - b.live_bytes;
        let pct = u64::from(self.fcfg.reclaim_dead_pct);
        let reclaim = pct > 0 && dead > 0 && dead * 100 >= b.msg_bytes * pct;
        (compress && b.live > 0) || reclaim
    }

    /// Rewrites at most one sealed block per call (bounding the work a
    /// flush does), the lowest that is worth it.
    pub(super) fn reclaim(&mut self) -> Result<(), StoreError> {
        let cand = self.blocks.keys().copied().find(|i| self.worth_rewrite(*i));
        match cand {
            Some(index) => self.rewrite_block(index),
            None => Ok(()),
        }
    }

    /// Whether a removal marker in block `index` still matters: some
    /// earlier block may hold a message record it kills.
    fn needed_below(&self, index: u64, pred: impl Fn(u64, u64) -> bool) -> bool {
        self.blocks
            .range(..index)
            .any(|(_, b)| b.quarantined || b.msg_range.is_some_and(|(lo, hi)| pred(lo, hi)))
    }

    /// Which records of block `index` a rewrite keeps.
    fn keep(&self, index: u64, f: &Found) -> bool {
        let r = &f.record;
        match r.kind {
            Kind::Msg => self.idx.get(r.seq).is_some_and(|e| {
                e.data.blk == index && e.data.off == f.off && e.data.inner == f.inner
            }),
            // The first record: the stream bounds when the block began.
            Kind::BlockStart => true,
            // Truncates re-open sequences; always kept, they are rare.
            Kind::Truncate => true,
            Kind::Compact => self.needed_below(index, |lo, _| lo < r.seq),
            Kind::Tombstone => self.needed_below(index, |lo, hi| lo <= r.seq && r.seq <= hi),
            // A later block's BlockStart already carries the last sequence.
            Kind::Skip | Kind::Erased => false,
        }
    }

    /// Rewrites sealed block `index` without its dead records, compressed
    /// if the store compresses. A block that no longer scans clean is
    /// quarantined instead.
    pub(super) fn rewrite_block(&mut self, index: u64) -> Result<(), StoreError> {
        let b = self
            .blocks
            .get(&index)
            .expect("caller checked the block exists");
        if b.quarantined {
            return Ok(());
        }
        assert!(
            !b.unsynced() && !b.writable,
            "only clean sealed blocks are rewritten"
        );
        let (file, len, start) = (b.file, b.len, b.hdr_len);
        let mut bytes = vec![0u8; usize::try_from(len).expect("block length fits memory")];
        let n = self.read_exact(file, 0, &mut bytes)?;
        let b = self.blocks.get(&index).expect("checked above");
        let scan = scan_frames(&bytes[..n], &b.codec, HeaderCheck::Ok, start as usize);
        if n < bytes.len() || !scan.damaged.is_empty() {
            self.blocks
                .get_mut(&index)
                .expect("checked above")
                .quarantined = true;
            return Ok(());
        }
        let kept: Vec<Record> = scan
            .records
            .iter()
            .filter(|f| self.keep(index, f))
            .map(|f| f.record.clone())
            .collect();
        let compress = self.fcfg.compression == StoreCompression::S2;
        let (hdr, codec) = self.make_header(index, compress);
        let mut out = hdr.encode();
        let mut locs: Vec<(u64, Loc)> = Vec::new();
        let mut chunk: Vec<u8> = Vec::new();
        let mut members: Vec<(u64, u32, u32)> = Vec::new();
        for (i, r) in kept.iter().enumerate() {
            if compress {
                let raw = encode(codec.id, r);
                if r.kind == Kind::Msg {
                    members.push((r.seq, chunk.len() as u32, raw.len() as u32));
                }
                chunk.extend_from_slice(&raw);
                if chunk.len() >= CHUNK_RAW_TARGET || i + 1 == kept.len() {
                    let frame = codec.encode_chunk(&chunk, &mut self.prng);
                    let off = out.len() as u64;
                    for (seq, inner, rlen) in members.drain(..) {
                        let loc = Loc {
                            blk: index,
                            off,
                            len: frame.len() as u32,
                            inner: Some(inner),
                            rlen,
                        };
                        locs.push((seq, loc));
                    }
                    out.extend_from_slice(&frame);
                    chunk.clear();
                }
            } else {
                let frame = codec.encode_one(r, &mut self.prng);
                if r.kind == Kind::Msg {
                    let loc = Loc {
                        blk: index,
                        off: out.len() as u64,
                        len: frame.len() as u32,
                        inner: None,
                        rlen: r.encoded_len() as u32,
                    };
                    locs.push((r.seq, loc));
                }
                out.extend_from_slice(&frame);
            }
        }
        let path = self.block_path(index);
        let tmp = format!("{path}.tmp");
        let new_file = match self.storage.open(&tmp, true) {
            Ok(f) => f,
            Err(e) => return self.fail(e),
        };
        let written = self
            .storage
            .truncate(new_file, 0)
            .and_then(|_| self.storage.write_at(new_file, 0, &out))
            .and_then(|_| self.storage.sync(new_file))
            .and_then(|_| self.storage.rename(&tmp, &path))
            .and_then(|_| self.storage.sync_dir(&self.msgs_dir()));
        if let Err(e) = written {
            return self.fail(e);
        }
        self.storage.close(file);
        self.chunk_cache = None;
        let b = self.blocks.get_mut(&index).expect("checked above");
        b.file = new_file;
        b.len = out.len() as u64;
        b.hdr_len = hdr.len as u64;
        b.codec = codec;
        b.msg_bytes = 0;
        b.live = 0;
        b.live_bytes = 0;
        b.msg_range = None;
        for (seq, loc) in locs {
            b.add_msg(seq, loc.rlen, true);
            self.idx.get_mut(seq).expect("kept records are live").data = loc;
        }
        Ok(())
    }
}

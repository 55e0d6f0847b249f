//! The index file (Go's `index.db`): a snapshot of the in-memory index and
//! the block set, written by [`FileStore::close`] and used by the next open
//! instead of scanning every block, **only** if it verifies: its checksum
//! (or AEAD tag), the stream, and every listed block's length and header
//! match the disk, and the rebuilt counters match the stored ones. Anything
//! else (missing, stale, corrupt) falls back to the full scan. The file is
//! removed (and the removal made durable) as soon as an open has read it,
//! so it can never describe a store that changed after it was written.
//! Byte table: docs/FILESTORE.md ("Index file").

use super::cipher::{Cipher, NONCE_LEN, SALT_LEN};
use super::frame::BlockCodec;
use super::msg_block::{parse_header, MsgBlock, BLOCK_HDR_LEN_ENCRYPTED};
use super::{FileStore, Loc};
use crate::storage::Storage;
use crate::store::index::{Entry, MsgIndex};
use crate::store::{StoreError, StreamStore};
use std::collections::BTreeMap;

const INDEX_MAGIC: [u8; 4] = *b"RNIX";
const INDEX_VERSION: u16 = 1;
const INDEX_HDR_LEN: usize = 48;
/// An index file larger than this is ignored (a full scan is used).
const INDEX_LEN_MAX: u64 = 1 << 31;

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Some(u32::from_le_bytes(a))
    }
    fn u64(&mut self) -> Option<u64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Some(u64::from_le_bytes(a))
    }
}

/// One block as the index file lists it.
struct Listed {
    index: u64,
    len: u64,
    msg_bytes: u64,
    msg_range: Option<(u64, u64)>,
}

impl<S: Storage> FileStore<S> {
    fn index_path(&self) -> String {
        format!("{}/index.db", self.fcfg.dir)
    }

    /// Flushes and writes the index file (Go's `Stop`); afterwards every
    /// mutation is refused with [`StoreError::Closed`] (the index file must
    /// keep describing the blocks) and the caller takes the storage back
    /// with [`FileStore::into_storage`]. A store with damage or a
    /// quarantined block writes no index file, so the next open scans and
    /// reports the damage again.
    pub fn close(&mut self) -> Result<(), StoreError> {
        self.flush()?;
        self.closed = true;
        // The flush synced every block in place; split-phase flushes still
        // out only keep files open for their handles, and a closed store
        // removes nothing, so they no longer stand in the way.
        self.abandon_split_flushes();
        let clean =
            self.report.lost.is_none() && self.blocks.values().all(|b| !b.quarantined && !b.unsynced());
        if clean {
            self.write_index()?;
        }
        Ok(())
    }

    fn encode_index_body(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.u64(self.blocks.len() as u64);
        for (index, b) in &self.blocks {
            w.u64(*index);
            w.u64(b.len);
            w.u64(b.msg_bytes);
            let (lo, hi) = b.msg_range.unwrap_or((u64::MAX, 0));
            w.u64(lo);
            w.u64(hi);
        }
        w.u64(self.idx.first_seq());
        w.u64(self.idx.last_seq());
        w.u64(self.idx.last_ts() as u64);
        w.u64(self.idx.msgs());
        w.u64(self.idx.bytes());
        for (seq, e) in self.idx.iter() {
            w.u64(seq);
            w.u64(e.ts as u64);
            w.u64(e.ttl as u64);
            w.u64(e.size);
            w.u64(e.data.blk);
            w.u64(e.data.off);
            w.u32(e.data.len);
            w.u32(e.data.inner.unwrap_or(u32::MAX));
            w.u32(e.data.rlen);
            // Subjects are at most 64 KiB (checked on store).
            w.u16(e.subj.len() as u16);
            w.0.extend_from_slice(e.subj.as_bytes());
        }
        w.0
    }

    fn write_index(&mut self) -> Result<(), StoreError> {
        let mut body = self.encode_index_body();
        let mut hdr = Writer(Vec::with_capacity(INDEX_HDR_LEN));
        hdr.0.extend_from_slice(&INDEX_MAGIC);
        hdr.u16(INDEX_VERSION);
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        let key = self.stream_key.as_ref().map(|sk| {
            self.prng.fill_bytes(&mut salt);
            self.prng.fill_bytes(&mut nonce);
            sk.block_key(sk.cipher(), &salt, b"index.db")
        });
        hdr.u8(key.as_ref().map_or(0, |k| k.cipher.id()));
        hdr.u8(0);
        hdr.u64(self.stream_hash);
        hdr.0.extend_from_slice(&salt);
        hdr.0.extend_from_slice(&nonce);
        let body_len = body.len()
            + if key.is_some() {
                super::cipher::TAG_LEN
            } else {
                0
            };
        let body_len = u32::try_from(body_len)
            .map_err(|_| StoreError::BadRequest("index too large".into()))?;
        hdr.u32(body_len);
        assert_eq!(hdr.0.len(), INDEX_HDR_LEN);
        if let Some(k) = &key {
            k.seal(&nonce, &hdr.0, &mut body);
        }
        let mut out = hdr.0;
        out.extend_from_slice(&body);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        let path = self.index_path();
        let tmp = format!("{path}.tmp");
        let f = match self.storage.open(&tmp, true) {
            Ok(f) => f,
            Err(e) => return self.fail(e),
        };
        let r = self
            .storage
            .truncate(f, 0)
            .and_then(|_| self.storage.write_at(f, 0, &out))
            .and_then(|_| self.storage.sync(f))
            .and_then(|_| self.storage.rename(&tmp, &path))
            .and_then(|_| self.storage.sync_dir(&self.fcfg.dir));
        self.storage.close(f);
        match r {
            Ok(()) => Ok(()),
            Err(e) => self.fail(e),
        }
    }

    /// Reads, verifies and removes the index file. `Ok(true)`: the state is
    /// loaded and no scan is needed. `Ok(false)`: scan the blocks.
    pub(super) fn load_index(&mut self, indexes: &[u64]) -> Result<bool, StoreError> {
        let path = self.index_path();
        let file = match self.storage.open(&path, false) {
            Ok(f) => f,
            Err(_) => return Ok(false),
        };
        let len = self.storage.len(file)?;
        let mut bytes = vec![0u8; usize::try_from(len.min(INDEX_LEN_MAX)).unwrap_or(0)];
        let n = self.read_exact(file, 0, &mut bytes)?;
        bytes.truncate(n);
        self.storage.close(file);
        // Consumed: a store that changes after this open must never find it.
        self.storage.remove(&path)?;
        self.storage.sync_dir(&self.fcfg.dir)?;
        let Some(body) = self.verify_index(&bytes) else {
            return Ok(false);
        };
        self.apply_index(&body, indexes)
    }

    fn verify_index(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        if bytes.len() < INDEX_HDR_LEN + 4 {
            return None;
        }
        let (head, crc) = bytes.split_at(bytes.len() - 4);
        if crc32fast::hash(head).to_le_bytes() != crc {
            return None;
        }
        let mut r = Reader(head);
        if r.take(4)? != INDEX_MAGIC || r.u16()? != INDEX_VERSION {
            return None;
        }
        let cipher = r.u8()?;
        r.u8()?;
        if r.u64()? != self.stream_hash {
            return None;
        }
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(r.take(SALT_LEN)?);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(r.take(NONCE_LEN)?);
        let body_len = r.u32()? as usize;
        if r.0.len() != body_len {
            return None;
        }
        match (cipher, &self.stream_key) {
            (0, None) => Some(r.0.to_vec()),
            (c, Some(sk)) if c != 0 => {
                let key = sk.block_key(Cipher::from_id(c)?, &salt, b"index.db");
                key.open(&nonce, &head[..INDEX_HDR_LEN], r.0)
            }
            _ => None,
        }
    }

    /// Checks the listed blocks against the disk and loads the index. On any
    /// mismatch, nothing is kept and `Ok(false)` asks for a scan.
    fn apply_index(&mut self, body: &[u8], indexes: &[u64]) -> Result<bool, StoreError> {
        let Some((listed, idx)) = decode_index(body) else {
            return Ok(false);
        };
        if listed.iter().map(|l| l.index).collect::<Vec<_>>() != indexes {
            return Ok(false);
        }
        let mut blocks = BTreeMap::new();
        let last = indexes.last().copied();
        for l in &listed {
            let file = self.storage.open(&self.block_path(l.index), false)?;
            let mut hdr = [0u8; BLOCK_HDR_LEN_ENCRYPTED];
            let n = self.read_exact(file, 0, &mut hdr)?;
            let codec: Option<BlockCodec> = parse_header(&hdr[..n])
                .filter(|h| h.id == self.block_id(l.index))
                .and_then(|h| self.codec_for(&h).map(|c| (c, h.len)))
                .map(|(c, _)| c);
            let file_len = self.storage.len(file)?;
            let (Some(codec), true) = (codec, file_len == l.len) else {
                self.storage.close(file);
                for (_, b) in blocks {
                    let b: MsgBlock = b;
                    self.storage.close(b.file);
                }
                return Ok(false);
            };
            let hdr_len = parse_header(&hdr[..n]).map_or(0, |h| h.len as u64);
            let writable = Some(l.index) == last && !codec.compressed;
            blocks.insert(
                l.index,
                MsgBlock {
                    id: codec.id,
                    codec,
                    hdr_len,
                    file,
                    len: l.len,
                    live: 0,
                    live_bytes: 0,
                    msg_bytes: l.msg_bytes,
                    msg_range: l.msg_range,
                    writable,
                    dirty: false,
                    syncing: 0,
                    quarantined: false,
                },
            );
        }
        for (_, e) in idx.iter() {
            let ok = blocks.get_mut(&e.data.blk).is_some_and(|b: &mut MsgBlock| {
                b.live += 1;
                b.live_bytes += u64::from(e.data.rlen);
                e.data.off >= b.hdr_len && e.data.off + u64::from(e.data.len) <= b.len
            });
            if !ok {
                for (_, b) in blocks {
                    self.storage.close(b.file);
                }
                return Ok(false);
            }
        }
        self.active = last.filter(|l| blocks.get(l).is_some_and(|b| b.writable));
        self.blocks = blocks;
        self.idx = idx;
        self.report.from_index = true;
        Ok(true)
    }
}

fn decode_index(body: &[u8]) -> Option<(Vec<Listed>, MsgIndex<Loc>)> {
    let mut r = Reader(body);
    let nblocks = r.u64()?;
    let mut listed = Vec::new();
    for _ in 0..nblocks {
        let (index, len, msg_bytes, lo, hi) = (r.u64()?, r.u64()?, r.u64()?, r.u64()?, r.u64()?);
        let msg_range = (lo <= hi).then_some((lo, hi));
        listed.push(Listed {
            index,
            len,
            msg_bytes,
            msg_range,
        });
    }
    let (first, last, last_ts, msgs, bytes) =
        (r.u64()?, r.u64()?, r.u64()? as i64, r.u64()?, r.u64()?);
    let mut idx: MsgIndex<Loc> = MsgIndex::default();
    for _ in 0..msgs {
        let (seq, ts, ttl, size) = (r.u64()?, r.u64()? as i64, r.u64()? as i64, r.u64()?);
        let (blk, off, len, inner, rlen) = (r.u64()?, r.u64()?, r.u32()?, r.u32()?, r.u32()?);
        let slen = usize::from(r.u16()?);
        let subj = String::from_utf8(r.take(slen)?.to_vec()).ok()?;
        if seq <= idx.last_seq() || subj.is_empty() {
            return None;
        }
        let inner = (inner != u32::MAX).then_some(inner);
        let data = Loc {
            blk,
            off,
            len,
            inner,
            rlen,
        };
        idx.insert(
            seq,
            Entry {
                subj,
                ts,
                ttl,
                size,
                data,
            },
        );
    }
    if !r.0.is_empty() || last < idx.last_seq() {
        return None;
    }
    if last > idx.last_seq() {
        idx.skip(last, last_ts);
    }
    let st = (
        idx.first_seq(),
        idx.last_seq(),
        idx.last_ts(),
        idx.msgs(),
        idx.bytes(),
    );
    (st == (first, last, last_ts, msgs, bytes)).then_some((listed, idx))
}

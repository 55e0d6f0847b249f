//! Opening a file store: scan every block (see [`super::recovery`]) and
//! replay its records, in block and offset order, into the index.

use super::cipher::SALT_LEN;
use super::frame::BlockCodec;
use super::msg_block::{
    parse_block_name, parse_header, BlockHeader, HeaderCheck, MsgBlock, BLOCK_HDR_LEN,
    BLOCK_HDR_LEN_ENCRYPTED,
};
use super::record::{BlockId, Kind};
use super::recovery::{scan_frames, Found};
use super::{block_label, FileStore, Loc, LOST_SEQS_MAX};
use crate::storage::Storage;
use crate::store::index::Entry;
use crate::store::{msg_size, LostStreamData, StoreError};

/// Bookkeeping while replaying.
#[derive(Default)]
struct Replay {
    lost: LostStreamData,
    /// A damaged range (or a missing block) was seen since the last
    /// record that advanced the sequence: a gap now means lost messages.
    damage_pending: bool,
}

impl<S: Storage> FileStore<S> {
    /// The block indexes on disk, ascending; leftover `*.tmp` files of an
    /// interrupted rewrite are removed.
    pub(super) fn list_blocks(&mut self) -> Result<Vec<u64>, StoreError> {
        let dir = self.msgs_dir();
        let names = self.storage.list(&dir)?;
        for n in names.iter().filter(|n| n.ends_with(".tmp")) {
            // Never synced into place: the block it would replace is intact.
            self.storage.remove(&format!("{dir}/{n}"))?;
        }
        let mut indexes: Vec<u64> = names.iter().filter_map(|n| parse_block_name(n)).collect();
        indexes.sort_unstable();
        Ok(indexes)
    }

    /// Reads the header of every block and refuses to go on when the
    /// encryption does not fit the configuration (no key for encrypted
    /// blocks, plaintext blocks in an encrypted store, a key that matches no
    /// block). Changes nothing on disk.
    fn check_keys(&mut self, indexes: &[u64]) -> Result<(), StoreError> {
        let (mut encrypted, mut matching) = (0, 0);
        for &index in indexes {
            let file = self.storage.open(&self.block_path(index), false)?;
            let mut buf = [0u8; BLOCK_HDR_LEN_ENCRYPTED];
            let n = self.read_exact(file, 0, &mut buf);
            self.storage.close(file);
            let Some(h) = parse_header(&buf[..n?]).filter(|h| h.id == self.block_id(index)) else {
                continue;
            };
            match (&self.stream_key, h.cipher()) {
                (None, Some(c)) => {
                    return Err(StoreError::Encryption(format!(
                        "block {index} is encrypted ({c:?}) but no key is configured"
                    )))
                }
                (Some(_), None) => {
                    return Err(StoreError::Encryption(format!(
                        "block {index} is not encrypted but the store is configured with a key"
                    )))
                }
                (Some(_), Some(_)) => {
                    encrypted += 1;
                    if self.codec_for(&h).is_some() {
                        matching += 1;
                    }
                }
                (None, None) => {}
            }
        }
        if encrypted > 0 && matching == 0 {
            return Err(StoreError::Encryption(
                "wrong key: it authenticates none of the stream's blocks".into(),
            ));
        }
        Ok(())
    }

    /// The codec of a valid header of ours, if its key check matches.
    pub(super) fn codec_for(&self, h: &BlockHeader) -> Option<BlockCodec> {
        let mut codec = BlockCodec::plain(h.id);
        codec.compressed = h.compression == 1;
        match (h.cipher(), &self.stream_key) {
            (None, None) => Some(codec),
            (Some(c), Some(sk)) => {
                let key = sk.block_key(c, &h.salt, &block_label(h.id));
                (key.kcv == h.kcv).then(|| {
                    codec.key = Some(key);
                    codec
                })
            }
            _ => None,
        }
    }

    /// A codec for a block whose header is not usable: plain stores still
    /// read its records; encrypted ones can authenticate nothing in it.
    fn fallback_codec(&self, id: BlockId) -> BlockCodec {
        let mut codec = BlockCodec::plain(id);
        if let Some(sk) = &self.stream_key {
            codec.key = Some(sk.block_key(sk.cipher(), &[0; SALT_LEN], b"no header"));
        }
        codec
    }

    pub(super) fn recover(&mut self) -> Result<(), StoreError> {
        let indexes = self.list_blocks()?;
        self.check_keys(&indexes)?;
        if self.load_index(&indexes)? {
            return Ok(());
        }
        let last_index = indexes.last().copied();
        let mut replay = Replay::default();
        let mut prev: Option<u64> = None;
        for index in indexes {
            if prev.is_some_and(|p| index != p + 1) {
                replay.damage_pending = true;
            }
            prev = Some(index);
            self.recover_block(index, Some(index) == last_index, &mut replay)?;
        }
        if replay.lost.bytes > 0 || !replay.lost.msgs.is_empty() {
            self.report.lost = Some(replay.lost);
        }
        Ok(())
    }

    fn recover_block(
        &mut self,
        index: u64,
        is_last: bool,
        replay: &mut Replay,
    ) -> Result<(), StoreError> {
        let path = self.block_path(index);
        let file = self.storage.open(&path, false)?;
        let len = self.storage.len(file)?;
        let mut bytes =
            vec![0u8; usize::try_from(len).map_err(|_| StoreError::Corrupt(path.clone()))?];
        let n = self.read_exact(file, 0, &mut bytes)?;
        bytes.truncate(n);
        let id = self.block_id(index);
        let parsed = parse_header(&bytes);
        let (header, codec, start) = match parsed {
            Some(h) if h.id == id => match self.codec_for(&h) {
                Some(c) => (HeaderCheck::Ok, c, h.len),
                // Our header, but its key check fails: tampered.
                None => (HeaderCheck::Damaged, self.fallback_codec(id), h.len),
            },
            Some(h) => (HeaderCheck::Foreign(h.id), self.fallback_codec(id), BLOCK_HDR_LEN),
            None => (HeaderCheck::Damaged, self.fallback_codec(id), BLOCK_HDR_LEN),
        };
        let scan = scan_frames(&bytes, &codec, header, start);
        let file_len = bytes.len() as u64;
        let header_ok = scan.header == HeaderCheck::Ok;
        let hdr_len_expected = if self.stream_key.is_some() {
            BLOCK_HDR_LEN_ENCRYPTED
        } else {
            BLOCK_HDR_LEN
        };
        // A torn creation (header never made it) holds nothing to report.
        let torn_creation = !header_ok && file_len <= hdr_len_expected as u64;
        match scan.header {
            HeaderCheck::Foreign(_) => self.report.foreign_blocks.push(index),
            HeaderCheck::Damaged if !torn_creation => self.report.damaged_headers.push(index),
            _ => {}
        }
        let cut_tail = is_last && header_ok && scan.tail_damaged(file_len);
        let damaged = scan.damaged_bytes(file_len, cut_tail);
        let mut blk = MsgBlock {
            id,
            codec,
            hdr_len: start as u64,
            file,
            len: file_len,
            live: 0,
            live_bytes: 0,
            msg_bytes: 0,
            msg_range: None,
            writable: false,
            dirty: false,
            syncing: 0,
            quarantined: damaged > 0 || (!header_ok && !torn_creation),
        };
        if cut_tail {
            self.storage.truncate(file, scan.clean_end)?;
            self.report.truncated_bytes += file_len - scan.clean_end;
            blk.len = scan.clean_end;
            blk.dirty = true;
        }
        if is_last && header_ok && !blk.codec.compressed {
            blk.writable = true;
            self.active = Some(index);
        }
        self.blocks.insert(index, blk);
        let mut ranges = scan.damaged.iter().peekable();
        for found in scan.records {
            while ranges.peek().is_some_and(|(start, _)| *start < found.off) {
                replay.damage_pending = true;
                ranges.next();
            }
            self.apply(index, found, replay);
        }
        if ranges.peek().is_some() && !cut_tail {
            replay.damage_pending = true;
        }
        replay.lost.bytes += damaged;
        Ok(())
    }

    /// Before a record that advances the sequence to `seq`.
    fn note_gap(&self, seq: u64, replay: &mut Replay) {
        let next = self.idx.last_seq() + 1;
        if seq > next && replay.damage_pending {
            let room = LOST_SEQS_MAX.saturating_sub(replay.lost.msgs.len());
            replay.lost.msgs.extend((next..seq).take(room));
        }
        replay.damage_pending = false;
    }

    fn apply(&mut self, blk: u64, found: Found, replay: &mut Replay) {
        let Found {
            off,
            len,
            inner,
            rlen,
            record: r,
        } = found;
        let last = self.idx.last_seq();
        match r.kind {
            Kind::Msg => {
                let subj = String::from_utf8(r.subj).ok().filter(|s| !s.is_empty());
                let Some(subj) = subj.filter(|_| r.seq > last) else {
                    // A stale copy (e.g. a misdirected write) of an earlier
                    // record, or nonsense that checksums: not data.
                    replay.lost.bytes += u64::from(rlen);
                    let b = self.blocks.get_mut(&blk).expect("block inserted before replay");
                    b.add_msg(r.seq, rlen, false);
                    return;
                };
                self.note_gap(r.seq, replay);
                let size = msg_size(&subj, &r.hdr, &r.msg);
                let entry = Entry {
                    subj,
                    ts: r.ts,
                    ttl: r.aux.max(0),
                    size,
                    data: Loc {
                        blk,
                        off,
                        len,
                        inner,
                        rlen,
                    },
                };
                self.idx.insert(r.seq, entry);
                self.blocks
                    .get_mut(&blk)
                    .expect("block inserted before replay")
                    .add_msg(r.seq, rlen, true);
            }
            Kind::Erased => {
                if r.seq > last {
                    self.note_gap(r.seq, replay);
                    let ts = self.idx.last_ts();
                    self.idx.observe_seq(r.seq, ts);
                }
            }
            Kind::Skip => {
                let end = u64::try_from(r.aux)
                    .ok()
                    .filter(|n| *n > 0)
                    .and_then(|n| r.seq.checked_add(n - 1));
                match end {
                    Some(end) if end > last && r.seq > 0 => {
                        self.note_gap(r.seq, replay);
                        self.idx.observe_seq(end, r.ts);
                    }
                    Some(_) => {}
                    None => replay.lost.bytes += u64::from(len),
                }
            }
            Kind::Tombstone => {
                self.forget(r.seq);
                let ts = self.idx.last_ts();
                self.idx.observe_seq(r.seq, ts);
            }
            Kind::BlockStart => {
                let Ok(block_last) = u64::try_from(r.aux) else {
                    replay.lost.bytes += u64::from(rlen);
                    return;
                };
                if block_last > last {
                    self.note_gap(block_last + 1, replay);
                    self.idx.observe_seq(block_last, r.ts);
                }
                for s in self.idx.seqs_in(0, r.seq.saturating_sub(1)) {
                    self.forget(s);
                }
                if self.idx.msgs() == 0 && r.seq > 0 {
                    self.idx.compact_to(r.seq);
                }
            }
            Kind::Compact => {
                for s in self.idx.seqs_in(0, r.seq.saturating_sub(1)) {
                    self.forget(s);
                }
                self.idx.compact_to(r.seq);
            }
            Kind::Truncate => {
                for s in self.idx.seqs_in(r.seq.saturating_add(1), u64::MAX) {
                    self.forget(s);
                }
                self.idx.truncate_to(r.seq);
            }
        }
    }
}

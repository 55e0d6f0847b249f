//! The file store (Go's `fileStore`): a stream as a log of checksummed
//! records in block files, replayed into the shared in-memory index on open.
//!
//! # Call order
//!
//! 1. [`FileStore::open`] scans every block (recovery), cuts an unsynced torn
//!    tail of the last block, reports damaged ranges
//!    ([`FileStore::recovery_report`]) and enforces the limits.
//! 2. Mutations ([`StreamStore::store_msg`], `remove_msg`, `purge`, …)
//!    append records through the storage and return at once.
//! 3. [`StreamStore::flush`] makes every pending append durable with one
//!    `sync` per dirty block (group commit) and raises
//!    [`StreamStore::durable_seq`]. With [`SyncPolicy::Interval`] the caller
//!    may instead call [`FileStore::handle_tick`] with monotonic time; it
//!    flushes when the interval has passed ([`FileStore::poll_timeout`]).
//! 4. If a write or sync fails the store is *failed*: durability of what was
//!    written is unknown, so it refuses further writes; reopen it.
//!
//! The store reaches the disk only through [`Storage`] and reads no clock.

pub mod cipher;
mod compact;
pub mod frame;
pub mod index_file;
pub mod msg_block;
pub mod record;
pub mod recovery;
mod replay;
pub mod write_buffer;

pub use self::cipher::{Cipher, StoreCipher};
use self::cipher::{StreamKey, SALT_LEN};
use self::frame::BlockCodec;
use self::msg_block::{
    block_name, stream_hash, BlockHeader, MsgBlock, BLOCK_HDR_LEN_ENCRYPTED,
};
use self::record::{decode, BlockId, Kind, Record, RECORD_LEN_MAX, RECORD_MIN_LEN};
use super::index::{is_full_wildcard, Entry, MsgIndex};
use super::{
    limits, msg_size, LostStreamData, SimpleState, StoreCompression, StoreError, StoreMsg,
    StreamConfig, StreamState, StreamStore,
};
use crate::prng::Prng;
use crate::storage::{Storage, StorageError, SyncHandle};
use crate::time::{Instant, UnixNanos};
use std::collections::BTreeMap;
use std::time::Duration;

/// Where a message's record lives: the frame (or bare record) at `off` of
/// `len` bytes in block `blk`, and for a compressed chunk the record's
/// offset `inner` in the decompressed bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub blk: u64,
    pub off: u64,
    pub len: u32,
    pub inner: Option<u32>,
    /// The record's own encoded length (its share of the block).
    pub rlen: u32,
}

/// When appends become durable.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum SyncPolicy {
    /// Durable only through [`StreamStore::flush`], which the caller runs
    /// before acking (group commit). The default.
    #[default]
    Always,
    /// Go's `sync_interval`: [`FileStore::handle_tick`] flushes when this
    /// much monotonic time has passed. Opt-in: acks before a flush may be
    /// lost in a crash.
    Interval(Duration),
}

/// Where and how a file store keeps its blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileStoreConfig {
    /// The stream directory, relative to the storage root (e.g.
    /// `"jetstream/$G/streams/ORDERS"`); blocks go to `<dir>/msgs/`.
    pub dir: String,
    /// A new block is started when a record would take the active one past
    /// this size (Go's `BlockSize`).
    pub block_size: u64,
    pub sync: SyncPolicy,
    /// Encryption at rest (Go's `jetstream { cipher, key }`); `None`: plain.
    pub encryption: Option<StoreCipher>,
    /// Compression of sealed blocks (Go's `StoreCompression`).
    pub compression: StoreCompression,
    /// Seeds the generator of block salts and frame nonces. With
    /// encryption it **must differ on every open** (the adapter draws it
    /// from OS randomness): a repeated seed repeats nonces.
    pub seed: u64,
    /// Rewrite a sealed block when at least this percentage of its message
    /// bytes is dead (space reclaim); 0 turns reclaim off.
    pub reclaim_dead_pct: u8,
}

impl FileStoreConfig {
    pub fn new(dir: impl Into<String>) -> FileStoreConfig {
        FileStoreConfig {
            dir: dir.into(),
            block_size: 8 * 1024 * 1024,
            sync: SyncPolicy::Always,
            encryption: None,
            compression: StoreCompression::None,
            seed: 0,
            reclaim_dead_pct: 50,
        }
    }
}

/// What recovery found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Damaged ranges outside an unsynced tail, and the sequences missing
    /// around them.
    pub lost: Option<LostStreamData>,
    /// Bytes of torn tail cut off the last block.
    pub truncated_bytes: u64,
    /// Blocks whose header names another stream or index.
    pub foreign_blocks: Vec<u64>,
    /// Blocks whose header is damaged (their records were still read).
    pub damaged_headers: Vec<u64>,
    /// The state came from a verified index file, without a block scan.
    pub from_index: bool,
}

/// The per-block key label: the block identity.
fn block_label(id: BlockId) -> [u8; 16] {
    let mut l = [0u8; 16];
    l[..8].copy_from_slice(&id.stream_hash.to_le_bytes());
    l[8..].copy_from_slice(&id.index.to_le_bytes());
    l
}

/// The most sequences listed in a [`LostStreamData`].
const LOST_SEQS_MAX: usize = 100_000;

/// A stream store over a [`Storage`].
#[derive(Debug)]
pub struct FileStore<S: Storage> {
    storage: S,
    fcfg: FileStoreConfig,
    cfg: StreamConfig,
    stream_hash: u64,
    idx: MsgIndex<Loc>,
    blocks: BTreeMap<u64, MsgBlock>,
    /// The block appends go to, if any is writable.
    active: Option<u64>,
    /// Block files created or removed since the last directory sync.
    dir_dirty: bool,
    durable_seq: u64,
    failed: Option<String>,
    report: RecoveryReport,
    last_flush: Instant,
    /// Salts and nonces.
    prng: Prng,
    /// Derived from the configured key and the stream name.
    stream_key: Option<StreamKey>,
    /// [`FileStore::close`] ran: no more mutations.
    closed: bool,
    /// Split-phase flushes begun and not finished, oldest first: each
    /// one's target sequence and the blocks its handles sync.
    flushing: std::collections::VecDeque<(u64, Vec<u64>)>,
    /// The last chunk read: (block, frame offset, verified decompressed
    /// records). Sequential reads of a compressed block decode each chunk
    /// once. Dropped when that block is rewritten or removed.
    chunk_cache: Option<(u64, u64, Vec<u8>)>,
}

impl<S: Storage> FileStore<S> {
    /// Opens (or creates) the store in `fcfg.dir`, recovering from whatever
    /// the blocks hold.
    pub fn open(
        storage: S,
        fcfg: FileStoreConfig,
        cfg: StreamConfig,
    ) -> Result<FileStore<S>, StoreError> {
        Self::try_open(storage, fcfg, cfg).map_err(|(e, _)| e)
    }

    /// Like [`FileStore::open`], but a failed recovery (for example a read
    /// error) hands the storage back, so the caller can retry.
    pub fn try_open(
        storage: S,
        fcfg: FileStoreConfig,
        cfg: StreamConfig,
    ) -> Result<FileStore<S>, (StoreError, S)> {
        let stream_hash = stream_hash(&cfg.name);
        let mut fs = FileStore {
            storage,
            fcfg,
            cfg,
            stream_hash,
            idx: MsgIndex::default(),
            blocks: BTreeMap::new(),
            active: None,
            dir_dirty: false,
            durable_seq: 0,
            failed: None,
            report: RecoveryReport::default(),
            last_flush: Instant::ZERO,
            prng: Prng::from_seed(0),
            stream_key: None,
            closed: false,
            flushing: std::collections::VecDeque::new(),
            chunk_cache: None,
        };
        fs.prng = Prng::from_seed(fs.fcfg.seed);
        fs.stream_key = fs
            .fcfg
            .encryption
            .as_ref()
            .map(|sc| StreamKey::derive(sc, &fs.cfg.name));
        if let Err(e) = fs.recover() {
            return Err((e, fs.storage));
        }
        fs.durable_seq = fs.idx.last_seq();
        let evict = limits::to_evict(&fs.idx, &fs.cfg, None);
        if let Err(e) = fs.remove_seqs(&evict) {
            return Err((e, fs.storage));
        }
        fs.check_invariants();
        Ok(fs)
    }

    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.report
    }

    pub fn storage_mut(&mut self) -> &mut S {
        &mut self.storage
    }

    /// Gives the storage back (e.g. to crash a simulated disk and reopen).
    pub fn into_storage(self) -> S {
        self.storage
    }

    pub fn config(&self) -> &StreamConfig {
        &self.cfg
    }

    /// Block indexes currently on disk.
    pub fn block_indexes(&self) -> Vec<u64> {
        self.blocks.keys().copied().collect()
    }

    /// Where the record of live message `seq` lives (for tests and tools).
    pub fn msg_location(&self, seq: u64) -> Option<Loc> {
        self.idx.get(seq).map(|e| e.data)
    }

    /// The path of block `index`.
    pub fn block_path(&self, index: u64) -> String {
        format!("{}/{}", self.msgs_dir(), block_name(index))
    }

    fn msgs_dir(&self) -> String {
        format!("{}/msgs", self.fcfg.dir)
    }

    /// Whether appends are waiting for a flush.
    pub fn pending_sync(&self) -> bool {
        self.dir_dirty || self.blocks.values().any(|b| b.unsynced())
    }

    /// With [`SyncPolicy::Interval`], flushes when the interval has passed.
    pub fn handle_tick(&mut self, now: Instant) -> Result<(), StoreError> {
        if let Some(at) = self.poll_timeout() {
            if now >= at {
                self.flush()?;
                self.last_flush = now;
            }
        }
        Ok(())
    }

    /// When [`FileStore::handle_tick`] next has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.fcfg.sync {
            SyncPolicy::Always => None,
            SyncPolicy::Interval(d) => self.pending_sync().then(|| self.last_flush + d),
        }
    }

    fn block_id(&self, index: u64) -> BlockId {
        BlockId {
            stream_hash: self.stream_hash,
            index,
        }
    }

    /// Forgets the split-phase flushes in progress (at close, after an
    /// in-place flush made everything durable): their late finish is a
    /// no-op.
    fn abandon_split_flushes(&mut self) {
        self.flushing.clear();
        for b in self.blocks.values_mut() {
            b.syncing = 0;
        }
    }

    /// Makes block files created or removed since the last call durable.
    fn sync_msgs_dir(&mut self) -> Result<(), StoreError> {
        if self.dir_dirty {
            let dir = self.msgs_dir();
            if let Err(e) = self.storage.sync_dir(&dir) {
                return self.fail(e);
            }
            self.dir_dirty = false;
        }
        Ok(())
    }

    fn fail<T>(&mut self, e: StorageError) -> Result<T, StoreError> {
        let msg = e.to_string();
        self.failed = Some(msg.clone());
        Err(StoreError::Failed(msg))
    }

    fn check_failed(&self) -> Result<(), StoreError> {
        if self.closed {
            return Err(StoreError::Closed);
        }
        match &self.failed {
            Some(m) => Err(StoreError::Failed(m.clone())),
            None => Ok(()),
        }
    }

    /// A fresh header (and its codec) for block `index`: a new salt when
    /// the store is encrypted.
    fn make_header(&mut self, index: u64, compressed: bool) -> (BlockHeader, BlockCodec) {
        let id = self.block_id(index);
        let mut hdr = BlockHeader::plain(id);
        hdr.compression = u8::from(compressed);
        let mut codec = BlockCodec::plain(id);
        codec.compressed = compressed;
        if let Some(sk) = &self.stream_key {
            let mut salt = [0u8; SALT_LEN];
            self.prng.fill_bytes(&mut salt);
            let key = sk.block_key(sk.cipher(), &salt, &block_label(id));
            hdr.cipher = sk.cipher().id();
            hdr.salt = salt;
            hdr.kcv = key.kcv;
            hdr.len = BLOCK_HDR_LEN_ENCRYPTED;
            codec.key = Some(key);
        }
        (hdr, codec)
    }

    fn new_block(&mut self) -> Result<u64, StoreError> {
        let index = self.blocks.keys().next_back().map_or(1, |i| i + 1);
        let id = self.block_id(index);
        let (hdr, codec) = self.make_header(index, false);
        let path = self.block_path(index);
        let file = match self.storage.open(&path, true) {
            Ok(f) => f,
            Err(e) => return self.fail(e),
        };
        let setup = self
            .storage
            .truncate(file, 0)
            .and_then(|_| self.storage.write_at(file, 0, &hdr.encode()));
        if let Err(e) = setup {
            return self.fail(e);
        }
        if let Some(old) = self.active.and_then(|a| self.blocks.get_mut(&a)) {
            old.writable = false;
        }
        let blk = MsgBlock {
            id,
            codec,
            hdr_len: hdr.len as u64,
            file,
            len: hdr.len as u64,
            live: 0,
            live_bytes: 0,
            msg_bytes: 0,
            msg_range: None,
            writable: true,
            dirty: true,
            syncing: 0,
            quarantined: false,
        };
        self.blocks.insert(index, blk);
        self.active = Some(index);
        self.dir_dirty = true;
        let last = i64::try_from(self.idx.last_seq())
            .map_err(|_| StoreError::BadRequest("sequence".into()))?;
        let start = Record::marker(
            Kind::BlockStart,
            self.idx.first_seq(),
            self.idx.last_ts(),
            last,
        );
        self.append_to(index, &start)?;
        Ok(index)
    }

    /// Appends `r` to the active block (rolling over as needed).
    fn write_record(&mut self, r: &Record) -> Result<Loc, StoreError> {
        self.check_failed()?;
        let len = r.encoded_len() as u64;
        let need_new = match self.active.and_then(|a| self.blocks.get(&a)) {
            Some(b) => {
                let len = len + b.codec.overhead() as u64;
                !b.writable || (b.len + len > self.fcfg.block_size && b.len > b.hdr_len)
            }
            None => true,
        };
        let index = if need_new {
            self.new_block()?
        } else {
            self.active.expect("checked above")
        };
        self.append_to(index, r)
    }

    fn append_to(&mut self, index: u64, r: &Record) -> Result<Loc, StoreError> {
        let blk = self.blocks.get(&index).expect("active block exists");
        let (file, off) = (blk.file, blk.len);
        let bytes = blk.codec.encode_one(r, &mut self.prng);
        let len = bytes.len() as u64;
        if let Err(e) = self.storage.write_at(file, off, &bytes) {
            return self.fail(e);
        }
        let blk = self.blocks.get_mut(&index).expect("active block exists");
        blk.len += len;
        blk.dirty = true;
        Ok(Loc {
            blk: index,
            off,
            len: len as u32,
            inner: None,
            rlen: r.encoded_len() as u32,
        })
    }

    fn read_exact(
        &mut self,
        file: crate::storage::FileId,
        off: u64,
        buf: &mut [u8],
    ) -> Result<usize, StoreError> {
        let mut done = 0;
        while done < buf.len() {
            let n = self
                .storage
                .read_at(file, off + done as u64, &mut buf[done..])?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    /// Reads and verifies the record of live message `seq`.
    fn read_msg(&mut self, seq: u64) -> Result<StoreMsg, StoreError> {
        let (loc, subj, ttl) = match self.idx.get(seq) {
            Some(e) => (e.data, e.subj.clone(), e.ttl),
            None => return Err(StoreError::MsgNotFound),
        };
        let blk = self
            .blocks
            .get(&loc.blk)
            .ok_or_else(|| StoreError::Corrupt(format!("seq {seq}: block gone")))?;
        let (file, id) = (blk.file, blk.id);
        let cached = self
            .chunk_cache
            .as_ref()
            .is_some_and(|(b, o, _)| *b == loc.blk && *o == loc.off);
        let r = match loc.inner {
            Some(inner) => {
                if !cached {
                    let buf = self.read_loc(file, loc, seq)?;
                    let codec = &self.blocks.get(&loc.blk).expect("looked up above").codec;
                    let raw = codec
                        .open_chunk(&buf)
                        .map_err(|e| StoreError::Corrupt(format!("seq {seq}: {e:?}")))?;
                    self.chunk_cache = Some((loc.blk, loc.off, raw));
                }
                let raw = &self.chunk_cache.as_ref().expect("filled above").2;
                let at = (inner as usize).min(raw.len());
                decode(id, &raw[at..])
                    .map_err(|e| StoreError::Corrupt(format!("seq {seq}: {e:?}")))?
                    .0
            }
            None => {
                let buf = self.read_loc(file, loc, seq)?;
                let codec = &self.blocks.get(&loc.blk).expect("looked up above").codec;
                let (inners, _) = codec
                    .decode(&buf)
                    .map_err(|e| StoreError::Corrupt(format!("seq {seq}: {e:?}")))?;
                inners
                    .into_iter()
                    .next()
                    .filter(|i| i.inner.is_none())
                    .map(|i| i.record)
                    .ok_or_else(|| StoreError::Corrupt(format!("seq {seq}: a chunk")))?
            }
        };
        if r.kind != Kind::Msg || r.seq != seq || r.subj != subj.as_bytes() {
            return Err(StoreError::Corrupt(format!(
                "seq {seq}: record does not match the index"
            )));
        }
        Ok(StoreMsg {
            subj,
            hdr: r.hdr,
            msg: r.msg,
            seq,
            ts: r.ts,
            ttl,
        })
    }

    fn read_loc(&mut self, file: crate::storage::FileId, loc: Loc, seq: u64) -> Result<Vec<u8>, StoreError> {
        let mut buf = vec![0u8; loc.len as usize];
        let n = self.read_exact(file, loc.off, &mut buf)?;
        if n < buf.len() {
            return Err(StoreError::Corrupt(format!("seq {seq}: short read")));
        }
        Ok(buf)
    }

    fn lookup(&mut self, seq: Option<u64>) -> Result<(StoreMsg, u64), StoreError> {
        let seq = seq.ok_or(StoreError::Eof)?;
        Ok((self.read_msg(seq)?, seq))
    }

    /// Drops `seq` from the index and its block's live count.
    fn forget(&mut self, seq: u64) -> Option<Entry<Loc>> {
        let e = self.idx.remove(seq)?;
        if let Some(b) = self.blocks.get_mut(&e.data.blk) {
            assert!(b.live > 0, "live count of block {}", e.data.blk);
            assert!(b.live_bytes >= u64::from(e.data.rlen));
            b.live -= 1;
            b.live_bytes -= u64::from(e.data.rlen);
        }
        Some(e)
    }

    /// Removes live messages with tombstones; returns how many.
    fn remove_seqs(&mut self, seqs: &[u64]) -> Result<u64, StoreError> {
        let mut n = 0;
        for seq in seqs {
            if self.idx.get(*seq).is_none() {
                continue;
            }
            let ts = self.idx.last_ts();
            self.write_record(&Record::marker(Kind::Tombstone, *seq, ts, 0))?;
            self.forget(*seq);
            n += 1;
        }
        Ok(n)
    }

    /// Writes a compact marker: everything below `seq` is gone.
    fn compact_marker(&mut self, seq: u64) -> Result<u64, StoreError> {
        let ts = self.idx.last_ts();
        self.write_record(&Record::marker(Kind::Compact, seq, ts, 0))?;
        let seqs = self.idx.seqs_in(0, seq.saturating_sub(1));
        for s in &seqs {
            self.forget(*s);
        }
        self.idx.compact_to(seq);
        Ok(seqs.len() as u64)
    }

    /// Removes whole dead blocks from the front (never the active one, and
    /// never past a quarantined one), after their death is durable.
    fn gc_front_blocks(&mut self) -> Result<(), StoreError> {
        while self.blocks.len() > 1 {
            let (&index, b) = self.blocks.iter().next().expect("more than one block");
            if b.live > 0 || b.quarantined || b.unsynced() || Some(index) == self.active {
                break;
            }
            let file = b.file;
            let path = self.block_path(index);
            self.storage.close(file);
            self.blocks.remove(&index);
            self.chunk_cache = None;
            if let Err(e) = self.storage.remove(&path) {
                return self.fail(e);
            }
            self.dir_dirty = true;
        }
        self.sync_msgs_dir()
    }
}

impl<S: Storage> StreamStore for FileStore<S> {
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
        self.check_failed()?;
        if seq != self.idx.last_seq() + 1 {
            return Err(StoreError::SequenceMismatch);
        }
        if subj.is_empty() || subj.len() > u16::MAX as usize {
            return Err(StoreError::BadRequest(format!(
                "subject length {}",
                subj.len()
            )));
        }
        if RECORD_MIN_LEN + subj.len() + hdr.len() + msg.len() > RECORD_LEN_MAX {
            return Err(StoreError::MsgTooLarge);
        }
        let size = msg_size(subj, hdr, msg);
        limits::check_store(&self.idx, &self.cfg, subj, size, hdr.len() + msg.len())?;
        let ttl = if self.cfg.allow_msg_ttl { ttl } else { 0 };
        let r = Record {
            kind: Kind::Msg,
            seq,
            ts,
            aux: ttl,
            subj: subj.as_bytes().to_vec(),
            hdr: hdr.to_vec(),
            msg: msg.to_vec(),
        };
        let loc = self.write_record(&r)?;
        self.blocks.get_mut(&loc.blk).expect("just written").add_msg(seq, loc.rlen, true);
        self.idx.insert(
            seq,
            Entry {
                subj: subj.to_string(),
                ts,
                ttl,
                size,
                data: loc,
            },
        );
        let evict = limits::to_evict(&self.idx, &self.cfg, Some(subj));
        self.remove_seqs(&evict)?;
        Ok(())
    }

    fn skip_msg(&mut self, seq: u64, now: UnixNanos) -> Result<u64, StoreError> {
        self.skip_msgs(seq, 1, now)?;
        Ok(seq)
    }

    fn skip_msgs(&mut self, seq: u64, num: u64, now: UnixNanos) -> Result<(), StoreError> {
        self.check_failed()?;
        if seq != self.idx.last_seq() + 1 {
            return Err(StoreError::SequenceMismatch);
        }
        if num == 0 {
            return Ok(());
        }
        let count = i64::try_from(num).map_err(|_| StoreError::BadRequest("skip count".into()))?;
        self.write_record(&Record::marker(Kind::Skip, seq, now, count))?;
        self.idx.skip(seq + num - 1, now);
        Ok(())
    }

    fn load_msg(&mut self, seq: u64) -> Result<StoreMsg, StoreError> {
        if seq == 0 || seq > self.idx.last_seq() {
            return Err(StoreError::Eof);
        }
        self.read_msg(seq)
    }

    fn load_next_msg(
        &mut self,
        filter: &str,
        _wc: bool,
        start: u64,
    ) -> Result<(StoreMsg, u64), StoreError> {
        let seq = self.idx.next_match(&[filter], start);
        self.lookup(seq)
    }

    fn load_next_msg_multi(
        &mut self,
        filters: &[&str],
        start: u64,
    ) -> Result<(StoreMsg, u64), StoreError> {
        let seq = self.idx.next_match(filters, start);
        self.lookup(seq)
    }

    fn load_last_msg(&mut self, subj: &str) -> Result<StoreMsg, StoreError> {
        let seq = self.idx.last_match(subj).ok_or(StoreError::MsgNotFound)?;
        self.read_msg(seq)
    }

    fn remove_msg(&mut self, seq: u64) -> Result<bool, StoreError> {
        self.check_failed()?;
        Ok(self.remove_seqs(&[seq])? == 1)
    }

    fn erase_msg(&mut self, seq: u64) -> Result<bool, StoreError> {
        self.check_failed()?;
        let Some(loc) = self.idx.get(seq).map(|e| e.data) else {
            return Ok(false);
        };
        self.remove_seqs(&[seq])?;
        let blk = self
            .blocks
            .get(&loc.blk)
            .expect("index points at a live block");
        if loc.inner.is_some() {
            // A chunk cannot be overwritten in place: make the removal
            // durable, then rewrite the block without the message (a
            // quarantined block is kept as evidence and not rewritten).
            self.flush()?;
            if self.blocks.contains_key(&loc.blk) {
                self.rewrite_block(loc.blk)?;
            }
            return Ok(true);
        }
        let file = blk.file;
        let zeros = vec![0u8; loc.len as usize - blk.codec.overhead() - RECORD_MIN_LEN];
        let erased = Record {
            kind: Kind::Erased,
            seq,
            ts: 0,
            aux: 0,
            subj: vec![],
            hdr: vec![],
            msg: zeros,
        };
        let blk = self.blocks.get_mut(&loc.blk).expect("live block");
        let bytes = blk.codec.encode_one(&erased, &mut self.prng);
        assert_eq!(bytes.len(), loc.len as usize, "erase keeps the length");
        blk.dirty = true;
        blk.msg_bytes -= u64::from(loc.rlen);
        if let Err(e) = self.storage.write_at(file, loc.off, &bytes) {
            return self.fail(e);
        }
        Ok(true)
    }

    fn purge(&mut self) -> Result<u64, StoreError> {
        self.check_failed()?;
        let next = self.idx.last_seq() + 1;
        self.compact_marker(next)
    }

    fn purge_ex(&mut self, subject: &str, seq: u64, keep: u64) -> Result<u64, StoreError> {
        if is_full_wildcard(subject) && seq == 0 && keep == 0 {
            return self.purge();
        }
        let seqs = limits::purge_ex_seqs(&self.idx, subject, seq, keep);
        self.remove_seqs(&seqs)
    }

    fn compact(&mut self, seq: u64) -> Result<u64, StoreError> {
        self.check_failed()?;
        if seq == 0 {
            return self.purge();
        }
        if self.idx.first_seq() >= seq && self.idx.msgs() > 0 {
            return Ok(0);
        }
        self.compact_marker(seq)
    }

    fn truncate(&mut self, seq: u64) -> Result<(), StoreError> {
        self.check_failed()?;
        let ts = self.idx.last_ts();
        self.write_record(&Record::marker(Kind::Truncate, seq, ts, 0))?;
        for s in self.idx.seqs_in(seq + 1, u64::MAX) {
            self.forget(s);
        }
        self.idx.truncate_to(seq);
        self.durable_seq = self.durable_seq.min(seq);
        Ok(())
    }

    fn expire_msgs(&mut self, now: UnixNanos) -> Result<u64, StoreError> {
        let seqs = limits::expired(&self.idx, &self.cfg, now);
        self.remove_seqs(&seqs)
    }

    fn next_expiry(&self) -> Option<UnixNanos> {
        limits::next_expiry(&self.idx, &self.cfg)
    }

    fn flush(&mut self) -> Result<u64, StoreError> {
        self.check_failed()?;
        let target = self.idx.last_seq();
        // Blocks whose deferred sync is still running are synced here too:
        // this call promises durability now. They stay `syncing` until
        // `finish_flush`: their handles are still out, so garbage collection
        // and reclaim must not close (or replace) their files meanwhile.
        let unsynced: Vec<u64> = self
            .blocks
            .iter()
            .filter(|(_, b)| b.unsynced())
            .map(|(i, _)| *i)
            .collect();
        for index in unsynced {
            let file = self.blocks[&index].file;
            if let Err(e) = self.storage.sync(file) {
                return self.fail(e);
            }
            self.blocks.get_mut(&index).expect("listed above").dirty = false;
        }
        self.sync_msgs_dir()?;
        self.durable_seq = target;
        self.gc_front_blocks()?;
        self.reclaim()?;
        Ok(self.durable_seq)
    }

    fn begin_flush(&mut self) -> Result<(u64, Vec<Box<dyn SyncHandle>>), StoreError> {
        self.check_failed()?;
        let target = self.idx.last_seq();
        let dirty: Vec<u64> = self
            .blocks
            .iter()
            .filter(|(_, b)| b.dirty)
            .map(|(i, _)| *i)
            .collect();
        let mut handles = Vec::new();
        let mut covered = Vec::new();
        for index in dirty {
            let file = self.blocks[&index].file;
            let b = match self.storage.sync_handle(file) {
                Some(h) => {
                    handles.push(h);
                    covered.push(index);
                    let b = self.blocks.get_mut(&index).expect("listed above");
                    b.syncing += 1;
                    b
                }
                None => {
                    if let Err(e) = self.storage.sync(file) {
                        return self.fail(e);
                    }
                    self.blocks.get_mut(&index).expect("listed above")
                }
            };
            b.dirty = false;
        }
        // New block files are rare: their directory entries sync in place.
        self.sync_msgs_dir()?;
        if handles.is_empty() {
            if self.flushing.is_empty() {
                self.durable_seq = target;
                self.gc_front_blocks()?;
                self.reclaim()?;
            }
            // Else durability advances in order: the last flush in progress
            // now also stands for this one (synced in place already).
            if let Some(last) = self.flushing.back_mut() {
                last.0 = last.0.max(target);
            }
        } else {
            self.flushing.push_back((target, covered));
        }
        Ok((target, handles))
    }

    fn finish_flush(&mut self, target: u64, results: &[Result<(), StorageError>]) -> Result<u64, StoreError> {
        if let Some(e) = results.iter().find_map(|r| r.as_ref().err()) {
            // Durability of everything the batch covered is unknown.
            return self.fail(e.clone());
        }
        self.check_failed()?;
        // Flushes finish in the order they began.
        let Some((begun, covered)) = self.flushing.pop_front() else {
            return Ok(self.durable_seq);
        };
        // The store's own record: a later flush synced in place may have
        // raised it.
        let target = begun.max(target);
        for index in covered {
            if let Some(b) = self.blocks.get_mut(&index) {
                b.syncing = b.syncing.saturating_sub(1);
            }
        }
        // A truncate since the flush began may have cut below the target.
        self.durable_seq = self.durable_seq.max(target.min(self.idx.last_seq()));
        self.gc_front_blocks()?;
        self.reclaim()?;
        Ok(self.durable_seq)
    }

    fn durable_seq(&self) -> u64 {
        self.durable_seq
    }

    fn state(&self) -> StreamState {
        let mut st = self.idx.state();
        st.lost = self.report.lost.clone();
        st
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
        self.cfg.max_msgs = cfg.max_msgs;
        self.cfg.max_bytes = cfg.max_bytes;
        self.cfg.max_age = cfg.max_age;
        self.cfg.max_msgs_per_subject = cfg.max_msgs_per_subject;
        self.cfg.max_msg_size = cfg.max_msg_size;
        self.cfg.discard = cfg.discard;
        self.cfg.discard_new_per = cfg.discard_new_per;
        self.cfg.allow_msg_ttl = cfg.allow_msg_ttl;
        let evict = limits::to_evict(&self.idx, &self.cfg, None);
        self.remove_seqs(&evict)?;
        self.expire_msgs(now)?;
        Ok(())
    }

    fn check_invariants(&self) {
        self.idx.check_invariants();
        assert!(
            self.durable_seq <= self.idx.last_seq()
                || self.idx.last_seq() == 0
                || self.durable_seq == 0
        );
        let mut live: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
        for (_, e) in self.idx.iter() {
            let l = live.entry(e.data.blk).or_default();
            l.0 += 1;
            l.1 += u64::from(e.data.rlen);
            let b = self
                .blocks
                .get(&e.data.blk)
                .expect("a live message's block exists");
            assert!(e.data.off >= b.hdr_len && e.data.off + u64::from(e.data.len) <= b.len);
            assert!(!b.codec.compressed || e.data.inner.is_some(), "compressed blocks hold chunks");
        }
        for (index, b) in &self.blocks {
            let (n, bytes) = live.get(index).copied().unwrap_or((0, 0));
            assert_eq!(b.live, n, "live count of block {index}");
            assert_eq!(b.live_bytes, bytes, "live bytes of block {index}");
            assert!(b.live_bytes <= b.msg_bytes, "block {index}: live within written");
            assert_eq!(b.id.index, *index);
        }
        if let Some(a) = self.active {
            assert!(self.blocks.contains_key(&a), "active block exists");
            assert_eq!(
                self.blocks.keys().next_back(),
                Some(&a),
                "active is the last block"
            );
        }
    }
}

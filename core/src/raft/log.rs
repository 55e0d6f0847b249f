//! The Raft log: [`RaftLog`], the in-memory view a node works on, and
//! [`LogStore`], its persistence over the [`Storage`] trait with per-entry
//! checksums and crash recovery.
//!
//! # Files (under the group's directory `dir`)
//!
//! - `dir/log`: append-only records, one per entry:
//!   `magic:u32 "RLOG" len:u32 crc:u32 | term:u64 index:u64 prev_crc:u32 type:u8 data`,
//!   `crc` covering the payload after it and `prev_crc` the previous record's
//!   crc (a chain: a stale sector that rolled back to an old but
//!   well-formed record still breaks it).
//! - `dir/meta`: two 64-byte slots, each
//!   `magic seq term vote hwm_index hwm_term repair crc`, both rewritten with the
//!   same contents by one write and one fsync (they share a sector, which
//!   is written whole or not at all). The newest valid slot wins, so damage
//!   to one slot at rest loses nothing. `hwm_*` is
//!   the log's last entry after the last completed sync: everything up to
//!   it may have been acknowledged to a leader. The meta file is created
//!   and synced (term 0) before anything else, so a meta file with
//!   no valid slot is always damage, never a new node.
//! - `dir/snap`: the newest [`Snapshot`] (its own checksummed encoding),
//!   written as `snap.tmp`, synced, renamed over `snap`, directory synced.
//!   The log file is then rewritten (`log.tmp`, same dance) to hold only
//!   the entries after the snapshot. A crash in between leaves entries at or
//!   below the snapshot in the log; recovery skips them.
//!
//! # Recovery: torn tail versus damage
//!
//! Records are read in order while each one is well-formed, its checksum
//! matches, its index is the next one and its chain link is right. At the
//! first record that is not:
//!
//! - if no well-formed record follows anywhere in the rest of the file, it
//!   is a *torn tail* (a crash during an unsynced append): cut off;
//! - otherwise it is *mid-log corruption*: the good prefix is kept, and the
//!   node must repair up to the highest index seen after the damage.
//!
//! Either way, if the log now ends before the meta's high-water mark, the
//! disk lost data that was synced (and possibly acknowledged), so the node
//! must repair up to the mark. A node under repair neither votes nor counts
//! toward a quorum (see [`Recovered::repair_index`]).
//!
//! # Damaged snapshot, damaged meta
//!
//! A `snap` that fails its checksum is never used and never deleted: it is
//! renamed `snap.corrupt`. If the log still starts at index 1 nothing is
//! lost; otherwise the log (whose base is gone) is set aside as
//! `log.orphan`, the node starts empty and repairs up to the highest index
//! it knew of (the leader sends it a snapshot or the log). If both meta
//! slots are damaged the node's term and vote are unknown, so it could
//! vote twice in a term: [`LogStore::open`] refuses with
//! [`OpenError::MetaLost`] (docs/RAFT.md).

use super::messages::{Entry, EntryType, LogEntry, NodeId};
use super::ready::{HardState, Ready};
use super::snapshot::Snapshot;
use crate::storage::{FileId, Storage, StorageError, StorageErrorKind};
use std::fmt;

/// The in-memory log: entries after a base (`snap_index`, `snap_term`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RaftLog {
    snap_index: u64,
    snap_term: u64,
    entries: Vec<LogEntry>,
}

impl RaftLog {
    pub fn new(snap_index: u64, snap_term: u64, entries: Vec<LogEntry>) -> RaftLog {
        let log = RaftLog { snap_index, snap_term, entries };
        log.check();
        log
    }

    /// The log's structural invariants (programmer errors if broken).
    pub fn check(&self) {
        let mut prev_term = self.snap_term;
        for (i, e) in self.entries.iter().enumerate() {
            assert_eq!(e.index, self.snap_index + 1 + i as u64, "log indexes not contiguous");
            assert!(e.term >= prev_term, "log terms decrease at {}", e.index);
            prev_term = e.term;
        }
    }

    pub fn snap_index(&self) -> u64 {
        self.snap_index
    }

    pub fn snap_term(&self) -> u64 {
        self.snap_term
    }

    pub fn last_index(&self) -> u64 {
        self.snap_index + self.entries.len() as u64
    }

    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(self.snap_term, |e| e.term)
    }

    /// The term of the entry at `index`: known for the base and the entries.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == self.snap_index {
            return Some(self.snap_term);
        }
        self.get(index).map(|e| e.term)
    }

    pub fn get(&self, index: u64) -> Option<&LogEntry> {
        if index <= self.snap_index {
            return None;
        }
        self.entries.get((index - self.snap_index - 1) as usize)
    }

    pub fn entries(&self) -> &[LogEntry] {
        &self.entries
    }

    /// Up to `max` entries from `from` on.
    pub fn slice(&self, from: u64, max: usize) -> Vec<Entry> {
        let start = from.saturating_sub(self.snap_index + 1) as usize;
        self.entries
            .iter()
            .skip(start)
            .take(max)
            .map(|e| e.entry.clone())
            .collect()
    }

    pub fn append(&mut self, e: LogEntry) {
        assert_eq!(e.index, self.last_index() + 1, "append out of order");
        assert!(e.term >= self.last_term(), "append with an older term");
        self.entries.push(e);
    }

    /// Removes every entry at or above `index` (which must be after the base).
    pub fn truncate_from(&mut self, index: u64) {
        assert!(index > self.snap_index, "truncation into the snapshot");
        self.entries.truncate((index - self.snap_index - 1) as usize);
    }

    /// Drops the entries up to `index` (which must be in the log or the
    /// base); the log then starts after it.
    pub fn compact(&mut self, index: u64) {
        if index <= self.snap_index {
            return;
        }
        let term = self.term_at(index).expect("compaction point in the log");
        self.entries.drain(..(index - self.snap_index) as usize);
        self.snap_index = index;
        self.snap_term = term;
    }

    /// Replaces everything with an empty log after (`index`, `term`).
    pub fn reset(&mut self, index: u64, term: u64) {
        self.entries.clear();
        self.snap_index = index;
        self.snap_term = term;
    }

    /// Raft's up-to-date rule: a log ending at (`last_term`, `last_index`)
    /// is at least as up to date as this one.
    pub fn is_up_to_date(&self, last_term: u64, last_index: u64) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }
}

const REC_MAGIC: u32 = 0x474f_4c52; // "RLOG" little-endian
const REC_HEADER_LEN: usize = 12;
const REC_FIXED_LEN: usize = 8 + 8 + 4 + 1;
/// Larger records are treated as damage.
const REC_DATA_MAX: usize = 64 << 20;
const META_MAGIC: u32 = 0x4154_4d52; // "RMTA"
const META_SLOT_LEN: u64 = 64;
const META_BODY_LEN: usize = 4 + 8 * 6;

/// Encodes one log record; returns the bytes and the record's crc.
pub fn encode_record(e: &LogEntry, prev_crc: u32) -> (Vec<u8>, u32) {
    let mut payload = Vec::with_capacity(REC_FIXED_LEN + e.entry.data.len());
    payload.extend_from_slice(&e.term.to_le_bytes());
    payload.extend_from_slice(&e.index.to_le_bytes());
    payload.extend_from_slice(&prev_crc.to_le_bytes());
    payload.push(e.entry.entry_type as u8);
    payload.extend_from_slice(&e.entry.data);
    let crc = crc32fast::hash(&payload);
    let mut out = Vec::with_capacity(REC_HEADER_LEN + payload.len());
    out.extend_from_slice(&REC_MAGIC.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&payload);
    (out, crc)
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    u64::from_le_bytes(a)
}

/// A well-formed record at `pos`: the entry, its prev_crc, its crc, its length.
fn decode_record(buf: &[u8], pos: usize) -> Option<(LogEntry, u32, u32, usize)> {
    let hdr = buf.get(pos..pos + REC_HEADER_LEN)?;
    if u32_at(hdr, 0) != REC_MAGIC {
        return None;
    }
    let len = u32_at(hdr, 4) as usize;
    if !(REC_FIXED_LEN..=REC_FIXED_LEN + REC_DATA_MAX).contains(&len) {
        return None;
    }
    let start = pos + REC_HEADER_LEN;
    let payload = buf.get(start..start + len)?;
    let crc = u32_at(hdr, 8);
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let entry_type = EntryType::from_u8(payload[20])?;
    let e = LogEntry {
        term: u64_at(payload, 0),
        index: u64_at(payload, 8),
        entry: Entry { entry_type, data: payload[REC_FIXED_LEN..].to_vec() },
    };
    Some((e, u32_at(payload, 16), crc, REC_HEADER_LEN + len))
}

/// What recovery found, for reports and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Bytes cut off as a torn tail.
    pub torn_tail_bytes: u64,
    /// Byte offset of mid-log corruption (well-formed records follow it).
    pub corrupt_at: Option<u64>,
    /// Neither meta slot was valid although the log was not empty.
    pub meta_damaged: bool,
    /// The log ended before the high-water mark.
    pub lost_synced: bool,
    /// The snapshot file failed its checksum (kept as `snap.corrupt`).
    pub snapshot_corrupt: bool,
    /// The log could not be used (its base is gone or it has a gap): it
    /// was set aside as `log.orphan` and the node starts empty.
    pub log_orphaned: bool,
}

/// The state a node restarts from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    pub hard_state: HardState,
    pub entries: Vec<LogEntry>,
    /// `Some(i)`: the log lost or damaged entries up to index `i`. The node
    /// must not vote or count toward a quorum until it holds a log that
    /// matches a current leader's through `i`.
    pub repair_index: Option<u64>,
    pub report: RecoveryReport,
    /// The snapshot the log starts after: the state machine loads it
    /// before applying anything.
    pub snapshot: Option<Snapshot>,
}

impl Recovered {
    /// A brand-new node.
    pub fn empty() -> Recovered {
        Recovered::default()
    }
}

/// Why [`LogStore::open`] refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenError {
    Storage(StorageError),
    /// Both meta slots are damaged: the node's term and vote are unknown,
    /// and a node that forgot its vote may vote twice in one term. It must
    /// not start. If it never ran, remove its directory; otherwise remove
    /// it from the group, wipe it and add it back as a new peer.
    MetaLost { dir: String },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Storage(e) => write!(f, "raft log: {e}"),
            OpenError::MetaLost { dir } => write!(
                f,
                "raft log {dir}: both meta slots are damaged, so this node's term and vote \
                 are unknown and it could vote twice in a term; refusing to start. If the \
                 node never ran, remove {dir}; otherwise remove the peer from its group, \
                 wipe {dir} and add it back as a new peer"
            ),
        }
    }
}

impl std::error::Error for OpenError {}

impl From<StorageError> for OpenError {
    fn from(e: StorageError) -> OpenError {
        OpenError::Storage(e)
    }
}

/// Test-only switches that plant known bugs in recovery.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryBugs {
    /// Treat every damaged or lost suffix as a harmless torn tail.
    pub truncate_without_repair: bool,
}

/// The persisted log of one Raft group over a [`Storage`].
#[derive(Debug)]
pub struct LogStore {
    dir: String,
    log: FileId,
    meta: FileId,
    /// (index, byte offset, crc) of every record in the log file.
    records: Vec<(u64, u64, u32)>,
    file_len: u64,
    meta_seq: u64,
    hard: HardState,
    hwm: (u64, u64),
    /// The repair index last written (0: none).
    repair: u64,
}

fn read_all(s: &mut dyn Storage, f: FileId) -> Result<Vec<u8>, StorageError> {
    let len = s.len(f)? as usize;
    let mut buf = vec![0u8; len];
    let mut got = 0;
    while got < len {
        let n = s.read_at(f, got as u64, &mut buf[got..])?;
        if n == 0 {
            buf.truncate(got);
            break;
        }
        got += n;
    }
    Ok(buf)
}

/// Decodes the newest valid meta slot: (seq, hard state, hwm).
/// A decoded meta slot.
#[derive(Copy, Clone, Debug)]
struct Meta {
    seq: u64,
    hard: HardState,
    hwm: (u64, u64),
    /// The repair index when written (0: repaired).
    repair: u64,
}

fn read_meta(buf: &[u8]) -> Option<Meta> {
    let mut best: Option<Meta> = None;
    for slot in 0..2usize {
        let o = slot * META_SLOT_LEN as usize;
        let Some(b) = buf.get(o..o + META_BODY_LEN + 4) else {
            continue;
        };
        if u32_at(b, 0) != META_MAGIC || u32_at(b, META_BODY_LEN) != crc32fast::hash(&b[..META_BODY_LEN]) {
            continue;
        }
        let seq = u64_at(b, 4);
        let vote = u64_at(b, 20);
        let hs = HardState { term: u64_at(b, 12), vote: (vote != 0).then_some(vote) };
        if best.as_ref().is_none_or(|x| seq > x.seq) {
            best = Some(Meta { seq, hard: hs, hwm: (u64_at(b, 28), u64_at(b, 36)), repair: u64_at(b, 44) });
        }
    }
    best
}

fn exists(s: &mut dyn Storage, path: &str) -> Result<bool, StorageError> {
    match s.open(path, false) {
        Ok(f) => {
            s.close(f);
            Ok(true)
        }
        Err(e) if e.kind == StorageErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

fn read_path(s: &mut dyn Storage, path: &str) -> Result<Vec<u8>, StorageError> {
    let f = s.open(path, false)?;
    let r = read_all(s, f);
    s.close(f);
    r
}

/// Writes `data` to `path` through `path.tmp`: write, fsync, rename,
/// fsync of the directory.
fn replace_file(s: &mut dyn Storage, dir: &str, path: &str, data: &[u8]) -> Result<(), StorageError> {
    let tmp = format!("{path}.tmp");
    let f = s.open(&tmp, true)?;
    let r = s
        .truncate(f, 0)
        .and_then(|_| s.write_at(f, 0, data))
        .and_then(|_| s.sync(f));
    s.close(f);
    r?;
    s.rename(&tmp, path)?;
    s.sync_dir(dir)
}

fn encode_meta(seq: u64, hs: HardState, hwm: (u64, u64), repair: u64) -> Vec<u8> {
    let mut b = Vec::with_capacity(META_BODY_LEN + 4);
    b.extend_from_slice(&META_MAGIC.to_le_bytes());
    for v in [seq, hs.term, hs.vote.unwrap_or(0), hwm.0, hwm.1, repair] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

impl LogStore {
    /// Opens (creating if needed) the group's files under `dir` and
    /// recovers. Node ids must be non-zero (zero encodes "no vote").
    pub fn open(
        s: &mut dyn Storage,
        dir: &str,
        bugs: RecoveryBugs,
    ) -> Result<(LogStore, Recovered), OpenError> {
        let snap_path = format!("{dir}/snap");
        let meta_existed = exists(s, &format!("{dir}/meta"))?;
        let log_existed = exists(s, &format!("{dir}/log"))?;
        let snap_existed = exists(s, &snap_path)?;
        for tmp in ["snap.tmp", "log.tmp"] {
            // Never renamed into place, so never relied on.
            let p = format!("{dir}/{tmp}");
            if exists(s, &p)? {
                s.remove(&p)?;
            }
        }
        let log = s.open(&format!("{dir}/log"), true)?;
        let meta = s.open(&format!("{dir}/meta"), true)?;
        let meta_buf = read_all(s, meta)?;
        let mut st = LogStore {
            dir: dir.to_string(),
            log,
            meta,
            records: Vec::new(),
            file_len: 0,
            meta_seq: 0,
            hard: HardState::default(),
            hwm: (0, 0),
            repair: 0,
        };
        let mut rec = Recovered::default();
        match read_meta(&meta_buf) {
            Some(m) => {
                st.meta_seq = m.seq;
                st.hard = m.hard;
                st.hwm = m.hwm;
                st.repair = m.repair;
            }
            None if !meta_existed && !log_existed && !snap_existed => {
                // A new node: the meta goes first, so that from now on a
                // meta without a valid slot can only be damage.
                st.write_meta(s)?;
                s.sync_dir(dir)?;
            }
            None => return Err(OpenError::MetaLost { dir: dir.to_string() }),
        }
        let mut base = (0u64, 0u64);
        if snap_existed {
            match Snapshot::decode(&read_path(s, &snap_path)?) {
                Ok(snap) => {
                    base = (snap.index, snap.term);
                    rec.snapshot = Some(snap);
                }
                Err(_) => {
                    rec.report.snapshot_corrupt = true;
                    s.rename(&snap_path, &format!("{dir}/snap.corrupt"))?;
                    s.sync_dir(dir)?;
                }
            }
        }
        let buf = read_all(s, log)?;
        let (pos, max_seen) = st.scan(&buf, base.0, &mut rec);
        let mut repair = None;
        if pos < buf.len() {
            match max_seen {
                Some(m) => {
                    rec.report.corrupt_at = Some(pos as u64);
                    repair = Some(m);
                }
                None => rec.report.torn_tail_bytes = (buf.len() - pos) as u64,
            }
            s.truncate(log, pos as u64)?;
        }
        st.file_len = pos as u64;
        let first = st.records.first().map(|r| r.0);
        if first.is_some_and(|f| f > base.0 + 1) {
            // The entries before the log's first one are neither in the log
            // nor in a (valid) snapshot: the log cannot be used. Keep it
            // aside and start empty.
            rec.report.log_orphaned = true;
            let seen = st.records.last().map_or(0, |r| r.0);
            repair = Some(repair.unwrap_or(0).max(seen));
            rec.entries.clear();
            st.records.clear();
            st.file_len = 0;
            s.close(st.log);
            s.rename(&format!("{dir}/log"), &format!("{dir}/log.orphan"))?;
            st.log = s.open(&format!("{dir}/log"), true)?;
            s.sync_dir(dir)?;
        }
        if st.repair > 0 {
            // The node was still repairing when it last wrote its meta.
            repair = Some(repair.unwrap_or(0).max(st.repair));
        }
        let last = rec.entries.last().map_or(base.0, |e| e.index);
        if st.hwm.0 > last {
            rec.report.lost_synced = true;
            repair = Some(repair.unwrap_or(0).max(st.hwm.0));
        }
        if bugs.truncate_without_repair {
            repair = None;
        }
        rec.hard_state = st.hard;
        rec.repair_index = repair;
        s.sync_dir(dir)?;
        Ok((st, rec))
    }

    /// Reads the good prefix into `rec` (entries after `base` only; those
    /// at or below it are still recorded, to be compacted away); returns
    /// where it ends and, if well-formed records follow a damaged one, the
    /// highest index among them.
    fn scan(&mut self, buf: &[u8], base: u64, rec: &mut Recovered) -> (usize, Option<u64>) {
        let mut pos = 0usize;
        let mut prev: Option<(u64, u64, u32)> = None; // index, term, crc
        while let Some((e, prev_crc, crc, n)) = decode_record(buf, pos) {
            let linked = match prev {
                None => true,
                Some((i, t, c)) => e.index == i + 1 && e.term >= t && prev_crc == c,
            };
            if !linked {
                break;
            }
            self.records.push((e.index, pos as u64, crc));
            prev = Some((e.index, e.term, crc));
            if e.index > base {
                rec.entries.push(e);
            }
            pos += n;
        }
        let last = prev.map_or(0, |p| p.0);
        let mut max_seen = None;
        let mut q = pos + 1;
        while q + REC_HEADER_LEN <= buf.len() {
            match decode_record(buf, q) {
                Some((e, _, _, n)) => {
                    if e.index > last {
                        max_seen = Some(max_seen.unwrap_or(0).max(e.index));
                    }
                    q += n;
                }
                None => q += 1,
            }
        }
        (pos, max_seen)
    }

    fn write_meta(&mut self, s: &mut dyn Storage) -> Result<(), StorageError> {
        let mut b = encode_meta(self.meta_seq, self.hard, self.hwm, self.repair);
        b.resize(META_SLOT_LEN as usize, 0);
        let twice = [b.as_slice(), b.as_slice()].concat();
        s.write_at(self.meta, 0, &twice)?;
        s.sync(self.meta)
    }

    /// Makes `snap` durable, then rewrites the log file without the
    /// records at or below it.
    fn save_snapshot(&mut self, s: &mut dyn Storage, snap: &Snapshot) -> Result<(), StorageError> {
        let dir = self.dir.clone();
        replace_file(s, &dir, &format!("{dir}/snap"), &snap.encode())?;
        let drop = self.records.partition_point(|r| r.0 <= snap.index);
        if drop == 0 {
            return Ok(());
        }
        let from = self.records.get(drop).map_or(self.file_len, |r| r.1);
        let mut tail = vec![0u8; (self.file_len - from) as usize];
        let mut got = 0;
        while got < tail.len() {
            let n = s.read_at(self.log, from + got as u64, &mut tail[got..])?;
            if n == 0 {
                return Err(StorageError::new(StorageErrorKind::Other, "raft log shorter than its records"));
            }
            got += n;
        }
        let log_path = format!("{dir}/log");
        replace_file(s, &dir, &log_path, &tail)?;
        s.close(self.log);
        self.log = s.open(&log_path, true)?;
        self.records.drain(..drop);
        for r in &mut self.records {
            r.1 -= from;
        }
        self.file_len -= from;
        Ok(())
    }

    pub fn hard_state(&self) -> HardState {
        self.hard
    }

    /// Applies the batch's truncation and appends (volatile until [`sync`](Self::sync)).
    pub fn write(&mut self, s: &mut dyn Storage, rd: &Ready) -> Result<(), StorageError> {
        if let Some(t) = rd.truncate_from {
            let keep = self.records.partition_point(|r| r.0 < t);
            if keep < self.records.len() {
                self.file_len = self.records[keep].1;
                self.records.truncate(keep);
                s.truncate(self.log, self.file_len)?;
            }
        }
        if rd.entries.is_empty() {
            return Ok(());
        }
        let mut out = Vec::new();
        let mut prev_crc = self.records.last().map_or(0, |r| r.2);
        for e in &rd.entries {
            let (bytes, crc) = encode_record(e, prev_crc);
            self.records.push((e.index, self.file_len + out.len() as u64, crc));
            out.extend_from_slice(&bytes);
            prev_crc = crc;
        }
        s.write_at(self.log, self.file_len, &out)?;
        self.file_len += out.len() as u64;
        Ok(())
    }

    /// Makes the batch durable: fsync of the log, the snapshot (if any)
    /// and the log's compaction, then the meta slot with the hard state and
    /// the new high-water mark.
    pub fn sync(&mut self, s: &mut dyn Storage, rd: &Ready) -> Result<(), StorageError> {
        if !rd.has_writes() {
            return Ok(());
        }
        s.sync(self.log)?;
        if let Some(snap) = &rd.snapshot {
            self.save_snapshot(s, snap)?;
        }
        if let Some(hs) = rd.hard_state {
            self.hard = hs;
        }
        self.hwm = (rd.last_index, rd.last_term);
        self.repair = rd.repair_index.unwrap_or(0);
        self.meta_seq += 1;
        self.write_meta(s)
    }

    /// Both steps at once, for adapters that do not overlap them.
    pub fn persist(&mut self, s: &mut dyn Storage, rd: &Ready) -> Result<(), StorageError> {
        self.write(s, rd)?;
        self.sync(s, rd)
    }

    pub fn dir(&self) -> &str {
        &self.dir
    }
}

/// Encodes a peer set (the data of a PeerState entry).
pub fn encode_peers(peers: &[NodeId]) -> Vec<u8> {
    peers.iter().flat_map(|p| p.to_le_bytes()).collect()
}

/// Decodes a peer set; `None` if malformed.
pub fn decode_peers(data: &[u8]) -> Option<Vec<NodeId>> {
    if !data.len().is_multiple_of(8) {
        return None;
    }
    Some(data.chunks_exact(8).map(|c| u64_at(c, 0)).collect())
}

#[cfg(test)]
#[path = "log_tests.rs"]
pub(crate) mod tests;

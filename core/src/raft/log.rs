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
//! - `dir/meta`: two 64-byte slots written alternately, each
//!   `magic seq term vote hwm_index hwm_term crc`. The newest valid slot
//!   wins, so a torn slot write loses only the newest update. `hwm_*` is
//!   the log's last entry after the last completed sync: everything up to
//!   it may have been acknowledged to a leader.
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

use super::messages::{Entry, EntryType, LogEntry, NodeId};
use super::ready::{HardState, Ready};
use crate::storage::{FileId, Storage, StorageError};

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
const META_BODY_LEN: usize = 4 + 8 * 5;

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
}

impl Recovered {
    /// A brand-new node.
    pub fn empty() -> Recovered {
        Recovered::default()
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
fn read_meta(buf: &[u8]) -> Option<(u64, HardState, (u64, u64))> {
    let mut best: Option<(u64, HardState, (u64, u64))> = None;
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
        if best.as_ref().is_none_or(|x| seq > x.0) {
            best = Some((seq, hs, (u64_at(b, 28), u64_at(b, 36))));
        }
    }
    best
}

impl LogStore {
    /// Opens (creating if needed) the group's files under `dir` and
    /// recovers. Node ids must be non-zero (zero encodes "no vote").
    pub fn open(
        s: &mut dyn Storage,
        dir: &str,
        bugs: RecoveryBugs,
    ) -> Result<(LogStore, Recovered), StorageError> {
        let log = s.open(&format!("{dir}/log"), true)?;
        let meta = s.open(&format!("{dir}/meta"), true)?;
        let meta_buf = read_all(s, meta)?;
        let buf = read_all(s, log)?;
        let mut st = LogStore {
            dir: dir.to_string(),
            log,
            meta,
            records: Vec::new(),
            file_len: 0,
            meta_seq: 0,
            hard: HardState::default(),
            hwm: (0, 0),
        };
        let mut rec = Recovered::default();
        let (pos, max_seen) = st.scan(&buf, &mut rec);
        let last = rec.entries.last().map_or(0, |e| e.index);
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
        match read_meta(&meta_buf) {
            Some((seq, hs, hwm)) => {
                st.meta_seq = seq;
                st.hard = hs;
                st.hwm = hwm;
                if hwm.0 > last {
                    rec.report.lost_synced = true;
                    repair = Some(repair.unwrap_or(0).max(hwm.0));
                }
            }
            None if !buf.is_empty() || !meta_buf.is_empty() => {
                rec.report.meta_damaged = true;
                st.hard.term = rec.entries.last().map_or(0, |e| e.term);
                repair = Some(repair.unwrap_or(0).max(last).max(1));
            }
            None => {}
        }
        if bugs.truncate_without_repair {
            repair = None;
        }
        rec.hard_state = st.hard;
        rec.repair_index = repair;
        s.sync_dir(dir)?;
        Ok((st, rec))
    }

    /// Reads the good prefix into `rec`; returns where it ends and, if
    /// well-formed records follow a damaged one, the highest index among them.
    fn scan(&mut self, buf: &[u8], rec: &mut Recovered) -> (usize, Option<u64>) {
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
            rec.entries.push(e);
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

    /// Makes the batch durable: fsync of the log, then the meta slot with
    /// the hard state and the new high-water mark.
    pub fn sync(&mut self, s: &mut dyn Storage, rd: &Ready) -> Result<(), StorageError> {
        if !rd.has_writes() {
            return Ok(());
        }
        s.sync(self.log)?;
        if let Some(hs) = rd.hard_state {
            self.hard = hs;
        }
        self.hwm = (rd.last_index, rd.last_term);
        self.meta_seq += 1;
        let mut b = Vec::with_capacity(META_BODY_LEN + 4);
        b.extend_from_slice(&META_MAGIC.to_le_bytes());
        for v in [self.meta_seq, self.hard.term, self.hard.vote.unwrap_or(0), self.hwm.0, self.hwm.1] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        let slot = self.meta_seq % 2;
        s.write_at(self.meta, slot * META_SLOT_LEN, &b)?;
        s.sync(self.meta)
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
mod tests;

//! Snapshots: the state machine's state at a committed index, with the
//! peer set at that index, so the log below it can be compacted and a
//! follower that is behind the leader's log can be caught up.
//!
//! Encoding (also the on-disk `snap` file and the data of an
//! [`EntryType::Snapshot`](super::messages::EntryType::Snapshot) entry):
//!
//! ```text
//! magic:u32 "RSNP" crc:u32 (over the rest) index:u64 term:u64
//!   n:u32 voter:u64*n m:u32 observer:u64*m data
//! ```
//!
//! A leader sends it to a follower that needs entries it replaced in
//! chunks of [`RaftConfig::snapshot_chunk_size`](super::RaftConfig) bytes, each
//! checksummed ([`encode_chunk`]), one at a time: the follower acknowledges
//! each chunk with the offset it wants next (an [`AppendEntryResponse`]
//! with `snapshot` set, sent at once), assembles them, verifies the whole
//! snapshot's checksum, installs it and acknowledges its index like an
//! append (after the install is durable). A damaged chunk or snapshot is
//! dropped and asked for again; it is never installed.

use super::messages::{AppendEntry, AppendEntryResponse, Entry, EntryType, LogEntry, Message, NodeId};
use super::node::RaftNode;
use crate::time::Instant;

const SNAP_MAGIC: u32 = 0x504e_5352; // "RSNP" little-endian
const SNAP_HEADER_LEN: usize = 4 + 4 + 8 + 8 + 4;

/// A snapshot of the state machine at (`index`, `term`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub index: u64,
    pub term: u64,
    /// The voting peers as of `index`.
    pub voters: Vec<NodeId>,
    /// The non-voting members as of `index`.
    pub observers: Vec<NodeId>,
    /// The state machine's own bytes.
    pub data: Vec<u8>,
}

/// A snapshot that failed its checksum or framing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BadSnapshot;

impl Snapshot {
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(SNAP_HEADER_LEN + self.data.len() + 8 * self.voters.len());
        body.extend_from_slice(&self.index.to_le_bytes());
        body.extend_from_slice(&self.term.to_le_bytes());
        for set in [&self.voters, &self.observers] {
            let n = u32::try_from(set.len()).unwrap_or(u32::MAX);
            body.extend_from_slice(&n.to_le_bytes());
            for v in set.iter().take(n as usize) {
                body.extend_from_slice(&v.to_le_bytes());
            }
        }
        body.extend_from_slice(&self.data);
        let mut out = Vec::with_capacity(body.len() + 8);
        out.extend_from_slice(&SNAP_MAGIC.to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Decodes and verifies; any damage is [`BadSnapshot`].
    pub fn decode(buf: &[u8]) -> Result<Snapshot, BadSnapshot> {
        if buf.len() < SNAP_HEADER_LEN {
            return Err(BadSnapshot);
        }
        let u32_at = |o: usize| u32::from_le_bytes([buf[o], buf[o + 1], buf[o + 2], buf[o + 3]]);
        let u64_at = |o: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[o..o + 8]);
            u64::from_le_bytes(b)
        };
        if u32_at(0) != SNAP_MAGIC || u32_at(4) != crc32fast::hash(&buf[8..]) {
            return Err(BadSnapshot);
        }
        let (index, term) = (u64_at(8), u64_at(16));
        let mut at = SNAP_HEADER_LEN - 4;
        let mut sets = [Vec::new(), Vec::new()];
        for set in sets.iter_mut() {
            if at + 4 > buf.len() {
                return Err(BadSnapshot);
            }
            let n = u32_at(at) as usize;
            let end = n
                .checked_mul(8)
                .and_then(|b| b.checked_add(at + 4))
                .filter(|end| *end <= buf.len())
                .ok_or(BadSnapshot)?;
            *set = (0..n).map(|i| u64_at(at + 4 + 8 * i)).collect();
            at = end;
        }
        let [voters, observers] = sets;
        Ok(Snapshot { index, term, voters, observers, data: buf[at..].to_vec() })
    }
}

/// Why [`RaftNode::compact`] refused.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CompactError {
    /// The log already starts after this index.
    AlreadyCompacted,
    /// The index was not handed out as committed yet.
    NotApplied,
    /// A snapshot from the leader is waiting to be installed: the state
    /// machine's state is about to be replaced.
    InstallPending,
}

impl std::fmt::Display for CompactError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "raft compact: {self:?}")
    }
}

impl std::error::Error for CompactError {}

/// A leader's progress sending its snapshot to one follower.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct SnapSend {
    /// The snapshot's index (a newer snapshot restarts the transfer).
    pub index: u64,
    /// The byte offset the follower wants next.
    pub offset: u64,
    /// A chunk is on its way; the next one waits for its ack (or a
    /// heartbeat, which retransmits).
    pub inflight: bool,
}

/// A follower's snapshot under assembly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Incoming {
    pub index: u64,
    pub term: u64,
    pub total: u64,
    pub buf: Vec<u8>,
}

const CHUNK_HEADER_LEN: usize = 8 + 8 + 4;

/// One chunk of an encoded snapshot: the data of the single
/// [`EntryType::Snapshot`] entry of an append entry.
///
/// ```text
/// offset:u64 total:u64 crc:u32 (of the chunk bytes) bytes
/// ```
pub fn encode_chunk(offset: u64, total: u64, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(CHUNK_HEADER_LEN + bytes.len());
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
    out.extend_from_slice(bytes);
    out
}

/// `(offset, total, bytes)`, or `None` if malformed or the crc is wrong.
pub fn decode_chunk(data: &[u8]) -> Option<(u64, u64, &[u8])> {
    let hdr = data.get(..CHUNK_HEADER_LEN)?;
    let offset = u64::from_le_bytes(hdr[0..8].try_into().ok()?);
    let total = u64::from_le_bytes(hdr[8..16].try_into().ok()?);
    let crc = u32::from_le_bytes(hdr[16..20].try_into().ok()?);
    let bytes = &data[CHUNK_HEADER_LEN..];
    let end = offset.checked_add(bytes.len() as u64)?;
    (crc32fast::hash(bytes) == crc && end <= total).then_some((offset, total, bytes))
}

impl RaftNode {
    /// NRG's `InstallSnapshot`: the state machine's state after applying
    /// everything through `index` is `data`. The log through `index` is
    /// dropped (in memory now, on disk when the next [`Ready`]'s snapshot
    /// is persisted), and the snapshot is kept to catch up followers that
    /// need entries it replaced. `index` must have been handed out as
    /// committed and be beyond the current snapshot.
    ///
    /// [`Ready`]: super::Ready
    pub fn compact(&mut self, index: u64, data: Vec<u8>) -> Result<(), CompactError> {
        if index <= self.log.snap_index() {
            return Err(CompactError::AlreadyCompacted);
        }
        if index > self.applied {
            return Err(CompactError::NotApplied);
        }
        if self.pending.install_snapshot {
            return Err(CompactError::InstallPending);
        }
        let term = self.log.term_at(index).expect("an applied index is in the log");
        let (voters, observers) = self.members_through(index);
        let snap = Snapshot {
            index,
            term,
            voters: voters.into_iter().collect(),
            observers: observers.into_iter().collect(),
            data,
        };
        self.log.compact(index);
        self.set_snapshot(snap.clone());
        self.pending.snapshot = Some(snap);
        self.debug_check();
        Ok(())
    }

    /// The snapshot the log starts after, if any.
    pub fn last_snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    /// Snapshots from a leader that arrived whole but failed their
    /// checksum (and were dropped; the transfer restarts).
    pub fn snapshots_rejected(&self) -> u64 {
        self.snapshots_rejected
    }

    pub(super) fn set_snapshot(&mut self, snap: Snapshot) {
        self.snapshot_bytes = snap.encode();
        self.snapshot = Some(snap);
    }

    /// Leader: sends `to` the next chunk of the snapshot. Without
    /// `heartbeat`, only if no chunk is on its way.
    pub(super) fn send_snapshot(&mut self, to: NodeId, heartbeat: bool) {
        let Some(snap) = self.snapshot.as_ref() else {
            return;
        };
        let (index, term) = (snap.index, snap.term);
        let total = self.snapshot_bytes.len() as u64;
        let chunk_max = self.cfg.snapshot_chunk_size.max(1) as u64;
        let Some(pr) = self.progress.get_mut(&to) else {
            return;
        };
        let ss = match pr.snap_send {
            Some(ss) if ss.index == index => ss,
            _ => SnapSend { index, offset: 0, inflight: false },
        };
        if ss.inflight && !heartbeat {
            pr.snap_send = Some(ss);
            return;
        }
        pr.snap_send = Some(SnapSend { inflight: true, ..ss });
        let off = ss.offset.min(total);
        let end = (off + chunk_max).min(total);
        let data = encode_chunk(off, total, &self.snapshot_bytes[off as usize..end as usize]);
        let ae = AppendEntry {
            leader: self.cfg.id,
            term: self.term,
            commit: self.commit,
            pterm: 0,
            pindex: index - 1,
            entries: vec![LogEntry {
                term,
                index,
                entry: Entry { entry_type: EntryType::Snapshot, data },
            }],
        };
        self.send(to, Message::AppendEntry(ae));
    }

    /// Leader: a follower acknowledged snapshot bytes up to `offset`.
    pub(super) fn handle_snapshot_ack(&mut self, from: NodeId, offset: u64) {
        let Some(pr) = self.progress.get_mut(&from) else {
            return;
        };
        let Some(ss) = pr.snap_send.as_mut() else {
            return;
        };
        if ss.offset == offset && ss.inflight {
            // A duplicate: the chunk it asks for is already on its way.
            return;
        }
        ss.offset = offset;
        ss.inflight = false;
        self.send_snapshot(from, false);
    }

    fn ack_chunk(&mut self, to: NodeId, want: u64) {
        let resp = AppendEntryResponse {
            term: self.term,
            index: want,
            peer: self.cfg.id,
            success: true,
            repaired: self.is_repaired() || self.cfg.bugs.vote_with_unrepaired_log,
            snapshot: true,
        };
        // Nothing durable is claimed: it may leave at once.
        self.send(to, Message::AppendEntryResponse(resp));
    }

    /// Follower: one chunk of the leader's snapshot (`ae` has a single
    /// Snapshot entry at the snapshot's index and term).
    pub(super) fn handle_snapshot_entry(&mut self, now: Instant, from: NodeId, ae: AppendEntry) {
        let Some(e) = ae.entries.into_iter().next() else {
            return;
        };
        let (index, term) = (e.index, e.term);
        let Some((off, total, bytes)) = decode_chunk(&e.entry.data) else {
            // Damaged in flight: ask again from where we are.
            let want = self.incoming.as_ref().map_or(0, |i| i.buf.len() as u64);
            self.ack_chunk(from, want);
            return;
        };
        if index <= self.commit {
            // Everything in it is already committed here.
            self.incoming = None;
            let commit = self.commit;
            self.respond_append(from, true, commit);
            return;
        }
        let same = self
            .incoming
            .as_ref()
            .is_some_and(|i| (i.index, i.term, i.total) == (index, term, total));
        if !same {
            self.incoming = None;
            if off != 0 {
                self.ack_chunk(from, 0);
                return;
            }
            self.incoming = Some(Incoming { index, term, total, buf: Vec::new() });
        }
        let inc = self.incoming.as_mut().expect("set above");
        if off != inc.buf.len() as u64 {
            let want = inc.buf.len() as u64;
            self.ack_chunk(from, want);
            return;
        }
        inc.buf.extend_from_slice(bytes);
        if (inc.buf.len() as u64) < total {
            let want = inc.buf.len() as u64;
            self.ack_chunk(from, want);
            return;
        }
        let inc = self.incoming.take().expect("assembling");
        match Snapshot::decode(&inc.buf) {
            Ok(snap) if (snap.index, snap.term) == (index, term) => self.install_from_leader(now, from, snap),
            _ => {
                self.snapshots_rejected += 1;
                self.ack_chunk(from, 0);
            }
        }
    }

    /// Follower: replaces the log's prefix (or all of it) with `snap`.
    fn install_from_leader(&mut self, _now: Instant, from: NodeId, snap: Snapshot) {
        let s = snap.index;
        let old_commit = self.commit;
        if s <= self.log.last_index() && self.log.term_at(s) == Some(snap.term) {
            // Our log holds the snapshot's last entry: keep what follows.
            self.log.compact(s);
        } else {
            // Whatever we hold after the commit index conflicts with it
            // (or is missing): drop it all.
            self.log.reset(s, snap.term);
            self.pending.entries.clear();
            let t = self.pending.truncate_from.map_or(s + 1, |t| t.min(s + 1));
            self.pending.truncate_from = Some(t);
            let durable = self.durable_last.min(old_commit);
            self.durable_last = durable;
            if let Some(o) = self.outstanding.as_mut() {
                o.last_index = o.last_index.min(durable);
            }
        }
        self.commit = self.commit.max(s);
        self.applied = self.applied.max(s);
        self.set_snapshot(snap.clone());
        self.pending.snapshot = Some(snap);
        self.pending.install_snapshot = true;
        self.recompute_voters();
        if self.repair_index.is_some_and(|r| s >= r) {
            self.repair_index = None;
        }
        self.respond_append(from, true, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_round_trips_and_detects_damage() {
        let s = Snapshot { index: 9, term: 3, voters: vec![1, 2, 3], observers: vec![7, 8], data: b"state".to_vec() };
        let b = s.encode();
        assert_eq!(Snapshot::decode(&b), Ok(s));
        for i in 0..b.len() {
            let mut d = b.clone();
            d[i] ^= 0x10;
            assert_eq!(Snapshot::decode(&d), Err(BadSnapshot), "flip at {i}");
        }
        assert_eq!(Snapshot::decode(&b[..b.len() - 1]), Err(BadSnapshot));
    }
}

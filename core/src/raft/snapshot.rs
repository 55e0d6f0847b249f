//! Snapshots: the state machine's state at a committed index, with the
//! peer set at that index, so the log below it can be compacted and a
//! follower that is behind the leader's log can be caught up.
//!
//! Encoding (also the on-disk `snap` file and the data of an
//! [`EntryType::Snapshot`](super::messages::EntryType::Snapshot) entry):
//!
//! ```text
//! magic:u32 "RSNP" crc:u32 (over the rest) index:u64 term:u64 n:u32 voter:u64*n data
//! ```

use super::messages::{AppendEntry, NodeId};
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
        let n = u32::try_from(self.voters.len()).unwrap_or(u32::MAX);
        body.extend_from_slice(&n.to_le_bytes());
        for v in self.voters.iter().take(n as usize) {
            body.extend_from_slice(&v.to_le_bytes());
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
        let (index, term, n) = (u64_at(8), u64_at(16), u32_at(24) as usize);
        let voters_end = n
            .checked_mul(8)
            .and_then(|b| b.checked_add(SNAP_HEADER_LEN))
            .filter(|end| *end <= buf.len())
            .ok_or(BadSnapshot)?;
        let voters = (0..n).map(|i| u64_at(SNAP_HEADER_LEN + 8 * i)).collect();
        Ok(Snapshot { index, term, voters, data: buf[voters_end..].to_vec() })
    }
}

impl RaftNode {
    /// Catch-up from a snapshot is not implemented yet: the log is never
    /// compacted, so every follower can be caught up from the log.
    pub(super) fn send_snapshot(&mut self, _to: NodeId) {}

    /// A snapshot from the leader: not implemented yet (never sent).
    pub(super) fn handle_snapshot_entry(&mut self, _now: Instant, _from: NodeId, _ae: AppendEntry) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_round_trips_and_detects_damage() {
        let s = Snapshot { index: 9, term: 3, voters: vec![1, 2, 3], data: b"state".to_vec() };
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

//! The Raft wire messages, named after NRG's (`raft.go`): [`AppendEntry`],
//! [`AppendEntryResponse`], [`VoteRequest`] and [`VoteResponse`], wrapped in
//! a [`Message`], with a little-endian binary encoding.
//!
//! Everything decoded here came from a peer: decoding never panics and
//! returns a [`MsgError`] for anything malformed.
//!
//! ```text
//! Message      = tag:u8 body
//! AppendEntry  = leader:u64 term:u64 commit:u64 pterm:u64 pindex:u64 n:u16 Entry*n
//! Entry        = len:u32 (9 + data length) term:u64 type:u8 data
//! AEResponse   = term:u64 index:u64 peer:u64 flags:u8 (1 success, 2 repaired,
//!                4 snapshot chunk ack: index = next byte offset wanted)
//! VoteRequest  = term:u64 last_term:u64 last_index:u64 candidate:u64 flags:u8
//!                (1 pre-vote, 2 leader transfer)
//! VoteResponse = term:u64 peer:u64 flags:u8 (1 granted, 2 empty log, 4 pre-vote)
//! ```

use std::fmt;

/// A Raft node's id. NRG uses 8-character strings; we use numbers.
pub type NodeId = u64;

/// The kind of a log entry. The numbering follows NRG's `EntryType`
/// (`EntryOldSnapshot` is kept as a reserved value).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum EntryType {
    /// An application proposal.
    Normal = 0,
    /// The peer set, appended by every new leader (doubles as its no-op).
    PeerState = 2,
    /// Adds one voting peer (data: the id, u64 LE).
    AddPeer = 3,
    /// Removes one peer (data: the id, u64 LE).
    RemovePeer = 4,
    /// The leader hands over to the peer in the data (u64 LE).
    LeaderTransfer = 5,
    /// A snapshot: sent to a follower that is behind the leader's log.
    Snapshot = 6,
    /// Adds one non-voting member, or demotes a voter to one (data: the
    /// id, u64 LE). Not in NRG, whose observers are voters that do not
    /// campaign.
    AddObserver = 7,
}

impl EntryType {
    pub fn from_u8(b: u8) -> Option<EntryType> {
        Some(match b {
            0 => EntryType::Normal,
            2 => EntryType::PeerState,
            3 => EntryType::AddPeer,
            4 => EntryType::RemovePeer,
            5 => EntryType::LeaderTransfer,
            6 => EntryType::Snapshot,
            7 => EntryType::AddObserver,
            _ => return None,
        })
    }
}

/// One entry's payload (NRG's `Entry`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub entry_type: EntryType,
    pub data: Vec<u8>,
}

impl Entry {
    pub fn normal(data: Vec<u8>) -> Entry {
        Entry { entry_type: EntryType::Normal, data }
    }
}

/// An entry with its position in the log.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LogEntry {
    pub term: u64,
    pub index: u64,
    pub entry: Entry,
}

/// NRG's `appendEntry`: entries (possibly none: a heartbeat) that follow
/// the entry at (`pterm`, `pindex`), and the leader's commit index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendEntry {
    pub leader: NodeId,
    pub term: u64,
    pub commit: u64,
    pub pterm: u64,
    pub pindex: u64,
    /// Entry `k` sits at index `pindex + 1 + k` (its own term, at most
    /// `term`, never below `pterm`). A snapshot travels as one entry of
    /// type [`EntryType::Snapshot`] with (`pterm`, `pindex`) its last entry.
    pub entries: Vec<LogEntry>,
}

/// NRG's `appendEntryResponse`. On success `index` is the last index the
/// follower holds durably and matching the leader; on failure it is a hint
/// (the follower's last index, or the index before a mismatch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendEntryResponse {
    pub term: u64,
    pub index: u64,
    pub peer: NodeId,
    pub success: bool,
    /// False while the follower repairs a damaged log: its acknowledgement
    /// then does not count toward a quorum (not in NRG).
    pub repaired: bool,
    /// An acknowledgement of a snapshot chunk: `index` is the byte offset
    /// the follower wants next (not in NRG, which sends snapshots whole).
    pub snapshot: bool,
}

/// NRG's `voteRequest`, plus the pre-vote and leader-transfer flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteRequest {
    pub term: u64,
    pub last_term: u64,
    pub last_index: u64,
    pub candidate: NodeId,
    pub pre_vote: bool,
    /// Sent by the successor a leader named: ignore leader stickiness.
    pub transfer: bool,
}

/// NRG's `voteResponse`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteResponse {
    pub term: u64,
    pub peer: NodeId,
    pub granted: bool,
    /// The voter's log is empty.
    pub empty: bool,
    pub pre_vote: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    AppendEntry(AppendEntry),
    AppendEntryResponse(AppendEntryResponse),
    VoteRequest(VoteRequest),
    VoteResponse(VoteResponse),
}

/// Why a message could not be encoded or decoded.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MsgError {
    /// More than `u16::MAX` entries in one append entry (NRG: errTooManyEntries).
    TooManyEntries,
    /// An entry too large for its u32 length.
    EntryTooLarge,
    /// A malformed append entry (NRG: errBadAppendEntry).
    BadAppendEntry,
    BadAppendEntryResponse,
    BadVoteRequest,
    BadVoteResponse,
    UnknownTag(u8),
    Empty,
}

impl fmt::Display for MsgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "raft message: {self:?}")
    }
}

impl std::error::Error for MsgError {}

const TAG_AE: u8 = 1;
const TAG_AER: u8 = 2;
const TAG_VR: u8 = 3;
const TAG_VRESP: u8 = 4;

const AE_HEADER_LEN: usize = 5 * 8 + 2;
const AER_LEN: usize = 3 * 8 + 1;
const VR_LEN: usize = 4 * 8 + 1;
const VRESP_LEN: usize = 2 * 8 + 1;

/// A little-endian reader over peer bytes that never panics.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Some(head)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes(b.try_into().unwrap_or([0; 4])))
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes(b.try_into().unwrap_or([0; 2])))
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
}

impl AppendEntry {
    /// Appends the encoding (without the message tag) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), MsgError> {
        let n = u16::try_from(self.entries.len()).map_err(|_| MsgError::TooManyEntries)?;
        for v in [self.leader, self.term, self.commit, self.pterm, self.pindex] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&n.to_le_bytes());
        for e in &self.entries {
            let len = u32::try_from(e.entry.data.len() + 9).map_err(|_| MsgError::EntryTooLarge)?;
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&e.term.to_le_bytes());
            out.push(e.entry.entry_type as u8);
            out.extend_from_slice(&e.entry.data);
        }
        Ok(())
    }

    /// NRG's `decodeAppendEntry`: the whole buffer must be one append entry.
    pub fn decode(buf: &[u8]) -> Result<AppendEntry, MsgError> {
        let bad = MsgError::BadAppendEntry;
        if buf.len() < AE_HEADER_LEN {
            return Err(bad);
        }
        let mut r = Reader { buf };
        let mut hdr = [0u64; 5];
        for v in hdr.iter_mut() {
            *v = r.u64().ok_or(bad)?;
        }
        let [leader, term, commit, pterm, pindex] = hdr;
        if pterm > term {
            return Err(bad);
        }
        let n = r.u16().ok_or(bad)?;
        let mut entries: Vec<LogEntry> = Vec::with_capacity(usize::from(n).min(buf.len() / 13));
        let mut prev_term = pterm;
        for k in 0..u64::from(n) {
            let len = r.u32().ok_or(bad)? as usize;
            if len < 9 {
                return Err(bad);
            }
            let t = r.u64().ok_or(bad)?;
            if t == 0 || t < prev_term || t > term {
                return Err(bad);
            }
            prev_term = t;
            let ty = EntryType::from_u8(r.u8().ok_or(bad)?).ok_or(bad)?;
            let data = r.take(len - 9).ok_or(bad)?.to_vec();
            let index = pindex.checked_add(1 + k).ok_or(bad)?;
            entries.push(LogEntry { term: t, index, entry: Entry { entry_type: ty, data } });
        }
        if !r.buf.is_empty() {
            return Err(bad);
        }
        Ok(AppendEntry { leader, term, commit, pterm, pindex, entries })
    }
}

fn flags(bits: &[bool]) -> u8 {
    bits.iter().enumerate().fold(0u8, |acc, (i, b)| acc | (u8::from(*b) << i))
}

impl AppendEntryResponse {
    pub fn encode(&self, out: &mut Vec<u8>) {
        for v in [self.term, self.index, self.peer] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.push(flags(&[self.success, self.repaired, self.snapshot]));
    }

    pub fn decode(buf: &[u8]) -> Result<AppendEntryResponse, MsgError> {
        let bad = MsgError::BadAppendEntryResponse;
        if buf.len() != AER_LEN {
            return Err(bad);
        }
        let mut r = Reader { buf };
        let (term, index, peer) = (r.u64().ok_or(bad)?, r.u64().ok_or(bad)?, r.u64().ok_or(bad)?);
        let f = r.u8().ok_or(bad)?;
        if f & !7 != 0 {
            return Err(bad);
        }
        Ok(AppendEntryResponse {
            term,
            index,
            peer,
            success: f & 1 != 0,
            repaired: f & 2 != 0,
            snapshot: f & 4 != 0,
        })
    }
}

impl VoteRequest {
    pub fn encode(&self, out: &mut Vec<u8>) {
        for v in [self.term, self.last_term, self.last_index, self.candidate] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.push(flags(&[self.pre_vote, self.transfer]));
    }

    pub fn decode(buf: &[u8]) -> Result<VoteRequest, MsgError> {
        let bad = MsgError::BadVoteRequest;
        if buf.len() != VR_LEN {
            return Err(bad);
        }
        let mut r = Reader { buf };
        let mut v = [0u64; 4];
        for x in v.iter_mut() {
            *x = r.u64().ok_or(bad)?;
        }
        let f = r.u8().ok_or(bad)?;
        if f & !3 != 0 {
            return Err(bad);
        }
        let [term, last_term, last_index, candidate] = v;
        Ok(VoteRequest {
            term,
            last_term,
            last_index,
            candidate,
            pre_vote: f & 1 != 0,
            transfer: f & 2 != 0,
        })
    }
}

impl VoteResponse {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.term.to_le_bytes());
        out.extend_from_slice(&self.peer.to_le_bytes());
        out.push(flags(&[self.granted, self.empty, self.pre_vote]));
    }

    pub fn decode(buf: &[u8]) -> Result<VoteResponse, MsgError> {
        let bad = MsgError::BadVoteResponse;
        if buf.len() != VRESP_LEN {
            return Err(bad);
        }
        let mut r = Reader { buf };
        let (term, peer) = (r.u64().ok_or(bad)?, r.u64().ok_or(bad)?);
        let f = r.u8().ok_or(bad)?;
        if f & !7 != 0 {
            return Err(bad);
        }
        Ok(VoteResponse {
            term,
            peer,
            granted: f & 1 != 0,
            empty: f & 2 != 0,
            pre_vote: f & 4 != 0,
        })
    }
}

impl Message {
    /// The message's term.
    pub fn term(&self) -> u64 {
        match self {
            Message::AppendEntry(m) => m.term,
            Message::AppendEntryResponse(m) => m.term,
            Message::VoteRequest(m) => m.term,
            Message::VoteResponse(m) => m.term,
        }
    }

    pub fn encode(&self) -> Result<Vec<u8>, MsgError> {
        let mut out = Vec::new();
        match self {
            Message::AppendEntry(m) => {
                out.push(TAG_AE);
                m.encode(&mut out)?;
            }
            Message::AppendEntryResponse(m) => {
                out.push(TAG_AER);
                m.encode(&mut out);
            }
            Message::VoteRequest(m) => {
                out.push(TAG_VR);
                m.encode(&mut out);
            }
            Message::VoteResponse(m) => {
                out.push(TAG_VRESP);
                m.encode(&mut out);
            }
        }
        Ok(out)
    }

    pub fn decode(buf: &[u8]) -> Result<Message, MsgError> {
        let (&tag, body) = buf.split_first().ok_or(MsgError::Empty)?;
        Ok(match tag {
            TAG_AE => Message::AppendEntry(AppendEntry::decode(body)?),
            TAG_AER => Message::AppendEntryResponse(AppendEntryResponse::decode(body)?),
            TAG_VR => Message::VoteRequest(VoteRequest::decode(body)?),
            TAG_VRESP => Message::VoteResponse(VoteResponse::decode(body)?),
            t => return Err(MsgError::UnknownTag(t)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prng::Prng;

    fn ae(n: usize) -> AppendEntry {
        AppendEntry {
            leader: 0x3132_3334_3536_3738,
            term: 1,
            commit: 0,
            pterm: 0,
            pindex: 0,
            entries: (0..n as u64)
                .map(|k| LogEntry { term: 1, index: k + 1, entry: Entry::normal(Vec::new()) })
                .collect(),
        }
    }

    /// Go: TestNRGAppendEntryEncode. Encoding works for an empty leader and
    /// a real one; more than u16::MAX entries is errTooManyEntries. (Go's
    /// leader-length check does not apply: our ids are numbers.)
    #[test]
    fn test_nrg_append_entry_encode() {
        let mut a = ae(0);
        a.leader = 0;
        assert!(a.encode(&mut Vec::new()).is_ok());
        a.leader = 7;
        let mut buf = Vec::new();
        a.encode(&mut buf).expect("encodes");
        assert_eq!(buf.len(), AE_HEADER_LEN);
        let a = ae(usize::from(u16::MAX) + 1);
        assert_eq!(a.encode(&mut Vec::new()), Err(MsgError::TooManyEntries));
    }

    /// Go: TestNRGAppendEntryDecode. A truncated buffer, or zeroing any
    /// non-zero byte after the header, is errBadAppendEntry.
    #[test]
    fn test_nrg_append_entry_decode() {
        let a = ae(usize::from(u16::MAX));
        let mut buf = Vec::new();
        a.encode(&mut buf).expect("encodes");
        assert_eq!(AppendEntry::decode(&buf), Ok(a));
        let short = &buf[..buf.len() - 1025];
        assert_eq!(AppendEntry::decode(short), Err(MsgError::BadAppendEntry));
        let mut prng = Prng::from_seed(1);
        for _ in 0..100 {
            let mut b = buf.clone();
            let bi = AE_HEADER_LEN + prng.below((b.len() - AE_HEADER_LEN) as u64) as usize;
            if b[bi] != 0 {
                b[bi] = 0;
                assert_eq!(AppendEntry::decode(&b), Err(MsgError::BadAppendEntry));
            }
        }
    }

    /// Go: TestNRGAppendEntryDecodeTruncatedEntryLength. An entry whose
    /// length runs past the end of the buffer is rejected, not read.
    #[test]
    fn test_nrg_append_entry_decode_truncated_entry_length() {
        let mut a = ae(1);
        a.entries[0].entry.data = b"hello".to_vec();
        let mut buf = Vec::new();
        a.encode(&mut buf).expect("encodes");
        buf[AE_HEADER_LEN..AE_HEADER_LEN + 4].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(AppendEntry::decode(&buf), Err(MsgError::BadAppendEntry));
    }

    /// Go: TestNRGMalformedAppendEntryResponse. Wrong lengths are errors.
    #[test]
    fn test_nrg_malformed_append_entry_response() {
        let r = AppendEntryResponse { term: 3, index: 9, peer: 2, success: true, repaired: true, snapshot: true };
        let mut buf = Vec::new();
        r.encode(&mut buf);
        assert_eq!(AppendEntryResponse::decode(&buf), Ok(r));
        for n in [0, 1, AER_LEN - 1] {
            assert!(AppendEntryResponse::decode(&buf[..n]).is_err());
        }
        buf.push(0);
        assert!(AppendEntryResponse::decode(&buf).is_err());
    }

    /// Go: TestNRGVoteResponseEncoding. Every flag combination round-trips.
    #[test]
    fn test_nrg_vote_response_encoding() {
        for f in 0..8u8 {
            let v = VoteResponse {
                term: 1 << 40,
                peer: 77,
                granted: f & 1 != 0,
                empty: f & 2 != 0,
                pre_vote: f & 4 != 0,
            };
            let m = Message::VoteResponse(v);
            let bytes = m.encode().expect("encodes");
            assert_eq!(Message::decode(&bytes), Ok(m));
        }
        assert_eq!(Message::decode(&[]), Err(MsgError::Empty));
        assert_eq!(Message::decode(&[9]), Err(MsgError::UnknownTag(9)));
    }

    #[test]
    fn every_message_round_trips() {
        let msgs = [
            Message::AppendEntry(AppendEntry {
                entries: vec![
                    LogEntry {
                        term: 1,
                        index: 1,
                        entry: Entry { entry_type: EntryType::PeerState, data: vec![1, 2] },
                    },
                    LogEntry { term: 1, index: 2, entry: Entry::normal(b"x".to_vec()) },
                ],
                ..ae(0)
            }),
            Message::VoteRequest(VoteRequest {
                term: 5,
                last_term: 4,
                last_index: 10,
                candidate: 3,
                pre_vote: true,
                transfer: false,
            }),
        ];
        for m in msgs {
            let b = m.encode().expect("encodes");
            assert_eq!(Message::decode(&b), Ok(m.clone()));
            for cut in 0..b.len() {
                assert!(Message::decode(&b[..cut]).is_err(), "prefix {cut} decoded");
            }
        }
    }
}

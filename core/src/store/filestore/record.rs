//! The on-disk record: encoding, decoding and verification. See
//! docs/FILESTORE.md for the byte table.
//!
//! Every record ends with a crc32 over the block identity (stream hash and
//! block index, not stored in the record) followed by every other byte of
//! the record, so a record copied into another block or another stream's
//! block fails verification.

use crate::time::UnixNanos;

/// The first two bytes of every record.
pub const RECORD_MAGIC: [u8; 2] = [0xD5, 0x7A];
/// Fixed header bytes before the subject.
pub const RECORD_HDR_LEN: usize = 40;
/// Header plus the trailing checksum: the smallest record.
pub const RECORD_MIN_LEN: usize = RECORD_HDR_LEN + 4;
/// A record claiming more than this is malformed (Go's `rlBadThresh`).
pub const RECORD_LEN_MAX: usize = 32 * 1024 * 1024;

const _: () = assert!(RECORD_MIN_LEN == 44);

/// What a record means when the log is replayed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A message at `seq`.
    Msg = 1,
    /// The message at `seq` was removed.
    Tombstone = 2,
    /// Sequences `seq .. seq + aux` were skipped.
    Skip = 3,
    /// A message at `seq` that was erased in place (its bytes zeroed).
    Erased = 4,
    /// Every sequence below `seq` was removed (purge, compact).
    Compact = 5,
    /// Every sequence above `seq` was removed; `seq` is the last (truncate).
    Truncate = 6,
    /// The first record of every block: `seq` is the stream's first
    /// sequence and `aux` its last when the block was started, so the
    /// stream's bounds survive the removal of every earlier block.
    BlockStart = 7,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Msg,
            2 => Kind::Tombstone,
            3 => Kind::Skip,
            4 => Kind::Erased,
            5 => Kind::Compact,
            6 => Kind::Truncate,
            7 => Kind::BlockStart,
            _ => return None,
        })
    }
}

/// The identity of the block a record belongs to; it seeds the checksum.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BlockId {
    pub stream_hash: u64,
    pub index: u64,
}

/// A decoded, verified record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub kind: Kind,
    pub seq: u64,
    pub ts: UnixNanos,
    /// TTL seconds for a message, the count for a skip, 0 otherwise.
    pub aux: i64,
    pub subj: Vec<u8>,
    pub hdr: Vec<u8>,
    pub msg: Vec<u8>,
}

impl Record {
    pub fn marker(kind: Kind, seq: u64, ts: UnixNanos, aux: i64) -> Record {
        Record {
            kind,
            seq,
            ts,
            aux,
            subj: Vec::new(),
            hdr: Vec::new(),
            msg: Vec::new(),
        }
    }

    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        RECORD_MIN_LEN + self.subj.len() + self.hdr.len() + self.msg.len()
    }
}

fn checksum(id: BlockId, bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&id.stream_hash.to_le_bytes());
    h.update(&id.index.to_le_bytes());
    h.update(bytes);
    h.finalize()
}

/// Encodes `r` for block `id`. Panics on lengths the caller must have
/// bounded (subject over 64 KiB, record over [`RECORD_LEN_MAX`]).
pub fn encode(id: BlockId, r: &Record) -> Vec<u8> {
    let len = r.encoded_len();
    assert!(
        r.subj.len() <= u16::MAX as usize,
        "subject length bounded by caller"
    );
    assert!(len <= RECORD_LEN_MAX, "record length bounded by caller");
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&RECORD_MAGIC);
    out.push(r.kind as u8);
    out.push(0);
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&r.seq.to_le_bytes());
    out.extend_from_slice(&r.ts.to_le_bytes());
    out.extend_from_slice(&r.aux.to_le_bytes());
    out.extend_from_slice(&(r.subj.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&(r.hdr.len() as u32).to_le_bytes());
    debug_assert_eq!(out.len(), RECORD_HDR_LEN);
    out.extend_from_slice(&r.subj);
    out.extend_from_slice(&r.hdr);
    out.extend_from_slice(&r.msg);
    let crc = checksum(id, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(out.len(), len);
    // Pair assertion: what we write must read back.
    debug_assert!(decode(id, &out).is_ok_and(|(d, n)| n == len && &d == r));
    out
}

/// Why bytes are not a record.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the header or the claimed length.
    Short,
    /// Bad magic, kind, reserved bytes or lengths.
    Malformed,
    /// The checksum does not match.
    Checksum,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// The length a record header at the start of `b` claims, if plausible.
pub fn claimed_len(b: &[u8]) -> Result<usize, DecodeError> {
    if b.len() < RECORD_HDR_LEN {
        return Err(DecodeError::Short);
    }
    if b[..2] != RECORD_MAGIC || Kind::from_u8(b[2]).is_none() || b[3] != 0 || b[34..36] != [0, 0] {
        return Err(DecodeError::Malformed);
    }
    let len = u32_at(b, 4) as usize;
    let slen = u16_at(b, 32) as usize;
    let hlen = u32_at(b, 36) as usize;
    if !(RECORD_MIN_LEN..=RECORD_LEN_MAX).contains(&len) || RECORD_MIN_LEN + slen + hlen > len {
        return Err(DecodeError::Malformed);
    }
    Ok(len)
}

/// Decodes and verifies the record at the start of `b`; returns it and its
/// length. Never returns a record whose checksum does not match.
pub fn decode(id: BlockId, b: &[u8]) -> Result<(Record, usize), DecodeError> {
    let len = claimed_len(b)?;
    if b.len() < len {
        return Err(DecodeError::Short);
    }
    let body = &b[..len - 4];
    if checksum(id, body) != u32_at(b, len - 4) {
        return Err(DecodeError::Checksum);
    }
    let kind = Kind::from_u8(b[2]).ok_or(DecodeError::Malformed)?;
    let slen = u16_at(b, 32) as usize;
    let hlen = u32_at(b, 36) as usize;
    let s0 = RECORD_HDR_LEN;
    let h0 = s0 + slen;
    let m0 = h0 + hlen;
    let r = Record {
        kind,
        seq: u64_at(b, 8),
        ts: u64_at(b, 16) as i64,
        aux: u64_at(b, 24) as i64,
        subj: b[s0..h0].to_vec(),
        hdr: b[h0..m0].to_vec(),
        msg: b[m0..len - 4].to_vec(),
    };
    Ok((r, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: BlockId = BlockId {
        stream_hash: 7,
        index: 3,
    };

    fn msg() -> Record {
        Record {
            kind: Kind::Msg,
            seq: 42,
            ts: 1_700_000_000_000_000_000,
            aux: 5,
            subj: b"foo.bar".to_vec(),
            hdr: b"NATS/1.0\r\nA: b\r\n\r\n".to_vec(),
            msg: b"hello".to_vec(),
        }
    }

    #[test]
    fn record_round_trips() {
        let bytes = encode(ID, &msg());
        assert_eq!(bytes.len(), msg().encoded_len());
        let (r, n) = decode(ID, &bytes).unwrap();
        assert_eq!(n, bytes.len());
        assert_eq!(r, msg());
    }

    #[test]
    fn every_bit_flip_is_detected() {
        let bytes = encode(ID, &msg());
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[i / 8] ^= 1 << (i % 8);
            assert!(decode(ID, &b).is_err(), "flip of bit {i} undetected");
        }
    }

    #[test]
    fn record_from_another_block_is_rejected() {
        let bytes = encode(ID, &msg());
        let other = BlockId {
            stream_hash: 7,
            index: 4,
        };
        assert_eq!(decode(other, &bytes).unwrap_err(), DecodeError::Checksum);
    }

    #[test]
    fn short_input_is_short() {
        let bytes = encode(ID, &msg());
        assert_eq!(
            decode(ID, &bytes[..bytes.len() - 1]).unwrap_err(),
            DecodeError::Short
        );
        assert_eq!(decode(ID, &bytes[..10]).unwrap_err(), DecodeError::Short);
    }
}

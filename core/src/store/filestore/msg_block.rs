//! A message block (Go's `msgBlock`): one append-only file `msgs/<N>.blk`
//! that starts with a header naming its stream and index.

use super::record::BlockId;
use crate::storage::FileId;

/// The first four bytes of every block file.
pub const BLOCK_MAGIC: [u8; 4] = *b"RNJS";
pub const BLOCK_VERSION: u16 = 1;
pub const BLOCK_HDR_LEN: usize = 32;

/// FNV-1a 64 of the stream name: stable across builds and platforms.
pub fn stream_hash(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The file name of block `index` inside the `msgs` directory.
pub fn block_name(index: u64) -> String {
    format!("{index}.blk")
}

/// The index of a block file name, if it is one (`<N>.blk`, N decimal
/// without a sign or leading zeros).
pub fn parse_block_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".blk")?;
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub fn encode_header(id: BlockId) -> [u8; BLOCK_HDR_LEN] {
    let mut h = [0u8; BLOCK_HDR_LEN];
    h[0..4].copy_from_slice(&BLOCK_MAGIC);
    h[4..6].copy_from_slice(&BLOCK_VERSION.to_le_bytes());
    h[6..8].copy_from_slice(&(BLOCK_HDR_LEN as u16).to_le_bytes());
    h[8..16].copy_from_slice(&id.stream_hash.to_le_bytes());
    h[16..24].copy_from_slice(&id.index.to_le_bytes());
    let crc = crc32fast::hash(&h[..28]);
    h[28..32].copy_from_slice(&crc.to_le_bytes());
    h
}

/// What a block header says about the file.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HeaderCheck {
    /// A valid header for exactly the expected block.
    Ok,
    /// A valid header for another stream or another index: a misdirected,
    /// copied or renamed block.
    Foreign(BlockId),
    /// Not a valid header (torn, corrupt, or too short).
    Damaged,
}

pub fn check_header(bytes: &[u8], expected: BlockId) -> HeaderCheck {
    if bytes.len() < BLOCK_HDR_LEN || bytes[0..4] != BLOCK_MAGIC {
        return HeaderCheck::Damaged;
    }
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&bytes[28..32]);
    if crc32fast::hash(&bytes[..28]) != u32::from_le_bytes(crc) {
        return HeaderCheck::Damaged;
    }
    if bytes[4..6] != BLOCK_VERSION.to_le_bytes()
        || bytes[6..8] != (BLOCK_HDR_LEN as u16).to_le_bytes()
    {
        return HeaderCheck::Damaged;
    }
    let mut a = [0u8; 8];
    a.copy_from_slice(&bytes[8..16]);
    let stream_hash = u64::from_le_bytes(a);
    a.copy_from_slice(&bytes[16..24]);
    let index = u64::from_le_bytes(a);
    let found = BlockId { stream_hash, index };
    if found == expected {
        HeaderCheck::Ok
    } else {
        HeaderCheck::Foreign(found)
    }
}

/// The in-memory handle of one block.
#[derive(Debug)]
pub struct MsgBlock {
    pub id: BlockId,
    pub file: FileId,
    /// Where the next record goes (our own length, not the file's).
    pub len: u64,
    /// Live messages whose record is in this block.
    pub live: u64,
    /// Appends are possible (the header is ours and the tail is clean).
    pub writable: bool,
    /// Changes since the last sync.
    pub dirty: bool,
    /// Recovery found damage or a foreign header: the block is kept as
    /// evidence and never removed by the front-block collection.
    pub quarantined: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_names_round_trip() {
        assert_eq!(parse_block_name(&block_name(17)), Some(17));
        for bad in ["x.blk", ".blk", "01.blk", "1.blk.tmp", "-1.blk", "1.idx"] {
            assert_eq!(parse_block_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn header_identifies_its_block() {
        let id = BlockId {
            stream_hash: stream_hash("S"),
            index: 2,
        };
        let h = encode_header(id);
        assert_eq!(check_header(&h, id), HeaderCheck::Ok);
        let other = BlockId {
            stream_hash: stream_hash("S"),
            index: 3,
        };
        assert_eq!(check_header(&h, other), HeaderCheck::Foreign(id));
        let mut bad = h;
        bad[20] ^= 1;
        assert_eq!(check_header(&bad, id), HeaderCheck::Damaged);
        assert_eq!(check_header(&h[..31], id), HeaderCheck::Damaged);
    }
}

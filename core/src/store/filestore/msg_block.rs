//! A message block (Go's `msgBlock`): one append-only file `msgs/<N>.blk`
//! that starts with a header naming its stream and index.

use super::cipher::{Cipher, KCV_LEN, SALT_LEN};
use super::frame::BlockCodec;
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

/// Header length of an encrypted block (adds the salt and key check).
pub const BLOCK_HDR_LEN_ENCRYPTED: usize = 56;

/// What a valid block header says.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    pub id: BlockId,
    /// The cipher id (0: unencrypted; see [`Cipher::id`]).
    pub cipher: u8,
    /// 0: records or frames as appended; 1: S2-compressed chunks.
    pub compression: u8,
    pub salt: [u8; SALT_LEN],
    pub kcv: [u8; KCV_LEN],
    /// 32, or 56 when encrypted.
    pub len: usize,
}

impl BlockHeader {
    pub fn plain(id: BlockId) -> BlockHeader {
        BlockHeader {
            id,
            cipher: 0,
            compression: 0,
            salt: [0; SALT_LEN],
            kcv: [0; KCV_LEN],
            len: BLOCK_HDR_LEN,
        }
    }

    pub fn cipher(&self) -> Option<Cipher> {
        Cipher::from_id(self.cipher)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut h = vec![0u8; self.len];
        h[0..4].copy_from_slice(&BLOCK_MAGIC);
        h[4..6].copy_from_slice(&BLOCK_VERSION.to_le_bytes());
        h[6..8].copy_from_slice(&(self.len as u16).to_le_bytes());
        h[8..16].copy_from_slice(&self.id.stream_hash.to_le_bytes());
        h[16..24].copy_from_slice(&self.id.index.to_le_bytes());
        h[24] = self.cipher;
        h[25] = self.compression;
        if self.len == BLOCK_HDR_LEN_ENCRYPTED {
            h[28..44].copy_from_slice(&self.salt);
            h[44..52].copy_from_slice(&self.kcv);
        }
        let at = self.len - 4;
        let crc = crc32fast::hash(&h[..at]);
        h[at..].copy_from_slice(&crc.to_le_bytes());
        debug_assert_eq!(parse_header(&h), Some(*self));
        h
    }
}

pub fn encode_header(id: BlockId) -> [u8; BLOCK_HDR_LEN] {
    let mut h = [0u8; BLOCK_HDR_LEN];
    h.copy_from_slice(&BlockHeader::plain(id).encode());
    h
}

/// Parses and verifies a header at the start of `bytes`.
pub fn parse_header(bytes: &[u8]) -> Option<BlockHeader> {
    if bytes.len() < BLOCK_HDR_LEN || bytes[0..4] != BLOCK_MAGIC {
        return None;
    }
    if bytes[4..6] != BLOCK_VERSION.to_le_bytes() {
        return None;
    }
    let len = usize::from(u16::from_le_bytes([bytes[6], bytes[7]]));
    let (cipher, compression) = (bytes[24], bytes[25]);
    let encrypted = cipher != 0;
    let len_ok = if encrypted {
        len == BLOCK_HDR_LEN_ENCRYPTED && Cipher::from_id(cipher).is_some()
    } else {
        len == BLOCK_HDR_LEN
    };
    if !len_ok || bytes.len() < len || compression > 1 || bytes[26..28] != [0, 0] {
        return None;
    }
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&bytes[len - 4..len]);
    if crc32fast::hash(&bytes[..len - 4]) != u32::from_le_bytes(crc) {
        return None;
    }
    let mut a = [0u8; 8];
    a.copy_from_slice(&bytes[8..16]);
    let stream_hash = u64::from_le_bytes(a);
    a.copy_from_slice(&bytes[16..24]);
    let index = u64::from_le_bytes(a);
    let mut salt = [0u8; SALT_LEN];
    let mut kcv = [0u8; KCV_LEN];
    if encrypted {
        salt.copy_from_slice(&bytes[28..44]);
        kcv.copy_from_slice(&bytes[44..52]);
    }
    Some(BlockHeader {
        id: BlockId { stream_hash, index },
        cipher,
        compression,
        salt,
        kcv,
        len,
    })
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
    match parse_header(bytes) {
        None => HeaderCheck::Damaged,
        Some(h) if h.id == expected => HeaderCheck::Ok,
        Some(h) => HeaderCheck::Foreign(h.id),
    }
}

/// The in-memory handle of one block.
#[derive(Debug)]
pub struct MsgBlock {
    pub id: BlockId,
    /// How records are framed in this block (cipher, compression).
    pub codec: BlockCodec,
    /// Where the first record starts (the header length).
    pub hdr_len: u64,
    pub file: FileId,
    /// Where the next record goes (our own length, not the file's).
    pub len: u64,
    /// Live messages whose record is in this block.
    pub live: u64,
    /// Record bytes (unframed, [`super::Loc::rlen`]) of those live messages.
    pub live_bytes: u64,
    /// Record bytes of every message record in the block, live or dead:
    /// `msg_bytes - live_bytes` is what a rewrite would reclaim.
    pub msg_bytes: u64,
    /// The lowest and highest sequence of any message record in the block
    /// (live or dead), if known. Decides which removal markers in later
    /// blocks still matter.
    pub msg_range: Option<(u64, u64)>,
    /// Appends are possible (the header is ours and the tail is clean).
    pub writable: bool,
    /// Changes since the last sync.
    pub dirty: bool,
    /// How many split-phase flushes in progress cover this block's earlier
    /// changes: until they finish those are not known durable, and the
    /// file must stay (their sync handles refer to it).
    pub syncing: u32,
    /// Recovery found damage or a foreign header: the block is kept as
    /// evidence and never removed by the front-block collection.
    pub quarantined: bool,
}

impl MsgBlock {
    /// Whether the block has changes not yet known durable.
    pub fn unsynced(&self) -> bool {
        self.dirty || self.syncing > 0
    }

    /// Accounts a message record of `rlen` bytes at `seq` written to (or
    /// found in) this block; `live` if the index holds it.
    pub fn add_msg(&mut self, seq: u64, rlen: u32, live: bool) {
        self.msg_bytes += u64::from(rlen);
        if live {
            self.live += 1;
            self.live_bytes += u64::from(rlen);
        }
        self.msg_range = Some(match self.msg_range {
            None => (seq, seq),
            Some((lo, hi)) => (lo.min(seq), hi.max(seq)),
        });
    }

    /// Whether a message record with sequence `seq` may be in this block
    /// (a quarantined block may hold anything).
    pub fn may_hold(&self, seq: u64) -> bool {
        self.quarantined || self.msg_range.is_some_and(|(lo, hi)| lo <= seq && seq <= hi)
    }
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

//! Recovery (Go's `rebuildState`): scanning a block's bytes into verified
//! records and damaged ranges, and replaying records into the index.
//!
//! Rules (docs/FILESTORE.md, "Recovery"):
//! - every record is verified; a record that fails is never applied;
//! - after a damaged range the scan resynchronises on the next offset that
//!   holds a valid record, so later good records stay readable;
//! - a damaged range that runs to the end of the *last* block is an unsynced
//!   torn tail and is cut off; anywhere else damage is reported as lost.

use super::frame::BlockCodec;
use super::msg_block::{check_header, HeaderCheck, BLOCK_HDR_LEN};
use super::record::{BlockId, Record};

/// A record found by the scan, with where it lives: the frame (or bare
/// record) at `off` of `len` bytes, and inside it at `inner` (chunks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub off: u64,
    pub len: u32,
    pub inner: Option<u32>,
    /// The record's own encoded length.
    pub rlen: u32,
    pub record: Record,
}

/// The result of scanning one block file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockScan {
    pub header: HeaderCheck,
    pub records: Vec<Found>,
    /// Byte ranges `[start, end)` that hold no valid record.
    pub damaged: Vec<(u64, u64)>,
    /// The end of the last valid record (or of the header).
    pub clean_end: u64,
}

impl BlockScan {
    /// Whether the last damaged range runs to the end of the file.
    pub fn tail_damaged(&self, file_len: u64) -> bool {
        self.damaged.last().is_some_and(|(_, end)| *end == file_len)
    }

    /// Damaged bytes, without a damaged tail if `skip_tail`.
    pub fn damaged_bytes(&self, file_len: u64, skip_tail: bool) -> u64 {
        self.damaged
            .iter()
            .filter(|(_, end)| !(skip_tail && *end == file_len))
            .map(|(s, e)| e - s)
            .sum()
    }
}

/// The next offset at or after `from` where a valid record or frame starts.
fn resync(bytes: &[u8], codec: &BlockCodec, from: usize) -> Option<usize> {
    let magics: &[[u8; 2]] = if codec.key.is_some() {
        &[super::frame::FRAME_MAGIC]
    } else {
        &[super::record::RECORD_MAGIC, super::frame::FRAME_MAGIC]
    };
    let mut pos = from;
    while pos + 1 < bytes.len() {
        let at = pos + memchr::memchr2(magics[0][0], magics[magics.len() - 1][0], &bytes[pos..])?;
        let m = [bytes[at], bytes.get(at + 1).copied().unwrap_or(0)];
        if magics.contains(&m) && codec.decode(&bytes[at..]).is_ok() {
            return Some(at);
        }
        pos = at + 1;
    }
    None
}

/// Scans the whole contents of a plain block expected to be `id`.
pub fn scan_block(bytes: &[u8], id: BlockId) -> BlockScan {
    scan_frames(bytes, &BlockCodec::plain(id), check_header(bytes, id), BLOCK_HDR_LEN)
}

/// Scans a block's bytes from `start` (the end of its header) with its
/// codec. Records are checked against the codec's identity whatever the
/// header says, so a block with a damaged header still yields its records,
/// and a foreign block yields none.
pub fn scan_frames(bytes: &[u8], codec: &BlockCodec, header: HeaderCheck, start: usize) -> BlockScan {
    let mut scan = BlockScan {
        header,
        records: Vec::new(),
        damaged: Vec::new(),
        clean_end: 0,
    };
    if bytes.len() <= start {
        scan.clean_end = bytes.len() as u64;
        return scan;
    }
    scan.clean_end = start as u64;
    let mut pos = start;
    while pos < bytes.len() {
        match codec.decode(&bytes[pos..]) {
            Ok((inners, len)) => {
                for i in inners {
                    scan.records.push(Found {
                        off: pos as u64,
                        len: len as u32,
                        inner: i.inner,
                        rlen: i.rlen,
                        record: i.record,
                    });
                }
                pos += len;
                scan.clean_end = pos as u64;
            }
            Err(_) => {
                let next = resync(bytes, codec, pos + 1).unwrap_or(bytes.len());
                scan.damaged.push((pos as u64, next as u64));
                pos = next;
            }
        }
    }
    scan
}

#[cfg(test)]
mod tests {
    use super::super::msg_block::encode_header;
    use super::super::record::{encode, Kind};
    use super::*;

    const ID: BlockId = BlockId {
        stream_hash: 1,
        index: 1,
    };

    fn rec(seq: u64) -> Record {
        Record {
            kind: Kind::Msg,
            seq,
            ts: 1,
            aux: 0,
            subj: b"a".to_vec(),
            hdr: vec![],
            msg: vec![seq as u8; 10],
        }
    }

    fn block(n: u64) -> Vec<u8> {
        let mut b = encode_header(ID).to_vec();
        for s in 1..=n {
            b.extend(encode(ID, &rec(s)));
        }
        b
    }

    #[test]
    fn clean_block_scans_fully() {
        let b = block(3);
        let scan = scan_block(&b, ID);
        assert_eq!(scan.header, HeaderCheck::Ok);
        assert_eq!(scan.records.len(), 3);
        assert!(scan.damaged.is_empty());
        assert_eq!(scan.clean_end, b.len() as u64);
    }

    #[test]
    fn middle_damage_resyncs() {
        let mut b = block(3);
        let r2 = scan_block(&b, ID).records[1].clone();
        b[r2.off as usize + 45] ^= 0xff;
        let scan = scan_block(&b, ID);
        let seqs: Vec<u64> = scan.records.iter().map(|f| f.record.seq).collect();
        assert_eq!(seqs, vec![1, 3]);
        assert_eq!(scan.damaged, vec![(r2.off, r2.off + u64::from(r2.len))]);
        assert!(!scan.tail_damaged(b.len() as u64));
    }

    #[test]
    fn torn_tail_is_tail_damage() {
        let mut b = block(3);
        let full = b.len();
        b.truncate(full - 5);
        let scan = scan_block(&b, ID);
        assert_eq!(scan.records.len(), 2);
        assert!(scan.tail_damaged(b.len() as u64));
        assert_eq!(scan.damaged_bytes(b.len() as u64, true), 0);
    }
}

//! Frames: how records sit in a block when the block is encrypted or
//! compressed. See docs/FILESTORE.md ("Frames") for the byte table.
//!
//! - An unencrypted, uncompressed block holds bare records ([`super::record`]).
//! - An encrypted block holds one *sealed* frame per record: the record,
//!   encrypted and authenticated with the block key; the frame header and
//!   the block identity are the associated data.
//! - A compressed block (a sealed block rewritten by [`super::compact`])
//!   holds *chunk* frames: S2 of several records back to back, checked by a
//!   keyed crc32 or, when encrypted, sealed like a record frame.
//!
//! Decoding verifies before it interprets: a frame that fails its crc or
//! authentication is [`DecodeError::Checksum`], never data.

use super::cipher::{FrameKey, NONCE_LEN, TAG_LEN};
use super::record::{decode, encode, BlockId, DecodeError, Record, RECORD_LEN_MAX};
use crate::prng::Prng;

/// The first two bytes of every frame.
pub const FRAME_MAGIC: [u8; 2] = [0xE5, 0x7A];
/// magic, flags, reserved, total length.
pub const FRAME_HDR_LEN: usize = 8;
/// Flag: the payload is S2-compressed records (a chunk).
pub const FLAG_CHUNK: u8 = 1;
/// Flag: the payload is sealed with the block key.
pub const FLAG_SEALED: u8 = 2;
/// A chunk is closed once its records reach this many bytes.
pub const CHUNK_RAW_TARGET: usize = 64 * 1024;
/// The most bytes a chunk may decompress to (one maximal record after a
/// nearly full chunk); anything larger is malformed.
pub const CHUNK_RAW_MAX: usize = RECORD_LEN_MAX + CHUNK_RAW_TARGET;
/// The longest frame accepted.
pub const FRAME_LEN_MAX: usize = CHUNK_RAW_MAX + CHUNK_RAW_MAX / 4 + 1024;

/// How one block frames its records.
#[derive(Clone, Debug)]
pub struct BlockCodec {
    pub id: BlockId,
    /// The block key when the block is encrypted.
    pub key: Option<FrameKey>,
    /// The block holds chunks (it was rewritten compressed).
    pub compressed: bool,
}

/// A record found in a frame: where it starts inside the chunk's
/// decompressed bytes (`None` when the frame holds a single record), and
/// its own encoded length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inner {
    pub inner: Option<u32>,
    pub rlen: u32,
    pub record: Record,
}

impl BlockCodec {
    pub fn plain(id: BlockId) -> BlockCodec {
        BlockCodec {
            id,
            key: None,
            compressed: false,
        }
    }

    /// Whether appends are wrapped in frames (else bare records).
    pub fn framed(&self) -> bool {
        self.key.is_some() || self.compressed
    }

    /// The first byte that can start a frame or record in this block.
    pub fn magic(&self) -> [u8; 2] {
        if self.key.is_some() {
            FRAME_MAGIC
        } else {
            super::record::RECORD_MAGIC
        }
    }

    /// Bytes a single-record frame adds around a record.
    pub fn overhead(&self) -> usize {
        if self.key.is_some() {
            FRAME_HDR_LEN + NONCE_LEN + TAG_LEN
        } else {
            0
        }
    }

    /// Encodes one record the way this block appends it.
    pub fn encode_one(&self, r: &Record, prng: &mut Prng) -> Vec<u8> {
        let raw = encode(self.id, r);
        match &self.key {
            None => raw,
            Some(k) => self.frame(FLAG_SEALED, raw, Some(k), prng),
        }
    }

    /// Encodes a chunk of bare records (as [`encode`] wrote them).
    pub fn encode_chunk(&self, records: &[u8], prng: &mut Prng) -> Vec<u8> {
        assert!(
            records.len() <= CHUNK_RAW_MAX,
            "chunk bounded by the caller"
        );
        let payload = minlz::encode(records);
        let flags = FLAG_CHUNK | if self.key.is_some() { FLAG_SEALED } else { 0 };
        self.frame(flags, payload, self.key.as_ref(), prng)
    }

    fn frame(
        &self,
        flags: u8,
        mut payload: Vec<u8>,
        key: Option<&FrameKey>,
        prng: &mut Prng,
    ) -> Vec<u8> {
        let total = FRAME_HDR_LEN
            + payload.len()
            + match key {
                Some(_) => NONCE_LEN + TAG_LEN,
                None => 4,
            };
        assert!(total <= FRAME_LEN_MAX, "frame bounded by the caller");
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&FRAME_MAGIC);
        out.push(flags);
        out.push(0);
        out.extend_from_slice(&(total as u32).to_le_bytes());
        match key {
            Some(k) => {
                let mut nonce = [0u8; NONCE_LEN];
                prng.fill_bytes(&mut nonce);
                let aad = self.aad(&out);
                k.seal(&nonce, &aad, &mut payload);
                out.extend_from_slice(&nonce);
                out.extend_from_slice(&payload);
            }
            None => {
                out.extend_from_slice(&payload);
                let crc = self.crc(&out);
                out.extend_from_slice(&crc.to_le_bytes());
            }
        }
        assert_eq!(out.len(), total);
        out
    }

    fn aad(&self, hdr: &[u8]) -> Vec<u8> {
        let mut aad = Vec::with_capacity(16 + FRAME_HDR_LEN);
        aad.extend_from_slice(&self.id.stream_hash.to_le_bytes());
        aad.extend_from_slice(&self.id.index.to_le_bytes());
        aad.extend_from_slice(&hdr[..FRAME_HDR_LEN]);
        aad
    }

    fn crc(&self, body: &[u8]) -> u32 {
        let mut h = crc32fast::Hasher::new();
        h.update(&self.id.stream_hash.to_le_bytes());
        h.update(&self.id.index.to_le_bytes());
        h.update(body);
        h.finalize()
    }

    /// Decodes and verifies the frame (or bare record) at the start of `b`:
    /// its records and its length on disk. A block with a key accepts only
    /// sealed frames; a block without one accepts bare records and plain
    /// chunks.
    pub fn decode(&self, b: &[u8]) -> Result<(Vec<Inner>, usize), DecodeError> {
        if self.key.is_none() && b.len() >= 2 && b[..2] == super::record::RECORD_MAGIC {
            let (record, len) = decode(self.id, b)?;
            let rlen = len as u32;
            return Ok((
                vec![Inner {
                    inner: None,
                    rlen,
                    record,
                }],
                len,
            ));
        }
        let (flags, payload, len) = self.open_frame(b)?;
        let records = if flags & FLAG_CHUNK != 0 {
            self.unchunk(&payload)?
        } else {
            let (record, rlen) = decode(self.id, &payload)?;
            if rlen != payload.len() {
                return Err(DecodeError::Malformed);
            }
            vec![Inner {
                inner: None,
                rlen: rlen as u32,
                record,
            }]
        };
        Ok((records, len))
    }

    /// Checks a frame's header and its crc or tag: its flags, its plain
    /// payload and its length.
    fn open_frame(&self, b: &[u8]) -> Result<(u8, Vec<u8>, usize), DecodeError> {
        if b.len() < FRAME_HDR_LEN {
            return Err(DecodeError::Short);
        }
        let flags = b[2];
        let sealed = flags & FLAG_SEALED != 0;
        if b[..2] != FRAME_MAGIC || b[3] != 0 || flags & !(FLAG_CHUNK | FLAG_SEALED) != 0 {
            return Err(DecodeError::Malformed);
        }
        if sealed != self.key.is_some() || (!sealed && flags & FLAG_CHUNK == 0) {
            return Err(DecodeError::Malformed);
        }
        let len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
        let min = FRAME_HDR_LEN + if sealed { NONCE_LEN + TAG_LEN } else { 4 };
        if !(min..=FRAME_LEN_MAX).contains(&len) {
            return Err(DecodeError::Malformed);
        }
        if b.len() < len {
            return Err(DecodeError::Short);
        }
        let payload = match &self.key {
            Some(k) => {
                let mut nonce = [0u8; NONCE_LEN];
                nonce.copy_from_slice(&b[FRAME_HDR_LEN..FRAME_HDR_LEN + NONCE_LEN]);
                let aad = self.aad(b);
                k.open(&nonce, &aad, &b[FRAME_HDR_LEN + NONCE_LEN..len])
                    .ok_or(DecodeError::Checksum)?
            }
            None => {
                let crc = u32::from_le_bytes([b[len - 4], b[len - 3], b[len - 2], b[len - 1]]);
                if self.crc(&b[..len - 4]) != crc {
                    return Err(DecodeError::Checksum);
                }
                b[FRAME_HDR_LEN..len - 4].to_vec()
            }
        };
        Ok((flags, payload, len))
    }

    /// Verifies (or authenticates and decrypts) a chunk frame and returns
    /// its decompressed records, back to back, each still carrying its own
    /// checksum (for the read cache; every record is verified again when it
    /// is taken from it).
    pub fn open_chunk(&self, b: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let (flags, payload, _) = self.open_frame(b)?;
        if flags & FLAG_CHUNK == 0 {
            return Err(DecodeError::Malformed);
        }
        decompress(&payload)
    }

    /// Decompresses a chunk and decodes its records, which must verify and
    /// cover it exactly.
    fn unchunk(&self, payload: &[u8]) -> Result<Vec<Inner>, DecodeError> {
        let raw = decompress(payload)?;
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < raw.len() {
            let (record, len) = decode(self.id, &raw[pos..]).map_err(|_| DecodeError::Malformed)?;
            out.push(Inner {
                inner: Some(pos as u32),
                rlen: len as u32,
                record,
            });
            pos += len;
        }
        if out.is_empty() {
            return Err(DecodeError::Malformed);
        }
        Ok(out)
    }
}

/// S2 (or Snappy) block decompression, bounded by [`CHUNK_RAW_MAX`].
pub fn decompress(payload: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let (dlen, _) = minlz::decode_len(payload).map_err(|_| DecodeError::Malformed)?;
    if dlen > CHUNK_RAW_MAX {
        return Err(DecodeError::Malformed);
    }
    // The decoder fails unless it fills exactly `dlen` bytes.
    let raw = minlz::decode(payload).map_err(|_| DecodeError::Malformed)?;
    if raw.len() != dlen {
        return Err(DecodeError::Malformed);
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::super::cipher::{Cipher, StoreCipher, StreamKey, SALT_LEN};
    use super::super::record::Kind;
    use super::*;

    const ID: BlockId = BlockId {
        stream_hash: 9,
        index: 4,
    };

    fn rec(seq: u64) -> Record {
        Record {
            kind: Kind::Msg,
            seq,
            ts: 5,
            aux: 0,
            subj: b"a.b".to_vec(),
            hdr: vec![],
            msg: vec![b'x'; 100],
        }
    }

    fn keyed(cipher: Cipher) -> BlockCodec {
        let sc = StoreCipher {
            cipher,
            key: b"key".to_vec(),
        };
        BlockCodec {
            id: ID,
            key: Some(StreamKey::derive(&sc, "S").block_key(cipher, &[1; SALT_LEN], b"x")),
            compressed: false,
        }
    }

    #[test]
    fn sealed_frames_round_trip_and_detect_every_bit_flip() {
        let mut prng = Prng::from_seed(1);
        for cipher in [Cipher::Aes, Cipher::ChaChaPoly] {
            let c = keyed(cipher);
            let bytes = c.encode_one(&rec(3), &mut prng);
            assert_eq!(bytes.len(), rec(3).encoded_len() + c.overhead());
            let (recs, n) = c.decode(&bytes).unwrap();
            assert_eq!(n, bytes.len());
            assert_eq!(recs[0].record, rec(3));
            for i in 0..bytes.len() * 8 {
                let mut b = bytes.clone();
                b[i / 8] ^= 1 << (i % 8);
                assert!(
                    c.decode(&b).is_err(),
                    "{cipher:?}: flip of bit {i} undetected"
                );
            }
            // The same bytes in another block do not authenticate.
            let mut other = keyed(cipher);
            other.id.index = 5;
            assert!(other.decode(&bytes).is_err());
            // Nor does a plain codec accept them.
            assert!(BlockCodec::plain(ID).decode(&bytes).is_err());
        }
    }

    #[test]
    fn nonces_are_fresh_for_identical_records() {
        let mut prng = Prng::from_seed(1);
        let c = keyed(Cipher::Aes);
        let a = c.encode_one(&rec(1), &mut prng);
        let b = c.encode_one(&rec(1), &mut prng);
        assert_ne!(a[8..20], b[8..20]);
        assert_ne!(a, b);
    }

    #[test]
    fn chunks_round_trip_plain_and_sealed() {
        let mut prng = Prng::from_seed(2);
        let mut raw = Vec::new();
        for s in 1..=50 {
            raw.extend(encode(ID, &rec(s)));
        }
        let mut plain = BlockCodec::plain(ID);
        plain.compressed = true;
        let mut sealed = keyed(Cipher::ChaChaPoly);
        sealed.compressed = true;
        for c in [plain, sealed] {
            let f = c.encode_chunk(&raw, &mut prng);
            assert!(f.len() < raw.len() / 2, "compressible records compress");
            let (recs, n) = c.decode(&f).unwrap();
            assert_eq!(n, f.len());
            assert_eq!(recs.len(), 50);
            assert_eq!(recs[49].record, rec(50));
            assert_eq!(recs[1].inner, Some(rec(1).encoded_len() as u32));
            for i in (0..f.len()).step_by(7) {
                let mut b = f.clone();
                b[i] ^= 0x04;
                assert!(c.decode(&b).is_err(), "flip at {i} undetected");
            }
        }
    }

    /// S2 decodes Snappy's block format: a hand-made Snappy block (varint
    /// length 11, literal of 5 "hello", copy-1 of length 6 at offset 5…)
    /// and the S2 encoder's own output must both decode.
    #[test]
    fn test_file_store_compression_s2_vectors() {
        // Snappy block: uncompressed length 10, literal "abcde" (tag
        // (5-1)<<2 = 0x10), then copy with 1-byte offset: length 5, offset 5
        // (tag: ((5-4)<<2) | 0b01 | (offset>>8)<<5 = 0x05, offset byte 0x05).
        let snappy = [0x0a, 0x10, b'a', b'b', b'c', b'd', b'e', 0x05, 0x05];
        assert_eq!(decompress(&snappy).unwrap(), b"abcdeabcde");
        // Literal-only block, as every Snappy encoder emits for short input.
        let lit = [0x03, 0x08, b'x', b'y', b'z'];
        assert_eq!(decompress(&lit).unwrap(), b"xyz");
        // Empty input.
        assert_eq!(decompress(&[0x00]).unwrap(), b"");
        // A length that lies is malformed, not a panic.
        assert!(decompress(&[0x0b, 0x10, b'a', b'b', b'c', b'd', b'e', 0x05, 0x05]).is_err());
        assert!(decompress(&[0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
    }
}

//! Encryption at rest (Go's `StoreCipher`, `jetstream { cipher, key }`),
//! rebuilt around an AEAD so that tampering is detected: a frame that fails
//! authentication is damage, never data.
//!
//! Key hierarchy (all HKDF-SHA256; docs/FILESTORE.md, "Encryption"):
//!
//! ```text
//! stream key = HKDF(salt = "rnatsd-jetstream-v1", ikm = configured key, info = "stream" ‖ name)
//! block key  = HKDF(salt = block salt (16 random bytes, in the block header),
//!                   ikm = stream key, info = "block" ‖ cipher ‖ stream hash ‖ index)[0..32]
//! check      = the same expansion [32..40]: the key check value in the header
//! ```
//!
//! Every block (and every rewrite of a block) draws a fresh salt, so each
//! key seals at most one block's frames; each frame carries a 96-bit nonce
//! drawn from the store's [`crate::prng::Prng`] (seeded by the adapter from
//! OS randomness: see [`super::FileStoreConfig::seed`]).

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use sha2::Sha256;
use std::fmt;

pub const SALT_LEN: usize = 16;
pub const NONCE_LEN: usize = 12;
pub const TAG_LEN: usize = 16;
pub const KCV_LEN: usize = 8;
const KEY_LEN: usize = 32;

/// The AEAD of an encrypted store (Go's `AES` and `ChaCha`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Cipher {
    /// AES-256-GCM, the default (`cipher: "aes"`).
    #[default]
    Aes,
    /// ChaCha20-Poly1305 (`cipher: "chachapoly"`).
    ChaChaPoly,
}

impl Cipher {
    /// The byte stored in block headers (0 means unencrypted).
    pub fn id(self) -> u8 {
        match self {
            Cipher::Aes => 1,
            Cipher::ChaChaPoly => 2,
        }
    }

    pub fn from_id(b: u8) -> Option<Cipher> {
        match b {
            1 => Some(Cipher::Aes),
            2 => Some(Cipher::ChaChaPoly),
            _ => None,
        }
    }

    /// Parses the config value (`"aes"`, `"chachapoly"`, case-insensitive;
    /// `"chacha"` and `"chacha20"` too, as Go accepts).
    pub fn parse(s: &str) -> Option<Cipher> {
        match s.to_ascii_lowercase().as_str() {
            "aes" | "aes-gcm" => Some(Cipher::Aes),
            "chacha" | "chachapoly" | "chacha20" | "chacha20-poly1305" => Some(Cipher::ChaChaPoly),
            _ => None,
        }
    }
}

/// The configured cipher and key. `Debug` never prints the key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreCipher {
    pub cipher: Cipher,
    pub key: Vec<u8>,
}

impl fmt::Debug for StoreCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreCipher")
            .field("cipher", &self.cipher)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// The per-stream key, derived from the configured key and the stream name.
#[derive(Clone)]
pub struct StreamKey {
    cipher: Cipher,
    key: [u8; KEY_LEN],
}

impl fmt::Debug for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamKey({:?})", self.cipher)
    }
}

impl StreamKey {
    pub fn derive(sc: &StoreCipher, stream: &str) -> StreamKey {
        let hk = Hkdf::<Sha256>::new(Some(b"rnatsd-jetstream-v1"), &sc.key);
        let mut info = b"stream".to_vec();
        info.extend_from_slice(stream.as_bytes());
        let mut key = [0u8; KEY_LEN];
        // HKDF-SHA256 can expand up to 8160 bytes; 32 always fits.
        hk.expand(&info, &mut key)
            .expect("32 bytes fit HKDF-SHA256");
        StreamKey {
            cipher: sc.cipher,
            key,
        }
    }

    /// The cipher new blocks are written with.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// The key of one block (or file) with the given salt. `cipher` is the
    /// block's own (a block keeps the cipher it was written with).
    pub fn block_key(&self, cipher: Cipher, salt: &[u8; SALT_LEN], label: &[u8]) -> FrameKey {
        let hk = Hkdf::<Sha256>::new(Some(salt), &self.key);
        let mut info = b"block".to_vec();
        info.push(cipher.id());
        info.extend_from_slice(label);
        let mut okm = [0u8; KEY_LEN + KCV_LEN];
        hk.expand(&info, &mut okm)
            .expect("40 bytes fit HKDF-SHA256");
        let mut kcv = [0u8; KCV_LEN];
        kcv.copy_from_slice(&okm[KEY_LEN..]);
        let aead = match cipher {
            Cipher::Aes => Aead::Aes(Box::new(Aes256Gcm::new(okm[..KEY_LEN].into()))),
            Cipher::ChaChaPoly => {
                Aead::ChaCha(Box::new(ChaCha20Poly1305::new(okm[..KEY_LEN].into())))
            }
        };
        FrameKey { cipher, aead, kcv }
    }
}

#[derive(Clone)]
enum Aead {
    Aes(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

/// The AEAD key of one block, and its key check value.
#[derive(Clone)]
pub struct FrameKey {
    pub cipher: Cipher,
    aead: Aead,
    pub kcv: [u8; KCV_LEN],
}

impl fmt::Debug for FrameKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FrameKey({:?})", self.cipher)
    }
}

impl FrameKey {
    /// Encrypts `buf` in place and appends the tag.
    pub fn seal(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], buf: &mut Vec<u8>) {
        let n = Nonce::from_slice(nonce);
        // Both AEADs only fail for plaintexts over 2^36 bytes; records are
        // bounded far below (RECORD_LEN_MAX, chunk limits).
        let tag = match &self.aead {
            Aead::Aes(a) => a.encrypt_in_place_detached(n, aad, buf),
            Aead::ChaCha(a) => a.encrypt_in_place_detached(n, aad, buf),
        }
        .expect("plaintext length bounded by the caller");
        buf.extend_from_slice(&tag);
    }

    /// Verifies and decrypts `ct_tag` (ciphertext followed by the tag).
    /// `None` if authentication fails.
    pub fn open(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], ct_tag: &[u8]) -> Option<Vec<u8>> {
        let ct_len = ct_tag.len().checked_sub(TAG_LEN)?;
        let mut buf = ct_tag[..ct_len].to_vec();
        let tag = aes_gcm::Tag::from_slice(&ct_tag[ct_len..]);
        let n = Nonce::from_slice(nonce);
        let ok = match &self.aead {
            Aead::Aes(a) => a.decrypt_in_place_detached(n, aad, &mut buf, tag),
            Aead::ChaCha(a) => a.decrypt_in_place_detached(n, aad, &mut buf, tag),
        };
        ok.ok().map(|_| buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc(cipher: Cipher, key: &str) -> StoreCipher {
        StoreCipher {
            cipher,
            key: key.as_bytes().to_vec(),
        }
    }

    #[test]
    fn seal_open_round_trip_and_tamper_detection() {
        for cipher in [Cipher::Aes, Cipher::ChaChaPoly] {
            let k = StreamKey::derive(&sc(cipher, "s3cr3t"), "ORDERS").block_key(
                cipher,
                &[7; SALT_LEN],
                b"1",
            );
            let nonce = [3u8; NONCE_LEN];
            let mut buf = b"hello world".to_vec();
            k.seal(&nonce, b"aad", &mut buf);
            assert_eq!(buf.len(), 11 + TAG_LEN);
            assert_eq!(k.open(&nonce, b"aad", &buf).unwrap(), b"hello world");
            assert!(k.open(&nonce, b"aaD", &buf).is_none(), "{cipher:?} aad");
            for i in 0..buf.len() {
                let mut b = buf.clone();
                b[i] ^= 0x10;
                assert!(k.open(&nonce, b"aad", &b).is_none(), "{cipher:?} byte {i}");
            }
        }
    }

    #[test]
    fn keys_differ_by_stream_salt_and_key() {
        let a = StreamKey::derive(&sc(Cipher::Aes, "k1"), "S").block_key(
            Cipher::Aes,
            &[0; SALT_LEN],
            b"",
        );
        let b = StreamKey::derive(&sc(Cipher::Aes, "k2"), "S").block_key(
            Cipher::Aes,
            &[0; SALT_LEN],
            b"",
        );
        let c = StreamKey::derive(&sc(Cipher::Aes, "k1"), "T").block_key(
            Cipher::Aes,
            &[0; SALT_LEN],
            b"",
        );
        let d = StreamKey::derive(&sc(Cipher::Aes, "k1"), "S").block_key(
            Cipher::Aes,
            &[1; SALT_LEN],
            b"",
        );
        assert_ne!(a.kcv, b.kcv);
        assert_ne!(a.kcv, c.kcv);
        assert_ne!(a.kcv, d.kcv);
    }

    #[test]
    fn cipher_names_parse() {
        assert_eq!(Cipher::parse("AES"), Some(Cipher::Aes));
        assert_eq!(Cipher::parse("chachapoly"), Some(Cipher::ChaChaPoly));
        assert_eq!(Cipher::parse("rot13"), None);
        assert!(!format!("{:?}", sc(Cipher::Aes, "topsecret")).contains("topsecret"));
    }
}

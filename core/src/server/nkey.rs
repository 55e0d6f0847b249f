//! NKEY users (Go's nkey.go and the nkey half of auth.go): the INFO nonce
//! challenge and the check of a CONNECT's signature over it.
//!
//! An NKEY public key is base32 (RFC 4648, no padding) of a prefix byte,
//! the 32-byte ed25519 public key and a CRC-16 (XMODEM, little-endian).
//! Only verification happens here; no key is ever generated, and the nonce
//! comes from the engine's seeded [`Prng`].

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey};

use crate::prng::Prng;

/// Go's `nonceRawLen`: random bytes in a nonce.
pub const NONCE_RAW_LEN: usize = 11;
/// Go's `nonceLen`: the nonce's base64url length.
pub const NONCE_LEN: usize = 15;

/// nkeys' `PrefixByteUser` ('U' once encoded).
const PREFIX_BYTE_USER: u8 = 20 << 3;
const ED25519_PUBLIC_KEY_LEN: usize = 32;
const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Go's `generateNonce`: 11 random bytes, base64url without padding.
pub fn generate_nonce(prng: &mut Prng) -> String {
    let mut raw = [0u8; NONCE_RAW_LEN];
    prng.fill_bytes(&mut raw);
    let nonce = URL_SAFE_NO_PAD.encode(raw);
    debug_assert_eq!(nonce.len(), NONCE_LEN);
    nonce
}

/// nkeys' `IsValidPublicUserKey`.
pub fn is_valid_public_user_key(key: &str) -> bool {
    decode_public_user_key(key).is_ok()
}

/// nkeys' `FromPublicKey` for a user key: the raw ed25519 public key.
pub fn decode_public_user_key(key: &str) -> Result<[u8; ED25519_PUBLIC_KEY_LEN], &'static str> {
    let raw = base32_decode(key.as_bytes()).ok_or("invalid encoding")?;
    if raw.len() != 1 + ED25519_PUBLIC_KEY_LEN + 2 {
        return Err("invalid length");
    }
    let (body, crc) = raw.split_at(raw.len() - 2);
    if crc16(body) != u16::from_le_bytes([crc[0], crc[1]]) {
        return Err("invalid checksum");
    }
    if body[0] != PREFIX_BYTE_USER {
        return Err("not a user public key");
    }
    let mut pk = [0u8; ED25519_PUBLIC_KEY_LEN];
    pk.copy_from_slice(&body[1..]);
    Ok(pk)
}

/// The signature check of Go's `processClientOrLeafAuthentication` for an
/// NKEY user: `sig` is base64url (raw, or standard base64 as a fallback)
/// of an ed25519 signature of the nonce by `nkey`. The error is for the
/// server's debug log only.
pub fn verify_nonce_signature(nkey: &str, nonce: &[u8], sig: Option<&str>) -> Result<(), &'static str> {
    let Some(sig) = sig.filter(|s| !s.is_empty()) else {
        return Err("Signature missing");
    };
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .or_else(|_| STANDARD.decode(sig))
        .map_err(|_| "Signature not valid base64")?;
    let pk = decode_public_user_key(nkey).map_err(|_| "User nkey not valid")?;
    let key = VerifyingKey::from_bytes(&pk).map_err(|_| "User nkey not valid")?;
    let sig = Signature::from_slice(&sig).map_err(|_| "Signature not verified")?;
    key.verify_strict(nonce, &sig).map_err(|_| "Signature not verified")
}

/// RFC 4648 base32 without padding (the nkeys encoding). None on a
/// character outside the alphabet.
fn base32_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &c in s {
        let v = BASE32_ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// CRC-16/XMODEM, as nkeys' crc16.go.
fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn base32_encode(data: &[u8]) -> String {
        let mut out = String::new();
        let (mut acc, mut bits) = (0u32, 0u32);
        for &b in data {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(BASE32_ALPHABET[((acc >> bits) & 31) as usize] as char);
            }
        }
        if bits > 0 {
            out.push(BASE32_ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
        }
        out
    }

    fn user_key(signing: &SigningKey) -> String {
        let mut raw = vec![PREFIX_BYTE_USER];
        raw.extend_from_slice(signing.verifying_key().as_bytes());
        let crc = crc16(&raw);
        raw.extend_from_slice(&crc.to_le_bytes());
        base32_encode(&raw)
    }

    /// A user public key from the Go test suite (nkey_test.go).
    const GO_USER_KEY: &str = "UDKTV7HZVYJFJN64LLMYQBUR6MTNNYCDC3LAZH4VHURW3GZLL3FULBXV";

    #[test]
    fn test_nkey_public_key_decoding() {
        assert!(is_valid_public_user_key(GO_USER_KEY));
        // One character changed: the checksum catches it.
        assert!(!is_valid_public_user_key("UDKTV7HZVYJFJN64LLMYQBUR6MTNNYCDC3LAZH4VHURW3GZLL3FULBXW"));
        // A server key (N...) is not a user key.
        assert!(!is_valid_public_user_key("NDKTV7HZVYJFJN64LLMYQBUR6MTNNYCDC3LAZH4VHURW3GZLL3FULBXV"));
        assert!(!is_valid_public_user_key("derek"));
        assert!(!is_valid_public_user_key(""));
    }

    /// Go: TestNonceLength / TestNonceEncoding (nkey_test.go).
    #[test]
    fn test_nonce_length_and_encoding() {
        let mut prng = Prng::from_seed(7);
        let n = generate_nonce(&mut prng);
        assert_eq!(n.len(), NONCE_LEN);
        assert!(n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{n}");
        assert_eq!(URL_SAFE_NO_PAD.decode(&n).unwrap().len(), NONCE_RAW_LEN);
        assert_ne!(n, generate_nonce(&mut prng));
    }

    #[test]
    fn test_nkey_signature_verification() {
        let signing = SigningKey::from_bytes(&[7u8; 32]);
        let pubkey = user_key(&signing);
        assert!(is_valid_public_user_key(&pubkey));
        let nonce = b"abcdefghijklmno";
        let sig = signing.sign(nonce);
        let b64url = URL_SAFE_NO_PAD.encode(sig.to_bytes());
        let b64std = STANDARD.encode(sig.to_bytes());
        assert_eq!(verify_nonce_signature(&pubkey, nonce, Some(&b64url)), Ok(()));
        assert_eq!(verify_nonce_signature(&pubkey, nonce, Some(&b64std)), Ok(()));
        assert!(verify_nonce_signature(&pubkey, b"another-nonce!!", Some(&b64url)).is_err());
        let other = user_key(&SigningKey::from_bytes(&[8u8; 32]));
        assert!(verify_nonce_signature(&other, nonce, Some(&b64url)).is_err());
        assert_eq!(verify_nonce_signature(&pubkey, nonce, None), Err("Signature missing"));
        assert_eq!(verify_nonce_signature(&pubkey, nonce, Some("!!")), Err("Signature not valid base64"));
    }
}

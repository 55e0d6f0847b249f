//! Encoding and signing claims (nats-io/jwt v2 `ClaimsData.doEncode`), for
//! tests and tools: the server itself only decodes. Keys come from fixed
//! seeds ([`test_key`]) so tests are deterministic and no OS randomness
//! is used. `iat` is a parameter, never the clock.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use nkeys::{KeyPair, KeyPairType};
use serde::Serialize;
use sha2::{Digest, Sha512_256};

use super::claims::{
    AccountClaims, ClaimsData, GenericClaims, OperatorClaims, UserClaims, ACCOUNT_CLAIM,
    OPERATOR_CLAIM, USER_CLAIM,
};
use super::decode::{ALGORITHM_NKEY, LIB_VERSION, TOKEN_TYPE_JWT};
use super::JwtError;

/// The role of a test key.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TestKeyKind {
    Operator,
    Account,
    User,
}

/// A deterministic key pair of `kind` from a one-byte seed (`[n; 32]`):
/// different `n` (or kinds) give different keys.
pub fn test_key(kind: TestKeyKind, n: u8) -> KeyPair {
    let t = match kind {
        TestKeyKind::Operator => KeyPairType::Operator,
        TestKeyKind::Account => KeyPairType::Account,
        TestKeyKind::User => KeyPairType::User,
    };
    let mut raw = [n; 32];
    raw[0] = match kind {
        TestKeyKind::Operator => 0x0f,
        TestKeyKind::Account => 0xa0,
        TestKeyKind::User => 0x55,
    };
    // new_from_raw only fails on a malformed seed, and [u8; 32] is always valid.
    KeyPair::new_from_raw(t, raw).expect("32-byte seed")
}

/// Go's `ClaimsData.hash`: base32 (no padding) of SHA-512/256 of the
/// registered fields' JSON with an empty `jti`.
fn claims_hash(c: &ClaimsData) -> Result<String, JwtError> {
    let j = serde_json::to_vec(c).map_err(|e| JwtError::Json(e.to_string()))?;
    let digest = Sha512_256::digest(&j);
    Ok(data_encoding_base32(&digest))
}

fn data_encoding_base32(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(data.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Signs `claims` (serialized as JSON) with `kp` after setting `iss` to
/// `kp`'s public key, `iat` to `issued_at` and `jti` to Go's hash.
fn encode_with<T: Serialize>(
    claims: &mut T,
    data: fn(&mut T) -> &mut ClaimsData,
    kp: &KeyPair,
    issued_at: i64,
) -> Result<String, JwtError> {
    let d = data(claims);
    if d.subject.is_empty() {
        return Err(JwtError::Encode("subject is not set".into()));
    }
    d.issuer = kp.public_key();
    d.issued_at = issued_at;
    d.id = String::new();
    d.id = claims_hash(d)?;
    let header = format!("{{\"typ\":\"{TOKEN_TYPE_JWT}\",\"alg\":\"{ALGORITHM_NKEY}\"}}");
    let payload = serde_json::to_vec(claims).map_err(|e| JwtError::Json(e.to_string()))?;
    let to_sign = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
    let sig = kp.sign(to_sign.as_bytes()).map_err(|_| JwtError::Encode("key cannot sign".into()))?;
    Ok(format!("{to_sign}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

/// Go's `OperatorClaims.Encode`.
pub fn encode_operator(c: &mut OperatorClaims, kp: &KeyPair, issued_at: i64) -> Result<String, JwtError> {
    c.nats.generic.claim_type = OPERATOR_CLAIM.into();
    c.nats.generic.version = LIB_VERSION;
    encode_with(c, |c| &mut c.claims, kp, issued_at)
}

/// Go's `AccountClaims.Encode` (exports and imports sorted by subject).
pub fn encode_account(c: &mut AccountClaims, kp: &KeyPair, issued_at: i64) -> Result<String, JwtError> {
    c.nats.generic.claim_type = ACCOUNT_CLAIM.into();
    c.nats.generic.version = LIB_VERSION;
    c.nats.exports.sort_by(|a, b| a.subject.cmp(&b.subject));
    c.nats.imports.sort_by(|a, b| a.subject.cmp(&b.subject));
    encode_with(c, |c| &mut c.claims, kp, issued_at)
}

/// Go's `UserClaims.Encode`.
pub fn encode_user(c: &mut UserClaims, kp: &KeyPair, issued_at: i64) -> Result<String, JwtError> {
    c.nats.generic.claim_type = USER_CLAIM.into();
    c.nats.generic.version = LIB_VERSION;
    encode_with(c, |c| &mut c.claims, kp, issued_at)
}

/// Go's `GenericClaims.Encode` (e.g. the resolver's delete request).
pub fn encode_generic(c: &mut GenericClaims, kp: &KeyPair, issued_at: i64) -> Result<String, JwtError> {
    encode_with(c, |c| &mut c.claims, kp, issued_at)
}

/// Signs arbitrary bytes with `kp`, base64url without padding (a CONNECT
/// `sig` over the nonce).
pub fn sign_b64(kp: &KeyPair, data: &[u8]) -> Result<String, JwtError> {
    let sig = kp.sign(data).map_err(|_| JwtError::Encode("key cannot sign".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(sig))
}

/// A complete operator -> account -> user chain for tests.
pub struct TestChain {
    pub operator: KeyPair,
    pub account: KeyPair,
    pub user: KeyPair,
    pub operator_jwt: String,
    pub account_jwt: String,
    pub user_jwt: String,
}

impl TestChain {
    /// Keys from seed bytes `n`; everything issued at `iat`; the account
    /// and user are unlimited.
    pub fn new(n: u8, iat: i64) -> Result<TestChain, JwtError> {
        let operator = test_key(TestKeyKind::Operator, n);
        let account = test_key(TestKeyKind::Account, n);
        let user = test_key(TestKeyKind::User, n);
        let mut oc = OperatorClaims::default();
        oc.claims.subject = operator.public_key();
        oc.claims.name = format!("O{n}");
        let operator_jwt = encode_operator(&mut oc, &operator, iat)?;
        let mut ac = AccountClaims::new(&account.public_key());
        ac.claims.name = format!("A{n}");
        let account_jwt = encode_account(&mut ac, &operator, iat)?;
        let mut uc = UserClaims::new(&user.public_key());
        uc.claims.name = format!("U{n}");
        let user_jwt = encode_user(&mut uc, &account, iat)?;
        Ok(TestChain { operator, account, user, operator_jwt, account_jwt, user_jwt })
    }
}

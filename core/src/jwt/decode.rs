//! Decoding a NATS JWT (nats-io/jwt v2 `decoder.go`, `header.go`,
//! `genericlaims.go`): three base64url chunks, a header naming the
//! ed25519-nkey algorithm, claims JSON, and an ed25519 signature by the
//! issuer's nkey. Never panics: every failure is a [`JwtError`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::claims::{
    AccountClaims, Claims, GenericClaims, OperatorClaims, UserClaims, ACCOUNT_CLAIM,
    ACTIVATION_CLAIM, OPERATOR_CLAIM, USER_CLAIM,
};
use super::nkey::{self, KeyKind};
use super::JwtError;

/// Go's `MaxTokenSize`.
pub const MAX_TOKEN_SIZE: usize = 1024 * 1024;
/// Go's `TokenTypeJwt`.
pub const TOKEN_TYPE_JWT: &str = "JWT";
/// Go's `AlgorithmNkeyOld` (v1) and `AlgorithmNkey` (v2).
pub const ALGORITHM_NKEY_OLD: &str = "ed25519";
pub const ALGORITHM_NKEY: &str = "ed25519-nkey";
/// Go's `libVersion`: the newest claim version this decoder reads.
pub const LIB_VERSION: i64 = 2;
/// JSON nesting allowed in claims (serde_json's own limit is 128; this keeps
/// the null-stripping pass shallow too).
const JSON_DEPTH_MAX: usize = 64;

#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    typ: String,
    #[serde(default)]
    alg: String,
}

/// Go's `parseHeaders` + `Header.Valid`. Returns the lower-cased algorithm.
fn parse_header(chunk: &str) -> Result<String, JwtError> {
    let raw = decode_b64(chunk, "header")?;
    let h: Header = serde_json::from_slice(&raw).map_err(|e| JwtError::Json(format!("header: {e}")))?;
    if !h.typ.eq_ignore_ascii_case(TOKEN_TYPE_JWT) {
        return Err(JwtError::Header(format!("not supported type {:?}", h.typ)));
    }
    let alg = h.alg.to_ascii_lowercase();
    if alg != ALGORITHM_NKEY_OLD && alg != ALGORITHM_NKEY {
        return Err(JwtError::Header(format!("unexpected {:?} algorithm", h.alg)));
    }
    Ok(alg)
}

fn decode_b64(chunk: &str, part: &'static str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD.decode(chunk).map_err(|_| JwtError::Base64(part))
}

/// Go's JSON decoder leaves a field at its zero value on `null`; serde
/// does not, so nulls are removed from objects before typed decoding.
fn strip_nulls(v: &mut serde_json::Value, depth: usize) -> Result<(), JwtError> {
    if depth > JSON_DEPTH_MAX {
        return Err(JwtError::Json("claims nested too deeply".into()));
    }
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            for v in m.values_mut() {
                strip_nulls(v, depth + 1)?;
            }
        }
        serde_json::Value::Array(a) => {
            for v in a.iter_mut() {
                strip_nulls(v, depth + 1)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn typed<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, JwtError> {
    serde_json::from_value(v).map_err(|e| JwtError::Json(e.to_string()))
}

/// Go's `identifier`: the claim kind and version. A top-level `type` marks
/// a v1 claim; v2 keeps `type` and `version` inside `nats`.
fn kind_and_version(v: &serde_json::Value) -> (String, i64) {
    let top = v.get("type").and_then(|t| t.as_str()).unwrap_or("");
    if !top.is_empty() {
        return (top.to_string(), 1);
    }
    let nats = v.get("nats");
    let kind = nats.and_then(|n| n.get("type")).and_then(|t| t.as_str()).unwrap_or("");
    let ver = nats.and_then(|n| n.get("version")).and_then(|t| t.as_i64()).unwrap_or(0);
    (kind.to_string(), ver)
}

/// The three chunks of a token and the decoded header algorithm.
struct Parts<'a> {
    signed_v2: &'a str,
    payload_chunk: &'a str,
    payload: serde_json::Value,
    sig: Vec<u8>,
    alg: String,
}

fn split(token: &str) -> Result<Parts<'_>, JwtError> {
    if token.len() > MAX_TOKEN_SIZE {
        return Err(JwtError::TokenTooLarge(token.len()));
    }
    let mut it = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(JwtError::Chunks);
    };
    let alg = parse_header(h)?;
    let raw = decode_b64(p, "claims")?;
    let mut payload: serde_json::Value =
        serde_json::from_slice(&raw).map_err(|e| JwtError::Json(e.to_string()))?;
    if !payload.is_object() {
        return Err(JwtError::Json("claims are not a JSON object".into()));
    }
    strip_nulls(&mut payload, 0)?;
    let sig = decode_b64(s, "signature")?;
    Ok(Parts { signed_v2: &token[..h.len() + 1 + p.len()], payload_chunk: p, payload, sig, alg })
}

/// Go's `Decode`: checks the header, the signature by `iss` (v1 signs the
/// claims chunk, v2 `header.claims`) and the issuer's key kind for the
/// claim type. Time and content validation are separate (`validate`).
pub fn decode(token: &str) -> Result<Claims, JwtError> {
    let Parts { signed_v2, payload_chunk, payload, sig, .. } = split(token)?;
    let (kind, version) = kind_and_version(&payload);
    if version > LIB_VERSION {
        return Err(JwtError::NewerVersion);
    }
    let claims = match kind.as_str() {
        OPERATOR_CLAIM => Claims::Operator(typed(payload)?),
        ACCOUNT_CLAIM => Claims::Account(typed(payload)?),
        USER_CLAIM => Claims::User(typed(payload)?),
        ACTIVATION_CLAIM | "authorization_request" | "authorization_response" | "cluster"
        | "server" => return Err(JwtError::UnsupportedClaimType(kind)),
        _ => Claims::Generic(typed(payload)?),
    };
    let issuer = &claims.data().issuer;
    let signed = if version <= 1 { payload_chunk } else { signed_v2 };
    if nkey::verify(issuer, signed.as_bytes(), &sig).is_err() {
        return Err(JwtError::Signature { v2: version > 1 });
    }
    let expected: &[KeyKind] = match &claims {
        Claims::Operator(_) => &[KeyKind::Operator],
        Claims::Account(_) => &[KeyKind::Account, KeyKind::Operator],
        Claims::User(_) => &[KeyKind::Account],
        Claims::Generic(_) => &[],
    };
    if !expected.is_empty() && !expected.iter().any(|k| nkey::is_valid_public_key_of(issuer, *k)) {
        let names: Vec<&str> = expected.iter().map(|k| k.name()).collect();
        return Err(JwtError::IssuerPrefix(names.join(",")));
    }
    Ok(claims)
}

/// Go's `DecodeGeneric`: any claim type, registered fields and raw `nats`;
/// the signature is still checked.
pub fn decode_generic(token: &str) -> Result<GenericClaims, JwtError> {
    let parts = split(token)?;
    let gc: GenericClaims = typed(parts.payload)?;
    let signed = if parts.alg == ALGORITHM_NKEY_OLD { parts.payload_chunk } else { parts.signed_v2 };
    if nkey::verify(&gc.claims.issuer, signed.as_bytes(), &parts.sig).is_err() {
        return Err(JwtError::Signature { v2: parts.alg != ALGORITHM_NKEY_OLD });
    }
    Ok(gc)
}

/// Go's `DecodeOperatorClaims`.
pub fn decode_operator_claims(token: &str) -> Result<OperatorClaims, JwtError> {
    match decode(token)? {
        Claims::Operator(c) => Ok(c),
        other => Err(JwtError::WrongClaimType { expected: OPERATOR_CLAIM, got: other.claim_type() }),
    }
}

/// Go's `DecodeAccountClaims`.
pub fn decode_account_claims(token: &str) -> Result<AccountClaims, JwtError> {
    match decode(token)? {
        Claims::Account(c) => Ok(c),
        other => Err(JwtError::WrongClaimType { expected: ACCOUNT_CLAIM, got: other.claim_type() }),
    }
}

/// Go's `DecodeUserClaims`.
pub fn decode_user_claims(token: &str) -> Result<UserClaims, JwtError> {
    match decode(token)? {
        Claims::User(c) => Ok(c),
        other => Err(JwtError::WrongClaimType { expected: USER_CLAIM, got: other.claim_type() }),
    }
}

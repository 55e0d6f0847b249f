//! Creds files and decorated JWTs (nats-io/jwt v2 `creds_utils.go`):
//!
//! ```text
//! -----BEGIN NATS USER JWT-----
//! eyJ0eXAiOiJKV1Qi...
//! ------END NATS USER JWT------
//! ...
//! -----BEGIN USER NKEY SEED-----
//! SUAM...
//! ------END USER NKEY SEED------
//! ```
//!
//! The same block format wraps operator JWTs in files named by the
//! `operator` config key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use nkeys::KeyPair;

use super::nkey;
use super::JwtError;

/// A line with two runs of at least three dashes (Go's `[-]{3,}.*[-]{3,}`).
fn is_dash_line(line: &str) -> bool {
    line.find("---").is_some_and(|a| line[a + 3..].contains("---"))
}

/// The regex class `[\w\-.=]+`.
fn is_token_line(line: &str) -> bool {
    !line.is_empty() && line.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'='))
}

/// Every `dashes / token / dashes` block's token, in file order (Go's
/// `userConfigRE.FindAllSubmatch`).
pub fn decorated_blocks(contents: &str) -> Vec<&str> {
    let lines: Vec<&str> = contents.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < lines.len() {
        if is_dash_line(lines[i]) && is_token_line(lines[i + 1].trim_start()) && is_dash_line(lines[i + 2]) {
            out.push(lines[i + 1].trim_start());
            i += 3;
        } else {
            i += 1;
        }
    }
    out
}

/// Go's `ParseDecoratedJWT`: the first block's token, or the whole input
/// (trimmed) when there is no block (a bare JWT).
pub fn parse_decorated_jwt(contents: &str) -> String {
    match decorated_blocks(contents).first() {
        Some(tok) => tok.to_string(),
        None => contents.trim().to_string(),
    }
}

/// Go's `ParseDecoratedNKey`: the second block's seed, or the first line
/// starting with `SO`, `SA` or `SU`.
pub fn parse_decorated_nkey(contents: &str) -> Result<KeyPair, JwtError> {
    let blocks = decorated_blocks(contents);
    let seed = if blocks.len() > 1 {
        Some(blocks[1])
    } else {
        contents.lines().map(str::trim).find(|l| l.starts_with("SO") || l.starts_with("SA") || l.starts_with("SU"))
    };
    let Some(seed) = seed else {
        return Err(JwtError::Creds("no nkey seed found".into()));
    };
    if !(seed.starts_with("SO") || seed.starts_with("SA") || seed.starts_with("SU")) {
        return Err(JwtError::Creds("doesn't contain a seed nkey".into()));
    }
    nkey::from_seed(seed).map_err(|e| JwtError::Creds(e.into()))
}

/// A parsed user creds file.
pub struct UserCreds {
    pub jwt: String,
    pub key: KeyPair,
}

impl std::fmt::Debug for UserCreds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the seed.
        f.debug_struct("UserCreds").field("jwt", &self.jwt).field("key", &self.key.public_key()).finish()
    }
}

impl UserCreds {
    /// Signs a server nonce for CONNECT `sig` (base64url, no padding).
    pub fn sign_nonce(&self, nonce: &[u8]) -> Result<String, JwtError> {
        let sig = self.key.sign(nonce).map_err(|_| JwtError::Creds("cannot sign with this key".into()))?;
        Ok(URL_SAFE_NO_PAD.encode(sig))
    }
}

/// Go's `ParseDecoratedJWT` + `ParseDecoratedUserNKey` on a creds file.
pub fn parse_user_creds(contents: &str) -> Result<UserCreds, JwtError> {
    let jwt = parse_decorated_jwt(contents);
    if decorated_blocks(contents).is_empty() {
        return Err(JwtError::Creds("no user JWT found".into()));
    }
    let key = parse_decorated_nkey(contents)?;
    let seed = key.seed().map_err(|_| JwtError::Creds("no seed".into()))?;
    if !seed.starts_with("SU") {
        return Err(JwtError::Creds("doesn't contain an user seed nkey".into()));
    }
    Ok(UserCreds { jwt, key })
}

/// Go's `FormatUserConfig` layout (the seed is written as given; the
/// caller checks it matches the JWT subject).
pub fn format_user_config(jwt: &str, seed: &str) -> String {
    format!(
        "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
         ************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\
         NKEYs are sensitive and should be treated as secrets.\n\n\
         -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n\n\
         *************************************************************\n"
    )
}

/// Go's `DecorateJWT` layout for an operator (or any) JWT.
pub fn decorate_jwt(kind: &str, jwt: &str) -> String {
    let k = kind.to_ascii_uppercase();
    format!("-----BEGIN NATS {k} JWT-----\n{jwt}\n------END NATS {k} JWT------\n")
}

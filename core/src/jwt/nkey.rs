//! NKEY public-key checks and signature verification for JWTs, on top of
//! the nkeys crate. Only verification and keys from given seeds: nothing
//! here asks the OS for randomness (`KeyPair::new*` is never called).

use nkeys::{KeyPair, KeyPairType};

/// The role a public key's prefix byte encodes (nkeys' `PrefixByte*`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Operator,
    Account,
    User,
    Server,
    Cluster,
}

impl KeyKind {
    fn matches(self, t: &KeyPairType) -> bool {
        matches!(
            (self, t),
            (KeyKind::Operator, KeyPairType::Operator)
                | (KeyKind::Account, KeyPairType::Account)
                | (KeyKind::User, KeyPairType::User)
                | (KeyKind::Server, KeyPairType::Server)
                | (KeyKind::Cluster, KeyPairType::Cluster)
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Operator => "operator",
            KeyKind::Account => "account",
            KeyKind::User => "user",
            KeyKind::Server => "server",
            KeyKind::Cluster => "cluster",
        }
    }
}

/// A public key's prefix byte first letter, decoded with its checksum.
fn public_key_type(key: &str) -> Option<KeyPairType> {
    // nkeys decodes any length; public keys are 56 characters.
    if key.len() != 56 {
        return None;
    }
    KeyPair::from_public_key(key).ok().map(|kp| kp.key_pair_type())
}

/// nkeys' `IsValidPublic{Operator,Account,User,...}Key`.
pub fn is_valid_public_key_of(key: &str, kind: KeyKind) -> bool {
    public_key_type(key).is_some_and(|t| kind.matches(&t))
}

pub fn is_valid_public_operator_key(key: &str) -> bool {
    is_valid_public_key_of(key, KeyKind::Operator)
}
pub fn is_valid_public_account_key(key: &str) -> bool {
    is_valid_public_key_of(key, KeyKind::Account)
}
pub fn is_valid_public_user_key(key: &str) -> bool {
    is_valid_public_key_of(key, KeyKind::User)
}
/// nkeys' `IsValidPublicKey`: any valid public key.
pub fn is_valid_public_key(key: &str) -> bool {
    public_key_type(key).is_some()
}

/// Verifies an ed25519 signature by the public nkey `key`. Errors are
/// short texts for debug logs.
pub fn verify(key: &str, data: &[u8], sig: &[u8]) -> Result<(), &'static str> {
    let kp = KeyPair::from_public_key(key).map_err(|_| "public nkey not valid")?;
    kp.verify(data, sig).map_err(|_| "signature not verified")
}

/// A key pair from an encoded seed (`S...`), for signing (creds files, the
/// test-side encoder). Errors are short texts.
pub fn from_seed(seed: &str) -> Result<KeyPair, &'static str> {
    KeyPair::from_seed(seed.trim()).map_err(|_| "nkey seed not valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_kinds_are_checked_by_prefix_and_checksum() {
        let op = KeyPair::new_from_raw(KeyPairType::Operator, [1; 32]).unwrap().public_key();
        let acc = KeyPair::new_from_raw(KeyPairType::Account, [2; 32]).unwrap().public_key();
        assert!(is_valid_public_operator_key(&op));
        assert!(!is_valid_public_account_key(&op));
        assert!(is_valid_public_account_key(&acc));
        assert!(is_valid_public_key(&acc));
        let mut bad = acc.clone().into_bytes();
        bad[10] = if bad[10] == b'A' { b'B' } else { b'A' };
        assert!(!is_valid_public_key(std::str::from_utf8(&bad).unwrap()));
        assert!(!is_valid_public_key(""));
        assert!(!is_valid_public_key("A"));
    }
}

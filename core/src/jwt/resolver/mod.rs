//! Account resolvers (Go's `AccountResolver` implementations in
//! accounts.go): where the server finds an account's JWT by public key.
//!
//! - [`MemAccResolver`]: `resolver: MEMORY` filled from `resolver_preload`.
//! - [`dirstore::DirJwtStore`] + [`sys_api::DirAccResolver`]: `resolver:
//!   {type: full, dir: ...}`; JWTs persisted through
//!   [`crate::storage::Storage`] and updated by `$SYS.REQ...CLAIMS` requests.
//!
//! `URL(...)` and `type: cache` resolvers are not ported (they need the
//! network or a fetch from other servers).

pub mod dirstore;
pub mod sys_api;

use std::collections::BTreeMap;
use std::fmt;

use super::decode::decode_account_claims;
use super::nkey::is_valid_public_account_key;

/// A resolver failure (Go's error values and texts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolverError {
    /// Go's `ErrMissingAccount`.
    MissingAccount,
    /// `fetchAccount` on something that is not an account public key.
    InvalidAccountKey,
    /// The store refused: read-only, full, bad key, bad JWT, ...
    Store(String),
    /// The storage failed.
    Storage(crate::storage::StorageError),
}

impl fmt::Display for ResolverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolverError::MissingAccount => f.write_str("account missing"),
            ResolverError::InvalidAccountKey => f.write_str("will only fetch valid account keys"),
            ResolverError::Store(m) => f.write_str(m),
            ResolverError::Storage(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ResolverError {}

impl From<crate::storage::StorageError> for ResolverError {
    fn from(e: crate::storage::StorageError) -> Self {
        ResolverError::Storage(e)
    }
}

/// Go's `MemAccResolver`: account JWTs in memory, keyed by public key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemAccResolver {
    accounts: BTreeMap<String, String>,
}

impl MemAccResolver {
    pub fn new() -> MemAccResolver {
        MemAccResolver::default()
    }

    /// Go's `fetchAccount` + `MemAccResolver.Fetch`.
    pub fn fetch(&self, name: &str) -> Result<&str, ResolverError> {
        if !is_valid_public_account_key(name) {
            return Err(ResolverError::InvalidAccountKey);
        }
        self.accounts.get(name).map(String::as_str).ok_or(ResolverError::MissingAccount)
    }

    /// Go's `MemAccResolver.Store` (last write wins).
    pub fn store(&mut self, name: &str, jwt: &str) {
        self.accounts.insert(name.to_string(), jwt.to_string());
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// The `resolver_preload` step of Go's `configureResolver`: every JWT
    /// must decode as account claims, then it is stored under its key.
    pub fn preload<'a>(
        &mut self,
        preloads: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), String> {
        for (k, v) in preloads {
            if let Err(e) = decode_account_claims(v) {
                return Err(format!("preload account error for {k:?}: {e}"));
            }
            self.store(k, v);
        }
        Ok(())
    }
}

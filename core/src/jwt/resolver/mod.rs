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

use super::auth::TrustedOperators;
use super::decode::decode_account_claims;
use super::nkey::is_valid_public_account_key;
use crate::conf::operator::{OperatorConfig, ResolverConfig};
use crate::storage::Storage;
use dirstore::{DeleteType, DirJwtStore};
use sys_api::DirAccResolver;

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

/// The configured resolver (Go's `AccountResolver` interface, for the two
/// kinds ported).
#[derive(Clone, Debug)]
pub enum AccountResolver {
    Memory(MemAccResolver),
    Full(DirAccResolver),
}

impl AccountResolver {
    /// Go's `fetchAccount`: the account JWT by public key (local only; a
    /// full resolver that misses should then ask other servers).
    pub fn fetch(&self, name: &str) -> Result<&str, ResolverError> {
        match self {
            AccountResolver::Memory(m) => m.fetch(name),
            AccountResolver::Full(d) => d.fetch(name),
        }
    }

    /// Go's `IsTrackingUpdate`: the full resolver takes `$SYS` updates.
    pub fn is_tracking_update(&self) -> bool {
        matches!(self, AccountResolver::Full(_))
    }

    pub fn dir(&mut self) -> Option<&mut DirAccResolver> {
        match self {
            AccountResolver::Full(d) => Some(d),
            AccountResolver::Memory(_) => None,
        }
    }
}

/// Go's `configureResolver` for the ported kinds: builds the resolver of
/// `cfg` and stores `resolver_preload` into it. For `type: full`,
/// `storage` must be rooted at the resolver's `dir` (the adapter opens it);
/// the JWT files are `<account>.jwt` in that root. URL and cache resolvers
/// are refused.
pub fn configure_resolver(
    cfg: &OperatorConfig,
    trusted: &TrustedOperators,
    storage: &mut dyn Storage,
) -> Result<AccountResolver, String> {
    let preloads = cfg.resolver_preload.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    match &cfg.resolver {
        None => Err("operators require an account resolver to be configured".into()),
        Some(ResolverConfig::Memory) => {
            let mut m = MemAccResolver::new();
            m.preload(preloads)?;
            Ok(AccountResolver::Memory(m))
        }
        Some(ResolverConfig::Full { allow_delete, hard_delete, limit, .. }) => {
            let delete = match (allow_delete, hard_delete) {
                (false, _) => DeleteType::NoDelete,
                (true, true) => DeleteType::HardDelete,
                (true, false) => DeleteType::RenameDeleted,
            };
            let store = DirJwtStore::open(storage, "", delete, *limit).map_err(|e| e.to_string())?;
            let mut d = DirAccResolver::new(store, trusted.clone()).map_err(|e| e.to_string())?;
            for (k, v) in preloads {
                decode_account_claims(v).map_err(|e| format!("preload account error for {k:?}: {e}"))?;
                d.store_jwt(storage, k, v).map_err(|e| format!("preload account error for {k:?}: {e}"))?;
            }
            Ok(AccountResolver::Full(d))
        }
        Some(ResolverConfig::Url(u)) => Err(format!("URL account resolver ({u}) is not supported")),
        Some(ResolverConfig::Cache { .. }) => Err("CACHE account resolver is not supported".into()),
    }
}

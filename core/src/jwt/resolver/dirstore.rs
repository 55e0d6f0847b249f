//! The full directory resolver's JWT store (Go's `DirJWTStore` in
//! dirstore.go, non-sharded, no TTL, no LRU eviction): one file
//! `<dir>/<pubkey>.jwt` per account, an in-memory copy of every JWT, and
//! the XOR of their SHA-256 hashes (compared between servers by the PACK
//! request).
//!
//! Writes go through [`Storage`] as an atomic replace (`.tmp`, sync,
//! rename, sync_dir), so a crash leaves either the old or the new JWT.
//! Go writes in place; the files are the same.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::ResolverError;
use crate::jwt::decode::decode_generic;
use crate::jwt::nkey::{is_valid_public_account_key, is_valid_public_key};
use crate::storage::{Storage, StorageError, StorageErrorKind};

/// Go's `fileExtension`.
pub const FILE_EXTENSION: &str = ".jwt";
const TMP_SUFFIX: &str = ".tmp";
const DELETED_SUFFIX: &str = ".deleted";
/// Largest JWT file read back (Go's `MaxTokenSize`).
const FILE_LEN_MAX: u64 = crate::jwt::decode::MAX_TOKEN_SIZE as u64;

/// Go's `deleteType`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum DeleteType {
    #[default]
    NoDelete,
    RenameDeleted,
    HardDelete,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    jwt: String,
    hash: [u8; 32],
    /// `exp` of the JWT in unix seconds, `i64::MAX` if none.
    expires: i64,
}

/// Go's `DirJWTStore` as the full resolver uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirJwtStore {
    dir: String,
    delete_type: DeleteType,
    limit: usize,
    readonly: bool,
    entries: BTreeMap<String, Entry>,
    hash: [u8; 32],
}

fn xor_assign(l: &mut [u8; 32], r: &[u8; 32]) {
    for (a, b) in l.iter_mut().zip(r) {
        *a ^= b;
    }
}

fn jwt_expiry(jwt: &str) -> i64 {
    match decode_generic(jwt) {
        Ok(g) if g.claims.expires > 0 => g.claims.expires,
        _ => i64::MAX,
    }
}

fn read_all(storage: &mut dyn Storage, path: &str) -> Result<Vec<u8>, StorageError> {
    let f = storage.open(path, false)?;
    let res = (|| {
        let len = storage.len(f)?;
        if len > FILE_LEN_MAX {
            return Err(StorageError::new(StorageErrorKind::InvalidInput, format!("{path}: too large")));
        }
        let mut buf = vec![0u8; len as usize];
        let mut off = 0usize;
        while off < buf.len() {
            let n = storage.read_at(f, off as u64, &mut buf[off..])?;
            if n == 0 {
                break;
            }
            off += n;
        }
        buf.truncate(off);
        Ok(buf)
    })();
    storage.close(f);
    res
}

impl DirJwtStore {
    /// Go's `NewExpiringDirJWTStore` for the full resolver: loads every
    /// `*.jwt` file of `dir` (`""` is the storage root). `limit` 0 or less
    /// means no limit. Leftover `.tmp` files of an interrupted write are
    /// removed.
    pub fn open(
        storage: &mut dyn Storage,
        dir: &str,
        delete_type: DeleteType,
        limit: i64,
    ) -> Result<DirJwtStore, ResolverError> {
        let limit = if limit <= 0 { usize::MAX } else { usize::try_from(limit).unwrap_or(usize::MAX) };
        let mut store = DirJwtStore {
            dir: dir.trim_end_matches('/').to_string(),
            delete_type,
            limit,
            readonly: false,
            entries: BTreeMap::new(),
            hash: [0; 32],
        };
        for name in storage.list(&store.dir)? {
            if name.ends_with(TMP_SUFFIX) {
                storage.remove(&store.path(&name))?;
                continue;
            }
            let Some(key) = name.strip_suffix(FILE_EXTENSION) else { continue };
            if !is_valid_public_key(key) {
                continue;
            }
            let data = read_all(storage, &store.path(&name))?;
            // Go reads files as strings; a non-UTF-8 file cannot be a JWT.
            let Ok(jwt) = String::from_utf8(data) else { continue };
            store.track(key, jwt);
        }
        Ok(store)
    }

    /// Marks the store read-only (Go's immutable store).
    pub fn set_readonly(&mut self, readonly: bool) {
        self.readonly = readonly;
    }

    fn path(&self, name: &str) -> String {
        if self.dir.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.dir)
        }
    }

    fn track(&mut self, key: &str, jwt: String) {
        let hash: [u8; 32] = Sha256::digest(jwt.as_bytes()).into();
        let expires = jwt_expiry(&jwt);
        if let Some(old) = self.entries.remove(key) {
            xor_assign(&mut self.hash, &old.hash);
        }
        xor_assign(&mut self.hash, &hash);
        self.entries.insert(key.to_string(), Entry { jwt, hash, expires });
    }

    fn untrack(&mut self, key: &str) {
        if let Some(old) = self.entries.remove(key) {
            xor_assign(&mut self.hash, &old.hash);
        }
    }

    /// Go's `LoadAcc`.
    pub fn load(&self, pub_key: &str) -> Option<&str> {
        self.entries.get(pub_key).map(|e| e.jwt.as_str())
    }

    /// The stored account keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Go's `Hash`: the XOR of the SHA-256 of every stored JWT.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// Go's `write`: false when the same JWT is already stored.
    fn write(&mut self, storage: &mut dyn Storage, key: &str, jwt: &str) -> Result<bool, ResolverError> {
        if jwt.is_empty() {
            return Err(ResolverError::Store("invalid JWT".into()));
        }
        match self.entries.get(key) {
            Some(e) if e.hash == <[u8; 32]>::from(Sha256::digest(jwt.as_bytes())) => return Ok(false),
            Some(_) => {}
            None if self.entries.len() >= self.limit => {
                return Err(ResolverError::Store("jwt store is full".into()));
            }
            None => {}
        }
        let path = self.path(&format!("{key}{FILE_EXTENSION}"));
        let tmp = format!("{path}{TMP_SUFFIX}");
        let f = storage.open(&tmp, true)?;
        let res = (|| {
            storage.truncate(f, 0)?;
            storage.write_at(f, 0, jwt.as_bytes())?;
            storage.sync(f)
        })();
        storage.close(f);
        res?;
        storage.rename(&tmp, &path)?;
        storage.sync_dir(&self.dir)?;
        self.track(key, jwt.to_string());
        Ok(true)
    }

    fn check_key(&self, key: &str) -> Result<(), ResolverError> {
        if self.readonly {
            return Err(ResolverError::Store("store is read-only".into()));
        }
        if !is_valid_public_key(key) {
            return Err(ResolverError::Store("invalid public key".into()));
        }
        Ok(())
    }

    /// Go's `save`: stores the JWT whatever its age. True when it changed.
    pub fn save(&mut self, storage: &mut dyn Storage, key: &str, jwt: &str) -> Result<bool, ResolverError> {
        self.check_key(key)?;
        self.write(storage, key, jwt)
    }

    /// Go's `saveIfNewer`: with a JWT already stored, the new one must be
    /// a different claim (`jti`), not older (`iat`), and for the same
    /// subject; otherwise it is ignored (Ok(false)) or refused.
    pub fn save_if_newer(&mut self, storage: &mut dyn Storage, key: &str, jwt: &str) -> Result<bool, ResolverError> {
        self.check_key(key)?;
        if let Some(existing) = self.entries.get(key) {
            let new = decode_generic(jwt).map_err(|e| ResolverError::Store(e.to_string()))?;
            // Go ignores an undecodable existing JWT and overwrites it.
            if let Ok(old) = decode_generic(&existing.jwt) {
                if old.claims.id == new.claims.id || old.claims.issued_at > new.claims.issued_at {
                    return Ok(false);
                }
                if new.claims.subject != key {
                    return Err(ResolverError::Store("jwt subject nkey and provided nkey do not match".into()));
                }
                if old.claims.subject != new.claims.subject {
                    return Err(ResolverError::Store("subject of existing and new jwt do not match".into()));
                }
            }
        }
        self.write(storage, key, jwt)
    }

    /// Go's `delete`: renames to `.deleted` or removes, per the delete type.
    /// Deleting a missing key succeeds (Ok(false)).
    pub fn delete(&mut self, storage: &mut dyn Storage, key: &str) -> Result<bool, ResolverError> {
        if self.readonly {
            return Err(ResolverError::Store("store is read-only".into()));
        }
        if self.delete_type == DeleteType::NoDelete {
            return Err(ResolverError::Store("store is not set up to for delete".into()));
        }
        if !is_valid_public_key(key) {
            return Err(ResolverError::Store("invalid public key".into()));
        }
        let path = self.path(&format!("{key}{FILE_EXTENSION}"));
        let res = if self.delete_type == DeleteType::RenameDeleted {
            storage.rename(&path, &format!("{path}{DELETED_SUFFIX}"))
        } else {
            storage.remove(&path)
        };
        match res {
            Err(e) if e.kind == StorageErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e.into()),
            Ok(()) => {}
        }
        storage.sync_dir(&self.dir)?;
        self.untrack(key);
        Ok(true)
    }

    /// The delete type this store was opened with.
    pub fn delete_type(&self) -> DeleteType {
        self.delete_type
    }

    /// Go's `PackWalk(max, cb)`: `pubkey|jwt` lines, `max` per message,
    /// skipping expired JWTs.
    pub fn pack_walk(&self, max_jwts: usize, now_secs: i64) -> Vec<String> {
        let max = max_jwts.max(1);
        let mut out = Vec::new();
        let mut cur: Vec<String> = Vec::new();
        for (k, e) in &self.entries {
            if e.jwt.is_empty() || e.expires < now_secs {
                continue;
            }
            cur.push(format!("{k}|{}", e.jwt));
            if cur.len() == max {
                out.push(cur.join("\n"));
                cur.clear();
            }
        }
        if !cur.is_empty() {
            out.push(cur.join("\n"));
        }
        out
    }

    /// Go's `Merge`: `pubkey|jwt` lines saved with [`Self::save_if_newer`].
    /// Returns the keys that changed.
    pub fn merge(&mut self, storage: &mut dyn Storage, pack: &str) -> Result<Vec<String>, ResolverError> {
        let mut changed = Vec::new();
        for line in pack.split('\n') {
            if line.is_empty() {
                continue;
            }
            let split: Vec<&str> = line.split('|').collect();
            if split.len() != 2 {
                return Err(ResolverError::Store(format!("line in package didn't contain 2 entries: {line:?}")));
            }
            if !is_valid_public_account_key(split[0]) {
                return Err(ResolverError::Store("key to merge is not a valid public account key".into()));
            }
            if self.save_if_newer(storage, split[0], split[1])? {
                changed.push(split[0].to_string());
            }
        }
        Ok(changed)
    }

    /// The expiration loop of Go's `startExpiring`: removes the files of
    /// JWTs whose `exp` is at or before `now_secs`; returns their keys.
    /// The engine calls this from a timer (Go checks every minute).
    pub fn expire(&mut self, storage: &mut dyn Storage, now_secs: i64) -> Result<Vec<String>, ResolverError> {
        let expired: Vec<String> =
            self.entries.iter().filter(|(_, e)| e.expires <= now_secs).map(|(k, _)| k.clone()).collect();
        for k in &expired {
            let path = self.path(&format!("{k}{FILE_EXTENSION}"));
            match storage.remove(&path) {
                Ok(()) => {}
                Err(e) if e.kind == StorageErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
            self.untrack(k);
        }
        if !expired.is_empty() {
            storage.sync_dir(&self.dir)?;
        }
        Ok(expired)
    }
}

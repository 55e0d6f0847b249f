//! The narrow, synchronous storage trait through which `core` reaches a disk.
//!
//! The file store and the Raft log are sans-IO state machines: they *read*
//! through a [`Storage`] and *request* durable writes, which the adapter
//! performs through the same trait. `rnatsd-io-tokio` implements it with real
//! files and `fsync`; `rnatsd-io-sim` implements it with a simulated disk that
//! keeps a volatile and a durable image of every file and injects faults.
//!
//! # Paths
//!
//! Paths are `/`-separated, relative to the storage root chosen by the
//! adapter (the JetStream `store_dir`), never absolute and never containing
//! `..` or empty components; an implementation rejects anything else with
//! [`StorageErrorKind::InvalidInput`]. The directory of `a/b/c.blk` is `a/b`;
//! the root directory is `""`. Directories exist implicitly: `open(path,
//! true)` creates missing parent directories.
//!
//! # Durability contract
//!
//! Every implementation must provide at least these guarantees, and callers
//! must assume no more. "Crash" means the process or machine stops at an
//! arbitrary point; everything not listed as durable may be lost, partially
//! persisted (torn at sector granularity) or rolled back.
//!
//! 1. [`Storage::write_at`], [`Storage::append`] and [`Storage::truncate`]
//!    change the *volatile* image: later reads through the same storage see
//!    them, but none of them is durable.
//! 2. After [`Storage::sync`] on a file returns `Ok`, every change to that
//!    file's *contents and length* made before the call is durable.
//! 3. The *existence* of a file under a name is a directory entry. A newly
//!    created file, a [`Storage::rename`] and a [`Storage::remove`] are
//!    durable only after [`Storage::sync_dir`] on the directory holding the
//!    name returns `Ok` (for a rename, on both the source and the target
//!    directory). A file whose contents were synced but whose directory entry
//!    was not may vanish after a crash.
//! 4. A rename replaces the target atomically: after a crash the name refers
//!    either to the old file or to the new one, never to a mix.
//! 5. If `sync` or `sync_dir` returns an error, the durability of the
//!    preceding changes is unknown; the caller must treat the file (or
//!    directory) as possibly damaged and must not report the data as durable.
//!
//! 6. A [`SyncHandle`] from [`Storage::sync_handle`] gives the same
//!    guarantee as [`Storage::sync`] for every change made to the file
//!    before the handle's [`SyncHandle::sync`] starts; changes made while it
//!    runs may or may not be included. Until it returns `Ok`, nothing it
//!    covers may be reported as durable.
//!
//! ## Split-phase sync (group commit off the engine's lock)
//!
//! A storage whose files can be synced from another thread hands out
//! [`SyncHandle`]s. The file store takes one per dirty file when a flush
//! begins, the engine passes them to the adapter as a sync batch, the
//! adapter runs them outside the engine and reports the results; only then
//! does the store advance what it calls durable. Meanwhile the engine goes
//! on taking writes. A storage that returns `None` (the default) is synced
//! in place, as before.
//!
//! Data read back may also have been corrupted at rest or in flight; callers
//! that care (all of them) checksum what they write and verify what they read.
//!
//! ## Atomic replace of a small file (e.g. a state or meta file)
//!
//! ```text
//! open("d/x.tmp", create) ; truncate(0) ; write_at(0, bytes) ; sync
//! rename("d/x.tmp", "d/x") ; sync_dir("d")          // now "d/x" is durable
//! ```
//!
//! ## Append-only block file with a header
//!
//! ```text
//! open("d/1.blk", create) ; write_at(0, header) ; sync ; sync_dir("d")
//! append(record)* ; sync                            // records durable
//! ```

use std::fmt;

/// A handle to an open file, valid until [`Storage::close`] or until the
/// storage is dropped (a simulated crash invalidates every handle).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u64);

/// What went wrong, modelled on the errno values a disk can produce.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StorageErrorKind {
    /// EIO: the device failed the read, write or flush.
    Eio,
    /// ENOSPC: no space left on the device.
    Enospc,
    /// ENOENT: no such file (open without create, rename or remove of a
    /// missing name, list of a missing directory).
    NotFound,
    /// EBADF: the [`FileId`] is not (or no longer) open.
    BadHandle,
    /// EINVAL: a malformed path or an argument out of range.
    InvalidInput,
    /// Anything else the OS reports.
    Other,
}

/// An error from a [`Storage`] call: its kind and a human-readable context
/// (usually the path and the operation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageError {
    pub kind: StorageErrorKind,
    pub context: String,
}

impl StorageError {
    pub fn new(kind: StorageErrorKind, context: impl Into<String>) -> StorageError {
        StorageError { kind, context: context.into() }
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage error {:?}: {}", self.kind, self.context)
    }
}

impl std::error::Error for StorageError {}

/// A synchronous, narrow view of a disk. See the module documentation for
/// the path rules and the durability contract.
///
/// All methods take `&mut self`: a storage is owned by one state machine (or
/// lent to it for the duration of a call) and needs no locking.
pub trait Storage {
    /// Opens `path` for reading and writing. With `create`, a missing file is
    /// created empty (its existence is durable only after `sync_dir`).
    /// Without `create`, a missing file is [`StorageErrorKind::NotFound`].
    fn open(&mut self, path: &str, create: bool) -> Result<FileId, StorageError>;

    /// Forgets the handle. Closing does not sync anything.
    fn close(&mut self, file: FileId);

    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read,
    /// which is short only at the end of the file (0 at or past the end).
    fn read_at(&mut self, file: FileId, offset: u64, buf: &mut [u8])
        -> Result<usize, StorageError>;

    /// Writes all of `data` at `offset`, extending the file (with zeros in
    /// any gap) if needed. Not durable until [`Storage::sync`].
    fn write_at(&mut self, file: FileId, offset: u64, data: &[u8]) -> Result<(), StorageError>;

    /// Writes `data` at the current end of the file and returns the offset it
    /// was written at. Not durable until [`Storage::sync`].
    fn append(&mut self, file: FileId, data: &[u8]) -> Result<u64, StorageError>;

    /// The current (volatile) length of the file.
    fn len(&mut self, file: FileId) -> Result<u64, StorageError>;

    /// Sets the length of the file, cutting or zero-extending it. Not durable
    /// until [`Storage::sync`].
    fn truncate(&mut self, file: FileId, len: u64) -> Result<(), StorageError>;

    /// Makes the contents and length of `file` durable (fsync).
    fn sync(&mut self, file: FileId) -> Result<(), StorageError>;

    /// Atomically renames `from` to `to`, replacing `to` if it exists. Open
    /// handles keep referring to the same file. Durable after `sync_dir` of
    /// both parent directories.
    fn rename(&mut self, from: &str, to: &str) -> Result<(), StorageError>;

    /// Removes the name `path`. Open handles stay usable until closed.
    /// Durable after `sync_dir` of the parent directory.
    fn remove(&mut self, path: &str) -> Result<(), StorageError>;

    /// Makes every directory entry change (create, rename, remove) in `dir`
    /// durable (fsync of the directory).
    fn sync_dir(&mut self, dir: &str) -> Result<(), StorageError>;

    /// The names (not paths) of the files directly inside `dir`, sorted.
    /// Subdirectories are listed by name with a trailing `/`. A directory
    /// that does not exist lists as empty.
    fn list(&mut self, dir: &str) -> Result<Vec<String>, StorageError>;

    /// A handle that syncs `file` later, from outside the engine (rule 6 of
    /// the durability contract). `None`: this storage only syncs in place;
    /// the caller then calls [`Storage::sync`].
    fn sync_handle(&mut self, _file: FileId) -> Option<Box<dyn SyncHandle>> {
        None
    }
}

/// One file's deferred sync, run by the adapter outside the engine (see the
/// module documentation). Running it twice is allowed (a second fsync).
pub trait SyncHandle: Send + fmt::Debug {
    /// Makes every change to the file made before this call durable.
    fn sync(&self) -> Result<(), StorageError>;
}

/// The syncs of one group commit, as the engine hands them to its adapter
/// (`Server::poll_sync`), and whose results it takes back
/// (`Server::handle_sync_done`, one result per handle, in order).
#[derive(Debug)]
pub struct SyncBatch {
    /// Names the batch in `handle_sync_done`.
    pub id: u64,
    pub handles: Vec<Box<dyn SyncHandle>>,
}

impl SyncBatch {
    /// Runs every handle in order: what an adapter does on its sync thread.
    pub fn run(&self) -> Vec<Result<(), StorageError>> {
        self.handles.iter().map(|h| h.sync()).collect()
    }
}

/// Checks the path rules of the module documentation.
pub fn validate_path(path: &str) -> Result<(), StorageError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.split('/').any(|c| c.is_empty() || c == "." || c == "..")
        || path.contains('\0');
    if bad {
        return Err(StorageError::new(StorageErrorKind::InvalidInput, format!("bad path {path:?}")));
    }
    Ok(())
}

/// The directory holding `path` (`""` for a name in the root).
pub fn parent_dir(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_validated() {
        assert!(validate_path("a/b.blk").is_ok());
        assert!(validate_path("x").is_ok());
        for bad in ["", "/abs", "a//b", "a/../b", "./a", "a/", "a\0b"] {
            let err = validate_path(bad).unwrap_err();
            assert_eq!(err.kind, StorageErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn parent_dir_of_paths() {
        assert_eq!(parent_dir("a/b/c.blk"), "a/b");
        assert_eq!(parent_dir("c.blk"), "");
    }
}

//! Appends gathered in memory until a sync needs them (Go's `fileStore`
//! keeps a block's new records in its cache and writes them out in one go).
//!
//! [`WriteBuffer`] wraps a [`Storage`]: `append` (and a `write_at` at the
//! current end) only copies into a per-file buffer, and the buffer goes to
//! the file in one write when anything needs the file itself: a sync or a
//! sync handle, a truncate, a write elsewhere, a close, or the buffer
//! reaching its limit. Reads see buffered bytes. So a group commit costs
//! one write and one sync for the whole batch instead of a write per
//! message, and the engine never writes to a file while its deferred sync
//! runs (a batch begins only after the previous one finished).
//!
//! Durability is unchanged: the contract promises nothing for data that was
//! not synced, and every sync writes the buffer first. A failed write-out is
//! remembered: every later sync, sync handle and directory sync of this
//! storage reports it, so nothing written before it can be called durable.

use std::collections::BTreeMap;

use crate::storage::{FileId, Storage, StorageError, StorageErrorKind, SyncHandle};

/// Bytes buffered per file before they are written out without a sync.
pub const WRITE_BUFFER_LIMIT: usize = 256 * 1024;

/// One file's buffered tail: `data` belongs at `base`, the length of the
/// file underneath.
#[derive(Debug)]
struct Tail {
    base: u64,
    data: Vec<u8>,
}

/// A [`Storage`] that buffers appends (see the module documentation).
#[derive(Debug)]
pub struct WriteBuffer<S: Storage> {
    inner: S,
    tails: BTreeMap<FileId, Tail>,
    limit: usize,
    /// The first failed write-out: reported by every later sync.
    failed: Option<StorageError>,
}

/// The handle given for a file whose buffer could not be written: it
/// reports that error.
#[derive(Debug)]
struct FailedSync(StorageError);

impl SyncHandle for FailedSync {
    fn sync(&self) -> Result<(), StorageError> {
        Err(self.0.clone())
    }
}

impl<S: Storage> WriteBuffer<S> {
    pub fn new(inner: S) -> WriteBuffer<S> {
        WriteBuffer::with_limit(inner, WRITE_BUFFER_LIMIT)
    }

    pub fn with_limit(inner: S, limit: usize) -> WriteBuffer<S> {
        assert!(limit > 0);
        WriteBuffer { inner, tails: BTreeMap::new(), limit, failed: None }
    }

    pub fn into_inner(mut self) -> S {
        let files: Vec<FileId> = self.tails.keys().copied().collect();
        for f in files {
            let _ = self.write_out(f);
        }
        self.inner
    }

    /// Bytes buffered and not yet written to any file.
    pub fn buffered(&self) -> usize {
        self.tails.values().map(|t| t.data.len()).sum()
    }

    /// Writes `file`'s buffered tail to the file; the (now empty) tail
    /// stays, remembering where the file ends.
    fn write_out(&mut self, file: FileId) -> Result<(), StorageError> {
        let Some(tail) = self.tails.get_mut(&file) else {
            return Ok(());
        };
        if tail.data.is_empty() {
            return Ok(());
        }
        match self.inner.write_at(file, tail.base, &tail.data) {
            Ok(()) => {
                tail.base += tail.data.len() as u64;
                tail.data.clear();
                Ok(())
            }
            Err(e) => {
                self.tails.remove(&file);
                if self.failed.is_none() {
                    self.failed = Some(e.clone());
                }
                Err(e)
            }
        }
    }

    /// Writes out and forgets `file`'s tail (its length is about to change
    /// in a way the tail cannot follow).
    fn forget(&mut self, file: FileId) -> Result<(), StorageError> {
        let res = self.write_out(file);
        self.tails.remove(&file);
        res
    }

    /// The tail of `file`, created (empty, at the file's end) if missing.
    fn tail(&mut self, file: FileId) -> Result<&mut Tail, StorageError> {
        if !self.tails.contains_key(&file) {
            let base = self.inner.len(file)?;
            self.tails.insert(file, Tail { base, data: Vec::new() });
        }
        Ok(self.tails.get_mut(&file).expect("inserted above"))
    }

    /// Writes the tail out if it reached the limit.
    fn spill(&mut self, file: FileId) -> Result<(), StorageError> {
        if self.tails.get(&file).is_some_and(|t| t.data.len() >= self.limit) {
            self.write_out(file)?;
        }
        Ok(())
    }

    fn check_failed(&self) -> Result<(), StorageError> {
        match &self.failed {
            Some(e) => Err(StorageError::new(e.kind, format!("earlier buffered write failed: {}", e.context))),
            None => Ok(()),
        }
    }

    pub fn check_invariants(&self) {
        for t in self.tails.values() {
            assert!(t.data.len() < self.limit, "a full buffer is written out at once");
        }
    }
}

impl<S: Storage> Storage for WriteBuffer<S> {
    fn open(&mut self, path: &str, create: bool) -> Result<FileId, StorageError> {
        self.inner.open(path, create)
    }

    fn close(&mut self, file: FileId) {
        // Closing promises nothing durable; a failed write-out is still
        // remembered for the next sync.
        let _ = self.forget(file);
        self.inner.close(file)
    }

    fn read_at(&mut self, file: FileId, offset: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        let Some(tail) = self.tails.get(&file) else {
            return self.inner.read_at(file, offset, buf);
        };
        let base = tail.base;
        if offset >= base {
            let start = (offset - base) as usize;
            if start >= tail.data.len() {
                return Ok(0);
            }
            let n = buf.len().min(tail.data.len() - start);
            buf[..n].copy_from_slice(&tail.data[start..start + n]);
            return Ok(n);
        }
        let below = ((base - offset) as usize).min(buf.len());
        let mut done = 0;
        while done < below {
            let n = self.inner.read_at(file, offset + done as u64, &mut buf[done..below])?;
            if n == 0 {
                // The file underneath is shorter than the buffer's base:
                // only another writer could have cut it.
                return Err(StorageError::new(StorageErrorKind::Other, "file shrank under its write buffer"));
            }
            done += n;
        }
        if below == buf.len() {
            return Ok(done);
        }
        let tail = self.tails.get(&file).expect("checked above");
        let n = (buf.len() - below).min(tail.data.len());
        buf[below..below + n].copy_from_slice(&tail.data[..n]);
        Ok(below + n)
    }

    fn write_at(&mut self, file: FileId, offset: u64, data: &[u8]) -> Result<(), StorageError> {
        let tail = self.tail(file)?;
        let end = tail.base + tail.data.len() as u64;
        let stop = offset + data.len() as u64;
        if offset == end {
            tail.data.extend_from_slice(data);
            return self.spill(file);
        }
        if offset >= tail.base && stop <= end {
            // Inside the buffered tail (an erased record): patch it.
            let at = (offset - tail.base) as usize;
            tail.data[at..at + data.len()].copy_from_slice(data);
            return Ok(());
        }
        if stop <= tail.base {
            // Inside the file underneath: the tail is unaffected.
            return self.inner.write_at(file, offset, data);
        }
        self.forget(file)?;
        self.inner.write_at(file, offset, data)
    }

    fn append(&mut self, file: FileId, data: &[u8]) -> Result<u64, StorageError> {
        let tail = self.tail(file)?;
        let at = tail.base + tail.data.len() as u64;
        tail.data.extend_from_slice(data);
        self.spill(file)?;
        Ok(at)
    }

    fn len(&mut self, file: FileId) -> Result<u64, StorageError> {
        match self.tails.get(&file) {
            Some(t) => Ok(t.base + t.data.len() as u64),
            None => self.inner.len(file),
        }
    }

    fn truncate(&mut self, file: FileId, len: u64) -> Result<(), StorageError> {
        self.forget(file)?;
        self.inner.truncate(file, len)
    }

    fn sync(&mut self, file: FileId) -> Result<(), StorageError> {
        self.write_out(file)?;
        self.check_failed()?;
        self.inner.sync(file)
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), StorageError> {
        self.inner.rename(from, to)
    }

    fn remove(&mut self, path: &str) -> Result<(), StorageError> {
        self.inner.remove(path)
    }

    fn sync_dir(&mut self, dir: &str) -> Result<(), StorageError> {
        self.check_failed()?;
        self.inner.sync_dir(dir)
    }

    fn list(&mut self, dir: &str) -> Result<Vec<String>, StorageError> {
        self.inner.list(dir)
    }

    fn sync_handle(&mut self, file: FileId) -> Option<Box<dyn SyncHandle>> {
        if let Err(e) = self.write_out(file).and_then(|_| self.check_failed()) {
            return Some(Box::new(FailedSync(e)));
        }
        self.inner.sync_handle(file)
    }
}


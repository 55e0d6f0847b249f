//! One simulated disk shared by several storages: JetStream asks its
//! factory for one storage per stream, and every one of them must land on
//! the same `SimDisk` (and the factory must be `Send`). The lock is never
//! contended: the simulator is single-threaded.

use std::sync::{Arc, Mutex, MutexGuard};

use rnatsd_core::storage::{FileId, Storage, StorageError, SyncHandle};

use crate::disk::SimDisk;

/// A cloneable handle to one [`SimDisk`]; every clone reaches the same disk.
#[derive(Clone, Debug)]
pub struct SharedDisk(Arc<Mutex<SimDisk>>, bool);

/// A deferred sync of one simulated file (see [`SharedDisk::with_deferred_sync`]):
/// syncs the file when the simulation runs it, with the disk's faults. A
/// handle from before a crash reports a bad handle.
#[derive(Debug)]
pub struct SimSyncHandle {
    disk: Arc<Mutex<SimDisk>>,
    file: FileId,
}

impl SyncHandle for SimSyncHandle {
    fn sync(&self) -> Result<(), StorageError> {
        self.disk.lock().unwrap_or_else(|e| e.into_inner()).sync(self.file)
    }
}

impl SharedDisk {
    pub fn new(disk: SimDisk) -> SharedDisk {
        SharedDisk(Arc::new(Mutex::new(disk)), false)
    }

    /// This clone (and its clones) gives sync handles: the engine's group
    /// commit then goes through `Server::poll_sync`, and the simulation
    /// chooses when (or whether, if it crashes first) each batch runs.
    pub fn with_deferred_sync(mut self) -> SharedDisk {
        self.1 = true;
        self
    }

    /// The disk itself (to crash it, tick it, read its counters).
    pub fn disk(&self) -> MutexGuard<'_, SimDisk> {
        // A poisoned lock means a panic elsewhere in the same test: the
        // disk's state is still what it was, so go on and let that panic
        // be the one reported.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Storage for SharedDisk {
    fn open(&mut self, p: &str, c: bool) -> Result<FileId, StorageError> {
        self.disk().open(p, c)
    }
    fn close(&mut self, f: FileId) {
        self.disk().close(f)
    }
    fn read_at(&mut self, f: FileId, o: u64, b: &mut [u8]) -> Result<usize, StorageError> {
        self.disk().read_at(f, o, b)
    }
    fn write_at(&mut self, f: FileId, o: u64, d: &[u8]) -> Result<(), StorageError> {
        self.disk().write_at(f, o, d)
    }
    fn append(&mut self, f: FileId, d: &[u8]) -> Result<u64, StorageError> {
        self.disk().append(f, d)
    }
    fn len(&mut self, f: FileId) -> Result<u64, StorageError> {
        self.disk().len(f)
    }
    fn truncate(&mut self, f: FileId, l: u64) -> Result<(), StorageError> {
        self.disk().truncate(f, l)
    }
    fn sync(&mut self, f: FileId) -> Result<(), StorageError> {
        self.disk().sync(f)
    }
    fn rename(&mut self, a: &str, b: &str) -> Result<(), StorageError> {
        self.disk().rename(a, b)
    }
    fn remove(&mut self, p: &str) -> Result<(), StorageError> {
        self.disk().remove(p)
    }
    fn sync_dir(&mut self, d: &str) -> Result<(), StorageError> {
        self.disk().sync_dir(d)
    }
    fn list(&mut self, d: &str) -> Result<Vec<String>, StorageError> {
        self.disk().list(d)
    }
    fn sync_handle(&mut self, f: FileId) -> Option<Box<dyn SyncHandle>> {
        self.1.then(|| Box::new(SimSyncHandle { disk: self.0.clone(), file: f }) as Box<dyn SyncHandle>)
    }
}

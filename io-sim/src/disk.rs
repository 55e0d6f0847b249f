//! A simulated disk implementing [`Storage`], with crash semantics and a
//! fault menu.
//!
//! Model: files are inodes with a *volatile* image (what reads see; the page
//! cache) and a *durable* image (what survives a crash). Names map to inodes
//! in two directory tables, volatile and durable. `sync` copies a file's
//! volatile image to its durable one; `sync_dir` copies the entries of one
//! directory. [`SimDisk::crash`] throws away everything volatile, so unsynced
//! writes, files whose directory entry was never synced, and unsynced renames
//! and removes are all undone, and then applies the crash-time faults (torn
//! writes, stale rollback, truncation) the config and the atlas allow.
//! Directories themselves are implicit and always durable.

use crate::faults::{FaultAtlas, FaultCounters, FaultKind};
use crate::prng::{range_inclusive, Prng, Ratio};
use rnatsd_core::storage::{
    parent_dir, validate_path, FileId, Storage, StorageError, StorageErrorKind,
};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

/// Fault rates and geometry of one simulated disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskConfig {
    /// Torn writes keep or lose whole sectors of this size.
    pub sector_size: u64,
    /// Total bytes of all files' volatile images; beyond it writes fail with
    /// ENOSPC.
    pub capacity: u64,
    /// Per read: one bit of the returned bytes is flipped.
    pub bit_flip_on_read: Ratio,
    /// Per [`SimDisk::tick`]: one bit of a file is flipped on the media.
    pub bit_flip_at_rest: Ratio,
    /// Per write: the bytes land one or more sectors away from where asked.
    pub misdirected_write: Ratio,
    /// Per write: reported done, never happened.
    pub lost_write: Ratio,
    pub eio_read: Ratio,
    pub eio_write: Ratio,
    pub eio_sync: Ratio,
    /// Per write: a spurious ENOSPC even below capacity.
    pub enospc: Ratio,
    /// Per operation: it takes up to `slow_io_max` of extra time.
    pub slow_io: Ratio,
    pub slow_io_max: Duration,
    /// Per crash and dirty file: a random subset of its unsynced sectors
    /// persists instead of none.
    pub torn_write: Ratio,
    /// Per crash and file: a sector-aligned chunk reverts to the bytes it
    /// had before the last sync.
    pub stale_rollback: Ratio,
    /// Per crash and file: the durable image loses a random tail.
    pub truncation: Ratio,
}

impl DiskConfig {
    /// A perfect disk: no faults, 1 GiB.
    pub fn perfect() -> DiskConfig {
        DiskConfig {
            sector_size: 512,
            capacity: 1 << 30,
            bit_flip_on_read: Ratio::NEVER,
            bit_flip_at_rest: Ratio::NEVER,
            misdirected_write: Ratio::NEVER,
            lost_write: Ratio::NEVER,
            eio_read: Ratio::NEVER,
            eio_write: Ratio::NEVER,
            eio_sync: Ratio::NEVER,
            enospc: Ratio::NEVER,
            slow_io: Ratio::NEVER,
            slow_io_max: Duration::ZERO,
            torn_write: Ratio::NEVER,
            stale_rollback: Ratio::NEVER,
            truncation: Ratio::NEVER,
        }
    }
}

impl fmt::Display for DiskConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sector={} capacity={} flip_read={} flip_rest={} misdirect={} lost={} \
             eio_read={} eio_write={} eio_sync={} enospc={} slow={}(max {:?}) torn={} \
             rollback={} truncate={}",
            self.sector_size,
            self.capacity,
            self.bit_flip_on_read,
            self.bit_flip_at_rest,
            self.misdirected_write,
            self.lost_write,
            self.eio_read,
            self.eio_write,
            self.eio_sync,
            self.enospc,
            self.slow_io,
            self.slow_io_max,
            self.torn_write,
            self.stale_rollback,
            self.truncation
        )
    }
}

#[derive(Clone, Debug, Default)]
struct Inode {
    volatile: Vec<u8>,
    durable: Vec<u8>,
    /// The durable image before the last sync that changed it (for stale
    /// rollback).
    previous: Option<Vec<u8>>,
}

#[derive(Clone, Debug)]
struct Handle {
    inode: u64,
    /// The name the file was opened under, for the atlas.
    path: String,
}

/// The simulated disk of one node. It outlives the node's crashes.
#[derive(Debug)]
pub struct SimDisk {
    config: DiskConfig,
    atlas: FaultAtlas,
    prng: Prng,
    counters: FaultCounters,
    inodes: BTreeMap<u64, Inode>,
    next_inode: u64,
    names: BTreeMap<String, u64>,
    durable_names: BTreeMap<String, u64>,
    handles: BTreeMap<u64, Handle>,
    next_handle: u64,
    latency: Duration,
}

fn err(kind: StorageErrorKind, ctx: impl Into<String>) -> StorageError {
    StorageError::new(kind, ctx)
}

impl SimDisk {
    pub fn new(seed: u64, config: DiskConfig, atlas: FaultAtlas) -> SimDisk {
        assert!(config.sector_size > 0);
        SimDisk {
            config,
            atlas,
            prng: Prng::from_seed(seed),
            counters: FaultCounters::default(),
            inodes: BTreeMap::new(),
            next_inode: 1,
            names: BTreeMap::new(),
            durable_names: BTreeMap::new(),
            handles: BTreeMap::new(),
            next_handle: 1,
            latency: Duration::ZERO,
        }
    }

    pub fn config(&self) -> &DiskConfig {
        &self.config
    }

    pub fn set_config(&mut self, config: DiskConfig) {
        self.config = config;
    }

    pub fn atlas(&self) -> &FaultAtlas {
        &self.atlas
    }

    pub fn counters(&self) -> &FaultCounters {
        &self.counters
    }

    /// Extra time the operations since the last call took (slow IO); the
    /// harness advances the node's time by it.
    pub fn take_latency(&mut self) -> Duration {
        std::mem::take(&mut self.latency)
    }

    /// The volatile contents of `path` (what a read would see now).
    pub fn volatile_contents(&self, path: &str) -> Option<&[u8]> {
        self.names
            .get(path)
            .map(|i| self.inodes[i].volatile.as_slice())
    }

    /// The contents `path` would have after a crash without faults.
    pub fn durable_contents(&self, path: &str) -> Option<&[u8]> {
        self.durable_names
            .get(path)
            .map(|i| self.inodes[i].durable.as_slice())
    }

    /// Every volatile name, sorted.
    pub fn paths(&self) -> Vec<String> {
        self.names.keys().cloned().collect()
    }

    fn used_bytes(&self) -> u64 {
        self.inodes.values().map(|i| i.volatile.len() as u64).sum()
    }

    fn slow(&mut self) {
        if self.config.slow_io.sample(&mut self.prng) {
            self.counters.hit(FaultKind::DiskSlowIo);
            let max = self.config.slow_io_max.as_nanos().min(u64::MAX as u128) as u64;
            self.latency += Duration::from_nanos(range_inclusive(&mut self.prng, 0, max));
        }
    }

    fn handle(&self, file: FileId) -> Result<Handle, StorageError> {
        self.handles
            .get(&file.0)
            .cloned()
            .ok_or_else(|| err(StorageErrorKind::BadHandle, format!("{file:?}")))
    }

    fn gc_inode(&mut self, inode: u64) {
        let named = self.names.values().any(|i| *i == inode)
            || self.durable_names.values().any(|i| *i == inode);
        let open = self.handles.values().any(|h| h.inode == inode);
        if !named && !open {
            self.inodes.remove(&inode);
        }
    }

    /// Writes `data` at `offset` into the volatile image of `inode`.
    fn put(&mut self, inode: u64, offset: u64, data: &[u8]) {
        let image = &mut self
            .inodes
            .get_mut(&inode)
            .expect("handle refers to a live inode")
            .volatile;
        let end = offset as usize + data.len();
        if image.len() < end {
            image.resize(end, 0);
        }
        image[offset as usize..end].copy_from_slice(data);
    }

    fn check_space(&mut self, growth: u64, ctx: &str) -> Result<(), StorageError> {
        if self.config.enospc.sample(&mut self.prng) {
            self.counters.hit(FaultKind::DiskEnospc);
            return Err(err(StorageErrorKind::Enospc, format!("{ctx}: injected")));
        }
        if self.used_bytes() + growth > self.config.capacity {
            self.counters.hit(FaultKind::DiskEnospc);
            return Err(err(StorageErrorKind::Enospc, format!("{ctx}: disk full")));
        }
        Ok(())
    }

    /// Whether `[start, end)` of `path` may be damaged.
    fn may_damage(&self, path: &str, start: u64, end: u64) -> bool {
        self.atlas.may_damage_file(path) && self.atlas.clamp(start, end) == Some((start, end))
    }

    /// Periodic at-rest faults; the harness calls it on a timer.
    pub fn tick(&mut self) {
        if !self.config.bit_flip_at_rest.sample(&mut self.prng) {
            return;
        }
        let candidates: Vec<(String, u64)> = self
            .names
            .iter()
            .filter(|(p, i)| self.atlas.may_damage_file(p) && !self.inodes[i].durable.is_empty())
            .map(|(p, i)| (p.clone(), *i))
            .collect();
        if candidates.is_empty() {
            return;
        }
        let (_, inode) = candidates[self.prng.below(candidates.len() as u64) as usize].clone();
        let len = self.inodes[&inode].durable.len() as u64;
        let Some((lo, hi)) = self.atlas.clamp(0, len) else {
            return;
        };
        let pos = range_inclusive(&mut self.prng, lo, hi - 1) as usize;
        let bit = 1u8 << self.prng.below(8);
        let node = self.inodes.get_mut(&inode).expect("candidate inode exists");
        let clean = node.volatile.get(pos) == node.durable.get(pos);
        node.durable[pos] ^= bit;
        if clean {
            node.volatile[pos] ^= bit;
        }
        self.counters.hit(FaultKind::DiskBitFlipAtRest);
    }

    /// The process died: everything volatile is gone, then crash-time faults
    /// apply. Every open handle becomes invalid.
    pub fn crash(&mut self) {
        self.handles.clear();
        self.names = self.durable_names.clone();
        let live: BTreeSet<u64> = self.durable_names.values().copied().collect();
        self.inodes.retain(|i, _| live.contains(i));
        let paths: BTreeMap<u64, String> = self
            .durable_names
            .iter()
            .map(|(p, i)| (*i, p.clone()))
            .collect();
        let ids: Vec<u64> = self.inodes.keys().copied().collect();
        for id in ids {
            let path = paths[&id].clone();
            self.crash_file(id, &path);
        }
    }

    fn crash_file(&mut self, id: u64, path: &str) {
        let may = self.atlas.may_damage_file(path);
        let sector = self.config.sector_size;
        let dirty = {
            let node = &self.inodes[&id];
            node.volatile != node.durable
        };
        if dirty && may && self.config.torn_write.sample(&mut self.prng) {
            self.counters.hit(FaultKind::DiskTornWrite);
            let node = self.inodes[&id].clone();
            let torn = tear(&node.durable, &node.volatile, sector, &mut self.prng);
            self.inodes.get_mut(&id).expect("live inode").durable = torn;
        }
        let prev = self.inodes[&id].previous.clone();
        if let Some(prev) = prev.filter(|_| may) {
            if self.config.stale_rollback.sample(&mut self.prng) {
                let node = self.inodes.get_mut(&id).expect("live inode");
                let common = prev.len().min(node.durable.len()) as u64;
                if let Some((lo, hi)) = self.atlas.clamp(0, common) {
                    let first = lo.div_ceil(sector);
                    let last = hi / sector;
                    if first < last {
                        let s = range_inclusive(&mut self.prng, first, last - 1);
                        let (a, b) = ((s * sector) as usize, ((s + 1) * sector) as usize);
                        if node.durable[a..b] != prev[a..b] {
                            node.durable[a..b].copy_from_slice(&prev[a..b]);
                            self.counters.hit(FaultKind::DiskStaleRollback);
                        }
                    }
                }
            }
        }
        if may && self.config.truncation.sample(&mut self.prng) {
            let node = self.inodes.get_mut(&id).expect("live inode");
            let len = node.durable.len() as u64;
            if let Some((lo, hi)) = self.atlas.clamp(0, len) {
                if self.atlas.region.is_none() || hi == len {
                    let cut = range_inclusive(&mut self.prng, lo, hi - 1);
                    node.durable.truncate(cut as usize);
                    self.counters.hit(FaultKind::DiskTruncation);
                }
            }
        }
        let node = self.inodes.get_mut(&id).expect("live inode");
        node.volatile = node.durable.clone();
    }
}

/// A crash image between `old` (durable) and `new` (volatile): a length
/// between the two, and each sector either entirely old or entirely new
/// (zeros where the chosen image is shorter).
pub fn tear(old: &[u8], new: &[u8], sector: u64, prng: &mut Prng) -> Vec<u8> {
    let (short, long) = (
        old.len().min(new.len()) as u64,
        old.len().max(new.len()) as u64,
    );
    let len = match prng.below(3) {
        0 => old.len() as u64,
        1 => new.len() as u64,
        _ => {
            let s = range_inclusive(prng, short / sector, long / sector);
            (s * sector).clamp(short, long)
        }
    };
    let mut out = vec![0u8; len as usize];
    let mut start = 0u64;
    while start < len {
        let end = (start + sector).min(len);
        let src = if prng.below(2) == 0 { old } else { new };
        for (pos, byte) in out[start as usize..end as usize].iter_mut().enumerate() {
            *byte = src.get(start as usize + pos).copied().unwrap_or(0);
        }
        start = end;
    }
    out
}

impl Storage for SimDisk {
    fn open(&mut self, path: &str, create: bool) -> Result<FileId, StorageError> {
        validate_path(path)?;
        self.slow();
        let inode = match self.names.get(path) {
            Some(i) => *i,
            None if create => {
                let i = self.next_inode;
                self.next_inode += 1;
                self.inodes.insert(i, Inode::default());
                self.names.insert(path.to_string(), i);
                i
            }
            None => return Err(err(StorageErrorKind::NotFound, format!("open {path}"))),
        };
        let id = self.next_handle;
        self.next_handle += 1;
        self.handles.insert(
            id,
            Handle {
                inode,
                path: path.to_string(),
            },
        );
        Ok(FileId(id))
    }

    fn close(&mut self, file: FileId) {
        if let Some(h) = self.handles.remove(&file.0) {
            self.gc_inode(h.inode);
        }
    }

    fn read_at(
        &mut self,
        file: FileId,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, StorageError> {
        let h = self.handle(file)?;
        self.slow();
        if self.config.eio_read.sample(&mut self.prng) {
            self.counters.hit(FaultKind::DiskEioRead);
            return Err(err(StorageErrorKind::Eio, format!("read {}", h.path)));
        }
        let image = &self.inodes[&h.inode].volatile;
        let start = (offset as usize).min(image.len());
        let n = (image.len() - start).min(buf.len());
        buf[..n].copy_from_slice(&image[start..start + n]);
        if n > 0
            && self.may_damage(&h.path, offset, offset + n as u64)
            && self.config.bit_flip_on_read.sample(&mut self.prng)
        {
            let pos = self.prng.below(n as u64) as usize;
            buf[pos] ^= 1 << self.prng.below(8);
            self.counters.hit(FaultKind::DiskBitFlipOnRead);
        }
        Ok(n)
    }

    fn write_at(&mut self, file: FileId, offset: u64, data: &[u8]) -> Result<(), StorageError> {
        let h = self.handle(file)?;
        self.slow();
        if self.config.eio_write.sample(&mut self.prng) {
            self.counters.hit(FaultKind::DiskEioWrite);
            return Err(err(StorageErrorKind::Eio, format!("write {}", h.path)));
        }
        let cur = self.inodes[&h.inode].volatile.len() as u64;
        let end = offset + data.len() as u64;
        self.check_space(end.saturating_sub(cur), &format!("write {}", h.path))?;
        if data.is_empty() {
            return Ok(());
        }
        if self.may_damage(&h.path, offset, end) && self.config.lost_write.sample(&mut self.prng) {
            self.counters.hit(FaultKind::DiskLostWrite);
            return Ok(());
        }
        if self.config.misdirected_write.sample(&mut self.prng) {
            let sector = self.config.sector_size;
            let shift = range_inclusive(&mut self.prng, 1, 8) * sector;
            let wrong = if self.prng.below(2) == 0 {
                offset + shift
            } else {
                offset.saturating_sub(shift)
            };
            let wrong_end = wrong + data.len() as u64;
            if wrong != offset
                && wrong_end <= cur.max(end)
                && self.may_damage(&h.path, offset, end)
                && self.may_damage(&h.path, wrong, wrong_end)
            {
                self.counters.hit(FaultKind::DiskMisdirectedWrite);
                self.put(h.inode, wrong, data);
                return Ok(());
            }
        }
        self.put(h.inode, offset, data);
        Ok(())
    }

    fn append(&mut self, file: FileId, data: &[u8]) -> Result<u64, StorageError> {
        let h = self.handle(file)?;
        let offset = self.inodes[&h.inode].volatile.len() as u64;
        self.write_at(file, offset, data)?;
        Ok(offset)
    }

    fn len(&mut self, file: FileId) -> Result<u64, StorageError> {
        let h = self.handle(file)?;
        Ok(self.inodes[&h.inode].volatile.len() as u64)
    }

    fn truncate(&mut self, file: FileId, len: u64) -> Result<(), StorageError> {
        let h = self.handle(file)?;
        self.slow();
        let cur = self.inodes[&h.inode].volatile.len() as u64;
        if len > cur {
            self.check_space(len - cur, &format!("truncate {}", h.path))?;
        }
        let image = &mut self.inodes.get_mut(&h.inode).expect("live inode").volatile;
        image.resize(len as usize, 0);
        Ok(())
    }

    fn sync(&mut self, file: FileId) -> Result<(), StorageError> {
        let h = self.handle(file)?;
        self.slow();
        if self.config.eio_sync.sample(&mut self.prng) {
            self.counters.hit(FaultKind::DiskEioSync);
            return Err(err(StorageErrorKind::Eio, format!("fsync {}", h.path)));
        }
        let node = self.inodes.get_mut(&h.inode).expect("live inode");
        if node.durable != node.volatile {
            let old = std::mem::replace(&mut node.durable, node.volatile.clone());
            node.previous = Some(old);
        }
        Ok(())
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), StorageError> {
        validate_path(from)?;
        validate_path(to)?;
        self.slow();
        let inode = self
            .names
            .remove(from)
            .ok_or_else(|| err(StorageErrorKind::NotFound, format!("rename {from}")))?;
        if let Some(old) = self.names.insert(to.to_string(), inode) {
            self.gc_inode(old);
        }
        Ok(())
    }

    fn remove(&mut self, path: &str) -> Result<(), StorageError> {
        validate_path(path)?;
        self.slow();
        let inode = self
            .names
            .remove(path)
            .ok_or_else(|| err(StorageErrorKind::NotFound, format!("remove {path}")))?;
        self.gc_inode(inode);
        Ok(())
    }

    fn sync_dir(&mut self, dir: &str) -> Result<(), StorageError> {
        self.slow();
        if self.config.eio_sync.sample(&mut self.prng) {
            self.counters.hit(FaultKind::DiskEioSync);
            return Err(err(StorageErrorKind::Eio, format!("fsync dir {dir:?}")));
        }
        let mut touched: BTreeSet<String> = BTreeSet::new();
        touched.extend(self.names.keys().filter(|p| parent_dir(p) == dir).cloned());
        touched.extend(
            self.durable_names
                .keys()
                .filter(|p| parent_dir(p) == dir)
                .cloned(),
        );
        let mut dropped = Vec::new();
        for p in touched {
            match self.names.get(&p) {
                Some(i) => {
                    if let Some(old) = self.durable_names.insert(p, *i) {
                        dropped.push(old);
                    }
                }
                None => dropped.extend(self.durable_names.remove(&p)),
            }
        }
        for i in dropped {
            self.gc_inode(i);
        }
        Ok(())
    }

    fn list(&mut self, dir: &str) -> Result<Vec<String>, StorageError> {
        self.slow();
        let mut out = BTreeSet::new();
        for p in self.names.keys() {
            let rest = if dir.is_empty() {
                Some(p.as_str())
            } else {
                p.strip_prefix(dir).and_then(|r| r.strip_prefix('/'))
            };
            if let Some(rest) = rest {
                match rest.find('/') {
                    Some(i) => out.insert(format!("{}/", &rest[..i])),
                    None => out.insert(rest.to_string()),
                };
            }
        }
        Ok(out.into_iter().collect())
    }
}

#[cfg(test)]
#[path = "disk_tests.rs"]
mod tests;

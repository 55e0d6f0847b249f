//! The persisted stream config: `<stream dir>/meta.inf` (Go's
//! `FileStreamInfo` JSON: `Created` plus the config, flattened) and
//! `meta.sum` (its checksum as hex).
//!
//! Go checksums with HighwayHash-64 keyed by SHA-256 of the stream name;
//! we use crc32 (IEEE) of the stream name's bytes followed by the file's
//! bytes, so a meta file copied into another stream's directory fails too.
//! Our block format is not Go's either (docs/FILESTORE.md).
//!
//! # Crash safety
//!
//! Both files are written as `*.tmp`, synced, renamed over the old ones, and
//! the directory is synced. A crash between the two renames can leave a new
//! `meta.inf` next to an old `meta.sum`; [`read_meta`] therefore also tries
//! the `*.tmp` checksum and the `*.tmp` pair before giving up.

use super::types::{format_rfc3339, parse_rfc3339, FileStreamInfo, StreamConfig};
use crate::storage::{Storage, StorageError, StorageErrorKind};
use crate::time::UnixNanos;

pub const JETSTREAM_META_FILE: &str = "meta.inf";
pub const JETSTREAM_META_FILE_SUM: &str = "meta.sum";

/// The checksum of `meta.inf` bytes for stream `name`, as written in
/// `meta.sum`.
pub fn meta_checksum(name: &str, buf: &[u8]) -> String {
    let mut h = crc32fast::Hasher::new();
    h.update(name.as_bytes());
    h.update(buf);
    format!("{:08x}", h.finalize())
}

fn read_all(storage: &mut dyn Storage, path: &str) -> Result<Vec<u8>, StorageError> {
    let f = storage.open(path, false)?;
    let len = storage.len(f);
    let res = len.and_then(|len| {
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX).min(1 << 26)];
        let n = storage.read_at(f, 0, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    });
    storage.close(f);
    res
}

fn write_file(storage: &mut dyn Storage, path: &str, data: &[u8]) -> Result<(), StorageError> {
    let f = storage.open(path, true)?;
    let res = storage
        .truncate(f, 0)
        .and_then(|_| storage.write_at(f, 0, data))
        .and_then(|_| storage.sync(f));
    storage.close(f);
    res
}

/// Writes the meta files of a stream in `dir` (atomically replaced).
pub fn write_meta(
    storage: &mut dyn Storage,
    dir: &str,
    cfg: &StreamConfig,
    created: UnixNanos,
) -> Result<(), StorageError> {
    let fsi = FileStreamInfo {
        created: format_rfc3339(Some(created)),
        config: cfg.clone(),
    };
    let buf = serde_json::to_vec(&fsi)
        .map_err(|e| StorageError::new(StorageErrorKind::Other, e.to_string()))?;
    let sum = meta_checksum(&cfg.name, &buf);
    let inf = format!("{dir}/{JETSTREAM_META_FILE}");
    let sumf = format!("{dir}/{JETSTREAM_META_FILE_SUM}");
    write_file(storage, &format!("{inf}.tmp"), &buf)?;
    write_file(storage, &format!("{sumf}.tmp"), sum.as_bytes())?;
    storage.rename(&format!("{inf}.tmp"), &inf)?;
    storage.rename(&format!("{sumf}.tmp"), &sumf)?;
    storage.sync_dir(dir)
}

/// Why a stream directory could not be recovered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetaError {
    /// No `meta.inf`: a stream whose deletion was interrupted, or garbage.
    Missing,
    /// Checksum mismatch, bad JSON or a name that is not the directory's.
    Corrupt(String),
    Storage(StorageError),
}

/// Reads and verifies the meta files of the stream directory `dir` named
/// `name`. Returns the config and the creation time.
pub fn read_meta(
    storage: &mut dyn Storage,
    dir: &str,
    name: &str,
) -> Result<(StreamConfig, UnixNanos), MetaError> {
    let inf = format!("{dir}/{JETSTREAM_META_FILE}");
    let sumf = format!("{dir}/{JETSTREAM_META_FILE_SUM}");
    let candidates = [
        (inf.clone(), sumf.clone()),
        (inf.clone(), format!("{sumf}.tmp")),
        (format!("{inf}.tmp"), format!("{sumf}.tmp")),
    ];
    let mut saw_meta = false;
    for (i, s) in candidates {
        let buf = match read_all(storage, &i) {
            Ok(b) => b,
            Err(e) if e.kind == StorageErrorKind::NotFound => continue,
            Err(e) => return Err(MetaError::Storage(e)),
        };
        saw_meta = true;
        let sum = match read_all(storage, &s) {
            Ok(b) => b,
            Err(e) if e.kind == StorageErrorKind::NotFound => continue,
            Err(e) => return Err(MetaError::Storage(e)),
        };
        if sum != meta_checksum(name, &buf).as_bytes() {
            continue;
        }
        let fsi: FileStreamInfo =
            serde_json::from_slice(&buf).map_err(|e| MetaError::Corrupt(format!("{i}: {e}")))?;
        if fsi.config.name != name {
            return Err(MetaError::Corrupt(format!(
                "{i}: names stream {:?}",
                fsi.config.name
            )));
        }
        let created = parse_rfc3339(&fsi.created).flatten().unwrap_or(0);
        return Ok((fsi.config, created));
    }
    if saw_meta {
        Err(MetaError::Corrupt(format!("{inf}: checksums do not match")))
    } else {
        Err(MetaError::Missing)
    }
}

/// Removes every file under `dir` (depth first), syncing each directory,
/// then the directory itself where the storage has real directories.
pub fn remove_tree(storage: &mut dyn Storage, dir: &str) -> Result<(), StorageError> {
    let names = storage.list(dir)?;
    for n in &names {
        if let Some(sub) = n.strip_suffix('/') {
            remove_tree(storage, &format!("{dir}/{sub}"))?;
        } else {
            storage.remove(&format!("{dir}/{n}"))?;
        }
    }
    if !names.is_empty() {
        storage.sync_dir(dir)?;
    }
    // Best effort: a storage with real directories removes the now empty
    // one; a storage with implicit directories has nothing to remove.
    let _ = storage.remove(dir);
    Ok(())
}

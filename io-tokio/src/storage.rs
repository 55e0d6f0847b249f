//! Real files behind core's [`Storage`] trait: paths are relative to a root
//! directory (JetStream's `store_dir`), parent directories are created as
//! needed, `sync` is `fsync` of the file and `sync_dir` is `fsync` of the
//! directory. Calls are synchronous: the engine calls them under its lock.
//! Block files also give sync handles (`fdatasync`), which the adapter's
//! sync thread runs outside the lock (group commit; core's `server::sync`).

use rnatsd_core::jetstream::StorageFactory;
use rnatsd_core::store::filestore::StoreCipher;
use rnatsd_core::storage::{validate_path, FileId, Storage, StorageError, StorageErrorKind, SyncHandle};
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One file's deferred sync: `fdatasync`, run on the adapter's sync thread
/// outside the engine's lock. `fdatasync` persists the data and the length
/// (the metadata needed to read it back), which is what the storage
/// contract promises; it skips the timestamps that `fsync` would write.
#[derive(Debug)]
struct FsyncHandle {
    file: Arc<File>,
    path: String,
}

impl SyncHandle for FsyncHandle {
    fn sync(&self) -> Result<(), StorageError> {
        self.file.sync_data().map_err(|e| map_err(e, format!("fdatasync {}", self.path)))
    }
}

/// A [`Storage`] over the files under `root`.
#[derive(Debug)]
pub struct FileStorage {
    root: PathBuf,
    files: HashMap<u64, (Arc<File>, String)>,
    next: u64,
}

fn map_err(e: io::Error, ctx: String) -> StorageError {
    let kind = match e.kind() {
        io::ErrorKind::NotFound => StorageErrorKind::NotFound,
        io::ErrorKind::InvalidInput => StorageErrorKind::InvalidInput,
        io::ErrorKind::StorageFull => StorageErrorKind::Enospc,
        _ => match e.raw_os_error() {
            Some(5) => StorageErrorKind::Eio,
            Some(28) => StorageErrorKind::Enospc,
            _ => StorageErrorKind::Other,
        },
    };
    StorageError::new(kind, format!("{ctx}: {e}"))
}

/// The storage of a `resolver: {type: full, dir: ...}` in operator mode:
/// real files rooted at the resolver's directory (created if missing).
pub fn resolver_storage(
    opts: &rnatsd_core::options::ServerOptions,
) -> Result<Option<Box<dyn Storage + Send>>, String> {
    use rnatsd_core::conf::operator::ResolverConfig;
    let Some(ResolverConfig::Full { dir, .. }) = opts.operator.as_ref().and_then(|o| o.resolver.as_ref()) else {
        return Ok(None);
    };
    let dir = if dir.is_empty() { "." } else { dir.as_str() };
    let st = FileStorage::new(dir).map_err(|e| format!("resolver dir {dir:?}: {e}"))?;
    Ok(Some(Box::new(st)))
}

impl FileStorage {
    /// A storage rooted at `root` (created if missing).
    pub fn new(root: impl Into<PathBuf>) -> io::Result<FileStorage> {
        let root = root.into();
        fs::create_dir_all(&root)?;
        Ok(FileStorage {
            root,
            files: HashMap::new(),
            next: 1,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of a valid relative path (`""` is the root).
    fn abs(&self, path: &str) -> Result<PathBuf, StorageError> {
        if path.is_empty() {
            return Ok(self.root.clone());
        }
        validate_path(path)?;
        Ok(self.root.join(path))
    }

    fn file(&self, id: FileId) -> Result<&(Arc<File>, String), StorageError> {
        self.files
            .get(&id.0)
            .ok_or_else(|| StorageError::new(StorageErrorKind::BadHandle, format!("{id:?}")))
    }

    fn create_parent(&self, p: &Path, ctx: &str) -> Result<(), StorageError> {
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).map_err(|e| map_err(e, format!("mkdir {ctx}")))?;
        }
        Ok(())
    }
}

/// A JetStream storage factory: every storage is rooted at `root`.
pub fn storage_factory(root: PathBuf) -> StorageFactory {
    Box::new(move |_dir: &str| match FileStorage::new(root.clone()) {
        Ok(s) => Box::new(s) as Box<dyn Storage + Send>,
        // The root could not be created: every call reports the error.
        Err(e) => Box::new(Broken(e.to_string())) as Box<dyn Storage + Send>,
    })
}

/// JetStream over real files in `opts.store_dir` (Go's default
/// `$TMPDIR/nats` when unset), recovered and ready to install as the
/// engine's internal service.
/// `server_name` is the engine's (the option, or the server id as in Go);
/// stream info names it as `cluster.leader`.
pub fn jetstream_service(
    opts: &rnatsd_core::options::JetStreamOptions,
    server_name: &str,
    now: rnatsd_core::time::Instant,
    realtime: rnatsd_core::time::UnixNanos,
) -> Result<Box<dyn rnatsd_core::server::InternalService>, String> {
    Ok(Box::new(jetstream_for(opts, None, None, server_name, now, realtime)?))
}

/// JetStream for every account configured with `jetstream` (stored under
/// `<store_dir>/jetstream/<account>/`, its limits checked), and Go's
/// "JetStream not enabled for account" responder for every other account
/// but the system account. `$G` keeps the service of [`jetstream_service`].
pub fn install_account_jetstreams(
    server: &mut rnatsd_core::server::Server,
    opts: &rnatsd_core::options::JetStreamOptions,
    now: rnatsd_core::time::Instant,
    realtime: rnatsd_core::time::UnixNanos,
) -> Result<(), String> {
    use rnatsd_core::jetstream::account_info::JetStreamAccountLimits;
    use rnatsd_core::jetstream::accounts::{AccountJetStream, NotEnabled};
    let mut accounts: Vec<_> = server.options().accounts.clone();
    if server.options().operator.is_some() {
        // JWT accounts that the resolver loads after startup get their
        // JetStream when a user of theirs first connects.
        let js_opts = opts.clone();
        let name = server.info().server_name.clone();
        server.set_account_service_factory(Box::new(move |account, limits, now, realtime| {
            let js = jetstream_for(&js_opts, Some(account), Some(limits), &name, now, realtime)?;
            Ok(Box::new(AccountJetStream::new(js, limits.clone())) as Box<dyn rnatsd_core::server::InternalService>)
        }));
    }
    // Operator mode: preloaded accounts whose claims set JetStream storage
    // (Go's `IsJSEnabled`) are registered now and get their JetStream.
    let preload = server.options().operator.as_ref().map(|o| o.resolver_preload.clone()).unwrap_or_default();
    for (key, jwt) in preload {
        let Ok(ac) = rnatsd_core::jwt::decode::decode_account_claims(&jwt) else { continue };
        let l = &ac.nats.limits;
        if !l.is_jetstream_enabled() || Some(&key) == server.options().system_account.as_ref() {
            continue;
        }
        if let Err(e) = server.register_account_for_service(&key) {
            tracing::warn!("JetStream for account {key}: {e}");
            continue;
        }
        let j = &l.jetstream;
        let mut a = rnatsd_core::server::accounts::AccountOptions::new(&key);
        a.jetstream = true;
        a.jetstream_limits =
            Some(JetStreamAccountLimits::from_config(j.mem_storage, j.disk_storage, j.streams, j.consumer));
        accounts.push(a);
    }
    let system = server.system_account();
    for a in accounts {
        let Some(id) = server.account_id(&a.name) else { continue };
        if Some(id) == system || a.name == rnatsd_core::jetstream::GLOBAL_ACCOUNT {
            continue;
        }
        if a.jetstream {
            let name = server.info().server_name.clone();
            let limits = a.jetstream_limits.clone().unwrap_or_else(JetStreamAccountLimits::dynamic);
            let js = jetstream_for(opts, Some(&a.name), Some(&limits), &name, now, realtime)?;
            server.set_account_service(now, id, Box::new(AccountJetStream::new(js, limits)));
        } else {
            server.set_account_service(now, id, Box::new(NotEnabled::new()));
        }
    }
    Ok(())
}

/// JetStream over real files for `account` (`None`: `$G`). An account's
/// memory and storage limits cap its usage on publish as well (the
/// server-wide limit still applies when it is lower).
fn jetstream_for(
    opts: &rnatsd_core::options::JetStreamOptions,
    account: Option<&str>,
    account_limits: Option<&rnatsd_core::jetstream::account_info::JetStreamAccountLimits>,
    server_name: &str,
    now: rnatsd_core::time::Instant,
    realtime: rnatsd_core::time::UnixNanos,
) -> Result<rnatsd_core::jetstream::JetStream, String> {
    use rnatsd_core::jetstream::{JetStream, JsConfig};
    let dir = opts.store_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir()
            .join("nats")
            .to_string_lossy()
            .into_owned()
    });
    // The lower of two limits, where -1 (or any value <= 0) is unlimited.
    let cap = |server: i64, account: Option<i64>| match (server > 0, account.filter(|a| *a > 0)) {
        (true, Some(a)) => server.min(a),
        (true, None) => server,
        (false, Some(a)) => a,
        (false, None) => -1,
    };
    let cfg = JsConfig {
        store_dir: dir.clone(),
        max_memory: cap(opts.max_memory_store, account_limits.map(|l| l.max_memory)),
        max_store: cap(opts.max_file_store, account_limits.map(|l| l.max_storage)),
        domain: opts.domain.clone(),
        // An explicit sync interval opts out of durable-before-ack, as in Go.
        sync_always: !matches!(opts.sync_interval, Some(d) if !d.is_zero()),
        cipher: opts.key.as_ref().map(|k| StoreCipher {
            cipher: opts.cipher.unwrap_or_default(),
            key: k.as_bytes().to_vec(),
        }),
        store_seed: os_seed(),
        advisories: true,
    };
    let factory = match account {
        Some(name) => rnatsd_core::jetstream::accounts::account_storage_factory(name, storage_factory(PathBuf::from(dir))),
        None => storage_factory(PathBuf::from(dir)),
    };
    let mut js = JetStream::new(cfg, factory, now, realtime)?;
    js.set_server_name(server_name);
    // A key that does not fit the stored streams is a startup error, never
    // a silent skip (nothing on disk was changed).
    if let Some(w) = js
        .recovery_warnings()
        .iter()
        .find(|w| w.reason.contains("store encryption"))
    {
        return Err(format!("JetStream stream {:?}: {}", w.stream, w.reason));
    }
    Ok(js)
}

/// A seed from OS randomness (std's per-process random hash keys) and the
/// clock: block salts and nonces must never repeat across starts.
pub fn os_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(t);
    h.write_u32(std::process::id());
    h.finish()
}

/// A storage whose root could not be created: every operation fails.
#[derive(Debug)]
struct Broken(String);

impl Broken {
    fn err<T>(&self) -> Result<T, StorageError> {
        Err(StorageError::new(StorageErrorKind::Eio, self.0.clone()))
    }
}

impl Storage for Broken {
    fn open(&mut self, _: &str, _: bool) -> Result<FileId, StorageError> {
        self.err()
    }
    fn close(&mut self, _: FileId) {}
    fn read_at(&mut self, _: FileId, _: u64, _: &mut [u8]) -> Result<usize, StorageError> {
        self.err()
    }
    fn write_at(&mut self, _: FileId, _: u64, _: &[u8]) -> Result<(), StorageError> {
        self.err()
    }
    fn append(&mut self, _: FileId, _: &[u8]) -> Result<u64, StorageError> {
        self.err()
    }
    fn len(&mut self, _: FileId) -> Result<u64, StorageError> {
        self.err()
    }
    fn truncate(&mut self, _: FileId, _: u64) -> Result<(), StorageError> {
        self.err()
    }
    fn sync(&mut self, _: FileId) -> Result<(), StorageError> {
        self.err()
    }
    fn rename(&mut self, _: &str, _: &str) -> Result<(), StorageError> {
        self.err()
    }
    fn remove(&mut self, _: &str) -> Result<(), StorageError> {
        self.err()
    }
    fn sync_dir(&mut self, _: &str) -> Result<(), StorageError> {
        self.err()
    }
    fn list(&mut self, _: &str) -> Result<Vec<String>, StorageError> {
        self.err()
    }
}

impl Storage for FileStorage {
    fn open(&mut self, path: &str, create: bool) -> Result<FileId, StorageError> {
        validate_path(path)?;
        let p = self.abs(path)?;
        if create {
            self.create_parent(&p, path)?;
        }
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(&p)
            .map_err(|e| map_err(e, format!("open {path}")))?;
        let id = self.next;
        self.next += 1;
        self.files.insert(id, (Arc::new(f), path.to_string()));
        Ok(FileId(id))
    }

    fn close(&mut self, file: FileId) {
        self.files.remove(&file.0);
    }

    fn read_at(&mut self, file: FileId, off: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        let (f, path) = self.file(file)?;
        let mut done = 0;
        while done < buf.len() {
            match f.read_at(&mut buf[done..], off + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(map_err(e, format!("read {path}"))),
            }
        }
        Ok(done)
    }

    fn write_at(&mut self, file: FileId, off: u64, data: &[u8]) -> Result<(), StorageError> {
        let (f, path) = self.file(file)?;
        f.write_all_at(data, off)
            .map_err(|e| map_err(e, format!("write {path}")))
    }

    fn append(&mut self, file: FileId, data: &[u8]) -> Result<u64, StorageError> {
        let off = self.len(file)?;
        self.write_at(file, off, data)?;
        Ok(off)
    }

    fn len(&mut self, file: FileId) -> Result<u64, StorageError> {
        let (f, path) = self.file(file)?;
        f.metadata()
            .map(|m| m.len())
            .map_err(|e| map_err(e, format!("stat {path}")))
    }

    fn truncate(&mut self, file: FileId, len: u64) -> Result<(), StorageError> {
        let (f, path) = self.file(file)?;
        f.set_len(len)
            .map_err(|e| map_err(e, format!("truncate {path}")))
    }

    fn sync(&mut self, file: FileId) -> Result<(), StorageError> {
        let (f, path) = self.file(file)?;
        f.sync_all()
            .map_err(|e| map_err(e, format!("fsync {path}")))
    }

    fn sync_handle(&mut self, file: FileId) -> Option<Box<dyn SyncHandle>> {
        let (f, path) = self.file(file).ok()?;
        Some(Box::new(FsyncHandle { file: f.clone(), path: path.clone() }))
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), StorageError> {
        validate_path(from)?;
        validate_path(to)?;
        let (a, b) = (self.abs(from)?, self.abs(to)?);
        self.create_parent(&b, to)?;
        fs::rename(&a, &b).map_err(|e| map_err(e, format!("rename {from} -> {to}")))
    }

    /// Removes a file, or an empty directory (so a deleted stream leaves
    /// no directories behind).
    fn remove(&mut self, path: &str) -> Result<(), StorageError> {
        validate_path(path)?;
        let p = self.abs(path)?;
        let res = match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => fs::remove_dir(&p),
            _ => fs::remove_file(&p),
        };
        res.map_err(|e| map_err(e, format!("remove {path}")))
    }

    fn sync_dir(&mut self, dir: &str) -> Result<(), StorageError> {
        let p = self.abs(dir)?;
        match File::open(&p) {
            Ok(d) => d
                .sync_all()
                .map_err(|e| map_err(e, format!("fsync dir {dir}"))),
            // Nothing was ever created there: nothing to make durable.
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(map_err(e, format!("open dir {dir}"))),
        }
    }

    fn list(&mut self, dir: &str) -> Result<Vec<String>, StorageError> {
        let p = self.abs(dir)?;
        let rd = match fs::read_dir(&p) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(map_err(e, format!("list {dir}"))),
        };
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| map_err(e, format!("list {dir}")))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            out.push(if is_dir { format!("{name}/") } else { name });
        }
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static N: AtomicU64 = AtomicU64::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let p = std::env::temp_dir().join(format!("rnatsd-storage-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&p);
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn files_read_write_append_truncate_sync() {
        let t = TempDir::new();
        let mut s = FileStorage::new(&t.0).unwrap();
        let f = s.open("a/b/1.blk", true).unwrap();
        s.write_at(f, 0, b"hello").unwrap();
        assert_eq!(s.append(f, b" world").unwrap(), 5);
        assert_eq!(s.len(f).unwrap(), 11);
        s.sync(f).unwrap();
        let mut buf = [0u8; 32];
        assert_eq!(s.read_at(f, 6, &mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"world");
        assert_eq!(s.read_at(f, 40, &mut buf).unwrap(), 0);
        s.write_at(f, 13, b"!").unwrap();
        assert_eq!(s.read_at(f, 11, &mut buf[..3]).unwrap(), 3);
        assert_eq!(&buf[..3], b"\0\0!", "gaps read as zeros");
        s.truncate(f, 5).unwrap();
        assert_eq!(s.len(f).unwrap(), 5);
        s.sync_dir("a/b").unwrap();
        s.close(f);
        assert_eq!(s.len(f).unwrap_err().kind, StorageErrorKind::BadHandle);
        assert_eq!(fs::read(t.0.join("a/b/1.blk")).unwrap(), b"hello");
    }

    #[test]
    fn names_list_rename_remove() {
        let t = TempDir::new();
        let mut s = FileStorage::new(&t.0).unwrap();
        assert_eq!(
            s.open("x", false).unwrap_err().kind,
            StorageErrorKind::NotFound
        );
        assert_eq!(
            s.open("../x", true).unwrap_err().kind,
            StorageErrorKind::InvalidInput
        );
        assert_eq!(
            s.open("/x", true).unwrap_err().kind,
            StorageErrorKind::InvalidInput
        );
        assert!(s.list("nope").unwrap().is_empty());
        let f = s.open("d/m.tmp", true).unwrap();
        s.write_at(f, 0, b"v1").unwrap();
        s.sync(f).unwrap();
        s.open("d/sub/z", true).unwrap();
        s.rename("d/m.tmp", "d/m").unwrap();
        s.sync_dir("d").unwrap();
        assert_eq!(
            s.list("d").unwrap(),
            vec!["m".to_string(), "sub/".to_string()]
        );
        let mut buf = [0u8; 2];
        assert_eq!(
            s.read_at(f, 0, &mut buf).unwrap(),
            2,
            "handles survive a rename"
        );
        s.remove("d/sub/z").unwrap();
        s.remove("d/sub").unwrap();
        assert_eq!(s.list("d").unwrap(), vec!["m".to_string()]);
        assert_eq!(
            s.remove("d/none").unwrap_err().kind,
            StorageErrorKind::NotFound
        );
        s.sync_dir("").unwrap();
        s.sync_dir("never/created").unwrap();
    }

    #[test]
    fn jetstream_streams_survive_a_restart_on_real_files() {
        use rnatsd_core::jetstream::{JetStream, JsConfig};
        use rnatsd_core::time::Instant;
        let t = TempDir::new();
        let now = 1_700_000_000_000_000_000;
        let mut js = JetStream::new(
            JsConfig::default(),
            storage_factory(t.0.clone()),
            Instant::ZERO,
            now,
        )
        .unwrap();
        let out = js.handle_msg(
            Instant::ZERO,
            now,
            b"$JS.API.STREAM.CREATE.S",
            Some(b"r"),
            None,
            br#"{"name":"S"}"#,
        );
        assert!(!out[0].payload.windows(7).any(|w| w == b"\"error\""));
        assert!(js
            .handle_msg(Instant::ZERO, now, b"S", Some(b"r"), None, b"x")
            .is_empty());
        let acks = js.flush(Instant::ZERO);
        assert_eq!(&acks[0].payload[..], br#"{"stream":"S","seq":1}"#);
        drop(js);
        let js = JetStream::new(
            JsConfig::default(),
            storage_factory(t.0.clone()),
            Instant::ZERO,
            now,
        )
        .unwrap();
        assert_eq!(js.stream("S").unwrap().state().msgs, 1);
        assert!(t.0.join("jetstream/$G/streams/S/meta.inf").exists());
    }
}

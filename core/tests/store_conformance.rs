//! The shared StreamStore conformance suite (ported from Go's
//! server/store_test.go, memstore_test.go and filestore_test.go where they
//! apply; names kept, snake_cased). Every test runs on MemStore, FileStore
//! over io-sim's SimDisk, and FileStore over SimDisk with a flush + crash +
//! recovery at each `restart()` point; the file stores run in every cipher
//! and compression permutation (Go's `testFileStoreAllPermutations`), and
//! some of them over a [`WriteBuffer`] (appends held in memory until a
//! sync needs them): with the default limit, with a 64-byte limit (every
//! few records spill), and over a disk giving sync handles, where
//! `restart()` flushes split-phase (`begin_flush`, run the handles,
//! `finish_flush`).

use rnatsd_core::storage::{FileId, Storage, StorageError, SyncHandle};
use rnatsd_core::store::filestore::write_buffer::{WriteBuffer, WRITE_BUFFER_LIMIT};
use rnatsd_core::store::filestore::{Cipher, FileStore, FileStoreConfig, StoreCipher, SyncPolicy};
use rnatsd_core::store::memstore::MemStore;
use rnatsd_core::store::{
    msg_size, DiscardPolicy, StoreCompression, StoreError, StreamConfig, StreamStore,
};
use rnatsd_io_sim::disk::{DiskConfig, SimDisk};
use rnatsd_io_sim::faults::FaultAtlas;
use rnatsd_io_sim::shared::SharedDisk;
use std::time::Duration;

const NOW: i64 = 1_700_000_000_000_000_000;
const SEC: i64 = 1_000_000_000;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Mem,
    File,
    FileCrash,
}

/// How a file store reaches its disk.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Buf {
    /// Straight onto the SimDisk.
    Direct,
    /// Through a `WriteBuffer` with this limit.
    Buffered(usize),
    /// Through a `WriteBuffer` over a disk that gives sync handles:
    /// `restart()` flushes split-phase.
    Deferred(usize),
}

/// A file store permutation: cipher, compression and write buffering.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Perm {
    cipher: Option<Cipher>,
    compression: StoreCompression,
    buf: Buf,
}

const PERMS: [Perm; 7] = [
    Perm {
        cipher: None,
        compression: StoreCompression::None,
        buf: Buf::Direct,
    },
    Perm {
        cipher: Some(Cipher::Aes),
        compression: StoreCompression::None,
        buf: Buf::Direct,
    },
    Perm {
        cipher: None,
        compression: StoreCompression::S2,
        buf: Buf::Direct,
    },
    Perm {
        cipher: Some(Cipher::ChaChaPoly),
        compression: StoreCompression::S2,
        buf: Buf::Direct,
    },
    Perm {
        cipher: None,
        compression: StoreCompression::None,
        buf: Buf::Buffered(WRITE_BUFFER_LIMIT),
    },
    Perm {
        cipher: Some(Cipher::Aes),
        compression: StoreCompression::S2,
        buf: Buf::Deferred(WRITE_BUFFER_LIMIT),
    },
    Perm {
        cipher: Some(Cipher::ChaChaPoly),
        compression: StoreCompression::None,
        buf: Buf::Buffered(64),
    },
];

/// The storage under a conformance file store: the SimDisk itself, or a
/// write buffer over a shared handle to it (the test keeps another handle,
/// so that a crash can drop the buffer without writing it out).
#[derive(Debug)]
enum Disk {
    Direct(Box<SimDisk>),
    Buffered(WriteBuffer<SharedDisk>),
}

impl Disk {
    fn wb(&mut self) -> Option<&mut WriteBuffer<SharedDisk>> {
        match self {
            Disk::Direct(_) => None,
            Disk::Buffered(w) => Some(w),
        }
    }
}

macro_rules! each_disk {
    ($self:ident, $d:ident => $e:expr) => {
        match $self {
            Disk::Direct($d) => $e,
            Disk::Buffered($d) => $e,
        }
    };
}

impl Storage for Disk {
    fn open(&mut self, path: &str, create: bool) -> Result<FileId, StorageError> {
        each_disk!(self, d => d.open(path, create))
    }
    fn close(&mut self, file: FileId) {
        each_disk!(self, d => d.close(file))
    }
    fn read_at(&mut self, file: FileId, off: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        each_disk!(self, d => d.read_at(file, off, buf))
    }
    fn write_at(&mut self, file: FileId, off: u64, data: &[u8]) -> Result<(), StorageError> {
        each_disk!(self, d => d.write_at(file, off, data))
    }
    fn append(&mut self, file: FileId, data: &[u8]) -> Result<u64, StorageError> {
        each_disk!(self, d => d.append(file, data))
    }
    fn len(&mut self, file: FileId) -> Result<u64, StorageError> {
        each_disk!(self, d => d.len(file))
    }
    fn truncate(&mut self, file: FileId, len: u64) -> Result<(), StorageError> {
        each_disk!(self, d => d.truncate(file, len))
    }
    fn sync(&mut self, file: FileId) -> Result<(), StorageError> {
        each_disk!(self, d => d.sync(file))
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<(), StorageError> {
        each_disk!(self, d => d.rename(from, to))
    }
    fn remove(&mut self, path: &str) -> Result<(), StorageError> {
        each_disk!(self, d => d.remove(path))
    }
    fn sync_dir(&mut self, dir: &str) -> Result<(), StorageError> {
        each_disk!(self, d => d.sync_dir(dir))
    }
    fn list(&mut self, dir: &str) -> Result<Vec<String>, StorageError> {
        each_disk!(self, d => d.list(dir))
    }
    fn sync_handle(&mut self, file: FileId) -> Option<Box<dyn SyncHandle>> {
        each_disk!(self, d => d.sync_handle(file))
    }
}

struct Ctx {
    kind: Kind,
    perm: Perm,
    opens: u64,
    cfg: StreamConfig,
    mem: Option<MemStore>,
    fs: Option<FileStore<Disk>>,
    /// The disk under a write buffer, for crashing it.
    shared: Option<SharedDisk>,
}

fn fcfg() -> FileStoreConfig {
    perm_cfg(PERMS[0], 0)
}

fn perm_cfg(perm: Perm, seed: u64) -> FileStoreConfig {
    let mut f = FileStoreConfig::new("streams/TEST");
    f.block_size = 1024;
    f.sync = SyncPolicy::Always;
    f.encryption = perm.cipher.map(|cipher| StoreCipher {
        cipher,
        key: b"s3cr3t-k3y".to_vec(),
    });
    f.compression = perm.compression;
    f.seed = seed;
    f
}

impl Ctx {
    fn new(kind: Kind, perm: Perm, cfg: StreamConfig) -> Ctx {
        match kind {
            Kind::Mem => Ctx {
                kind,
                perm,
                opens: 0,
                mem: Some(MemStore::new(cfg.clone())),
                fs: None,
                shared: None,
                cfg,
            },
            _ => {
                let disk = SimDisk::new(1, DiskConfig::perfect(), FaultAtlas::pristine());
                let (disk, shared) = match perm.buf {
                    Buf::Direct => (Disk::Direct(Box::new(disk)), None),
                    Buf::Buffered(limit) => {
                        let shared = SharedDisk::new(disk);
                        (Disk::Buffered(WriteBuffer::with_limit(shared.clone(), limit)), Some(shared))
                    }
                    Buf::Deferred(limit) => {
                        let shared = SharedDisk::new(disk).with_deferred_sync();
                        (Disk::Buffered(WriteBuffer::with_limit(shared.clone(), limit)), Some(shared))
                    }
                };
                let fs = FileStore::open(disk, perm_cfg(perm, 1), cfg.clone()).unwrap();
                Ctx {
                    kind,
                    perm,
                    opens: 1,
                    mem: None,
                    fs: Some(fs),
                    shared,
                    cfg,
                }
            }
        }
    }

    fn s(&mut self) -> &mut dyn StreamStore {
        match (&mut self.mem, &mut self.fs) {
            (Some(m), _) => m,
            (_, Some(f)) => f,
            _ => unreachable!("a context always holds a store"),
        }
    }

    /// Flushes (split-phase over a disk giving sync handles), then (file
    /// stores) closes and reopens, crashing the disk in between for the
    /// crash variant. State must be unchanged.
    fn restart(&mut self) {
        let before = self.s().state();
        if matches!(self.perm.buf, Buf::Deferred(_)) {
            let fs = self.fs.as_mut().expect("a deferred disk is under a file store");
            let (target, handles) = fs.begin_flush().unwrap();
            assert!(fs.durable_seq() <= target);
            let results: Vec<_> = handles.iter().map(|h| h.sync()).collect();
            assert_eq!(fs.finish_flush(target, &results).unwrap(), target);
        } else {
            self.s().flush().unwrap();
        }
        let Some(mut fs) = self.fs.take() else {
            return;
        };
        // A clean close writes the index file (used by the next open); a
        // crash leaves none, so the next open scans every block.
        if self.kind == Kind::File {
            fs.close().unwrap();
        }
        let mut disk = fs.into_storage();
        if let (Some(wb), Some(shared)) = (disk.wb(), &self.shared) {
            if self.kind == Kind::File {
                assert_eq!(wb.buffered(), 0, "a clean close leaves nothing buffered");
            } else {
                // A crash loses the buffer: drop it unwritten, then crash
                // the disk underneath.
                let limit = match self.perm.buf {
                    Buf::Buffered(l) | Buf::Deferred(l) => l,
                    Buf::Direct => unreachable!("a write buffer is under a buffered perm"),
                };
                shared.disk().crash();
                disk = Disk::Buffered(WriteBuffer::with_limit(shared.clone(), limit));
            }
        } else if let Disk::Direct(d) = &mut disk {
            if self.kind == Kind::FileCrash {
                d.crash();
            }
        }
        self.opens += 1;
        let fs = FileStore::open(disk, perm_cfg(self.perm, self.opens), self.cfg.clone()).unwrap();
        fs.check_invariants();
        assert_eq!(
            fs.recovery_report().from_index,
            self.kind == Kind::File,
            "a clean close is reopened from the index file"
        );
        self.fs = Some(fs);
        let after = self.s().state();
        assert_eq!(
            after.msgs, before.msgs,
            "{:?}: msgs after restart",
            self.kind
        );
        assert_eq!(
            after.bytes, before.bytes,
            "{:?}: bytes after restart",
            self.kind
        );
        assert_eq!(
            after.first_seq, before.first_seq,
            "{:?}: first after restart",
            self.kind
        );
        assert_eq!(
            after.last_seq, before.last_seq,
            "{:?}: last after restart",
            self.kind
        );
        assert_eq!(
            after.deleted, before.deleted,
            "{:?}: deleted after restart",
            self.kind
        );
        assert_eq!(after.lost, None);
    }
}

fn all(cfg: StreamConfig, f: impl Fn(&mut Ctx)) {
    let mut runs = vec![(Kind::Mem, PERMS[0])];
    for perm in PERMS {
        runs.push((Kind::File, perm));
        runs.push((Kind::FileCrash, perm));
    }
    for (kind, perm) in runs {
        let mut c = Ctx::new(kind, perm, cfg.clone());
        f(&mut c);
        c.s().check_invariants();
        c.restart();
        c.s().check_invariants();
    }
}

fn named(name: &str) -> StreamConfig {
    StreamConfig {
        name: name.into(),
        ..StreamConfig::default()
    }
}

/// TestFileStoreBasics / TestMemStoreBasics
#[test]
fn test_file_store_basics() {
    all(named("zzz"), |c| {
        let (subj, msg) = ("foo", b"Hello World".as_slice());
        for i in 1..=5u64 {
            let (seq, ts) = c.s().store_msg(subj, &[], msg, 0, NOW + i as i64).unwrap();
            assert_eq!(seq, i);
            assert_eq!(ts, NOW + i as i64);
        }
        let st = c.s().state();
        assert_eq!(st.msgs, 5);
        assert_eq!(st.bytes, 5 * msg_size(subj, &[], msg));
        c.restart();
        let sm = c.s().load_msg(2).unwrap();
        assert_eq!(
            (sm.subj.as_str(), sm.msg.as_slice(), sm.seq, sm.ts),
            (subj, msg, 2, NOW + 2)
        );
        assert!(c.s().remove_msg(3).unwrap());
        assert!(!c.s().remove_msg(3).unwrap());
        assert_eq!(c.s().load_msg(3).unwrap_err(), StoreError::MsgNotFound);
        assert_eq!(c.s().load_msg(6).unwrap_err(), StoreError::Eof);
        c.restart();
        assert_eq!(c.s().state().msgs, 4);
        assert_eq!(c.s().load_last_msg("foo").unwrap().seq, 5);
    });
}

/// TestFileStoreMsgLimit / TestMemStoreMsgLimit
#[test]
fn test_file_store_msg_limit() {
    all(
        StreamConfig {
            max_msgs: 10,
            ..named("zzz")
        },
        |c| {
            for i in 0..10 {
                c.s()
                    .store_msg("foo", &[], b"Hello World", 0, NOW + i)
                    .unwrap();
            }
            assert_eq!(c.s().state().msgs, 10);
            c.s()
                .store_msg("foo", &[], b"Hello World", 0, NOW + 10)
                .unwrap();
            let st = c.s().state();
            assert_eq!((st.msgs, st.first_seq, st.last_seq), (10, 2, 11));
            c.restart();
            assert_eq!(c.s().load_msg(1).unwrap_err(), StoreError::MsgNotFound);
            assert_eq!(c.s().load_msg(2).unwrap().seq, 2);
        },
    );
}

/// TestFileStoreBytesLimit / TestMemStoreBytesLimit
#[test]
fn test_file_store_bytes_limit() {
    let (subj, msg) = ("foo", [7u8; 512]);
    let sz = msg_size(subj, &[], &msg);
    let to_store = 10u64;
    all(
        StreamConfig {
            max_bytes: (sz * to_store) as i64,
            ..named("zzz")
        },
        |c| {
            for i in 0..to_store {
                c.s().store_msg(subj, &[], &msg, 0, NOW + i as i64).unwrap();
            }
            let st = c.s().state();
            assert_eq!((st.msgs, st.bytes), (to_store, sz * to_store));
            for i in 0..5 {
                c.s().store_msg(subj, &[], &msg, 0, NOW + 100 + i).unwrap();
            }
            let st = c.s().state();
            assert_eq!(
                (st.msgs, st.bytes, st.first_seq, st.last_seq),
                (to_store, sz * to_store, 6, 15)
            );
            c.restart();
        },
    );
}

/// TestMemStoreBytesLimitWithDiscardNew (also TestStoreDiscardNew's bytes case)
#[test]
fn test_mem_store_bytes_limit_with_discard_new() {
    let (subj, msg) = ("tiny", [1u8; 7]);
    let sz = msg_size(subj, &[], &msg);
    let cfg = StreamConfig {
        max_bytes: (sz * 3) as i64,
        discard: DiscardPolicy::New,
        ..named("zzz")
    };
    all(cfg, |c| {
        for i in 0..10 {
            let r = c.s().store_msg(subj, &[], &msg, 0, NOW + i);
            if i < 3 {
                r.unwrap();
            } else {
                assert_eq!(r.unwrap_err(), StoreError::MaxBytes);
            }
        }
        let st = c.s().state();
        assert_eq!((st.msgs, st.bytes), (3, sz * 3));
    });
}

/// TestStoreDiscardNew (max msgs and max msgs per subject)
#[test]
fn test_store_discard_new() {
    let cfg = StreamConfig {
        max_msgs: 2,
        discard: DiscardPolicy::New,
        ..named("zzz")
    };
    all(cfg, |c| {
        c.s().store_msg("a", &[], b"1", 0, NOW).unwrap();
        c.s().store_msg("b", &[], b"2", 0, NOW).unwrap();
        assert_eq!(
            c.s().store_msg("c", &[], b"3", 0, NOW).unwrap_err(),
            StoreError::MaxMsgs
        );
        assert_eq!(c.s().state().last_seq, 2);
    });
    let cfg = StreamConfig {
        max_msgs_per_subject: 1,
        discard: DiscardPolicy::New,
        discard_new_per: true,
        ..named("zzz")
    };
    all(cfg, |c| {
        c.s().store_msg("a", &[], b"1", 0, NOW).unwrap();
        assert_eq!(
            c.s().store_msg("a", &[], b"2", 0, NOW).unwrap_err(),
            StoreError::MaxMsgsPerSubject
        );
        c.s().store_msg("b", &[], b"3", 0, NOW).unwrap();
        assert_eq!(c.s().state().msgs, 2);
    });
}

/// TestFileStoreAgeLimit / TestMemStoreAgeLimit (time is passed in)
#[test]
fn test_file_store_age_limit() {
    all(
        StreamConfig {
            max_age: Duration::from_millis(10),
            ..named("zzz")
        },
        |c| {
            for i in 0..100 {
                c.s()
                    .store_msg("foo", &[], b"Hello World", 0, NOW + i)
                    .unwrap();
            }
            assert_eq!(c.s().next_expiry(), Some(NOW + 10_000_000));
            assert_eq!(c.s().expire_msgs(NOW + 10_000_000 - 1).unwrap(), 0);
            c.restart();
            assert_eq!(c.s().expire_msgs(NOW + 10_000_000 + 49).unwrap(), 50);
            assert_eq!(c.s().state().first_seq, 51);
            assert_eq!(c.s().expire_msgs(NOW + SEC).unwrap(), 50);
            let st = c.s().state();
            assert_eq!((st.msgs, st.first_seq, st.last_seq), (0, 101, 100));
            assert_eq!(c.s().next_expiry(), None);
        },
    );
}

/// TestMemStoreMessageTTL / TestFileStoreMessageTTL
#[test]
fn test_mem_store_message_ttl() {
    all(
        StreamConfig {
            allow_msg_ttl: true,
            ..named("zzz")
        },
        |c| {
            for i in 1..=10 {
                c.s().store_msg("test", &[], &[], 1, NOW + i).unwrap();
            }
            c.s().store_msg("keep", &[], &[], 0, NOW).unwrap();
            assert_eq!(c.s().next_expiry(), Some(NOW + 1 + SEC));
            c.restart();
            assert_eq!(c.s().expire_msgs(NOW + SEC + 5).unwrap(), 5);
            assert_eq!(c.s().expire_msgs(NOW + 2 * SEC).unwrap(), 5);
            let st = c.s().state();
            assert_eq!((st.msgs, st.first_seq, st.last_seq), (1, 11, 11));
        },
    );
}

/// TestMemStorePurge / TestFileStorePurge
#[test]
fn test_file_store_purge() {
    all(named("zzz"), |c| {
        for i in 0..10 {
            c.s()
                .store_msg("foo", &[], b"Hello World", 0, NOW + i)
                .unwrap();
        }
        assert_eq!(c.s().purge().unwrap(), 10);
        let st = c.s().state();
        assert_eq!(
            (st.msgs, st.bytes, st.first_seq, st.last_seq),
            (0, 0, 11, 10)
        );
        c.restart();
        let (seq, _) = c.s().store_msg("foo", &[], b"again", 0, NOW).unwrap();
        assert_eq!(seq, 11);
    });
}

/// TestMemStoreCompact / TestFileStoreCompact
#[test]
fn test_file_store_compact() {
    all(named("zzz"), |c| {
        for i in 0..10 {
            c.s()
                .store_msg("foo", &[], b"Hello World", 0, NOW + i)
                .unwrap();
        }
        assert_eq!(c.s().compact(6).unwrap(), 5);
        let st = c.s().state();
        assert_eq!((st.msgs, st.first_seq), (5, 6));
        c.restart();
        assert_eq!(c.s().compact(100).unwrap(), 5);
        let st = c.s().state();
        assert_eq!((st.msgs, st.first_seq, st.last_seq), (0, 100, 99));
        c.restart();
        assert_eq!(c.s().store_msg("foo", &[], b"x", 0, NOW).unwrap().0, 100);
    });
}

/// TestMemStoreEraseMsg / TestFileStoreEraseMsg
#[test]
fn test_mem_store_erase_msg() {
    all(named("zzz"), |c| {
        c.s().store_msg("foo", &[], b"Hello World", 0, NOW).unwrap();
        c.s().store_msg("foo", &[], b"Second", 0, NOW).unwrap();
        assert_eq!(c.s().load_msg(1).unwrap().msg, b"Hello World");
        assert!(c.s().erase_msg(1).unwrap());
        assert!(!c.s().erase_msg(1).unwrap());
        assert_eq!(c.s().load_msg(1).unwrap_err(), StoreError::MsgNotFound);
        c.restart();
        assert_eq!(c.s().load_msg(2).unwrap().msg, b"Second");
        assert_eq!(c.s().state().first_seq, 2);
    });
}

/// The erased bytes are gone from the disk, not just from the index.
#[test]
fn erase_overwrites_the_bytes_on_disk() {
    let disk = SimDisk::new(1, DiskConfig::perfect(), FaultAtlas::pristine());
    let mut fs = FileStore::open(disk, fcfg(), named("zzz")).unwrap();
    fs.store_msg("foo", &[], b"SECRET-PAYLOAD", 0, NOW).unwrap();
    fs.store_msg("foo", &[], b"other", 0, NOW).unwrap();
    fs.erase_msg(1).unwrap();
    fs.flush().unwrap();
    let path = fs.block_path(1);
    let disk = fs.into_storage();
    let image = disk.durable_contents(&path).unwrap();
    assert!(!image.windows(6).any(|w| w == b"SECRET"));
    assert!(image.windows(5).any(|w| w == b"other"));
}

/// TestMemStoreMsgHeaders / TestFileStoreMsgHeaders
#[test]
fn test_mem_store_msg_headers() {
    all(named("zzz"), |c| {
        let (subj, hdr, msg) = ("foo", b"name:derek".as_slice(), b"Hello World".as_slice());
        c.s().store_msg(subj, hdr, msg, 0, NOW).unwrap();
        c.restart();
        let sm = c.s().load_msg(1).unwrap();
        assert_eq!((sm.hdr.as_slice(), sm.msg.as_slice()), (hdr, msg));
        assert_eq!(c.s().state().bytes, msg_size(subj, hdr, msg));
    });
}

/// TestMemStoreStreamStateDeleted / TestFileStoreStreamStateDeleted
#[test]
fn test_mem_store_stream_state_deleted() {
    all(named("zzz"), |c| {
        for i in 1..=10 {
            c.s()
                .store_msg(
                    "foo",
                    &[],
                    format!("[{i:08}] Hello World!").as_bytes(),
                    0,
                    NOW,
                )
                .unwrap();
        }
        assert!(c.s().state().deleted.is_empty());
        let mut expected = Vec::new();
        for seq in (2..10).step_by(2) {
            c.s().remove_msg(seq).unwrap();
            expected.push(seq);
        }
        assert_eq!(c.s().state().deleted, expected);
        c.restart();
        c.s().remove_msg(1).unwrap();
        c.s().remove_msg(3).unwrap();
        let st = c.s().state();
        assert_eq!(st.deleted, expected[2..].to_vec());
        assert_eq!((st.first_seq, st.num_deleted), (5, 2));
        c.s().purge().unwrap();
        assert!(c.s().state().deleted.is_empty());
    });
}

/// TestMemStoreStreamTruncate / TestFileStoreStreamTruncate
#[test]
fn test_mem_store_stream_truncate() {
    all(named("zzz"), |c| {
        for i in 1..=100u64 {
            let subj = if i < 50 { "foo" } else { "bar" };
            c.s()
                .store_msg(subj, &[], b"ok", 0, NOW + i as i64)
                .unwrap();
        }
        c.s().truncate(50).unwrap();
        let st = c.s().state();
        assert_eq!((st.msgs, st.last_seq, st.last_ts), (50, 50, NOW + 50));
        c.restart();
        for seq in [10, 20, 30, 40] {
            c.s().remove_msg(seq).unwrap();
        }
        c.s().truncate(25).unwrap();
        let st = c.s().state();
        assert_eq!(
            (st.msgs, st.num_subjects, st.deleted.clone()),
            (23, 1, vec![10, 20])
        );
        c.restart();
        assert_eq!(c.s().store_msg("baz", &[], b"new", 0, NOW).unwrap().0, 26);
    });
}

/// TestMemStoreStreamTruncateReset / TestFileStoreStreamTruncateResetMultiBlock
#[test]
fn test_mem_store_stream_truncate_reset() {
    all(named("zzz"), |c| {
        for i in 0..100 {
            c.s()
                .store_msg("foo", &[], b"Hello World", 0, NOW + i)
                .unwrap();
        }
        c.s().truncate(0).unwrap();
        let st = c.s().state();
        assert_eq!((st.msgs, st.bytes, st.first_seq, st.last_seq), (0, 0, 0, 0));
        c.restart();
        for i in 0..10 {
            c.s()
                .store_msg("foo", &[], b"Hello World", 0, NOW + i)
                .unwrap();
        }
        let st = c.s().state();
        assert_eq!((st.msgs, st.first_seq, st.last_seq), (10, 1, 10));
    });
}

/// TestMemStorePurgeExWithSubject
#[test]
fn test_mem_store_purge_ex_with_subject() {
    all(named("zzz"), |c| {
        for _ in 0..100 {
            c.s().store_msg("foo", &[], &[], 0, NOW).unwrap();
        }
        c.s().store_msg("bar", &[], &[], 0, NOW).unwrap();
        assert_eq!(c.s().purge_ex("foo", 0, 0).unwrap(), 100);
        assert_eq!(c.s().state().msgs, 1);
        c.restart();
        assert_eq!(c.s().state().first_seq, 101);
    });
}

/// TestStorePurgeExKeepWithInteriorDeletes (keep and a sequence bound)
#[test]
fn test_store_purge_ex_keep_with_interior_deletes() {
    all(named("zzz"), |c| {
        for i in 0..10 {
            let subj = if i % 2 == 0 { "a" } else { "b" };
            c.s().store_msg(subj, &[], &[], 0, NOW).unwrap();
        }
        c.s().remove_msg(5).unwrap();
        // "a" holds 1, 3, 7, 9 after the delete; keep the newest 2.
        assert_eq!(c.s().purge_ex("a", 0, 2).unwrap(), 2);
        assert_eq!(c.s().filtered_state(0, "a").msgs, 2);
        assert_eq!(c.s().filtered_state(0, "a").first, 7);
        // Everything below 8 on "b": 2, 4, 6.
        assert_eq!(c.s().purge_ex("b", 8, 0).unwrap(), 3);
        let st = c.s().state();
        assert_eq!((st.msgs, st.first_seq), (4, 7));
    });
}

/// TestMemStoreUpdateMaxMsgsPerSubject
#[test]
fn test_mem_store_update_max_msgs_per_subject() {
    all(
        StreamConfig {
            max_msgs_per_subject: 10,
            ..named("TEST")
        },
        |c| {
            for _ in 0..20 {
                c.s().store_msg("foo", &[], b"x", 0, NOW).unwrap();
            }
            assert_eq!(c.s().state().msgs, 10);
            let cfg = StreamConfig {
                max_msgs_per_subject: 5,
                ..named("TEST")
            };
            c.s().update_config(cfg, NOW).unwrap();
            let st = c.s().state();
            assert_eq!((st.msgs, st.first_seq), (5, 16));
        },
    );
}

/// TestStoreMsgLoadNextMsgMulti
#[test]
fn test_store_msg_load_next_msg_multi() {
    all(named("zzz"), |c| {
        for i in 0..1000 {
            c.s()
                .store_msg(&format!("foo.{i}"), &[], b"ZZZ", 0, NOW)
                .unwrap();
        }
        c.restart();
        for seq in (1..=1000u64).step_by(97) {
            let (sm, nseq) = c.s().load_next_msg_multi(&["foo.>"], seq).unwrap();
            assert_eq!((sm.subj, nseq), (format!("foo.{}", seq - 1), seq));
        }
        let filters = ["foo.2", "foo.222", "foo.999"];
        let (sm, seq) = c.s().load_next_msg_multi(&filters, 1).unwrap();
        assert_eq!((sm.subj.as_str(), seq), ("foo.2", 3));
        let (sm, seq) = c.s().load_next_msg_multi(&filters, seq + 1).unwrap();
        assert_eq!((sm.subj.as_str(), seq), ("foo.222", 223));
        let (sm, seq) = c.s().load_next_msg_multi(&filters, seq + 1).unwrap();
        assert_eq!((sm.subj.as_str(), seq), ("foo.999", 1000));
        assert_eq!(
            c.s().load_next_msg_multi(&filters, seq + 1).unwrap_err(),
            StoreError::Eof
        );
    });
}

/// TestStoreLoadNextMsgWildcardStartBeforeFirstMatch
#[test]
fn test_store_load_next_msg_wildcard_start_before_first_match() {
    all(named("zzz"), |c| {
        for i in 0..100 {
            c.s()
                .store_msg(&format!("bar.{i}"), &[], &[], 0, NOW)
                .unwrap();
        }
        assert_eq!(c.s().store_msg("foo.1", &[], &[], 0, NOW).unwrap().0, 101);
        let (sm, nseq) = c.s().load_next_msg("foo.*", true, 1).unwrap();
        assert_eq!((sm.subj.as_str(), nseq), ("foo.1", 101));
        assert_eq!(
            c.s().load_next_msg("foo.*", true, nseq + 1).unwrap_err(),
            StoreError::Eof
        );
        let (sm, _) = c.s().load_next_msg("bar.5", false, 1).unwrap();
        assert_eq!(sm.seq, 6);
    });
}

/// TestMemStoreNumPending / TestFileStoreNumPending (filtered state, last per subject)
#[test]
fn test_mem_store_num_pending() {
    all(named("zzz"), |c| {
        let subjects = ["foo.foo", "foo.bar", "foo.baz", "bar.foo"];
        for i in 0..200usize {
            c.s().store_msg(subjects[i % 4], &[], b"x", 0, NOW).unwrap();
        }
        c.restart();
        assert_eq!(c.s().num_pending(1, "foo.*", false), (150, 200));
        assert_eq!(c.s().num_pending(101, "foo.*", false), (75, 200));
        assert_eq!(c.s().num_pending(1, "foo.*", true), (3, 200));
        assert_eq!(c.s().num_pending(199, ">", true), (2, 200));
        let fs = c.s().filtered_state(10, "bar.foo");
        assert_eq!((fs.msgs, fs.first, fs.last), (48, 12, 200));
        let ss = c.s().subjects_state("foo.*");
        assert_eq!(ss.len(), 3);
        assert_eq!(
            (ss["foo.bar"].msgs, ss["foo.bar"].first, ss["foo.bar"].last),
            (50, 2, 198)
        );
        let totals = c.s().subjects_totals(">");
        assert_eq!(totals.values().sum::<u64>(), 200);
        assert_eq!(c.s().state().num_subjects, 4);
        assert_eq!(c.s().load_last_msg("foo.*").unwrap().seq, 199);
        assert_eq!(c.s().load_last_msg("bar.foo").unwrap().seq, 200);
    });
}

/// TestMemStoreSkipMsgs / TestFileStoreSkipMsgs
#[test]
fn test_mem_store_skip_msgs() {
    all(named("zzz"), |c| {
        assert_eq!(
            c.s().skip_msgs(10, 100, NOW).unwrap_err(),
            StoreError::SequenceMismatch
        );
        c.s().skip_msgs(1, 100, NOW).unwrap();
        let st = c.s().state();
        assert_eq!((st.first_seq, st.last_seq, st.msgs), (101, 100, 0));
        c.restart();
        assert_eq!(c.s().skip_msg(101, NOW).unwrap(), 101);
        c.s().store_msg("foo", &[], b"x", 0, NOW).unwrap();
        c.s().skip_msgs(103, 10, NOW).unwrap();
        c.restart();
        let st = c.s().state();
        assert_eq!((st.first_seq, st.last_seq, st.msgs), (102, 112, 1));
        assert_eq!(c.s().store_msg("foo", &[], b"x", 0, NOW).unwrap().0, 113);
    });
}

/// TestStorePurgeExZero
#[test]
fn test_store_purge_ex_zero() {
    all(named("zzz"), |c| {
        for _ in 0..10 {
            c.s().store_msg("foo", &[], &[], 0, NOW).unwrap();
        }
        assert_eq!(c.s().purge_ex("", 0, 0).unwrap(), 10);
        let st = c.s().state();
        assert_eq!((st.first_seq, st.last_seq), (11, 10));
    });
}

/// Store raw: replication stores at an exact sequence.
#[test]
fn store_raw_msg_requires_the_next_sequence() {
    all(named("zzz"), |c| {
        c.s().store_raw_msg("foo", &[], b"a", 1, NOW, 0).unwrap();
        assert_eq!(
            c.s()
                .store_raw_msg("foo", &[], b"b", 3, NOW, 0)
                .unwrap_err(),
            StoreError::SequenceMismatch
        );
        c.s()
            .store_raw_msg("foo", &[], b"b", 2, NOW + 5, 0)
            .unwrap();
        assert_eq!(c.s().load_msg(2).unwrap().ts, NOW + 5);
    });
}

/// TestFileStoreMaxMsgSize-style: over max_msg_size is refused.
#[test]
fn max_msg_size_is_enforced() {
    all(
        StreamConfig {
            max_msg_size: 8,
            ..named("zzz")
        },
        |c| {
            c.s().store_msg("foo", &[], b"12345678", 0, NOW).unwrap();
            assert_eq!(
                c.s()
                    .store_msg("foo", &[], b"123456789", 0, NOW)
                    .unwrap_err(),
                StoreError::MsgTooLarge
            );
        },
    );
}

/// Many blocks: a store that rolls over and drops dead blocks from the front.
#[test]
fn test_file_store_compact_removes_dead_blocks() {
    let disk = SimDisk::new(1, DiskConfig::perfect(), FaultAtlas::pristine());
    let mut fs = FileStore::open(disk, fcfg(), named("zzz")).unwrap();
    for i in 0..200 {
        fs.store_msg("foo", &[], &[i as u8; 50], 0, NOW).unwrap();
    }
    fs.flush().unwrap();
    let before = fs.block_indexes().len();
    assert!(before > 5, "blocks {before}");
    fs.compact(150).unwrap();
    fs.flush().unwrap();
    let after = fs.block_indexes().len();
    assert!(after < before, "blocks {before} -> {after}");
    fs.check_invariants();
    let disk = fs.into_storage();
    let mut fs = FileStore::open(disk, fcfg(), named("zzz")).unwrap();
    let st = fs.state();
    assert_eq!((st.msgs, st.first_seq, st.last_seq), (51, 150, 200));
    assert_eq!(fs.load_msg(150).unwrap().msg, vec![149u8; 50]);
}

/// The consumer state store persists by atomic replace and survives a crash.
#[test]
fn consumer_state_survives_crash_and_rejects_damage() {
    use rnatsd_core::store::consumer_store::{AckPolicy, ConsumerStore};
    let mut disk = SimDisk::new(3, DiskConfig::perfect(), FaultAtlas::pristine());
    let path = "streams/TEST/obs/dur/o.dat";
    assert_eq!(ConsumerStore::load(&mut disk, path).unwrap(), None);
    let mut o = ConsumerStore::new(AckPolicy::Explicit, 0);
    o.update_delivered(1, 10, 1, NOW).unwrap();
    o.update_delivered(2, 11, 1, NOW).unwrap();
    o.update_acks(1, 10).unwrap();
    o.save(&mut disk, path).unwrap();
    let saved = o.state().clone();
    o.update_delivered(3, 12, 1, NOW).unwrap();
    disk.crash();
    assert_eq!(ConsumerStore::load(&mut disk, path).unwrap(), Some(saved));
    let f = disk.open(path, false).unwrap();
    disk.write_at(f, 3, &[0xee]).unwrap();
    assert!(matches!(
        ConsumerStore::load(&mut disk, path),
        Err(StoreError::Corrupt(_))
    ));
}

//! Encryption at rest, S2 compression of sealed blocks, space reclaim and the
//! index file of the FileStore (ported from Go's filestore_test.go where
//! the concept applies: TestFileStoreEncrypted*, TestFileStoreCompression*,
//! TestFileStoreCompact*; names kept, snake_cased).

use rnatsd_core::storage::{FileId, Storage, StorageError, StorageErrorKind};
use rnatsd_core::store::filestore::{Cipher, FileStore, FileStoreConfig, StoreCipher};
use rnatsd_core::store::{StoreCompression, StoreError, StreamConfig, StreamStore};
use rnatsd_io_sim::disk::{DiskConfig, SimDisk};
use rnatsd_io_sim::faults::FaultAtlas;

const NOW: i64 = 1_700_000_000_000_000_000;
const DIR: &str = "streams/S";

fn cfg() -> StreamConfig {
    StreamConfig {
        name: "S".into(),
        ..StreamConfig::default()
    }
}

fn fcfg(
    cipher: Option<(Cipher, &str)>,
    compression: StoreCompression,
    seed: u64,
) -> FileStoreConfig {
    let mut f = FileStoreConfig::new(DIR);
    f.block_size = 2048;
    f.encryption = cipher.map(|(cipher, key)| StoreCipher {
        cipher,
        key: key.as_bytes().to_vec(),
    });
    f.compression = compression;
    f.seed = seed;
    f
}

fn disk() -> SimDisk {
    SimDisk::new(1, DiskConfig::perfect(), FaultAtlas::pristine())
}

fn payload(i: u64) -> Vec<u8> {
    format!("SECRET-PAYLOAD-{i:05}-").repeat(4).into_bytes()
}

fn fill(fs: &mut FileStore<SimDisk>, n: u64) {
    for i in 1..=n {
        fs.store_msg(
            &format!("orders.{}", i % 3),
            b"",
            &payload(i),
            0,
            NOW + i as i64,
        )
        .unwrap();
    }
    fs.flush().unwrap();
}

fn durable_image(disk: &SimDisk) -> Vec<u8> {
    let mut all = Vec::new();
    for p in disk.paths() {
        all.extend_from_slice(disk.durable_contents(&p).unwrap_or(&[]));
    }
    all
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// TestFileStoreEncrypted: messages round-trip, and neither payloads nor
/// subjects appear on disk.
#[test]
fn test_file_store_encrypted() {
    for cipher in [Cipher::Aes, Cipher::ChaChaPoly] {
        let mut fs = FileStore::open(
            disk(),
            fcfg(Some((cipher, "k")), StoreCompression::None, 1),
            cfg(),
        )
        .unwrap();
        fill(&mut fs, 100);
        fs.erase_msg(5).unwrap();
        fs.flush().unwrap();
        let mut d = fs.into_storage();
        d.crash();
        let img = durable_image(&d);
        assert!(!contains(&img, b"SECRET"), "{cipher:?}: payload in clear");
        assert!(!contains(&img, b"orders."), "{cipher:?}: subject in clear");
        let mut fs = FileStore::open(
            d,
            fcfg(Some((cipher, "k")), StoreCompression::None, 2),
            cfg(),
        )
        .unwrap();
        let st = fs.state();
        assert_eq!(
            (st.msgs, st.first_seq, st.last_seq, st.lost),
            (99, 1, 100, None)
        );
        assert_eq!(fs.load_msg(77).unwrap().msg, payload(77));
        assert_eq!(fs.load_msg(5).unwrap_err(), StoreError::MsgNotFound);
        fs.check_invariants();
    }
}

/// TestFileStoreEncryptedKeyChange (concept): a wrong key, a missing key, or
/// a key on a plaintext store is a clear error at open, and the disk is left
/// untouched, so the right configuration still reads everything.
#[test]
fn test_file_store_encrypted_wrong_key_is_an_error_not_data_loss() {
    let mut fs = FileStore::open(
        disk(),
        fcfg(Some((Cipher::Aes, "right")), StoreCompression::S2, 1),
        cfg(),
    )
    .unwrap();
    fill(&mut fs, 60);
    let d = fs.into_storage();
    let before = durable_image(&d);
    let e = FileStore::open(
        d,
        fcfg(Some((Cipher::Aes, "wrong")), StoreCompression::None, 2),
        cfg(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, StoreError::Encryption(m) if m.contains("wrong key")),
        "{e:?}"
    );
    // The error consumed the storage; reopen from the same bytes.
    let (e, d) = FileStore::try_open(
        rebuild(&before),
        fcfg(None, StoreCompression::None, 3),
        cfg(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, StoreError::Encryption(m) if m.contains("no key")),
        "{e:?}"
    );
    assert_eq!(durable_image(&d), before, "a refused open changes nothing");
    let fs = FileStore::open(
        d,
        fcfg(Some((Cipher::Aes, "right")), StoreCompression::None, 4),
        cfg(),
    )
    .unwrap();
    assert_eq!(fs.state().msgs, 60);
    // A key on a plaintext store is refused too.
    let mut fs = FileStore::open(disk(), fcfg(None, StoreCompression::None, 1), cfg()).unwrap();
    fill(&mut fs, 3);
    let e = FileStore::open(
        fs.into_storage(),
        fcfg(Some((Cipher::Aes, "k")), StoreCompression::None, 2),
        cfg(),
    )
    .unwrap_err();
    assert!(matches!(e, StoreError::Encryption(_)), "{e:?}");
}

/// A disk holding exactly `image`'s files is not available from SimDisk, so
/// tests that need a second copy rebuild it by replaying the same writes.
fn rebuild(_image: &[u8]) -> SimDisk {
    let mut fs = FileStore::open(
        disk(),
        fcfg(Some((Cipher::Aes, "right")), StoreCompression::S2, 1),
        cfg(),
    )
    .unwrap();
    fill(&mut fs, 60);
    fs.into_storage()
}

/// Flips one byte at `off` of the durable image of `path`.
fn flip(d: &mut SimDisk, path: &str, off: u64) {
    let f = d.open(path, false).unwrap();
    let mut b = [0u8; 1];
    d.read_at(f, off, &mut b).unwrap();
    d.write_at(f, off, &[b[0] ^ 0x20]).unwrap();
    d.sync(f).unwrap();
    d.close(f);
}

/// TestFileStoreEncryptedTamper (new): a tampered frame fails
/// authentication; it is reported lost and never served, and every later
/// message stays readable. Also for compressed (chunked) blocks.
#[test]
fn test_file_store_encrypted_tamper_is_detected_and_later_data_survives() {
    for compression in [StoreCompression::None, StoreCompression::S2] {
        let mut fs = FileStore::open(
            disk(),
            fcfg(Some((Cipher::Aes, "k")), compression, 1),
            cfg(),
        )
        .unwrap();
        fill(&mut fs, 120);
        fs.flush().unwrap();
        let victim = 30;
        let loc = fs.msg_location(victim).unwrap();
        let path = fs.block_path(loc.blk);
        // Served bytes are verified while running, too.
        let mut d = fs.into_storage();
        flip(&mut d, &path, loc.off + u64::from(loc.len) / 2);
        let mut fs =
            FileStore::open(d, fcfg(Some((Cipher::Aes, "k")), compression, 2), cfg()).unwrap();
        let st = fs.state();
        let lost = st.lost.clone().expect("tampering is reported");
        assert!(lost.msgs.contains(&victim), "{compression:?}: {lost:?}");
        assert!(matches!(fs.load_msg(victim), Err(StoreError::MsgNotFound)));
        assert_eq!(st.last_seq, 120);
        for seq in 1..=120 {
            match fs.load_msg(seq) {
                Ok(m) => assert_eq!(m.msg, payload(seq), "{compression:?} seq {seq}"),
                Err(_) => assert!(
                    lost.msgs.contains(&seq),
                    "{compression:?}: seq {seq} missing but not reported"
                ),
            }
        }
        assert_eq!(fs.load_msg(120).unwrap().msg, payload(120));
        fs.check_invariants();
    }
}

/// Tampering while the store is open: the read fails verification.
#[test]
fn test_file_store_encrypted_tamper_while_open_is_corrupt() {
    let mut fs = FileStore::open(
        disk(),
        fcfg(Some((Cipher::ChaChaPoly, "k")), StoreCompression::None, 1),
        cfg(),
    )
    .unwrap();
    fill(&mut fs, 10);
    let loc = fs.msg_location(4).unwrap();
    let path = fs.block_path(loc.blk);
    flip(fs.storage_mut(), &path, loc.off + 30);
    assert!(matches!(fs.load_msg(4), Err(StoreError::Corrupt(_))));
    assert_eq!(fs.load_msg(5).unwrap().msg, payload(5));
}

fn block_bytes(fs: &mut FileStore<SimDisk>) -> u64 {
    let paths: Vec<String> = fs
        .block_indexes()
        .iter()
        .map(|i| fs.block_path(*i))
        .collect();
    paths
        .iter()
        .map(|p| {
            fs.storage_mut()
                .volatile_contents(p)
                .map_or(0, |c| c.len() as u64)
        })
        .sum()
}

/// TestFileStoreCompressionBasics (concept of Go's compressed blocks): sealed
/// blocks are rewritten S2-compressed, everything reads back before and after
/// a crash, and the disk holds much less.
#[test]
fn test_file_store_compression() {
    for cipher in [None, Some((Cipher::Aes, "k"))] {
        let mut plain =
            FileStore::open(disk(), fcfg(cipher, StoreCompression::None, 1), cfg()).unwrap();
        let mut comp =
            FileStore::open(disk(), fcfg(cipher, StoreCompression::S2, 1), cfg()).unwrap();
        for fs in [&mut plain, &mut comp] {
            for i in 1..=300 {
                fs.store_msg("orders.x", b"", &payload(i), 0, NOW).unwrap();
                if i % 10 == 0 {
                    fs.flush().unwrap();
                }
            }
            fs.flush().unwrap();
        }
        let (p, c) = (block_bytes(&mut plain), block_bytes(&mut comp));
        assert!(c * 2 < p, "{cipher:?}: compressed {c} vs plain {p}");
        let mut d = comp.into_storage();
        d.crash();
        let mut fs = FileStore::open(d, fcfg(cipher, StoreCompression::S2, 2), cfg()).unwrap();
        assert_eq!(fs.state().lost, None);
        for seq in 1..=300 {
            assert_eq!(fs.load_msg(seq).unwrap().msg, payload(seq));
        }
        assert!(
            fs.msg_location(1).unwrap().inner.is_some(),
            "sealed block is chunked"
        );
        // Erase inside a compressed block rewrites it without the message.
        assert!(fs.erase_msg(2).unwrap());
        let loc = fs.msg_location(3).unwrap();
        let path = fs.block_path(loc.blk);
        fs.flush().unwrap();
        fs.check_invariants();
        let mut d = fs.into_storage();
        d.crash();
        let _ = d.durable_contents(&path).unwrap();
        let mut fs = FileStore::open(d, fcfg(cipher, StoreCompression::S2, 3), cfg()).unwrap();
        assert_eq!(fs.load_msg(2).unwrap_err(), StoreError::MsgNotFound);
        assert_eq!(fs.load_msg(3).unwrap().msg, payload(3));
        assert_eq!(fs.state().msgs, 299);
    }
}

/// Damage inside one compressed chunk loses that chunk only; later chunks
/// and blocks stay readable, and the loss is reported.
#[test]
fn test_file_store_compression_damage_is_contained() {
    let mut fs = FileStore::open(disk(), fcfg(None, StoreCompression::S2, 1), cfg()).unwrap();
    fill(&mut fs, 200);
    let loc = fs.msg_location(10).unwrap();
    assert!(loc.inner.is_some());
    let path = fs.block_path(loc.blk);
    let mut d = fs.into_storage();
    flip(&mut d, &path, loc.off + 12);
    let mut fs = FileStore::open(d, fcfg(None, StoreCompression::S2, 2), cfg()).unwrap();
    let lost = fs.state().lost.expect("reported");
    assert!(lost.msgs.contains(&10));
    for seq in 1..=200 {
        if !lost.msgs.contains(&seq) {
            assert_eq!(fs.load_msg(seq).unwrap().msg, payload(seq));
        }
    }
    assert_eq!(fs.load_msg(200).unwrap().msg, payload(200));
}

/// TestFileStoreSparseCompactionWithInteriorDeletes: interior deletes
/// shrink sealed blocks (rewritten without the dead records); a fully
/// deleted interior block shrinks to a stub; the state survives a crash.
#[test]
fn test_file_store_sparse_compaction_with_interior_deletes() {
    let mut fs = FileStore::open(disk(), fcfg(None, StoreCompression::None, 1), cfg()).unwrap();
    fill(&mut fs, 300);
    let before = block_bytes(&mut fs);
    for seq in 20..=280 {
        if seq % 5 != 0 {
            fs.remove_msg(seq).unwrap();
        }
    }
    for _ in 0..fs.block_indexes().len() {
        fs.flush().unwrap();
    }
    let after = block_bytes(&mut fs);
    // 209 of 300 messages die; their tombstones (44 bytes each) stay.
    assert!(after * 10 < before * 6, "reclaimed: {before} -> {after}");
    fs.check_invariants();
    let want = fs.state();
    let mut d = fs.into_storage();
    d.crash();
    let mut fs = FileStore::open(d, fcfg(None, StoreCompression::None, 2), cfg()).unwrap();
    let got = fs.state();
    assert_eq!(
        (
            got.msgs,
            got.first_seq,
            got.last_seq,
            got.deleted.clone(),
            got.lost
        ),
        (want.msgs, want.first_seq, want.last_seq, want.deleted, None)
    );
    for seq in [1, 19, 20, 25, 280, 281, 300] {
        assert_eq!(fs.load_msg(seq).unwrap().msg, payload(seq));
    }
    assert_eq!(fs.load_msg(21).unwrap_err(), StoreError::MsgNotFound);
}

/// A quarantined (damaged) front block does not stop the reclaim of others.
#[test]
fn test_file_store_compact_quarantined_block_does_not_stop_reclaim() {
    let mut fs = FileStore::open(disk(), fcfg(None, StoreCompression::None, 1), cfg()).unwrap();
    fill(&mut fs, 300);
    let first = fs.block_indexes()[0];
    let path = fs.block_path(first);
    let loc = fs.msg_location(3).unwrap();
    let mut d = fs.into_storage();
    flip(&mut d, &path, loc.off + 50);
    let mut fs = FileStore::open(d, fcfg(None, StoreCompression::None, 2), cfg()).unwrap();
    assert!(fs.state().lost.is_some());
    let before = block_bytes(&mut fs);
    for seq in 100..=280 {
        fs.remove_msg(seq).unwrap();
    }
    for _ in 0..fs.block_indexes().len() {
        fs.flush().unwrap();
    }
    assert!(fs.block_indexes().contains(&first), "evidence kept");
    let after = block_bytes(&mut fs);
    assert!(
        after * 10 < before * 7,
        "reclaimed past a quarantined block: {before} -> {after}"
    );
    let mut d = fs.into_storage();
    d.crash();
    let mut fs = FileStore::open(d, fcfg(None, StoreCompression::None, 3), cfg()).unwrap();
    assert_eq!(fs.load_msg(99).unwrap().msg, payload(99));
    assert_eq!(fs.load_msg(281).unwrap().msg, payload(281));
    assert_eq!(fs.load_msg(150).unwrap_err(), StoreError::MsgNotFound);
}

/// A storage that stops working (every call fails with EIO) after `left`
/// mutating calls: a crash at that exact step.
struct CrashAfter {
    disk: SimDisk,
    left: u64,
}

impl CrashAfter {
    fn tick(&mut self) -> Result<(), StorageError> {
        if self.left == 0 {
            return Err(StorageError::new(StorageErrorKind::Eio, "crashed"));
        }
        self.left -= 1;
        Ok(())
    }
}

impl Storage for CrashAfter {
    fn open(&mut self, path: &str, create: bool) -> Result<FileId, StorageError> {
        if create {
            self.tick()?;
        }
        self.disk.open(path, create)
    }
    fn close(&mut self, file: FileId) {
        self.disk.close(file)
    }
    fn read_at(
        &mut self,
        file: FileId,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, StorageError> {
        self.disk.read_at(file, offset, buf)
    }
    fn write_at(&mut self, file: FileId, offset: u64, data: &[u8]) -> Result<(), StorageError> {
        self.tick()?;
        self.disk.write_at(file, offset, data)
    }
    fn append(&mut self, file: FileId, data: &[u8]) -> Result<u64, StorageError> {
        self.tick()?;
        self.disk.append(file, data)
    }
    fn len(&mut self, file: FileId) -> Result<u64, StorageError> {
        self.disk.len(file)
    }
    fn truncate(&mut self, file: FileId, len: u64) -> Result<(), StorageError> {
        self.tick()?;
        self.disk.truncate(file, len)
    }
    fn sync(&mut self, file: FileId) -> Result<(), StorageError> {
        self.tick()?;
        self.disk.sync(file)
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<(), StorageError> {
        self.tick()?;
        self.disk.rename(from, to)
    }
    fn remove(&mut self, path: &str) -> Result<(), StorageError> {
        self.tick()?;
        self.disk.remove(path)
    }
    fn sync_dir(&mut self, dir: &str) -> Result<(), StorageError> {
        self.tick()?;
        self.disk.sync_dir(dir)
    }
    fn list(&mut self, dir: &str) -> Result<Vec<String>, StorageError> {
        self.disk.list(dir)
    }
}

/// TestFileStoreCompactCrashAtEveryStep (new): a crash at every storage step
/// of removals, reclaim rewrites (compressed and encrypted) and block
/// removal never loses a message that was durable and never brings back one
/// whose removal was durable.
#[test]
fn test_file_store_compact_crash_at_every_step() {
    for (cipher, compression) in [
        (None, StoreCompression::None),
        (None, StoreCompression::S2),
        (Some((Cipher::Aes, "k")), StoreCompression::S2),
    ] {
        let mut step = 0;
        loop {
            // Replay the same workload on a copy, crashing after `step` steps.
            let d = base_copy(cipher, compression);
            let wrapped = CrashAfter {
                disk: d,
                left: step,
            };
            let mut fs =
                FileStore::open(wrapped, fcfg(cipher, compression, 10 + step), cfg()).unwrap();
            let mut removed_durable: Vec<u64> = Vec::new();
            let mut pending: Vec<u64> = Vec::new();
            let mut ok = true;
            for seq in (10..=140).filter(|s| s % 4 != 0) {
                if fs.remove_msg(seq).is_err() {
                    ok = false;
                    break;
                }
                pending.push(seq);
                if seq % 16 == 1 {
                    if fs.flush().is_err() {
                        ok = false;
                        break;
                    }
                    removed_durable.append(&mut pending);
                }
            }
            if ok && fs.flush().is_ok() {
                removed_durable.append(&mut pending);
            }
            let mut d = fs.into_storage().disk;
            d.crash();
            let mut fs = FileStore::open(d, fcfg(cipher, compression, 99), cfg()).unwrap();
            assert_eq!(fs.state().lost, None, "step {step}");
            for seq in 1..=150u64 {
                let got = fs.load_msg(seq);
                if removed_durable.contains(&seq) {
                    assert!(
                        got.is_err(),
                        "{compression:?} step {step}: seq {seq} came back"
                    );
                } else if !(10..=140).contains(&seq) || seq % 4 == 0 {
                    assert_eq!(got.unwrap().msg, payload(seq), "step {step}: seq {seq}");
                } else if let Ok(m) = got {
                    assert_eq!(m.msg, payload(seq));
                }
            }
            fs.check_invariants();
            if ok {
                break;
            }
            step += 1;
            assert!(step < 2000, "bounded");
        }
        assert!(step > 20, "the workload has many steps ({step})");
    }
}

/// The same 150 durable messages, on a fresh disk (SimDisk is not Clone).
fn base_copy(cipher: Option<(Cipher, &str)>, compression: StoreCompression) -> SimDisk {
    let mut fs = FileStore::open(disk(), fcfg(cipher, compression, 1), cfg()).unwrap();
    fill(&mut fs, 150);
    fs.into_storage()
}

fn read_file(d: &mut SimDisk, path: &str) -> Vec<u8> {
    d.volatile_contents(path).expect("file exists").to_vec()
}

fn write_file(d: &mut SimDisk, path: &str, bytes: &[u8]) {
    let f = d.open(path, true).unwrap();
    d.truncate(f, 0).unwrap();
    d.write_at(f, 0, bytes).unwrap();
    d.sync(f).unwrap();
    d.sync_dir(DIR).unwrap();
    d.close(f);
}

/// TestFileStoreIndexDB (concept of Go's index.db / TestFileStoreRecoverFromIndex):
/// a clean close writes the index file, the next open uses it without a
/// scan and consumes it; a stale or corrupt index file is ignored and the
/// blocks are scanned.
#[test]
fn test_file_store_index_db_fast_path_and_fallbacks() {
    let index = format!("{DIR}/index.db");
    for cipher in [None, Some((Cipher::Aes, "k"))] {
        for compression in [StoreCompression::None, StoreCompression::S2] {
            let mut fs = FileStore::open(disk(), fcfg(cipher, compression, 1), cfg()).unwrap();
            fill(&mut fs, 200);
            fs.remove_msg(7).unwrap();
            let want = fs.state();
            let mut d = {
                fs.close().unwrap();
                fs.into_storage()
            };
            let saved = read_file(&mut d, &index);
            if cipher.is_some() {
                assert!(!contains(&saved, b"orders."), "index encrypted");
            }
            // Fast path.
            let mut fs = FileStore::open(d, fcfg(cipher, compression, 2), cfg()).unwrap();
            assert!(
                fs.recovery_report().from_index,
                "{cipher:?} {compression:?}"
            );
            assert_eq!(fs.state(), want);
            assert_eq!(fs.load_msg(150).unwrap().msg, payload(150));
            fs.check_invariants();
            fs.store_msg("orders.x", b"", b"after", 0, NOW).unwrap();
            fs.flush().unwrap();
            let mut d = fs.into_storage();
            assert!(
                d.volatile_contents(&index).is_none(),
                "consumed by the open"
            );
            // Stale: the old index file put back after more appends.
            write_file(&mut d, &index, &saved);
            d.crash();
            let mut fs = FileStore::open(d, fcfg(cipher, compression, 3), cfg()).unwrap();
            assert!(!fs.recovery_report().from_index, "stale index used");
            assert_eq!(fs.state().msgs, want.msgs + 1);
            assert_eq!(fs.load_msg(201).unwrap().msg, b"after");
            // Corrupt: one flipped byte.
            let mut d = {
                fs.close().unwrap();
                fs.into_storage()
            };
            let mut bad = read_file(&mut d, &index);
            let mid = bad.len() / 2;
            bad[mid] ^= 1;
            write_file(&mut d, &index, &bad);
            let fs = FileStore::open(d, fcfg(cipher, compression, 4), cfg()).unwrap();
            assert!(!fs.recovery_report().from_index, "corrupt index used");
            assert_eq!(fs.state().msgs, want.msgs + 1);
            // Missing: a crash without close.
            let mut d = fs.into_storage();
            d.crash();
            let fs = FileStore::open(d, fcfg(cipher, compression, 5), cfg()).unwrap();
            assert!(!fs.recovery_report().from_index);
            assert_eq!(fs.state().msgs, want.msgs + 1);
        }
    }
}

/// TestFileStoreRestoreEncryptedWithNoKeyFuncFails: an encrypted store
/// opened without a key fails with a clear error.
#[test]
fn test_file_store_restore_encrypted_with_no_key_func_fails() {
    let mut fs = FileStore::open(
        disk(),
        fcfg(Some((Cipher::ChaChaPoly, "k")), StoreCompression::None, 1),
        cfg(),
    )
    .unwrap();
    fill(&mut fs, 5);
    let e = FileStore::open(
        fs.into_storage(),
        fcfg(None, StoreCompression::None, 2),
        cfg(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, StoreError::Encryption(m) if m.contains("no key")),
        "{e:?}"
    );
}

/// TestFileStoreIndexDBExistsAfterShutdown: a clean shutdown leaves a
/// durable index file that survives a crash and is used by the next open.
#[test]
fn test_file_store_index_db_exists_after_shutdown() {
    let mut fs = FileStore::open(disk(), fcfg(None, StoreCompression::None, 1), cfg()).unwrap();
    fill(&mut fs, 20);
    fs.close().unwrap();
    assert_eq!(
        fs.store_msg("x", b"", b"late", 0, NOW).unwrap_err(),
        StoreError::Closed
    );
    let mut d = fs.into_storage();
    d.crash();
    assert!(d.durable_contents(&format!("{DIR}/index.db")).is_some());
    let fs = FileStore::open(d, fcfg(None, StoreCompression::None, 2), cfg()).unwrap();
    assert!(fs.recovery_report().from_index);
    assert_eq!(fs.state().msgs, 20);
}

/// TestFileStoreRecoverWithRemovesAndNoIndexDB: without an index file the
/// removals are recovered from the tombstones in the blocks.
#[test]
fn test_file_store_recover_with_removes_and_no_index_db() {
    let mut fs = FileStore::open(
        disk(),
        fcfg(Some((Cipher::Aes, "k")), StoreCompression::S2, 1),
        cfg(),
    )
    .unwrap();
    fill(&mut fs, 100);
    for seq in (2..100).step_by(3) {
        fs.remove_msg(seq).unwrap();
    }
    fs.flush().unwrap();
    let want = fs.state();
    let mut d = fs.into_storage();
    d.crash();
    let fs = FileStore::open(
        d,
        fcfg(Some((Cipher::Aes, "k")), StoreCompression::S2, 2),
        cfg(),
    )
    .unwrap();
    assert!(!fs.recovery_report().from_index);
    assert_eq!(fs.state(), want);
}

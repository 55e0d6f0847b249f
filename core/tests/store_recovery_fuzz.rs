//! FileStore recovery under damage: deterministic crash and fault scenarios,
//! and two bolero targets (replayed by plain `cargo test`; under `cargo
//! bolero test` they run as coverage-guided fuzzers):
//!
//! - `recovery_from_arbitrary_bytes`: any byte image as block files;
//! - `recovery_from_damaged_image`: a valid image damaged by a fault script.
//!
//! Both run over every cipher x compression permutation of the store.
//!
//! Properties: recovery never panics; it never returns a corrupt message
//! (every loaded message is one that was stored, byte-exact); it never loses
//! a durable record whose bytes the damage did not touch.

use rnatsd_core::storage::{FileId, Storage, StorageError, StorageErrorKind};
use rnatsd_core::store::filestore::{Cipher, FileStore, FileStoreConfig, StoreCipher, SyncPolicy};
use rnatsd_core::store::{StoreCompression, StoreError, StreamConfig, StreamStore};
use rnatsd_core::time::Instant;
use rnatsd_io_sim::disk::{DiskConfig, SimDisk};
use rnatsd_io_sim::faults::FaultAtlas;
use rnatsd_io_sim::prng::Ratio;
use std::time::Duration;

const NOW: i64 = 1_700_000_000_000_000_000;
const DIR: &str = "s/T";

fn cfg() -> StreamConfig {
    StreamConfig {
        name: "T".into(),
        ..StreamConfig::default()
    }
}

fn fcfg(block_size: u64) -> FileStoreConfig {
    let mut f = FileStoreConfig::new(DIR);
    f.block_size = block_size;
    f.sync = SyncPolicy::Always;
    f
}

/// The permutations: plain, AES, S2, ChaCha + S2.
const PERMS: [(Option<Cipher>, StoreCompression); 4] = [
    (None, StoreCompression::None),
    (Some(Cipher::Aes), StoreCompression::None),
    (None, StoreCompression::S2),
    (Some(Cipher::ChaChaPoly), StoreCompression::S2),
];

fn fcfg_perm(block_size: u64, perm: usize, seed: u64) -> FileStoreConfig {
    let mut f = fcfg(block_size);
    let (cipher, compression) = PERMS[perm % PERMS.len()];
    f.encryption = cipher.map(|cipher| StoreCipher {
        cipher,
        key: b"fuzz-key".to_vec(),
    });
    f.compression = compression;
    f.seed = seed;
    f
}

fn open_perm(d: SimDisk, block_size: u64, perm: usize, seed: u64) -> FileStore<SimDisk> {
    let fs = FileStore::open(d, fcfg_perm(block_size, perm, seed), cfg())
        .expect("recovery succeeds on a readable disk");
    fs.check_invariants();
    fs
}

fn disk() -> SimDisk {
    SimDisk::new(7, DiskConfig::perfect(), FaultAtlas::pristine())
}

fn payload(seq: u64) -> Vec<u8> {
    format!("payload-{seq}-")
        .repeat(1 + (seq % 5) as usize)
        .into_bytes()
}

fn subject(seq: u64) -> String {
    format!("orders.{}", seq % 3)
}

fn open(d: SimDisk, block_size: u64) -> FileStore<SimDisk> {
    let fs =
        FileStore::open(d, fcfg(block_size), cfg()).expect("recovery succeeds on a readable disk");
    fs.check_invariants();
    fs
}

fn fill<S: Storage>(fs: &mut FileStore<S>, from: u64, to: u64) {
    for seq in from..=to {
        let (s, _) = fs
            .store_msg(&subject(seq), b"h:v", &payload(seq), 0, NOW + seq as i64)
            .unwrap();
        assert_eq!(s, seq);
    }
}

/// Overwrites bytes of a file and makes it durable, as damage at rest.
fn damage(d: &mut SimDisk, path: &str, off: u64, bytes: &[u8]) {
    let f = d.open(path, false).unwrap();
    d.write_at(f, off, bytes).unwrap();
    d.sync(f).unwrap();
    d.close(f);
}

/// Every message the store serves is one we stored, byte-exact.
fn assert_served_msgs_are_genuine(fs: &mut FileStore<SimDisk>) {
    let last = fs.state().last_seq;
    for seq in 1..=last.min(10_000) {
        match fs.load_msg(seq) {
            Ok(sm) => {
                assert_eq!(sm.msg, payload(seq), "seq {seq}");
                assert_eq!(sm.subj, subject(seq), "seq {seq}");
                assert_eq!(sm.hdr, b"h:v", "seq {seq}");
            }
            Err(StoreError::MsgNotFound | StoreError::Eof | StoreError::Corrupt(_)) => {}
            Err(e) => panic!("seq {seq}: unexpected {e}"),
        }
    }
}

#[test]
fn synced_messages_survive_a_crash_and_unsynced_ones_may_not() {
    let mut fs = open(disk(), 512);
    fill(&mut fs, 1, 20);
    assert_eq!(fs.durable_seq(), 0, "nothing is durable before a flush");
    assert_eq!(fs.flush().unwrap(), 20);
    fill(&mut fs, 21, 30);
    assert_eq!(fs.durable_seq(), 20);
    let mut d = fs.into_storage();
    d.crash();
    let mut fs = open(d, 512);
    let st = fs.state();
    assert_eq!((st.msgs, st.last_seq), (20, 20));
    assert_served_msgs_are_genuine(&mut fs);
    // The store continues after the recovered tail.
    fill(&mut fs, 21, 25);
    fs.flush().unwrap();
}

#[test]
fn torn_writes_lose_only_unsynced_messages() {
    for seed in 0..40 {
        let mut config = DiskConfig::perfect();
        config.torn_write = Ratio::ALWAYS;
        config.sector_size = 64;
        let d = SimDisk::new(seed, config, FaultAtlas::anywhere());
        let mut fs = open(d, 700);
        fill(&mut fs, 1, 15);
        fs.flush().unwrap();
        fill(&mut fs, 16, 25);
        fs.remove_msg(3).unwrap();
        let mut d = fs.into_storage();
        d.crash();
        let mut fs = open(d, 700);
        for seq in (1..=15).filter(|s| *s != 3) {
            assert_eq!(
                fs.load_msg(seq).unwrap().msg,
                payload(seq),
                "seed {seed} seq {seq}"
            );
        }
        assert_served_msgs_are_genuine(&mut fs);
        // A torn write can leave a hole followed by unsynced records that
        // did land; recovery cannot tell that from corruption and reports
        // it, but only sequences that were never durable can be in it.
        if let Some(lost) = fs.state().lost {
            assert!(lost.msgs.iter().all(|s| *s > 15), "seed {seed}: {lost:?}");
        }
    }
}

#[test]
fn middle_corruption_is_reported_and_later_records_stay_readable() {
    let mut fs = open(disk(), 1 << 20);
    fill(&mut fs, 1, 10);
    fs.flush().unwrap();
    let loc = fs.msg_location(4).unwrap();
    let path = fs.block_path(loc.blk);
    let mut d = fs.into_storage();
    damage(&mut d, &path, loc.off + 50, b"XX");
    let mut fs = open(d, 1 << 20);
    let lost = fs.state().lost.expect("damage is reported");
    assert_eq!(lost.msgs, vec![4]);
    assert_eq!(lost.bytes, u64::from(loc.len));
    assert_eq!(fs.load_msg(4).unwrap_err(), StoreError::MsgNotFound);
    for seq in (1..=10).filter(|s| *s != 4) {
        assert_eq!(fs.load_msg(seq).unwrap().msg, payload(seq));
    }
    // The damaged bytes were not cut away: a second recovery sees the same.
    fs.flush().unwrap();
    let fs = open(fs.into_storage(), 1 << 20);
    assert_eq!(fs.state().lost.map(|l| l.msgs), Some(vec![4]));
}

#[test]
fn damage_after_open_is_an_error_never_data() {
    let mut fs = open(disk(), 1 << 20);
    fill(&mut fs, 1, 3);
    fs.flush().unwrap();
    let loc = fs.msg_location(2).unwrap();
    let path = fs.block_path(loc.blk);
    damage(
        fs.storage_mut(),
        &path,
        loc.off + u64::from(loc.len) - 6,
        b"!",
    );
    assert!(matches!(fs.load_msg(2), Err(StoreError::Corrupt(_))));
    assert_eq!(fs.load_msg(3).unwrap().msg, payload(3));
}

#[test]
fn a_foreign_block_is_reported_kept_and_not_served() {
    // Stream "OTHER" writes a block; it is then found as block 2 of "T".
    let other = StreamConfig {
        name: "OTHER".into(),
        ..StreamConfig::default()
    };
    let mut fo = FileStore::open(disk(), FileStoreConfig::new("o"), other).unwrap();
    fo.store_msg("x", &[], b"not yours", 0, NOW).unwrap();
    fo.flush().unwrap();
    let foreign = fo
        .into_storage()
        .durable_contents("o/msgs/1.blk")
        .unwrap()
        .to_vec();

    let mut fs = open(disk(), 1 << 20);
    fill(&mut fs, 1, 3);
    fs.flush().unwrap();
    let mut d = fs.into_storage();
    let f = d.open(&format!("{DIR}/msgs/2.blk"), true).unwrap();
    d.write_at(f, 0, &foreign).unwrap();
    d.sync(f).unwrap();
    d.sync_dir(&format!("{DIR}/msgs")).unwrap();
    let mut fs = open(d, 1 << 20);
    assert_eq!(fs.recovery_report().foreign_blocks, vec![2]);
    assert_eq!(fs.state().msgs, 3);
    assert!(fs.state().lost.is_some());
    // New writes go to a fresh block; the foreign one is left in place.
    fill(&mut fs, 4, 4);
    fs.flush().unwrap();
    assert_eq!(fs.block_indexes(), vec![1, 2, 3]);
    let d = fs.into_storage();
    assert_eq!(
        d.durable_contents(&format!("{DIR}/msgs/2.blk")).unwrap(),
        foreign.as_slice()
    );
}

#[test]
fn a_failed_sync_is_never_reported_durable() {
    let mut fs = open(disk(), 1 << 20);
    fill(&mut fs, 1, 2);
    fs.flush().unwrap();
    let mut config = DiskConfig::perfect();
    config.eio_sync = Ratio::ALWAYS;
    fs.storage_mut().set_config(config);
    fill(&mut fs, 3, 3);
    assert!(matches!(fs.flush(), Err(StoreError::Failed(_))));
    assert_eq!(fs.durable_seq(), 2);
    assert!(matches!(
        fs.store_msg("a", &[], b"b", 0, NOW),
        Err(StoreError::Failed(_))
    ));
    let mut d = fs.into_storage();
    d.set_config(DiskConfig::perfect());
    d.crash();
    let fs = open(d, 1 << 20);
    assert_eq!(fs.state().last_seq, 2);
}

#[test]
fn interval_policy_flushes_on_tick() {
    let fc = FileStoreConfig {
        sync: SyncPolicy::Interval(Duration::from_secs(2)),
        ..fcfg(1 << 20)
    };
    let mut fs = FileStore::open(disk(), fc, cfg()).unwrap();
    assert_eq!(fs.poll_timeout(), None);
    fill(&mut fs, 1, 5);
    let at = fs.poll_timeout().expect("pending appends arm the timer");
    assert_eq!(at, Instant::ZERO + Duration::from_secs(2));
    fs.handle_tick(Instant::from_nanos(1)).unwrap();
    assert_eq!(fs.durable_seq(), 0);
    fs.handle_tick(at).unwrap();
    assert_eq!(fs.durable_seq(), 5);
    assert_eq!(fs.poll_timeout(), None);
}

/// Writes `image` split into block files (the first byte picks the split,
/// the second the store permutation).
fn recover_arbitrary(image: &[u8]) {
    let perm = usize::from(image.get(1).copied().unwrap_or(0)) % PERMS.len();
    let mut d = disk();
    let parts = 1 + usize::from(image.first().copied().unwrap_or(0) % 3);
    let chunk = image.len().div_ceil(parts).max(1);
    for (i, part) in image.chunks(chunk).enumerate() {
        let f = d.open(&format!("{DIR}/msgs/{}.blk", i + 1), true).unwrap();
        d.write_at(f, 0, part).unwrap();
        d.sync(f).unwrap();
    }
    d.sync_dir(&format!("{DIR}/msgs")).unwrap();
    let mut fs = match FileStore::open(d, fcfg_perm(4096, perm, 1), cfg()) {
        Ok(fs) => fs,
        // A valid header that does not fit the key configuration: refused
        // without changes, never a panic.
        Err(StoreError::Encryption(_)) => return,
        Err(e) => panic!("recovery of an arbitrary image failed: {e}"),
    };
    fs.check_invariants();
    let last = fs.state().last_seq;
    for seq in 1..=last.min(1000) {
        let _ = fs.load_msg(seq);
    }
    let before = fs.state();
    fs.flush().unwrap();
    let again = open_perm(fs.into_storage(), 4096, perm, 2);
    assert_eq!(again.state().msgs, before.msgs, "recovery is stable");
}

#[test]
fn recovery_from_arbitrary_bytes() {
    bolero::check!()
        .with_type::<Vec<u8>>()
        .for_each(|image| recover_arbitrary(image));
}

/// A fault: overwrite at (offset, bytes), or cut the file at an offset.
#[derive(Clone, Debug, bolero::TypeGenerator)]
enum Fault {
    Flip { block: u8, off: u16, xor: u8 },
    Zero { block: u8, off: u16, len: u8 },
    Cut { block: u8, off: u16 },
}

fn damaged_image(msgs: u8, faults: &[Fault]) {
    let n = u64::from(msgs % 40) + 1;
    let perm = usize::from(msgs / 64) % PERMS.len();
    let encrypted = PERMS[perm].0.is_some();
    let mut fs = open_perm(disk(), 600, perm, 1);
    fill(&mut fs, 1, n);
    // Several flushes: each rewrites (compresses) at most one sealed block.
    for _ in 0..=fs.block_indexes().len() {
        fs.flush().unwrap();
    }
    let locs: Vec<_> = (1..=n).map(|s| fs.msg_location(s).unwrap()).collect();
    // Encrypted blocks cannot be read without their header (salt).
    let hdr_len: u64 = if encrypted { 56 } else { 0 };
    let blocks = fs.block_indexes();
    let mut d = fs.into_storage();
    // Byte ranges touched per block.
    let mut touched: Vec<(u64, u64, u64)> = Vec::new();
    for fault in faults.iter().take(4) {
        let (b, off) = match fault {
            Fault::Flip { block, off, .. }
            | Fault::Zero { block, off, .. }
            | Fault::Cut { block, off } => {
                (blocks[usize::from(*block) % blocks.len()], u64::from(*off))
            }
        };
        let path = format!("{DIR}/msgs/{b}.blk");
        let len = d.durable_contents(&path).map_or(0, |c| c.len() as u64);
        if len == 0 {
            continue;
        }
        let off = off % len;
        let f = d.open(&path, false).unwrap();
        match fault {
            Fault::Flip { xor, .. } => {
                let mut byte = [0u8];
                d.read_at(f, off, &mut byte).unwrap();
                d.write_at(f, off, &[byte[0] ^ xor.max(&1)]).unwrap();
                touched.push((b, off, off + 1));
            }
            Fault::Zero { len: z, .. } => {
                let z = u64::from(*z).min(len - off).max(1);
                d.write_at(f, off, &vec![0u8; z as usize]).unwrap();
                touched.push((b, off, off + z));
            }
            Fault::Cut { .. } => {
                d.truncate(f, off).unwrap();
                touched.push((b, off, u64::MAX));
            }
        }
        d.sync(f).unwrap();
        d.close(f);
    }
    let mut fs = open_perm(d, 600, perm, 2);
    assert_served_msgs_are_genuine(&mut fs);
    for (i, loc) in locs.iter().enumerate() {
        let seq = i as u64 + 1;
        let end = loc.off + u64::from(loc.len);
        let hit = touched.iter().any(|(b, s, e)| {
            *b == loc.blk && ((*s < end && *e > loc.off) || *s < hdr_len)
        });
        if !hit {
            assert_eq!(
                fs.load_msg(seq).map(|m| m.msg),
                Ok(payload(seq)),
                "undamaged seq {seq} lost"
            );
        }
    }
}

#[test]
fn recovery_from_damaged_image() {
    bolero::check!()
        .with_type::<(u8, Vec<Fault>)>()
        .for_each(|(msgs, faults)| damaged_image(*msgs, faults));
}

/// The contract the store simulator's checker relies on (sim seeds 123,
/// 246, 292): a removal only becomes final through a flush of the store
/// instance that wrote its tombstone. A crash before that flush undoes it,
/// and a flush after the restart does not redo it.
#[test]
fn an_unflushed_removal_is_undone_by_a_crash_and_a_later_flush_does_not_redo_it() {
    let mut fs = open(disk(), 1 << 20);
    fill(&mut fs, 1, 3);
    fs.flush().unwrap();
    assert!(fs.remove_msg(2).unwrap());
    let mut d = fs.into_storage();
    d.crash();
    let mut fs = open(d, 1 << 20);
    assert_eq!(
        fs.load_msg(2).unwrap().msg,
        payload(2),
        "the removal was undone"
    );
    fs.flush().unwrap();
    let mut d = fs.into_storage();
    d.crash();
    let mut fs = open(d, 1 << 20);
    assert_eq!(fs.load_msg(2).unwrap().msg, payload(2));
    assert!(fs.remove_msg(2).unwrap());
    fs.flush().unwrap();
    let mut d = fs.into_storage();
    d.crash();
    let mut fs = open(d, 1 << 20);
    assert!(matches!(fs.load_msg(2), Err(StoreError::MsgNotFound)));
    assert_served_msgs_are_genuine(&mut fs);
}

/// A SimDisk whose directory syncs can be made to fail while file syncs
/// succeed, to stop a flush between its block syncs and the directory sync
/// of the front-block collection.
struct DirSyncFails {
    disk: SimDisk,
    fail: bool,
}

impl Storage for DirSyncFails {
    fn open(&mut self, path: &str, create: bool) -> Result<FileId, StorageError> {
        self.disk.open(path, create)
    }
    fn close(&mut self, file: FileId) {
        self.disk.close(file)
    }
    fn read_at(&mut self, file: FileId, off: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        self.disk.read_at(file, off, buf)
    }
    fn write_at(&mut self, file: FileId, off: u64, data: &[u8]) -> Result<(), StorageError> {
        self.disk.write_at(file, off, data)
    }
    fn append(&mut self, file: FileId, data: &[u8]) -> Result<u64, StorageError> {
        self.disk.append(file, data)
    }
    fn len(&mut self, file: FileId) -> Result<u64, StorageError> {
        self.disk.len(file)
    }
    fn truncate(&mut self, file: FileId, len: u64) -> Result<(), StorageError> {
        self.disk.truncate(file, len)
    }
    fn sync(&mut self, file: FileId) -> Result<(), StorageError> {
        self.disk.sync(file)
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<(), StorageError> {
        self.disk.rename(from, to)
    }
    fn remove(&mut self, path: &str) -> Result<(), StorageError> {
        self.disk.remove(path)
    }
    fn sync_dir(&mut self, dir: &str) -> Result<(), StorageError> {
        if self.fail {
            return Err(StorageError::new(StorageErrorKind::Eio, "fsync dir"));
        }
        self.disk.sync_dir(dir)
    }
    fn list(&mut self, dir: &str) -> Result<Vec<String>, StorageError> {
        self.disk.list(dir)
    }
}

/// GC removes a dead front block after the syncs; if the directory sync
/// fails, a crash brings the block back, and the durable tombstones in the
/// later block kill its messages again.
#[test]
fn a_collected_block_whose_removal_is_not_durable_comes_back_dead() {
    let d = DirSyncFails {
        disk: disk(),
        fail: false,
    };
    let mut fs = FileStore::open(d, fcfg(400), cfg()).unwrap();
    fill(&mut fs, 1, 11);
    fs.flush().unwrap();
    let first: Vec<u64> = (1..=11)
        .filter(|s| fs.msg_location(*s).unwrap().blk == 1)
        .collect();
    assert!(!first.is_empty() && fs.block_indexes().len() > 2);
    let before = fs.block_indexes();
    for s in &first {
        assert!(fs.remove_msg(*s).unwrap());
    }
    // The tombstones fit in the active block: the flush's own directory
    // sync has nothing to do, only the collection's will run (and fail).
    assert_eq!(fs.block_indexes(), before);
    fs.storage_mut().fail = true;
    assert!(matches!(fs.flush(), Err(StoreError::Failed(_))));
    assert!(!fs.block_indexes().contains(&1), "block 1 was collected");
    let mut d = fs.into_storage();
    d.fail = false;
    d.disk.crash();
    let mut fs = FileStore::open(d, fcfg(400), cfg()).unwrap();
    fs.check_invariants();
    assert!(
        fs.block_indexes().contains(&1),
        "the removal was not durable"
    );
    for seq in 1..=11 {
        let got = fs.load_msg(seq);
        if first.contains(&seq) {
            assert!(matches!(got, Err(StoreError::MsgNotFound)), "seq {seq}");
        } else {
            assert_eq!(got.unwrap().msg, payload(seq), "seq {seq}");
        }
    }
    fs.flush().unwrap();
    assert!(!fs.block_indexes().contains(&1), "collected again");
    let mut d = fs.into_storage();
    d.disk.crash();
    let mut fs = FileStore::open(d, fcfg(400), cfg()).unwrap();
    assert!(!fs.block_indexes().contains(&1));
    for seq in &first {
        assert!(matches!(fs.load_msg(*seq), Err(StoreError::MsgNotFound)));
    }
    assert_eq!(fs.state().msgs, 11 - first.len() as u64);
}

/// A synced tombstone shares its last sector with later unsynced appends;
/// torn crashes (twice, the second before the recovery's tail cut was
/// synced) never bring the removed message back.
#[test]
fn a_synced_tombstone_survives_torn_crashes_of_later_appends() {
    for seed in 0..40 {
        let mut config = DiskConfig::perfect();
        config.torn_write = Ratio::ALWAYS;
        config.sector_size = 64;
        let d = SimDisk::new(seed, config, FaultAtlas::anywhere());
        let mut fs = open(d, 1 << 20);
        fill(&mut fs, 1, 10);
        fs.flush().unwrap();
        assert!(fs.remove_msg(4).unwrap());
        fs.flush().unwrap();
        fill(&mut fs, 11, 20);
        assert!(fs.remove_msg(5).unwrap());
        for _ in 0..2 {
            let mut d = fs.into_storage();
            d.crash();
            fs = open(d, 1 << 20);
            assert!(
                matches!(fs.load_msg(4), Err(StoreError::MsgNotFound)),
                "seed {seed}"
            );
            for seq in (1..=10).filter(|s| *s != 4 && *s != 5) {
                assert_eq!(fs.load_msg(seq).unwrap().msg, payload(seq), "seed {seed}");
            }
            assert_served_msgs_are_genuine(&mut fs);
            let next = fs.state().last_seq + 1;
            fill(&mut fs, next, next + 3);
        }
    }
}

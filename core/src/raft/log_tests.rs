use super::*;
use crate::raft::snapshot::Snapshot;
use crate::storage::StorageErrorKind;
use std::collections::BTreeMap;

/// A minimal in-memory storage: contents only, no crash model (the
/// simulator's SimDisk covers that); tests damage bytes directly.
#[derive(Default)]
pub(crate) struct MemStorage {
    pub files: BTreeMap<String, Vec<u8>>,
    handles: BTreeMap<u64, String>,
    next: u64,
}

impl MemStorage {
    fn file(&mut self, f: FileId) -> Result<&mut Vec<u8>, StorageError> {
        let name = self
            .handles
            .get(&f.0)
            .ok_or(StorageError::new(StorageErrorKind::BadHandle, "bad handle"))?;
        Ok(self.files.get_mut(name).expect("open file exists"))
    }
}

impl Storage for MemStorage {
    fn open(&mut self, path: &str, create: bool) -> Result<FileId, StorageError> {
        if !self.files.contains_key(path) {
            if !create {
                return Err(StorageError::new(StorageErrorKind::NotFound, path));
            }
            self.files.insert(path.to_string(), Vec::new());
        }
        self.next += 1;
        self.handles.insert(self.next, path.to_string());
        Ok(FileId(self.next))
    }
    fn close(&mut self, file: FileId) {
        self.handles.remove(&file.0);
    }
    fn read_at(&mut self, f: FileId, off: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        let d = self.file(f)?;
        let off = (off as usize).min(d.len());
        let n = buf.len().min(d.len() - off);
        buf[..n].copy_from_slice(&d[off..off + n]);
        Ok(n)
    }
    fn write_at(&mut self, f: FileId, off: u64, data: &[u8]) -> Result<(), StorageError> {
        let d = self.file(f)?;
        let end = off as usize + data.len();
        if d.len() < end {
            d.resize(end, 0);
        }
        d[off as usize..end].copy_from_slice(data);
        Ok(())
    }
    fn append(&mut self, f: FileId, data: &[u8]) -> Result<u64, StorageError> {
        let d = self.file(f)?;
        let at = d.len() as u64;
        d.extend_from_slice(data);
        Ok(at)
    }
    fn len(&mut self, f: FileId) -> Result<u64, StorageError> {
        Ok(self.file(f)?.len() as u64)
    }
    fn truncate(&mut self, f: FileId, len: u64) -> Result<(), StorageError> {
        self.file(f)?.resize(len as usize, 0);
        Ok(())
    }
    fn sync(&mut self, _f: FileId) -> Result<(), StorageError> {
        Ok(())
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<(), StorageError> {
        let d = self
            .files
            .remove(from)
            .ok_or(StorageError::new(StorageErrorKind::NotFound, from))?;
        self.files.insert(to.to_string(), d);
        Ok(())
    }
    fn remove(&mut self, path: &str) -> Result<(), StorageError> {
        self.files.remove(path);
        Ok(())
    }
    fn sync_dir(&mut self, _dir: &str) -> Result<(), StorageError> {
        Ok(())
    }
    fn list(&mut self, _dir: &str) -> Result<Vec<String>, StorageError> {
        Ok(self.files.keys().cloned().collect())
    }
}

fn entry(term: u64, index: u64) -> LogEntry {
    LogEntry { term, index, entry: Entry::normal(format!("e{index}").into_bytes()) }
}

fn batch(entries: Vec<LogEntry>, hs: Option<HardState>) -> Ready {
    let last = entries.last().map_or((0, 0), |e| (e.index, e.term));
    Ready {
        hard_state: hs,
        entries,
        must_sync: true,
        last_index: last.0,
        last_term: last.1,
        ..Ready::default()
    }
}

/// A store holding entries 1..=n (term 1) and term 2 / vote 3.
fn store_with(n: u64) -> MemStorage {
    let mut s = MemStorage::default();
    let (mut st, rec) = LogStore::open(&mut s, "g", RecoveryBugs::default()).unwrap();
    assert_eq!(rec, Recovered::empty());
    let hs = HardState { term: 2, vote: Some(3) };
    st.persist(&mut s, &batch((1..=n).map(|i| entry(1, i)).collect(), Some(hs))).unwrap();
    s
}

fn reopen(s: &mut MemStorage) -> Recovered {
    LogStore::open(s, "g", RecoveryBugs::default()).unwrap().1
}

#[test]
fn persisted_log_recovers_exactly() {
    let mut s = store_with(5);
    let rec = reopen(&mut s);
    assert_eq!(rec.hard_state, HardState { term: 2, vote: Some(3) });
    assert_eq!(rec.entries, (1..=5).map(|i| entry(1, i)).collect::<Vec<_>>());
    assert_eq!(rec.repair_index, None);
    assert_eq!(rec.report, RecoveryReport::default());
}

#[test]
fn truncation_then_append_recovers_the_new_suffix() {
    let mut s = store_with(5);
    let (mut st, _) = LogStore::open(&mut s, "g", RecoveryBugs::default()).unwrap();
    let mut rd = batch(vec![entry(3, 3), entry(3, 4)], Some(HardState { term: 3, vote: None }));
    rd.truncate_from = Some(3);
    st.persist(&mut s, &rd).unwrap();
    let rec = reopen(&mut s);
    let want = vec![entry(1, 1), entry(1, 2), entry(3, 3), entry(3, 4)];
    assert_eq!(rec.entries, want);
    assert_eq!(rec.hard_state.term, 3);
    assert_eq!(rec.repair_index, None);
}

#[test]
fn torn_tail_is_cut_without_repair_when_it_was_never_synced() {
    let mut s = store_with(5);
    // An unsynced half-written record after the high-water mark.
    let (bytes, _) = encode_record(&entry(1, 6), 0);
    s.files.get_mut("g/log").unwrap().extend_from_slice(&bytes[..bytes.len() / 2]);
    let rec = reopen(&mut s);
    assert_eq!(rec.entries.len(), 5);
    assert_eq!(rec.report.torn_tail_bytes, (bytes.len() / 2) as u64);
    assert_eq!(rec.report.corrupt_at, None);
    assert_eq!(rec.repair_index, None);
    // The cut is applied: the next open sees a clean log.
    assert_eq!(reopen(&mut s).report, RecoveryReport::default());
}

#[test]
fn lost_synced_tail_requires_repair() {
    let mut s = store_with(5);
    let log = s.files.get_mut("g/log").unwrap();
    let cut = log.len() - 7;
    log.truncate(cut);
    let rec = reopen(&mut s);
    assert_eq!(rec.entries.len(), 4);
    assert!(rec.report.lost_synced);
    assert_eq!(rec.repair_index, Some(5));
}

#[test]
fn mid_log_corruption_is_told_apart_from_a_torn_tail() {
    let mut s = store_with(5);
    let (one, _) = encode_record(&entry(1, 1), 0);
    // Flip a bit inside the second record's payload.
    s.files.get_mut("g/log").unwrap()[one.len() + 20] ^= 4;
    let rec = reopen(&mut s);
    assert_eq!(rec.entries, vec![entry(1, 1)]);
    assert_eq!(rec.report.corrupt_at, Some(one.len() as u64));
    assert_eq!(rec.repair_index, Some(5));
    let mut s2 = store_with(5);
    s2.files.get_mut("g/log").unwrap()[one.len() + 20] ^= 4;
    let bugs = RecoveryBugs { truncate_without_repair: true };
    let rec = LogStore::open(&mut s2, "g", bugs).unwrap().1;
    assert_eq!(rec.repair_index, None, "the planted bug forgets the damage");
}

#[test]
fn rolled_back_record_breaks_the_chain() {
    // Entry 3 rewritten with an old but well-formed record of another
    // term: its crc is valid, its chain link is not.
    let mut s = store_with(5);
    let (one, _) = encode_record(&entry(1, 1), 0);
    let len = one.len();
    let (stale, _) = encode_record(&entry(1, 3), 12345);
    assert_eq!(stale.len(), len);
    s.files.get_mut("g/log").unwrap()[2 * len..3 * len].copy_from_slice(&stale);
    let rec = reopen(&mut s);
    assert_eq!(rec.entries.len(), 2);
    assert_eq!(rec.repair_index, Some(5));
}

#[test]
fn a_damaged_meta_slot_loses_nothing_thanks_to_the_other() {
    let mut s = store_with(2);
    let (mut st, _) = LogStore::open(&mut s, "g", RecoveryBugs::default()).unwrap();
    st.persist(&mut s, &batch(vec![entry(4, 3)], Some(HardState { term: 4, vote: Some(1) }))).unwrap();
    assert_eq!(reopen(&mut s).hard_state.term, 4);
    // Damage one slot: the other holds the same, newest state.
    s.files.get_mut("g/meta").unwrap()[10] ^= 1;
    let rec = reopen(&mut s);
    assert_eq!(rec.hard_state, HardState { term: 4, vote: Some(1) });
    assert!(!rec.report.meta_damaged);
    // Both slots damaged: the term and vote are unknown; refuse to start.
    s.files.get_mut("g/meta").unwrap()[META_SLOT_LEN as usize + 10] ^= 1;
    let err = LogStore::open(&mut s, "g", RecoveryBugs::default()).unwrap_err();
    assert_eq!(err, OpenError::MetaLost { dir: "g".into() });
    assert!(err.to_string().contains("refusing to start"), "{err}");
}

#[test]
fn a_meta_truncated_to_nothing_refuses_to_start_but_a_new_node_starts() {
    let mut s = store_with(2);
    s.files.get_mut("g/meta").unwrap().clear();
    assert!(matches!(LogStore::open(&mut s, "g", RecoveryBugs::default()), Err(OpenError::MetaLost { .. })));
    // A brand-new directory is fine, and its meta is written at once.
    let mut s = MemStorage::default();
    let (_, rec) = LogStore::open(&mut s, "h", RecoveryBugs::default()).unwrap();
    assert_eq!(rec, Recovered::empty());
    assert!(!s.files["h/meta"].is_empty());
    assert_eq!(reopen_dir(&mut s, "h"), Recovered::empty());
}

fn reopen_dir(s: &mut MemStorage, dir: &str) -> Recovered {
    LogStore::open(s, dir, RecoveryBugs::default()).unwrap().1
}

fn snap(index: u64) -> Snapshot {
    Snapshot { index, term: 1, voters: vec![1, 2, 3], observers: vec![4], data: format!("state@{index}").into_bytes() }
}

/// A store with entries 1..=n, compacted through `at`.
fn store_compacted(n: u64, at: u64) -> MemStorage {
    let mut s = store_with(n);
    let (mut st, _) = LogStore::open(&mut s, "g", RecoveryBugs::default()).unwrap();
    let rd = Ready { snapshot: Some(snap(at)), must_sync: true, last_index: n, last_term: 1, ..Ready::default() };
    st.persist(&mut s, &rd).unwrap();
    s
}

#[test]
fn snapshot_compacts_the_log_file_and_recovers() {
    let full = store_with(8).files["g/log"].len();
    let mut s = store_compacted(8, 5);
    assert!(s.files["g/log"].len() < full, "the log file was rewritten without 1..=5");
    assert!(!s.files.contains_key("g/snap.tmp") && !s.files.contains_key("g/log.tmp"));
    let rec = reopen(&mut s);
    assert_eq!(rec.snapshot, Some(snap(5)));
    assert_eq!(rec.entries, (6..=8).map(|i| entry(1, i)).collect::<Vec<_>>());
    assert_eq!(rec.repair_index, None);
    // Appends after the compaction chain on and recover.
    let (mut st, _) = LogStore::open(&mut s, "g", RecoveryBugs::default()).unwrap();
    st.persist(&mut s, &batch(vec![entry(2, 9)], None)).unwrap();
    let rec = reopen(&mut s);
    assert_eq!(rec.entries.last(), Some(&entry(2, 9)));
    assert_eq!(rec.report, RecoveryReport::default());
}

#[test]
fn a_crash_between_snapshot_and_log_rewrite_skips_the_covered_entries() {
    let mut s = store_with(8);
    // The snapshot made it, the log rewrite did not.
    s.files.insert("g/snap".into(), snap(5).encode());
    s.files.insert("g/log.tmp".into(), b"half".to_vec());
    let rec = reopen(&mut s);
    assert_eq!(rec.snapshot, Some(snap(5)));
    assert_eq!(rec.entries.first().map(|e| e.index), Some(6));
    assert_eq!(rec.repair_index, None);
    assert!(!s.files.contains_key("g/log.tmp"));
}

#[test]
fn a_corrupt_snapshot_over_a_whole_log_is_set_aside_and_nothing_is_lost() {
    let mut s = store_with(8);
    let mut b = snap(5).encode();
    b[20] ^= 1;
    s.files.insert("g/snap".into(), b.clone());
    let rec = reopen(&mut s);
    assert!(rec.report.snapshot_corrupt);
    assert_eq!(rec.snapshot, None);
    assert_eq!(rec.entries.len(), 8, "the log still starts at 1: use it");
    assert_eq!(rec.repair_index, None);
    assert_eq!(s.files["g/snap.corrupt"], b, "kept, not deleted");
}

#[test]
fn a_corrupt_or_truncated_snapshot_over_a_compacted_log_requires_repair() {
    for damage in 0..2 {
        let mut s = store_compacted(8, 5);
        let before_log = s.files["g/log"].clone();
        let f = s.files.get_mut("g/snap").unwrap();
        if damage == 0 {
            f[30] ^= 0x40;
        } else {
            f.truncate(f.len() / 2);
        }
        let rec = reopen(&mut s);
        assert!(rec.report.snapshot_corrupt && rec.report.log_orphaned, "{:?}", rec.report);
        assert_eq!(rec.snapshot, None);
        assert!(rec.entries.is_empty());
        assert_eq!(rec.repair_index, Some(8), "repairs through everything it held");
        assert_eq!(s.files["g/log.orphan"], before_log, "the log is kept aside");
        assert!(s.files.contains_key("g/snap.corrupt"));
        // The node is empty but still repairing after another restart.
        let rec = reopen(&mut s);
        assert_eq!(rec.repair_index, Some(8));
        assert!(!rec.report.snapshot_corrupt);
    }
}

#[test]
fn raft_log_terms_and_up_to_date_rule() {
    let mut log = RaftLog::new(0, 0, vec![entry(1, 1), entry(2, 2)]);
    assert_eq!(log.term_at(0), Some(0));
    assert_eq!(log.term_at(2), Some(2));
    assert_eq!(log.term_at(3), None);
    assert!(log.is_up_to_date(2, 2));
    assert!(log.is_up_to_date(3, 1));
    assert!(!log.is_up_to_date(2, 1));
    log.compact(1);
    assert_eq!((log.snap_index(), log.snap_term(), log.last_index()), (1, 1, 2));
    assert_eq!(log.term_at(1), Some(1));
    log.truncate_from(2);
    assert_eq!(log.last_index(), 1);
    assert_eq!(decode_peers(&encode_peers(&[1, 2, 3])), Some(vec![1, 2, 3]));
    assert_eq!(decode_peers(&[1, 2]), None);
}

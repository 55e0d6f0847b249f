//! The write buffer under the file store (`store::filestore::write_buffer`)
//! over a simulated disk: what is buffered, written and synced when.

use rnatsd_core::storage::{FileId, Storage};
use rnatsd_core::store::filestore::write_buffer::WriteBuffer;
use rnatsd_io_sim::disk::{DiskConfig, SimDisk};
use rnatsd_io_sim::faults::FaultAtlas;
use rnatsd_io_sim::shared::SharedDisk;

fn disk() -> SharedDisk {
    SharedDisk::new(SimDisk::new(1, DiskConfig::perfect(), FaultAtlas::pristine()))
}

fn read(s: &mut impl Storage, f: FileId, off: u64, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    let got = s.read_at(f, off, &mut buf).unwrap();
    buf.truncate(got);
    buf
}

#[test]
fn appends_stay_in_memory_until_a_sync() {
    let d = disk();
    let mut s = WriteBuffer::new(d.clone());
    let f = s.open("a/1.blk", true).unwrap();
    s.sync_dir("a").unwrap();
    s.write_at(f, 0, b"head").unwrap();
    assert_eq!(s.append(f, b"-one").unwrap(), 4);
    s.write_at(f, 8, b"-two").unwrap();
    assert_eq!(s.len(f).unwrap(), 12);
    assert_eq!(d.disk().volatile_contents("a/1.blk").unwrap(), b"", "nothing written yet");
    assert_eq!(read(&mut s, f, 0, 64), b"head-one-two");
    s.sync(f).unwrap();
    assert_eq!(d.disk().durable_contents("a/1.blk").unwrap(), b"head-one-two");
    assert_eq!(s.buffered(), 0);
    // The tail remembers the end: the next append is buffered again.
    s.append(f, b"!").unwrap();
    assert_eq!(s.buffered(), 1);
    assert_eq!(read(&mut s, f, 10, 8), b"wo!", "a read across file and buffer");
    s.check_invariants();
}

#[test]
fn writes_inside_and_before_the_tail() {
    let d = disk();
    let mut s = WriteBuffer::new(d.clone());
    let f = s.open("x", true).unwrap();
    s.sync_dir("").unwrap();
    s.append(f, b"0123456789").unwrap();
    s.sync(f).unwrap();
    s.append(f, b"abcdef").unwrap();
    s.write_at(f, 12, b"XY").unwrap(); // inside the buffer: patched
    s.write_at(f, 2, b"__").unwrap(); // in the file: written through
    assert_eq!(read(&mut s, f, 0, 64), b"01__456789abXYef");
    s.write_at(f, 14, b"0123").unwrap(); // past the end: written out, then through
    assert_eq!(read(&mut s, f, 0, 64), b"01__456789abXY0123");
    s.truncate(f, 4).unwrap();
    assert_eq!(s.len(f).unwrap(), 4);
    assert_eq!(s.append(f, b"z").unwrap(), 4);
    s.sync(f).unwrap();
    assert_eq!(d.disk().durable_contents("x").unwrap(), b"01__z");
}

#[test]
fn a_full_buffer_is_written_without_a_sync() {
    let d = disk();
    let mut s = WriteBuffer::with_limit(d.clone(), 8);
    let f = s.open("x", true).unwrap();
    s.sync_dir("").unwrap();
    s.append(f, b"12345").unwrap();
    assert_eq!(d.disk().volatile_contents("x").unwrap(), b"");
    s.append(f, b"678").unwrap();
    assert_eq!(d.disk().volatile_contents("x").unwrap(), b"12345678");
    assert_eq!(d.disk().durable_contents("x").unwrap(), b"", "written, not synced");
    s.check_invariants();
}

#[test]
fn a_sync_handle_covers_the_buffer() {
    let d = disk().with_deferred_sync();
    let mut s = WriteBuffer::new(d.clone());
    let f = s.open("x", true).unwrap();
    s.sync_dir("").unwrap();
    s.append(f, b"abc").unwrap();
    let h = s.sync_handle(f).expect("the disk gives handles");
    s.append(f, b"def").unwrap(); // after the handle: not covered
    h.sync().unwrap();
    assert_eq!(d.disk().durable_contents("x").unwrap(), b"abc");
}

#[test]
fn a_failed_write_out_poisons_every_later_sync() {
    let d = disk();
    let mut s = WriteBuffer::new(d.clone());
    let f = s.open("x", true).unwrap();
    s.sync_dir("").unwrap();
    s.append(f, b"abc").unwrap();
    // The file handle vanishes under the buffer (as after a crash).
    d.disk().crash();
    assert!(s.sync(f).is_err(), "the write-out fails");
    let g = s.open("y", true).unwrap();
    assert!(s.sync(g).is_err(), "and every later sync reports it");
    assert!(s.sync_dir("").is_err());
    let h = s.sync_handle(g).expect("a failing handle");
    assert!(h.sync().is_err());
}

/// Found by `store_sim` (split-phase seeds): a plain `flush` while a
/// split-phase flush was pending cleared the blocks' `syncing` marks, so
/// its garbage collection closed and removed a block whose sync handle had
/// not run yet; the handle then failed (io-sim's handle names the file
/// handle) and `finish_flush` failed the whole store. A pending handle's
/// file now stays open until `finish_flush`.
#[test]
fn a_plain_flush_during_a_split_phase_flush_keeps_the_pending_files_open() {
    use rnatsd_core::store::filestore::{FileStore, FileStoreConfig};
    use rnatsd_core::store::{StreamConfig, StreamStore};
    let d = disk().with_deferred_sync();
    let mut fcfg = FileStoreConfig::new("s/T");
    fcfg.block_size = 256;
    let cfg = StreamConfig { name: "T".into(), ..StreamConfig::default() };
    let mut fs = FileStore::open(WriteBuffer::new(d.clone()), fcfg, cfg).unwrap();
    fs.store_msg("a", &[], &[1; 100], 0, 1).unwrap();
    let (target, handles) = fs.begin_flush().unwrap();
    assert_eq!((target, handles.len()), (1, 1), "one dirty block, one handle");
    // Fill block 1, move on to later blocks, and kill block 1's message.
    for i in 0..4 {
        fs.store_msg("a", &[], &[2; 100], 0, 2 + i).unwrap();
    }
    assert!(fs.block_indexes().len() > 1, "block 1 is sealed");
    assert!(fs.remove_msg(1).unwrap());
    assert_eq!(fs.flush().unwrap(), 5, "a plain flush makes everything durable");
    let results: Vec<_> = handles.iter().map(|h| h.sync()).collect();
    assert!(results.iter().all(|r| r.is_ok()), "the pending handle still syncs: {results:?}");
    assert_eq!(fs.finish_flush(target, &results).unwrap(), 5);
    assert!(!fs.block_indexes().contains(&1), "the dead block is collected after the handles ran");
    fs.store_msg("a", &[], b"after", 0, 9).unwrap();
    assert_eq!(fs.flush().unwrap(), 6, "the store is still healthy");
    fs.check_invariants();
}

/// A clean close while a split-phase flush is still out syncs in place and
/// still writes the index file; the late finish changes nothing.
#[test]
fn close_during_a_split_phase_flush_writes_the_index() {
    use rnatsd_core::store::filestore::{FileStore, FileStoreConfig};
    use rnatsd_core::store::{StreamConfig, StreamStore};
    let d = disk().with_deferred_sync();
    let fcfg = FileStoreConfig::new("s/T");
    let cfg = StreamConfig { name: "T".into(), ..StreamConfig::default() };
    let mut fs = FileStore::open(WriteBuffer::new(d.clone()), fcfg, cfg).unwrap();
    fs.store_msg("a", &[], b"one", 0, 1).unwrap();
    let (target, handles) = fs.begin_flush().unwrap();
    assert_eq!(handles.len(), 1);
    fs.close().unwrap();
    assert!(d.disk().volatile_contents("s/T/index.db").is_some(), "index written at close");
    let results: Vec<_> = handles.iter().map(|h| h.sync()).collect();
    // The store is closed: the late finish reports that, and changes nothing.
    assert!(fs.finish_flush(target, &results).is_err());
    assert_eq!(fs.durable_seq(), 1);
}

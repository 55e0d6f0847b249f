//! `WriteBuffer` against a reference model (a bolero target, replayed by
//! plain `cargo test`; `cargo bolero test write_buffer_matches_the_model`
//! fuzzes it).
//!
//! Random sequences of open / append / write_at (at the end, inside the
//! buffered tail, inside the file, straddling the tail, past the end) /
//! read_at / len / truncate / sync / sync handle (run at once, or later) /
//! close / crash over a perfect `SimDisk`, with a small random buffer
//! limit so the spill path runs. After every step:
//!
//! - reads and `len` equal a plain in-memory model of the volatile file;
//! - the file underneath holds a prefix of the model (the rest is the
//!   buffered tail), and the buffered byte count is exactly that rest;
//! - the disk's durable image equals the model's durable image, which
//!   advances only at `sync` (to the model at the time of the call) or when
//!   a handle runs (to the file underneath at that moment; for a handle run
//!   at once, the model at the time of the call);
//! - a crash drops the buffer: the file comes back as its durable image.

use rnatsd_core::storage::{FileId, Storage, SyncHandle};
use rnatsd_core::store::filestore::write_buffer::WriteBuffer;
use rnatsd_io_sim::disk::{DiskConfig, SimDisk};
use rnatsd_io_sim::faults::FaultAtlas;
use rnatsd_io_sim::shared::SharedDisk;

const PATHS: [&str; 2] = ["d/a.blk", "d/b.blk"];

/// Where a `write_at` lands, relative to the file's current length.
#[derive(Clone, Debug, bolero::TypeGenerator)]
enum At {
    /// At the current end (the append path).
    End,
    /// `back` bytes before the end: inside the tail, or straddling it.
    BeforeEnd { back: u16 },
    /// At an absolute offset inside the file.
    Inside { off: u16 },
    /// `gap` bytes past the end (zero-filled gap).
    PastEnd { gap: u8 },
}

#[derive(Clone, Debug, bolero::TypeGenerator)]
enum Op {
    Append { file: u8, len: u8, byte: u8 },
    WriteAt { file: u8, at: At, len: u8, byte: u8 },
    Read { file: u8, off: u16, len: u8 },
    Len { file: u8 },
    Truncate { file: u8, len: u16 },
    Sync { file: u8 },
    /// Takes a sync handle and runs it at once.
    SyncHandle { file: u8 },
    /// Takes a sync handle, kept until a `RunHandles`.
    DeferHandle { file: u8 },
    RunHandles,
    Close { file: u8 },
    Crash,
}

/// One file of the model.
#[derive(Clone, Debug, Default)]
struct ModelFile {
    /// What reads through the buffer must see.
    volatile: Vec<u8>,
    /// What the disk must hold durably.
    durable: Vec<u8>,
    open: Option<FileId>,
}

struct Harness {
    disk: SharedDisk,
    wb: WriteBuffer<SharedDisk>,
    limit: usize,
    files: [ModelFile; 2],
    deferred: Vec<(usize, FileId, Box<dyn SyncHandle>)>,
}

impl Harness {
    fn new(limit: usize) -> Harness {
        let disk = SharedDisk::new(SimDisk::new(1, DiskConfig::perfect(), FaultAtlas::pristine()))
            .with_deferred_sync();
        let mut wb = WriteBuffer::with_limit(disk.clone(), limit);
        for p in PATHS {
            let f = wb.open(p, true).expect("a perfect disk creates");
            wb.close(f);
        }
        wb.sync_dir("d").expect("a perfect disk syncs");
        Harness { disk, wb, limit, files: Default::default(), deferred: Vec::new() }
    }

    fn fid(&mut self, i: usize) -> FileId {
        if let Some(f) = self.files[i].open {
            return f;
        }
        let f = self.wb.open(PATHS[i], false).expect("the file exists durably");
        self.files[i].open = Some(f);
        f
    }

    fn step(&mut self, op: &Op) {
        match op {
            Op::Append { file, len, byte } => {
                let i = usize::from(*file) % 2;
                let f = self.fid(i);
                let data = vec![*byte; usize::from(*len % 48)];
                let at = self.wb.append(f, &data).unwrap();
                let m = &mut self.files[i].volatile;
                assert_eq!(at, m.len() as u64, "append lands at the end");
                m.extend_from_slice(&data);
            }
            Op::WriteAt { file, at, len, byte } => {
                let i = usize::from(*file) % 2;
                let f = self.fid(i);
                let data = vec![*byte; usize::from(*len % 48)];
                let end = self.files[i].volatile.len();
                let off = match at {
                    At::End => end,
                    At::BeforeEnd { back } => end.saturating_sub(usize::from(*back % 64)),
                    At::Inside { off } => usize::from(*off) % (end + 1),
                    At::PastEnd { gap } => end + usize::from(*gap % 32),
                };
                self.wb.write_at(f, off as u64, &data).unwrap();
                let m = &mut self.files[i].volatile;
                // An empty write changes nothing, not even past the end
                // (as `pwrite` of zero bytes).
                if !data.is_empty() {
                    if m.len() < off + data.len() {
                        m.resize(off + data.len(), 0);
                    }
                    m[off..off + data.len()].copy_from_slice(&data);
                }
            }
            Op::Read { file, off, len } => {
                let i = usize::from(*file) % 2;
                let f = self.fid(i);
                let off = usize::from(*off % 512);
                let mut buf = vec![0xEE; usize::from(*len)];
                let n = self.wb.read_at(f, off as u64, &mut buf).unwrap();
                let m = &self.files[i].volatile;
                let want = &m[off.min(m.len())..(off + buf.len()).min(m.len())];
                assert_eq!(&buf[..n], want, "read_at({off}, {}) of {}", buf.len(), PATHS[i]);
            }
            Op::Len { file } => {
                let i = usize::from(*file) % 2;
                let f = self.fid(i);
                assert_eq!(self.wb.len(f).unwrap(), self.files[i].volatile.len() as u64);
            }
            Op::Truncate { file, len } => {
                let i = usize::from(*file) % 2;
                let f = self.fid(i);
                let len = usize::from(*len % 512);
                self.wb.truncate(f, len as u64).unwrap();
                self.files[i].volatile.resize(len, 0);
            }
            Op::Sync { file } => {
                let i = usize::from(*file) % 2;
                let f = self.fid(i);
                self.wb.sync(f).unwrap();
                self.files[i].durable = self.files[i].volatile.clone();
            }
            Op::SyncHandle { file } => {
                let i = usize::from(*file) % 2;
                let f = self.fid(i);
                let h = self.wb.sync_handle(f).expect("the disk gives handles");
                h.sync().unwrap();
                self.files[i].durable = self.files[i].volatile.clone();
            }
            Op::DeferHandle { file } => {
                let i = usize::from(*file) % 2;
                let f = self.fid(i);
                let h = self.wb.sync_handle(f).expect("the disk gives handles");
                assert_eq!(
                    self.disk.disk().volatile_contents(PATHS[i]).unwrap(),
                    self.files[i].volatile.as_slice(),
                    "a handle is taken only after the buffer is written out"
                );
                self.deferred.push((i, f, h));
            }
            Op::RunHandles => {
                for (i, f, h) in std::mem::take(&mut self.deferred) {
                    if self.files[i].open != Some(f) {
                        // io-sim's handle names the FileId: closing the file
                        // invalidates it, and it syncs nothing.
                        assert!(h.sync().is_err(), "a handle of a closed file fails");
                        continue;
                    }
                    // The handle syncs what the file underneath holds when
                    // it runs: everything written before it was taken
                    // (checked at DeferHandle), plus later write-outs.
                    let under = self.disk.disk().volatile_contents(PATHS[i]).unwrap().to_vec();
                    h.sync().unwrap();
                    self.files[i].durable = under;
                }
            }
            Op::Close { file } => {
                let i = usize::from(*file) % 2;
                if let Some(f) = self.files[i].open.take() {
                    self.wb.close(f);
                    assert_eq!(
                        self.disk.disk().volatile_contents(PATHS[i]).unwrap(),
                        self.files[i].volatile.as_slice(),
                        "close writes the buffer out"
                    );
                }
            }
            Op::Crash => {
                // The process dies: the buffer and pending handles are gone
                // unwritten, the disk keeps only its durable images.
                self.deferred.clear();
                self.wb = WriteBuffer::with_limit(self.disk.clone(), self.limit);
                self.disk.disk().crash();
                for m in &mut self.files {
                    m.open = None;
                    m.volatile = m.durable.clone();
                }
            }
        }
        self.check();
    }

    fn check(&mut self) {
        self.wb.check_invariants();
        let disk = self.disk.disk();
        let mut buffered = 0;
        for (i, m) in self.files.iter().enumerate() {
            let under = disk.volatile_contents(PATHS[i]).unwrap();
            assert!(
                m.volatile.starts_with(under),
                "{}: the file underneath is a prefix of the model",
                PATHS[i]
            );
            buffered += m.volatile.len() - under.len();
            assert_eq!(
                disk.durable_contents(PATHS[i]).unwrap(),
                m.durable.as_slice(),
                "{}: durable image",
                PATHS[i]
            );
        }
        assert_eq!(self.wb.buffered(), buffered, "buffered bytes are the model's unwritten tails");
    }
}

fn run(limit: u8, ops: &[Op]) {
    let mut h = Harness::new(1 + usize::from(limit % 128));
    for op in ops.iter().take(300) {
        h.step(op);
    }
    h.step(&Op::Crash);
}

#[test]
fn write_buffer_matches_the_model() {
    bolero::check!()
        .with_type::<(u8, Vec<Op>)>()
        .for_each(|(limit, ops)| run(*limit, ops));
}

/// A fixed script through every path: buffered appends, a patch inside the
/// tail, a write straddling the tail's base, a spill, a deferred handle
/// overtaken by more appends, a crash.
#[test]
fn write_buffer_model_fixed_script() {
    use At::*;
    let ops = [
        Op::Append { file: 0, len: 10, byte: 1 },
        Op::WriteAt { file: 0, at: BeforeEnd { back: 4 }, len: 2, byte: 2 },
        Op::Sync { file: 0 },
        Op::Append { file: 0, len: 6, byte: 3 },
        Op::WriteAt { file: 0, at: BeforeEnd { back: 8 }, len: 5, byte: 4 },
        Op::Read { file: 0, off: 0, len: 40 },
        Op::WriteAt { file: 1, at: PastEnd { gap: 5 }, len: 3, byte: 5 },
        Op::DeferHandle { file: 0 },
        Op::Append { file: 0, len: 20, byte: 6 },
        Op::Append { file: 0, len: 20, byte: 7 },
        Op::RunHandles,
        Op::Truncate { file: 0, len: 12 },
        Op::SyncHandle { file: 1 },
        Op::WriteAt { file: 0, at: Inside { off: 3 }, len: 2, byte: 8 },
        Op::Close { file: 0 },
        Op::Len { file: 0 },
        Op::Append { file: 0, len: 7, byte: 9 },
        Op::Crash,
        Op::Read { file: 0, off: 0, len: 64 },
    ];
    run(23, &ops);
}

//! `rnatsd-bench store`: the JetStream file store on real files (io-tokio's
//! `FileStorage`, real `fsync`), without a server. Measures the disk's raw
//! fsync rate, durable appends (one writer, and 16 writers sharing fsyncs by
//! group commit), interval-mode appends (Go's `sync_interval`), and
//! sequential and filtered reads, for the plain store and an encrypted +
//! compressed one. Every loop is bounded in count and in time.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rnatsd_core::store::filestore::{Cipher, FileStore, FileStoreConfig, StoreCipher, SyncPolicy};
use rnatsd_core::store::{StoreCompression, StreamConfig, StreamStore};
use rnatsd_io_tokio::storage::FileStorage;

const PAYLOAD: usize = 128;
const SUBJECTS: u64 = 16;
const NOW: i64 = 1_700_000_000_000_000_000;

/// One measured line of the table.
struct Line {
    what: String,
    msgs: u64,
    secs: f64,
    bytes: u64,
    note: String,
}

impl Line {
    fn render(&self) -> String {
        let rate = self.msgs as f64 / self.secs.max(1e-9);
        let mb = self.bytes as f64 / self.secs.max(1e-9) / 1e6;
        format!(
            "| {} | {} | {:.2} | {:.0} | {:.1} | {} |",
            self.what, self.msgs, self.secs, rate, mb, self.note
        )
    }
}

struct Bounds {
    count: u64,
    time: Duration,
}

fn usage() -> &'static str {
    "usage: rnatsd-bench store [--dir PATH] [--quick]\n\
     Measures the file store on real files under PATH (default: a new directory in the system temp dir)."
}

/// Entry point of the `store` subcommand; `args` follow the word `store`.
pub fn main(args: &[String]) -> Result<(), String> {
    let mut dir = std::env::temp_dir().join(format!("rnatsd-store-bench-{}", std::process::id()));
    let mut quick = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--dir" => dir = it.next().ok_or("--dir needs a path")?.into(),
            "--quick" => quick = true,
            "-h" | "--help" => {
                println!("{}", usage());
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    let scale = if quick { 10 } else { 1 };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = run(&dir, scale);
    let _ = std::fs::remove_dir_all(&dir);
    let lines = result?;
    println!(
        "Store bench: {PAYLOAD}-byte payloads, {SUBJECTS} subjects, dir {}",
        dir.display()
    );
    println!();
    println!("| measurement | msgs | s | msgs/s | MB/s | note |");
    println!("|---|---|---|---|---|---|");
    for l in &lines {
        println!("{}", l.render());
    }
    Ok(())
}

fn run(dir: &std::path::Path, scale: u64) -> Result<Vec<Line>, String> {
    let mut lines = vec![fsync_rate(dir, 2000 / scale, Duration::from_secs(3))?];
    for (label, cipher, compression) in [
        ("plain", None, StoreCompression::None),
        ("aes+s2", Some(Cipher::Aes), StoreCompression::S2),
    ] {
        let sub = dir.join(label);
        let fcfg = |name: &str, sync| {
            let mut f = FileStoreConfig::new(name.to_string());
            f.sync = sync;
            f.encryption = cipher.map(|cipher| StoreCipher {
                cipher,
                key: b"bench-key".to_vec(),
            });
            f.compression = compression;
            f.seed = rnatsd_io_tokio::storage::os_seed();
            f
        };
        let storage = || FileStorage::new(&sub).map_err(|e| e.to_string());
        let b1 = Bounds {
            count: 2000 / scale,
            time: Duration::from_secs(3),
        };
        lines.push(durable_one(
            storage()?,
            fcfg("d1", SyncPolicy::Always),
            &b1,
            label,
        )?);
        let b16 = Bounds {
            count: 20_000 / scale,
            time: Duration::from_secs(5),
        };
        lines.push(durable_many(
            storage()?,
            fcfg("d16", SyncPolicy::Always),
            16,
            &b16,
            label,
        )?);
        let bi = Bounds {
            count: 300_000 / scale,
            time: Duration::from_secs(5),
        };
        let interval = SyncPolicy::Interval(Duration::from_millis(100));
        let (line, fs) = interval_appends(storage()?, fcfg("iv", interval), &bi, label)?;
        lines.push(line);
        let (seq, filt, _fs) = reads(fs, label)?;
        lines.push(seq);
        lines.push(filt);
    }
    Ok(lines)
}

fn stream(name: &str) -> StreamConfig {
    StreamConfig {
        name: name.into(),
        ..StreamConfig::default()
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The raw rate of `write 4 KiB + fsync` on one file: the ceiling for
/// durable appends without group commit.
fn fsync_rate(dir: &std::path::Path, count: u64, time: Duration) -> Result<Line, String> {
    use std::io::Write;
    let path = dir.join("fsync.probe");
    let mut f = std::fs::File::create(&path).map_err(err)?;
    let block = vec![0x5au8; 4096];
    let start = Instant::now();
    let mut n = 0;
    while n < count && start.elapsed() < time {
        f.write_all(&block).map_err(err)?;
        f.sync_data().map_err(err)?;
        n += 1;
    }
    Ok(Line {
        what: "raw fsync (4 KiB write + fdatasync)".into(),
        msgs: n,
        secs: start.elapsed().as_secs_f64(),
        bytes: n * 4096,
        note: "fsyncs/s in the msgs/s column".into(),
    })
}

fn msg_bytes() -> u64 {
    (PAYLOAD + "bench.00".len()) as u64
}

/// One writer, each message durable before the next (one fsync each).
fn durable_one(
    st: FileStorage,
    fcfg: FileStoreConfig,
    b: &Bounds,
    label: &str,
) -> Result<Line, String> {
    let mut fs = FileStore::open(st, fcfg, stream("D1")).map_err(err)?;
    let payload = vec![7u8; PAYLOAD];
    let start = Instant::now();
    let mut n = 0;
    while n < b.count && start.elapsed() < b.time {
        let subj = format!("bench.{:02}", n % SUBJECTS);
        fs.store_msg(&subj, &[], &payload, 0, NOW).map_err(err)?;
        fs.flush().map_err(err)?;
        n += 1;
    }
    Ok(Line {
        what: format!("{label}: durable append, 1 writer"),
        msgs: n,
        secs: start.elapsed().as_secs_f64(),
        bytes: n * msg_bytes(),
        note: "flush (fsync) per message".into(),
    })
}

/// `writers` threads; each appends, then waits until its message is durable.
/// One flusher thread flushes whatever was appended since the last flush:
/// every append made before a flush shares its fsync (group commit).
fn durable_many(
    st: FileStorage,
    fcfg: FileStoreConfig,
    writers: u64,
    b: &Bounds,
    label: &str,
) -> Result<Line, String> {
    struct Shared {
        fs: FileStore<FileStorage>,
        flushes: u64,
        done: bool,
        error: Option<String>,
    }
    let fs = FileStore::open(st, fcfg, stream("D16")).map_err(err)?;
    let shared = Arc::new((
        Mutex::new(Shared {
            fs,
            flushes: 0,
            done: false,
            error: None,
        }),
        Condvar::new(),
    ));
    let start = Instant::now();
    let per = b.count / writers;
    let flusher = {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            let (lock, cv) = &*shared;
            let Ok(mut g) = lock.lock() else { return };
            while !g.done {
                if g.fs.state().last_seq > g.fs.durable_seq() {
                    if let Err(e) = g.fs.flush() {
                        g.error = Some(e.to_string());
                        g.done = true;
                    }
                    g.flushes += 1;
                    cv.notify_all();
                } else {
                    let Ok(next) = cv.wait_timeout(g, Duration::from_millis(50)) else {
                        return;
                    };
                    g = next.0;
                }
            }
            cv.notify_all();
        })
    };
    let mut handles = Vec::new();
    for w in 0..writers {
        let shared = Arc::clone(&shared);
        let time = b.time;
        handles.push(std::thread::spawn(move || -> Result<u64, String> {
            let (lock, cv) = &*shared;
            let payload = vec![w as u8; PAYLOAD];
            let subj = format!("bench.{:02}", w % SUBJECTS);
            let mut done = 0;
            while done < per && start.elapsed() < time {
                let mut g = lock.lock().map_err(err)?;
                let seq = g.fs.store_msg(&subj, &[], &payload, 0, NOW).map_err(err)?.0;
                cv.notify_all();
                while g.fs.durable_seq() < seq && !g.done {
                    g = cv.wait(g).map_err(err)?;
                }
                if let Some(e) = &g.error {
                    return Err(e.clone());
                }
                done += 1;
            }
            Ok(done)
        }));
    }
    let mut n = 0;
    let mut failure = None;
    for h in handles {
        match h.join().map_err(|_| "writer panicked".to_string()) {
            Ok(Ok(k)) => n += k,
            Ok(Err(e)) | Err(e) => failure = Some(e),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    {
        let (lock, cv) = &*shared;
        lock.lock().map_err(err)?.done = true;
        cv.notify_all();
    }
    flusher.join().map_err(|_| "flusher panicked".to_string())?;
    if let Some(e) = failure {
        return Err(e);
    }
    let flushes = shared.0.lock().map_err(err)?.flushes;
    Ok(Line {
        what: format!("{label}: durable append, {writers} writers (group commit)"),
        msgs: n,
        secs,
        bytes: n * msg_bytes(),
        note: format!(
            "{flushes} flushes: {:.1} msgs per fsync",
            n as f64 / flushes.max(1) as f64
        ),
    })
}

/// Appends with `sync_interval`: flushed by `handle_tick` every 100 ms.
fn interval_appends(
    st: FileStorage,
    fcfg: FileStoreConfig,
    b: &Bounds,
    label: &str,
) -> Result<(Line, FileStore<FileStorage>), String> {
    let mut fs = FileStore::open(st, fcfg, stream("IV")).map_err(err)?;
    let payload = vec![3u8; PAYLOAD];
    let start = Instant::now();
    let mut n = 0;
    while n < b.count && start.elapsed() < b.time {
        let subj = format!("bench.{:02}", n % SUBJECTS);
        fs.store_msg(&subj, &[], &payload, 0, NOW).map_err(err)?;
        n += 1;
        if n % 256 == 0 {
            let now = rnatsd_core::time::Instant::from_nanos(start.elapsed().as_nanos() as u64);
            fs.handle_tick(now).map_err(err)?;
        }
    }
    fs.flush().map_err(err)?;
    let line = Line {
        what: format!("{label}: interval append (sync_interval 100ms)"),
        msgs: n,
        secs: start.elapsed().as_secs_f64(),
        bytes: n * msg_bytes(),
        note: "acks before the fsync".into(),
    };
    Ok((line, fs))
}

/// Sequential `load_msg` of everything, then `load_next_msg` over one of
/// the subjects (1 in 16 messages match).
fn reads(
    mut fs: FileStore<FileStorage>,
    label: &str,
) -> Result<(Line, Line, FileStore<FileStorage>), String> {
    let last = fs.state().last_seq;
    let time = Duration::from_secs(5);
    let start = Instant::now();
    let mut n = 0;
    for seq in 1..=last {
        if start.elapsed() >= time {
            break;
        }
        fs.load_msg(seq).map_err(err)?;
        n += 1;
    }
    let seq_line = Line {
        what: format!("{label}: sequential read"),
        msgs: n,
        secs: start.elapsed().as_secs_f64(),
        bytes: n * msg_bytes(),
        note: format!("of {last} msgs"),
    };
    let start = Instant::now();
    let mut m = 0;
    let mut next = 1;
    while start.elapsed() < time {
        match fs.load_next_msg("bench.03", false, next) {
            Ok((_, seq)) => {
                m += 1;
                next = seq + 1;
            }
            Err(_) => break,
        }
    }
    let filt_line = Line {
        what: format!("{label}: filtered read (bench.03)"),
        msgs: m,
        secs: start.elapsed().as_secs_f64(),
        bytes: m * msg_bytes(),
        note: format!("1 of {SUBJECTS} subjects match"),
    };
    Ok((seq_line, filt_line, fs))
}

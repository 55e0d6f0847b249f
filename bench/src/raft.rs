//! `rnatsd-bench raft`: committed entries per second of a 3-node Raft
//! group, in the simulator (simulated and wall time) and over real files
//! with real fsync through io-tokio's `FileStorage` (in-process message
//! passing, one thread), with the disk's own fsync rate beside it.
//! docs/BENCHMARKS.md, section "Raft", has the table and the command.

use rnatsd_core::raft::{LogStore, Message, NodeId, RaftConfig, RaftNode, RecoveryBugs};
use rnatsd_core::time::Instant as CoreInstant;
use rnatsd_io_tokio::storage::FileStorage;
use rnatsd_sim_tests::raft::bench::{run_sim_bench, SimBenchConfig};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: rnatsd-bench raft [--seconds N] [--dir PATH] [--markdown FILE]

  --seconds N      measured time of each run (default 5; the simulated run
                   measures 5 s of simulated time)
  --dir PATH       where the real-file group keeps its logs (default
                   ./raft-bench.<pid>, removed afterwards); put it on the
                   disk you want to measure, not on a tmpfs
  --markdown FILE  also write the table to FILE";

/// Entries of this many bytes are proposed.
const ENTRY_BYTES: usize = 128;
/// The leader keeps at most this many entries uncommitted.
const BACKLOG: u64 = 4096;
/// A hard cap on entries per run (bounded loops).
const MAX_ENTRIES: u64 = 20_000_000;

struct Opts {
    seconds: u64,
    dir: Option<PathBuf>,
    markdown: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Option<Opts>, String> {
    let mut o = Opts { seconds: 5, dir: None, markdown: None };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--seconds" => {
                o.seconds = val()?.parse().ok().filter(|s| (1..=600).contains(s)).ok_or("--seconds: 1..600")?
            }
            "--dir" => o.dir = Some(PathBuf::from(val()?)),
            "--markdown" => o.markdown = Some(PathBuf::from(val()?)),
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(Some(o))
}

/// Entry point for `rnatsd-bench raft ARGS`.
pub fn main(args: &[String]) -> ExitCode {
    let opts = match parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("rnatsd-bench raft: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rnatsd-bench raft: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(o: &Opts) -> Result<(), String> {
    let dir = o.dir.clone().unwrap_or_else(|| PathBuf::from(format!("raft-bench.{}", std::process::id())));
    let owned = o.dir.is_none();
    eprintln!("simulator: 3 nodes, 5 s of simulated time ...");
    let sim = run_sim_bench(&SimBenchConfig::default());
    if !sim.violations.is_empty() {
        return Err(format!("the simulated run broke a checker: {:?}", sim.violations));
    }
    eprintln!("disk: fsync rate in {} ...", dir.display());
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = fsync_rate(&dir, Duration::from_secs(o.seconds.min(5)))
        .and_then(|f| real_group(&dir, Duration::from_secs(o.seconds)).map(|r| (f, r)));
    if owned {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let (fsyncs, real) = result?;
    let doc = format!(
        "| 3-node group | committed entries/s | over | disk fsync/s |\n|---|---:|---|---:|\n\
         | simulator (fsync 0-1 ms, network 0-200 µs, checkers on) | {:.0} | simulated time ({} in {:?}) | — |\n\
         | simulator, same run | {:.0} | wall time ({:.2} s) | — |\n\
         | real files, `FileStorage`, fsync per batch, one thread | {:.0} | wall time ({} in {:.2} s, {} batches) | {:.0} |\n",
        sim.per_sim_second(),
        sim.committed,
        sim.sim_time,
        sim.per_wall_second(),
        sim.wall.as_secs_f64(),
        real.committed as f64 / real.wall.as_secs_f64(),
        real.committed,
        real.wall.as_secs_f64(),
        real.batches,
        fsyncs,
    );
    println!("{doc}");
    if let Some(p) = &o.markdown {
        std::fs::write(p, &doc).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

/// 4 KiB write + fsync, repeated for `d`: fsyncs per second.
fn fsync_rate(dir: &std::path::Path, d: Duration) -> Result<f64, String> {
    use std::os::unix::fs::FileExt;
    let path = dir.join("fsync-probe");
    let f = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let block = [0x5au8; 4096];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < d && n < 1_000_000 {
        f.write_at(&block, (n % 16) * 4096).map_err(|e| e.to_string())?;
        f.sync_all().map_err(|e| e.to_string())?;
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    Ok(rate)
}

struct Member {
    node: RaftNode,
    disk: FileStorage,
    store: LogStore,
}

struct RealReport {
    committed: u64,
    wall: Duration,
    batches: u64,
}

/// A 3-node group over real files: every Ready is written and fsynced
/// (log, then meta) before its acknowledgements leave.
fn real_group(dir: &std::path::Path, d: Duration) -> Result<RealReport, String> {
    let ids: Vec<NodeId> = vec![1, 2, 3];
    let t0 = Instant::now();
    let now = |t0: Instant| CoreInstant::from_nanos(t0.elapsed().as_nanos() as u64 + 1);
    let mut members = Vec::new();
    for id in &ids {
        let root = dir.join(format!("n{id}"));
        let _ = std::fs::remove_dir_all(&root);
        let mut disk = FileStorage::new(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        let (store, rec) = LogStore::open(&mut disk, "raft", RecoveryBugs::default()).map_err(|e| e.to_string())?;
        let mut cfg = RaftConfig::new(*id, ids.clone());
        cfg.max_append_entries = 512;
        cfg.max_inflight_entries = 2 * BACKLOG;
        members.push(Member { node: RaftNode::new(cfg, rec, *id, now(t0)), disk, store });
    }
    let mut queue: VecDeque<(NodeId, NodeId, Message)> = VecDeque::new();
    let mut batches = 0u64;
    let mut step = |members: &mut Vec<Member>, queue: &mut VecDeque<(NodeId, NodeId, Message)>| -> Result<(), String> {
        for (k, m) in members.iter_mut().enumerate() {
            let id = ids[k];
            while let Some(rd) = m.node.ready() {
                m.store.write(&mut m.disk, &rd).map_err(|e| e.to_string())?;
                queue.extend(rd.messages.iter().map(|(to, msg)| (id, *to, msg.clone())));
                m.store.sync(&mut m.disk, &rd).map_err(|e| e.to_string())?;
                m.node.on_persisted(now(t0), rd.number);
                queue.extend(rd.persisted_messages.iter().map(|(to, msg)| (id, *to, msg.clone())));
                batches += 1;
                let applied = m.node.applied_index();
                if applied > m.node.log().snap_index() + 100_000 {
                    let _ = m.node.compact(applied, Vec::new());
                }
            }
        }
        while let Some((from, to, msg)) = queue.pop_front() {
            if let Some(m) = members.get_mut((to - 1) as usize) {
                m.node.handle_message(now(t0), from, msg);
            }
        }
        for m in members.iter_mut() {
            let t = now(t0);
            if m.node.poll_timeout().is_some_and(|at| at <= t) {
                m.node.handle_timeout(t);
            }
        }
        Ok(())
    };
    let leader = loop {
        if t0.elapsed() > Duration::from_secs(10) {
            return Err("no leader elected within 10 s".into());
        }
        step(&mut members, &mut queue)?;
        if let Some(k) = members.iter().position(|m| m.node.is_leader()) {
            break k;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let start = Instant::now();
    let base = members[leader].node.commit_index();
    let mut value = 0u64;
    while start.elapsed() < d && value < MAX_ENTRIES {
        let l = &mut members[leader].node;
        if !l.is_leader() {
            return Err("the leader lost its leadership during the run".into());
        }
        while l.log().last_index() - l.commit_index() < BACKLOG {
            let mut data = vec![0u8; ENTRY_BYTES];
            data[..8].copy_from_slice(&value.to_le_bytes());
            l.propose(now(t0), data).map_err(|e| format!("{e:?}"))?;
            value += 1;
        }
        step(&mut members, &mut queue)?;
    }
    let wall = start.elapsed();
    Ok(RealReport { committed: members[leader].node.commit_index() - base, wall, batches })
}

//! The simulator's command line (package rnatsd-sim-tests).
//!
//! ```text
//! rnatsd-sim-tests run --seeds N [--from S] [--canary]
//! rnatsd-sim-tests run --suite raft --seeds N [--from S] [--nodes 3|5]
//! rnatsd-sim-tests replay SEED --suite raft [--nodes 3|5] [--trace]
//! rnatsd-sim-tests replay SEED [--trace] [--canary]
//! rnatsd-sim-tests determinism --seeds N [--from S]
//! rnatsd-sim-tests store --seeds N [--from S]     (the file store under disk faults)
//! rnatsd-sim-tests js --seeds N [--from S] [--sync deferred|inline]   (JetStream publishers under crashes)
//! rnatsd-sim-tests js-consumers --seeds N [--from S] [--sync deferred|inline]  (a workqueue consumer under crashes)
//! ```
//!
//! `--sync` forces the group commit's mode for every seed (default: each
//! seed chooses; `deferred` runs it split-phase through `Server::poll_sync`).
//!
//! Environment knobs: `SIM_SEED` (first seed, default 0) and `SIM_RUNS`
//! (number of seeds) stand in for `--from` and `--seeds`.

use rnatsd_io_sim::trace::first_divergence;
use rnatsd_sim_tests::harness::{report, run_seed, SimConfig, SimReport};
use std::process::ExitCode;
use std::time::Duration;

struct Args {
    cmd: String,
    seed: Option<u64>,
    seeds: u64,
    from: u64,
    trace: bool,
    canary: bool,
    suite: String,
    nodes: u64,
    /// `--sync`: `Some(true)` deferred, `Some(false)` inline, `None` per seed.
    deferred: Option<bool>,
}

fn parse_args() -> Result<Args, String> {
    let mut argv = std::env::args().skip(1);
    let cmd = argv
        .next()
        .ok_or("missing command: run | replay | determinism")?;
    let env_u64 = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let mut a = Args {
        cmd,
        seed: None,
        seeds: env_u64("SIM_RUNS").unwrap_or(100),
        from: env_u64("SIM_SEED").unwrap_or(0),
        trace: false,
        canary: false,
        suite: "core".to_string(),
        nodes: 0,
        deferred: None,
    };
    while let Some(arg) = argv.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            argv.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--seeds" => a.seeds = num("--seeds")?,
            "--from" => a.from = num("--from")?,
            "--trace" => a.trace = true,
            "--canary" => a.canary = true,
            "--nodes" => a.nodes = num("--nodes")?,
            "--sync" => {
                a.deferred = match argv.next().as_deref() {
                    Some("deferred") => Some(true),
                    Some("inline") => Some(false),
                    _ => return Err("--sync needs deferred|inline".into()),
                }
            }
            "--suite" => a.suite = argv.next().ok_or("--suite needs core|raft")?,
            s if a.seed.is_none() && s.parse::<u64>().is_ok() => a.seed = s.parse().ok(),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(a)
}

/// The `--sync` flag a replay needs.
fn sync_flag(a: &Args) -> &'static str {
    match a.deferred {
        Some(true) => " --sync deferred",
        Some(false) => " --sync inline",
        None => "",
    }
}

/// The deferred syncs of a JetStream campaign, summed over its seeds.
#[derive(Default)]
struct SyncTotals {
    deferred_seeds: u64,
    total: rnatsd_sim_tests::js_sim::SyncStats,
}

impl SyncTotals {
    fn add(&mut self, s: &rnatsd_sim_tests::js_sim::SyncStats) {
        if s.deferred {
            self.deferred_seeds += 1;
            self.total.deferred = true;
        }
        self.total.batches += s.batches;
        self.total.completed += s.completed;
        self.total.failed_results += s.failed_results;
        self.total.dropped += s.dropped;
        self.total.ran_unreported += s.ran_unreported;
    }
}

impl std::fmt::Display for SyncTotals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} seeds with deferred syncs; {}", self.deferred_seeds, self.total)
    }
}

/// JetStream publishers under crashes (see `rnatsd_sim_tests::js_sim`).
fn js(a: &Args) -> ExitCode {
    let start = std::time::Instant::now();
    let mut syncs = SyncTotals::default();
    let (mut failed, mut acked, mut crashes, mut dups) = (0u64, 0u64, 0u64, 0u64);
    for seed in a.from..a.from + a.seeds {
        let r = rnatsd_sim_tests::js_sim::run_js_seed_sync(seed, false, a.deferred);
        syncs.add(&r.sync);
        acked += r.acked;
        crashes += r.crashes;
        dups += r.duplicates_acked;
        if !r.ok() {
            failed += 1;
            println!("SEED={seed} FAILED ({}; {})", r.params, r.sync);
            for v in &r.violations {
                println!("  {v}");
            }
            println!("  replay: cargo run --release -p rnatsd-sim-tests -- js --seeds 1 --from {seed}{}", sync_flag(a));
        }
    }
    println!(
        "{} seeds from {}: {failed} failed; {acked} acked publishes, {crashes} crashes, {dups} retries answered as duplicates; {:.1}s",
        a.seeds,
        a.from,
        start.elapsed().as_secs_f64()
    );
    println!("{syncs}");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// A workqueue consumer under crashes (see `rnatsd_sim_tests::js_consumer_sim`).
fn js_consumers(a: &Args) -> ExitCode {
    let start = std::time::Instant::now();
    let mut syncs = SyncTotals::default();
    let (mut failed, mut deliveries, mut redeliveries, mut answered, mut crashes) = (0u64, 0u64, 0u64, 0u64, 0u64);
    for seed in a.from..a.from + a.seeds {
        let r = rnatsd_sim_tests::js_consumer_sim::run_consumer_seed_sync(seed, a.deferred);
        syncs.add(&r.sync);
        deliveries += r.deliveries;
        redeliveries += r.redeliveries;
        answered += r.answered_acks;
        crashes += r.crashes;
        if !r.ok() {
            failed += 1;
            println!("SEED={seed} FAILED ({}; {})", r.params, r.sync);
            for v in &r.violations {
                println!("  {v}");
            }
            println!("  replay: cargo run --release -p rnatsd-sim-tests -- js-consumers --seeds 1 --from {seed}{}", sync_flag(a));
        }
    }
    println!(
        "{} seeds from {}: {failed} failed; {deliveries} deliveries ({redeliveries} redeliveries), \
         {answered} answered acks, {crashes} crashes; {:.1}s",
        a.seeds,
        a.from,
        start.elapsed().as_secs_f64()
    );
    println!("{syncs}");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The file store workload (see `rnatsd_sim_tests::store_sim`).
fn store(a: &Args) -> ExitCode {
    let start = std::time::Instant::now();
    let (mut failed, mut durable, mut lost, mut crashes) = (0u64, 0u64, 0u64, 0u64);
    let mut counters = rnatsd_io_sim::faults::FaultCounters::default();
    for seed in a.from..a.from + a.seeds {
        let r = rnatsd_sim_tests::store_sim::run_store_seed(seed);
        durable += r.durable;
        lost += r.durable_lost;
        crashes += r.crashes;
        counters.merge(&r.counters);
        if !r.ok() {
            failed += 1;
            println!("SEED={seed} FAILED ({})", r.params);
            for v in &r.violations {
                println!("  {v}");
            }
            println!("  replay: cargo run --release -p rnatsd-sim-tests -- store --seeds 1 --from {seed}");
        }
    }
    println!(
        "{} seeds from {}: {failed} failed; {durable} messages made durable, {crashes} crashes, \
         {lost} durable messages lost to damaging disks (none allowed on honest ones); {:.1}s",
        a.seeds,
        a.from,
        start.elapsed().as_secs_f64()
    );
    println!("faults fired: {counters}");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn replay_cmd(seed: u64, canary: bool) -> String {
    let c = if canary { " --canary" } else { "" };
    format!("cargo run --release -p rnatsd-sim-tests -- replay {seed}{c} --trace")
}

fn speed(sim: Duration, wall: Duration) -> String {
    let w = wall.as_secs_f64().max(1e-9);
    format!(
        "{:.0}x (simulated {:.1}s in {:.2}s wall)",
        sim.as_secs_f64() / w,
        sim.as_secs_f64(),
        w
    )
}

fn run(a: &Args) -> ExitCode {
    let start = std::time::Instant::now();
    let mut sim_total = Duration::ZERO;
    let mut failed = 0;
    for seed in a.from..a.from + a.seeds {
        let cfg = SimConfig {
            canary: a.canary,
            ..SimConfig::new(seed)
        };
        let r = run_seed(&cfg);
        sim_total += r.sim_time;
        if r.failed() {
            failed += 1;
            println!("{}", report(&r));
            println!("replay: {}\n", replay_cmd(seed, a.canary));
        }
    }
    println!(
        "{} seeds from {}: {} failed; speed {}",
        a.seeds,
        a.from,
        failed,
        speed(sim_total, start.elapsed())
    );
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn replay(a: &Args) -> ExitCode {
    let Some(seed) = a.seed else {
        eprintln!("replay needs a SEED");
        return ExitCode::FAILURE;
    };
    let start = std::time::Instant::now();
    let cfg = SimConfig {
        log: a.trace,
        canary: a.canary,
        ..SimConfig::new(seed)
    };
    let r: SimReport = run_seed(&cfg);
    if let Some(log) = &r.log {
        println!(
            "{:>8} {:>14} {:>4} {:<14} data",
            "step", "time(s)", "conn", "kind"
        );
        for line in log {
            println!("{line}");
        }
    }
    println!("{}", report(&r));
    println!("speed {}", speed(r.sim_time, start.elapsed()));
    if r.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn determinism(a: &Args) -> ExitCode {
    let start = std::time::Instant::now();
    let mut sim_total = Duration::ZERO;
    let mut bad = 0;
    for seed in a.from..a.from + a.seeds {
        let cfg = SimConfig {
            history: true,
            canary: a.canary,
            ..SimConfig::new(seed)
        };
        let (x, y) = (run_seed(&cfg), run_seed(&cfg));
        sim_total += x.sim_time + y.sim_time;
        if x.digest != y.digest {
            bad += 1;
            let at = first_divergence(
                x.history.as_deref().unwrap_or(&[]),
                y.history.as_deref().unwrap_or(&[]),
            );
            println!(
                "SEED={seed} NONDETERMINISTIC: {:016x} vs {:016x}, first divergent step {at:?}",
                x.digest, y.digest
            );
        }
    }
    println!(
        "{} seeds from {}: {} nondeterministic; speed {}",
        a.seeds,
        a.from,
        bad,
        speed(sim_total, start.elapsed())
    );
    if bad > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn raft_suite(a: &Args) -> ExitCode {
    use rnatsd_sim_tests::raft::{report, run_seed_catching, RaftSimConfig};
    let start = std::time::Instant::now();
    let seeds = if a.cmd == "replay" { a.seed.unwrap_or(0)..a.seed.unwrap_or(0) + 1 } else { a.from..a.from + a.seeds };
    let (mut failed, mut sim_total) = (0, Duration::ZERO);
    for seed in seeds {
        let cfg = RaftSimConfig { nodes: a.nodes, log: a.trace, ..RaftSimConfig::new(seed) };
        let r = run_seed_catching(&cfg);
        sim_total += r.sim_time;
        if let Some(log) = r.log.as_ref() {
            log.iter().for_each(|l| println!("{l}"));
        }
        if r.failed() || a.cmd == "replay" {
            println!("{}", report(&r));
        }
        if r.failed() {
            failed += 1;
            println!("replay: cargo run --release -p rnatsd-sim-tests -- replay {seed} --suite raft --nodes {} --trace\n", a.nodes);
        }
    }
    println!("raft: {failed} failed; speed {}", speed(sim_total, start.elapsed()));
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\nusage: rnatsd-sim-tests run --seeds N [--from S] | replay SEED [--trace] | determinism --seeds N");
            return ExitCode::FAILURE;
        }
    };
    if a.suite == "raft" {
        return raft_suite(&a);
    }
    match a.cmd.as_str() {
        "run" => run(&a),
        "replay" => replay(&a),
        "determinism" => determinism(&a),
        "store" => store(&a),
        "js" => js(&a),
        "js-consumers" => js_consumers(&a),
        other => {
            eprintln!("unknown command {other:?}");
            ExitCode::FAILURE
        }
    }
}

//! Throughput of a fault-free group in the simulator: committed entries
//! per second of simulated time (what the protocol allows given the
//! modelled network and fsync latencies) and of wall time (what the
//! simulator costs). `rnatsd-bench raft` prints it beside the real-disk
//! figure; docs/BENCHMARKS.md has the table.

use super::scenario::{build, run_until, Scenario};
use super::{Ev, Features};
use rnatsd_core::time::Instant;
use std::time::Duration;

/// The leader stops proposing while this many entries are uncommitted.
pub const BENCH_BACKLOG: u64 = 4096;

/// What to run.
#[derive(Clone, Debug)]
pub struct SimBenchConfig {
    pub nodes: u64,
    /// Simulated time measured (after a leader is elected).
    pub duration: Duration,
    /// Entries the leader proposes per simulated millisecond.
    pub burst: u64,
    /// Each fsync takes a uniform random time up to this.
    pub fsync_max: Duration,
    /// One-way network delay up to this.
    pub delay_max: Duration,
}

impl Default for SimBenchConfig {
    fn default() -> SimBenchConfig {
        SimBenchConfig {
            nodes: 3,
            duration: Duration::from_secs(5),
            burst: 256,
            fsync_max: Duration::from_millis(1),
            delay_max: Duration::from_micros(200),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SimBenchReport {
    pub committed: u64,
    pub sim_time: Duration,
    pub wall: std::time::Duration,
    pub violations: Vec<String>,
}

impl SimBenchReport {
    pub fn per_sim_second(&self) -> f64 {
        self.committed as f64 / self.sim_time.as_secs_f64().max(1e-9)
    }
    pub fn per_wall_second(&self) -> f64 {
        self.committed as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Runs the bench: elect a leader, then propose for `duration` of
/// simulated time with the checkers on.
pub fn run_sim_bench(cfg: &SimBenchConfig) -> SimBenchReport {
    let mut sc = Scenario::new("bench", 0xBE4C, cfg.nodes);
    sc.fsync_max = cfg.fsync_max;
    sc.packet.delay_max = cfg.delay_max;
    sc.features = Features { compact_every: 5_000, chunk_size: 64 * 1024, membership: false };
    let mut sim = build(&sc);
    sim.burst = cfg.burst;
    for i in 0..sim.nodes.len() {
        sim.step(Ev::Restart { node: i });
    }
    sim.q.schedule(Instant::from_nanos(1), Ev::Propose);
    let start = std::time::Instant::now();
    run_until(&mut sim, Instant::ZERO + Duration::from_secs(5), |s| s.leader_index().is_some());
    let from = sim.q.now();
    let base = sim.checker.committed.len() as u64;
    run_until(&mut sim, from + cfg.duration, |_| false);
    let wall = start.elapsed();
    SimBenchReport {
        committed: sim.checker.committed.len() as u64 - base,
        sim_time: sim.q.now().saturating_duration_since(from),
        wall,
        violations: sim.checker.violations.clone(),
    }
}

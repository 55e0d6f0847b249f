//! The Raft suite under simulation: a fixed batch of seeds (3 and 5
//! nodes), determinism, and planted bugs that the checkers must catch.
//!
//! Longer campaigns: `cargo run --release -p rnatsd-sim-tests -- run --suite raft --seeds N`.

use rnatsd_core::raft::{InjectedBugs, RecoveryBugs};
use rnatsd_sim_tests::raft::{report, run_seed_catching, RaftSimConfig};

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn raft_fixed_seeds_pass() {
    let from = env_u64("SIM_SEED", 0);
    let runs = env_u64("SIM_RUNS", 8);
    let mut failures = Vec::new();
    let mut committed = 0;
    for seed in from..from + runs {
        for nodes in [3, 5] {
            let r = run_seed_catching(&RaftSimConfig { nodes, ..RaftSimConfig::new(seed) });
            committed += r.committed;
            if r.failed() {
                failures.push(report(&r));
            }
        }
    }
    assert!(failures.is_empty(), "failing seeds:\n{}", failures.join("\n"));
    assert!(committed > 100 * runs as usize, "the workload barely committed ({committed})");
}

#[test]
fn raft_is_deterministic() {
    for seed in [1000u64, 1001] {
        let a = run_seed_catching(&RaftSimConfig::new(seed));
        let b = run_seed_catching(&RaftSimConfig::new(seed));
        assert_eq!(a.digest, b.digest, "seed {seed}");
    }
}

/// Finds a seed in `0..max` where the planted bug is caught.
fn caught(max: u64, make: impl Fn(u64) -> RaftSimConfig) -> Option<(u64, String)> {
    (0..max).find_map(|s| {
        let r = run_seed_catching(&make(s));
        r.failed().then(|| (s, r.violations.join("; ")))
    })
}

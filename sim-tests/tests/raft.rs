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
    let harsh = env_u64("SIM_HARSH", 0) == 1;
    let mut failures = Vec::new();
    let mut committed = 0;
    for seed in from..from + runs {
        for nodes in [3, 5] {
            let r = run_seed_catching(&RaftSimConfig { nodes, harsh, ..RaftSimConfig::new(seed) });
            committed += r.committed;
            if r.failed() {
                failures.push(report(&r));
            }
        }
    }
    assert!(failures.is_empty(), "failing seeds:\n{}", failures.join("\n"));
    assert!(committed > 100 * runs as usize, "the workload barely committed ({committed})");
}

/// Snapshots (local compaction and installs from a leader), membership
/// changes, leader stepdowns and meta damage that makes a node refuse to
/// start all happen across the seeded suite, under the checkers.
#[test]
fn raft_features_fire_under_faults() {
    let (mut compactions, mut installs, mut changes, mut stepdowns, mut refused) = (0, 0, 0, 0, 0);
    let mut failures = Vec::new();
    for seed in 0..24 {
        let r = run_seed_catching(&RaftSimConfig { harsh: seed % 2 == 0, ..RaftSimConfig::new(seed) });
        if r.failed() {
            failures.push(report(&r));
        }
        compactions += r.compactions;
        installs += r.installs;
        changes += r.membership_changes;
        stepdowns += r.stepdowns;
        refused += r.refused_starts;
    }
    assert!(failures.is_empty(), "failing seeds:\n{}", failures.join("\n"));
    eprintln!("compactions={compactions} installs={installs} membership_changes={changes} stepdowns={stepdowns} refused_starts={refused}");
    assert!(compactions > 50 && installs > 5, "snapshots barely used");
    assert!(changes > 5 && stepdowns > 5, "membership barely exercised");
    assert!(refused > 0, "no meta damage made a node refuse to start");
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
    .inspect(|(s, v)| eprintln!("caught at seed {s}: {v}"))
}

fn harsh(seed: u64, bugs: InjectedBugs, recovery_bugs: RecoveryBugs) -> RaftSimConfig {
    RaftSimConfig { harsh: true, bugs, recovery_bugs, ..RaftSimConfig::new(seed) }
}

/// Planted bug: a follower acknowledges appended entries before they are
/// durable. Crashes that lose unsynced data then lose committed entries.
#[test]
fn bug_ack_before_fsync_is_caught() {
    let bugs = InjectedBugs { ack_before_fsync: true, ..InjectedBugs::default() };
    let found = caught(40, |s| harsh(s, bugs, RecoveryBugs::default()));
    assert!(found.is_some(), "ack-before-fsync survived 40 harsh seeds");
}

/// Planted bug: term and vote changes are never persisted, so a node that
/// restarts can vote twice in a term.
#[test]
fn bug_term_not_persisted_is_caught() {
    let bugs = InjectedBugs { term_not_persisted: true, ..InjectedBugs::default() };
    let found = caught(40, |s| harsh(s, bugs, RecoveryBugs::default()));
    assert!(found.is_some(), "term-not-persisted survived 40 harsh seeds");
}

/// Planted bug: recovery treats mid-log corruption and lost synced data as
/// a harmless torn tail, so a node that lost acknowledged (possibly
/// committed) entries truncates them and votes as if whole.
#[test]
fn bug_truncate_possibly_committed_is_caught() {
    let rb = RecoveryBugs { truncate_without_repair: true };
    let found = caught(60, |s| harsh(s, InjectedBugs::default(), rb));
    assert!(found.is_some(), "truncate-without-repair survived 60 harsh seeds");
}

/// Planted bug: a node repairing a damaged log votes and counts toward
/// quorums anyway.
#[test]
fn bug_vote_with_unrepaired_log_is_caught() {
    let bugs = InjectedBugs { vote_with_unrepaired_log: true, ..InjectedBugs::default() };
    let found = caught(100, |s| harsh(s, bugs, RecoveryBugs::default()));
    assert!(found.is_some(), "vote-with-unrepaired-log survived 100 harsh seeds");
}

/// The throughput bench runs clean (checkers on) and commits steadily.
#[test]
fn raft_sim_bench_commits() {
    use rnatsd_sim_tests::raft::bench::{run_sim_bench, SimBenchConfig};
    let cfg = SimBenchConfig { duration: std::time::Duration::from_secs(1), burst: 64, ..SimBenchConfig::default() };
    let r = run_sim_bench(&cfg);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert!(r.committed > 10_000, "committed only {} in {:?}", r.committed, r.sim_time);
}

/// Replays `SIM_SEED` in harsh mode with the trace (a debugging aid:
/// `SIM_SEED=20 cargo test -p rnatsd-sim-tests --test raft replay_harsh -- --ignored --nocapture`).
#[test]
#[ignore]
fn replay_harsh() {
    let seed = env_u64("SIM_SEED", 0);
    let r = run_seed_catching(&RaftSimConfig { harsh: true, log: true, ..RaftSimConfig::new(seed) });
    for l in r.log.iter().flatten() {
        println!("{l}");
    }
    println!("{}", report(&r));
}

//! The simulator on the core protocol engine: a fixed batch of seeds, the
//! determinism check, and the canary that proves the checkers can fail.
//!
//! Longer campaigns: `cargo run --release -p rnatsd-sim-tests -- run --seeds N`
//! (see docs/TESTING.md). `SIM_SEED` and `SIM_RUNS` move this batch.

use rnatsd_sim_tests::harness::{report, run_seed, SimConfig};

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn core_workload_fixed_seeds_pass() {
    let from = env_u64("SIM_SEED", 0);
    let runs = env_u64("SIM_RUNS", 24);
    let mut failures = Vec::new();
    let mut messages = 0;
    for seed in from..from + runs {
        let r = run_seed(&SimConfig::new(seed));
        messages += r.messages;
        if r.failed() {
            failures.push(report(&r));
        }
    }
    assert!(
        messages > 100 * runs as usize / 4,
        "the workload barely published ({messages} messages)"
    );
    assert!(
        failures.is_empty(),
        "failing seeds:\n{}",
        failures.join("\n")
    );
}

#[test]
fn core_workload_is_deterministic() {
    let from = env_u64("SIM_SEED", 1000);
    for seed in from..from + 6 {
        let cfg = SimConfig {
            history: true,
            ..SimConfig::new(seed)
        };
        let (a, b) = (run_seed(&cfg), run_seed(&cfg));
        assert_eq!(a.steps, b.steps, "seed {seed}: step counts differ");
        assert_eq!(
            a.digest,
            b.digest,
            "seed {seed}: digests differ, first divergent step {:?}",
            rnatsd_io_sim::trace::first_divergence(
                a.history.as_deref().unwrap_or(&[]),
                b.history.as_deref().unwrap_or(&[])
            )
        );
    }
    // Different seeds explore different runs.
    assert_ne!(
        run_seed(&SimConfig::new(from)).digest,
        run_seed(&SimConfig::new(from + 1)).digest
    );
}

/// With the engine's planted bug on (the last of three or more plain
/// subscriptions matching a message is skipped), the checkers must catch
/// it within a bounded number of seeds.
#[test]
fn canary_bug_is_found() {
    let found = (0..20u64).find(|seed| {
        let r = run_seed(&SimConfig {
            canary: true,
            ..SimConfig::new(*seed)
        });
        r.failed() && r.violations.iter().any(|v| v.contains("deliveries"))
    });
    assert!(found.is_some(), "the canary bug survived 20 seeds");
}

#[test]
fn replay_log_is_readable() {
    let r = run_seed(&SimConfig {
        log: true,
        ..SimConfig::new(3)
    });
    let log = r.log.expect("log requested");
    assert!(log.iter().any(|l| l.contains("accept")));
    assert!(log
        .iter()
        .any(|l| l.contains("server-read") && l.contains("CONNECT")));
    assert_eq!(
        r.digest,
        run_seed(&SimConfig::new(3)).digest,
        "logging must not change the digest"
    );
}

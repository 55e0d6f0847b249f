//! Named regressions for the Jepsen NATS 2.12.1 findings
//! (`/work/shared/reference/jepsen-nats.md`, F1-F8) as they apply to one
//! Raft group alone: five nodes (Jepsen ran replication factor 5), a
//! fixed seed and a scripted fault schedule ([`Scenario`]).
//!
//! Every test asserts both that the checkers pass (one leader per term,
//! log matching, leader completeness, identical apply sequences, no
//! committed entry lost or changed, durability on a quorum after each
//! restart, no leader while repairing, liveness once the faults stop, and
//! convergence: every node ends with every committed entry) and that the
//! faults the scenario relies on actually fired (fault counters, unsynced
//! bytes dropped by crashes, restarts that came up repairing).
//!
//! Here "acknowledged" means committed: a client is acked once its entry
//! commits, so an acked write lost is a committed entry lost.
//!
//! F4, F7 and F8 are taken as they apply to a Raft group alone (there
//! are no streams at this layer): F4 as snapshot corruption on a minority
//! (the data must not be deleted, and the group must recover), F7 as
//! repeated `kill -9`s with snapshots and compaction under way (the group
//! must not forget its state), F8 as membership changes under partitions
//! and kills. Jepsen's "leave" also wiped the node and let it rejoin under
//! the same id; here a node keeps its disk across its removal (a wiped
//! node must rejoin as a new peer: docs/RAFT.md on meta damage).

use rnatsd_core::raft::InjectedBugs;
use rnatsd_io_sim::faults::FaultKind;
use rnatsd_io_sim::net::PacketConfig;
use rnatsd_sim_tests::raft::scenario::{run_scenario_catching, Action, Scenario, ScenarioReport};
use rnatsd_sim_tests::raft::Features;
use std::time::Duration;

const ALL: [u64; 5] = [1, 2, 3, 4, 5];

fn run(sc: &Scenario) -> ScenarioReport {
    let r = run_scenario_catching(sc);
    eprintln!("{}", r.summary());
    assert!(!r.failed(), "{}", r.summary());
    assert!(
        r.committed >= 50,
        "the workload barely committed: {}",
        r.summary()
    );
    r
}

fn fired(r: &ScenarioReport, kind: FaultKind, at_least: u64) {
    let n = r.counters.get(kind);
    assert!(
        n >= at_least,
        "{kind:?} fired {n} times, want >= {at_least}: {}",
        r.summary()
    );
}

/// F1 / F6 schedule: three coordinated power failures of every node while
/// the workload runs; unsynced writes are dropped or torn on every disk.
fn power_failures(seed: u64, bugs: InjectedBugs) -> Scenario {
    let mut sc = Scenario::new("f1_power_failure", seed, 5)
        .at(1_500, Action::Crash(ALL.to_vec()))
        .at(1_800, Action::Restart(ALL.to_vec()))
        .at(3_100, Action::Crash(ALL.to_vec()))
        .at(3_350, Action::Restart(ALL.to_vec()))
        .at(4_400, Action::Crash(ALL.to_vec()))
        .at(4_700, Action::Restart(ALL.to_vec()));
    sc.script_end = Duration::from_secs(6);
    sc.fsync_max = Duration::from_millis(40);
    sc.damageable = ALL.to_vec();
    sc.torn_writes = true;
    sc.bugs = bugs;
    sc
}

/// F1: lazy fsync plus a coordinated power failure lost acked writes
/// (NATS #7564). Here a follower acknowledges only synced entries, so
/// three power failures of all five nodes, each dropping or tearing
/// unsynced writes, lose no committed entry.
#[test]
fn f1_power_failure_loses_no_committed_entry() {
    let r = run(&power_failures(0xF1, InjectedBugs::default()));
    fired(&r, FaultKind::ProcessCrash, 15);
    fired(&r, FaultKind::DiskTornWrite, 1);
    assert!(
        r.unsynced_lost >= 3,
        "crashes dropped no unsynced data: {}",
        r.summary()
    );
}

/// F1, the other way round: the same schedule catches NATS's behaviour
/// (acknowledge before fsync) when it is planted, so the scenario has
/// teeth.
#[test]
fn f1_power_failure_catches_ack_before_fsync() {
    let bugs = InjectedBugs {
        ack_before_fsync: true,
        ..InjectedBugs::default()
    };
    let caught = (0xF1..0xF1 + 8).find_map(|seed| {
        let r = run_scenario_catching(&power_failures(seed, bugs));
        r.failed().then(|| r.summary())
    });
    assert!(
        caught.is_some(),
        "ack-before-fsync survived 8 power-failure runs"
    );
    eprintln!("caught: {}", caught.unwrap_or_default());
}

/// F2: single-bit errors in the log files of a minority (NATS #7549) lost
/// acked writes, also from the middle, and a corrupt node became leader.
/// Here nodes 4 and 5 get two flipped bits each (twice), then are killed
/// and restarted (bitflip+kill); meanwhile a partition and a crash of an
/// intact node leave the corrupt nodes with chances to lead. They come up
/// repairing, never lead while repairing, and no committed entry is lost.
#[test]
fn f2_bitflip_minority_loses_nothing_and_corrupt_node_never_leads() {
    let mut sc = Scenario::new("f2_bitflip_minority", 0xF2, 5)
        .at(1_000, Action::BitFlips { node: 4, flips: 2 })
        .at(1_000, Action::BitFlips { node: 5, flips: 2 })
        .at(1_100, Action::Crash(vec![4, 5]))
        .at(1_400, Action::Restart(vec![4, 5]))
        .at(1_400, Action::Split(vec![2, 3]))
        .at(2_600, Action::Heal)
        .at(3_000, Action::BitFlips { node: 4, flips: 2 })
        .at(3_000, Action::BitFlips { node: 5, flips: 2 })
        .at(3_100, Action::Crash(vec![4, 5]))
        .at(3_300, Action::Restart(vec![4, 5]))
        .at(3_300, Action::Crash(vec![1]))
        .at(4_000, Action::Restart(vec![1]));
    sc.script_end = Duration::from_millis(5_500);
    sc.damageable = vec![4, 5];
    let r = run(&sc);
    fired(&r, FaultKind::DiskBitFlipAtRest, 8);
    fired(&r, FaultKind::ProcessCrash, 5);
    fired(&r, FaultKind::PacketPartitioned, 1);
    assert!(
        r.repairs.len() >= 2,
        "the flips left no node repairing: {}",
        r.summary()
    );
}

/// F3: truncation of a minority's log files lost acked writes. Here nodes
/// 4 and 5 are killed with their log cut at a random length (synced,
/// acknowledged entries gone), three times, once together with a crash of
/// an intact node; they repair from the leader and nothing is lost.
#[test]
fn f3_truncated_minority_loses_nothing() {
    let mut sc = Scenario::new("f3_truncate_minority", 0xF3, 5)
        .at(1_000, Action::CrashTruncating(vec![4, 5]))
        .at(1_300, Action::Restart(vec![4, 5]))
        .at(2_000, Action::CrashTruncating(vec![5]))
        .at(2_000, Action::Crash(vec![1]))
        .at(2_300, Action::Restart(vec![5]))
        .at(2_800, Action::Restart(vec![1]))
        .at(3_500, Action::CrashTruncating(vec![4]))
        .at(3_800, Action::Restart(vec![4]));
    sc.script_end = Duration::from_secs(5);
    sc.damageable = vec![4, 5];
    let r = run(&sc);
    fired(&r, FaultKind::DiskTruncation, 4);
    fired(&r, FaultKind::ProcessCrash, 5);
    assert!(
        r.repairs.len() >= 3,
        "truncation left too few nodes repairing: {}",
        r.summary()
    );
}

/// F5 pause-kill (NATS #7567: persistent split brain from one OS crash
/// plus pauses). Pause the minority {1,2}; the majority {3,4,5} goes on;
/// kill 3, losing its unsynced (torn) writes; resume {1,2} and pause
/// {4,5}, so the new majority {1,2,3} includes the crashed node; restart
/// 3; later resume everyone. At most one leader per term, one apply
/// sequence, and every node converges to the same committed log.
#[test]
fn f5_pause_kill_has_no_split_brain() {
    let mut sc = Scenario::new("f5_pause_kill", 0xF5, 5)
        .at(1_000, Action::Pause(vec![1, 2]))
        .at(2_000, Action::Crash(vec![3]))
        .at(2_000, Action::Resume(vec![1, 2]))
        .at(2_000, Action::Pause(vec![4, 5]))
        .at(2_300, Action::Restart(vec![3]))
        .at(3_500, Action::Resume(vec![4, 5]));
    sc.script_end = Duration::from_millis(4_500);
    sc.fsync_max = Duration::from_millis(60);
    sc.damageable = vec![3];
    sc.torn_writes = true;
    let r = run(&sc);
    fired(&r, FaultKind::ProcessPause, 4);
    fired(&r, FaultKind::ProcessCrash, 1);
    assert!(
        r.unsynced_lost >= 1,
        "the kill dropped no unsynced data: {}",
        r.summary()
    );
    assert!(
        r.leader_terms >= 2,
        "no leader change happened: {}",
        r.summary()
    );
}

/// F5 part-kill: the same choreography with partitions. Cut {1,2} off;
/// kill 3 (unsynced writes torn); re-partition so {1,2,3} is the
/// majority and {4,5} the minority; restart 3; heal.
#[test]
fn f5_part_kill_has_no_split_brain() {
    let mut sc = Scenario::new("f5_part_kill", 0xF50, 5)
        .at(1_000, Action::Split(vec![1, 2]))
        .at(2_000, Action::Crash(vec![3]))
        .at(2_000, Action::Split(vec![4, 5]))
        .at(2_300, Action::Restart(vec![3]))
        .at(3_500, Action::Heal);
    sc.script_end = Duration::from_millis(4_500);
    sc.fsync_max = Duration::from_millis(60);
    sc.damageable = vec![3];
    sc.torn_writes = true;
    let r = run(&sc);
    fired(&r, FaultKind::PacketPartitioned, 10);
    fired(&r, FaultKind::ProcessCrash, 1);
    assert!(
        r.unsynced_lost >= 1,
        "the kill dropped no unsynced data: {}",
        r.summary()
    );
    assert!(
        r.leader_terms >= 2,
        "no leader change happened: {}",
        r.summary()
    );
}

/// F6: coordinated power failure lost committed writes and left a
/// persistent split brain. Here three power failures of all nodes land
/// while partitions and a pause are in force, over a lossy, reordering,
/// duplicating network, with staggered restarts; no committed entry is
/// lost and the nodes do not diverge.
#[test]
fn f6_power_failure_with_partitions_has_no_loss_or_divergence() {
    let mut sc = Scenario::new("f6_power_failure_partitions", 0xF6, 5)
        .at(800, Action::Split(vec![1, 2]))
        .at(1_500, Action::Crash(ALL.to_vec()))
        .at(1_800, Action::Restart(ALL.to_vec()))
        .at(2_600, Action::Split(vec![4, 5]))
        .at(3_000, Action::Crash(ALL.to_vec()))
        .at(3_200, Action::Restart(vec![1, 2, 3]))
        .at(3_500, Action::Restart(vec![4, 5]))
        .at(4_000, Action::Heal)
        .at(4_300, Action::Pause(vec![2]))
        .at(4_500, Action::Crash(ALL.to_vec()))
        .at(4_800, Action::Restart(ALL.to_vec()));
    sc.script_end = Duration::from_secs(6);
    sc.fsync_max = Duration::from_millis(20);
    sc.damageable = ALL.to_vec();
    sc.torn_writes = true;
    let mut packet = PacketConfig::perfect();
    packet.delay_max = Duration::from_millis(3);
    packet.drop = rnatsd_io_sim::prng::Ratio::new(1, 50);
    packet.duplicate = rnatsd_io_sim::prng::Ratio::new(1, 50);
    packet.reorder = rnatsd_io_sim::prng::Ratio::new(1, 10);
    packet.reorder_max = Duration::from_millis(10);
    sc.packet = packet;
    let r = run(&sc);
    fired(&r, FaultKind::ProcessCrash, 15);
    fired(&r, FaultKind::ProcessPause, 1);
    fired(&r, FaultKind::PacketPartitioned, 10);
    fired(&r, FaultKind::PacketDrop, 1);
    assert!(
        r.unsynced_lost >= 3,
        "crashes dropped no unsynced data: {}",
        r.summary()
    );
}

fn snapshots(compact_every: u64, chunk_size: usize) -> Features {
    Features { compact_every, chunk_size, membership: false }
}

/// F4: bit flips in the snapshot files of 2 of 5 nodes, plus crashes
/// (NATS #7556: the corrupt snapshot made NATS delete the stream's data as
/// "orphaned", and the cluster never regained quorum). Here every node
/// snapshots and compacts every 15 entries; nodes 4 and 5 get flipped
/// bits in their snapshot files and are killed, twice, the second time
/// together with an intact node. The damage is detected by checksum, the
/// bad snapshot is never used, nothing is deleted (the files are set
/// aside), the damaged nodes come up repairing, get a snapshot from the
/// leader and converge, and no committed entry is lost.
#[test]
fn f4_snapshot_corruption_on_minority_deletes_nothing_and_recovers() {
    let mut sc = Scenario::new("f4_snapshot_corruption", 0xF4, 5)
        .at(1_500, Action::BitFlips { node: 4, flips: 2 })
        .at(1_500, Action::BitFlips { node: 5, flips: 2 })
        .at(1_600, Action::Crash(vec![4, 5]))
        .at(1_900, Action::Restart(vec![4, 5]))
        .at(3_000, Action::BitFlips { node: 4, flips: 2 })
        .at(3_000, Action::BitFlips { node: 5, flips: 2 })
        .at(3_100, Action::Crash(vec![1, 4, 5]))
        .at(3_400, Action::Restart(vec![1, 4, 5]));
    sc.script_end = Duration::from_secs(5);
    sc.damageable = vec![4, 5];
    sc.damage_prefixes = vec!["raft/g/snap".into()];
    sc.features = snapshots(15, 128);
    let r = run(&sc);
    fired(&r, FaultKind::DiskBitFlipAtRest, 8);
    assert!(r.corrupt_snapshots >= 3, "too few restarts found a corrupt snapshot: {}", r.summary());
    assert!(r.repairs.len() >= 3, "corrupt snapshots left nodes unrepaired: {}", r.summary());
    assert!(r.installs >= 3, "the damaged nodes did not get the leader's snapshot: {}", r.summary());
}

/// F7: a few `kill -9`s made NATS 2.10.20-22 forget a whole stream (NATS
/// #6888). Here single nodes, a majority and all nodes are killed again
/// and again while every node snapshots and compacts every 10 entries:
/// every node ends with the full committed state (the checkers compare
/// every installed snapshot's state with the committed entries), nothing
/// is forgotten.
#[test]
fn f7_repeated_kills_forget_nothing() {
    let mut sc = Scenario::new("f7_repeated_kills", 0xF7, 5);
    let kills: [&[u64]; 8] = [&[2], &[1, 3, 5], &ALL, &[4], &[2, 3], &ALL, &[1], &[3, 4, 5]];
    for (k, ids) in kills.iter().enumerate() {
        let at = 700 + 500 * k as u64;
        sc = sc.at(at, Action::Crash(ids.to_vec())).at(at + 150, Action::Restart(ids.to_vec()));
    }
    sc.script_end = Duration::from_secs(5);
    sc.fsync_max = Duration::from_millis(10);
    sc.features = snapshots(10, 256);
    let r = run(&sc);
    fired(&r, FaultKind::ProcessCrash, 20);
    assert!(r.compactions >= 20, "too few compactions: {}", r.summary());
    assert!(r.installs >= 1, "no snapshot was ever installed: {}", r.summary());
}

/// F8: membership changes plus partitions plus kills lost acknowledged
/// writes from the middle (NATS #7545). Here one peer is removed and
/// added back, another demoted to a non-voting observer and promoted back
/// (the leader steps down to a preferred successor in between) while partitions and kills happen;
/// with snapshots on, a re-added peer catches up from a snapshot. No
/// committed entry is lost, and every node ends a voter again.
#[test]
fn f8_membership_changes_with_partitions_and_kills_lose_nothing() {
    let mut sc = Scenario::new("f8_membership", 0xF8, 5)
        .at(600, Action::RemovePeer(5))
        .at(900, Action::Split(vec![1, 2]))
        .at(1_300, Action::Crash(vec![3]))
        .at(1_500, Action::Restart(vec![3]))
        .at(1_700, Action::Heal)
        .at(1_900, Action::AddPeer(5))
        .at(2_400, Action::StepDown(Some(2)))
        .at(2_800, Action::AddObserver(2))
        .at(3_000, Action::Split(vec![4, 5]))
        .at(3_300, Action::Crash(vec![1, 4]))
        .at(3_600, Action::Restart(vec![1, 4]))
        .at(3_700, Action::Heal)
        .at(4_000, Action::AddPeer(2));
    sc.script_end = Duration::from_secs(6);
    sc.features = snapshots(20, 512);
    let r = run(&sc);
    fired(&r, FaultKind::PacketPartitioned, 10);
    fired(&r, FaultKind::ProcessCrash, 3);
    assert!(r.membership_changes >= 4, "membership changes did not happen: {}", r.summary());
    assert!(r.voters.iter().all(|v| v == &ALL.to_vec()), "not every node is a voter again: {}", r.summary());
}

/// The scenarios replay exactly.
#[test]
fn jepsen_scenarios_are_deterministic() {
    let sc = power_failures(0xF1, InjectedBugs::default());
    let (a, b) = (run_scenario_catching(&sc), run_scenario_catching(&sc));
    assert_eq!(a.digest, b.digest);
    assert_eq!(a.counters, b.counters);
}

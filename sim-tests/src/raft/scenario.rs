//! Scripted Raft scenarios: the same group, workload and checkers as the
//! seeded suite, but with a fixed fault schedule instead of random fault
//! ticks, so a named regression (a Jepsen finding, say) replays exactly.
//!
//! A [`Scenario`] runs in four phases:
//! 1. *script*: the workload proposes while the [`Action`]s fire at their
//!    times; nothing restarts by itself (the script restarts nodes);
//! 2. *calm*: heal, resume, restart every crashed node, perfect disks;
//! 3. *liveness*: a value proposed now must commit within [`LIVENESS_MAX`];
//! 4. *drain*: proposals stop and every node must converge: running,
//!    repaired, the same commit index, and every entry ever seen committed
//!    present (same term, same bytes) in every node's log.
//!
//! The checkers of [`super::checkers`] run after every step throughout.

use super::checkers::{entry_hash, RaftChecker};
use super::Ev;
use super::{new_sim_node, raft_config, Features, Sim, DIR, LIVENESS_MAX, STEPS_MAX};
use rnatsd_core::raft::{InjectedBugs, NodeId, RaftNode};
use rnatsd_core::time::Instant;
use rnatsd_io_sim::clock::NodeClock;
use rnatsd_io_sim::disk::{DiskConfig, SimDisk};
use rnatsd_io_sim::faults::{FaultAtlas, FaultCounters, FaultKind};
use rnatsd_io_sim::net::{PacketConfig, PacketNet};
use rnatsd_io_sim::prng::{fork_seed, Prng, Ratio};
use rnatsd_io_sim::process::{Process, ProcessState};
use rnatsd_io_sim::queue::EventQueue;
use rnatsd_io_sim::trace::Trace;
use std::time::Duration;

/// How long the drain phase may take to converge.
pub const DRAIN_MAX: Duration = Duration::from_secs(15);

/// One scripted fault. Node ids are 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Heals the network, then cuts `group` off from every other node.
    Split(Vec<NodeId>),
    /// Heals every partition.
    Heal,
    /// Kills the nodes at once; each loses what it had not synced.
    Crash(Vec<NodeId>),
    /// Kills the nodes; each surviving file that may be damaged is cut at
    /// a random length (synced data lost, as `truncate-file` + kill).
    CrashTruncating(Vec<NodeId>),
    /// Restarts crashed nodes from their disks.
    Restart(Vec<NodeId>),
    /// SIGSTOP.
    Pause(Vec<NodeId>),
    /// SIGCONT.
    Resume(Vec<NodeId>),
    /// Flips `flips` single bits, at rest, in files of `node` that may be
    /// damaged (as `bitflip-file-chunks`). The running node does not
    /// notice until it re-reads its disk, i.e. restarts.
    BitFlips { node: NodeId, flips: u32 },
    /// The current leader proposes removing the peer (retried for up to
    /// 3 s while there is no leader or another change is in flight).
    RemovePeer(NodeId),
    /// The current leader proposes adding the peer back (retried likewise).
    AddPeer(NodeId),
    /// The current leader proposes demoting the peer to a non-voting
    /// observer (retried likewise).
    AddObserver(NodeId),
    /// The current leader steps down, naming a preferred successor or not.
    StepDown(Option<NodeId>),
}

/// A named, fully deterministic scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: &'static str,
    pub seed: u64,
    pub nodes: u64,
    pub packet: PacketConfig,
    /// Each fsync takes up to this long (longer = more unsynced data).
    pub fsync_max: Duration,
    /// Nodes whose log may be damaged (bit flips, truncation, torn
    /// writes). The meta file is always protected (docs/RAFT.md).
    pub damageable: Vec<NodeId>,
    /// If not empty, damage on damageable nodes is limited to files whose
    /// path starts with one of these (e.g. `raft/g/snap` for snapshots).
    pub damage_prefixes: Vec<String>,
    /// Crashes of damageable nodes tear unsynced writes (a crash image
    /// between the synced and the written bytes, as LazyFS).
    pub torn_writes: bool,
    /// `(time since start, action)`, in time order.
    pub schedule: Vec<(Duration, Action)>,
    /// When the script phase ends (after the last action).
    pub script_end: Duration,
    pub bugs: InjectedBugs,
    /// Snapshots and chunking (membership is scripted, not random).
    pub features: Features,
    pub log: bool,
}

impl Scenario {
    pub fn new(name: &'static str, seed: u64, nodes: u64) -> Scenario {
        let mut packet = PacketConfig::perfect();
        packet.delay_max = Duration::from_millis(2);
        Scenario {
            name,
            seed,
            nodes,
            packet,
            fsync_max: Duration::from_millis(5),
            damageable: Vec::new(),
            damage_prefixes: Vec::new(),
            torn_writes: false,
            schedule: Vec::new(),
            script_end: Duration::from_secs(5),
            bugs: InjectedBugs::default(),
            features: Features::NONE,
            log: false,
        }
    }

    /// Adds `action` at `at_ms` milliseconds.
    pub fn at(mut self, at_ms: u64, action: Action) -> Scenario {
        self.schedule.push((Duration::from_millis(at_ms), action));
        self
    }
}

/// What a scenario did and found.
#[derive(Debug)]
pub struct ScenarioReport {
    pub name: &'static str,
    pub violations: Vec<String>,
    /// Entries seen committed.
    pub committed: usize,
    /// Every fault that fired (the harness's own start-up crashes excluded).
    pub counters: FaultCounters,
    /// Scripted crashes that dropped unsynced bytes.
    pub unsynced_lost: u64,
    /// `(node, repair index)` for each restart that came up repairing.
    pub repairs: Vec<(NodeId, u64)>,
    /// Terms in which some node led.
    pub leader_terms: usize,
    /// Restarts that found a corrupt snapshot, snapshots installed from a
    /// leader, local compactions, membership changes proposed.
    pub corrupt_snapshots: u64,
    pub installs: u64,
    pub compactions: u64,
    pub membership_changes: u64,
    /// Every node's final voter set (all equal once converged).
    pub voters: Vec<Vec<NodeId>>,
    pub sim_time: Duration,
    pub digest: u64,
    pub log: Option<Vec<String>>,
}

impl ScenarioReport {
    pub fn failed(&self) -> bool {
        !self.violations.is_empty()
    }

    pub fn summary(&self) -> String {
        format!(
            "{}: committed={} leader_terms={} unsynced_lost={} repairs={:?} corrupt_snapshots={} installs={} compactions={} membership_changes={} voters={:?} sim_time={:?} digest={:016x}\n  faults: {}\n  violations:\n    {}",
            self.name,
            self.committed,
            self.leader_terms,
            self.unsynced_lost,
            self.repairs,
            self.corrupt_snapshots,
            self.installs,
            self.compactions,
            self.membership_changes,
            self.voters,
            self.sim_time,
            self.digest,
            self.counters,
            if self.violations.is_empty() { "none".to_string() } else { self.violations.join("\n    ") }
        )
    }
}

pub(super) fn build(sc: &Scenario) -> Sim {
    assert!(sc.nodes >= 1, "a scenario needs nodes");
    let mut prng = Prng::from_seed(sc.seed ^ 0x4a45_5053);
    let ids: Vec<NodeId> = (1..=sc.nodes).collect();
    let mut nodes = Vec::new();
    for id in &ids {
        let damage = sc.damageable.contains(id);
        let mut atlas = if damage {
            FaultAtlas::anywhere()
        } else {
            FaultAtlas::pristine()
        };
        atlas.protect = vec![format!("{DIR}/meta")];
        atlas.allow_prefixes = sc.damage_prefixes.clone();
        let mut dcfg = DiskConfig::perfect();
        if sc.torn_writes {
            dcfg.torn_write = Ratio::ALWAYS;
        }
        let disk = SimDisk::new(fork_seed(&mut prng), dcfg, atlas);
        let clock = NodeClock::new(prng.below(1_000_000_000), 0);
        let placeholder = RaftNode::new(
            raft_config(*id, &ids, sc.bugs),
            Default::default(),
            1,
            Instant::ZERO,
        );
        let mut proc = Process::new(*id, placeholder, clock, Some(disk));
        proc.crash();
        nodes.push(new_sim_node(proc));
    }
    let cfg = super::RaftSimConfig {
        seed: sc.seed,
        nodes: sc.nodes,
        bugs: sc.bugs,
        log: sc.log,
        ..super::RaftSimConfig::new(sc.seed)
    };
    Sim {
        cfg,
        q: EventQueue::new(),
        net: PacketNet::new(fork_seed(&mut prng), sc.packet.clone()),
        nodes,
        ids,
        checker: RaftChecker::default(),
        trace: if sc.log {
            Trace::new().with_log()
        } else {
            Trace::new()
        },
        faults_on: false,
        fsync_max: sc.fsync_max,
        crash: Ratio::NEVER,
        next_value: 1,
        liveness_from: None,
        liveness_ok: false,
        steps: 0,
        auto_restart: false,
        proposing: true,
        features: sc.features,
        burst: 0,
        removable: Vec::new(),
        refused_starts: 0,
        corrupt_snapshots: 0,
        installs: 0,
        compactions: 0,
        membership_changes: 0,
        transfers: 0,
        prng,
    }
}

/// Runs events up to `until`, or until `stop` holds; false if a violation
/// or the step budget ended it.
pub(super) fn run_until(sim: &mut Sim, until: Instant, stop: impl Fn(&Sim) -> bool) -> bool {
    while let Some(t) = sim.q.peek_time() {
        if !sim.checker.violations.is_empty() {
            return false;
        }
        if t > until || stop(sim) {
            return true;
        }
        if sim.steps > STEPS_MAX {
            let v = format!(
                "step budget exceeded at {:?} (queue {})",
                sim.q.now(),
                sim.q.len()
            );
            sim.checker.violations.push(v);
            return false;
        }
        let (_, ev) = sim.q.pop().expect("peeked");
        sim.step(ev);
    }
    sim.checker.violations.is_empty()
}

struct Tally {
    unsynced_lost: u64,
    repairs: Vec<(NodeId, u64)>,
}

fn index(sim: &Sim, id: NodeId) -> usize {
    let i = sim.ids.iter().position(|x| *x == id);
    i.unwrap_or_else(|| panic!("scenario names node {id}, which does not exist"))
}

fn crash(sim: &mut Sim, i: usize, tally: &mut Tally) {
    if sim.nodes[i].proc.state() == ProcessState::Crashed {
        return;
    }
    if let Some(d) = sim.nodes[i].proc.disk.as_ref() {
        if d.paths()
            .iter()
            .any(|p| d.volatile_contents(p) != d.durable_contents(p))
        {
            tally.unsynced_lost += 1;
        }
    }
    sim.crash_node(i);
}

fn restart(sim: &mut Sim, i: usize, tally: &mut Tally) {
    if sim.nodes[i].proc.state() != ProcessState::Crashed {
        return;
    }
    sim.step(Ev::Restart { node: i });
    if let Some(r) = sim.nodes[i].proc.node().and_then(|n| n.repair_index()) {
        tally.repairs.push((sim.ids[i], r));
    }
}

fn apply(sim: &mut Sim, action: &Action, tally: &mut Tally) {
    sim.trace.note(|| format!("script: {action:?}"));
    match action {
        Action::Split(group) => {
            sim.net.heal();
            let rest: Vec<NodeId> = sim
                .ids
                .iter()
                .copied()
                .filter(|x| !group.contains(x))
                .collect();
            for a in group {
                for b in &rest {
                    sim.net.partition(*a, *b);
                }
            }
        }
        Action::Heal => sim.net.heal(),
        Action::Crash(ids) => {
            for id in ids {
                let i = index(sim, *id);
                crash(sim, i, tally);
            }
        }
        Action::CrashTruncating(ids) => {
            for id in ids {
                let i = index(sim, *id);
                let Some(d) = sim.nodes[i].proc.disk.as_mut() else {
                    continue;
                };
                let saved = d.config().clone();
                let mut harsh = saved.clone();
                harsh.truncation = Ratio::ALWAYS;
                d.set_config(harsh);
                crash(sim, i, tally);
                if let Some(d) = sim.nodes[i].proc.disk.as_mut() {
                    d.set_config(saved);
                }
            }
        }
        Action::Restart(ids) => {
            for id in ids {
                let i = index(sim, *id);
                restart(sim, i, tally);
            }
        }
        Action::Pause(ids) => {
            for id in ids {
                let i = index(sim, *id);
                sim.nodes[i].proc.pause();
            }
        }
        Action::Resume(ids) => {
            for id in ids {
                let i = index(sim, *id);
                sim.step(Ev::Resume { node: i });
            }
        }
        Action::RemovePeer(_) | Action::AddPeer(_) | Action::AddObserver(_) | Action::StepDown(_) => {
            let end = sim.q.now() + Duration::from_secs(3);
            while sim.q.now() < end {
                if leader_op(sim, action) {
                    return;
                }
                let next = sim.q.now() + Duration::from_millis(50);
                if !run_until(sim, next, |_| false) {
                    return;
                }
            }
            sim.trace.note(|| format!("script: {action:?} found no leader to take it"));
        }
        Action::BitFlips { node, flips } => {
            let i = index(sim, *node);
            let Some(d) = sim.nodes[i].proc.disk.as_mut() else {
                return;
            };
            let saved = d.config().clone();
            let mut harsh = saved.clone();
            harsh.bit_flip_at_rest = Ratio::ALWAYS;
            d.set_config(harsh);
            for _ in 0..*flips {
                d.tick();
            }
            d.set_config(saved);
        }
    }
}

/// Hands a membership or stepdown action to the current leader; true if
/// it was accepted.
fn leader_op(sim: &mut Sim, action: &Action) -> bool {
    let Some(l) = sim.leader_index() else { return false };
    let now = sim.node_now(l);
    let Some(n) = sim.nodes[l].proc.running() else { return false };
    let ok = match action {
        Action::RemovePeer(p) => n.propose_remove_peer(now, *p).is_ok(),
        Action::AddPeer(p) => n.propose_add_peer(now, *p).is_ok(),
        Action::AddObserver(p) => n.propose_add_observer(now, *p).is_ok(),
        Action::StepDown(p) => {
            n.step_down(now, *p);
            true
        }
        _ => false,
    };
    if ok {
        if !matches!(action, Action::StepDown(_)) {
            sim.membership_changes += 1;
        }
        sim.after_step(l);
    }
    ok
}

/// Every node running, repaired, at the same commit index, applied through
/// it, and holding every entry seen committed.
fn converged(sim: &Sim) -> bool {
    let Some(max) = sim.checker.committed.keys().next_back().copied() else {
        return false;
    };
    sim.nodes.iter().all(|s| {
        s.proc.state() == ProcessState::Running
            && s.outstanding.is_none()
            && s.proc.node().is_some_and(|n| {
                n.is_repaired() && n.commit_index() == max && n.applied_index() == max
            })
    })
}

/// Runs `sc` and checks it.
pub fn run_scenario(sc: &Scenario) -> ScenarioReport {
    let mut sim = build(sc);
    let mut tally = Tally {
        unsynced_lost: 0,
        repairs: Vec::new(),
    };
    for i in 0..sim.nodes.len() {
        restart(&mut sim, i, &mut tally);
    }
    sim.q.schedule(Instant::from_nanos(1), Ev::Propose);
    let start = Instant::ZERO;
    let mut ok = true;
    for (at, action) in &sc.schedule {
        ok = run_until(&mut sim, start + *at, |_| false);
        if !ok {
            break;
        }
        apply(&mut sim, action, &mut tally);
    }
    let script_end = start + sc.script_end;
    if ok {
        ok = run_until(&mut sim, script_end, |_| false);
    }
    if ok {
        // Calm: every fault stops, crashed nodes come back.
        sim.calm();
        for i in 0..sim.nodes.len() {
            restart(&mut sim, i, &mut tally);
        }
        sim.liveness_from = Some(sim.next_value);
        let live_end = sim.q.now() + LIVENESS_MAX;
        ok = run_until(&mut sim, live_end, |s| s.liveness_ok);
        if ok && !sim.liveness_ok {
            sim.checker.violations.push(format!(
                "liveness: no entry proposed after the faults stopped was committed within {LIVENESS_MAX:?}"
            ));
            ok = false;
        }
    }
    if ok {
        sim.proposing = false;
        let drain_end = sim.q.now() + DRAIN_MAX;
        ok = run_until(&mut sim, drain_end, converged);
        if ok && !converged(&sim) {
            let states: Vec<String> = sim
                .nodes
                .iter()
                .map(|s| match s.proc.node() {
                    Some(n) => format!(
                        "{}:{:?} commit={} applied={} repair={:?}",
                        n.id(),
                        s.proc.state(),
                        n.commit_index(),
                        n.applied_index(),
                        n.repair_index()
                    ),
                    None => format!("{:?}", s.proc.state()),
                })
                .collect();
            sim.checker.violations.push(format!(
                "no convergence within {DRAIN_MAX:?}: {}",
                states.join(", ")
            ));
        }
    }
    final_checks(&mut sim);
    let mut counters = sim.net.counters().clone();
    for sn in &sim.nodes {
        counters.merge(sn.proc.counters());
        if let Some(d) = sn.proc.disk.as_ref() {
            counters.merge(d.counters());
        }
    }
    ScenarioReport {
        name: sc.name,
        violations: sim.checker.violations.clone(),
        committed: sim.checker.committed.len(),
        counters: without_setup_crashes(&counters, sim.nodes.len() as u64),
        unsynced_lost: tally.unsynced_lost,
        repairs: tally.repairs,
        leader_terms: sim.checker.leader_terms(),
        corrupt_snapshots: sim.corrupt_snapshots,
        installs: sim.installs,
        compactions: sim.compactions,
        membership_changes: sim.membership_changes,
        voters: sim
            .nodes
            .iter()
            .filter_map(|s| s.proc.node().map(|n| n.voters().iter().copied().collect()))
            .collect(),
        sim_time: sim.q.now().saturating_duration_since(Instant::ZERO),
        digest: sim.trace.digest(),
        log: sim.trace.log().map(|l| l.to_vec()),
    }
}

/// No committed entry lost or changed on any node, and log matching.
fn final_checks(sim: &mut Sim) {
    sim.checker
        .check_log_matching(sim.nodes.iter().filter_map(|s| s.proc.node()));
    let mut missing = Vec::new();
    for s in &sim.nodes {
        let Some(n) = s.proc.node() else { continue };
        for (i, (t, h)) in &sim.checker.committed {
            let held = *i <= n.log().snap_index()
                || n.log().get(*i).is_some_and(|e| {
                    e.term == *t && entry_hash(e.entry.entry_type as u8, &e.entry.data) == *h
                });
            if !held {
                missing.push(format!("node {} lacks committed entry {i}", n.id()));
                break;
            }
        }
    }
    sim.checker.violations.extend(missing);
}

/// `counters` less the crash each process takes before its first start.
fn without_setup_crashes(counters: &FaultCounters, setup: u64) -> FaultCounters {
    let mut out = FaultCounters::default();
    for kind in FaultKind::ALL {
        let mut n = counters.get(kind);
        if kind == FaultKind::ProcessCrash {
            n = n.saturating_sub(setup);
        }
        for _ in 0..n {
            out.hit(kind);
        }
    }
    out
}

/// Runs `sc`, turning a panic (a broken node invariant) into a violation.
pub fn run_scenario_catching(sc: &Scenario) -> ScenarioReport {
    match std::panic::catch_unwind(|| run_scenario(sc)) {
        Ok(r) => r,
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into());
            ScenarioReport {
                name: sc.name,
                violations: vec![format!("panic: {msg}")],
                committed: 0,
                counters: FaultCounters::default(),
                unsynced_lost: 0,
                repairs: Vec::new(),
                leader_terms: 0,
                corrupt_snapshots: 0,
                installs: 0,
                compactions: 0,
                membership_changes: 0,
                voters: Vec::new(),
                sim_time: Duration::ZERO,
                digest: 0,
                log: None,
            }
        }
    }
}

//! The Raft suite: a 3- or 5-node group of real [`RaftNode`]s over
//! io-sim packets, disks, clocks and processes, driven from one seed.
//!
//! A *safety phase* runs a proposal workload under the faults the seed
//! chose (partitions, drop/dup/reorder/delay, crashes that lose unsynced
//! data on one node, a minority or all nodes, pauses, clock drift and
//! jumps, disk damage on a minority), with the [`checkers`] after every
//! step. A *liveness phase* then stops the faults: the group must elect a
//! leader and commit a new entry within [`LIVENESS_MAX`] simulated time.

pub mod bench;
pub mod checkers;
pub mod scenario;

use checkers::{chain_hash, entry_hash, RaftChecker};
use rnatsd_core::raft::{
    CommittedEntry, InjectedBugs, LogStore, Message, NodeId, OpenError, ProposeError, RaftConfig,
    RaftNode, Ready, RecoveryBugs, Snapshot,
};
use rnatsd_core::time::Instant;
use rnatsd_io_sim::clock::NodeClock;
use rnatsd_io_sim::disk::{DiskConfig, SimDisk};
use rnatsd_io_sim::faults::{FaultAtlas, FaultCounters};
use rnatsd_io_sim::net::{PacketConfig, PacketNet};
use rnatsd_io_sim::prng::{fork_seed, range_inclusive, Prng, Ratio};
use rnatsd_io_sim::process::{Process, ProcessState};
use rnatsd_io_sim::queue::EventQueue;
use rnatsd_io_sim::trace::Trace;
use std::time::Duration;

const DIR: &str = "raft/g";
pub const LIVENESS_MAX: Duration = Duration::from_secs(15);
/// Node steps per seed; more means a message storm (a bug).
const STEPS_MAX: u64 = 3_000_000;

/// What to run.
#[derive(Clone, Debug)]
pub struct RaftSimConfig {
    pub seed: u64,
    /// 3 or 5; 0 lets the seed choose.
    pub nodes: u64,
    pub bugs: InjectedBugs,
    pub recovery_bugs: RecoveryBugs,
    /// Make crashes and damage much more frequent (for bug hunts).
    pub harsh: bool,
    pub log: bool,
}

impl RaftSimConfig {
    pub fn new(seed: u64) -> RaftSimConfig {
        RaftSimConfig {
            seed,
            nodes: 0,
            bugs: InjectedBugs::default(),
            recovery_bugs: RecoveryBugs::default(),
            harsh: false,
            log: false,
        }
    }
}

/// The outcome of one seed.
#[derive(Debug)]
pub struct RaftReport {
    pub seed: u64,
    pub params: String,
    /// Harness events: compactions, snapshot installs, membership
    /// changes, stepdowns, refused starts.
    pub events: String,
    pub compactions: u64,
    pub installs: u64,
    pub membership_changes: u64,
    pub stepdowns: u64,
    pub refused_starts: u64,
    pub violations: Vec<String>,
    pub committed: usize,
    pub sim_time: Duration,
    pub digest: u64,
    pub counters: FaultCounters,
    pub log: Option<Vec<String>>,
}

impl RaftReport {
    pub fn failed(&self) -> bool {
        !self.violations.is_empty()
    }
}

pub fn report(r: &RaftReport) -> String {
    format!(
        "SEED={} {}\n  {}\n  committed={} sim_time={:?} digest={:016x}\n  faults: {}\n  violations:\n    {}",
        r.seed,
        r.params,
        r.events,
        r.committed,
        r.sim_time,
        r.digest,
        r.counters,
        if r.violations.is_empty() { "none".to_string() } else { r.violations.join("\n    ") }
    )
}

#[derive(Debug)]
enum Ev {
    Deliver { from: NodeId, to: NodeId, bytes: Vec<u8> },
    Timer { node: usize, inc: u64 },
    Persist { node: usize, inc: u64 },
    Restart { node: usize },
    Resume { node: usize },
    Propose,
    Fault,
    DiskTick,
}

struct SimNode {
    proc: Process<RaftNode>,
    store: Option<LogStore>,
    outstanding: Option<Ready>,
    timer_at: Instant,
    /// The node's state machine (lost on a crash, rebuilt from its
    /// snapshot and the log).
    app: App,
    /// It refused to start (both meta slots damaged) and stays down.
    refused: bool,
}

/// The simulated application: the index it applied through and a running
/// hash of every entry applied (its whole state, for the checkers).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct App {
    pub index: u64,
    pub hash: u64,
}

impl App {
    pub fn encode(&self) -> Vec<u8> {
        [self.index.to_le_bytes(), self.hash.to_le_bytes()].concat()
    }

    pub fn decode(s: &Snapshot) -> App {
        let hash = s.data.get(8..16).and_then(|b| b.try_into().ok()).map_or(0, u64::from_le_bytes);
        App { index: s.index, hash }
    }

    fn apply(&mut self, c: &CommittedEntry) {
        self.index = c.index;
        self.hash = chain_hash(self.hash, entry_hash(c.entry.entry_type as u8, &c.entry.data));
    }
}

/// How the simulated application and the harness use snapshots and
/// membership changes in one run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Features {
    /// Snapshot and compact once this many entries were applied past the
    /// last snapshot (0: never).
    pub compact_every: u64,
    pub chunk_size: usize,
    /// Fault ticks may remove a voter and add it back, step the leader
    /// down (with a preferred successor or not), and make a node an
    /// observer.
    pub membership: bool,
}

impl Features {
    pub const NONE: Features = Features { compact_every: 0, chunk_size: 64 * 1024, membership: false };
}

struct Sim {
    cfg: RaftSimConfig,
    prng: Prng,
    q: EventQueue<Ev>,
    net: PacketNet,
    nodes: Vec<SimNode>,
    ids: Vec<NodeId>,
    checker: RaftChecker,
    trace: Trace,
    faults_on: bool,
    fsync_max: Duration,
    crash: Ratio,
    next_value: u64,
    /// First value proposed in the liveness phase.
    liveness_from: Option<u64>,
    liveness_ok: bool,
    steps: u64,
    /// A crashed node restarts by itself after a random delay (false in
    /// scripted scenarios, whose script restarts it).
    auto_restart: bool,
    /// The workload proposes new values (false once a scenario drains).
    proposing: bool,
    features: Features,
    /// Bench mode: entries proposed per millisecond (0: the normal
    /// workload).
    burst: u64,
    /// Nodes that may be removed from the voters (those whose disks are
    /// intact stay, so the intact majority is always a voter majority).
    removable: Vec<NodeId>,
    /// Starts refused because both meta slots were damaged.
    refused_starts: u64,
    /// Restarts that found a corrupt snapshot file.
    corrupt_snapshots: u64,
    /// Snapshots installed from a leader, and local compactions.
    installs: u64,
    compactions: u64,
    membership_changes: u64,
    transfers: u64,
}

fn raft_config(id: NodeId, ids: &[NodeId], bugs: InjectedBugs) -> RaftConfig {
    let mut c = RaftConfig::new(id, ids.to_vec());
    c.bugs = bugs;
    c
}

fn new_sim_node(proc: Process<RaftNode>) -> SimNode {
    SimNode { proc, store: None, outstanding: None, timer_at: Instant::ZERO, app: App::default(), refused: false }
}

impl Sim {
    fn node_now(&self, i: usize) -> Instant {
        self.nodes[i].proc.clock.mono(self.q.now())
    }

    fn start_node(&mut self, i: usize, seed: u64) -> bool {
        let (id, ids, bugs, rbugs) = (self.ids[i], self.ids.clone(), self.cfg.bugs, self.cfg.recovery_bugs);
        let now = self.node_now(i);
        let chunk = self.features.chunk_size;
        let sn = &mut self.nodes[i];
        let Some(disk) = sn.proc.disk.as_mut() else { return false };
        match LogStore::open(disk, DIR, rbugs) {
            Ok((store, rec)) => {
                let repair = rec.repair_index;
                if rec.report.snapshot_corrupt {
                    self.corrupt_snapshots += 1;
                }
                sn.store = Some(store);
                sn.outstanding = None;
                sn.app = rec.snapshot.as_ref().map(App::decode).unwrap_or_default();
                let app = sn.app;
                let mut cfg = raft_config(id, &ids, bugs);
                cfg.snapshot_chunk_size = chunk;
                let node = RaftNode::new(cfg, rec, seed, now);
                sn.proc.restart(|_, _| node);
                if app.index > 0 {
                    self.checker.installed(id, app.index, app.hash);
                }
                self.trace.note(|| format!("node {id} restarted, repair {repair:?}, snapshot {}", app.index));
                true
            }
            Err(OpenError::MetaLost { .. }) => {
                // Refuses to start, for good (docs/RAFT.md).
                sn.refused = true;
                self.refused_starts += 1;
                self.trace.note(|| format!("node {id} refuses to start: meta lost"));
                false
            }
            Err(OpenError::Storage(_)) => false,
        }
    }

    /// Processes the node's Ready batches and re-arms its timer.
    fn pump(&mut self, i: usize) {
        let now_g = self.q.now();
        let inc = self.nodes[i].proc.incarnation();
        if self.nodes[i].outstanding.is_none() {
            let sn = &mut self.nodes[i];
            let Some(node) = sn.proc.running() else { return };
            if let Some(rd) = node.ready() {
                let store = sn.store.as_mut().expect("running node has a store");
                let disk = sn.proc.disk.as_mut().expect("disk");
                if store.write(disk, &rd).is_err() {
                    self.crash_node(i);
                    return;
                }
                let msgs = rd.messages.clone();
                self.nodes[i].outstanding = Some(rd);
                for (to, m) in msgs {
                    self.send(self.ids[i], to, &m);
                }
                let d = Duration::from_nanos(range_inclusive(&mut self.prng, 0, self.fsync_max.as_nanos() as u64));
                self.q.schedule(now_g + d, Ev::Persist { node: i, inc });
            }
        }
        self.arm_timer(i);
    }

    fn arm_timer(&mut self, i: usize) {
        let now_g = self.q.now();
        let inc = self.nodes[i].proc.incarnation();
        let sn = &mut self.nodes[i];
        let Some(t) = sn.proc.node().and_then(|n| n.poll_timeout()) else { return };
        let g = sn.proc.clock.to_global(t, now_g);
        if g < sn.timer_at || sn.timer_at <= now_g {
            sn.timer_at = g;
            self.q.schedule(g, Ev::Timer { node: i, inc });
        }
    }

    fn persist(&mut self, i: usize) {
        let Some(rd) = self.nodes[i].outstanding.take() else { return };
        let sn = &mut self.nodes[i];
        let store = sn.store.as_mut().expect("store");
        let disk = sn.proc.disk.as_mut().expect("disk");
        if store.sync(disk, &rd).is_err() {
            self.crash_node(i);
            return;
        }
        let now = self.node_now(i);
        let id = self.ids[i];
        if let Some(n) = self.nodes[i].proc.running() {
            n.on_persisted(now, rd.number);
        }
        for (to, m) in &rd.persisted_messages {
            self.send(id, *to, m);
        }
        if rd.install_snapshot {
            if let Some(s) = rd.snapshot.as_ref() {
                let app = App::decode(s);
                self.nodes[i].app = app;
                self.installs += 1;
                self.trace.note(|| format!("node {id} installed a snapshot at {}", s.index));
                self.checker.installed(id, app.index, app.hash);
            }
        }
        for c in &rd.committed {
            self.trace.record(self.q.now(), id, "apply", &c.entry.data);
            self.checker.applied(id, c);
            self.nodes[i].app.apply(c);
            if self.liveness_from.is_some_and(|v| decode_value(&c.entry.data) >= Some(v)) {
                self.liveness_ok = true;
            }
        }
        self.maybe_compact(i);
        self.after_step(i);
    }

    /// The application snapshots once enough was applied past the last one.
    fn maybe_compact(&mut self, i: usize) {
        let every = self.features.compact_every;
        if every == 0 {
            return;
        }
        let app = self.nodes[i].app;
        let Some(n) = self.nodes[i].proc.running() else { return };
        if app.index == n.applied_index() && app.index >= n.log().snap_index() + every && n.compact(app.index, app.encode()).is_ok() {
            self.compactions += 1;
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, m: &Message) {
        let Ok(bytes) = m.encode() else { return };
        for at in self.net.send(self.q.now(), from, to) {
            self.q.schedule(at, Ev::Deliver { from, to, bytes: bytes.clone() });
        }
    }

    fn after_step(&mut self, i: usize) {
        self.steps += 1;
        if let Some(n) = self.nodes[i].proc.node() {
            n.check_invariants();
            self.checker.after_step(n);
        }
        if self.steps.is_multiple_of(512) {
            self.checker.check_log_matching(self.nodes.iter().filter_map(|s| s.proc.node()));
        }
        self.pump(i);
    }

    fn crash_node(&mut self, i: usize) {
        if self.nodes[i].proc.state() == ProcessState::Crashed {
            return;
        }
        self.nodes[i].proc.crash();
        self.nodes[i].store = None;
        self.nodes[i].outstanding = None;
        self.checker.restarted(self.ids[i]);
        self.trace.note(|| format!("node {} crashed", i + 1));
        if !self.auto_restart {
            return;
        }
        let d = Duration::from_millis(range_inclusive(&mut self.prng, 10, 2_000));
        self.q.schedule(self.q.now() + d, Ev::Restart { node: i });
    }

    fn running(&mut self, i: usize, inc: Option<u64>) -> bool {
        let p = &self.nodes[i].proc;
        p.state() == ProcessState::Running && inc.is_none_or(|x| x == p.incarnation())
    }

    fn step(&mut self, ev: Ev) {
        match ev {
            Ev::Deliver { from, to, bytes } => {
                let i = (to - 1) as usize;
                if !self.net.deliverable(from, to) || !self.running(i, None) {
                    if self.nodes[i].proc.state() == ProcessState::Paused {
                        let at = self.q.now() + Duration::from_millis(20);
                        self.q.schedule(at, Ev::Deliver { from, to, bytes });
                    }
                    return;
                }
                self.trace.record(self.q.now(), to, "deliver", &bytes);
                let Ok(m) = Message::decode(&bytes) else { return };
                let now = self.node_now(i);
                if let Some(n) = self.nodes[i].proc.running() {
                    n.handle_message(now, from, m);
                }
                self.after_step(i);
            }
            Ev::Timer { node, inc } => {
                if !self.running(node, Some(inc)) {
                    return;
                }
                let now = self.node_now(node);
                if let Some(n) = self.nodes[node].proc.running() {
                    if n.poll_timeout().is_some_and(|t| t <= now) {
                        n.handle_timeout(now);
                    }
                }
                self.after_step(node);
            }
            Ev::Persist { node, inc } => {
                if self.running(node, Some(inc)) {
                    self.persist(node);
                } else if self.nodes[node].proc.state() == ProcessState::Paused {
                    let at = self.q.now() + Duration::from_millis(20);
                    self.q.schedule(at, Ev::Persist { node, inc });
                }
            }
            Ev::Restart { node } => {
                let seed = fork_seed(&mut self.prng);
                if self.nodes[node].proc.state() == ProcessState::Crashed {
                    if self.start_node(node, seed) {
                        // A node that refused to start is like one under
                        // repair: it never votes, so it cannot help elect a
                        // leader that lacks an entry.
                        let nodes: Vec<Option<&RaftNode>> = self.nodes.iter().map(|s| s.proc.node()).collect();
                        self.checker.check_durability(&nodes, self.nodes.len() / 2 + 1);
                        self.pump(node);
                    } else if !self.nodes[node].refused {
                        let at = self.q.now() + Duration::from_millis(100);
                        self.q.schedule(at, Ev::Restart { node });
                    }
                }
            }
            Ev::Resume { node } => {
                self.nodes[node].proc.resume();
                self.pump(node);
            }
            Ev::Propose => self.propose(),
            Ev::Fault => self.fault(),
            Ev::DiskTick => {
                for sn in &mut self.nodes {
                    if let Some(d) = sn.proc.disk.as_mut() {
                        d.tick();
                    }
                }
                if self.faults_on {
                    self.q.schedule(self.q.now() + Duration::from_millis(50), Ev::DiskTick);
                }
            }
        }
    }

    fn propose(&mut self) {
        if !self.proposing {
            return;
        }
        if self.burst > 0 {
            self.propose_burst();
            return;
        }
        let v = self.next_value;
        self.next_value += 1;
        let data = v.to_le_bytes().to_vec();
        for i in 0..self.nodes.len() {
            let now = self.node_now(i);
            if let Some(n) = self.nodes[i].proc.running() {
                if n.is_leader() && n.propose(now, data.clone()).is_ok() {
                    self.after_step(i);
                    break;
                }
            }
        }
        let gap = Duration::from_millis(range_inclusive(&mut self.prng, 1, 40));
        self.q.schedule(self.q.now() + gap, Ev::Propose);
    }

    /// Bench workload: up to `burst` entries every millisecond, while the
    /// leader has fewer than `BENCH_BACKLOG` uncommitted.
    fn propose_burst(&mut self) {
        if let Some(i) = self.leader_index() {
            let now = self.node_now(i);
            let mut proposed = false;
            for _ in 0..self.burst {
                let Some(n) = self.nodes[i].proc.running() else { break };
                if n.log().last_index() - n.commit_index() >= bench::BENCH_BACKLOG {
                    break;
                }
                let data = [self.next_value.to_le_bytes().as_slice(), &[0u8; 120]].concat();
                if n.propose(now, data).is_err() {
                    break;
                }
                self.next_value += 1;
                proposed = true;
            }
            if proposed {
                self.after_step(i);
            }
        }
        self.q.schedule(self.q.now() + Duration::from_millis(1), Ev::Propose);
    }

    fn fault(&mut self) {
        if !self.faults_on {
            return;
        }
        let n = self.nodes.len();
        let now = self.q.now();
        let pick = self.prng.below(n as u64) as usize;
        match self.prng.below(10) {
            0 => self.net.heal(),
            1 => {
                let others: Vec<u64> = self.ids.clone();
                self.net.isolate(self.ids[pick], &others);
            }
            2 => {
                let other = self.ids[(pick + 1) % n];
                self.net.partition_one_way(self.ids[pick], other);
            }
            3 => {
                // Majority / minority split.
                self.net.heal();
                let minority = (n - 1) / 2;
                for k in 0..minority {
                    let a = self.ids[(pick + k) % n];
                    for j in minority..n {
                        self.net.partition(a, self.ids[(pick + j) % n]);
                    }
                }
            }
            4 | 5 if self.crash.sample(&mut self.prng) => {
                let count = match self.prng.below(6) {
                    0 => n,
                    1 | 2 => (n - 1) / 2,
                    _ => 1,
                };
                for k in 0..count {
                    self.crash_node((pick + k) % n);
                }
            }
            6 => {
                if self.nodes[pick].proc.state() == ProcessState::Running {
                    self.nodes[pick].proc.pause();
                    let d = Duration::from_millis(range_inclusive(&mut self.prng, 10, 1_500));
                    self.q.schedule(now + d, Ev::Resume { node: pick });
                }
            }
            7 => {
                let drift = range_inclusive(&mut self.prng, 0, 1_000) as i64 - 500;
                self.nodes[pick].proc.clock.set_drift(now, drift);
            }
            8 => self.nodes[pick].proc.clock.jump_wall(-5_000_000_000),
            _ if self.features.membership => self.membership_fault(pick),
            _ => {}
        }
        let gap = Duration::from_millis(range_inclusive(&mut self.prng, 50, 600));
        self.q.schedule(now + gap, Ev::Fault);
    }

    /// One line per node, for failure messages.
    fn node_states(&self) -> String {
        let states: Vec<String> = self
            .nodes
            .iter()
            .map(|s| match s.proc.node() {
                Some(n) => format!(
                    "{}:{:?}/{:?} term={} commit={} applied={} last={} snap={} repair={:?} voters={:?} observer={}",
                    n.id(),
                    s.proc.state(),
                    n.state(),
                    n.term(),
                    n.commit_index(),
                    n.applied_index(),
                    n.log().last_index(),
                    n.log().snap_index(),
                    n.repair_index(),
                    n.voters(),
                    n.is_observer()
                ),
                None => format!("{:?} refused={}", s.proc.state(), s.refused),
            })
            .collect();
        states.join("; ")
    }

    fn events(&self) -> String {
        format!(
            "compactions={} installs={} membership_changes={} stepdowns={} refused_starts={}",
            self.compactions, self.installs, self.membership_changes, self.transfers, self.refused_starts
        )
    }

    fn leader_index(&self) -> Option<usize> {
        let mut best: Option<(u64, usize)> = None;
        for (i, sn) in self.nodes.iter().enumerate() {
            if let Some(n) = sn.proc.node().filter(|n| n.is_leader()) {
                if best.is_none_or(|b| n.term() > b.0) {
                    best = Some((n.term(), i));
                }
            }
        }
        best.map(|b| b.1)
    }

    /// Membership faults: remove a removable voter or demote it to a
    /// non-voting observer, or add it back as a voter; step the leader
    /// down (to a preferred successor or not); toggle NRG's observer mode
    /// (a voter that does not campaign).
    fn membership_fault(&mut self, pick: usize) {
        let Some(l) = self.leader_index() else { return };
        let now = self.node_now(l);
        let target = self.ids[pick];
        match self.prng.below(4) {
            0 | 1 => {
                // The voters stay within one of every node, so the
                // durability check's fixed quorum holds for both sizes.
                let removable = self.removable.contains(&target);
                let Some(n) = self.nodes[l].proc.running() else { return };
                let missing = self.ids.iter().copied().find(|id| !n.voters().contains(id));
                let demote = self.prng.below(2) == 0;
                let r = match missing {
                    Some(m) => n.propose_add_peer(now, m),
                    None if removable && demote => n.propose_add_observer(now, target),
                    None if removable => n.propose_remove_peer(now, target),
                    None => Err(ProposeError::NotLeader(None)),
                };
                if r.is_ok() {
                    self.membership_changes += 1;
                    self.trace.note(|| format!("membership: add {missing:?} or remove {target}"));
                }
            }
            2 => {
                let preferred = (self.prng.below(2) == 0).then_some(target);
                let Some(n) = self.nodes[l].proc.running() else { return };
                n.step_down(now, preferred);
                self.transfers += 1;
            }
            _ => {
                if let Some(n) = self.nodes[pick].proc.running() {
                    let on = !n.is_observer() && self.prng.below(2) == 0;
                    n.set_observer(on);
                }
            }
        }
        self.after_step(l);
    }

    /// Stops every fault: heal, resume, restart, perfect disks.
    fn calm(&mut self) {
        self.faults_on = false;
        self.net.heal();
        for i in 0..self.nodes.len() {
            if let Some(d) = self.nodes[i].proc.disk.as_mut() {
                d.set_config(DiskConfig::perfect());
            }
            if self.nodes[i].proc.state() == ProcessState::Paused {
                self.nodes[i].proc.resume();
                self.pump(i);
            }
            if let Some(n) = self.nodes[i].proc.running() {
                n.set_observer(false);
            }
        }
    }
}

fn decode_value(data: &[u8]) -> Option<u64> {
    data.try_into().ok().map(u64::from_le_bytes)
}

fn disk_config(prng: &mut Prng, harsh: bool) -> DiskConfig {
    let mut d = DiskConfig::perfect();
    let on = |prng: &mut Prng, r: Ratio| if harsh || prng.below(2) == 0 { r } else { Ratio::NEVER };
    d.torn_write = on(prng, Ratio::new(1, 2));
    d.truncation = on(prng, Ratio::new(1, 4));
    d.stale_rollback = on(prng, Ratio::new(1, 8));
    d.bit_flip_at_rest = on(prng, Ratio::new(1, 200));
    d
}

/// Runs one seed.
pub fn run_seed(cfg: &RaftSimConfig) -> RaftReport {
    let mut prng = Prng::from_seed(cfg.seed ^ 0x5241_4654);
    let n = if cfg.nodes == 0 { if prng.below(2) == 0 { 3 } else { 5 } } else { cfg.nodes };
    let ids: Vec<NodeId> = (1..=n).collect();
    let mut packet = PacketConfig::perfect();
    packet.delay_max = Duration::from_micros(range_inclusive(&mut prng, 100, 5_000));
    let pick = |prng: &mut Prng, r: Ratio| if cfg.harsh || prng.below(2) == 0 { r } else { Ratio::NEVER };
    packet.drop = pick(&mut prng, Ratio::new(1, 20));
    packet.duplicate = pick(&mut prng, Ratio::new(1, 20));
    packet.reorder = pick(&mut prng, Ratio::new(1, 4));
    packet.reorder_max = Duration::from_millis(range_inclusive(&mut prng, 0, 30));
    let crash = if cfg.harsh { Ratio::ALWAYS } else { pick(&mut prng, Ratio::new(1, 2)) };
    let fsync_max = Duration::from_micros(range_inclusive(&mut prng, 10, if cfg.harsh { 20_000 } else { 5_000 }));
    let safety = Duration::from_secs(range_inclusive(&mut prng, 5, 20));
    let disk_faults = cfg.harsh || prng.below(2) == 0;
    let intact = (n / 2 + 1) as usize;
    let mut atlases = FaultAtlas::for_replicas(n as usize, intact, &mut prng);
    // Half the seeds expose the meta file (term, vote, high-water mark) to
    // damage, but not to stale rollback (a lost write no checksum can
    // see): docs/RAFT.md on meta damage.
    let meta_exposed = prng.below(2) == 0;
    if !meta_exposed {
        for a in atlases.iter_mut() {
            a.protect = vec![format!("{DIR}/meta")];
        }
    }
    let features = Features {
        compact_every: [0, 8, 30, 100][prng.below(4) as usize],
        chunk_size: [16, 64, 512, 64 * 1024][prng.below(4) as usize],
        membership: prng.below(2) == 0,
    };
    let removable: Vec<NodeId> =
        ids.iter().zip(&atlases).filter(|(_, a)| a.damage_allowed).map(|(id, _)| *id).collect();
    let params = format!(
        "nodes={n} safety={safety:?} fsync_max={fsync_max:?} crash={crash} disk_faults={disk_faults} meta_exposed={meta_exposed} {features:?} packet: {packet}"
    );
    let mut nodes = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        let mut dcfg = if disk_faults { disk_config(&mut prng, cfg.harsh) } else { DiskConfig::perfect() };
        if meta_exposed {
            dcfg.stale_rollback = Ratio::NEVER;
        }
        let disk = SimDisk::new(fork_seed(&mut prng), dcfg, atlases[k].clone());
        let clock = NodeClock::new(range_inclusive(&mut prng, 0, 1_000_000_000), 0);
        let placeholder = RaftNode::new(raft_config(*id, &ids, cfg.bugs), Default::default(), 1, Instant::ZERO);
        let mut proc = Process::new(*id, placeholder, clock, Some(disk));
        proc.crash();
        nodes.push(new_sim_node(proc));
    }
    let mut sim = Sim {
        cfg: cfg.clone(),
        q: EventQueue::new(),
        net: PacketNet::new(fork_seed(&mut prng), packet),
        nodes,
        ids,
        checker: RaftChecker::default(),
        trace: if cfg.log { Trace::new().with_log() } else { Trace::new() },
        faults_on: true,
        fsync_max,
        crash,
        next_value: 1,
        liveness_from: None,
        liveness_ok: false,
        steps: 0,
        auto_restart: true,
        proposing: true,
        features,
        burst: 0,
        removable,
        refused_starts: 0,
        corrupt_snapshots: 0,
        installs: 0,
        compactions: 0,
        membership_changes: 0,
        transfers: 0,
        prng,
    };
    for i in 0..sim.nodes.len() {
        sim.q.schedule(Instant::ZERO, Ev::Restart { node: i });
    }
    sim.q.schedule(Instant::from_nanos(1), Ev::Propose);
    sim.q.schedule(Instant::ZERO + Duration::from_millis(500), Ev::Fault);
    sim.q.schedule(Instant::ZERO + Duration::from_millis(50), Ev::DiskTick);
    let safety_end = Instant::ZERO + safety;
    let run = |sim: &mut Sim, until: Instant, stop_on_live: bool| {
        while let Some(t) = sim.q.peek_time() {
            if t > until || (stop_on_live && sim.liveness_ok) || !sim.checker.violations.is_empty() {
                break;
            }
            if sim.steps > STEPS_MAX {
                let v = format!("step budget exceeded at {:?} (queue {})", sim.q.now(), sim.q.len());
                sim.checker.violations.push(v);
                break;
            }
            let (_, ev) = sim.q.pop().expect("peeked");
            sim.step(ev);
        }
    };
    run(&mut sim, safety_end, false);
    sim.calm();
    sim.liveness_from = Some(sim.next_value);
    run(&mut sim, safety_end + LIVENESS_MAX, true);
    sim.checker.check_log_matching(sim.nodes.iter().filter_map(|s| s.proc.node()));
    if sim.checker.violations.is_empty() && !sim.liveness_ok {
        sim.checker.violations.push(format!(
            "liveness: no entry proposed after the faults stopped was committed within {LIVENESS_MAX:?}: {}",
            sim.node_states()
        ));
    }
    let mut counters = sim.net.counters().clone();
    for sn in &sim.nodes {
        counters.merge(sn.proc.counters());
        if let Some(d) = sn.proc.disk.as_ref() {
            counters.merge(d.counters());
        }
    }
    RaftReport {
        seed: cfg.seed,
        params,
        events: sim.events(),
        compactions: sim.compactions,
        installs: sim.installs,
        membership_changes: sim.membership_changes,
        stepdowns: sim.transfers,
        refused_starts: sim.refused_starts,
        violations: sim.checker.violations.clone(),
        committed: sim.checker.committed.len(),
        sim_time: sim.q.now().saturating_duration_since(Instant::ZERO),
        digest: sim.trace.digest(),
        counters,
        log: sim.trace.log().map(|l| l.to_vec()),
    }
}

/// Runs one seed, turning a panic (a broken invariant) into a violation.
pub fn run_seed_catching(cfg: &RaftSimConfig) -> RaftReport {
    match std::panic::catch_unwind(|| run_seed(cfg)) {
        Ok(r) => r,
        Err(e) => {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into());
            RaftReport {
                seed: cfg.seed,
                params: String::new(),
                events: String::new(),
                compactions: 0,
                installs: 0,
                membership_changes: 0,
                stepdowns: 0,
                refused_starts: 0,
                violations: vec![format!("panic: {msg}")],
                committed: 0,
                sim_time: Duration::ZERO,
                digest: 0,
                counters: FaultCounters::default(),
                log: None,
            }
        }
    }
}

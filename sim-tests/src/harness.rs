//! The core workload: one rnatsd-core [`Server`] and many simulated clients
//! over simulated byte streams, all driven from one seed.
//!
//! Each step pops one event from the [`EventQueue`], feeds the server or a
//! client, drains the server's events, records everything in the [`Trace`]
//! and calls `check_invariants()`. When the workload stops, the run goes on
//! until nothing but server timers is left (every byte in flight has been
//! delivered), then the [`Model`] does its final checks.

use crate::checkers::{ClientOp, Model, MsgRecord};
use crate::wire::{self, ServerOp};
use bytes::{Bytes, BytesMut};
use rnatsd_core::options::{ServerOptions, User};
use rnatsd_core::server::accounts::{AccountOptions, ExportKind, ExportOptions, ImportOptions};
use rnatsd_core::server::{ConnId, Event, RemoteAddr, Server};
use rnatsd_core::time::Instant;
use rnatsd_io_sim::clock::NodeClock;
use rnatsd_io_sim::faults::FaultCounters;
use rnatsd_io_sim::net::{Dir, Received, Sent, StreamId, StreamNet};
use rnatsd_io_sim::prng::{fork_seed, range_inclusive, Prng, Ratio};
use rnatsd_io_sim::queue::EventQueue;
use rnatsd_io_sim::swarm::SwarmConfig;
use rnatsd_io_sim::trace::Trace;
use std::collections::VecDeque;
use std::time::Duration;

const SUBJECTS: [&str; 6] = ["a", "a.b", "a.c", "b.x", "b.y", "c.d.e"];
const FILTERS: [&str; 11] = [
    "a", "a.b", "a.c", "b.x", "b.y", "c.d.e", "a.*", "*.x", "a.>", "b.>", "*.d.>",
];
const QUEUES: [&str; 2] = ["q1", "q2"];
/// The stream account 0 exports (and account 1 may import).
const IMPORTED: &str = "b.>";
/// Bytes the harness lets sit unread toward one client before it stops
/// draining the server's output for it (the server then buffers).
const CLIENT_WINDOW: usize = 64 * 1024;

/// What to run.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub seed: u64,
    /// Keep a readable event log.
    pub log: bool,
    /// Keep the per-step digest history (for locating divergence).
    pub history: bool,
    /// Switch on the engine's planted bug.
    pub canary: bool,
}

impl SimConfig {
    pub fn new(seed: u64) -> SimConfig {
        SimConfig {
            seed,
            log: false,
            history: false,
            canary: false,
        }
    }
}

/// The parameters the seed chose (printed with every failure).
#[derive(Clone, Debug)]
pub struct Workload {
    pub swarm: SwarmConfig,
    pub clients_initial: u64,
    pub clients_max: u64,
    pub run_for: Duration,
    pub act_gap_max: Duration,
    pub think_max: Duration,
    pub ping_interval: Duration,
    pub garbage: Ratio,
    /// Accounts the clients are spread over (0: none, all in `$G`).
    pub accounts: u64,
    /// With accounts: account 1 imports account 0's `b.>` stream.
    pub stream_import: bool,
}

impl Workload {
    pub fn from_prng(prng: &mut Prng) -> Workload {
        let mut swarm = SwarmConfig::from_prng(prng);
        // The core workload has no disk and one process; keep what applies.
        swarm.crash = Ratio::NEVER;
        swarm.pause = Ratio::NEVER;
        Workload {
            swarm,
            clients_initial: range_inclusive(prng, 1, 5),
            clients_max: range_inclusive(prng, 5, 12),
            run_for: Duration::from_millis(range_inclusive(prng, 1_000, 20_000)),
            act_gap_max: Duration::from_micros(range_inclusive(prng, 200, 50_000)),
            think_max: Duration::from_millis(range_inclusive(prng, 100, 2_000)),
            ping_interval: Duration::from_millis(range_inclusive(prng, 300, 5_000)),
            garbage: [Ratio::NEVER, Ratio::new(1, 500), Ratio::new(1, 50)][prng.below(3) as usize],
            accounts: 0,
            stream_import: false,
        }
    }

    /// Chooses the accounts from their own stream of the seed, so runs
    /// without accounts keep the workload they had before accounts existed.
    fn choose_accounts(&mut self, seed: u64) {
        let mut p = Prng::from_seed(seed ^ 0xACC0_u64.rotate_left(40));
        if p.below(2) == 0 {
            self.accounts = range_inclusive(&mut p, 2, 3);
            self.stream_import = p.below(2) == 0;
        }
    }

    /// The `accounts {}` options: account `i` is `ACC<i>` with user `u<i>`;
    /// account 0 exports `b.>`, which account 1 imports when chosen.
    fn account_options(&self) -> Vec<AccountOptions> {
        (0..self.accounts)
            .map(|i| {
                let mut a = AccountOptions::new(&format!("ACC{i}"));
                a.users.push(User { username: format!("u{i}"), password: "p".into(), permissions: None });
                if i == 0 {
                    a.exports.push(ExportOptions {
                        kind: ExportKind::Stream,
                        subject: IMPORTED.into(),
                        accounts: Vec::new(),
                        response_type: Default::default(),
                        response_threshold: None,
                    });
                }
                if i == 1 && self.stream_import {
                    a.imports.push(ImportOptions {
                        kind: ExportKind::Stream,
                        account: "ACC0".into(),
                        subject: IMPORTED.into(),
                        prefix: None,
                        to: None,
                    });
                }
                a
            })
            .collect()
    }
}

impl std::fmt::Display for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "workload: clients={}..{} run_for={:?} act_gap_max={:?} think_max={:?} ping_interval={:?} garbage={}",
            self.clients_initial,
            self.clients_max,
            self.run_for,
            self.act_gap_max,
            self.think_max,
            self.ping_interval,
            self.garbage
        )?;
        writeln!(f, "accounts: {} stream_import={}", self.accounts, self.stream_import)?;
        write!(
            f,
            "stream:  {}\nclock:   drift_ppm_max={}",
            self.swarm.stream, self.swarm.drift_ppm_max
        )
    }
}

/// What a run found.
#[derive(Debug)]
pub struct SimReport {
    pub seed: u64,
    pub workload: String,
    pub digest: u64,
    pub steps: u64,
    pub sim_time: Duration,
    pub violations: Vec<String>,
    pub panic: Option<String>,
    pub counters: FaultCounters,
    pub messages: usize,
    pub clients: usize,
    pub log: Option<Vec<String>>,
    pub history: Option<Vec<u64>>,
}

impl SimReport {
    pub fn failed(&self) -> bool {
        self.panic.is_some() || !self.violations.is_empty()
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Ev {
    Connect,
    Act(usize),
    ClientRead(usize),
    ServerRead(usize),
    ServerTimer,
}

#[derive(Debug)]
struct Client {
    stream: StreamId,
    conn: ConnId,
    /// The client may still write (its stream was not reset or closed).
    open: bool,
    /// The server still knows the connection.
    server_open: bool,
    done: bool,
    inbuf: BytesMut,
    sent: u64,
    delivered: u64,
    /// Ops sent but not yet fully handed to the server: (end offset, op).
    pending: VecDeque<(u64, ClientOp)>,
    next_sid: u64,
    /// (sid, filter, queue, is a request inbox)
    subs: Vec<(u64, String, Option<String>, bool)>,
    headers: bool,
    blocked: bool,
    final_ping_sent: bool,
}

/// One simulation run.
pub struct Sim {
    _cfg: SimConfig,
    work: Workload,
    prng: Prng,
    queue: EventQueue<Ev>,
    active: usize,
    net: StreamNet,
    server: Server,
    clock: NodeClock,
    timer_at: Option<Instant>,
    clients: Vec<Client>,
    conn_owner: std::collections::HashMap<ConnId, usize>,
    model: Model,
    trace: Trace,
    run_until: Instant,
    out: BytesMut,
}

impl Sim {
    pub fn new(cfg: SimConfig) -> Result<Sim, String> {
        let mut prng = Prng::from_seed(cfg.seed);
        let mut work = Workload::from_prng(&mut prng);
        work.choose_accounts(cfg.seed);
        let net = StreamNet::new(fork_seed(&mut prng), work.swarm.stream.clone());
        let drift = if work.swarm.drift_ppm_max == 0 {
            0
        } else {
            range_inclusive(&mut prng, 0, 2 * work.swarm.drift_ppm_max as u64) as i64
                - work.swarm.drift_ppm_max
        };
        let clock = NodeClock::new(range_inclusive(&mut prng, 0, 1 << 40), drift);
        let opts = ServerOptions {
            ping_interval: work.ping_interval,
            max_pings_out: 2,
            accounts: work.account_options(),
            ..ServerOptions::default()
        };
        let mut server = Server::new(
            opts,
            fork_seed(&mut prng),
            clock.mono(Instant::ZERO),
            clock.wall(Instant::ZERO),
        )?;
        if cfg.canary {
            server.enable_canary_bug();
        }
        let mut trace = Trace::new();
        if cfg.log {
            trace = trace.with_log();
        }
        if cfg.history {
            trace = trace.with_history();
        }
        let run_until = Instant::ZERO + work.run_for;
        let imports = work_accounts_imports(&work);
        let mut sim = Sim {
            _cfg: cfg,
            work,
            prng,
            queue: EventQueue::new(),
            active: 0,
            net,
            server,
            clock,
            timer_at: None,
            clients: Vec::new(),
            conn_owner: Default::default(),
            model: Model::with_accounts(imports),
            trace,
            run_until,
            out: BytesMut::new(),
        };
        for _ in 0..sim.work.clients_initial {
            sim.schedule(Instant::ZERO, Ev::Connect);
        }
        sim.arm_timer();
        Ok(sim)
    }

    fn now(&self) -> Instant {
        self.queue.now()
    }

    fn server_now(&self) -> Instant {
        self.clock.mono(self.now())
    }

    fn schedule(&mut self, at: Instant, ev: Ev) {
        if ev != Ev::ServerTimer {
            self.active += 1;
        }
        self.queue.schedule(at, ev);
    }

    fn arm_timer(&mut self) {
        let Some(deadline) = self.server.poll_timeout() else {
            return;
        };
        let at = self.clock.to_global(deadline, self.now());
        if self.timer_at.is_none_or(|t| at < t || t < self.now()) {
            self.timer_at = Some(at);
            self.schedule(at, Ev::ServerTimer);
        }
    }

    /// Runs to the end and checks.
    pub fn run(&mut self) {
        let hard_stop = self.run_until + Duration::from_secs(120);
        while let Some((at, ev)) = self.queue.pop() {
            if ev != Ev::ServerTimer {
                self.active -= 1;
            }
            if at > hard_stop {
                self.model_violation(format!("run did not quiesce by {hard_stop:?}"));
                break;
            }
            self.step(ev);
            self.server.check_invariants();
            self.arm_timer();
            if self.trace.steps() & 1023 == 0 {
                self.checkpoint();
            }
            if at >= self.run_until && self.active == 0 {
                break;
            }
        }
        self.checkpoint();
        self.model.finish();
    }

    fn model_violation(&mut self, text: String) {
        self.trace.note(|| format!("VIOLATION {text}"));
        self.model.report_violation(text);
    }

    fn checkpoint(&mut self) {
        let s = format!(
            "conns={} subs={} in={} out={}",
            self.server.num_connections(),
            self.server.num_subscriptions(),
            self.server.stats().in_msgs,
            self.server.stats().out_msgs
        );
        let now = self.now();
        self.trace.record(now, 0, "checkpoint", s.as_bytes());
    }

    fn step(&mut self, ev: Ev) {
        match ev {
            Ev::Connect => self.connect(),
            Ev::Act(k) => self.act(k),
            Ev::ClientRead(k) => self.client_read(k),
            Ev::ServerRead(k) => self.server_read(k),
            Ev::ServerTimer => {
                if self.timer_at != Some(self.now()) {
                    return; // superseded
                }
                self.timer_at = None;
                let (now, snow) = (self.now(), self.server_now());
                self.trace.record(now, 0, "timeout", &[]);
                self.server.handle_timeout(snow);
                self.drain_events();
            }
        }
    }
}

/// The stream imports of a workload as the model sees them:
/// (exporting account, importing account, subject filter).
fn work_accounts_imports(work: &Workload) -> Vec<(usize, usize, String)> {
    if work.accounts >= 2 && work.stream_import {
        vec![(0, 1, IMPORTED.to_string())]
    } else {
        Vec::new()
    }
}

pub use run::{report, run_seed};
#[path = "harness_client.rs"]
mod client_side;
#[path = "harness_run.rs"]
mod run;

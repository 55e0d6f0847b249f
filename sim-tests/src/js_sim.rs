//! JetStream publishers under crashes and disk errors, end to end through
//! the protocol engine: a client publishes with `Nats-Msg-Id` and waits for
//! PubAcks (held by the engine until the group-commit flush); the node
//! crashes at random, losing everything unsynced; the publisher retries
//! what was not acknowledged, with the same ids. The checker:
//!
//! - every acknowledged message is readable after every recovery, byte
//!   exact, at the sequence its ack named;
//! - acknowledged sequences grow in publish order;
//! - no id is stored twice (dedup survives restarts within the window).
//!
//! The disk is honest here (EIO, ENOSPC and torn unsynced writes, no
//! damage): a single node must then lose nothing it acknowledged.
//!
//! Half of the seeds (chosen from the seed) give JetStream's storage sync
//! handles ([`SharedDisk::with_deferred_sync`]): the group commit then goes
//! through `Server::poll_sync`, and [`DeferredSyncs`] completes each batch
//! 0..=5 ms of virtual time later (`handle_sync_done`), publishes may
//! arrive in several reads while a batch is in progress, and a crash drops
//! the pending batches or runs their handles without reporting them
//! (durable, never acknowledged). A client waiting for replies makes the
//! clock advance to the next due batch, a bounded number of times.

use std::collections::BTreeMap;

use bytes::BytesMut;
use rnatsd_core::jetstream::{JetStream, JsConfig, StorageFactory};
use rnatsd_core::options::ServerOptions;
use rnatsd_core::prng::Prng;
use rnatsd_core::server::{ConnId, Event, RemoteAddr, Server};
use rnatsd_core::storage::{Storage, SyncBatch};
use rnatsd_core::time::{Instant, UnixNanos};
use rnatsd_io_sim::disk::{DiskConfig, SimDisk};
use rnatsd_io_sim::faults::{FaultAtlas, FaultCounters};
use rnatsd_io_sim::prng::Ratio;
use rnatsd_io_sim::shared::SharedDisk;

use crate::wire::{self, ServerOp};

/// What one seed did and found.
#[derive(Clone, Debug)]
pub struct JsSimReport {
    pub seed: u64,
    pub params: String,
    pub published: u64,
    pub acked: u64,
    pub duplicates_acked: u64,
    pub crashes: u64,
    pub counters: FaultCounters,
    pub sync: SyncStats,
    pub violations: Vec<String>,
}

impl JsSimReport {
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }
}

const WALL0: UnixNanos = 1_700_000_000_000_000_000;
const STREAM_CREATE: &str = "{\"name\":\"S\",\"subjects\":[\"s.>\"],\"allow_direct\":true,\"duplicate_window\":3600000000000}";

/// One running node: the engine with JetStream installed, and a client.
struct Node {
    server: Server,
    client: ConnId,
    inbox: BytesMut,
    now: u64,
    syncs: DeferredSyncs,
}

impl Node {
    /// Boots over `disk`, taking over `syncs` (given back on failure).
    fn boot(disk: &SharedDisk, seed: u64, now: u64, lazy: bool, slot: &mut DeferredSyncs) -> Result<Node, String> {
        let mut opts = ServerOptions::default();
        opts.jetstream.enabled = true;
        let at = Instant::from_nanos(now);
        let wall = WALL0 + now as i64;
        let mut server = Server::new(opts, seed, at, wall)?;
        let d = slot.storage(disk);
        let factory: StorageFactory = Box::new(move |_dir: &str| Box::new(d.clone()) as Box<dyn Storage + Send>);
        let js = JetStream::new(JsConfig { sync_always: !lazy, ..JsConfig::default() }, factory, at, wall)?;
        server.set_internal_service(at, Box::new(js));
        let client = server.handle_accept(at, RemoteAddr { ip: "127.0.0.1".into(), port: 1 });
        let syncs = std::mem::replace(slot, DeferredSyncs::new(0, Some(false)));
        let mut node = Node { server, client, inbox: BytesMut::new(), now, syncs };
        node.syncs.collect(&mut node.server, now);
        let mut hello = wire::connect(true, true);
        hello.extend_from_slice(&wire::sub("_INBOX.>", None, 1));
        node.send(&hello);
        if let Err(e) = node.take_msgs() {
            *slot = node.crash();
            return Err(e);
        }
        Ok(node)
    }

    /// The node dies, its pending sync batches with it (see
    /// [`DeferredSyncs::crash`]); it must not be called again. Returns the
    /// syncs for the next boot.
    fn crash(&mut self) -> DeferredSyncs {
        self.syncs.crash();
        std::mem::replace(&mut self.syncs, DeferredSyncs::new(0, Some(false)))
    }

    fn send(&mut self, bytes: &[u8]) {
        self.now += 1_000_000;
        self.syncs.complete_due(&mut self.server, self.now);
        self.server.handle_read(Instant::from_nanos(self.now), self.client, bytes);
        self.server.check_invariants();
        self.syncs.collect(&mut self.server, self.now);
    }

    /// Sends `parts` in the reads [`chunks`] chose, the clock moving 0..3 ms
    /// between them (batches falling due complete on the way).
    fn send_parts(&mut self, parts: Vec<Vec<u8>>) {
        for (i, c) in chunks(&mut self.syncs, parts).into_iter().enumerate() {
            if i > 0 {
                self.now += self.syncs.prng.below(3_000_000);
            }
            self.send(&c);
        }
    }

    /// Moves the clock to each pending batch's due time and completes it,
    /// until none is pending (bounded: a node that keeps beginning batches
    /// without new writes is stuck, a finding).
    fn wait_syncs(&mut self) -> Result<(), String> {
        for _ in 0..MAX_SYNC_WAIT {
            let Some(due) = self.syncs.next_due() else {
                return Ok(());
            };
            self.now = self.now.max(due);
            self.syncs.complete_due(&mut self.server, self.now);
        }
        Err(format!("sync batches still pending after {MAX_SYNC_WAIT} completions"))
    }

    /// Every MSG/HMSG the client got once the pending syncs completed.
    fn take_msgs(&mut self) -> Result<Vec<ServerOp>, String> {
        self.wait_syncs()?;
        self.take_msgs_now()
    }

    /// Every MSG/HMSG the client got since the last call, without waiting.
    fn take_msgs_now(&mut self) -> Result<Vec<ServerOp>, String> {
        while let Some(ev) = self.server.poll_event() {
            if let Event::Close(id) = ev {
                if id == self.client {
                    return Err("the server closed the client".into());
                }
            }
        }
        let mut out = BytesMut::new();
        self.server.poll_transmit(self.client, &mut out);
        self.inbox.extend_from_slice(&out);
        let mut msgs = Vec::new();
        while let Some(op) = wire::decode(&mut self.inbox).map_err(|e| e.0)? {
            if matches!(op, ServerOp::Msg { .. }) {
                msgs.push(op);
            }
        }
        Ok(msgs)
    }

    fn request(&mut self, subject: &str, body: &[u8]) -> Result<Option<ServerOp>, String> {
        self.send(&wire::publish(subject, Some("_INBOX.req"), None, body));
        Ok(self.take_msgs()?.into_iter().find(|m| matches!(m, ServerOp::Msg { subject, .. } if subject == "_INBOX.req")))
    }

    /// DIRECT.GET by sequence: (msg id header, payload), or None if absent.
    fn get(&mut self, seq: u64) -> Result<Option<(String, Vec<u8>)>, String> {
        let body = format!("{{\"seq\":{seq}}}");
        match self.request("$JS.API.DIRECT.GET.S", body.as_bytes())? {
            Some(ServerOp::Msg { headers: Some(h), payload, .. }) => {
                let text = String::from_utf8_lossy(&h).into_owned();
                if text.starts_with("NATS/1.0 404") {
                    return Ok(None);
                }
                if !text.starts_with("NATS/1.0\r\n") {
                    return Err(format!("direct get {seq}: status {:?}", text.lines().next()));
                }
                let id = text
                    .lines()
                    .find_map(|l| l.strip_prefix("Nats-Msg-Id: "))
                    .unwrap_or("")
                    .to_string();
                Ok(Some((id, payload.to_vec())))
            }
            other => Err(format!("direct get {seq}: unexpected reply {other:?}")),
        }
    }
}

fn payload_of(id: u64) -> Vec<u8> {
    format!("payload-{id}-{}", id.wrapping_mul(0x9E37_79B9)).into_bytes()
}

/// Runs one seed with rnatsd's default: acks wait for fsync.
pub fn run_js_seed(seed: u64) -> JsSimReport {
    run_js_seed_with(seed, false)
}

/// Runs one seed; `lazy` acknowledges before fsync, as Go's default
/// `sync_interval` does (Jepsen's F1): the checker must then find loss.
pub fn run_js_seed_with(seed: u64, lazy: bool) -> JsSimReport {
    run_js_seed_sync(seed, lazy, None)
}

/// Runs one seed; `deferred` forces the sync mode (`None`: the seed
/// chooses, see [`DeferredSyncs`]).
pub fn run_js_seed_sync(seed: u64, lazy: bool, deferred: Option<bool>) -> JsSimReport {
    let mut syncs = DeferredSyncs::new(seed, deferred);
    let mut prng = Prng::from_seed(seed ^ 0x1e75_7ea3);
    let mut cfg = DiskConfig::perfect();
    cfg.torn_write = Ratio::new(1, 1 + prng.below(3));
    cfg.eio_sync = Ratio::new(1, 30 + prng.below(100));
    cfg.eio_write = Ratio::new(1, 200 + prng.below(600));
    cfg.enospc = Ratio::new(1, 300 + prng.below(900));
    let rounds = 40 + prng.below(40) as usize;
    let params = format!("rounds={rounds} disk: {cfg}");
    let disk = SharedDisk::new(SimDisk::new(prng.next_u64(), cfg, FaultAtlas::pristine()));
    let mut r = JsSimReport {
        seed,
        params,
        published: 0,
        acked: 0,
        duplicates_acked: 0,
        crashes: 0,
        counters: FaultCounters::default(),
        sync: SyncStats::default(),
        violations: Vec::new(),
    };
    if let Err(e) = run_rounds(&mut prng, &disk, seed, rounds, lazy, &mut syncs, &mut r) {
        r.violations.push(e);
    }
    r.counters = disk.disk().counters().clone();
    r.sync = syncs.stats.clone();
    r
}

fn run_rounds(
    prng: &mut Prng,
    disk: &SharedDisk,
    seed: u64,
    rounds: usize,
    lazy: bool,
    syncs: &mut DeferredSyncs,
    r: &mut JsSimReport,
) -> Result<(), String> {
    let mut node = boot_retrying(disk, seed, 0, lazy, syncs)?;
    let res = rounds_on(prng, disk, seed, rounds, lazy, &mut node, r);
    *syncs = node.crash();
    res
}

fn rounds_on(
    prng: &mut Prng,
    disk: &SharedDisk,
    seed: u64,
    rounds: usize,
    lazy: bool,
    node: &mut Node,
    r: &mut JsSimReport,
) -> Result<(), String> {
    ensure_stream(node)?;
    // id -> acknowledged sequence.
    let mut acked: BTreeMap<u64, u64> = BTreeMap::new();
    let mut unacked: Vec<u64> = Vec::new();
    let mut next_id = 1u64;
    let mut last_acked_seq = 0u64;
    for _ in 0..rounds {
        // A batch in one read: the engine holds the acks until one flush.
        let mut ids: Vec<u64> = std::mem::take(&mut unacked);
        for _ in 0..1 + prng.below(12) {
            ids.push(next_id);
            next_id += 1;
        }
        let mut parts = Vec::new();
        for id in &ids {
            let hdr = format!("NATS/1.0\r\nNats-Msg-Id: m{id}\r\n\r\n");
            parts.push(wire::publish("s.x", Some(&format!("_INBOX.p.{id}")), Some(hdr.as_bytes()), &payload_of(*id)));
            r.published += 1;
        }
        node.send_parts(parts);
        // Deferred: sometimes the node dies with batches pending, the
        // publisher holding only the acks already released.
        let early_crash = node.syncs.chance(1, 5);
        let mut replies = if early_crash { node.take_msgs_now()? } else { node.take_msgs()? };
        // Sometimes the acks never reach the publisher (the node dies just
        // after sending them): the retry must then be answered as a
        // duplicate at the original sequence, not stored again.
        let lose_acks = prng.chance(1, 5);
        if lose_acks {
            replies.clear();
        }
        let mut got: BTreeMap<u64, String> = BTreeMap::new();
        for m in replies {
            if let ServerOp::Msg { subject, payload, .. } = m {
                if let Some(id) = subject.strip_prefix("_INBOX.p.").and_then(|s| s.parse::<u64>().ok()) {
                    got.insert(id, String::from_utf8_lossy(&payload).into_owned());
                }
            }
        }
        for id in ids {
            let Some(ack) = got.get(&id) else {
                unacked.push(id);
                continue;
            };
            let v: serde_json::Value = serde_json::from_str(ack).map_err(|e| format!("ack for m{id} is not JSON: {e}: {ack}"))?;
            if v.get("error").is_some() {
                unacked.push(id);
                continue;
            }
            let seq = v["seq"].as_u64().ok_or(format!("ack without seq: {ack}"))?;
            let dup = v["duplicate"].as_bool().unwrap_or(false);
            if dup {
                r.duplicates_acked += 1;
            }
            match acked.get(&id) {
                Some(prev) if *prev != seq => {
                    return Err(format!("m{id} acked at seq {prev} and again at {seq}"));
                }
                Some(_) => {}
                None => {
                    if !dup && seq <= last_acked_seq {
                        return Err(format!("m{id} acked at seq {seq}, not after {last_acked_seq}"));
                    }
                    last_acked_seq = last_acked_seq.max(seq);
                    acked.insert(id, seq);
                    r.acked += 1;
                }
            }
        }
        if lose_acks || prng.chance(1, 6) || early_crash {
            let mut syncs = node.crash();
            disk.disk().crash();
            r.crashes += 1;
            *node = boot_retrying(disk, seed, r.crashes * 1_000_000_000, lazy, &mut syncs)?;
            ensure_stream(node)?;
            check(node, &acked)?;
        }
    }
    check(node, &acked)
}

/// Boots, retrying when recovery hits a transient disk error. `syncs` goes
/// to the node (and stays with the caller on failure).
fn boot_retrying(disk: &SharedDisk, seed: u64, now: u64, lazy: bool, syncs: &mut DeferredSyncs) -> Result<Node, String> {
    let mut last = String::new();
    for _ in 0..20 {
        match Node::boot(disk, seed, now, lazy, syncs) {
            Ok(n) => return Ok(n),
            Err(e) => last = e,
        }
    }
    Err(format!("boot kept failing: {last}"))
}

fn ensure_stream(node: &mut Node) -> Result<(), String> {
    for _ in 0..20 {
        if let Some(ServerOp::Msg { payload, .. }) = node.request("$JS.API.STREAM.INFO.S", b"")? {
            let v: serde_json::Value = serde_json::from_slice(&payload).map_err(|e| e.to_string())?;
            if v.get("error").is_none() {
                return Ok(());
            }
        }
        node.request("$JS.API.STREAM.CREATE.S", STREAM_CREATE.as_bytes())?;
    }
    Err("could not create the stream".into())
}

fn check(node: &mut Node, acked: &BTreeMap<u64, u64>) -> Result<(), String> {
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let last = acked.values().copied().max().unwrap_or(0);
    for seq in 1..=last + 20 {
        if let Some((id, _)) = node.get(seq)? {
            if let Some(prev) = seen.insert(id.clone(), seq) {
                return Err(format!("{id} stored twice, at seq {prev} and {seq}"));
            }
        }
    }
    for (id, seq) in acked {
        match node.get(*seq)? {
            Some((got_id, payload)) if got_id == format!("m{id}") && payload == payload_of(*id) => {}
            Some((got_id, _)) => return Err(format!("acked m{id} at seq {seq}: found {got_id} there")),
            None => return Err(format!("acked m{id} at seq {seq} is gone")),
        }
    }
    Ok(())
}

/// Seeds choose their sync mode from their own stream, so a seed keeps the
/// workload it had before deferred syncs existed, plus the sync choices.
const SYNC_SALT: u64 = 0x5e1f_d00d_0000_0000;
/// A deferred batch completes 0..=5 ms (virtual) after the engine began it.
const MAX_SYNC_DELAY: u64 = 5_000_000;
/// Batches the simulation completes in one wait before it calls the node
/// stuck: without new writes, a service begins at most one more batch.
pub(crate) const MAX_SYNC_WAIT: usize = 64;

/// What the deferred syncs of one seed did.
#[derive(Clone, Debug, Default)]
pub struct SyncStats {
    /// The seed ran the storage with sync handles (group commit through
    /// `Server::poll_sync`).
    pub deferred: bool,
    /// Batches taken from `Server::poll_sync`.
    pub batches: u64,
    /// Batches run and reported with `Server::handle_sync_done`.
    pub completed: u64,
    /// Handle results that were errors (disk faults).
    pub failed_results: u64,
    /// Batches a crash dropped before they ran.
    pub dropped: u64,
    /// Batches whose handles ran, the node crashing before the report:
    /// durable, never acknowledged.
    pub ran_unreported: u64,
}

impl std::fmt::Display for SyncStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.deferred {
            return write!(f, "syncs: inline");
        }
        write!(
            f,
            "syncs: deferred, {} batches ({} completed, {} failed handle results, {} dropped by a crash, {} ran but unreported)",
            self.batches, self.completed, self.failed_results, self.dropped, self.ran_unreported
        )
    }
}

/// The simulation's side of split-phase syncs (`rnatsd_core::server::sync`):
/// the batches the engine began, each due at a virtual time the seed chose.
/// It outlives a node: a crash drops (or runs without reporting) what is
/// pending, and the next boot takes it over.
pub(crate) struct DeferredSyncs {
    /// Delays and crash choices; separate from the workload's stream.
    pub prng: Prng,
    /// (due time in nanoseconds, batch), in the order the engine began them.
    pending: Vec<(u64, SyncBatch)>,
    pub stats: SyncStats,
}

impl DeferredSyncs {
    /// The seed's choice (half of the seeds defer), unless `force` says.
    pub fn new(seed: u64, force: Option<bool>) -> DeferredSyncs {
        let mut prng = Prng::from_seed(seed ^ SYNC_SALT);
        let choice = prng.chance(1, 2);
        let stats = SyncStats { deferred: force.unwrap_or(choice), ..SyncStats::default() };
        DeferredSyncs { prng, pending: Vec::new(), stats }
    }

    pub fn on(&self) -> bool {
        self.stats.deferred
    }

    /// The storage JetStream's factory hands out.
    pub fn storage(&self, disk: &SharedDisk) -> SharedDisk {
        if self.on() {
            disk.clone().with_deferred_sync()
        } else {
            disk.clone()
        }
    }

    /// A chance taken only when deferred (so inline seeds keep their runs).
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.on() && self.prng.chance(num, den)
    }

    /// Takes every batch the engine began; call after every engine call.
    pub fn collect(&mut self, server: &mut Server, now: u64) {
        while let Some(batch) = server.poll_sync() {
            self.stats.batches += 1;
            let due = now + self.prng.below(MAX_SYNC_DELAY + 1);
            self.pending.push((due, batch));
        }
    }

    /// The earliest due time of a pending batch.
    pub fn next_due(&self) -> Option<u64> {
        self.pending.iter().map(|(t, _)| *t).min()
    }

    /// Runs and reports every batch due by `now`, earliest first, then
    /// checks the engine's invariants and takes the batches that began.
    pub fn complete_due(&mut self, server: &mut Server, now: u64) {
        while let Some(i) = self.earliest_due(now) {
            let (_, batch) = self.pending.remove(i);
            let results = batch.run();
            self.stats.completed += 1;
            self.stats.failed_results += results.iter().filter(|r| r.is_err()).count() as u64;
            server.handle_sync_done(Instant::from_nanos(now), batch.id, results);
            server.check_invariants();
            self.collect(server, now);
        }
    }

    fn earliest_due(&self, now: u64) -> Option<usize> {
        let (i, (t, _)) = self.pending.iter().enumerate().min_by_key(|(i, (t, _))| (*t, *i))?;
        (*t <= now).then_some(i)
    }

    /// The node crashes: pending batches are dropped, or (sometimes) their
    /// handles run first, the node dying before `handle_sync_done`.
    pub fn crash(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let run_first = self.prng.chance(1, 2);
        for (_, batch) in self.pending.drain(..) {
            if run_first {
                batch.run();
                self.stats.ran_unreported += 1;
            } else {
                self.stats.dropped += 1;
            }
        }
    }
}

/// Splits `parts` (whole protocol messages) into 1..=3 sends when the
/// syncs are deferred, so writes arrive while a batch is in progress.
pub(crate) fn chunks(syncs: &mut DeferredSyncs, parts: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let n = if syncs.on() { 1 + syncs.prng.below(3) as usize } else { 1 };
    let mut out: Vec<Vec<u8>> = vec![Vec::new(); n];
    let len = parts.len().max(1);
    for (i, p) in parts.into_iter().enumerate() {
        out[i * n / len].extend_from_slice(&p);
    }
    out.retain(|c| !c.is_empty());
    out
}

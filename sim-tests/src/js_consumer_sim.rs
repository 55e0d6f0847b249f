//! A workqueue stream with a durable pull consumer under crashes, disk
//! faults and wall-clock skew, end to end through the protocol engine.
//!
//! A producer publishes with `Nats-Msg-Id` and retries what was not
//! acknowledged; a worker pulls (no wait), then double-acks, plain-acks,
//! naks or ignores each message; the simulated clock runs past `ack_wait`
//! so ignored messages come back; the wall clock jumps back and forth; the
//! node crashes, losing everything unsynced. The checker:
//!
//! - no message whose double ack was answered is delivered again, and it
//!   is gone from the stream by the end (it is removed only after an ack);
//! - a message missing from the stream was acked (or terminated) by the
//!   worker at some point;
//! - delivery counts: never above the deliveries the worker saw, and
//!   exactly those while no crash happened;
//! - at least once: after a final drain every acknowledged publish was
//!   delivered, and the stream is empty.
//!
//! Half of the seeds run the group commit split-phase, as in
//! [`crate::js_sim`]: batches complete 0..=5 ms of virtual time after they
//! began (interleaved with the engine's timers), publishes and acks arrive
//! in several reads, and the node sometimes crashes with batches pending,
//! dropped or run without their report.

use std::collections::{BTreeMap, BTreeSet};

use bytes::BytesMut;
use rnatsd_core::jetstream::{JetStream, JsConfig, StorageFactory};
use rnatsd_core::options::ServerOptions;
use rnatsd_core::prng::Prng;
use rnatsd_core::server::{ConnId, Event, RemoteAddr, Server};
use rnatsd_core::storage::Storage;
use rnatsd_core::time::{Instant, UnixNanos};
use rnatsd_io_sim::disk::{DiskConfig, SimDisk};
use rnatsd_io_sim::faults::{FaultAtlas, FaultCounters};
use rnatsd_io_sim::prng::Ratio;
use rnatsd_io_sim::shared::SharedDisk;

use crate::js_sim::{chunks, DeferredSyncs, SyncStats, MAX_SYNC_WAIT};

use crate::wire::{self, ServerOp};

/// What one seed did and found.
#[derive(Clone, Debug, Default)]
pub struct ConsumerSimReport {
    pub seed: u64,
    pub params: String,
    pub published: u64,
    pub deliveries: u64,
    pub redeliveries: u64,
    pub answered_acks: u64,
    pub crashes: u64,
    pub counters: FaultCounters,
    pub sync: SyncStats,
    pub violations: Vec<String>,
}

impl ConsumerSimReport {
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }
}

const WALL0: UnixNanos = 1_700_000_000_000_000_000;
const ACK_WAIT: u64 = 2_000_000_000;
const STREAM: &str = "{\"name\":\"W\",\"subjects\":[\"w.>\"],\"retention\":\"workqueue\",\"allow_direct\":true,\"duplicate_window\":3600000000000}";
const CONSUMER: &str = "{\"stream_name\":\"W\",\"config\":{\"durable_name\":\"C\",\"ack_policy\":\"explicit\",\"ack_wait\":2000000000,\"max_ack_pending\":64}}";

struct Node {
    server: Server,
    client: ConnId,
    inbox: BytesMut,
    now: u64,
    /// Wall clock minus monotonic clock (moved by skew).
    skew: i64,
    syncs: DeferredSyncs,
    /// Deliveries the worker received, whatever it was waiting for (with
    /// deferred syncs a held delivery may come with any later reply).
    deliveries: Vec<Delivery>,
}

impl Node {
    /// Boots over `disk`, taking over `slot`'s syncs (given back on failure).
    fn boot(
        disk: &SharedDisk,
        seed: u64,
        now: u64,
        skew: i64,
        slot: &mut DeferredSyncs,
    ) -> Result<Node, String> {
        let mut opts = ServerOptions::default();
        opts.jetstream.enabled = true;
        let at = Instant::from_nanos(now);
        let wall = WALL0 + skew + now as i64;
        let mut server = Server::new(opts, seed, at, wall)?;
        let d = slot.storage(disk);
        let factory: StorageFactory =
            Box::new(move |_: &str| Box::new(d.clone()) as Box<dyn Storage + Send>);
        let js = JetStream::new(JsConfig::default(), factory, at, wall)?;
        if let Some(w) = js.recovery_warnings().first() {
            return Err(format!("recovery: {w:?}"));
        }
        server.set_internal_service(at, Box::new(js));
        let client = server.handle_accept(
            at,
            RemoteAddr {
                ip: "127.0.0.1".into(),
                port: 1,
            },
        );
        let mut node = Node {
            server,
            client,
            inbox: BytesMut::new(),
            now,
            skew,
            syncs: std::mem::replace(slot, DeferredSyncs::new(0, Some(false))),
            deliveries: Vec::new(),
        };
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

    /// The node dies, its pending sync batches with it; it must not be
    /// called again. Returns the syncs for the next boot.
    fn crash(&mut self) -> DeferredSyncs {
        self.syncs.crash();
        std::mem::replace(&mut self.syncs, DeferredSyncs::new(0, Some(false)))
    }

    /// After every engine call: invariants, and the batches it began.
    fn after_call(&mut self) {
        self.server.check_invariants();
        self.syncs.collect(&mut self.server, self.now);
    }

    fn send(&mut self, bytes: &[u8]) {
        self.now += 1_000_000;
        self.syncs.complete_due(&mut self.server, self.now);
        self.server
            .handle_read(Instant::from_nanos(self.now), self.client, bytes);
        self.after_call();
    }

    /// Sends `parts` in the reads [`chunks`] chose, the clock moving 0..3 ms
    /// between them.
    fn send_parts(&mut self, parts: Vec<Vec<u8>>) {
        for (i, c) in chunks(&mut self.syncs, parts).into_iter().enumerate() {
            if i > 0 {
                let dt = self.syncs.prng.below(3_000_000);
                self.advance_to(self.now + dt);
            }
            self.send(&c);
        }
    }

    /// Moves the clock to `end`, completing sync batches and firing timers
    /// as they fall due, in time order (bounded).
    fn advance_to(&mut self, end: u64) {
        for _ in 0..1000 {
            let timer = self
                .server
                .poll_timeout()
                .map(|t| t.as_nanos())
                .filter(|t| *t <= end);
            let batch = self.syncs.next_due().filter(|t| *t <= end);
            match (timer, batch) {
                (None, None) => break,
                (t, Some(b)) if t.is_none_or(|t| b <= t) => {
                    self.now = self.now.max(b);
                    self.syncs.complete_due(&mut self.server, self.now);
                }
                (Some(t), _) => {
                    self.now = self.now.max(t);
                    self.server.handle_timeout(Instant::from_nanos(self.now));
                    self.after_call();
                }
                (None, Some(_)) => unreachable!("matched above"),
            }
        }
        self.now = self.now.max(end);
    }

    /// Moves the clock by `dt`, firing due timers on the way.
    fn advance(&mut self, dt: u64) {
        self.advance_to(self.now + dt);
        self.server.handle_timeout(Instant::from_nanos(self.now));
        self.after_call();
    }

    /// Completes the pending batches, moving the clock to each due time
    /// (bounded: a node that keeps beginning batches is stuck, a finding).
    fn wait_syncs(&mut self) -> Result<(), String> {
        for _ in 0..MAX_SYNC_WAIT {
            let Some(due) = self.syncs.next_due() else {
                return Ok(());
            };
            self.advance_to(due);
        }
        Err(format!(
            "sync batches still pending after {MAX_SYNC_WAIT} waits"
        ))
    }

    /// Steps the wall clock (NTP correcting, an operator, a VM resume).
    fn skew_wall(&mut self, delta: i64) {
        self.skew += delta;
        let at = Instant::from_nanos(self.now);
        self.server
            .handle_wall_clock(at, WALL0 + self.skew + self.now as i64);
        self.after_call();
    }

    /// Every MSG the client got once the pending syncs completed.
    fn take_msgs(&mut self) -> Result<Vec<ServerOp>, String> {
        self.wait_syncs()?;
        self.take_msgs_now()
    }

    /// Every MSG the client got so far, without waiting; deliveries go to
    /// [`Node::deliveries`].
    fn take_msgs_now(&mut self) -> Result<Vec<ServerOp>, String> {
        while let Some(ev) = self.server.poll_event() {
            if matches!(ev, Event::Close(id) if id == self.client) {
                return Err("the server closed the client".into());
            }
        }
        let mut out = BytesMut::new();
        self.server.poll_transmit(self.client, &mut out);
        self.inbox.extend_from_slice(&out);
        let mut msgs = Vec::new();
        let mut ping = false;
        while let Some(op) = wire::decode(&mut self.inbox).map_err(|e| e.0)? {
            match op {
                ServerOp::Msg { .. } => match parse_delivery(&op) {
                    Some(d) => self.deliveries.push(d),
                    None => msgs.push(op),
                },
                ServerOp::Ping => ping = true,
                _ => {}
            }
        }
        if ping {
            // Answered after the clock moved: keep the client alive.
            self.server
                .handle_read(Instant::from_nanos(self.now), self.client, b"PONG\r\n");
            self.after_call();
        }
        Ok(msgs)
    }

    fn request(&mut self, subject: &str, body: &[u8]) -> Result<Option<serde_json::Value>, String> {
        self.send(&wire::publish(subject, Some("_INBOX.req"), None, body));
        for m in self.take_msgs()? {
            if let ServerOp::Msg {
                subject, payload, ..
            } = m
            {
                if subject == "_INBOX.req" {
                    return serde_json::from_slice(&payload)
                        .map(Some)
                        .map_err(|e| e.to_string());
                }
            }
        }
        Ok(None)
    }

    /// Is stream sequence `seq` still stored?
    fn has(&mut self, seq: u64) -> Result<bool, String> {
        let body = format!("{{\"seq\":{seq}}}");
        self.send(&wire::publish(
            "$JS.API.DIRECT.GET.W",
            Some("_INBOX.get"),
            None,
            body.as_bytes(),
        ));
        for m in self.take_msgs()? {
            if let ServerOp::Msg {
                subject, headers, ..
            } = m
            {
                if subject == "_INBOX.get" {
                    let h = headers
                        .map(|h| String::from_utf8_lossy(&h).into_owned())
                        .unwrap_or_default();
                    if h.starts_with("NATS/1.0\r\n") {
                        return Ok(true);
                    }
                    if h.starts_with("NATS/1.0 404") {
                        return Ok(false);
                    }
                    return Err(format!("direct get {seq}: {h:?}"));
                }
            }
        }
        Err(format!("direct get {seq}: no reply"))
    }
}

/// A delivery seen by the worker.
struct Delivery {
    seq: u64,
    dc: u64,
    ack: String,
}

fn parse_delivery(op: &ServerOp) -> Option<Delivery> {
    let ServerOp::Msg {
        subject,
        reply: Some(ack),
        ..
    } = op
    else {
        return None;
    };
    if subject.starts_with("_INBOX.") || !ack.starts_with("$JS.ACK.") {
        return None;
    }
    let t: Vec<&str> = ack.split('.').collect();
    Some(Delivery {
        seq: t.get(5)?.parse().ok()?,
        dc: t.get(4)?.parse().ok()?,
        ack: ack.clone(),
    })
}

/// The checker's memory, across crashes.
#[derive(Default)]
struct Model {
    /// Publish id -> acknowledged stream sequence.
    stored: BTreeMap<u64, u64>,
    unacked_ids: Vec<u64>,
    next_id: u64,
    /// Deliveries seen per stream sequence.
    seen: BTreeMap<u64, u64>,
    /// Sequences the worker sent `+ACK`/`+TERM` for.
    ack_sent: BTreeSet<u64>,
    /// Sequences whose double ack was answered.
    answered: BTreeSet<u64>,
    crashed: bool,
}

/// Runs one seed.
pub fn run_consumer_seed(seed: u64) -> ConsumerSimReport {
    run_consumer_seed_sync(seed, None)
}

/// Runs one seed; `deferred` forces the sync mode (`None`: the seed
/// chooses, see [`DeferredSyncs`]).
pub fn run_consumer_seed_sync(seed: u64, deferred: Option<bool>) -> ConsumerSimReport {
    let mut syncs = DeferredSyncs::new(seed, deferred);
    let mut prng = Prng::from_seed(seed ^ 0xc0_75ee);
    let mut cfg = DiskConfig::perfect();
    cfg.torn_write = Ratio::new(1, 1 + prng.below(3));
    cfg.eio_sync = Ratio::new(1, 40 + prng.below(100));
    cfg.eio_write = Ratio::new(1, 300 + prng.below(600));
    cfg.enospc = Ratio::new(1, 400 + prng.below(900));
    let rounds = 30 + prng.below(30) as usize;
    let mut r = ConsumerSimReport {
        seed,
        params: format!("rounds={rounds} disk: {cfg}"),
        ..Default::default()
    };
    let disk = SharedDisk::new(SimDisk::new(prng.next_u64(), cfg, FaultAtlas::pristine()));
    let mut m = Model {
        next_id: 1,
        ..Model::default()
    };
    if let Err(e) = run(&mut prng, &disk, seed, rounds, &mut m, &mut syncs, &mut r) {
        r.violations.push(e);
    }
    r.counters = disk.disk().counters().clone();
    r.sync = syncs.stats.clone();
    r
}

fn run(
    prng: &mut Prng,
    disk: &SharedDisk,
    seed: u64,
    rounds: usize,
    m: &mut Model,
    syncs: &mut DeferredSyncs,
    r: &mut ConsumerSimReport,
) -> Result<(), String> {
    let mut node = boot(disk, seed, 0, 0, syncs)?;
    let res = rounds_on(prng, disk, seed, rounds, m, &mut node, r);
    *syncs = node.crash();
    res
}

fn rounds_on(
    prng: &mut Prng,
    disk: &SharedDisk,
    seed: u64,
    rounds: usize,
    m: &mut Model,
    node: &mut Node,
    r: &mut ConsumerSimReport,
) -> Result<(), String> {
    for _ in 0..rounds {
        // Deferred: sometimes the node dies with batches pending, right
        // after the publishes or the acks (replies released so far count).
        let early = node.syncs.chance(1, 6);
        publish_batch(prng, node, m, r, !early)?;
        if early {
            crash_and_boot(disk, seed, node, m, r)?;
            check_stream(node, m, false)?;
        }
        if work(prng, node, m, r, false)?.1 {
            crash_and_boot(disk, seed, node, m, r)?;
            check_stream(node, m, false)?;
        }
        if prng.chance(1, 4) {
            node.advance(ACK_WAIT / 2 + prng.below(ACK_WAIT * 2));
        }
        if prng.chance(1, 8) {
            let jump = prng.below(20_000_000_000) as i64 - 10_000_000_000;
            node.skew_wall(jump);
        }
        if prng.chance(1, 7) {
            crash_and_boot(disk, seed, node, m, r)?;
            check_stream(node, m, false)?;
        }
    }
    drain(prng, disk, seed, node, m, r)
}

/// The node crashes (losing everything unsynced and its pending sync
/// batches) and boots again a second later.
fn crash_and_boot(
    disk: &SharedDisk,
    seed: u64,
    node: &mut Node,
    m: &mut Model,
    r: &mut ConsumerSimReport,
) -> Result<(), String> {
    let (now, skew) = (node.now, node.skew);
    let mut syncs = node.crash();
    // Deliveries received before the crash were seen: the worker still
    // handles them (its acks then go to the new incarnation).
    let seen = std::mem::take(&mut node.deliveries);
    disk.disk().crash();
    r.crashes += 1;
    m.crashed = true;
    *node = boot(disk, seed, now + 1_000_000_000, skew, &mut syncs)?;
    node.deliveries = seen;
    Ok(())
}

/// Boots and makes sure the stream and the consumer exist, retrying
/// transient disk errors. `syncs` goes to the node (and stays with the
/// caller on failure).
fn boot(
    disk: &SharedDisk,
    seed: u64,
    now: u64,
    skew: i64,
    syncs: &mut DeferredSyncs,
) -> Result<Node, String> {
    let mut last = String::new();
    for attempt in 0..30 {
        let mut node = match Node::boot(disk, seed, now + attempt * 1_000_000, skew, syncs) {
            Ok(n) => n,
            Err(e) => {
                last = e;
                continue;
            }
        };
        let created = ensure(&mut node, "$JS.API.STREAM.CREATE.W", STREAM).and_then(|ok| {
            if ok {
                ensure(&mut node, "$JS.API.CONSUMER.CREATE.W.C", CONSUMER)
            } else {
                Ok(false)
            }
        });
        match created {
            Ok(true) => return Ok(node),
            Ok(false) => {
                *syncs = node.crash();
                last = "stream or consumer create kept failing".into();
            }
            Err(e) => {
                *syncs = node.crash();
                return Err(e);
            }
        }
    }
    Err(format!("boot kept failing: {last}"))
}

/// Creates (idempotently) until it succeeds; false after too many errors.
fn ensure(node: &mut Node, subject: &str, body: &str) -> Result<bool, String> {
    for _ in 0..10 {
        match node.request(subject, body.as_bytes())? {
            Some(v) if v.get("error").is_none() => return Ok(true),
            Some(v)
                if v["error"]["err_code"].as_u64() != Some(10104)
                    && v["error"]["code"].as_u64() != Some(500) =>
            {
                return Err(format!("{subject}: {v}"));
            }
            _ => {}
        }
    }
    Ok(false)
}

fn publish_batch(
    prng: &mut Prng,
    node: &mut Node,
    m: &mut Model,
    r: &mut ConsumerSimReport,
    wait: bool,
) -> Result<(), String> {
    let mut ids = std::mem::take(&mut m.unacked_ids);
    for _ in 0..1 + prng.below(8) {
        ids.push(m.next_id);
        m.next_id += 1;
    }
    let mut parts = Vec::new();
    for id in &ids {
        let hdr = format!("NATS/1.0\r\nNats-Msg-Id: m{id}\r\n\r\n");
        let subj = format!("w.{}", id % 3);
        parts.push(wire::publish(
            &subj,
            Some(&format!("_INBOX.p.{id}")),
            Some(hdr.as_bytes()),
            b"job",
        ));
        r.published += 1;
    }
    node.send_parts(parts);
    let replies = if wait {
        node.take_msgs()?
    } else {
        node.take_msgs_now()?
    };
    let mut acks: BTreeMap<u64, u64> = BTreeMap::new();
    for op in replies {
        if let ServerOp::Msg {
            subject, payload, ..
        } = op
        {
            let Some(id) = subject
                .strip_prefix("_INBOX.p.")
                .and_then(|s| s.parse::<u64>().ok())
            else {
                continue;
            };
            let v: serde_json::Value =
                serde_json::from_slice(&payload).map_err(|e| e.to_string())?;
            if let Some(seq) = v["seq"].as_u64().filter(|_| v.get("error").is_none()) {
                acks.insert(id, seq);
            }
        }
    }
    for id in ids {
        match acks.get(&id) {
            Some(seq) => {
                m.stored.insert(id, *seq);
            }
            None => m.unacked_ids.push(id),
        }
    }
    Ok(())
}

/// One pull and what the worker does with each message. `finish` double
/// acks everything (the drain). Returns the deliveries, and whether the
/// node is to crash now (deferred syncs: it did not wait for the replies
/// to its acks).
fn work(
    prng: &mut Prng,
    node: &mut Node,
    m: &mut Model,
    r: &mut ConsumerSimReport,
    finish: bool,
) -> Result<(usize, bool), String> {
    let n = 1 + prng.below(16);
    let body = format!("{{\"batch\":{n},\"no_wait\":true}}");
    node.send(&wire::publish(
        "$JS.API.CONSUMER.MSG.NEXT.W.C",
        Some("_INBOX.pull"),
        None,
        body.as_bytes(),
    ));
    node.take_msgs()?;
    let got = std::mem::take(&mut node.deliveries);
    let mut bytes: Vec<Vec<u8>> = Vec::new();
    let mut double: Vec<u64> = Vec::new();
    for d in &got {
        r.deliveries += 1;
        if d.dc > 1 {
            r.redeliveries += 1;
        }
        if m.answered.contains(&d.seq) {
            return Err(format!(
                "seq {} delivered (dc {}) after its ack was answered",
                d.seq, d.dc
            ));
        }
        let seen = m.seen.entry(d.seq).or_default();
        *seen += 1;
        if d.dc > *seen || (!m.crashed && d.dc != *seen) {
            return Err(format!(
                "seq {} delivered with dc {} after {} deliveries (crashed: {})",
                d.seq, d.dc, seen, m.crashed
            ));
        }
        let action = if finish { 0 } else { prng.below(6) };
        match action {
            0 | 1 => {
                bytes.push(wire::publish(
                    &d.ack,
                    Some(&format!("_INBOX.a.{}", d.seq)),
                    None,
                    b"+ACK",
                ));
                double.push(d.seq);
                m.ack_sent.insert(d.seq);
            }
            2 => {
                bytes.push(wire::publish(&d.ack, None, None, b"+ACK"));
                m.ack_sent.insert(d.seq);
            }
            3 => bytes.push(wire::publish(&d.ack, None, None, b"-NAK")),
            _ => {}
        }
    }
    let mut crash = false;
    if !bytes.is_empty() {
        node.send_parts(bytes);
        crash = !finish && node.syncs.chance(1, 6);
        let replies = if crash {
            node.take_msgs_now()?
        } else {
            node.take_msgs()?
        };
        for op in replies {
            if let ServerOp::Msg { subject, .. } = op {
                if let Some(seq) = subject
                    .strip_prefix("_INBOX.a.")
                    .and_then(|s| s.parse::<u64>().ok())
                {
                    if double.contains(&seq) && m.answered.insert(seq) {
                        r.answered_acks += 1;
                    }
                }
            }
        }
    }
    Ok((got.len(), crash))
}

/// Every stored message is either still in the stream or was acked; at
/// the end (`done`), no message with an answered ack is left (a removal a
/// disk error stopped is retried, so it may linger until then).
fn check_stream(node: &mut Node, m: &Model, done: bool) -> Result<(), String> {
    let seqs: Vec<u64> = m.stored.values().copied().collect();
    for seq in seqs {
        let present = node.has(seq)?;
        if done && m.answered.contains(&seq) && present {
            return Err(format!("seq {seq}: ack answered, but still in the stream"));
        }
        if !present && !m.ack_sent.contains(&seq) {
            return Err(format!(
                "seq {seq}: removed from the workqueue without an ack"
            ));
        }
    }
    Ok(())
}

/// Without further crashes: publish the unacknowledged retries, pull and
/// double-ack until the stream is empty; then every acknowledged publish
/// must have been delivered.
///
/// The file store is fail-stop (after a disk error it refuses writes until
/// reopened), so a drain that stops making progress restarts the node.
fn drain(
    prng: &mut Prng,
    disk: &SharedDisk,
    seed: u64,
    node: &mut Node,
    m: &mut Model,
    r: &mut ConsumerSimReport,
) -> Result<(), String> {
    let mut idle = 0;
    for _ in 0..400 {
        if idle >= 4 {
            idle = 0;
            crash_and_boot(disk, seed, node, m, r)?;
        }
        if !m.unacked_ids.is_empty() {
            publish_batch(prng, node, m, r, true)?;
            idle += usize::from(!m.unacked_ids.is_empty());
            continue;
        }
        if work(prng, node, m, r, true)?.0 == 0 {
            let info = node
                .request("$JS.API.STREAM.INFO.W", b"")?
                .ok_or("no stream info")?;
            if info["state"]["messages"].as_u64() == Some(0) {
                break;
            }
            idle += 1;
            node.advance(ACK_WAIT + 1);
        }
    }
    if let Err(e) = check_stream(node, m, true) {
        let c = node.request("$JS.API.CONSUMER.INFO.W.C", b"")?;
        let s = node.request("$JS.API.STREAM.INFO.W", b"")?;
        return Err(format!("{e}\n  consumer: {c:?}\n  stream: {s:?}"));
    }
    for (id, seq) in &m.stored {
        if !m.seen.contains_key(seq) {
            return Err(format!(
                "m{id} (seq {seq}) was acknowledged to the producer but never delivered"
            ));
        }
    }
    let info = node
        .request("$JS.API.STREAM.INFO.W", b"")?
        .ok_or("no stream info")?;
    match info["state"]["messages"].as_u64() {
        Some(0) => Ok(()),
        other => Err(format!("the drain left {other:?} messages: {info}")),
    }
}

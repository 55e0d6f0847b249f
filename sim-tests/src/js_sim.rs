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

use std::collections::BTreeMap;

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
}

impl Node {
    fn boot(disk: &SharedDisk, seed: u64, now: u64, lazy: bool) -> Result<Node, String> {
        let mut opts = ServerOptions::default();
        opts.jetstream.enabled = true;
        let at = Instant::from_nanos(now);
        let wall = WALL0 + now as i64;
        let mut server = Server::new(opts, seed, at, wall)?;
        let d = disk.clone();
        let factory: StorageFactory = Box::new(move |_dir: &str| Box::new(d.clone()) as Box<dyn Storage + Send>);
        let js = JetStream::new(JsConfig { sync_always: !lazy, ..JsConfig::default() }, factory, at, wall)?;
        server.set_internal_service(at, Box::new(js));
        let client = server.handle_accept(at, RemoteAddr { ip: "127.0.0.1".into(), port: 1 });
        let mut node = Node { server, client, inbox: BytesMut::new(), now };
        let mut hello = wire::connect(true, true);
        hello.extend_from_slice(&wire::sub("_INBOX.>", None, 1));
        node.send(&hello);
        node.take_msgs()?;
        Ok(node)
    }

    fn send(&mut self, bytes: &[u8]) {
        self.now += 1_000_000;
        self.server.handle_read(Instant::from_nanos(self.now), self.client, bytes);
        self.server.check_invariants();
    }

    /// Every MSG/HMSG the client got since the last call.
    fn take_msgs(&mut self) -> Result<Vec<ServerOp>, String> {
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
        violations: Vec::new(),
    };
    if let Err(e) = run_rounds(&mut prng, &disk, seed, rounds, lazy, &mut r) {
        r.violations.push(e);
    }
    r.counters = disk.disk().counters().clone();
    r
}

fn run_rounds(
    prng: &mut Prng,
    disk: &SharedDisk,
    seed: u64,
    rounds: usize,
    lazy: bool,
    r: &mut JsSimReport,
) -> Result<(), String> {
    let mut node = boot_retrying(disk, seed, 0, lazy)?;
    ensure_stream(&mut node)?;
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
        let mut bytes = Vec::new();
        for id in &ids {
            let hdr = format!("NATS/1.0\r\nNats-Msg-Id: m{id}\r\n\r\n");
            bytes.extend_from_slice(&wire::publish("s.x", Some(&format!("_INBOX.p.{id}")), Some(hdr.as_bytes()), &payload_of(*id)));
            r.published += 1;
        }
        node.send(&bytes);
        let mut replies = node.take_msgs()?;
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
        if lose_acks || prng.chance(1, 6) {
            drop(node);
            disk.disk().crash();
            r.crashes += 1;
            node = boot_retrying(disk, seed, r.crashes * 1_000_000_000, lazy)?;
            ensure_stream(&mut node)?;
            check(&mut node, &acked)?;
        }
    }
    check(&mut node, &acked)
}

/// Boots, retrying when recovery hits a transient disk error.
fn boot_retrying(disk: &SharedDisk, seed: u64, now: u64, lazy: bool) -> Result<Node, String> {
    let mut last = String::new();
    for _ in 0..20 {
        match Node::boot(disk, seed, now, lazy) {
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

//! JetStream streams driven directly (no engine): the JSON API, the publish
//! path with group-commit acks, and recovery over a crashed simulated disk.
//! Ported Go tests from server/jetstream_test.go keep their names,
//! snake_cased; they run on memory and file streams where Go does.
// The storages JetStream asks its factory for all land on one simulated
// disk, through io-sim's `SharedDisk`.

use rnatsd_core::jetstream::{JetStream, JsConfig, Outgoing, StorageFactory};
use rnatsd_core::storage::Storage;
use rnatsd_core::time::{Instant, UnixNanos};
use rnatsd_io_sim::disk::{DiskConfig, SimDisk};
use rnatsd_io_sim::faults::FaultAtlas;
use serde_json::{json, Value};

const NOW: UnixNanos = 1_700_000_000_000_000_000;
const SEC: i64 = 1_000_000_000;
const INBOX: &[u8] = b"_INBOX.reply";

type Shared = rnatsd_io_sim::shared::SharedDisk;

fn new_disk(seed: u64) -> Shared {
    let disk = SimDisk::new(seed, DiskConfig::perfect(), FaultAtlas::pristine());
    Shared::new(disk)
}

struct Env {
    js: JetStream,
    disk: Shared,
    now: u64,
    rt: UnixNanos,
}

fn factory(disk: &Shared) -> StorageFactory {
    let disk = disk.clone();
    Box::new(move |_dir: &str| Box::new(disk.clone()) as Box<dyn Storage + Send>)
}

impl Env {
    fn new() -> Env {
        Env::open(new_disk(7), 0, NOW)
    }

    fn open(disk: Shared, now: u64, rt: UnixNanos) -> Env {
        let js = JetStream::new(
            JsConfig::default(),
            factory(&disk),
            Instant::from_nanos(now),
            rt,
        )
        .expect("recovery");
        Env { js, disk, now, rt }
    }

    /// Drops JetStream, crashes the disk (losing everything unsynced) and
    /// recovers a new JetStream from it.
    fn crash_restart(self) -> Env {
        let Env { js, disk, now, rt } = self;
        drop(js);
        disk.disk().crash();
        Env::open(disk, now, rt + SEC)
    }

    fn advance(&mut self, nanos: i64) {
        self.now += nanos as u64;
        self.rt += nanos;
    }

    fn handle(&mut self, subj: &str, hdr: Option<&[u8]>, payload: &[u8]) -> Vec<Outgoing> {
        let now = Instant::from_nanos(self.now);
        self.js
            .handle_msg(now, self.rt, subj.as_bytes(), Some(INBOX), hdr, payload)
    }

    /// An API request; exactly one JSON response comes back at once.
    fn req(&mut self, subj: &str, payload: Value) -> Value {
        let body = if payload.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&payload).unwrap()
        };
        let out = self.handle(subj, None, &body);
        assert_eq!(out.len(), 1, "one response to {subj}");
        assert_eq!(&out[0].subject[..], INBOX);
        serde_json::from_slice(&out[0].payload).unwrap()
    }

    fn create(&mut self, cfg: Value) -> Value {
        let name = cfg["name"].as_str().unwrap().to_string();
        self.req(&format!("$JS.API.STREAM.CREATE.{name}"), cfg)
    }

    /// A publish whose ack is expected (after a flush if needed).
    fn publish(&mut self, subj: &str, hdr: Option<&[u8]>, payload: &[u8]) -> Value {
        let mut out = self.handle(subj, hdr, payload);
        if out.is_empty() {
            assert!(self.js.wants_flush(), "a held ack means a flush is wanted");
            out = self.js.flush(Instant::from_nanos(self.now));
        }
        assert_eq!(out.len(), 1, "one ack for {subj}");
        serde_json::from_slice(&out[0].payload).unwrap()
    }

    fn info(&mut self, name: &str) -> Value {
        self.req(&format!("$JS.API.STREAM.INFO.{name}"), Value::Null)
    }
}

fn hdr(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut h = b"NATS/1.0\r\n".to_vec();
    for (k, v) in pairs {
        h.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    h.extend_from_slice(b"\r\n");
    h
}

fn err_code(v: &Value) -> i64 {
    v["error"]["err_code"].as_i64().unwrap_or(0)
}

const STORAGES: [&str; 2] = ["memory", "file"];

#[test]
fn test_jet_stream_add_stream() {
    for storage in STORAGES {
        let mut e = Env::new();
        let r = e.create(json!({"name": "foo", "storage": storage}));
        assert_eq!(r["type"], "io.nats.jetstream.api.v1.stream_create_response");
        assert!(r.get("error").is_none(), "{r}");
        assert_eq!(r["did_create"], true);
        let c = &r["config"];
        assert_eq!(c["subjects"], json!(["foo"]));
        assert_eq!(c["retention"], "limits");
        assert_eq!(c["max_msgs"], -1);
        assert_eq!(c["max_bytes"], -1);
        assert_eq!(c["max_consumers"], -1);
        assert_eq!(c["max_msgs_per_subject"], -1);
        assert_eq!(c["max_msg_size"], -1);
        assert_eq!(c["discard"], "old");
        assert_eq!(c["storage"], storage);
        assert_eq!(c["num_replicas"], 1);
        assert_eq!(c["duplicate_window"], 120 * SEC);
        assert_eq!(c["metadata"]["_nats.req.level"], "0");
        assert_eq!(r["state"]["messages"], 0);
        assert_eq!(r["state"]["first_ts"], "0001-01-01T00:00:00Z");
        let a = e.publish("foo", None, b"Hello World!");
        assert_eq!(a, json!({"stream": "foo", "seq": 1}));
        let i = e.info("foo");
        assert_eq!(i["type"], "io.nats.jetstream.api.v1.stream_info_response");
        assert_eq!(i["state"]["messages"], 1);
        assert_eq!(i["state"]["first_seq"], 1);
        assert_eq!(i["state"]["last_seq"], 1);
        assert_eq!(i["state"]["num_subjects"], 1);
        assert_eq!(i["state"]["first_ts"], "2023-11-14T22:13:20Z");
        assert_eq!(i["total"], 0);
    }
}

#[test]
fn test_jet_stream_add_stream_same_config_ok() {
    let mut e = Env::new();
    let cfg = json!({"name": "ok", "subjects": ["foo", "bar", "baz.*", "foo.bar.baz.>"],
                     "storage": "memory"});
    assert!(e.create(cfg.clone()).get("error").is_none());
    let again = e.create(cfg);
    assert!(again.get("error").is_none(), "{again}");
    let other = e.create(json!({"name": "ok", "subjects": ["foo"], "storage": "memory"}));
    assert_eq!(err_code(&other), 10058);
    assert_eq!(
        other["error"]["description"],
        "stream name already in use with a different configuration"
    );
    // Go's decoder leaves fields alone on `null` (clients send them).
    let r = e.create(json!({"name": "n", "subjects": null, "consumer_limits": null}));
    assert!(r.get("error").is_none(), "{r}");
    assert_eq!(r["config"]["subjects"], json!(["n"]));
}

#[test]
fn test_jet_stream_add_stream_canonical_names() {
    let mut e = Env::new();
    for name in ["foo.bar", "foo.*", "foo.>", "*", ">", "foo bar"] {
        let r = e.req(
            &format!("$JS.API.STREAM.CREATE.{name}"),
            json!({"name": name}),
        );
        assert!(r.get("error").is_some(), "{name}: {r}");
    }
    let r = e.req("$JS.API.STREAM.CREATE.x", json!({"name": "x.y"}));
    assert_eq!(err_code(&r), 10056, "name in subject must match");
}

#[test]
fn test_jet_stream_add_stream_bad_subjects() {
    let mut e = Env::new();
    for subjects in [
        json!(["foo.bar."]),
        json!([".."]),
        json!(["*.>.*"]),
        json!(["foo.>.bar"]),
    ] {
        let r = e.create(json!({"name": "S", "subjects": subjects}));
        assert_eq!(err_code(&r), 10052, "{r}");
        assert_eq!(r["error"]["description"], "invalid subject");
    }
}

#[test]
fn test_jet_stream_add_stream_overlapping_subjects() {
    let mut e = Env::new();
    assert!(e
        .create(json!({"name": "ok", "subjects": ["foo", "bar", "baz.*", "foo.bar.baz.>"]}))
        .get("error")
        .is_none());
    for subjects in [
        json!(["foo"]),
        json!(["baz.bar"]),
        json!(["*"]),
        json!(["foo.bar.baz.>"]),
        json!([">"]),
    ] {
        let r = e.create(json!({"name": "ok2", "subjects": subjects, "no_ack": true}));
        assert_eq!(err_code(&r), 10065, "{subjects}: {r}");
        assert_eq!(
            r["error"]["description"],
            "subjects overlap with an existing stream"
        );
    }
    assert!(e
        .create(json!({"name": "ok2", "subjects": ["baz"]}))
        .get("error")
        .is_none());
}

#[test]
fn test_jet_stream_add_stream_overlap_with_js_api_subjects() {
    let mut e = Env::new();
    for subj in ["$JS.API.>", "$JS.>", "$JSC.>"] {
        let r = e.create(json!({"name": "S", "subjects": [subj]}));
        assert_eq!(
            r["error"]["description"],
            "subjects that overlap with jetstream api require no-ack to be true"
        );
    }
    assert!(e
        .create(json!({"name": "S", "subjects": ["$JS.EVENT.>"]}))
        .get("error")
        .is_none());
}

#[test]
fn replicas_above_one_are_refused_like_go() {
    let mut e = Env::new();
    let r = e.create(json!({"name": "R3", "num_replicas": 3}));
    assert_eq!(
        r["error"],
        json!({"code": 500, "err_code": 10074,
        "description": "replicas > 1 not supported in non-clustered mode"})
    );
}

#[test]
fn test_jet_stream_add_stream_max_msg_size() {
    for storage in STORAGES {
        let mut e = Env::new();
        e.create(
            json!({"name": "foo", "storage": storage, "max_msg_size": 22,
                        "max_age": 3600 * SEC}),
        );
        assert_eq!(e.publish("foo", None, b"Hello World!")["seq"], 1);
        let r = e.publish("foo", None, b"1234567890ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        assert_eq!(
            r["error"]["description"],
            "message size exceeds maximum allowed"
        );
        assert_eq!(r["stream"], "foo");
        assert_eq!(r["seq"], 0);
    }
}

#[test]
fn test_jet_stream_add_stream_discard_new() {
    for storage in STORAGES {
        let mut e = Env::new();
        e.create(json!({"name": "foo", "storage": storage, "max_msgs": 10, "discard": "new"}));
        for i in 1..=10 {
            assert_eq!(e.publish("foo", None, b"x")["seq"], i);
        }
        let r = e.publish("foo", None, b"x");
        assert_eq!(err_code(&r), 10077);
        assert_eq!(r["error"]["description"], "maximum messages exceeded");
    }
}

#[test]
fn test_jet_stream_publish_de_dupe() {
    for storage in STORAGES {
        let mut e = Env::new();
        e.create(
            json!({"name": "DeDupe", "subjects": ["foo.*"], "storage": storage,
                        "duplicate_window": 2 * SEC}),
        );
        let h = |id: &str| hdr(&[("Nats-Msg-Id", id)]);
        assert_eq!(e.publish("foo.1", Some(&h("AA")), b"x")["seq"], 1);
        assert_eq!(e.publish("foo.2", Some(&h("BB")), b"x")["seq"], 2);
        assert_eq!(e.publish("foo.3", Some(&h("CC")), b"x")["seq"], 3);
        let d = e.publish("foo.1", Some(&h("AA")), b"x");
        assert_eq!(d, json!({"stream": "DeDupe", "seq": 1, "duplicate": true}));
        assert_eq!(e.info("DeDupe")["state"]["messages"], 3);
        // Past the window the id is new again.
        e.advance(3 * SEC);
        let now = Instant::from_nanos(e.now);
        e.js.handle_timeout(now, e.rt);
        assert_eq!(e.publish("foo.1", Some(&h("AA")), b"x")["seq"], 4);
    }
}

#[test]
fn test_jet_stream_publish_expect() {
    for storage in STORAGES {
        let mut e = Env::new();
        e.create(
            json!({"name": "EXPECT", "subjects": ["foo.*"], "storage": storage,
                        "max_age": 3600 * SEC}),
        );
        let ok = e.publish(
            "foo.bar",
            Some(&hdr(&[("Nats-Expected-Stream", "EXPECT")])),
            b"H",
        );
        assert_eq!(ok["seq"], 1);
        let r = e.publish(
            "foo.bar",
            Some(&hdr(&[("Nats-Expected-Stream", "ORDERS")])),
            b"H",
        );
        assert_eq!(r["error"]["err_code"], 10060);
        assert_eq!(r["error"]["description"], "expected stream does not match");
        let r = e.publish(
            "foo.bar",
            Some(&hdr(&[("Nats-Expected-Last-Sequence", "10")])),
            b"H",
        );
        assert_eq!(r["error"]["description"], "wrong last sequence: 1");
        assert_eq!(r["error"]["err_code"], 10071);
        let r = e.publish(
            "foo.bar",
            Some(&hdr(&[("Nats-Expected-Last-Sequence", "0")])),
            b"H",
        );
        assert_eq!(r["error"]["err_code"], 10071);
        let r = e.publish(
            "foo.bar",
            Some(&hdr(&[("Nats-Expected-Last-Sequence", "1")])),
            b"H",
        );
        assert_eq!(r["seq"], 2);
        assert_eq!(
            e.publish("foo.bar", Some(&hdr(&[("Nats-Msg-Id", "AAA")])), b"H")["seq"],
            3
        );
        let h = hdr(&[("Nats-Msg-Id", "ZZZ"), ("Nats-Expected-Last-Msg-Id", "BBB")]);
        let r = e.publish("foo.bar", Some(&h), b"H");
        assert_eq!(r["error"]["description"], "wrong last msg ID: AAA");
        let h = hdr(&[("Nats-Msg-Id", "ZZZ"), ("Nats-Expected-Last-Msg-Id", "AAA")]);
        assert_eq!(e.publish("foo.bar", Some(&h), b"H")["seq"], 4);
        if storage == "file" {
            // Go restarts the server and checks last seq and last msg id are
            // rebuilt.
            let mut e = e.crash_restart();
            let h = hdr(&[
                ("Nats-Msg-Id", "ZZZ2"),
                ("Nats-Expected-Last-Msg-Id", "ZZZ"),
            ]);
            let r = e.publish("foo.bar", Some(&h), b"H");
            assert_eq!(r["seq"], 5, "{r}");
            let h = hdr(&[("Nats-Expected-Last-Sequence", "5")]);
            assert_eq!(e.publish("foo.bar", Some(&h), b"H")["seq"], 6);
        }
    }
}

#[test]
fn expected_last_subject_sequence_checks() {
    let mut e = Env::new();
    e.create(json!({"name": "KV", "subjects": ["kv.>"]}));
    let h = |s: &str| hdr(&[("Nats-Expected-Last-Subject-Sequence", s)]);
    assert_eq!(e.publish("kv.a", Some(&h("0")), b"1")["seq"], 1);
    assert_eq!(e.publish("kv.b", Some(&h("0")), b"1")["seq"], 2);
    let r = e.publish("kv.a", Some(&h("0")), b"2");
    assert_eq!(r["error"]["description"], "wrong last sequence: 1");
    assert_eq!(e.publish("kv.a", Some(&h("1")), b"2")["seq"], 3);
    let h2 = hdr(&[
        ("Nats-Expected-Last-Subject-Sequence", "2"),
        ("Nats-Expected-Last-Subject-Sequence-Subject", "kv.b"),
    ]);
    assert_eq!(e.publish("kv.c", Some(&h2), b"x")["seq"], 4);
    let bad = hdr(&[("Nats-Expected-Last-Subject-Sequence-Subject", "kv.b")]);
    assert_eq!(
        e.publish("kv.c", Some(&bad), b"x")["error"]["err_code"],
        10193
    );
}

#[test]
fn file_publish_acks_only_after_flush() {
    let mut e = Env::new();
    e.create(json!({"name": "S", "subjects": ["s.>"]}));
    for i in 0..3 {
        let out = e.handle(&format!("s.{i}"), None, b"x");
        assert!(out.is_empty(), "no ack before the group commit");
    }
    assert!(e.js.wants_flush());
    // Crash before the flush: nothing was acked, nothing need survive.
    let mut e2 = { Env::open(new_disk(7), 0, NOW) };
    e2.create(json!({"name": "M", "storage": "memory"}));
    assert_eq!(
        e2.handle("M", None, b"x").len(),
        1,
        "memory streams ack at once"
    );
    let acks = e.js.flush(Instant::from_nanos(e.now));
    assert_eq!(acks.len(), 3, "one group commit acks all three");
    let seqs: Vec<u64> = acks
        .iter()
        .map(|o| {
            serde_json::from_slice::<Value>(&o.payload).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert!(!e.js.wants_flush());
    let e = e.crash_restart();
    assert_eq!(e.js.stream("S").unwrap().state().msgs, 3);
}

#[test]
fn unflushed_publishes_may_vanish_but_flushed_survive() {
    let mut e = Env::new();
    e.create(json!({"name": "S", "subjects": ["s.>"]}));
    e.publish("s.1", None, b"a");
    assert!(e.handle("s.2", None, b"b").is_empty());
    let mut e = e.crash_restart();
    let i = e.info("S");
    assert_eq!(
        i["state"]["messages"], 1,
        "only the acked message is guaranteed"
    );
    assert_eq!(e.publish("s.3", None, b"c")["seq"], 2);
}

#[test]
fn test_jet_stream_simple_file_recovery() {
    let mut e = Env::new();
    for i in 0..5 {
        e.create(
            json!({"name": format!("S{i}"), "subjects": [format!("s{i}.>")],
                        "max_msgs_per_subject": 3}),
        );
    }
    e.create(json!({"name": "MEM", "storage": "memory"}));
    for i in 0..5 {
        for j in 0..10 {
            e.publish(&format!("s{i}.{}", j % 4), None, b"data");
        }
    }
    e.js.flush(Instant::from_nanos(e.now));
    let before: Vec<Value> = (0..5)
        .map(|i| e.info(&format!("S{i}"))["state"].clone())
        .collect();
    let mut e = e.crash_restart();
    assert!(
        e.js.recovery_warnings().is_empty(),
        "{:?}",
        e.js.recovery_warnings()
    );
    let names = e.req("$JS.API.STREAM.NAMES", Value::Null);
    assert_eq!(
        names["streams"],
        json!(["S0", "S1", "S2", "S3", "S4"]),
        "memory streams are gone"
    );
    for (i, b) in before.iter().enumerate() {
        let i = e.info(&format!("S{i}"));
        assert_eq!(&i["state"], b);
        assert_eq!(i["config"]["max_msgs_per_subject"], 3);
    }
}

#[test]
fn test_jet_stream_delete_msg() {
    for storage in STORAGES {
        let mut e = Env::new();
        e.create(json!({"name": "foo", "storage": storage}));
        for _ in 0..10 {
            e.publish("foo", None, b"x");
        }
        let r = e.req("$JS.API.STREAM.MSG.DELETE.foo", json!({"seq": 1}));
        assert_eq!(
            r,
            json!({"type": "io.nats.jetstream.api.v1.stream_msg_delete_response",
                             "success": true})
        );
        let r = e.req(
            "$JS.API.STREAM.MSG.DELETE.foo",
            json!({"seq": 5, "no_erase": true}),
        );
        assert_eq!(r["success"], true);
        let r = e.req("$JS.API.STREAM.MSG.DELETE.foo", json!({"seq": 5}));
        assert_eq!(r["error"]["description"], "sequence 5 not found");
        let r = e.req("$JS.API.STREAM.MSG.DELETE.foo", Value::Null);
        assert_eq!(err_code(&r), 10003);
        let i = e.req("$JS.API.STREAM.INFO.foo", json!({"deleted_details": true}));
        assert_eq!(i["state"]["messages"], 8);
        assert_eq!(i["state"]["first_seq"], 2);
        assert_eq!(i["state"]["num_deleted"], 1);
        assert_eq!(i["state"]["deleted"], json!([5]));
        assert!(e.info("foo")["state"].get("deleted").is_none());
    }
}

#[test]
fn test_jet_stream_stream_purge() {
    for storage in STORAGES {
        let mut e = Env::new();
        e.create(json!({"name": "DC", "subjects": ["dc.>"], "storage": storage}));
        for i in 0..100 {
            e.publish(&format!("dc.{}", i % 3), None, b"OK");
        }
        let r = e.req(
            "$JS.API.STREAM.PURGE.DC",
            json!({"filter": "dc.0", "keep": 1}),
        );
        assert_eq!(r["purged"], 33);
        assert_eq!(r["success"], true);
        let r = e.req("$JS.API.STREAM.PURGE.DC", json!({"seq": 50}));
        assert!(r["purged"].as_u64().unwrap() > 0);
        let r = e.req("$JS.API.STREAM.PURGE.DC", json!({"seq": 5, "keep": 1}));
        assert_eq!(err_code(&r), 10003);
        let r = e.req("$JS.API.STREAM.PURGE.DC", Value::Null);
        assert_eq!(r["success"], true);
        let i = e.info("DC");
        assert_eq!(i["state"]["messages"], 0);
        assert_eq!(i["state"]["first_seq"], 101);
        assert_eq!(i["state"]["last_seq"], 100);
        assert_eq!(e.publish("dc.1", None, b"x")["seq"], 101);
    }
}

#[test]
fn test_jet_stream_rollup() {
    let mut e = Env::new();
    e.create(json!({"name": "S", "subjects": ["S.*"], "allow_rollup_hdrs": true}));
    for i in 1..=10 {
        e.publish("S.A", None, i.to_string().as_bytes());
        e.publish("S.B", None, i.to_string().as_bytes());
    }
    let r = e.publish("S.A", Some(&hdr(&[("Nats-Rollup", "sub")])), b"R");
    assert_eq!(r["seq"], 21);
    assert_eq!(e.info("S")["state"]["messages"], 11);
    e.publish("S.B", Some(&hdr(&[("Nats-Rollup", "all")])), b"R");
    assert_eq!(e.info("S")["state"]["messages"], 1);
    let r = e.publish("S.B", Some(&hdr(&[("Nats-Rollup", "bogus")])), b"R");
    assert_eq!(r["error"]["description"], "rollup value invalid: \"bogus\"");
    e.create(json!({"name": "N", "subjects": ["N"]}));
    let r = e.publish("N", Some(&hdr(&[("Nats-Rollup", "all")])), b"R");
    assert_eq!(r["error"]["description"], "rollup not permitted");
}

#[test]
fn msg_get_by_seq_last_and_next() {
    for storage in STORAGES {
        let mut e = Env::new();
        e.create(json!({"name": "KV", "subjects": ["kv.>"], "storage": storage}));
        e.publish("kv.a", Some(&hdr(&[("k", "v")])), b"a1");
        e.publish("kv.b", None, b"b1");
        e.publish("kv.a", None, b"a2");
        let r = e.req("$JS.API.STREAM.MSG.GET.KV", json!({"seq": 1}));
        assert_eq!(
            r["type"],
            "io.nats.jetstream.api.v1.stream_msg_get_response"
        );
        let m = &r["message"];
        assert_eq!(m["subject"], "kv.a");
        assert_eq!(m["seq"], 1);
        assert_eq!(m["data"], "YTE=");
        assert_eq!(m["hdrs"], "TkFUUy8xLjANCms6IHYNCg0K");
        assert_eq!(m["time"], "2023-11-14T22:13:20Z");
        let r = e.req("$JS.API.STREAM.MSG.GET.KV", json!({"last_by_subj": "kv.a"}));
        assert_eq!(r["message"]["seq"], 3);
        let r = e.req(
            "$JS.API.STREAM.MSG.GET.KV",
            json!({"next_by_subj": "kv.b", "seq": 1}),
        );
        assert_eq!(r["message"]["seq"], 2);
        let r = e.req("$JS.API.STREAM.MSG.GET.KV", json!({"seq": 9}));
        assert_eq!(
            r["error"],
            json!({"code": 404, "err_code": 10037,
                                      "description": "no message found"})
        );
        let r = e.req(
            "$JS.API.STREAM.MSG.GET.KV",
            json!({"seq": 1, "last_by_subj": "kv.a"}),
        );
        assert_eq!(err_code(&r), 10003);
        let r = e.req("$JS.API.STREAM.MSG.GET.NOPE", json!({"seq": 1}));
        assert_eq!(err_code(&r), 10059);
    }
}

#[test]
fn test_jet_stream_filtered_stream_names() {
    let mut e = Env::new();
    e.create(json!({"name": "S1", "subjects": ["foo"]}));
    e.create(json!({"name": "S2", "subjects": ["bar"]}));
    e.create(json!({"name": "S3", "subjects": ["baz", "foo.*"]}));
    let names = |e: &mut Env, subj: &str| e.req("$JS.API.STREAM.NAMES", json!({"subject": subj}));
    assert_eq!(names(&mut e, "foo")["streams"], json!(["S1"]));
    assert_eq!(names(&mut e, "foo.*")["streams"], json!(["S3"]));
    assert_eq!(names(&mut e, ">")["streams"], json!(["S1", "S2", "S3"]));
    let r = names(&mut e, "none");
    assert_eq!(r["streams"], Value::Null);
    assert_eq!(r["total"], 0);
    let r = e.req("$JS.API.STREAM.NAMES", json!({"offset": 1}));
    assert_eq!(r["streams"], json!(["S2", "S3"]));
    assert_eq!(r["total"], 3);
    assert_eq!(r["offset"], 1);
    assert_eq!(r["limit"], 1024);
    let l = e.req("$JS.API.STREAM.LIST", json!({"offset": 2}));
    assert_eq!(l["type"], "io.nats.jetstream.api.v1.stream_list_response");
    assert_eq!(l["total"], 3);
    assert_eq!(l["limit"], 256);
    assert_eq!(l["streams"].as_array().unwrap().len(), 1);
    assert_eq!(l["streams"][0]["config"]["name"], "S3");
}

#[test]
fn test_jet_stream_stream_info_subjects_details() {
    let mut e = Env::new();
    e.create(json!({"name": "X", "subjects": ["*"]}));
    for (s, n) in [("foo", 3), ("bar", 2), ("baz", 1)] {
        for _ in 0..n {
            e.publish(s, None, b"ok");
        }
    }
    let i = e.req("$JS.API.STREAM.INFO.X", json!({"subjects_filter": ">"}));
    assert_eq!(
        i["state"]["subjects"],
        json!({"foo": 3, "bar": 2, "baz": 1})
    );
    assert_eq!(i["total"], 3);
    let i = e.req("$JS.API.STREAM.INFO.X", json!({"subjects_filter": "bar"}));
    assert_eq!(i["state"]["subjects"], json!({"bar": 2}));
    let i = e.info("X");
    assert!(i["state"].get("subjects").is_none());
}

#[test]
fn test_jet_stream_update_stream() {
    for storage in STORAGES {
        let mut e = Env::new();
        e.create(json!({"name": "foo", "subjects": ["foo"], "storage": storage}));
        for _ in 0..10 {
            e.publish("foo", None, b"x");
        }
        let r = e.req(
            "$JS.API.STREAM.UPDATE.foo",
            json!({"name": "foo", "subjects": ["foo", "bar"], "storage": storage,
                             "max_msgs": 5}),
        );
        assert_eq!(r["type"], "io.nats.jetstream.api.v1.stream_update_response");
        assert!(r.get("error").is_none(), "{r}");
        assert_eq!(r["config"]["max_msgs"], 5);
        assert_eq!(r["state"]["messages"], 5, "the new limit applies at once");
        assert!(e.js.take_interest_changed());
        assert!(e.js.interest().contains(&"bar".to_string()));
        assert_eq!(e.publish("bar", None, b"x")["seq"], 11);
        let other = if storage == "file" { "memory" } else { "file" };
        let r = e.req(
            "$JS.API.STREAM.UPDATE.foo",
            json!({"name": "foo", "storage": other}),
        );
        assert_eq!(
            r["error"]["description"],
            "stream configuration update can not change storage type"
        );
        let r = e.req("$JS.API.STREAM.UPDATE.nope", json!({"name": "nope"}));
        assert_eq!(err_code(&r), 10059);
        let r = e.req(
            "$JS.API.STREAM.UPDATE.foo",
            json!({"name": "foo", "storage": storage, "num_replicas": 3}),
        );
        assert_eq!(
            err_code(&r),
            10074,
            "test_jet_stream_stream_update_replicas_not_supported"
        );
    }
}

#[test]
fn stream_delete_and_account_info() {
    let mut e = Env::new();
    let r = e.req("$JS.API.INFO", Value::Null);
    assert_eq!(r["type"], "io.nats.jetstream.api.v1.account_info_response");
    assert_eq!(r["streams"], 0);
    assert_eq!(r["api"]["level"], 5);
    e.create(json!({"name": "A", "max_bytes": 4096}));
    e.create(json!({"name": "B", "storage": "memory", "max_bytes": 1024}));
    e.publish("A", None, b"x");
    let r = e.req("$JS.API.INFO", Value::Null);
    assert_eq!(r["streams"], 2);
    assert_eq!(r["reserved_storage"], 4096);
    assert_eq!(r["reserved_memory"], 1024);
    assert!(r["storage"].as_u64().unwrap() > 0);
    assert_eq!(r["api"]["total"], 3, "INFO, 2 creates");
    let r = e.req("$JS.API.STREAM.DELETE.A", json!({"x": 1}));
    assert_eq!(err_code(&r), 10038);
    let r = e.req("$JS.API.STREAM.DELETE.A", Value::Null);
    assert_eq!(
        r,
        json!({"type": "io.nats.jetstream.api.v1.stream_delete_response",
                         "success": true})
    );
    assert!(e.js.take_interest_changed());
    assert_eq!(err_code(&e.info("A")), 10059);
    assert!(
        e.handle("A", None, b"x").is_empty(),
        "no stream listens any more"
    );
    let r = e.req("$JS.API.STREAM.DELETE.A", Value::Null);
    assert_eq!(err_code(&r), 10059);
    let r = e.req("$JS.API.STREAM.FROB.A", Value::Null);
    assert_eq!(r["type"], "io.nats.jetstream.api.v1.system_response");
    assert_eq!(err_code(&r), 10003);
    let e = e.crash_restart();
    assert!(e.js.stream("A").is_none(), "a deleted stream stays deleted");
    let left: Vec<String> = e.disk.disk().paths();
    assert!(left.iter().all(|p| !p.contains("streams/A/")), "{left:?}");
}

#[test]
fn storage_limits_refuse_streams_like_go() {
    let disk = new_disk(1);
    let cfg = JsConfig {
        max_store: 10_000,
        ..JsConfig::default()
    };
    let js = JetStream::new(cfg, factory(&disk), Instant::ZERO, NOW).unwrap();
    let mut e = Env {
        js,
        disk,
        now: 0,
        rt: NOW,
    };
    assert!(e
        .create(json!({"name": "A", "max_bytes": 8000}))
        .get("error")
        .is_none());
    let r = e.create(json!({"name": "B", "max_bytes": 4000}));
    assert_eq!(
        r["error"],
        json!({"code": 500, "err_code": 10047,
        "description": "insufficient storage resources available"})
    );
}

#[test]
fn max_age_expires_through_timeouts() {
    for storage in STORAGES {
        let mut e = Env::new();
        e.create(json!({"name": "T", "storage": storage, "max_age": SEC}));
        e.publish("T", None, b"x");
        let at = e.js.poll_timeout().expect("an expiry is scheduled");
        assert!(at <= Instant::from_nanos(e.now + SEC as u64));
        e.advance(2 * SEC);
        e.js.handle_timeout(Instant::from_nanos(e.now), e.rt);
        assert_eq!(e.info("T")["state"]["messages"], 0);
    }
}

#[test]
fn per_message_ttl_requires_allow_msg_ttl() {
    let mut e = Env::new();
    e.create(json!({"name": "T"}));
    let r = e.publish("T", Some(&hdr(&[("Nats-TTL", "1s")])), b"x");
    assert_eq!(r["error"]["description"], "per-message TTL is disabled");
    e.create(json!({"name": "U", "allow_msg_ttl": true}));
    let r = e.publish("U", Some(&hdr(&[("Nats-TTL", "bogus")])), b"x");
    assert_eq!(r["error"]["description"], "invalid per-message TTL");
    assert_eq!(
        e.publish("U", Some(&hdr(&[("Nats-TTL", "1s")])), b"x")["seq"],
        1
    );
    e.advance(2 * SEC);
    e.js.handle_timeout(Instant::from_nanos(e.now), e.rt);
    assert_eq!(e.info("U")["state"]["messages"], 0);
}

#[test]
fn meta_damage_skips_the_stream_with_a_warning() {
    let mut e = Env::new();
    e.create(json!({"name": "S"}));
    e.publish("S", None, b"x");
    let path = "jetstream/$G/streams/S/meta.sum";
    {
        let mut d = e.disk.disk();
        let f = d.open(path, false).unwrap();
        d.write_at(f, 0, b"00000000").unwrap();
        d.sync(f).unwrap();
    }
    let e = e.crash_restart();
    assert!(e.js.stream("S").is_none());
    assert_eq!(e.js.recovery_warnings().len(), 1);
}

// ---- Direct get (Go's processDirectGetRequest and friends) ----

/// A direct-get request with a JSON body (or none).
fn direct(e: &mut Env, subj: &str, body: &str) -> Vec<Outgoing> {
    e.handle(subj, None, body.as_bytes())
}

/// The status line and headers of a reply, as (status line, header lines).
fn reply_headers(o: &Outgoing) -> (String, Vec<(String, String)>) {
    let h = o.headers.as_ref().expect("a direct-get reply has headers");
    let text = std::str::from_utf8(h).unwrap();
    assert!(text.ends_with("\r\n\r\n"), "{text:?}");
    let mut lines = text.trim_end_matches("\r\n").split("\r\n");
    let status = lines.next().unwrap().to_string();
    let fields = lines
        .map(|l| {
            let (k, v) = l.split_once(": ").expect("key: value");
            (k.to_string(), v.to_string())
        })
        .collect();
    (status, fields)
}

fn hget(o: &Outgoing, key: &str) -> Option<String> {
    reply_headers(o)
        .1
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn status_of(o: &Outgoing) -> String {
    reply_headers(o).0
}

#[test]
fn test_jet_stream_direct_msg_get() {
    for storage in STORAGES {
        let mut e = Env::new();
        let r = e.create(json!({"name": "DSMG", "storage": storage,
            "subjects": ["foo", "bar", "baz"], "max_msgs_per_subject": 1, "allow_direct": true}));
        assert!(r.get("error").is_none(), "{r}");
        for s in ["foo", "bar", "baz"] {
            e.publish(s, None, s.as_bytes());
        }
        let subj = "$JS.API.DIRECT.GET.DSMG";
        for (i, s) in ["foo", "bar", "baz"].iter().enumerate() {
            let out = direct(&mut e, subj, &format!(r#"{{"last_by_subj":"{s}"}}"#));
            assert_eq!(out.len(), 1);
            let m = &out[0];
            assert_eq!(&m.subject[..], INBOX);
            assert_eq!(&m.payload[..], s.as_bytes());
            assert_eq!(status_of(m), "NATS/1.0");
            assert_eq!(hget(m, "Nats-Stream").as_deref(), Some("DSMG"));
            assert_eq!(hget(m, "Nats-Sequence"), Some((i + 1).to_string()));
            assert_eq!(hget(m, "Nats-Subject").as_deref(), Some(*s));
            let ts = hget(m, "Nats-Time-Stamp").unwrap();
            assert!(
                ts.starts_with("2023-11-14T22:13:20") && ts.ends_with('Z'),
                "{ts}"
            );
            // Exactly Go's `dg` layout for a message without headers.
            let names: Vec<String> = reply_headers(m).1.into_iter().map(|(k, _)| k).collect();
            assert_eq!(
                names,
                [
                    "Nats-Stream",
                    "Nats-Subject",
                    "Nats-Sequence",
                    "Nats-Time-Stamp"
                ]
            );
        }
        let expect_status = |e: &mut Env, body: &str, want: &str| {
            let out = direct(e, subj, body);
            assert_eq!(out.len(), 1, "{body}");
            assert!(out[0].payload.is_empty());
            assert_eq!(status_of(&out[0]), want, "{body}");
        };
        expect_status(&mut e, "", "NATS/1.0 408 Empty Request");
        expect_status(&mut e, "{}", "NATS/1.0 408 Empty Request");
        expect_status(
            &mut e,
            r#"{"seq":1,"last_by_subj":"foo"}"#,
            "NATS/1.0 408 Bad Request",
        );
        expect_status(&mut e, r#"{"seq":"x"}"#, "NATS/1.0 408 Malformed Request");
        expect_status(
            &mut e,
            r#"{"last_by_subj":"foobar"}"#,
            "NATS/1.0 404 Message Not Found",
        );
        expect_status(&mut e, r#"{"seq":22}"#, "NATS/1.0 404 Message Not Found");
        // By sequence.
        let out = direct(&mut e, subj, r#"{"seq":2}"#);
        assert_eq!(&out[0].payload[..], b"bar");
        // Without a reply subject nothing is sent.
        let now = Instant::from_nanos(e.now);
        let out =
            e.js.handle_msg(now, e.rt, subj.as_bytes(), None, None, br#"{"seq":2}"#);
        assert!(out.is_empty());
    }
}

#[test]
fn test_jet_stream_direct_msg_get_next() {
    let mut e = Env::new();
    e.create(json!({"name": "DSMG", "storage": "memory",
        "subjects": ["foo", "bar", "baz"], "allow_direct": true}));
    e.publish("foo", None, b"foo");
    for _ in 0..10 {
        e.publish("bar", None, b"bar");
    }
    for _ in 0..10 {
        e.publish("baz", None, b"baz");
    }
    e.publish("foo", None, b"foo");
    let mut get = |seq: u64, subj: &str| {
        let body = format!(r#"{{"seq": {seq}, "next_by_subj": "{subj}"}}"#);
        let out = direct(&mut e, "$JS.API.DIRECT.GET.DSMG", &body);
        assert_eq!(out.len(), 1);
        (
            hget(&out[0], "Nats-Sequence").unwrap(),
            hget(&out[0], "Nats-Subject").unwrap(),
        )
    };
    assert_eq!(get(0, "foo"), ("1".into(), "foo".into()));
    assert_eq!(get(1, "foo"), ("1".into(), "foo".into()));
    assert_eq!(get(2, "foo"), ("22".into(), "foo".into()));
    assert_eq!(get(2, "bar"), ("2".into(), "bar".into()));
    assert_eq!(get(5, "baz"), ("12".into(), "baz".into()));
    assert_eq!(get(14, "baz"), ("14".into(), "baz".into()));
}

#[test]
fn test_jet_stream_direct_get_batch() {
    let mut e = Env::new();
    e.create(json!({"name": "TEST", "subjects": ["foo.*"]}));
    for _ in 0..333 {
        e.publish("foo.foo", None, b"HELLO");
        e.publish("foo.bar", None, b"WORLD");
        e.publish("foo.baz", None, b"AGAIN");
    }
    // Without allow_direct the JSON get refuses batches and the direct
    // subject has no responder.
    let r = e.req(
        "$JS.API.STREAM.MSG.GET.TEST",
        json!({"seq": 1, "batch": 10}),
    );
    assert_eq!(r["error"]["code"], 400, "{r}");
    assert!(direct(&mut e, "$JS.API.DIRECT.GET.TEST", r#"{"seq":1}"#).is_empty());
    let r = e.req(
        "$JS.API.STREAM.UPDATE.TEST",
        json!({"name": "TEST", "subjects": ["foo.*"], "allow_direct": true}),
    );
    assert!(r.get("error").is_none(), "{r}");

    let check = |out: &[Outgoing], np_start: u64, expected: &[&str]| {
        assert_eq!(out.len(), expected.len(), "{expected:?}");
        let mut np = np_start;
        let mut last = "0".to_string();
        for (m, want) in out.iter().zip(expected) {
            if want.is_empty() {
                assert!(m.payload.is_empty());
                assert_eq!(status_of(m), "NATS/1.0 204 EOB");
            } else {
                assert_eq!(hget(m, "Nats-Subject").as_deref(), Some(*want));
                assert!(!m.payload.is_empty());
                np = np.saturating_sub(1);
            }
            assert_eq!(hget(m, "Nats-Num-Pending"), Some(np.to_string()));
            assert_eq!(hget(m, "Nats-Last-Sequence"), Some(last.clone()));
            if !want.is_empty() {
                last = hget(m, "Nats-Sequence").unwrap();
            }
        }
    };
    let s = "$JS.API.DIRECT.GET.TEST";
    let out = direct(&mut e, s, r#"{"seq":1,"batch":2}"#);
    check(&out, 999, &["foo.foo", "foo.bar", ""]);
    let out = direct(&mut e, s, r#"{"seq":1,"batch":3}"#);
    check(&out, 999, &["foo.foo", "foo.bar", "foo.baz", ""]);
    let out = direct(&mut e, s, r#"{"seq":1,"batch":3,"next_by_subj":"foo.*"}"#);
    check(&out, 999, &["foo.foo", "foo.bar", "foo.baz", ""]);
    let out = direct(&mut e, s, r#"{"seq":1,"batch":3,"next_by_subj":"foo.baz"}"#);
    check(&out, 333, &["foo.baz", "foo.baz", "foo.baz", ""]);
    let out = direct(
        &mut e,
        s,
        r#"{"seq":997,"batch":10,"next_by_subj":"foo.*"}"#,
    );
    check(&out, 3, &["foo.foo", "foo.bar", "foo.baz", ""]);

    let r = e.req("$JS.API.STREAM.PURGE.TEST", Value::Null);
    assert_eq!(r["purged"], 999);
    e.publish("foo.foo", None, b"HELLO");
    e.publish("foo.bar", None, b"WORLD");
    e.publish("foo.baz", None, b"AGAIN");
    // A batch starting at a deleted sequence skips to the next message.
    let out = direct(&mut e, s, r#"{"seq":1,"batch":10}"#);
    check(&out, 3, &["foo.foo", "foo.bar", "foo.baz", ""]);
    // A single get of a deleted message is not found.
    let out = direct(&mut e, s, r#"{"seq":1}"#);
    assert_eq!(status_of(&out[0]), "NATS/1.0 404 Message Not Found");
}

#[test]
fn test_jet_stream_direct_get_by_subject() {
    for storage in STORAGES {
        let mut e = Env::new();
        e.create(
            json!({"name": "KV", "storage": storage, "subjects": ["vid.*.>"],
            "max_msgs_per_subject": 1, "allow_direct": true}),
        );
        let h = hdr(&[("X-Foo", "bar")]);
        e.publish("vid.22.foo", Some(&h), b"one");
        e.publish("vid.22.bar", None, b"two");
        let out = direct(&mut e, "$JS.API.DIRECT.GET.KV.vid.22.foo", "");
        assert_eq!(out.len(), 1);
        assert_eq!(&out[0].payload[..], b"one");
        // The stored headers come first, then the stream's.
        let names: Vec<String> = reply_headers(&out[0])
            .1
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            names,
            [
                "X-Foo",
                "Nats-Stream",
                "Nats-Subject",
                "Nats-Sequence",
                "Nats-Time-Stamp"
            ]
        );
        assert_eq!(hget(&out[0], "X-Foo").as_deref(), Some("bar"));
        assert_eq!(hget(&out[0], "Nats-Subject").as_deref(), Some("vid.22.foo"));
        // A wildcard key finds the last message matching it.
        let out = direct(&mut e, "$JS.API.DIRECT.GET.KV.vid.22.*", "");
        assert_eq!(hget(&out[0], "Nats-Sequence").as_deref(), Some("2"));
        let out = direct(&mut e, "$JS.API.DIRECT.GET.KV.vid.33.foo", "");
        assert_eq!(status_of(&out[0]), "NATS/1.0 404 Message Not Found");
        // Fields that make no sense with a subject in the request subject.
        let out = direct(&mut e, "$JS.API.DIRECT.GET.KV.vid.22.foo", r#"{"seq":1}"#);
        assert_eq!(status_of(&out[0]), "NATS/1.0 408 Bad Request");
        let out = direct(&mut e, "$JS.API.DIRECT.GET.KV.vid.22.foo", "nope");
        assert_eq!(status_of(&out[0]), "NATS/1.0 408 Malformed Request");
    }
}

#[test]
fn test_jet_stream_allow_direct_after_update() {
    let mut e = Env::new();
    let _ = e.js.take_interest_changed();
    e.create(json!({"name": "TEST", "subjects": ["foo"]}));
    assert!(e.js.take_interest_changed());
    let direct_subjs = ["$JS.API.DIRECT.GET.TEST", "$JS.API.DIRECT.GET.TEST.>"];
    let has = |e: &Env, s: &str| e.js.interest().iter().any(|x| x == s);
    assert!(direct_subjs.iter().all(|s| !has(&e, s)));
    e.publish("foo", None, b"x");
    assert!(direct(&mut e, "$JS.API.DIRECT.GET.TEST.foo", "").is_empty());

    let r = e.req(
        "$JS.API.STREAM.UPDATE.TEST",
        json!({"name": "TEST", "subjects": ["foo"], "allow_direct": true}),
    );
    assert_eq!(r["config"]["allow_direct"], true, "{r}");
    assert!(e.js.take_interest_changed());
    assert!(direct_subjs.iter().all(|s| has(&e, s)));
    let out = direct(&mut e, "$JS.API.DIRECT.GET.TEST.foo", "");
    assert_eq!(&out[0].payload[..], b"x");

    let r = e.req(
        "$JS.API.STREAM.UPDATE.TEST",
        json!({"name": "TEST", "subjects": ["foo"], "allow_direct": false}),
    );
    assert!(r.get("error").is_none(), "{r}");
    assert!(e.js.take_interest_changed());
    assert!(direct_subjs.iter().all(|s| !has(&e, s)));
    assert!(direct(&mut e, "$JS.API.DIRECT.GET.TEST.foo", "").is_empty());
}

#[test]
fn test_jet_stream_direct_get_multi() {
    let mut e = Env::new();
    e.create(
        json!({"name": "TEST", "storage": "memory", "subjects": ["foo.*"], "allow_direct": true}),
    );
    for s in ["foo.foo", "foo.bar", "foo.baz", "foo.foo", "foo.bar"] {
        e.publish(s, None, s.as_bytes());
    }
    let out = direct(
        &mut e,
        "$JS.API.DIRECT.GET.TEST",
        r#"{"multi_last":["foo.*"]}"#,
    );
    // Last of each subject in sequence order, then the EOB.
    let seqs: Vec<String> = out[..3]
        .iter()
        .map(|m| hget(m, "Nats-Sequence").unwrap())
        .collect();
    assert_eq!(seqs, ["3", "4", "5"]);
    assert_eq!(hget(&out[0], "Nats-Num-Pending").as_deref(), Some("2"));
    assert_eq!(hget(&out[2], "Nats-Last-Sequence").as_deref(), Some("4"));
    assert_eq!(status_of(&out[3]), "NATS/1.0 204 EOB");
    assert_eq!(hget(&out[3], "Nats-UpTo-Sequence").as_deref(), Some("5"));
    // Up to a sequence: the last of each subject at or below it.
    let out = direct(
        &mut e,
        "$JS.API.DIRECT.GET.TEST",
        r#"{"multi_last":["foo.*"],"up_to_seq":3}"#,
    );
    let seqs: Vec<String> = out[..3]
        .iter()
        .map(|m| hget(m, "Nats-Sequence").unwrap())
        .collect();
    assert_eq!(seqs, ["1", "2", "3"]);
    let out = direct(
        &mut e,
        "$JS.API.DIRECT.GET.TEST",
        r#"{"multi_last":["bar.*"]}"#,
    );
    assert_eq!(status_of(&out[0]), "NATS/1.0 404 No Results");
    let out = direct(
        &mut e,
        "$JS.API.DIRECT.GET.TEST",
        r#"{"multi_last":["foo.*"],"next_by_subj":"foo.foo"}"#,
    );
    assert_eq!(status_of(&out[0]), "NATS/1.0 408 Bad Request");
}

#[test]
fn direct_get_with_a_domain_prefix() {
    let cfg = JsConfig {
        domain: Some("hub".into()),
        ..JsConfig::default()
    };
    let disk = new_disk(3);
    let mut js = JetStream::new(cfg, factory(&disk), Instant::from_nanos(0), NOW).unwrap();
    let now = Instant::from_nanos(0);
    let body = serde_json::to_vec(&json!({"name": "S", "storage": "memory", "allow_direct": true}))
        .unwrap();
    let out = js.handle_msg(
        now,
        NOW,
        b"$JS.API.STREAM.CREATE.S",
        Some(INBOX),
        None,
        &body,
    );
    assert_eq!(out.len(), 1);
    let out = js.handle_msg(now, NOW, b"S", Some(INBOX), None, b"hi");
    assert_eq!(out.len(), 1, "memory streams ack at once");
    let out = js.handle_msg(
        now,
        NOW,
        b"$JS.hub.API.DIRECT.GET.S.S",
        Some(INBOX),
        None,
        b"",
    );
    assert_eq!(out.len(), 1);
    assert_eq!(&out[0].payload[..], b"hi");
    assert_eq!(hget(&out[0], "Nats-Sequence").as_deref(), Some("1"));
}

/// Split-phase group commit over a disk that gives sync handles: the
/// publishes of a batch are acked only when its handles have run, writes
/// during the batch go to the next one, and a crash before the handles
/// run loses only unacked messages.
#[test]
fn split_phase_flush_acks_after_the_handles_ran() {
    let disk = new_disk(7).with_deferred_sync();
    let mut e = Env::open(disk, 0, NOW);
    e.create(json!({"name": "S", "subjects": ["s.>"]}));
    assert!(e.handle("s.1", None, b"a").is_empty());
    assert!(e.handle("s.2", None, b"b").is_empty());
    let now = Instant::from_nanos(e.now);
    let (out, handles) = e.js.begin_flush(now);
    assert!(out.is_empty(), "nothing is durable before the handles run");
    assert!(!handles.is_empty(), "the block file gives a handle");
    // A publish while the batch runs waits for the next batch.
    assert!(e.handle("s.3", None, b"c").is_empty());
    let results: Vec<_> = handles.iter().map(|h| h.sync()).collect();
    assert!(results.iter().all(|r| r.is_ok()));
    let acks = e.js.finish_flush(now, &results);
    let seqs: Vec<u64> = acks
        .iter()
        .map(|o| serde_json::from_slice::<Value>(&o.payload).unwrap()["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1, 2], "the batch acks what it covered, not seq 3");
    assert!(e.js.wants_flush(), "seq 3 wants the next batch");
    // Begin the next batch, then crash before its handles run.
    let (out, handles) = e.js.begin_flush(now);
    assert!(out.is_empty() && !handles.is_empty());
    drop(handles);
    let e = e.crash_restart();
    let n = e.js.stream("S").unwrap().state().msgs;
    assert!(n >= 2, "acked messages survive the crash (found {n})");
}

/// A failed deferred sync answers the held acks with an error and fails
/// the store: nothing it covered is reported durable.
#[test]
fn split_phase_flush_failure_answers_with_errors() {
    let disk = new_disk(7).with_deferred_sync();
    let mut e = Env::open(disk, 0, NOW);
    e.create(json!({"name": "S", "subjects": ["s.>"]}));
    assert!(e.handle("s.1", None, b"a").is_empty());
    let now = Instant::from_nanos(e.now);
    let (_, handles) = e.js.begin_flush(now);
    let results: Vec<_> = handles
        .iter()
        .map(|_| Err(rnatsd_core::storage::StorageError::new(rnatsd_core::storage::StorageErrorKind::Eio, "fsync")))
        .collect();
    let out = e.js.finish_flush(now, &results);
    assert_eq!(out.len(), 1, "the held ack is answered");
    let v: Value = serde_json::from_slice(&out[0].payload).unwrap();
    assert_eq!(v["error"]["err_code"], 10077, "JSStreamStoreFailedF: {v}");
    // The store is failed: a new publish is refused, not acked.
    let v = e.publish("s.2", None, b"b");
    assert!(v["error"].is_object(), "a failed store refuses writes: {v}");
}

/// A plain flush while a split-phase flush runs syncs in place and acks
/// everything; the late finish changes nothing.
#[test]
fn plain_flush_overtakes_a_split_phase_flush() {
    let disk = new_disk(7).with_deferred_sync();
    let mut e = Env::open(disk, 0, NOW);
    e.create(json!({"name": "S", "subjects": ["s.>"]}));
    assert!(e.handle("s.1", None, b"a").is_empty());
    let now = Instant::from_nanos(e.now);
    let (_, handles) = e.js.begin_flush(now);
    assert!(e.handle("s.2", None, b"b").is_empty());
    let acks = e.js.flush(now);
    assert_eq!(acks.len(), 2, "both acks after an in-place flush");
    let results: Vec<_> = handles.iter().map(|h| h.sync()).collect();
    assert!(e.js.finish_flush(now, &results).is_empty());
    let e = e.crash_restart();
    assert_eq!(e.js.stream("S").unwrap().state().msgs, 2);
}

/// Two split-phase flushes in progress at once (the engine allows
/// `SYNC_BATCHES_MAX`): each acks what it covered when it finishes, in order.
#[test]
fn two_split_phase_flushes_finish_in_order() {
    let disk = new_disk(7).with_deferred_sync();
    let mut e = Env::open(disk, 0, NOW);
    e.create(json!({"name": "S", "subjects": ["s.>"]}));
    let now = Instant::from_nanos(e.now);
    assert!(e.handle("s.1", None, b"a").is_empty());
    let (_, first) = e.js.begin_flush(now);
    assert!(e.handle("s.2", None, b"b").is_empty());
    let (_, second) = e.js.begin_flush(now);
    assert!(!first.is_empty() && !second.is_empty());
    let seqs = |out: Vec<Outgoing>| -> Vec<u64> {
        out.iter()
            .map(|o| serde_json::from_slice::<Value>(&o.payload).unwrap()["seq"].as_u64().unwrap())
            .collect()
    };
    let r1: Vec<_> = first.iter().map(|h| h.sync()).collect();
    assert_eq!(seqs(e.js.finish_flush(now, &r1)), vec![1]);
    let r2: Vec<_> = second.iter().map(|h| h.sync()).collect();
    assert_eq!(seqs(e.js.finish_flush(now, &r2)), vec![2]);
    assert!(!e.js.wants_flush());
}

//! JetStream pull consumers driven directly (no engine): the consumer API,
//! pull requests, acks and redelivery under simulated time.
// The storages the factory hands out all land on one simulated disk,
// through io-sim's `SharedDisk`.

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

struct Env {
    js: JetStream,
    now: u64,
    rt: UnixNanos,
}

impl Env {
    fn new() -> Env {
        let disk = Shared::new(SimDisk::new(
            7,
            DiskConfig::perfect(),
            FaultAtlas::pristine(),
        ));
        let factory: StorageFactory =
            Box::new(move |_d: &str| Box::new(disk.clone()) as Box<dyn Storage + Send>);
        let js = JetStream::new(JsConfig::default(), factory, Instant::from_nanos(0), NOW)
            .expect("recovery");
        let mut e = Env {
            js,
            now: 0,
            rt: NOW,
        };
        let r = e.req(
            "$JS.API.STREAM.CREATE.S",
            json!({"name": "S", "subjects": ["s.>"], "storage": "memory"}),
        );
        assert!(r.get("error").is_none(), "{r}");
        e
    }

    fn at(&self) -> Instant {
        Instant::from_nanos(self.now)
    }

    fn advance(&mut self, nanos: i64) {
        self.now += nanos as u64;
        self.rt += nanos;
    }

    fn send(&mut self, subj: &str, reply: Option<&[u8]>, payload: &[u8]) -> Vec<Outgoing> {
        let (now, rt) = (self.at(), self.rt);
        self.js
            .handle_msg(now, rt, subj.as_bytes(), reply, None, payload)
    }

    fn req(&mut self, subj: &str, payload: Value) -> Value {
        let body = if payload.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&payload).unwrap()
        };
        let out = self.send(subj, Some(INBOX), &body);
        assert_eq!(out.len(), 1, "one response to {subj}");
        serde_json::from_slice(&out[0].payload).unwrap()
    }

    fn publish(&mut self, subj: &str, payload: &[u8]) -> Vec<Outgoing> {
        self.send(subj, Some(b"_INBOX.ack"), payload)
    }

    fn create(&mut self, cfg: Value) -> Value {
        let name = cfg["durable_name"].as_str().unwrap_or("").to_string();
        let subj = if name.is_empty() {
            "$JS.API.CONSUMER.CREATE.S".to_string()
        } else {
            format!("$JS.API.CONSUMER.DURABLE.CREATE.S.{name}")
        };
        self.req(&subj, json!({"stream_name": "S", "config": cfg}))
    }

    fn info(&mut self, name: &str) -> Value {
        self.req(&format!("$JS.API.CONSUMER.INFO.S.{name}"), Value::Null)
    }

    /// A pull request; returns everything sent back.
    fn next(&mut self, name: &str, body: &str) -> Vec<Outgoing> {
        self.send(
            &format!("$JS.API.CONSUMER.MSG.NEXT.S.{name}"),
            Some(b"_INBOX.pull"),
            body.as_bytes(),
        )
    }

    fn ack(&mut self, m: &Outgoing, body: &[u8]) -> Vec<Outgoing> {
        let reply = String::from_utf8(m.reply.clone().unwrap().to_vec()).unwrap();
        self.send(&reply, None, body)
    }

    fn timeout(&mut self) -> Vec<Outgoing> {
        let (now, rt) = (self.at(), self.rt);
        self.js.handle_timeout(now, rt)
    }
}

fn status(o: &Outgoing) -> String {
    let h = o.headers.as_ref().map(|h| h.to_vec()).unwrap_or_default();
    String::from_utf8(h).unwrap()
}

fn is_msg(o: &Outgoing) -> bool {
    o.reply.is_some()
}

fn ack_tokens(o: &Outgoing) -> Vec<String> {
    let r = String::from_utf8(o.reply.clone().unwrap().to_vec()).unwrap();
    r.split('.').map(str::to_string).collect()
}

#[test]
fn consumer_create_info_names_list_delete() {
    let mut e = Env::new();
    let r = e.create(json!({"durable_name": "D", "ack_policy": "explicit"}));
    assert_eq!(
        r["type"],
        "io.nats.jetstream.api.v1.consumer_create_response"
    );
    assert!(r.get("error").is_none(), "{r}");
    assert_eq!(r["name"], "D");
    assert_eq!(r["stream_name"], "S");
    let c = &r["config"];
    assert_eq!(c["durable_name"], "D");
    assert_eq!(c["deliver_policy"], "all");
    assert_eq!(c["ack_policy"], "explicit");
    assert_eq!(c["ack_wait"], 30 * SEC);
    assert_eq!(c["max_deliver"], -1);
    assert_eq!(c["max_ack_pending"], 1000);
    assert_eq!(c["max_waiting"], 512);
    assert_eq!(c["replay_policy"], "instant");
    assert_eq!(c["metadata"]["_nats.req.level"], "0");
    assert_eq!(r["num_pending"], 0);
    assert_eq!(r["delivered"], json!({"consumer_seq": 0, "stream_seq": 0}));

    // Same config again: idempotent. Different config with action create: error.
    let again = e.create(json!({"durable_name": "D", "ack_policy": "explicit"}));
    assert!(again.get("error").is_none(), "{again}");
    let r = e.req(
        "$JS.API.CONSUMER.DURABLE.CREATE.S.D",
        json!({"stream_name": "S", "action": "create",
               "config": {"durable_name": "D", "ack_policy": "all"}}),
    );
    assert_eq!(r["error"]["err_code"], 10148);

    e.publish("s.a", b"1");
    e.publish("s.b", b"2");
    let i = e.info("D");
    assert_eq!(i["type"], "io.nats.jetstream.api.v1.consumer_info_response");
    assert_eq!(i["num_pending"], 2);

    let r = e.create(json!({"ack_policy": "explicit", "filter_subject": "s.b"}));
    let eph = r["name"].as_str().unwrap().to_string();
    assert_eq!(eph.len(), 8);
    assert_eq!(r["num_pending"], 1);
    assert_eq!(r["config"]["inactive_threshold"], 5 * SEC);

    let n = e.req("$JS.API.CONSUMER.NAMES.S", Value::Null);
    assert_eq!(n["total"], 2);
    assert_eq!(n["consumers"].as_array().unwrap().len(), 2);
    let l = e.req("$JS.API.CONSUMER.LIST.S", Value::Null);
    assert_eq!(l["consumers"].as_array().unwrap().len(), 2);
    let si = e.req("$JS.API.STREAM.INFO.S", Value::Null);
    assert_eq!(si["state"]["consumer_count"], 2);

    let d = e.req("$JS.API.CONSUMER.DELETE.S.D", Value::Null);
    assert_eq!(d["success"], true);
    assert_eq!(e.info("D")["error"]["err_code"], 10014);
    let d = e.req("$JS.API.CONSUMER.DELETE.S.D", Value::Null);
    assert_eq!(d["error"]["err_code"], 10014);
}

#[test]
fn consumer_create_errors_like_go() {
    let mut e = Env::new();
    let push = e.create(json!({"durable_name": "P", "deliver_subject": "s.out"}));
    assert_eq!(push["error"]["err_code"], 10081, "deliver cycle: {push}");
    let push = e.create(json!({"durable_name": "P", "deliver_subject": "out.*"}));
    assert_eq!(push["error"]["err_code"], 10079, "{push}");
    let push = e.create(json!({"durable_name": "P", "deliver_subject": "out", "max_waiting": 2}));
    assert_eq!(push["error"]["err_code"], 10080, "{push}");
    let pull = e.create(json!({"durable_name": "P", "idle_heartbeat": SEC}));
    assert_eq!(pull["error"]["err_code"], 10088, "{pull}");
    let r = e.create(json!({"durable_name": "P", "deliver_policy": "last_per_subject"}));
    assert_eq!(r["error"]["err_code"], 10094, "{r}");
    let r = e.req(
        "$JS.API.CONSUMER.DURABLE.CREATE.S.X",
        json!({"stream_name": "S", "config": {"durable_name": "Y"}}),
    );
    assert_eq!(r["error"]["err_code"], 10017);
    let r = e.req(
        "$JS.API.CONSUMER.CREATE.S",
        json!({"stream_name": "S", "config": {"durable_name": "Y"}}),
    );
    assert_eq!(r["error"]["err_code"], 10020);
    let r = e.req(
        "$JS.API.CONSUMER.CREATE.T",
        json!({"stream_name": "T", "config": {}}),
    );
    assert_eq!(r["error"]["err_code"], 10059);
    let r = e.req(
        "$JS.API.CONSUMER.CREATE.S.C.s.a",
        json!({"stream_name": "S", "config": {"filter_subject": "s.b"}}),
    );
    assert_eq!(r["error"]["err_code"], 10131);
    let r = e.create(json!({"durable_name": "Q", "deliver_policy": "by_start_sequence"}));
    assert_eq!(r["error"]["err_code"], 10094);
    let r = e.create(json!({"durable_name": "Q", "filter_subjects": ["s.>", "s.a"]}));
    assert_eq!(r["error"]["err_code"], 10138);
}

#[test]
fn pull_fetch_batch_and_ack() {
    let mut e = Env::new();
    e.create(json!({"durable_name": "D"}));
    for i in 0..5 {
        e.publish(&format!("s.{i}"), format!("m{i}").as_bytes());
    }
    let out = e.next("D", r#"{"batch": 3}"#);
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(is_msg));
    assert_eq!(&out[0].subject[..], b"_INBOX.pull");
    assert_eq!(out[0].deliver_as.as_deref(), Some(&b"s.0"[..]));
    assert_eq!(&out[2].payload[..], b"m2");
    // $JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>
    let t = ack_tokens(&out[1]);
    assert_eq!(t[0], "$JS");
    assert_eq!(
        (t[2].as_str(), t[3].as_str(), t[4].as_str()),
        ("S", "D", "1")
    );
    assert_eq!(
        (t[5].as_str(), t[6].as_str(), t[8].as_str()),
        ("2", "2", "3")
    );

    let i = e.info("D");
    assert_eq!(i["num_ack_pending"], 3);
    assert_eq!(i["num_pending"], 2);
    assert_eq!(i["delivered"]["stream_seq"], 3);
    for m in &out {
        assert!(e.ack(m, b"+ACK").is_empty());
    }
    let i = e.info("D");
    assert_eq!(i["num_ack_pending"], 0);
    assert_eq!(i["ack_floor"]["stream_seq"], 3);
    assert_eq!(i["ack_floor"]["consumer_seq"], 3);

    // A no-wait request for more than is left: 2 messages, then a 408.
    let out = e.next("D", r#"{"batch": 5, "no_wait": true}"#);
    assert_eq!(out.len(), 3);
    assert!(status(&out[2]).starts_with("NATS/1.0 408 Request Timeout\r\n"));
    assert!(status(&out[2]).contains("Nats-Pending-Messages: 3\r\n"));
    // Nothing left: 404.
    let out = e.next("D", r#"{"batch": 5, "no_wait": true}"#);
    assert_eq!(out.len(), 1);
    assert_eq!(status(&out[0]), "NATS/1.0 404 No Messages\r\n\r\n");
}

#[test]
fn pull_waits_for_new_messages_and_expires() {
    let mut e = Env::new();
    e.create(json!({"durable_name": "D"}));
    assert!(e
        .next("D", r#"{"batch": 2, "expires": 5000000000}"#)
        .is_empty());
    assert_eq!(e.info("D")["num_waiting"], 1);
    let out = e.publish("s.x", b"hello");
    // The PubAck and the delivery to the waiting request.
    let msgs: Vec<_> = out.iter().filter(|o| is_msg(o)).collect();
    assert_eq!(msgs.len(), 1);
    assert_eq!(&msgs[0].payload[..], b"hello");
    assert_eq!(
        e.js.poll_timeout(),
        Some(Instant::from_nanos(5 * SEC as u64))
    );
    e.advance(5 * SEC);
    let out = e.timeout();
    let expired: Vec<_> = out
        .iter()
        .filter(|o| &o.subject[..] == b"_INBOX.pull")
        .collect();
    assert_eq!(expired.len(), 1);
    assert!(status(expired[0]).starts_with("NATS/1.0 408 Request Timeout\r\n"));
    assert!(status(expired[0]).contains("Nats-Pending-Messages: 1\r\n"));
    assert_eq!(e.info("D")["num_waiting"], 0);
    // A plain number body is a batch size.
    e.publish("s.y", b"again");
    let out = e.next("D", "1");
    assert_eq!(out.len(), 1);
    assert_eq!(&out[0].payload[..], b"again");
}

#[test]
fn nak_redelivers_at_once_and_term_stops() {
    let mut e = Env::new();
    e.create(json!({"durable_name": "D"}));
    e.publish("s.a", b"1");
    e.publish("s.b", b"2");
    let out = e.next("D", r#"{"batch": 1}"#);
    assert!(e.ack(&out[0], b"-NAK").is_empty());
    let again = e.next("D", r#"{"batch": 1}"#);
    assert_eq!(&again[0].payload[..], b"1");
    assert_eq!(ack_tokens(&again[0])[4], "2", "delivery count 2");
    assert_eq!(e.info("D")["num_redelivered"], 1);
    e.ack(&again[0], b"+TERM");
    let next = e.next("D", r#"{"batch": 1}"#);
    assert_eq!(&next[0].payload[..], b"2");
    e.ack(&next[0], b"");
    let i = e.info("D");
    assert_eq!(i["num_ack_pending"], 0);
    assert_eq!(i["ack_floor"]["stream_seq"], 2);
}

#[test]
fn ack_wait_redelivery_with_simulated_time_and_max_deliver() {
    let mut e = Env::new();
    e.create(json!({"durable_name": "D", "ack_wait": 2 * SEC, "max_deliver": 2}));
    e.publish("s.a", b"1");
    let first = e.next("D", "1");
    assert_eq!(first.len(), 1);
    assert_eq!(
        e.js.poll_timeout(),
        Some(Instant::from_nanos(2 * SEC as u64))
    );
    // +WPI pushes the deadline out.
    e.advance(SEC);
    e.ack(&first[0], b"+WPI");
    e.advance(SEC + SEC / 2);
    e.timeout();
    let early = e.next("D", r#"{"no_wait": true}"#);
    assert_eq!(
        status(&early[0]),
        "NATS/1.0 404 No Messages\r\n\r\n",
        "not yet due"
    );
    e.advance(SEC);
    e.timeout();
    let second = e.next("D", r#"{"batch": 1, "no_wait": true}"#);
    assert!(is_msg(&second[0]), "redelivered after ack_wait");
    assert_eq!(ack_tokens(&second[0])[4], "2");
    e.advance(3 * SEC);
    e.timeout();
    let third = e.next("D", r#"{"batch": 1, "no_wait": true}"#);
    assert_eq!(
        status(&third[0]),
        "NATS/1.0 404 No Messages\r\n\r\n",
        "max_deliver 2"
    );
}

#[test]
fn deliver_policies_last_new_and_by_start_sequence() {
    let mut e = Env::new();
    for i in 1..=4 {
        e.publish(
            if i % 2 == 0 { "s.even" } else { "s.odd" },
            format!("{i}").as_bytes(),
        );
    }
    let r = e.create(json!({"durable_name": "L", "deliver_policy": "last"}));
    assert_eq!(r["num_pending"], 1);
    let r = e.create(json!({"durable_name": "N", "deliver_policy": "new"}));
    assert_eq!(r["num_pending"], 0);
    let r = e.create(
        json!({"durable_name": "B", "deliver_policy": "by_start_sequence", "opt_start_seq": 3}),
    );
    assert_eq!(r["num_pending"], 2);
    let r = e.create(
        json!({"durable_name": "P", "deliver_policy": "last_per_subject", "filter_subject": "s.>"}),
    );
    assert_eq!(r["num_pending"], 2);
    let out = e.next("P", r#"{"batch": 10, "no_wait": true}"#);
    let got: Vec<_> = out
        .iter()
        .filter(|o| is_msg(o))
        .map(|o| o.payload.to_vec())
        .collect();
    assert_eq!(got, vec![b"3".to_vec(), b"4".to_vec()]);
}

#[test]
fn ephemeral_consumer_is_deleted_after_inactivity() {
    let mut e = Env::new();
    let r = e.create(json!({"inactive_threshold": SEC}));
    let name = r["name"].as_str().unwrap().to_string();
    e.advance(SEC);
    e.timeout();
    assert_eq!(e.info(&name)["error"]["err_code"], 10014);
}

#[test]
fn ack_all_and_max_ack_pending() {
    let mut e = Env::new();
    e.create(json!({"durable_name": "D", "ack_policy": "all", "max_ack_pending": 2}));
    for i in 0..4 {
        e.publish(&format!("s.{i}"), b"x");
    }
    let out = e.next("D", r#"{"batch": 4, "no_wait": true}"#);
    let msgs: Vec<_> = out.iter().filter(|o| is_msg(o)).cloned().collect();
    assert_eq!(msgs.len(), 2, "max_ack_pending caps outstanding messages");
    assert!(status(out.last().unwrap()).starts_with("NATS/1.0 408 Request Timeout\r\n"));
    // Acking the second acks the first too.
    e.ack(&msgs[1], b"+ACK");
    let i = e.info("D");
    assert_eq!(i["num_ack_pending"], 0);
    assert_eq!(i["ack_floor"]["stream_seq"], 2);
    let out = e.next("D", r#"{"batch": 4, "no_wait": true}"#);
    assert_eq!(out.iter().filter(|o| is_msg(o)).count(), 2);
}

// ---- push consumers, flow control, heartbeats and the rest of the
// consumer features (ported from Go's jetstream_consumer_test.go and
// jetstream_test.go where they apply).

fn header(o: &Outgoing, name: &str) -> Option<String> {
    status(o)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string))
}

fn msgs(out: &[Outgoing]) -> Vec<&Outgoing> {
    out.iter().filter(|o| is_msg(o) && o.headers.as_ref().is_none_or(|h| !h.starts_with(b"NATS/1.0 100"))).collect()
}

impl Env {
    fn interest(&mut self, subject: &str, queue: Option<&str>, on: bool) -> Vec<Outgoing> {
        let (now, rt) = (self.at(), self.rt);
        self.js.handle_interest(now, rt, subject, queue, on)
    }

    fn fill(&mut self, n: usize) {
        for i in 0..n {
            self.publish("s.a", format!("m{i}").as_bytes());
        }
    }
}

#[test]
fn test_jet_stream_consumer_push_bound() {
    let mut e = Env::new();
    e.fill(3);
    let r = e.create(json!({"durable_name": "P", "deliver_subject": "push.out"}));
    assert!(r.get("error").is_none(), "{r}");
    assert!(r.get("push_bound").is_none(), "not bound yet: {r}");
    assert_eq!(
        e.js.watched_interest(),
        vec![("push.out".to_string(), None)]
    );
    // A publish while nobody listens sends nothing.
    assert!(msgs(&e.publish("s.a", b"m3")).is_empty());
    let out = e.interest("push.out", None, true);
    let got = msgs(&out);
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|m| m.subject.as_ref() == b"push.out"));
    assert_eq!(got[0].deliver_as.as_deref(), Some(&b"s.a"[..]));
    assert_eq!(e.info("P")["push_bound"], true);
    // Live messages follow while bound.
    assert_eq!(msgs(&e.publish("s.a", b"m4")).len(), 1);
    e.interest("push.out", None, false);
    assert!(e.info("P").get("push_bound").is_none());
    assert!(msgs(&e.publish("s.a", b"m5")).is_empty());
    // A pull request on a push consumer is refused as Go does.
    let out = e.next("P", "1");
    assert!(status(&out[0]).starts_with("NATS/1.0 409 Consumer is push based"));
}

#[test]
fn push_consumer_with_deliver_group_needs_that_group() {
    let mut e = Env::new();
    e.fill(2);
    let r = e.create(json!({"durable_name": "G", "deliver_subject": "grp.out", "deliver_group": "workers"}));
    assert!(r.get("error").is_none(), "{r}");
    assert_eq!(
        e.js.watched_interest(),
        vec![("grp.out".to_string(), Some("workers".to_string()))]
    );
    assert!(e.interest("grp.out", None, true).is_empty());
    assert_eq!(msgs(&e.interest("grp.out", Some("workers"), true)).len(), 2);
}

#[test]
fn push_redelivery_after_ack_wait() {
    let mut e = Env::new();
    e.fill(1);
    e.create(json!({"durable_name": "P", "deliver_subject": "out", "ack_wait": SEC}));
    let out = e.interest("out", None, true);
    let first = msgs(&out)[0].clone();
    assert_eq!(ack_tokens(&first)[4], "1");
    e.advance(SEC / 2);
    assert!(msgs(&e.timeout()).is_empty());
    e.advance(SEC);
    let again = e.timeout();
    let again = msgs(&again);
    assert_eq!(again.len(), 1);
    assert_eq!(ack_tokens(again[0])[4], "2", "delivery count 2");
    e.ack(again[0], b"+ACK");
    e.advance(5 * SEC);
    assert!(msgs(&e.timeout()).is_empty());
    assert_eq!(e.info("P")["num_ack_pending"], 0);
}

#[test]
fn test_jet_stream_push_consumer_idle_heartbeats() {
    let mut e = Env::new();
    let r = e.create(json!({"durable_name": "H", "deliver_subject": "hb", "idle_heartbeat": SEC, "ack_policy": "none"}));
    assert!(r.get("error").is_none(), "{r}");
    e.interest("hb", None, true);
    e.advance(SEC);
    let out = e.timeout();
    assert_eq!(out.len(), 1);
    let hb = &out[0];
    assert_eq!(hb.subject.as_ref(), b"hb");
    assert!(status(hb).starts_with("NATS/1.0 100 Idle Heartbeat\r\n"));
    assert_eq!(header(hb, "Nats-Last-Consumer").as_deref(), Some("0"));
    assert_eq!(header(hb, "Nats-Last-Stream").as_deref(), Some("0"));
    // A delivery resets the heartbeat timer and moves the sequences.
    e.advance(SEC / 2);
    assert_eq!(msgs(&e.publish("s.a", b"x")).len(), 1);
    e.advance(SEC / 2 + 1);
    assert!(e.timeout().is_empty(), "reset by the delivery");
    e.advance(SEC / 2);
    let out = e.timeout();
    assert_eq!(header(&out[0], "Nats-Last-Consumer").as_deref(), Some("1"));
    assert_eq!(header(&out[0], "Nats-Last-Stream").as_deref(), Some("1"));
}

#[test]
fn test_jet_stream_push_consumer_idle_heartbeats_with_no_interest() {
    let mut e = Env::new();
    e.create(json!({"durable_name": "H", "deliver_subject": "hb", "idle_heartbeat": SEC}));
    e.advance(3 * SEC);
    assert!(e.timeout().is_empty(), "no heartbeats while unbound");
}

#[test]
fn test_jet_stream_push_consumer_flow_control() {
    let mut e = Env::new();
    let big = vec![b'x'; 128 * 1024];
    for _ in 0..24 {
        e.publish("s.a", &big);
    }
    let r = e.create(json!({"durable_name": "F", "deliver_subject": "fc", "flow_control": true, "idle_heartbeat": 5 * SEC, "ack_policy": "none"}));
    assert!(r.get("error").is_none(), "{r}");
    let out = e.interest("fc", None, true);
    let fc: Vec<_> = out
        .iter()
        .filter(|o| status(o).starts_with("NATS/1.0 100 FlowControl Request"))
        .collect();
    assert_eq!(fc.len(), 1, "one flow control request");
    let fc_reply = String::from_utf8(fc[0].reply.clone().unwrap().to_vec()).unwrap();
    assert!(fc_reply.starts_with("$JS.FC.S.F."), "{fc_reply}");
    // The window (2 MiB) stops delivery before all 3 MiB are out.
    let sent = msgs(&out).len();
    assert!((16..24).contains(&sent), "sent {sent}");
    // Stalled: the heartbeat names the outstanding request.
    e.advance(5 * SEC);
    let hb = e.timeout();
    assert_eq!(header(&hb[0], "Nats-Consumer-Stalled").as_deref(), Some(fc_reply.as_str()));
    // The client's reply opens the window again.
    let rest = e.send(&fc_reply, None, b"");
    assert_eq!(msgs(&rest).len(), 24 - sent);
}

#[test]
fn test_jet_stream_flow_control_requires_heartbeats() {
    let mut e = Env::new();
    let r = e.create(json!({"durable_name": "F", "deliver_subject": "fc", "flow_control": true}));
    assert_eq!(r["error"]["err_code"], 10108, "{r}");
}

#[test]
fn test_jet_stream_consumer_pull_heart_beats() {
    let mut e = Env::new();
    e.create(json!({"durable_name": "D"}));
    let out = e.next("D", &format!(r#"{{"batch": 2, "expires": {}, "idle_heartbeat": {}}}"#, 10 * SEC, 4 * SEC));
    assert!(out.is_empty());
    let out = e.next("D", &format!(r#"{{"batch": 2, "expires": {}, "idle_heartbeat": {}}}"#, SEC, SEC));
    assert!(status(&out[0]).contains("400 Bad Request - heartbeat value too large"));
    e.advance(4 * SEC);
    let out = e.timeout();
    assert_eq!(out.len(), 1);
    assert!(status(&out[0]).starts_with("NATS/1.0 100 Idle Heartbeat"));
    assert_eq!(out[0].subject.as_ref(), b"_INBOX.pull");
    e.advance(6 * SEC);
    let out = e.timeout();
    assert!(out.iter().any(|o| status(o).starts_with("NATS/1.0 408")), "expired");
}

#[test]
fn test_jet_stream_consumer_replay_rate_no_ack() {
    let mut e = Env::new();
    e.publish("s.a", b"1");
    e.advance(2 * SEC);
    e.publish("s.a", b"2");
    e.advance(SEC);
    e.publish("s.a", b"3");
    let r = e.create(json!({"durable_name": "R", "deliver_subject": "r", "replay_policy": "original", "ack_policy": "none"}));
    assert!(r.get("error").is_none(), "{r}");
    assert_eq!(msgs(&e.interest("r", None, true)).len(), 1);
    e.advance(SEC);
    assert!(msgs(&e.timeout()).is_empty());
    e.advance(SEC);
    assert_eq!(msgs(&e.timeout()).len(), 1, "second after 2s as stored");
    e.advance(SEC);
    assert_eq!(msgs(&e.timeout()).len(), 1, "third after 1s");
    // Messages arriving after creation go at once.
    assert_eq!(msgs(&e.publish("s.a", b"4")).len(), 1);
}

#[test]
fn test_jet_stream_consumer_with_start_time() {
    let mut e = Env::new();
    e.fill(3);
    e.advance(10 * SEC);
    let start = e.rt;
    e.fill(2);
    let t = rnatsd_core::jetstream::types::format_rfc3339(Some(start));
    let r = e.create(json!({"durable_name": "T", "deliver_policy": "by_start_time", "opt_start_time": t}));
    assert_eq!(r["num_pending"], 2, "{r}");
    let out = e.next("T", "1");
    assert_eq!(ack_tokens(&out[0])[5], "4");
    let r = e.create(json!({"durable_name": "U", "deliver_policy": "by_start_time"}));
    assert_eq!(r["error"]["err_code"], 10094);
}

#[test]
fn headers_only_sends_the_size() {
    let mut e = Env::new();
    e.publish("s.a", b"hello");
    e.create(json!({"durable_name": "H", "headers_only": true}));
    let out = e.next("H", "1");
    assert!(out[0].payload.is_empty());
    assert_eq!(header(&out[0], "Nats-Msg-Size").as_deref(), Some("5"));
}

#[test]
fn test_jet_stream_consumer_back_off() {
    let mut e = Env::new();
    let r = e.create(json!({"durable_name": "B", "backoff": [SEC, 2 * SEC], "max_deliver": 1}));
    assert_eq!(r["error"]["err_code"], 10116, "{r}");
    let r = e.create(json!({"durable_name": "B", "backoff": [-1]}));
    assert_eq!(r["error"]["err_code"], 10184, "{r}");
    let r = e.create(json!({"durable_name": "B", "backoff": [SEC, 3 * SEC], "max_deliver": 4}));
    assert_eq!(r["config"]["ack_wait"], SEC, "backoff sets ack_wait: {r}");
    e.fill(1);
    assert_eq!(e.next("B", r#"{"batch": 1, "expires": 60000000000}"#).len(), 1);
    let mut at = Vec::new();
    for step in 0..8 {
        e.advance(SEC);
        e.timeout();
        let out = e.next("B", "{\"batch\": 1, \"no_wait\": true}");
        if out.iter().any(is_msg) {
            at.push(step + 1);
        }
    }
    // Redelivered 1s after the first delivery, then every 3s.
    assert_eq!(at, vec![1, 4, 7]);
}

#[test]
fn test_jet_stream_consumer_max_deliveries() {
    let mut e = Env::new();
    e.fill(1);
    e.create(json!({"durable_name": "M", "max_deliver": 2, "ack_wait": SEC}));
    e.next("M", r#"{"batch": 5, "expires": 60000000000}"#);
    e.advance(SEC);
    assert_eq!(msgs(&e.timeout()).len(), 1);
    e.advance(SEC);
    let out = e.timeout();
    let adv: Vec<_> = out
        .iter()
        .filter(|o| o.subject.as_ref() == b"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.S.M")
        .collect();
    assert_eq!(adv.len(), 1);
    let v: Value = serde_json::from_slice(&adv[0].payload).unwrap();
    assert_eq!(v["type"], "io.nats.jetstream.advisory.v1.max_deliver");
    assert_eq!(v["stream_seq"], 1);
    assert_eq!(v["deliveries"], 2);
    assert_eq!(v["id"].as_str().unwrap().len(), 22);
    assert_eq!(e.info("M")["num_ack_pending"], 0);
}

#[test]
fn test_jet_stream_work_queue_terminate_delivery() {
    let mut e = Env::new();
    e.fill(1);
    e.create(json!({"durable_name": "T"}));
    let out = e.next("T", "1");
    let out = e.ack(&out[0], b"+TERM bad data");
    let adv = out
        .iter()
        .find(|o| o.subject.as_ref() == b"$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.S.T")
        .expect("advisory");
    let v: Value = serde_json::from_slice(&adv.payload).unwrap();
    assert_eq!(v["type"], "io.nats.jetstream.advisory.v1.terminated");
    assert_eq!(v["reason"], "bad data");
    assert_eq!((v["stream_seq"].clone(), v["consumer_seq"].clone()), (json!(1), json!(1)));
}

#[test]
fn double_ack_gets_a_reply_and_nxt_pulls() {
    let mut e = Env::new();
    e.fill(2);
    e.create(json!({"durable_name": "A"}));
    let out = e.next("A", "1");
    let reply = String::from_utf8(out[0].reply.clone().unwrap().to_vec()).unwrap();
    let r = e.send(&reply, Some(b"_INBOX.sync"), b"+ACK");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].subject.as_ref(), b"_INBOX.sync");
    assert!(r[0].payload.is_empty());
    // Unknown or repeated acks are still answered, as Go does.
    let r = e.send(&reply, Some(b"_INBOX.sync"), b"+ACK");
    assert_eq!(r.len(), 1);
    assert_eq!(e.info("A")["ack_floor"]["stream_seq"], 1);
    let out = e.next("A", "1");
    let reply = String::from_utf8(out[0].reply.clone().unwrap().to_vec()).unwrap();
    e.publish("s.a", b"m2");
    let r = e.send(&reply, Some(b"_INBOX.next"), b"+NXT 1");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].subject.as_ref(), b"_INBOX.next");
    assert_eq!(ack_tokens(&r[0])[5], "3");
    assert_eq!(e.info("A")["ack_floor"]["stream_seq"], 2);
}

#[test]
fn test_jet_stream_consumer_pause_via_endpoint() {
    let mut e = Env::new();
    e.fill(1);
    e.create(json!({"durable_name": "P"}));
    let until = rnatsd_core::jetstream::types::format_rfc3339(Some(e.rt + 10 * SEC));
    let body = serde_json::to_vec(&json!({"pause_until": until})).unwrap();
    let out = e.send("$JS.API.CONSUMER.PAUSE.S.P", Some(INBOX), &body);
    assert_eq!(out.len(), 2, "response and advisory");
    let adv: Value = serde_json::from_slice(&out[1].payload).unwrap();
    assert_eq!(out[1].subject.as_ref(), b"$JS.EVENT.ADVISORY.CONSUMER.PAUSE.S.P");
    assert_eq!(adv["type"], "io.nats.jetstream.advisory.v1.consumer_pause");
    assert_eq!((adv["paused"].clone(), adv["pause_until"].clone()), (json!(true), json!(until)));
    let r: Value = serde_json::from_slice(&out[0].payload).unwrap();
    assert_eq!(r["type"], "io.nats.jetstream.api.v1.consumer_pause_response");
    assert_eq!(r["paused"], true, "{r}");
    assert_eq!(r["pause_until"], until);
    assert_eq!(r["pause_remaining"], 10 * SEC);
    let i = e.info("P");
    assert_eq!(i["paused"], true);
    assert_eq!(i["config"]["pause_until"], until);
    assert!(e.next("P", r#"{"batch": 1, "expires": 60000000000}"#).is_empty());
    e.advance(5 * SEC);
    assert!(msgs(&e.timeout()).is_empty(), "still paused");
    e.advance(5 * SEC);
    let out = e.timeout();
    assert_eq!(msgs(&out).len(), 1, "delivered when the pause ends");
    let adv = out
        .iter()
        .find(|o| o.subject.as_ref() == b"$JS.EVENT.ADVISORY.CONSUMER.PAUSE.S.P")
        .expect("unpause advisory");
    let adv: Value = serde_json::from_slice(&adv.payload).unwrap();
    assert_eq!(adv["paused"], false);
    let r = e.req("$JS.API.CONSUMER.PAUSE.S.X", Value::Null);
    assert_eq!(r["error"]["err_code"], 10014);
}

#[test]
fn test_jet_stream_consumer_pause_resume_via_endpoint() {
    let mut e = Env::new();
    e.create(json!({"durable_name": "P"}));
    let until = rnatsd_core::jetstream::types::format_rfc3339(Some(e.rt + 100 * SEC));
    let body = serde_json::to_vec(&json!({"pause_until": until})).unwrap();
    e.send("$JS.API.CONSUMER.PAUSE.S.P", Some(INBOX), &body);
    e.next("P", r#"{"batch": 1, "expires": 60000000000}"#);
    e.fill(1);
    let r = e.send("$JS.API.CONSUMER.PAUSE.S.P", Some(INBOX), b"");
    let v: Value = serde_json::from_slice(&r[0].payload).unwrap();
    assert_eq!(v["paused"], false);
    assert_eq!(v["pause_until"], "0001-01-01T00:00:00Z");
    assert_eq!(msgs(&r).len(), 1, "resumed delivery");
}

#[test]
fn test_jet_stream_consumer_pause_via_config() {
    let mut e = Env::new();
    let until = rnatsd_core::jetstream::types::format_rfc3339(Some(e.rt + 10 * SEC));
    let body = json!({"stream_name": "S", "config": {"durable_name": "P", "pause_until": until}});
    let out = e.send("$JS.API.CONSUMER.DURABLE.CREATE.S.P", Some(INBOX), &serde_json::to_vec(&body).unwrap());
    assert_eq!(out[1].subject.as_ref(), b"$JS.EVENT.ADVISORY.CONSUMER.PAUSE.S.P");
    let r: Value = serde_json::from_slice(&out[0].payload).unwrap();
    assert_eq!(r["paused"], true, "{r}");
    // An update cannot change pause_until.
    let r = e.create(json!({"durable_name": "P", "description": "d"}));
    assert_eq!(r["config"]["pause_until"], until, "{r}");
}

#[test]
fn consumer_update_changes_allowed_fields_only() {
    let mut e = Env::new();
    e.create(json!({"durable_name": "U", "ack_wait": SEC}));
    let r = e.create(json!({"durable_name": "U", "ack_wait": 2 * SEC, "description": "new"}));
    assert_eq!(r["config"]["ack_wait"], 2 * SEC, "{r}");
    assert_eq!(r["config"]["description"], "new");
    let r = e.create(json!({"durable_name": "U", "ack_policy": "all"}));
    assert_eq!(r["error"]["err_code"], 10012);
    assert_eq!(r["error"]["description"], "ack policy can not be updated");
    let r = e.req(
        "$JS.API.CONSUMER.CREATE.S.U",
        json!({"stream_name": "S", "config": {"durable_name": "U", "ack_wait": 3 * SEC}, "action": "create"}),
    );
    assert_eq!(r["error"]["err_code"], 10148, "{r}");
    let r = e.req(
        "$JS.API.CONSUMER.CREATE.S.U",
        json!({"stream_name": "S", "config": {"durable_name": "U", "ack_wait": 3 * SEC}, "action": "update"}),
    );
    assert_eq!(r["config"]["ack_wait"], 3 * SEC, "{r}");
}

#[test]
fn ordered_consumer_config_as_clients_send_it() {
    let mut e = Env::new();
    e.fill(3);
    let r = e.req(
        "$JS.API.CONSUMER.CREATE.S.ord_1",
        json!({"stream_name": "S", "config": {
            "name": "ord_1", "deliver_subject": "_INBOX.ord", "deliver_policy": "all",
            "ack_policy": "none", "max_deliver": 1, "replay_policy": "instant",
            "flow_control": true, "idle_heartbeat": 5 * SEC, "inactive_threshold": 30 * SEC,
            "num_replicas": 1, "mem_storage": true}}),
    );
    assert!(r.get("error").is_none(), "{r}");
    let out = e.interest("_INBOX.ord", None, true);
    let got = msgs(&out);
    assert_eq!(got.len(), 3);
    let dseqs: Vec<String> = got.iter().map(|m| ack_tokens(m)[6].clone()).collect();
    assert_eq!(dseqs, vec!["1", "2", "3"]);
    // Gone after the inactivity threshold once nobody listens.
    e.interest("_INBOX.ord", None, false);
    e.advance(31 * SEC);
    e.timeout();
    assert_eq!(e.js.consumer_count("S"), 0);
}

// ---- through the engine: the deliver subject's interest comes from client
// subscriptions (the engine's watched-interest hook).

mod engine {
    use super::*;
    use bytes::BytesMut;
    use rnatsd_core::options::ServerOptions;
    use rnatsd_core::server::{ConnId, RemoteAddr, Server};

    fn server() -> Server {
        let mut s = Server::new(ServerOptions::default(), 1, Instant::ZERO, NOW).unwrap();
        let e = Env::new();
        s.set_internal_service(Instant::ZERO, Box::new(e.js));
        s
    }

    fn client(s: &mut Server, port: u16) -> ConnId {
        let id = s.handle_accept(Instant::ZERO, RemoteAddr { ip: "127.0.0.1".into(), port });
        s.handle_read(Instant::ZERO, id, b"CONNECT {\"verbose\":false,\"headers\":true}\r\n");
        output(s, id);
        id
    }

    fn output(s: &mut Server, id: ConnId) -> String {
        while s.poll_event().is_some() {}
        let mut out = BytesMut::new();
        s.poll_transmit(id, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn push_consumer_follows_client_subscriptions() {
        let mut s = server();
        let c = client(&mut s, 1);
        let create = br#"{"stream_name":"S","config":{"durable_name":"P","deliver_subject":"dlv","ack_policy":"none"}}"#;
        let mut req = format!("SUB _INBOX.r 1\r\nPUB $JS.API.CONSUMER.DURABLE.CREATE.S.P _INBOX.r {}\r\n", create.len()).into_bytes();
        req.extend_from_slice(create);
        req.extend_from_slice(b"\r\nPUB s.a 2\r\nm1\r\n");
        s.handle_read(Instant::ZERO, c, &req);
        let out = output(&mut s, c);
        assert!(out.contains("consumer_create_response"), "{out}");
        assert!(!out.contains("m1"), "no subscriber yet: {out}");
        // Subscribing to the deliver subject starts delivery.
        s.handle_read(Instant::ZERO, c, b"SUB dlv 2\r\nPING\r\n");
        let out = output(&mut s, c);
        assert!(out.contains("MSG s.a 2 $JS.ACK.S.P.1.1.1."), "{out}");
        assert!(out.contains("m1"), "{out}");
        s.handle_read(Instant::ZERO, c, b"PUB s.a 2\r\nm2\r\nPING\r\n");
        assert!(output(&mut s, c).contains("m2"));
        // Unsubscribed: nothing more goes out, even to a new connection
        // that only publishes.
        s.handle_read(Instant::ZERO, c, b"UNSUB 2\r\nPUB s.a 2\r\nm3\r\nPING\r\n");
        assert!(!output(&mut s, c).contains("m3"));
        // Another client subscribing gets the rest.
        let d = client(&mut s, 2);
        s.handle_read(Instant::ZERO, d, b"SUB dlv 9\r\nPING\r\n");
        let out = output(&mut s, d);
        assert!(out.contains("MSG s.a 9 $JS.ACK.S.P.1.3.3."), "{out}");
        s.check_invariants();
    }

    #[test]
    fn pull_request_without_an_inbox_gives_the_message_back() {
        let mut s = server();
        let c = client(&mut s, 1);
        let create = br#"{"stream_name":"S","config":{"durable_name":"W"}}"#;
        let mut req = format!("PUB $JS.API.CONSUMER.DURABLE.CREATE.S.W {}\r\n", create.len()).into_bytes();
        req.extend_from_slice(create);
        // A pull request whose inbox nobody subscribes to.
        req.extend_from_slice(b"\r\nPUB $JS.API.CONSUMER.MSG.NEXT.S.W _INBOX.gone 1\r\n1\r\nPUB s.a 2\r\nm1\r\nPING\r\n");
        s.handle_read(Instant::ZERO, c, &req);
        output(&mut s, c);
        // The message is not stuck until ack_wait: the next request gets
        // it at once, still as its first delivery.
        s.handle_read(Instant::ZERO, c, b"SUB _INBOX.ok 1\r\nPUB $JS.API.CONSUMER.MSG.NEXT.S.W _INBOX.ok 1\r\n1\r\nPING\r\n");
        let out = output(&mut s, c);
        assert!(out.contains("MSG s.a 1 $JS.ACK.S.W.1.1.2."), "{out}");
        s.check_invariants();
    }

    #[test]
    fn push_consumer_pauses_when_the_subscriber_disconnects() {
        let mut s = server();
        let c = client(&mut s, 1);
        let create = br#"{"stream_name":"S","config":{"durable_name":"P","deliver_subject":"dlv","ack_policy":"none"}}"#;
        let mut req = format!("SUB dlv 2\r\nPUB $JS.API.CONSUMER.DURABLE.CREATE.S.P {}\r\n", create.len()).into_bytes();
        req.extend_from_slice(create);
        req.extend_from_slice(b"\r\nPUB s.a 2\r\nm1\r\nPING\r\n");
        s.handle_read(Instant::ZERO, c, &req);
        assert!(output(&mut s, c).contains("m1"));
        s.handle_disconnect(Instant::ZERO, c);
        let p = client(&mut s, 2);
        s.handle_read(Instant::ZERO, p, b"SUB _INBOX.i 1\r\nPUB s.a 2\r\nm2\r\nPUB $JS.API.CONSUMER.INFO.S.P _INBOX.i 0\r\n\r\nPING\r\n");
        let out = output(&mut s, p);
        assert!(!out.contains("\"push_bound\""), "unbound after disconnect: {out}");
        assert!(out.contains("\"num_pending\":1"), "{out}");
        s.check_invariants();
    }
}

#[test]
fn test_jet_stream_consumer_replay_rate() {
    let mut e = Env::new();
    e.publish("s.a", b"1");
    e.advance(2 * SEC);
    e.publish("s.a", b"2");
    let r = e.create(json!({"durable_name": "R", "replay_policy": "original"}));
    assert!(r.get("error").is_none(), "{r}");
    let out = e.next("R", r#"{"batch": 2, "no_wait": true}"#);
    assert_eq!(msgs(&out).len(), 1, "first at once, the request stays");
    e.advance(SEC);
    assert!(msgs(&e.timeout()).is_empty());
    e.advance(SEC);
    let out = e.timeout();
    assert_eq!(msgs(&out).len(), 1, "second 2s later, as stored");
    assert_eq!(out[0].payload.as_ref(), b"2");
}

#[test]
fn test_jet_stream_consumer_pause_heartbeats() {
    let mut e = Env::new();
    let until = rnatsd_core::jetstream::types::format_rfc3339(Some(e.rt + 60 * SEC));
    let body = json!({"stream_name": "S", "config": {
        "durable_name": "P", "deliver_subject": "hb", "idle_heartbeat": SEC, "pause_until": until}});
    e.send("$JS.API.CONSUMER.DURABLE.CREATE.S.P", Some(INBOX), &serde_json::to_vec(&body).unwrap());
    e.fill(1);
    assert!(msgs(&e.interest("hb", None, true)).is_empty(), "paused");
    for _ in 0..3 {
        e.advance(SEC);
        let out = e.timeout();
        assert_eq!(out.len(), 1, "a heartbeat while paused");
        assert!(status(&out[0]).starts_with("NATS/1.0 100 Idle Heartbeat"));
    }
}

#[test]
fn test_jet_stream_consumer_max_deliver_update() {
    let mut e = Env::new();
    e.fill(1);
    e.create(json!({"durable_name": "M", "max_deliver": 2, "ack_wait": SEC}));
    e.next("M", r#"{"batch": 10, "expires": 600000000000}"#);
    let r = e.create(json!({"durable_name": "M", "max_deliver": 3, "ack_wait": SEC}));
    assert_eq!(r["config"]["max_deliver"], 3, "{r}");
    let mut deliveries = 1;
    for _ in 0..5 {
        e.advance(SEC);
        deliveries += msgs(&e.timeout()).len();
    }
    assert_eq!(deliveries, 3, "the new max_deliver applies");
}

#[test]
fn push_delivery_is_batched_and_continues_on_the_next_tick() {
    let mut e = Env::new();
    e.fill(1500);
    e.create(json!({"durable_name": "B", "deliver_subject": "b", "ack_policy": "none"}));
    let first = msgs(&e.interest("b", None, true)).len();
    assert_eq!(first, 1024);
    assert_eq!(e.js.poll_timeout(), Some(e.at()), "more is due at once");
    let rest = msgs(&e.timeout()).len();
    assert_eq!(first + rest, 1500);
}

#[test]
fn pull_batch_completed_with_bytes_left() {
    let mut e = Env::new();
    e.fill(3);
    e.create(json!({"durable_name": "D"}));
    let out = e.next("D", r#"{"batch": 2, "max_bytes": 100000}"#);
    assert_eq!(msgs(&out).len(), 2);
    let last = out.last().unwrap();
    assert!(status(last).starts_with("NATS/1.0 409 Batch Completed\r\n"), "{}", status(last));
    assert_eq!(header(last, "Nats-Pending-Messages").as_deref(), Some("0"));
    let b: i64 = header(last, "Nats-Pending-Bytes").unwrap().parse().unwrap();
    assert!(b > 0 && b < 100000);
}

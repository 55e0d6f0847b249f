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
    let push = e.create(json!({"durable_name": "P", "deliver_subject": "out"}));
    assert_eq!(push["error"]["err_code"], 10012, "{push}");
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
    let r = e.create(json!({"durable_name": "P", "deliver_policy": "last_per_subject"}));
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

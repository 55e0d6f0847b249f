//! The `$JS.API` stream calls and the publish checks, request by request,
//! through async-nats's plain request/reply, so every reply field and error
//! code (Go's errors.json numbers) is asserted as the wire carries it.

mod common;

use common::{start_js, StoreDir};

use std::time::Duration;

use async_nats::{Client, HeaderMap};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(5);

async fn connect(s: &rnatsd_io_tokio::RunningServer) -> Client {
    async_nats::connect(common::url(s)).await.unwrap()
}

/// One `$JS.API` request; `Value::Null` sends an empty body.
async fn api(c: &Client, subject: &str, body: Value) -> Value {
    let payload = if body.is_null() {
        Bytes::new()
    } else {
        Bytes::from(serde_json::to_vec(&body).unwrap())
    };
    let m = tokio::time::timeout(T, c.request(subject.to_string(), payload))
        .await
        .expect("api reply in time")
        .expect("api reply");
    serde_json::from_slice(&m.payload).expect("api reply is JSON")
}

async fn create(c: &Client, config: Value) -> Value {
    let name = config["name"].as_str().unwrap().to_string();
    let r = api(c, &format!("$JS.API.STREAM.CREATE.{name}"), config).await;
    assert!(r.get("error").is_none(), "create failed: {r}");
    r
}

/// Publishes with optional headers and returns the PubAck JSON.
async fn publish(c: &Client, subject: &str, headers: &[(&str, &str)], body: &str) -> Value {
    let mut h = HeaderMap::new();
    for (k, v) in headers {
        h.insert(*k, *v);
    }
    let m = tokio::time::timeout(
        T,
        c.request_with_headers(subject.to_string(), h, Bytes::from(body.to_string())),
    )
    .await
    .expect("ack in time")
    .expect("ack");
    serde_json::from_slice(&m.payload).expect("ack is JSON")
}

fn assert_api_err(r: &Value, code: u64, err_code: u64, description: &str) {
    let e = &r["error"];
    assert_eq!(e["code"], code, "{r}");
    assert_eq!(e["err_code"], err_code, "{r}");
    assert_eq!(e["description"], description, "{r}");
}

#[tokio::test]
async fn stream_info_subjects_filter_and_deleted_details() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    create(&c, json!({"name": "S", "subjects": ["a.*", "b.*"]})).await;
    for subj in ["a.1", "a.2", "a.1", "b.1", "a.3"] {
        publish(&c, subj, &[], "x").await;
    }
    let r = api(&c, "$JS.API.STREAM.MSG.DELETE.S", json!({"seq": 2})).await;
    assert_eq!(r["success"], true, "{r}");

    let r = api(
        &c,
        "$JS.API.STREAM.INFO.S",
        json!({"subjects_filter": "a.*"}),
    )
    .await;
    assert_eq!(r["type"], "io.nats.jetstream.api.v1.stream_info_response");
    assert_eq!(r["state"]["subjects"], json!({"a.1": 2, "a.3": 1}), "{r}");
    assert_eq!(r["total"], 2);
    assert_eq!(r["offset"], 0);
    assert!(r["state"].get("deleted").is_none(), "{r}");
    assert_eq!(r["state"]["num_deleted"], 1);

    let r = api(
        &c,
        "$JS.API.STREAM.INFO.S",
        json!({"subjects_filter": ">", "deleted_details": true}),
    )
    .await;
    assert_eq!(
        r["state"]["subjects"],
        json!({"a.1": 2, "a.3": 1, "b.1": 1}),
        "{r}"
    );
    assert_eq!(r["state"]["deleted"], json!([2]), "{r}");
    assert_eq!(r["state"]["messages"], 4);
    assert_eq!(r["state"]["num_subjects"], 3);

    // After a filtered purge the subject is gone from the details.
    let r = api(&c, "$JS.API.STREAM.PURGE.S", json!({"filter": "a.1"})).await;
    assert_eq!(r["purged"], 2, "{r}");
    let r = api(
        &c,
        "$JS.API.STREAM.INFO.S",
        json!({"subjects_filter": "a.*"}),
    )
    .await;
    assert_eq!(r["state"]["subjects"], json!({"a.3": 1}), "{r}");

    // No filter: no subject map at all.
    let r = api(&c, "$JS.API.STREAM.INFO.S", Value::Null).await;
    assert!(r["state"].get("subjects").is_none(), "{r}");
    let r = api(&c, "$JS.API.STREAM.INFO.NOPE", Value::Null).await;
    assert_api_err(&r, 404, 10059, "stream not found");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn stream_names_and_list_filter_and_paging() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    for (name, subj) in [("A", "a.>"), ("B", "b.>"), ("C", "c.x"), ("D", "d")] {
        create(&c, json!({"name": name, "subjects": [subj]})).await;
    }
    let r = api(&c, "$JS.API.STREAM.NAMES", Value::Null).await;
    assert_eq!(r["type"], "io.nats.jetstream.api.v1.stream_names_response");
    assert_eq!(r["streams"], json!(["A", "B", "C", "D"]), "{r}");
    assert_eq!(
        (r["total"].clone(), r["offset"].clone(), r["limit"].clone()),
        (json!(4), json!(0), json!(1024))
    );

    let r = api(&c, "$JS.API.STREAM.NAMES", json!({"offset": 2})).await;
    assert_eq!(r["streams"], json!(["C", "D"]), "{r}");
    assert_eq!(r["offset"], 2);
    assert_eq!(r["total"], 4);

    // A subject filter matches streams whose subjects collide with it.
    let r = api(&c, "$JS.API.STREAM.NAMES", json!({"subject": "b.foo"})).await;
    assert_eq!(r["streams"], json!(["B"]), "{r}");
    let r = api(&c, "$JS.API.STREAM.NAMES", json!({"subject": "*.x"})).await;
    assert_eq!(r["streams"], json!(["A", "B", "C"]), "{r}");
    let r = api(&c, "$JS.API.STREAM.NAMES", json!({"subject": "zzz"})).await;
    assert_eq!(r["total"], 0);
    assert!(r["streams"].is_null(), "{r}");

    let r = api(&c, "$JS.API.STREAM.LIST", json!({"offset": 3})).await;
    assert_eq!(r["type"], "io.nats.jetstream.api.v1.stream_list_response");
    assert_eq!(r["limit"], 256);
    assert_eq!(r["total"], 4);
    let streams = r["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0]["config"]["name"], "D");
    let r = api(&c, "$JS.API.STREAM.LIST", json!({"subject": "a.b"})).await;
    assert_eq!(r["streams"].as_array().unwrap().len(), 1);
    assert_eq!(r["streams"][0]["config"]["subjects"], json!(["a.>"]));

    let r = api(&c, "$JS.API.STREAM.NAMES", json!({"offset": "x"})).await;
    assert_eq!(r["error"]["code"], 400, "{r}");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn stream_purge_with_filter_seq_and_keep() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    create(&c, json!({"name": "P", "subjects": ["p.*"]})).await;
    // seq 1..=10: p.a at odd, p.b at even sequences.
    for i in 1..=10 {
        publish(&c, if i % 2 == 1 { "p.a" } else { "p.b" }, &[], "x").await;
    }
    let purge = |body: Value| {
        let c = c.clone();
        async move { api(&c, "$JS.API.STREAM.PURGE.P", body).await }
    };
    let state = |c: Client| async move {
        api(&c, "$JS.API.STREAM.INFO.P", Value::Null).await["state"].clone()
    };

    // Filter and seq: p.a below 5 (seqs 1 and 3).
    let r = purge(json!({"filter": "p.a", "seq": 5})).await;
    assert_eq!(r["type"], "io.nats.jetstream.api.v1.stream_purge_response");
    assert_eq!(
        (r["success"].clone(), r["purged"].clone()),
        (json!(true), json!(2)),
        "{r}"
    );
    // Filter and keep: keep the newest p.b (seq 10).
    let r = purge(json!({"filter": "p.b", "keep": 1})).await;
    assert_eq!(r["purged"], 4, "{r}");
    let st = state(c.clone()).await;
    assert_eq!(st["messages"], 4, "{st}");
    assert_eq!(st["first_seq"], 5);
    // seq alone: everything below 9.
    let r = purge(json!({"seq": 9})).await;
    assert_eq!(r["purged"], 2, "{r}");
    assert_eq!(state(c.clone()).await["first_seq"], 9);
    // keep alone.
    let r = purge(json!({"keep": 1})).await;
    assert_eq!(r["purged"], 1, "{r}");
    // seq and keep together is a bad request.
    let r = purge(json!({"seq": 3, "keep": 1})).await;
    assert_api_err(&r, 400, 10003, "bad request");
    // Empty body purges all; the next sequence continues.
    let r = purge(Value::Null).await;
    assert_eq!(r["purged"], 1, "{r}");
    let ack = publish(&c, "p.a", &[], "x").await;
    assert_eq!(ack["seq"], 11, "{ack}");

    create(
        &c,
        json!({"name": "DP", "subjects": ["dp"], "deny_purge": true}),
    )
    .await;
    let r = api(&c, "$JS.API.STREAM.PURGE.DP", Value::Null).await;
    assert_api_err(&r, 500, 10110, "stream purge not permitted");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn msg_get_by_seq_last_and_next_by_subject() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    create(&c, json!({"name": "G", "subjects": ["g.*"]})).await;
    publish(&c, "g.a", &[("k", "v")], "one").await;
    publish(&c, "g.b", &[], "two").await;
    publish(&c, "g.a", &[], "three").await;

    use base64::Engine;
    let b64 = |v: &Value| {
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or(""))
            .unwrap()
    };
    let r = api(&c, "$JS.API.STREAM.MSG.GET.G", json!({"seq": 1})).await;
    assert_eq!(
        r["type"],
        "io.nats.jetstream.api.v1.stream_msg_get_response"
    );
    let m = &r["message"];
    assert_eq!(
        (m["subject"].clone(), m["seq"].clone()),
        (json!("g.a"), json!(1)),
        "{r}"
    );
    assert_eq!(b64(&m["data"]), b"one");
    assert!(String::from_utf8(b64(&m["hdrs"])).unwrap().contains("k: v"));
    assert!(m["time"].as_str().unwrap().ends_with('Z'));

    let r = api(
        &c,
        "$JS.API.STREAM.MSG.GET.G",
        json!({"last_by_subj": "g.a"}),
    )
    .await;
    assert_eq!(r["message"]["seq"], 3, "{r}");
    let r = api(
        &c,
        "$JS.API.STREAM.MSG.GET.G",
        json!({"seq": 1, "next_by_subj": "g.b"}),
    )
    .await;
    assert_eq!(r["message"]["seq"], 2, "{r}");
    let r = api(
        &c,
        "$JS.API.STREAM.MSG.GET.G",
        json!({"seq": 3, "next_by_subj": "g.b"}),
    )
    .await;
    assert_api_err(&r, 404, 10037, "no message found");
    let r = api(&c, "$JS.API.STREAM.MSG.GET.G", json!({"seq": 99})).await;
    assert_api_err(&r, 404, 10037, "no message found");
    let r = api(
        &c,
        "$JS.API.STREAM.MSG.GET.G",
        json!({"seq": 1, "last_by_subj": "g.a"}),
    )
    .await;
    assert_api_err(&r, 400, 10003, "bad request");
    let r = api(&c, "$JS.API.STREAM.MSG.GET.G", Value::Null).await;
    assert_api_err(&r, 400, 10003, "bad request");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn msg_delete_erase_no_erase_and_deny_delete() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    create(&c, json!({"name": "D", "subjects": ["d"]})).await;
    for _ in 0..3 {
        publish(&c, "d", &[], "x").await;
    }
    let r = api(
        &c,
        "$JS.API.STREAM.MSG.DELETE.D",
        json!({"seq": 2, "no_erase": true}),
    )
    .await;
    assert_eq!(
        r["type"],
        "io.nats.jetstream.api.v1.stream_msg_delete_response"
    );
    assert_eq!(r["success"], true, "{r}");
    let r = api(&c, "$JS.API.STREAM.MSG.DELETE.D", json!({"seq": 3})).await;
    assert_eq!(r["success"], true, "{r}");
    let r = api(&c, "$JS.API.STREAM.MSG.DELETE.D", json!({"seq": 2})).await;
    assert_api_err(&r, 400, 10043, "sequence 2 not found");
    let r = api(&c, "$JS.API.STREAM.MSG.GET.D", json!({"seq": 3})).await;
    assert_api_err(&r, 404, 10037, "no message found");
    let r = api(&c, "$JS.API.STREAM.INFO.D", Value::Null).await;
    assert_eq!(r["state"]["messages"], 1, "{r}");
    assert_eq!(r["state"]["last_seq"], 3, "{r}");

    create(
        &c,
        json!({"name": "ND", "subjects": ["nd"], "deny_delete": true}),
    )
    .await;
    publish(&c, "nd", &[], "x").await;
    let r = api(&c, "$JS.API.STREAM.MSG.DELETE.ND", json!({"seq": 1})).await;
    assert_api_err(&r, 500, 10057, "message delete not permitted");
    let r = api(&c, "$JS.API.STREAM.MSG.DELETE.ND", Value::Null).await;
    assert_api_err(&r, 400, 10003, "bad request");
    s.shutdown(Duration::from_secs(1)).await;
}

/// Direct get replies are the stored message with Nats-* headers, or a
/// header-only status.
#[tokio::test]
async fn direct_get_by_seq_last_next_and_batch() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    create(
        &c,
        json!({"name": "DG", "subjects": ["dg.*"], "allow_direct": true}),
    )
    .await;
    publish(&c, "dg.a", &[], "a1").await;
    publish(&c, "dg.b", &[], "b1").await;
    publish(&c, "dg.a", &[], "a2").await;

    let get = |subject: &str, body: &str| {
        let c = c.clone();
        let (subject, body) = (subject.to_string(), body.to_string());
        async move {
            tokio::time::timeout(T, c.request(subject, Bytes::from(body)))
                .await
                .unwrap()
                .unwrap()
        }
    };
    let m = get("$JS.API.DIRECT.GET.DG", r#"{"seq":2}"#).await;
    assert_eq!(&m.payload[..], b"b1");
    let h = m.headers.clone().unwrap();
    assert_eq!(h.get("Nats-Stream").unwrap().as_str(), "DG");
    assert_eq!(h.get("Nats-Subject").unwrap().as_str(), "dg.b");
    assert_eq!(h.get("Nats-Sequence").unwrap().as_str(), "2");
    assert!(h.get("Nats-Time-Stamp").is_some());

    let m = get("$JS.API.DIRECT.GET.DG.dg.a", "").await;
    assert_eq!(&m.payload[..], b"a2");
    let m = get("$JS.API.DIRECT.GET.DG", r#"{"last_by_subj":"dg.b"}"#).await;
    assert_eq!(&m.payload[..], b"b1");
    let m = get(
        "$JS.API.DIRECT.GET.DG",
        r#"{"seq":2,"next_by_subj":"dg.a"}"#,
    )
    .await;
    assert_eq!(&m.payload[..], b"a2");
    let m = get("$JS.API.DIRECT.GET.DG", r#"{"seq":9}"#).await;
    assert_eq!(m.status, Some(async_nats::StatusCode::NOT_FOUND));
    assert!(m.payload.is_empty());

    // A batch: each message, then a 204 EOB status.
    let inbox = c.new_inbox();
    let mut sub = c.subscribe(inbox.clone()).await.unwrap();
    c.publish_with_reply(
        "$JS.API.DIRECT.GET.DG",
        inbox,
        Bytes::from_static(br#"{"seq":1,"batch":5}"#),
    )
    .await
    .unwrap();
    let mut bodies = Vec::new();
    loop {
        let m = tokio::time::timeout(T, sub.next()).await.unwrap().unwrap();
        if m.status == Some(async_nats::StatusCode::from_u16(204).unwrap()) {
            let h = m.headers.unwrap();
            assert_eq!(h.get("Nats-Last-Sequence").unwrap().as_str(), "3");
            break;
        }
        let h = m.headers.clone().unwrap();
        assert!(
            h.get("Nats-Num-Pending").is_some(),
            "batch messages carry Nats-Num-Pending"
        );
        bodies.push(String::from_utf8(m.payload.to_vec()).unwrap());
    }
    assert_eq!(bodies, ["a1", "b1", "a2"]);

    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn publish_expected_headers_and_dedup() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    create(&c, json!({"name": "E", "subjects": ["e.*"]})).await;
    let a = publish(&c, "e.a", &[("Nats-Msg-Id", "m1")], "x").await;
    assert_eq!(a, json!({"stream": "E", "seq": 1}));
    let dup = publish(&c, "e.a", &[("Nats-Msg-Id", "m1")], "x").await;
    assert_eq!(dup, json!({"stream": "E", "seq": 1, "duplicate": true}));

    let r = publish(&c, "e.a", &[("Nats-Expected-Stream", "OTHER")], "x").await;
    assert_api_err(&r, 400, 10060, "expected stream does not match");
    assert_eq!(r["stream"], "E");
    let r = publish(&c, "e.a", &[("Nats-Expected-Last-Sequence", "5")], "x").await;
    assert_api_err(&r, 400, 10071, "wrong last sequence: 1");
    let r = publish(&c, "e.a", &[("Nats-Expected-Last-Msg-Id", "zz")], "x").await;
    assert_api_err(&r, 400, 10070, "wrong last msg ID: m1");
    let r = publish(
        &c,
        "e.b",
        &[("Nats-Expected-Last-Subject-Sequence", "1")],
        "x",
    )
    .await;
    assert_api_err(&r, 400, 10071, "wrong last sequence: 0");
    let r = publish(
        &c,
        "e.a",
        &[("Nats-Expected-Last-Subject-Sequence-Subject", "e.a")],
        "x",
    )
    .await;
    assert_api_err(
        &r,
        400,
        10193,
        "missing sequence for expected last sequence per subject",
    );

    // The right expectations pass.
    let ok = publish(
        &c,
        "e.a",
        &[
            ("Nats-Expected-Stream", "E"),
            ("Nats-Expected-Last-Sequence", "1"),
            ("Nats-Expected-Last-Msg-Id", "m1"),
            ("Nats-Expected-Last-Subject-Sequence", "1"),
        ],
        "x",
    )
    .await;
    assert_eq!(ok["seq"], 2, "{ok}");
    let ok = publish(
        &c,
        "e.b",
        &[("Nats-Expected-Last-Subject-Sequence", "0")],
        "x",
    )
    .await;
    assert_eq!(ok["seq"], 3, "{ok}");

    // Per-message TTL needs allow_msg_ttl; a bad value is refused.
    let r = publish(&c, "e.a", &[("Nats-TTL", "1m")], "x").await;
    assert_api_err(&r, 400, 10166, "per-message TTL is disabled");
    create(
        &c,
        json!({"name": "TTL", "subjects": ["ttl"], "allow_msg_ttl": true}),
    )
    .await;
    let r = publish(&c, "ttl", &[("Nats-TTL", "soon")], "x").await;
    assert_api_err(&r, 400, 10165, "invalid per-message TTL");
    let ok = publish(&c, "ttl", &[("Nats-TTL", "1s")], "x").await;
    assert_eq!(ok["seq"], 1, "{ok}");
    // It expires: within a few seconds the stream is empty.
    let mut left = 1;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = api(&c, "$JS.API.STREAM.INFO.TTL", Value::Null).await["state"]["messages"]
            .as_u64()
            .unwrap();
        if left == 0 {
            break;
        }
    }
    assert_eq!(left, 0, "a message with Nats-TTL 1s expires");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn rollup_sub_and_all_and_not_permitted() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    create(
        &c,
        json!({"name": "R", "subjects": ["r.*"], "allow_rollup_hdrs": true}),
    )
    .await;
    for subj in ["r.a", "r.a", "r.b", "r.a"] {
        publish(&c, subj, &[], "x").await;
    }
    let ack = publish(&c, "r.a", &[("Nats-Rollup", "sub")], "sum").await;
    assert_eq!(ack["seq"], 5, "{ack}");
    let st =
        api(&c, "$JS.API.STREAM.INFO.R", json!({"subjects_filter": ">"})).await["state"].clone();
    assert_eq!(st["subjects"], json!({"r.a": 1, "r.b": 1}), "{st}");
    let ack = publish(&c, "r.b", &[("Nats-Rollup", "all")], "all").await;
    assert_eq!(ack["seq"], 6, "{ack}");
    let st = api(&c, "$JS.API.STREAM.INFO.R", Value::Null).await["state"].clone();
    assert_eq!(
        (st["messages"].clone(), st["first_seq"].clone()),
        (json!(1), json!(6)),
        "{st}"
    );
    let r = publish(&c, "r.b", &[("Nats-Rollup", "bogus")], "x").await;
    assert_eq!(r["error"]["err_code"], 10111, "{r}");

    create(&c, json!({"name": "NR", "subjects": ["nr"]})).await;
    let r = publish(&c, "nr", &[("Nats-Rollup", "all")], "x").await;
    assert_api_err(&r, 500, 10111, "rollup not permitted");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn discard_new_per_subject_refuses_only_that_subject() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    create(
        &c,
        json!({"name": "DN", "subjects": ["dn.*"], "discard": "new",
               "max_msgs_per_subject": 1, "discard_new_per_subject": true}),
    )
    .await;
    assert_eq!(publish(&c, "dn.a", &[], "x").await["seq"], 1);
    let r = publish(&c, "dn.a", &[], "x").await;
    assert_api_err(&r, 503, 10077, "maximum messages per subject exceeded");
    assert_eq!(publish(&c, "dn.b", &[], "x").await["seq"], 2);

    // discard_new_per_subject without discard new is refused.
    let r = api(
        &c,
        "$JS.API.STREAM.CREATE.BAD",
        json!({"name": "BAD", "max_msgs_per_subject": 1, "discard_new_per_subject": true}),
    )
    .await;
    assert_api_err(
        &r,
        500,
        10052,
        "discard new per subject requires discard new policy to be set",
    );
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn subject_transform_and_first_seq() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    let r = create(
        &c,
        json!({"name": "TR", "subjects": ["in.*.*"], "first_seq": 100,
               "subject_transform": {"src": "in.*.*", "dest": "out.$2.{{wildcard(1)}}"}}),
    )
    .await;
    assert_eq!(
        r["config"]["subject_transform"],
        json!({"src": "in.*.*", "dest": "out.$2.{{wildcard(1)}}"})
    );
    assert_eq!(r["config"]["first_seq"], 100);
    assert_eq!(r["state"]["first_seq"], 100, "{r}");
    let ack = publish(&c, "in.a.b", &[], "x").await;
    assert_eq!(ack["seq"], 100, "{ack}");
    let r = api(&c, "$JS.API.STREAM.MSG.GET.TR", json!({"seq": 100})).await;
    assert_eq!(r["message"]["subject"], "out.b.a", "{r}");

    let r = api(
        &c,
        "$JS.API.STREAM.CREATE.BAD",
        json!({"name": "BAD", "subject_transform": {"src": "a.*", "dest": "b.$2"}}),
    )
    .await;
    assert_eq!(r["error"]["err_code"], 10156, "{r}");
    let r = api(
        &c,
        "$JS.API.STREAM.CREATE.BAD",
        json!({"name": "BAD", "subject_transform": {"src": "a..b", "dest": "b"}}),
    )
    .await;
    assert_api_err(
        &r,
        400,
        10155,
        "stream transform source: invalid subject a..b",
    );
    s.shutdown(Duration::from_secs(1)).await;
}

/// The store is closed and reopened in the middle: streams, messages,
/// deletes, the duplicate window and config all come back.
#[tokio::test]
async fn restart_in_the_middle_keeps_state() {
    let dir = StoreDir::new();
    {
        let s = start_js(&dir).await;
        let c = connect(&s).await;
        create(&c, json!({"name": "RS", "subjects": ["rs.*"], "max_msgs_per_subject": 5, "description": "kept"})).await;
        for i in 0..4 {
            let id = format!("id{i}");
            publish(&c, "rs.a", &[("Nats-Msg-Id", id.as_str())], "x").await;
        }
        let r = api(&c, "$JS.API.STREAM.MSG.DELETE.RS", json!({"seq": 2})).await;
        assert_eq!(r["success"], true);
        s.shutdown(Duration::from_secs(1)).await;
    }
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    let r = api(
        &c,
        "$JS.API.STREAM.INFO.RS",
        json!({"deleted_details": true}),
    )
    .await;
    assert_eq!(r["config"]["description"], "kept", "{r}");
    assert_eq!(r["config"]["max_msgs_per_subject"], 5);
    assert_eq!(r["state"]["messages"], 3, "{r}");
    assert_eq!(r["state"]["deleted"], json!([2]), "{r}");
    let r = api(
        &c,
        "$JS.API.STREAM.INFO.RS",
        json!({"subjects_filter": "rs.*"}),
    )
    .await;
    assert_eq!(r["state"]["subjects"], json!({"rs.a": 3}), "{r}");
    // The duplicate window was rebuilt from the stored Nats-Msg-Id headers.
    let dup = publish(&c, "rs.a", &[("Nats-Msg-Id", "id3")], "x").await;
    assert_eq!(dup, json!({"stream": "RS", "seq": 4, "duplicate": true}));
    let ack = publish(&c, "rs.a", &[("Nats-Expected-Last-Sequence", "4")], "x").await;
    assert_eq!(ack["seq"], 5, "{ack}");
    s.shutdown(Duration::from_secs(1)).await;
}

/// Object store through async-nats: put (several chunks), info and
/// delete. `list()` and reading a multi-chunk object back need an ordered
/// consumer and are left to the consumers work.
#[tokio::test]
async fn async_nats_object_store_put_info_list_delete() {
    use async_nats::jetstream::{self, object_store};
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let js = jetstream::new(connect(&s).await);
    let store = tokio::time::timeout(
        T,
        js.create_object_store(object_store::Config {
            bucket: "files".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap()
    .unwrap();
    let data = vec![7u8; 300 * 1024];
    let meta = object_store::ObjectMetadata {
        name: "big.bin".into(),
        chunk_size: Some(64 * 1024),
        ..Default::default()
    };
    let info = tokio::time::timeout(T, store.put(meta, &mut data.as_slice()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.size, data.len());
    assert_eq!(info.chunks, 5);
    let small = tokio::time::timeout(T, store.put("small.txt", &mut &b"hello"[..]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(small.chunks, 1);

    let got = tokio::time::timeout(T, store.info("big.bin"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((got.size, got.chunks, got.deleted), (data.len(), 5, false));
    assert_eq!(got.digest, info.digest);

    let stream = tokio::time::timeout(T, js.get_stream("OBJ_files"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stream.cached_info().state.messages,
        5 + 1 + 2,
        "chunks plus one meta per object"
    );

    tokio::time::timeout(T, store.delete("big.bin"))
        .await
        .unwrap()
        .unwrap();
    let gone = tokio::time::timeout(T, store.info("big.bin"))
        .await
        .unwrap();
    assert!(
        gone.is_err() || gone.unwrap().deleted,
        "a deleted object is gone or marked deleted"
    );
    let mut stream = stream;
    let st = tokio::time::timeout(T, stream.info())
        .await
        .unwrap()
        .unwrap()
        .state
        .clone();
    // The chunks were purged; the small object and the delete marker remain.
    assert_eq!(st.messages, 3, "{st:?}");
    s.shutdown(Duration::from_secs(1)).await;
}

/// With subject delete markers on, a per-message TTL shorter than the
/// marker TTL is raised to it, header included (Go's processJetStreamMsg).
#[tokio::test]
async fn msg_ttl_is_raised_to_the_subject_delete_marker_ttl() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    let r = create(
        &c,
        json!({"name": "SDM", "subjects": ["sdm.*"], "allow_msg_ttl": true,
               "allow_rollup_hdrs": true, "subject_delete_marker_ttl": 60_000_000_000i64}),
    )
    .await;
    assert_eq!(
        r["config"]["subject_delete_marker_ttl"], 60_000_000_000i64,
        "{r}"
    );
    let ack = publish(&c, "sdm.a", &[("Nats-TTL", "2s")], "x").await;
    assert_eq!(ack["seq"], 1, "{ack}");
    let ack = publish(&c, "sdm.b", &[("Nats-TTL", "2m")], "x").await;
    assert_eq!(ack["seq"], 2, "{ack}");
    use base64::Engine;
    let hdrs = |r: &Value| {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(r["message"]["hdrs"].as_str().unwrap())
            .unwrap();
        String::from_utf8(raw).unwrap()
    };
    let r = api(&c, "$JS.API.STREAM.MSG.GET.SDM", json!({"seq": 1})).await;
    assert!(hdrs(&r).contains("Nats-TTL: 60\r\n"), "{}", hdrs(&r));
    assert!(!hdrs(&r).contains("2s"), "{}", hdrs(&r));
    let r = api(&c, "$JS.API.STREAM.MSG.GET.SDM", json!({"seq": 2})).await;
    assert!(hdrs(&r).contains("Nats-TTL: 2m\r\n"), "{}", hdrs(&r));
    s.shutdown(Duration::from_secs(1)).await;
}

/// Republish: every stored message is also published to the transformed
/// subject with Nats-Stream/-Subject/-Sequence/-Time-Stamp/-Last-Sequence
/// headers (headers only with `Nats-Msg-Size` when asked).
#[tokio::test]
async fn republish_sends_stored_messages_with_stream_headers() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let c = connect(&s).await;
    let mut sub = c.subscribe("rp.out.>").await.unwrap();
    let mut only = c.subscribe("rh.out.>").await.unwrap();
    c.flush().await.unwrap();
    let r = create(
        &c,
        json!({"name": "RP", "subjects": ["rp.in.>"],
               "republish": {"src": "rp.in.>", "dest": "rp.out.>"}}),
    )
    .await;
    assert_eq!(
        r["config"]["republish"],
        json!({"src": "rp.in.>", "dest": "rp.out.>"}),
        "{r}"
    );
    publish(&c, "rp.in.a", &[("k", "v")], "one").await;
    publish(&c, "rp.in.a", &[], "two").await;
    for (seq, body, last) in [(1, "one", 0), (2, "two", 1)] {
        let m = tokio::time::timeout(T, sub.next()).await.unwrap().unwrap();
        assert_eq!(m.subject.as_str(), "rp.out.a");
        assert_eq!(&m.payload[..], body.as_bytes());
        let h = m.headers.unwrap();
        assert_eq!(h.get("Nats-Stream").unwrap().as_str(), "RP");
        assert_eq!(h.get("Nats-Subject").unwrap().as_str(), "rp.in.a");
        assert_eq!(h.get("Nats-Sequence").unwrap().as_str(), seq.to_string());
        assert_eq!(
            h.get("Nats-Last-Sequence").unwrap().as_str(),
            last.to_string()
        );
        assert!(h.get("Nats-Time-Stamp").is_some());
        if seq == 1 {
            assert_eq!(h.get("k").unwrap().as_str(), "v");
        }
    }
    create(
        &c,
        json!({"name": "RH", "subjects": ["rh.in.*"],
               "republish": {"dest": "rh.out.>", "headers_only": true}}),
    )
    .await;
    publish(&c, "rh.in.x", &[], "12345").await;
    let m = tokio::time::timeout(T, only.next()).await.unwrap().unwrap();
    assert_eq!(m.subject.as_str(), "rh.out.rh.in.x");
    assert!(m.payload.is_empty());
    assert_eq!(
        m.headers.unwrap().get("Nats-Msg-Size").unwrap().as_str(),
        "5"
    );

    let r = api(
        &c,
        "$JS.API.STREAM.CREATE.CY",
        json!({"name": "CY", "subjects": ["cy.>"], "republish": {"src": ">", "dest": "cy.x"}}),
    )
    .await;
    assert_api_err(
        &r,
        500,
        10052,
        "stream configuration for republish destination forms a cycle",
    );
    s.shutdown(Duration::from_secs(1)).await;
}

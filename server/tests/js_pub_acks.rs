//! Every publish to a file stream gets exactly one PubAck, in order, when
//! many publishes arrive back to back (one socket write, or many in flight):
//! the group commit holds replies until the store is durable and must
//! release every one of them.

mod common;

use common::StoreDir;

use std::collections::BTreeSet;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use common::Raw;

async fn start_js(dir: &StoreDir) -> rnatsd_io_tokio::RunningServer {
    start_js_key(dir, None).await
}

async fn start_js_key(dir: &StoreDir, key: Option<&str>) -> rnatsd_io_tokio::RunningServer {
    let mut opts = common::opts();
    opts.jetstream.enabled = true;
    opts.jetstream.key = key.map(str::to_string);
    opts.jetstream.store_dir = Some(dir.0.to_string_lossy().into_owned());
    common::start(opts).await
}

/// Reads `MSG <subject> <sid> <len>` frames until `want` arrived or the
/// deadline passed; returns (subject, payload) of each.
async fn read_msgs(raw: &mut Raw, want: usize, deadline: Duration) -> Vec<(String, String)> {
    let end = tokio::time::Instant::now() + deadline;
    let mut out = Vec::new();
    while out.len() < want && tokio::time::Instant::now() < end {
        let Some(line) = raw.read_line().await else { break };
        if line == "PING" {
            raw.send("PONG\r\n").await;
            continue;
        }
        if !line.starts_with("MSG ") {
            continue;
        }
        let parts: Vec<&str> = line.split(' ').collect();
        let len: usize = parts.last().unwrap().parse().unwrap();
        let payload = raw.read_payload(len).await;
        out.push((parts[1].to_string(), String::from_utf8_lossy(&payload).into_owned()));
    }
    out
}

fn seq_of(payload: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(payload).expect("PubAck is JSON");
    assert!(v.get("error").is_none(), "PubAck error: {payload}");
    v["seq"].as_u64().expect("PubAck seq")
}

#[tokio::test]
async fn raw_back_to_back_publishes_all_acked() {
    raw_back_to_back(None).await;
}

#[tokio::test]
async fn raw_back_to_back_publishes_all_acked_encrypted() {
    raw_back_to_back(Some("s3cr3t-store-key")).await;
}

async fn raw_back_to_back(key: Option<&str>) {
    const N: usize = 50;
    let dir = StoreDir::new();
    let s = start_js_key(&dir, key).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"verbose\":false,\"headers\":true}\r\nSUB _INBOX.> 1\r\n").await;
    let cfg = r#"{"name":"RAW","subjects":["raw.>"],"storage":"file"}"#;
    raw.send(&format!("PUB $JS.API.STREAM.CREATE.RAW _INBOX.create {}\r\n{cfg}\r\n", cfg.len()))
        .await;
    let created = read_msgs(&mut raw, 1, Duration::from_secs(5)).await;
    assert_eq!(created.len(), 1, "stream create answered");
    assert!(!created[0].1.contains("\"error\""), "{}", created[0].1);

    // All publishes in one write, each with its own inbox.
    let mut batch = String::new();
    for i in 0..N {
        let body = format!("m{i}");
        batch.push_str(&format!("PUB raw.x _INBOX.ack.{i} {}\r\n{body}\r\n", body.len()));
    }
    raw.send(&batch).await;
    let acks = read_msgs(&mut raw, N, Duration::from_secs(10)).await;
    let mut seen = BTreeSet::new();
    for (subj, payload) in &acks {
        let i: usize = subj.trim_start_matches("_INBOX.ack.").parse().unwrap();
        assert!(seen.insert(i), "second ack for publish {i}");
        assert_eq!(seq_of(payload), i as u64 + 1, "publish {i} got seq {payload}");
    }
    assert_eq!(acks.len(), N, "acks for every publish; got {}", acks.len());

    raw.send("PUB $JS.API.STREAM.INFO.RAW _INBOX.info 0\r\n\r\n").await;
    let info = read_msgs(&mut raw, 1, Duration::from_secs(5)).await;
    let v: serde_json::Value = serde_json::from_str(&info[0].1).unwrap();
    assert_eq!(v["state"]["messages"], N as u64, "{}", info[0].1);
    assert_eq!(v["state"]["last_seq"], N as u64);
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn async_nats_publishes_in_flight_all_acked() {
    const N: usize = 1000;
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let client = async_nats::connect(common::url(&s)).await.unwrap();
    let js = jetstream::new(client);
    js.create_stream(stream::Config {
        name: "FLY".into(),
        subjects: vec!["fly.>".into()],
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .unwrap();
    let mut futs = Vec::with_capacity(N);
    for i in 0..N {
        let f = tokio::time::timeout(Duration::from_secs(5), js.publish("fly.x", format!("m{i}").into()))
            .await
            .expect("publish sent in time")
            .expect("publish sent");
        futs.push(f);
    }
    let mut seqs = Vec::with_capacity(N);
    for (i, f) in futs.into_iter().enumerate() {
        let ack = tokio::time::timeout(Duration::from_secs(10), f)
            .await
            .unwrap_or_else(|_| panic!("ack {i} in time"))
            .unwrap_or_else(|e| panic!("ack {i}: {e}"));
        assert!(!ack.duplicate);
        seqs.push(ack.sequence);
    }
    assert_eq!(seqs, (1..=N as u64).collect::<Vec<_>>(), "acks in order, one each");
    let mut st = js.get_stream("FLY").await.unwrap();
    let info = st.info().await.unwrap();
    assert_eq!(info.state.messages, N as u64);
    assert_eq!(info.state.last_sequence, N as u64);
    s.shutdown(Duration::from_secs(1)).await;
}

/// Stream info names this server as `cluster.leader` (Go: the server name,
/// or the server id when no name is configured).
#[tokio::test]
async fn stream_info_names_the_server_as_leader() {
    for name in [None, Some("js-leader-name")] {
        let dir = StoreDir::new();
        let mut opts = common::opts();
        opts.jetstream.enabled = true;
        opts.jetstream.store_dir = Some(dir.0.to_string_lossy().into_owned());
        if let Some(n) = name {
            opts.server_name = n.to_string();
        }
        let s = common::start(opts).await;
        let (mut raw, info) = Raw::connect(&s).await;
        let info = common::info_json(&info);
        let expect = info["server_name"].as_str().unwrap().to_string();
        if let Some(n) = name {
            assert_eq!(expect, n);
        } else {
            assert_eq!(expect, info["server_id"].as_str().unwrap());
        }
        raw.send("CONNECT {\"verbose\":false}\r\nSUB _INBOX.> 1\r\n").await;
        let cfg = r#"{"name":"L","subjects":["l.>"],"storage":"file"}"#;
        raw.send(&format!("PUB $JS.API.STREAM.CREATE.L _INBOX.c {}\r\n{cfg}\r\n", cfg.len()))
            .await;
        let created = read_msgs(&mut raw, 1, Duration::from_secs(5)).await;
        assert!(!created[0].1.contains("\"error\""), "{}", created[0].1);
        raw.send("PUB $JS.API.STREAM.INFO.L _INBOX.i 0\r\n\r\n").await;
        let got = read_msgs(&mut raw, 1, Duration::from_secs(5)).await;
        let v: serde_json::Value = serde_json::from_str(&got[0].1).unwrap();
        assert_eq!(v["cluster"]["leader"], expect.as_str(), "{}", got[0].1);
        s.shutdown(Duration::from_secs(1)).await;
    }
}

//! JetStream consumers through the official Rust client (async-nats): push
//! and ordered consumers, key-value watchers, object store reads of
//! multi-chunk objects, pause, update and backoff.

mod common;

use common::{start_js, StoreDir};

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;

const T: Duration = Duration::from_secs(10);

async fn t<F: std::future::IntoFuture>(f: F) -> F::Output {
    tokio::time::timeout(T, f.into_future()).await.expect("timed out")
}

/// A server, a client and a stream `S` on `s.>` with `n` messages.
async fn setup(dir: &StoreDir, n: usize) -> (rnatsd_io_tokio::RunningServer, async_nats::Client, jetstream::Context, stream::Stream) {
    let s = start_js(dir).await;
    let client = async_nats::connect(common::url(&s)).await.unwrap();
    let js = jetstream::new(client.clone());
    let stream = t(js.create_stream(stream::Config {
        name: "S".into(),
        subjects: vec!["s.>".into()],
        ..Default::default()
    }))
    .await
    .unwrap();
    for i in 0..n {
        let ack = js.publish(format!("s.{i}"), format!("m{i}").into()).await.unwrap();
        t(ack).await.unwrap();
    }
    (s, client, js, stream)
}

#[tokio::test]
async fn async_nats_push_consumer_delivers_acks_and_reports_push_bound() {
    let dir = StoreDir::new();
    let (s, client, js, stream) = setup(&dir, 5).await;
    let deliver = client.new_inbox();
    let consumer: consumer::PushConsumer = t(stream.create_consumer(consumer::push::Config {
        durable_name: Some("pusher".into()),
        deliver_subject: deliver.clone(),
        ack_policy: consumer::AckPolicy::Explicit,
        ..Default::default()
    }))
    .await
    .unwrap();
    let mut messages = t(consumer.messages()).await.unwrap();
    for i in 0..5 {
        let m = t(messages.next()).await.unwrap().unwrap();
        assert_eq!(m.subject.as_str(), format!("s.{i}"));
        m.ack().await.unwrap();
    }
    // Live messages follow.
    t(js.publish("s.live", "live".into()).await.unwrap()).await.unwrap();
    let m = t(messages.next()).await.unwrap().unwrap();
    assert_eq!(&m.payload[..], b"live");
    m.double_ack().await.unwrap();
    let mut consumer = consumer;
    let info = t(consumer.info()).await.unwrap();
    assert!(info.push_bound);
    assert_eq!(info.ack_floor.stream_sequence, 6);
    assert_eq!(info.num_ack_pending, 0);
    drop(messages);
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn async_nats_push_consumer_redelivers_after_ack_wait() {
    let dir = StoreDir::new();
    let (s, client, _js, stream) = setup(&dir, 1).await;
    let consumer: consumer::PushConsumer = t(stream.create_consumer(consumer::push::Config {
        durable_name: Some("slow".into()),
        deliver_subject: client.new_inbox(),
        ack_wait: Duration::from_millis(300),
        ..Default::default()
    }))
    .await
    .unwrap();
    let mut messages = t(consumer.messages()).await.unwrap();
    let first = t(messages.next()).await.unwrap().unwrap();
    assert_eq!(first.info().unwrap().delivered, 1);
    let again = t(messages.next()).await.unwrap().unwrap();
    assert_eq!(again.info().unwrap().delivered, 2);
    assert_eq!(again.info().unwrap().stream_sequence, 1);
    again.ack().await.unwrap();
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn async_nats_ordered_push_consumer_reads_everything() {
    let dir = StoreDir::new();
    let (s, client, js, stream) = setup(&dir, 50).await;
    let ordered = t(stream.create_consumer(consumer::push::OrderedConfig {
        deliver_subject: client.new_inbox(),
        filter_subject: "s.>".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    let mut messages = t(ordered.messages()).await.unwrap();
    for i in 0..50 {
        let m = t(messages.next()).await.unwrap().unwrap();
        assert_eq!(&m.payload[..], format!("m{i}").as_bytes());
    }
    t(js.publish("s.more", "more".into()).await.unwrap()).await.unwrap();
    let m = t(messages.next()).await.unwrap().unwrap();
    assert_eq!(&m.payload[..], b"more");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn async_nats_ordered_pull_consumer_reads_everything() {
    let dir = StoreDir::new();
    let (s, _client, _js, stream) = setup(&dir, 20).await;
    let ordered = t(stream.create_consumer(consumer::pull::OrderedConfig {
        filter_subject: "s.>".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    let mut messages = t(ordered.messages()).await.unwrap();
    for i in 0..20 {
        let m = t(messages.next()).await.unwrap().unwrap();
        assert_eq!(&m.payload[..], format!("m{i}").as_bytes());
    }
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn async_nats_pull_consumer_messages_stream_with_heartbeats() {
    let dir = StoreDir::new();
    let (s, _client, js, stream) = setup(&dir, 3).await;
    let consumer: consumer::PullConsumer = t(stream.create_consumer(consumer::pull::Config {
        durable_name: Some("w".into()),
        ..Default::default()
    }))
    .await
    .unwrap();
    // `messages()` sends pull requests with idle heartbeats.
    let mut messages = t(consumer.messages()).await.unwrap();
    for i in 0..3 {
        let m = t(messages.next()).await.unwrap().unwrap();
        assert_eq!(&m.payload[..], format!("m{i}").as_bytes());
        m.ack().await.unwrap();
    }
    t(js.publish("s.x", "x".into()).await.unwrap()).await.unwrap();
    let m = t(messages.next()).await.unwrap().unwrap();
    assert_eq!(&m.payload[..], b"x");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn async_nats_key_value_watch_keys_and_history() {
    use async_nats::jetstream::kv;
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let client = async_nats::connect(common::url(&s)).await.unwrap();
    let js = jetstream::new(client);
    let kv = t(js.create_key_value(kv::Config {
        bucket: "cfg".into(),
        history: 5,
        ..Default::default()
    }))
    .await
    .unwrap();
    t(kv.put("a", "1".into())).await.unwrap();
    t(kv.put("b", "2".into())).await.unwrap();
    t(kv.put("a", "3".into())).await.unwrap();

    let mut keys: Vec<String> = t(kv.keys()).await.unwrap().map(|k| k.unwrap()).collect().await;
    keys.sort();
    assert_eq!(keys, ["a", "b"]);

    let history: Vec<kv::Entry> = t(kv.history("a")).await.unwrap().map(|e| e.unwrap()).collect().await;
    let values: Vec<&[u8]> = history.iter().map(|e| &e.value[..]).collect();
    assert_eq!(values, [&b"1"[..], b"3"]);

    let mut watch = t(kv.watch("a")).await.unwrap();
    let mut all = t(kv.watch_all()).await.unwrap();
    t(kv.put("a", "4".into())).await.unwrap();
    t(kv.put("b", "5".into())).await.unwrap();
    t(kv.delete("a")).await.unwrap();
    let e = t(watch.next()).await.unwrap().unwrap();
    assert_eq!((e.key.as_str(), &e.value[..]), ("a", &b"4"[..]));
    let e = t(watch.next()).await.unwrap().unwrap();
    assert_eq!((e.key.as_str(), e.operation), ("a", kv::Operation::Delete));
    let mut seen = Vec::new();
    for _ in 0..3 {
        let e = t(all.next()).await.unwrap().unwrap();
        seen.push(e.key);
    }
    assert_eq!(seen, ["a", "b", "a"]);

    // watch_with_history starts with the current values.
    let mut hist = t(kv.watch_with_history("b")).await.unwrap();
    let e = t(hist.next()).await.unwrap().unwrap();
    assert_eq!(&e.value[..], b"5");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn async_nats_object_store_multi_chunk_get() {
    use async_nats::jetstream::object_store;
    use tokio::io::AsyncReadExt;
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let client = async_nats::connect(common::url(&s)).await.unwrap();
    let js = jetstream::new(client);
    let bucket = t(js.create_object_store(object_store::Config {
        bucket: "files".into(),
        ..Default::default()
    }))
    .await
    .unwrap();
    let data: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let meta = object_store::ObjectMetadata {
        name: "blob".into(),
        chunk_size: Some(128 * 1024),
        ..Default::default()
    };
    let info = t(bucket.put(meta, &mut data.as_slice())).await.unwrap();
    assert_eq!(info.size, data.len());
    assert_eq!(info.chunks, 8);
    let mut obj = t(bucket.get("blob")).await.unwrap();
    let mut got = Vec::new();
    t(obj.read_to_end(&mut got)).await.unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data, "object content differs");
    // Listing and info go through consumers too.
    let small = object_store::ObjectMetadata { name: "small".into(), ..Default::default() };
    t(bucket.put(small, &mut &b"tiny"[..])).await.unwrap();
    let mut names: Vec<String> = t(bucket.list())
        .await
        .unwrap()
        .map(|i| i.unwrap().name)
        .collect()
        .await;
    names.sort();
    assert_eq!(names, ["blob", "small"]);
    let info = t(bucket.info("blob")).await.unwrap();
    assert_eq!(info.chunks, 8);
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn async_nats_pause_and_resume_consumer() {
    let dir = StoreDir::new();
    let (s, client, _js, stream) = setup(&dir, 1).await;
    let consumer: consumer::PullConsumer = t(stream.create_consumer(consumer::pull::Config {
        durable_name: Some("p".into()),
        ..Default::default()
    }))
    .await
    .unwrap();
    let until = "2200-01-01T00:00:00Z";
    let r = t(client.request(
        "$JS.API.CONSUMER.PAUSE.S.p",
        format!(r#"{{"pause_until":"{until}"}}"#).into(),
    ))
    .await
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&r.payload).unwrap();
    assert_eq!(v["paused"], true, "{v}");
    assert_eq!(v["pause_until"], until);
    let mut batch = t(consumer.fetch().max_messages(1).expires(Duration::from_millis(500)).messages())
        .await
        .unwrap();
    assert!(t(batch.next()).await.is_none(), "nothing while paused");
    let r = t(client.request("$JS.API.CONSUMER.PAUSE.S.p", "".into())).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&r.payload).unwrap();
    assert_eq!(v["paused"], false, "{v}");
    let mut batch = t(consumer.fetch().max_messages(1).messages()).await.unwrap();
    let m = t(batch.next()).await.unwrap().unwrap();
    assert_eq!(&m.payload[..], b"m0");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn async_nats_update_consumer_and_forbidden_change() {
    let dir = StoreDir::new();
    let (s, _client, _js, stream) = setup(&dir, 0).await;
    let _c: consumer::PullConsumer = t(stream.create_consumer(consumer::pull::Config {
        durable_name: Some("u".into()),
        ..Default::default()
    }))
    .await
    .unwrap();
    let updated: consumer::PullConsumer = t(stream.update_consumer(consumer::pull::Config {
        durable_name: Some("u".into()),
        description: Some("now described".into()),
        ack_wait: Duration::from_secs(7),
        ..Default::default()
    }))
    .await
    .unwrap();
    let cfg = &updated.cached_info().config;
    assert_eq!(cfg.description.as_deref(), Some("now described"));
    assert_eq!(cfg.ack_wait, Duration::from_secs(7));
    let bad = t(stream.update_consumer(consumer::pull::Config {
        durable_name: Some("u".into()),
        ack_policy: consumer::AckPolicy::All,
        ..Default::default()
    }))
    .await;
    let err = bad.expect_err("ack policy cannot change").to_string();
    assert!(err.contains("ack policy can not be updated"), "{err}");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn async_nats_backoff_spaces_redeliveries() {
    let dir = StoreDir::new();
    let (s, _client, _js, stream) = setup(&dir, 1).await;
    let consumer: consumer::PullConsumer = t(stream.create_consumer(consumer::pull::Config {
        durable_name: Some("b".into()),
        backoff: vec![Duration::from_millis(200), Duration::from_millis(600)],
        max_deliver: 3,
        ..Default::default()
    }))
    .await
    .unwrap();
    assert_eq!(consumer.cached_info().config.ack_wait, Duration::from_millis(200));
    let start = tokio::time::Instant::now();
    let mut times = Vec::new();
    for _ in 0..3 {
        let mut batch = t(consumer.fetch().max_messages(1).expires(Duration::from_secs(3)).messages())
            .await
            .unwrap();
        let m = t(batch.next()).await.unwrap().unwrap();
        times.push(start.elapsed());
        assert_eq!(m.info().unwrap().delivered as usize, times.len());
    }
    let gap1 = times[1] - times[0];
    let gap2 = times[2] - times[1];
    assert!(gap1 >= Duration::from_millis(180), "{gap1:?}");
    assert!(gap2 >= Duration::from_millis(550), "{gap2:?}");
    s.shutdown(Duration::from_secs(1)).await;
}

/// The official Python client (nats-py): pull, push and ordered consumers
/// and key-value watch. Skipped when python3 with nats-py is missing,
/// except in CI (`RNATSD_REQUIRE_PY=1`).
#[tokio::test]
async fn nats_py_consumers_and_kv_watch() {
    if !common::have_nats_py() {
        return;
    }
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/js_consumers.py");
    let run = tokio::process::Command::new("python3").arg(script).arg(common::url(&s)).output();
    let out = tokio::time::timeout(Duration::from_secs(60), run).await.expect("nats-py run timed out").unwrap();
    assert!(
        out.status.success(),
        "nats-py checks failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("all checks passed"));
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn async_nats_push_consumer_with_deliver_group_shares_messages() {
    let dir = StoreDir::new();
    let (s, client, _js, stream) = setup(&dir, 10).await;
    let config = consumer::push::Config {
        durable_name: Some("grp".into()),
        deliver_subject: client.new_inbox(),
        deliver_group: Some("workers".into()),
        ..Default::default()
    };
    let a: consumer::PushConsumer = t(stream.create_consumer(config.clone())).await.unwrap();
    let b: consumer::PushConsumer = t(stream.get_consumer("grp")).await.unwrap();
    let mut ma = t(a.messages()).await.unwrap();
    let mut mb = t(b.messages()).await.unwrap();
    let mut seen = Vec::new();
    // Every message once, across the two members of the group.
    for _ in 0..10 {
        let m = tokio::select! {
            m = ma.next() => m,
            m = mb.next() => m,
            _ = tokio::time::sleep(T) => panic!("timed out"),
        };
        let m = m.unwrap().unwrap();
        seen.push(m.info().unwrap().stream_sequence);
        m.ack().await.unwrap();
    }
    seen.sort();
    assert_eq!(seen, (1..=10).collect::<Vec<u64>>());
    s.shutdown(Duration::from_secs(1)).await;
}

/// An ordered consumer whose server-side consumer disappears: its idle
/// heartbeats stop, and the client recreates it after the last stream
/// sequence it saw (takes two heartbeat intervals, 10 s, in async-nats).
#[tokio::test]
async fn async_nats_ordered_consumer_is_recreated_after_a_gap() {
    let dir = StoreDir::new();
    let (s, client, js, stream) = setup(&dir, 3).await;
    let ordered = t(stream.create_consumer(consumer::push::OrderedConfig {
        deliver_subject: client.new_inbox(),
        ..Default::default()
    }))
    .await
    .unwrap();
    let name = ordered.cached_info().name.clone();
    let mut messages = t(ordered.messages()).await.unwrap();
    for i in 0..3 {
        let m = t(messages.next()).await.unwrap().unwrap();
        assert_eq!(&m.payload[..], format!("m{i}").as_bytes());
    }
    t(stream.delete_consumer(&name)).await.unwrap();
    t(js.publish("s.after", "after".into()).await.unwrap()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut errors = 0;
    loop {
        let next = tokio::time::timeout_at(deadline, messages.next()).await.expect("not recreated in time");
        match next.unwrap() {
            Ok(m) => {
                assert_eq!(&m.payload[..], b"after", "resumes after the last message seen");
                break;
            }
            Err(_) => errors += 1,
        }
    }
    assert!(errors >= 1, "the missed heartbeats were reported");
    let names: Vec<String> = t(stream.consumer_names().map(|n| n.unwrap()).collect::<Vec<_>>()).await;
    assert_eq!(names.len(), 1);
    assert_ne!(names[0], name);
    s.shutdown(Duration::from_secs(1)).await;
}

//! JetStream through the official Rust client (async-nats): streams over
//! real files in a temporary store directory, driven by the engine's
//! internal client.

mod common;

use common::{start_js, StoreDir};

use std::time::Duration;

use async_nats::jetstream::{self, stream};

#[tokio::test]
async fn async_nats_creates_a_stream_publishes_and_reads_info() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let client = async_nats::connect(common::url(&s)).await.unwrap();
    let js = jetstream::new(client);
    let t = Duration::from_secs(5);

    let info = tokio::time::timeout(t, js.query_account())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.streams, 0);

    let mut stream = tokio::time::timeout(
        t,
        js.create_stream(stream::Config {
            name: "ORDERS".into(),
            subjects: vec!["orders.>".into()],
            ..Default::default()
        }),
    )
    .await
    .unwrap()
    .unwrap();
    for i in 1..=3u64 {
        let ack = tokio::time::timeout(t, js.publish("orders.new", "hello".into()).await.unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ack.stream, "ORDERS");
        assert_eq!(ack.sequence, i);
        assert!(!ack.duplicate);
    }
    let info = tokio::time::timeout(t, stream.info())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.state.messages, 3);
    assert_eq!(info.state.first_sequence, 1);
    assert_eq!(info.state.last_sequence, 3);
    assert_eq!(info.config.max_messages, -1);

    let msg = tokio::time::timeout(t, stream.get_raw_message(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(msg.subject.as_str(), "orders.new");
    assert_eq!(&msg.payload[..], b"hello");

    let names: Vec<String> = {
        use futures::TryStreamExt;
        js.stream_names().try_collect().await.unwrap()
    };
    assert_eq!(names, vec!["ORDERS".to_string()]);
    tokio::time::timeout(t, js.delete_stream("ORDERS"))
        .await
        .unwrap()
        .unwrap();
    assert!(tokio::time::timeout(t, js.get_stream("ORDERS"))
        .await
        .unwrap()
        .is_err());
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn streams_and_messages_survive_a_server_restart() {
    let dir = StoreDir::new();
    let t = Duration::from_secs(5);
    {
        let s = start_js(&dir).await;
        let js = jetstream::new(async_nats::connect(common::url(&s)).await.unwrap());
        js.create_stream(stream::Config {
            name: "S".into(),
            ..Default::default()
        })
        .await
        .unwrap();
        let ack = js.publish("S", "persisted".into()).await.unwrap();
        assert_eq!(
            tokio::time::timeout(t, ack)
                .await
                .unwrap()
                .unwrap()
                .sequence,
            1
        );
        s.shutdown(Duration::from_secs(1)).await;
    }
    let s = start_js(&dir).await;
    let js = jetstream::new(async_nats::connect(common::url(&s)).await.unwrap());
    let mut stream = tokio::time::timeout(t, js.get_stream("S"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 1);
    let ack = js.publish("S", "again".into()).await.unwrap();
    assert_eq!(
        tokio::time::timeout(t, ack)
            .await
            .unwrap()
            .unwrap()
            .sequence,
        2
    );
    s.shutdown(Duration::from_secs(1)).await;
}

/// Key-value through async-nats: buckets set `allow_direct`, so every read
/// is a DIRECT.GET (`$JS.API.DIRECT.GET.KV_<bucket>.$KV.<bucket>.<key>`).
/// `keys()` and `history()` need consumers, which rnatsd lacks, so they are
/// not exercised here.
#[tokio::test]
async fn async_nats_key_value_put_get_update_delete() {
    use async_nats::jetstream::kv;
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let client = async_nats::connect(common::url(&s)).await.unwrap();
    let js = jetstream::new(client);
    let t = Duration::from_secs(5);

    let kv = tokio::time::timeout(
        t,
        js.create_key_value(kv::Config {
            bucket: "cfg".into(),
            history: 5,
            ..Default::default()
        }),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(kv.stream.cached_info().config.allow_direct);

    assert_eq!(tokio::time::timeout(t, kv.get("missing")).await.unwrap().unwrap(), None);
    let r1 = tokio::time::timeout(t, kv.put("color", "red".into())).await.unwrap().unwrap();
    assert_eq!(r1, 1);
    let got = tokio::time::timeout(t, kv.get("color")).await.unwrap().unwrap();
    assert_eq!(got.as_deref(), Some(&b"red"[..]));

    let e = tokio::time::timeout(t, kv.entry("color")).await.unwrap().unwrap().unwrap();
    assert_eq!(e.revision, 1);
    assert_eq!(e.operation, kv::Operation::Put);
    assert_eq!(e.key, "color");
    assert_eq!(e.bucket, "cfg");

    // Update at the current revision succeeds; a stale one is refused.
    let r2 = tokio::time::timeout(t, kv.update("color", "blue".into(), r1)).await.unwrap().unwrap();
    assert_eq!(r2, 2);
    let stale = tokio::time::timeout(t, kv.update("color", "green".into(), r1)).await.unwrap();
    assert!(stale.is_err(), "update at a stale revision must fail");
    let got = tokio::time::timeout(t, kv.get("color")).await.unwrap().unwrap();
    assert_eq!(got.as_deref(), Some(&b"blue"[..]));
    // An older revision is a direct get by sequence.
    let old = tokio::time::timeout(t, kv.entry_for_revision("color", 1)).await.unwrap().unwrap().unwrap();
    assert_eq!(&old.value[..], b"red");

    // create() refuses an existing key.
    let dup = tokio::time::timeout(t, kv.create("color", "x".into())).await.unwrap();
    assert!(dup.is_err());
    let r3 = tokio::time::timeout(t, kv.create("size", "L".into())).await.unwrap().unwrap();
    assert_eq!(r3, 3);

    tokio::time::timeout(t, kv.delete("color")).await.unwrap().unwrap();
    assert_eq!(tokio::time::timeout(t, kv.get("color")).await.unwrap().unwrap(), None);
    let e = tokio::time::timeout(t, kv.entry("color")).await.unwrap().unwrap().unwrap();
    assert_eq!(e.operation, kv::Operation::Delete);
    assert_eq!(e.revision, 4);
    // Other keys are untouched.
    let got = tokio::time::timeout(t, kv.get("size")).await.unwrap().unwrap();
    assert_eq!(got.as_deref(), Some(&b"L"[..]));
}

#[tokio::test]
async fn async_nats_pull_consumer_fetch_ack_and_info() {
    use async_nats::jetstream::consumer::{self, pull};
    use futures::StreamExt;

    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let client = async_nats::connect(common::url(&s)).await.unwrap();
    let js = jetstream::new(client);
    let t = Duration::from_secs(5);

    let stream = tokio::time::timeout(
        t,
        js.create_stream(stream::Config {
            name: "EVENTS".into(),
            subjects: vec!["events.>".into()],
            ..Default::default()
        }),
    )
    .await
    .unwrap()
    .unwrap();
    for i in 0..5 {
        let ack = js.publish(format!("events.{i}"), format!("e{i}").into()).await.unwrap();
        tokio::time::timeout(t, ack).await.unwrap().unwrap();
    }
    let mut consumer: consumer::PullConsumer = tokio::time::timeout(
        t,
        stream.create_consumer(pull::Config {
            durable_name: Some("worker".into()),
            ..Default::default()
        }),
    )
    .await
    .unwrap()
    .unwrap();
    let info = tokio::time::timeout(t, consumer.info()).await.unwrap().unwrap();
    assert_eq!(info.num_pending, 5);
    assert_eq!(info.config.ack_wait, Duration::from_secs(30));

    let mut messages = tokio::time::timeout(t, consumer.fetch().max_messages(10).messages())
        .await
        .unwrap()
        .unwrap();
    let mut got = Vec::new();
    while let Some(m) = tokio::time::timeout(t, messages.next()).await.unwrap() {
        let m = m.unwrap();
        assert_eq!(m.subject.as_str(), format!("events.{}", got.len()));
        got.push(String::from_utf8(m.payload.to_vec()).unwrap());
        m.ack().await.unwrap();
    }
    assert_eq!(got, ["e0", "e1", "e2", "e3", "e4"]);

    let info = tokio::time::timeout(t, consumer.info()).await.unwrap().unwrap();
    assert_eq!(info.ack_floor.stream_sequence, 5);
    assert_eq!(info.ack_floor.consumer_sequence, 5);
    assert_eq!(info.num_ack_pending, 0);
    assert_eq!(info.num_pending, 0);
    s.shutdown(Duration::from_secs(1)).await;
}

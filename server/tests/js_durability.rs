//! Durable pull consumers across server restarts, and workqueue / interest
//! retention, through async-nats over real files.

mod common;

use common::{start_js, StoreDir};

use std::collections::BTreeSet;
use std::time::Duration;

use async_nats::jetstream::consumer::{pull, AckPolicy};
use async_nats::jetstream::{self, stream};
use futures::StreamExt;

const T: Duration = Duration::from_secs(5);

fn consumer_cfg() -> pull::Config {
    pull::Config {
        durable_name: Some("D".into()),
        ack_policy: AckPolicy::Explicit,
        ack_wait: Duration::from_secs(1),
        ..Default::default()
    }
}

/// Fetches (no wait) up to `n`; returns (stream seq, delivery count) and
/// double-acks the sequences in `ack`.
async fn fetch(
    c: &jetstream::consumer::Consumer<pull::Config>,
    n: usize,
    ack: &BTreeSet<u64>,
) -> Vec<(u64, i64)> {
    let mut msgs = tokio::time::timeout(T, c.fetch().max_messages(n).messages())
        .await
        .unwrap()
        .unwrap();
    let mut out = Vec::new();
    while let Some(m) = tokio::time::timeout(T, msgs.next()).await.unwrap() {
        let m = m.unwrap();
        let info = m.info().unwrap();
        let (seq, dc) = (info.stream_sequence, info.delivered);
        if ack.contains(&seq) {
            tokio::time::timeout(T, m.double_ack())
                .await
                .unwrap()
                .unwrap();
        }
        out.push((seq, dc));
    }
    out
}

async fn publish_n(js: &jetstream::Context, subject: &'static str, n: usize) {
    for i in 0..n {
        let ack = js.publish(subject, format!("m{i}").into()).await.unwrap();
        tokio::time::timeout(T, ack).await.unwrap().unwrap();
    }
}

/// A durable created,
/// partly consumed and partly (double-)acked before a restart continues
/// after it: no acked message comes back, no unacked one is skipped, and
/// redeliveries count the deliveries before the restart.
async fn consume_restart_continue(retention: stream::RetentionPolicy) {
    let dir = StoreDir::new();
    let acked: BTreeSet<u64> = [1, 2, 4].into();
    {
        let s = start_js(&dir).await;
        let js = jetstream::new(async_nats::connect(common::url(&s)).await.unwrap());
        let st = js
            .create_stream(stream::Config {
                name: "S".into(),
                subjects: vec!["s.>".into()],
                retention,
                ..Default::default()
            })
            .await
            .unwrap();
        let c = st.create_consumer(consumer_cfg()).await.unwrap();
        publish_n(&js, "s.x", 8).await;
        let got = fetch(&c, 5, &acked).await;
        assert_eq!(
            got.iter().map(|g| g.0).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
        s.shutdown(Duration::from_secs(1)).await;
    }
    let s = start_js(&dir).await;
    let js = jetstream::new(async_nats::connect(common::url(&s)).await.unwrap());
    let mut st = tokio::time::timeout(T, js.get_stream("S"))
        .await
        .unwrap()
        .unwrap();
    let msgs = st.info().await.unwrap().state.messages;
    let expect_msgs = if retention == stream::RetentionPolicy::WorkQueue {
        5
    } else {
        8
    };
    assert_eq!(msgs, expect_msgs, "acked messages of a workqueue are gone");
    let mut c: jetstream::consumer::Consumer<pull::Config> =
        tokio::time::timeout(T, st.get_consumer("D"))
            .await
            .unwrap()
            .unwrap();
    let info = c.info().await.unwrap();
    assert_eq!(info.ack_floor.stream_sequence, 2);
    assert_eq!(info.num_ack_pending, 2, "3 and 5 are still pending");
    // New messages first; then 3 and 5 once their ack wait is over.
    let mut seen: Vec<(u64, i64)> = Vec::new();
    let all: BTreeSet<u64> = (1..=8).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.iter().map(|g| g.0).collect::<BTreeSet<_>>().len() < 5 {
        assert!(tokio::time::Instant::now() < deadline, "only got {seen:?}");
        seen.extend(fetch(&c, 10, &all).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (seq, dc) in &seen {
        assert!(!acked.contains(seq), "acked {seq} came back: {seen:?}");
        let want = if [3, 5].contains(seq) { 2 } else { 1 };
        assert_eq!(*dc, want, "delivery count of {seq}: {seen:?}");
    }
    let seqs: BTreeSet<u64> = seen.iter().map(|g| g.0).collect();
    assert_eq!(seqs, [3, 5, 6, 7, 8].into());
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn durable_consumer_survives_restart_limits() {
    consume_restart_continue(stream::RetentionPolicy::Limits).await;
}

#[tokio::test]
async fn work_queue_consumer_survives_restart() {
    consume_restart_continue(stream::RetentionPolicy::WorkQueue).await;
}

/// Go's TestJetStreamWorkQueueRetentionStream error for overlapping
/// consumers, and TestJetStreamInterestRetentionStream's drop on publish
/// without consumers, seen by a client.
#[tokio::test]
async fn retention_rules_through_async_nats() {
    let dir = StoreDir::new();
    let s = start_js(&dir).await;
    let js = jetstream::new(async_nats::connect(common::url(&s)).await.unwrap());
    let wq = js
        .create_stream(stream::Config {
            name: "WQ".into(),
            subjects: vec!["wq.>".into()],
            retention: stream::RetentionPolicy::WorkQueue,
            ..Default::default()
        })
        .await
        .unwrap();
    wq.create_consumer(pull::Config {
        durable_name: Some("A".into()),
        filter_subject: "wq.>".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let err = wq
        .create_consumer(pull::Config {
            durable_name: Some("B".into()),
            filter_subject: "wq.a".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("10100"), "{err}");
    let mut it = js
        .create_stream(stream::Config {
            name: "IT".into(),
            subjects: vec!["it.>".into()],
            retention: stream::RetentionPolicy::Interest,
            ..Default::default()
        })
        .await
        .unwrap();
    publish_n(&js, "it.x", 3).await;
    let state = it.info().await.unwrap().state.clone();
    assert_eq!((state.messages, state.last_sequence), (0, 3));
    s.shutdown(Duration::from_secs(1)).await;
}

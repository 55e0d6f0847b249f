//! A clean shutdown makes JetStream state durable: every file store is
//! closed (its `index.db` written, so the next start reopens from it) and
//! plain acks of the last save interval are kept, so nothing acked comes
//! back after a restart.

mod common;

use std::time::Duration;

use common::{start_js, StoreDir};

use async_nats::jetstream::consumer::{pull, AckPolicy};
use async_nats::jetstream::{self, stream};
use futures::StreamExt;

const T: Duration = Duration::from_secs(5);

/// Fetches (no wait) up to `n`, plain-acking (no reply) those below `ack_below`.
async fn fetch(c: &jetstream::consumer::Consumer<pull::Config>, n: usize, ack_below: u64) -> Vec<u64> {
    let mut msgs = tokio::time::timeout(T, c.fetch().max_messages(n).messages())
        .await
        .unwrap()
        .unwrap();
    let mut out = Vec::new();
    while let Some(m) = tokio::time::timeout(T, msgs.next()).await.unwrap() {
        let m = m.unwrap();
        let seq = m.info().unwrap().stream_sequence;
        if seq < ack_below {
            m.ack().await.unwrap();
        }
        out.push(seq);
    }
    out
}

#[tokio::test]
async fn clean_shutdown_closes_stores_and_keeps_last_acks() {
    let dir = StoreDir::new();
    let index = dir.0.join("jetstream/$G/streams/SD/index.db");
    {
        let s = start_js(&dir).await;
        let client = async_nats::connect(common::url(&s)).await.unwrap();
        let js = jetstream::new(client.clone());
        let st = js
            .create_stream(stream::Config {
                name: "SD".into(),
                subjects: vec!["sd.>".into()],
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .unwrap();
        for i in 0..10 {
            js.publish("sd.x", format!("m{i}").into()).await.unwrap().await.unwrap();
        }
        let c = st
            .create_consumer(pull::Config {
                durable_name: Some("D".into()),
                ack_policy: AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                ..Default::default()
            })
            .await
            .unwrap();
        let got = fetch(&c, 5, 6).await;
        assert_eq!(got, vec![1, 2, 3, 4, 5]);
        // The acks reached the server (PING/PONG), then shut down at once:
        // well within the lazy save interval.
        client.flush().await.unwrap();
        let mut c = c;
        let ci = c.info().await.unwrap();
        assert_eq!(ci.ack_floor.stream_sequence, 5, "acks processed before shutdown");
        assert!(!index.exists(), "no index file while running");
        s.shutdown(Duration::from_secs(1)).await;
    }
    assert!(index.exists(), "the store was closed: {} written", index.display());
    let s = start_js(&dir).await;
    let js = jetstream::new(async_nats::connect(common::url(&s)).await.unwrap());
    let mut st = tokio::time::timeout(T, js.get_stream("SD")).await.unwrap().unwrap();
    let info = st.info().await.unwrap();
    assert_eq!(info.state.messages, 10);
    assert_eq!(info.state.last_sequence, 10);
    let mut c: jetstream::consumer::Consumer<pull::Config> =
        tokio::time::timeout(T, st.get_consumer("D")).await.unwrap().unwrap();
    let ci = c.info().await.unwrap();
    assert_eq!(ci.ack_floor.stream_sequence, 5, "acks before shutdown kept");
    assert_eq!(ci.num_ack_pending, 0);
    let got = fetch(&c, 10, 0).await;
    assert_eq!(got, vec![6, 7, 8, 9, 10], "acked messages are not redelivered");
    // A publish after the restart works on the reopened store.
    js.publish("sd.x", "after".into()).await.unwrap().await.unwrap();
    s.shutdown(Duration::from_secs(1)).await;
}

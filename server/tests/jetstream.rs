//! JetStream through the official Rust client (async-nats): streams over
//! real files in a temporary store directory, driven by the engine's
//! internal client.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, stream};

/// A fresh store directory, removed on drop.
struct StoreDir(PathBuf);

impl StoreDir {
    fn new() -> StoreDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("rnatsd-js-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        StoreDir(p)
    }
}

impl Drop for StoreDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn start_js(dir: &StoreDir) -> rnatsd_io_tokio::RunningServer {
    let mut opts = common::opts();
    opts.jetstream.enabled = true;
    opts.jetstream.store_dir = Some(dir.0.to_string_lossy().into_owned());
    common::start(opts).await
}

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

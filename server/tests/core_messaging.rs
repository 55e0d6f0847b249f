//! Core messaging through the official async-nats client against an
//! in-process rnatsd on an ephemeral loopback port.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;

use common::{opts, start, url};

const T: Duration = Duration::from_secs(5);

async fn next(sub: &mut async_nats::Subscriber) -> async_nats::Message {
    tokio::time::timeout(T, sub.next()).await.expect("message in time").expect("subscription open")
}

#[tokio::test]
async fn pub_sub_roundtrip() {
    let s = start(opts()).await;
    let nc = async_nats::connect(url(&s)).await.unwrap();
    let mut sub = nc.subscribe("foo").await.unwrap();
    nc.flush().await.unwrap();
    nc.publish("foo", "hello".into()).await.unwrap();
    let m = next(&mut sub).await;
    assert_eq!(m.subject.as_str(), "foo");
    assert_eq!(&m.payload[..], b"hello");
}

#[tokio::test]
async fn wildcards_match_like_go() {
    let s = start(opts()).await;
    let nc = async_nats::connect(url(&s)).await.unwrap();
    let mut star = nc.subscribe("foo.*.baz").await.unwrap();
    let mut gt = nc.subscribe("foo.>").await.unwrap();
    nc.flush().await.unwrap();
    nc.publish("foo.bar.baz", "1".into()).await.unwrap();
    nc.publish("foo.bar", "2".into()).await.unwrap();
    nc.publish("foo", "3".into()).await.unwrap();
    nc.flush().await.unwrap();
    assert_eq!(&next(&mut star).await.payload[..], b"1");
    assert_eq!(&next(&mut gt).await.payload[..], b"1");
    assert_eq!(&next(&mut gt).await.payload[..], b"2");
    // Nothing else arrives: "foo" matches neither.
    assert!(tokio::time::timeout(Duration::from_millis(200), gt.next()).await.is_err());
    assert!(tokio::time::timeout(Duration::from_millis(50), star.next()).await.is_err());
}

#[tokio::test]
async fn queue_group_delivers_each_message_once_across_members() {
    let s = start(opts()).await;
    let nc = async_nats::connect(url(&s)).await.unwrap();
    let mut members = Vec::new();
    for _ in 0..4 {
        members.push(nc.queue_subscribe("work", "q".into()).await.unwrap());
    }
    let mut plain = nc.subscribe("work").await.unwrap();
    nc.flush().await.unwrap();
    let n = 400;
    for i in 0..n {
        nc.publish("work", i.to_string().into()).await.unwrap();
    }
    nc.flush().await.unwrap();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut per_member = Vec::new();
    for m in members.iter_mut() {
        let mut count = 0;
        while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_millis(300), m.next()).await {
            *seen.entry(String::from_utf8(msg.payload.to_vec()).unwrap()).or_default() += 1;
            count += 1;
        }
        per_member.push(count);
    }
    assert_eq!(seen.len(), n, "every message reached the group");
    assert!(seen.values().all(|c| *c == 1), "no message reached two members");
    assert!(per_member.iter().all(|c| *c > 0), "spread across members: {per_member:?}");
    // The plain subscriber gets all of them.
    for _ in 0..n {
        next(&mut plain).await;
    }
}

#[tokio::test]
async fn auto_unsubscribe_after_max() {
    let s = start(opts()).await;
    let nc = async_nats::connect(url(&s)).await.unwrap();
    let mut sub = nc.subscribe("auto").await.unwrap();
    sub.unsubscribe_after(3).await.unwrap();
    nc.flush().await.unwrap();
    for i in 0..10 {
        nc.publish("auto", i.to_string().into()).await.unwrap();
    }
    nc.flush().await.unwrap();
    let mut got = Vec::new();
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(500), sub.next()).await {
        got.push(String::from_utf8(m.payload.to_vec()).unwrap());
    }
    assert_eq!(got, vec!["0", "1", "2"]);
}

#[tokio::test]
async fn request_reply() {
    let s = start(opts()).await;
    let nc = async_nats::connect(url(&s)).await.unwrap();
    let mut svc = nc.subscribe("svc.echo").await.unwrap();
    let responder = nc.clone();
    tokio::spawn(async move {
        while let Some(m) = svc.next().await {
            if let Some(reply) = m.reply {
                let mut body = b"re:".to_vec();
                body.extend_from_slice(&m.payload);
                responder.publish(reply, body.into()).await.unwrap();
            }
        }
    });
    nc.flush().await.unwrap();
    for i in 0..20 {
        let resp = tokio::time::timeout(T, nc.request("svc.echo", format!("{i}").into())).await.unwrap().unwrap();
        assert_eq!(resp.payload, format!("re:{i}").as_bytes());
    }
}

#[tokio::test]
async fn headers_roundtrip() {
    let s = start(opts()).await;
    let nc = async_nats::connect(url(&s)).await.unwrap();
    let mut sub = nc.subscribe("h").await.unwrap();
    nc.flush().await.unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("X-Trace", "abc");
    headers.append("X-Multi", "1");
    headers.append("X-Multi", "2");
    nc.publish_with_headers("h", headers, "body".into()).await.unwrap();
    let m = next(&mut sub).await;
    let h = m.headers.expect("headers delivered");
    assert_eq!(h.get("X-Trace").map(|v| v.as_str()), Some("abc"));
    assert_eq!(h.get_all("X-Multi").map(|v| v.as_str()).collect::<Vec<_>>(), vec!["1", "2"]);
    assert_eq!(&m.payload[..], b"body");
}

#[tokio::test]
async fn no_responders_status() {
    let s = start(opts()).await;
    let nc = async_nats::connect(url(&s)).await.unwrap();
    let err = tokio::time::timeout(T, nc.request("nobody.home", "x".into())).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), async_nats::RequestErrorKind::NoResponders, "{err:?}");
}

#[tokio::test]
async fn echo_false_suppresses_self_delivery() {
    let s = start(opts()).await;
    let quiet = async_nats::ConnectOptions::new().no_echo().connect(url(&s)).await.unwrap();
    let other = async_nats::connect(url(&s)).await.unwrap();
    let mut own = quiet.subscribe("e").await.unwrap();
    quiet.flush().await.unwrap();
    quiet.publish("e", "self".into()).await.unwrap();
    quiet.flush().await.unwrap();
    other.publish("e", "other".into()).await.unwrap();
    other.flush().await.unwrap();
    assert_eq!(&next(&mut own).await.payload[..], b"other");
    assert!(tokio::time::timeout(Duration::from_millis(200), own.next()).await.is_err());
}

#[tokio::test]
async fn publish_order_is_kept_per_publisher() {
    let s = start(opts()).await;
    let publisher = async_nats::connect(url(&s)).await.unwrap();
    let subscriber = async_nats::connect(url(&s)).await.unwrap();
    let mut sub = subscriber.subscribe("ord").await.unwrap();
    subscriber.flush().await.unwrap();
    let n = 5_000u32;
    for i in 0..n {
        publisher.publish("ord", i.to_be_bytes().to_vec().into()).await.unwrap();
    }
    publisher.flush().await.unwrap();
    for i in 0..n {
        let m = next(&mut sub).await;
        assert_eq!(u32::from_be_bytes(m.payload[..4].try_into().unwrap()), i);
    }
}

#[tokio::test]
async fn user_password_auth() {
    let mut o = opts();
    o.username = Some("derek".into());
    o.password = Some("s3cr3t".into());
    let s = start(o).await;
    let addr = s.client_addr;
    let ok = async_nats::ConnectOptions::with_user_and_password("derek".into(), "s3cr3t".into())
        .connect(format!("nats://{addr}"))
        .await;
    assert!(ok.is_ok(), "right credentials connect");
    let bad = async_nats::ConnectOptions::with_user_and_password("derek".into(), "wrong".into())
        .retry_on_initial_connect()
        .max_reconnects(1)
        .connect(format!("nats://{addr}"));
    // With wrong credentials the client never gets a working connection.
    let bad = tokio::time::timeout(Duration::from_secs(3), async {
        let c = bad.await?;
        c.flush().await.map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    })
    .await;
    assert!(!matches!(bad, Ok(Ok(()))), "wrong password must not work");
}

#[tokio::test]
async fn token_auth() {
    let mut o = opts();
    o.authorization = Some("tok".into());
    let s = start(o).await;
    let nc = async_nats::ConnectOptions::with_token("tok".into()).connect(url(&s)).await.unwrap();
    let mut sub = nc.subscribe("t").await.unwrap();
    nc.publish("t", "x".into()).await.unwrap();
    assert_eq!(&next(&mut sub).await.payload[..], b"x");
}

#[tokio::test]
async fn many_clients_fan_out() {
    let s = start(opts()).await;
    let mut subs = Vec::new();
    let mut conns = Vec::new();
    for _ in 0..8 {
        let nc = async_nats::connect(url(&s)).await.unwrap();
        subs.push(nc.subscribe("fan.>").await.unwrap());
        nc.flush().await.unwrap();
        conns.push(nc);
    }
    let publisher = async_nats::connect(url(&s)).await.unwrap();
    for i in 0..100 {
        publisher.publish(format!("fan.{i}"), "x".into()).await.unwrap();
    }
    publisher.flush().await.unwrap();
    for sub in subs.iter_mut() {
        for i in 0..100 {
            assert_eq!(next(sub).await.subject.as_str(), format!("fan.{i}"));
        }
    }
}

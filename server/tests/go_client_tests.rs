//! Ports of Go's server/client_test.go tests that only need the wire
//! protocol. Go drives an in-memory client with `setupClient`; here the same
//! bytes go over raw TCP to an in-process rnatsd. Where Go reads until the
//! pipe closes, we end the exchange with PING and read up to the PONG.

mod common;

use std::time::Duration;

use common::{opts, start, Raw};

const CONNECT: &str = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";

/// The `MSG` lines among `lines` (payload lines are left out).
fn msg_lines(lines: &[String]) -> Vec<&str> {
    lines
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("MSG "))
        .collect()
}

#[tokio::test]
async fn test_client_ping() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("PING\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("PONG"));
}

#[tokio::test]
async fn test_client_simple_pub_sub() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    raw.send("SUB foo 1\r\nPUB foo 5\r\nhello\r\nPING\r\n")
        .await;
    assert_eq!(raw.read_line().await.as_deref(), Some("MSG foo 1 5"));
    assert_eq!(raw.read_payload(5).await, b"hello");
    assert_eq!(raw.read_line().await.as_deref(), Some("PONG"));
}

#[tokio::test]
async fn test_client_pub_sub_no_echo() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    // verbose off too, so no +OK comes before the PONG.
    raw.send("CONNECT {\"verbose\":false,\"echo\":false}\r\n")
        .await;
    raw.send("SUB foo 1\r\nPUB foo 5\r\nhello\r\nPING\r\n")
        .await;
    // Only the PONG: the publisher's own subscription gets nothing.
    assert_eq!(raw.read_line().await.as_deref(), Some("PONG"));
}

#[tokio::test]
async fn test_client_simple_pub_sub_with_reply() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    raw.send("SUB foo 1\r\nPUB foo bar 5\r\nhello\r\nPING\r\n")
        .await;
    assert_eq!(raw.read_line().await.as_deref(), Some("MSG foo 1 bar 5"));
    assert_eq!(raw.read_payload(5).await, b"hello");
}

#[tokio::test]
async fn test_client_no_body_pub_sub_with_reply() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    raw.send("SUB foo 1\r\nPUB foo bar 0\r\n\r\nPING\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("MSG foo 1 bar 0"));
    assert_eq!(raw.read_payload(0).await, b"");
    assert_eq!(raw.read_line().await.as_deref(), Some("PONG"));
}

#[tokio::test]
async fn test_client_pub_with_queue_sub() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    let mut op = String::from("SUB foo g1 1\r\nSUB foo g1 2\r\n");
    for _ in 0..100 {
        op.push_str("PUB foo bar 5\r\nhello\r\n");
    }
    raw.send(&op).await;
    let lines = raw.flush().await;
    let msgs = msg_lines(&lines);
    assert_eq!(msgs.len(), 100, "each message goes to exactly one member");
    let n1 = msgs.iter().filter(|l| **l == "MSG foo 1 bar 5").count();
    let n2 = msgs.iter().filter(|l| **l == "MSG foo 2 bar 5").count();
    assert_eq!(n1 + n2, 100, "{msgs:?}");
    // Go's threshold for a random pick between the two members.
    assert!(n1 >= 20 && n2 >= 20, "n1={n1} n2={n2}");
}

#[tokio::test]
async fn test_client_un_sub() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    raw.send("SUB foo 1\r\nSUB foo 2\r\nUNSUB 1\r\nPUB foo bar 5\r\nhello\r\n")
        .await;
    let lines = raw.flush().await;
    assert_eq!(msg_lines(&lines), ["MSG foo 2 bar 5"]);
}

#[tokio::test]
async fn test_client_un_sub_max() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    let mut op = String::from("SUB foo 1\r\nUNSUB 1 5\r\n");
    for _ in 0..10 {
        op.push_str("PUB foo bar 5\r\nhello\r\n");
    }
    raw.send(&op).await;
    let lines = raw.flush().await;
    assert_eq!(msg_lines(&lines), ["MSG foo 1 bar 5"; 5]);
}

#[tokio::test]
async fn test_two_token_pub_match_single_token_sub() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    raw.send("PUB foo.bar 5\r\nhello\r\nSUB foo 1\r\nPING\r\nPUB foo.bar 5\r\nhello\r\nPING\r\n")
        .await;
    // `foo` does not match `foo.bar`: two PONGs and nothing else.
    assert_eq!(raw.read_line().await.as_deref(), Some("PONG"));
    assert_eq!(raw.read_line().await.as_deref(), Some("PONG"));
}

#[tokio::test]
async fn test_authorization_timeout() {
    let mut o = opts();
    o.authorization = Some("my_token".into());
    o.auth_timeout = Duration::from_millis(400);
    let s = start(o).await;
    let (mut raw, _) = Raw::connect(&s).await;
    let line = tokio::time::timeout(Duration::from_secs(3), raw.read_line())
        .await
        .expect("the server speaks within 3 s")
        .expect("a line before the close");
    assert!(line.contains("Authentication Timeout"), "{line}");
}

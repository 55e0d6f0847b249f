//! Protocol edge cases over raw TCP: Go's exact `-ERR` texts, when the
//! connection closes, INFO fields, PING/PONG, timers and limits.

mod common;

use std::time::Duration;

use common::{info_json, opts, start, Raw};
use rnatsd_core::options::{Permissions, SubjectPermission, User};

const CONNECT: &str = "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,\"protocol\":1}\r\n";

#[tokio::test]
async fn info_carries_gos_fields() {
    let mut o = opts();
    o.server_name = "my-server".into();
    let s = start(o).await;
    let (_raw, info) = Raw::connect(&s).await;
    assert!(info.ends_with(' '), "Go writes `INFO {{...}} \\r\\n`");
    let v = info_json(&info);
    assert_eq!(v["server_name"], "my-server");
    assert_eq!(v["proto"], 1);
    assert_eq!(v["headers"], true);
    assert_eq!(v["max_payload"], 1024 * 1024);
    assert_eq!(v["port"], s.client_addr.port());
    assert_eq!(v["host"], "127.0.0.1");
    assert_eq!(v["client_ip"], "127.0.0.1");
    assert!(v["client_id"].as_u64().unwrap() >= 1);
    let id = v["server_id"].as_str().unwrap();
    assert_eq!(id.len(), 56);
    assert!(id.starts_with('N'));
    assert!(v["version"].as_str().unwrap().starts_with("2."));
    assert!(v.get("auth_required").is_none(), "omitted when false, as Go");
    assert!(v.get("jetstream").is_none());
}

#[tokio::test]
async fn ping_gets_pong_even_before_connect() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("PING\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("PONG"));
}

#[tokio::test]
async fn verbose_sends_ok() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"verbose\":true}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("+OK"));
    assert_eq!(raw.read_line().await.as_deref(), Some("+OK"));
    assert_eq!(raw.read_line().await.as_deref(), Some("+OK"));
    assert_eq!(raw.read_line().await.as_deref(), Some("MSG foo 1 2"));
    assert_eq!(raw.read_payload(2).await, b"hi");
}

#[tokio::test]
async fn unknown_protocol_operation_closes() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("FOO bar\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Unknown Protocol Operation'"));
    assert!(raw.is_closed().await);
}

#[tokio::test]
async fn maximum_payload_violation_closes() {
    let mut o = opts();
    o.max_payload = 16;
    let s = start(o).await;
    let (mut raw, info) = Raw::connect(&s).await;
    assert_eq!(info_json(&info)["max_payload"], 16);
    raw.send(CONNECT).await;
    raw.send("PUB foo 17\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Maximum Payload Violation'"));
    assert!(raw.is_closed().await);
}

#[tokio::test]
async fn maximum_control_line_closes() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    let long = format!("SUB {} 1\r\n", "a".repeat(5000));
    raw.send(&long).await;
    let line = raw.read_line().await.unwrap();
    assert!(line.starts_with("-ERR 'Maximum Control Line Exceeded") || line.starts_with("-ERR 'maximum control line exceeded"), "{line}");
    assert!(raw.is_closed().await);
}

#[tokio::test]
async fn invalid_subject_on_sub_keeps_connection() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    raw.send("SUB foo..bar 1\r\n").await;
    assert_eq!(raw.flush().await, vec!["-ERR 'Invalid Subject'".to_string()]);
    raw.send("SUB foo.>.bar 2\r\n").await;
    assert_eq!(raw.flush().await, vec!["-ERR 'Invalid Subject'".to_string()]);
}

#[tokio::test]
async fn pedantic_invalid_publish_subject_is_reported() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"verbose\":false,\"pedantic\":true}\r\n").await;
    raw.send("PUB foo.* 1\r\nx\r\n").await;
    assert_eq!(raw.flush().await, vec!["-ERR 'Invalid Publish Subject'".to_string()]);
    // Non-pedantic: no error.
    raw.send("CONNECT {\"pedantic\":false}\r\nPUB foo.* 1\r\nx\r\n").await;
    assert!(raw.flush().await.is_empty());
}

#[tokio::test]
async fn authorization_violation_on_bad_password() {
    let mut o = opts();
    o.username = Some("u".into());
    o.password = Some("p".into());
    let s = start(o).await;
    let (mut raw, info) = Raw::connect(&s).await;
    assert_eq!(info_json(&info)["auth_required"], true);
    raw.send("CONNECT {\"verbose\":false,\"user\":\"u\",\"pass\":\"nope\"}\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Authorization Violation'"));
    assert!(raw.is_closed().await);
}

#[tokio::test]
async fn operations_before_connect_need_auth() {
    let mut o = opts();
    o.authorization = Some("t".into());
    let s = start(o).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("SUB foo 1\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Authorization Violation'"));
    assert!(raw.is_closed().await);
}

#[tokio::test]
async fn authentication_timeout() {
    let mut o = opts();
    o.authorization = Some("t".into());
    o.auth_timeout = Duration::from_millis(300);
    let s = start(o).await;
    let (mut raw, _) = Raw::connect(&s).await;
    assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Authentication Timeout'"));
    assert!(raw.is_closed().await);
}

#[tokio::test]
async fn stale_connection_is_cut() {
    let mut o = opts();
    o.ping_interval = Duration::from_millis(100);
    o.max_pings_out = 2;
    let s = start(o).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    // Never answer PINGs.
    let mut lines = Vec::new();
    while let Some(l) = raw.read_line().await {
        lines.push(l);
    }
    assert_eq!(lines, vec!["PING", "PING", "-ERR 'Stale Connection'"]);
}

#[tokio::test]
async fn answered_pings_keep_the_connection() {
    let mut o = opts();
    o.ping_interval = Duration::from_millis(50);
    let s = start(o).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    for _ in 0..6 {
        assert_eq!(raw.read_line().await.as_deref(), Some("PING"));
        raw.send("PONG\r\n").await;
    }
    assert_eq!(raw.flush().await, Vec::<String>::new());
}

#[tokio::test]
async fn maximum_connections_exceeded() {
    let mut o = opts();
    o.max_conn = 1;
    let s = start(o).await;
    let (mut first, _) = Raw::connect(&s).await;
    first.send(CONNECT).await;
    assert!(first.flush().await.is_empty());
    let (mut second, _) = Raw::connect(&s).await;
    assert_eq!(second.read_line().await.as_deref(), Some("-ERR 'maximum connections exceeded'"));
    assert!(second.is_closed().await);
    // The first connection is unaffected.
    assert!(first.flush().await.is_empty());
}

#[tokio::test]
async fn no_responders_requires_headers() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"no_responders\":true,\"headers\":false}\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'no responders requires headers support'"));
    assert!(raw.is_closed().await);
}

#[tokio::test]
async fn no_responders_frame_is_gos() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    raw.send("SUB _INBOX.x 7\r\nPUB nobody _INBOX.x 0\r\n\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("HMSG _INBOX.x 7 38 38"));
    assert_eq!(raw.read_payload(38).await, b"NATS/1.0 503\r\nNats-Subject: nobody\r\n\r\n");
}

#[tokio::test]
async fn headers_stripped_for_clients_without_header_support() {
    let s = start(opts()).await;
    let (mut old, _) = Raw::connect(&s).await;
    old.send("CONNECT {\"verbose\":false,\"headers\":false}\r\nSUB h 1\r\n").await;
    assert!(old.flush().await.is_empty());
    let (mut new, _) = Raw::connect(&s).await;
    new.send(CONNECT).await;
    new.send("HPUB h 12 14\r\nNATS/1.0\r\n\r\nhi\r\n").await;
    assert!(new.flush().await.is_empty());
    assert_eq!(old.read_line().await.as_deref(), Some("MSG h 1 2"));
    assert_eq!(old.read_payload(2).await, b"hi");
}

#[tokio::test]
async fn unsub_with_max_counts_delivered() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    raw.send("SUB a 1\r\nUNSUB 1 2\r\nPUB a 1\r\n1\r\nPUB a 1\r\n2\r\nPUB a 1\r\n3\r\n").await;
    let lines = raw.flush().await;
    assert_eq!(lines, vec!["MSG a 1 1", "1", "MSG a 1 1", "2"]);
}

#[tokio::test]
async fn permissions_violations_use_gos_words() {
    let mut o = opts();
    o.users = vec![User {
        username: "u".into(),
        password: "p".into(),
        permissions: Some(Permissions {
            publish: Some(SubjectPermission { allow: vec!["pub.>".into()], deny: vec!["pub.secret".into()] }),
            subscribe: Some(SubjectPermission { allow: vec!["sub.*".into()], deny: vec![] }),
            response: None,
        }),
    }];
    let s = start(o).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"verbose\":false,\"user\":\"u\",\"pass\":\"p\"}\r\n").await;
    raw.send("PUB other 1\r\nx\r\n").await;
    assert_eq!(raw.flush().await, vec!["-ERR 'Permissions Violation for Publish to \"other\"'".to_string()]);
    raw.send("PUB pub.secret 1\r\nx\r\n").await;
    assert_eq!(raw.flush().await, vec!["-ERR 'Permissions Violation for Publish to \"pub.secret\"'".to_string()]);
    raw.send("SUB nope 1\r\n").await;
    assert_eq!(raw.flush().await, vec!["-ERR 'Permissions Violation for Subscription to \"nope\"'".to_string()]);
    raw.send("SUB sub.> 2\r\n").await;
    assert_eq!(raw.flush().await, vec!["-ERR 'Permissions Violation for Subscription to \"sub.>\"'".to_string()]);
    raw.send("SUB nope q 3\r\n").await;
    assert_eq!(
        raw.flush().await,
        vec!["-ERR 'Permissions Violation for Subscription to \"nope\" using queue \"q\"'".to_string()]
    );
    // Allowed operations still work, and the connection stayed open.
    raw.send("SUB sub.a 4\r\nPUB pub.x 1\r\nx\r\n").await;
    assert!(raw.flush().await.is_empty());
}

#[tokio::test]
async fn slow_consumer_is_cut_and_others_continue() {
    let mut o = opts();
    o.max_pending = 64 * 1024;
    o.max_payload = 32 * 1024;
    let s = start(o).await;
    // A subscriber that never reads.
    let (mut slow, _) = Raw::connect(&s).await;
    slow.send(CONNECT).await;
    slow.send("SUB big 1\r\n").await;
    assert!(slow.flush().await.is_empty());
    let (mut healthy, _) = Raw::connect(&s).await;
    healthy.send(CONNECT).await;
    healthy.send("SUB big 1\r\n").await;
    assert!(healthy.flush().await.is_empty());
    let (mut publisher, _) = Raw::connect(&s).await;
    publisher.send(CONNECT).await;
    let payload = "x".repeat(16 * 1024);
    let mut closed = false;
    // Bounded: at most 2,000 messages (32 MiB) or until the server cuts it.
    for _ in 0..2000 {
        publisher.send(&format!("PUB big {}\r\n{}\r\n", payload.len(), payload)).await;
        // Keep the healthy subscriber drained.
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(1), healthy.read_line()).await {}
        if s.num_connections() == 2 {
            closed = true;
            break;
        }
    }
    assert!(closed, "the slow consumer was cut");
    assert!(publisher.flush().await.iter().all(|l| !l.starts_with("-ERR")));
}

#[tokio::test]
async fn garbage_never_kills_the_server() {
    let s = start(opts()).await;
    let inputs: &[&[u8]] = &[
        b"\x00\x01\x02\xff\r\n",
        b"PUB\r\n",
        b"PUB foo -1\r\n",
        b"PUB foo 99999999999999999999999\r\n",
        b"HPUB foo 10 5\r\n",
        b"SUB\r\n",
        b"UNSUB\r\n",
        b"CONNECT {bad json\r\n",
        b"MSG foo 1 1\r\nx\r\n",
        b"\r\n\r\n\r\n",
    ];
    for input in inputs {
        let (mut raw, _) = Raw::connect(&s).await;
        tokio::io::AsyncWriteExt::write_all(&mut raw.stream, input).await.unwrap();
        assert!(raw.is_closed().await, "closed after {:?}", String::from_utf8_lossy(input));
    }
    // Still serving.
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    assert!(raw.flush().await.is_empty());
}

#[tokio::test]
async fn monitoring_varz_and_healthz() {
    let mut o = opts();
    o.http_host = "127.0.0.1".into();
    o.http_port = -1;
    let s = start(o).await;
    let addr = s.http_addr.expect("http listener");
    let get = |path: &'static str| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
        c.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).await.unwrap();
        out
    };
    let health = get("/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("{\"status\":\"ok\"}"));
    let varz = get("/varz").await;
    let body = varz.split("\r\n\r\n").nth(1).unwrap();
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    for key in ["server_id", "version", "port", "max_payload", "connections", "in_msgs", "out_msgs", "start", "now", "uptime", "mem"] {
        assert!(v.get(key).is_some(), "varz has {key}");
    }
    assert_eq!(v["port"], s.client_addr.port());
    assert!(get("/nope").await.starts_with("HTTP/1.1 404"));
}

/// Regression: the adapter shrinks its read buffer after a burst; an
/// unfinished op handed back by the engine must survive the shrink.
#[tokio::test]
async fn partial_ops_survive_read_buffer_shrink() {
    let s = start(opts()).await;
    let (mut sub, _) = Raw::connect(&s).await;
    sub.send(CONNECT).await;
    sub.send("SUB foo 1\r\n").await;
    assert!(sub.flush().await.is_empty());
    let (mut publisher, _) = Raw::connect(&s).await;
    publisher.send(CONNECT).await;
    // A burst that grows the read buffer to its maximum.
    let burst: String = (0..2000).map(|_| "PUB bar 64\r\n".to_string() + &"x".repeat(64) + "\r\n").collect();
    publisher.send(&burst).await;
    assert!(publisher.flush().await.is_empty());
    // Then small reads, each ending inside an op.
    for i in 0..8 {
        publisher.send("PUB foo 5\r\nhel").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        publisher.send(&format!("l{i}\r\n")).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(publisher.flush().await.is_empty(), "publisher not cut");
    for i in 0..8 {
        assert_eq!(sub.read_line().await.as_deref(), Some("MSG foo 1 5"));
        assert_eq!(sub.read_payload(5).await, format!("hell{i}").as_bytes());
    }
}
// ---------------------------------------------------------------------------
// Regressions found by the differential tester (conformance/, see
// docs/CONFORMANCE.md): each one a wire difference from Go nats-server.

fn user_pass_opts() -> rnatsd_core::options::ServerOptions {
    let mut o = opts();
    o.username = Some("u".into());
    o.password = Some("p".into());
    o
}

/// Go's parser, while awaiting auth, refuses any op whose first byte is not
/// `C`/`c` (parser.go OP_START): rnatsd used to answer PING with PONG and
/// ignore PONG before CONNECT.
#[tokio::test]
async fn ping_before_connect_with_auth_is_an_authorization_violation() {
    let s = start(user_pass_opts()).await;
    for first in ["PING\r\n", "PONG\r\n", "FOO\r\n", "ping\r\n"] {
        let (mut raw, _) = Raw::connect(&s).await;
        raw.send(first).await;
        assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Authorization Violation'"), "after {first:?}");
        assert!(raw.is_closed().await, "after {first:?}");
    }
    // A `c` that does not spell CONNECT is a parse error, as in Go.
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CX\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Unknown Protocol Operation'"));
    assert!(raw.is_closed().await);
    // A lower-case connect, split across writes, is still accepted.
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("con").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    raw.send("nect {\"verbose\":false,\"user\":\"u\",\"pass\":\"p\"}\r\n").await;
    assert!(raw.flush().await.is_empty());
}

/// Go authenticates every CONNECT, and before it looks at the protocol
/// level: rnatsd checked only the first CONNECT, and the protocol first.
#[tokio::test]
async fn every_connect_is_authenticated_before_the_protocol_check() {
    let s = start(user_pass_opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"verbose\":false,\"user\":\"u\",\"pass\":\"p\"}\r\n").await;
    assert!(raw.flush().await.is_empty());
    raw.send("CONNECT {\"verbose\":false,\"user\":\"x\",\"pass\":\"y\"}\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Authorization Violation'"));
    assert!(raw.is_closed().await);

    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"verbose\":false,\"protocol\":5,\"user\":\"x\"}\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Authorization Violation'"));
    assert!(raw.is_closed().await);
}

/// Go refuses the old `account` / `new_account` CONNECT designations with an
/// Authorization Violation, auth configured or not.
#[tokio::test]
async fn connect_account_designation_is_refused() {
    let s = start(opts()).await;
    for json in ["{\"account\":\"x\"}", "{\"new_account\":true}"] {
        let (mut raw, _) = Raw::connect(&s).await;
        raw.send(&format!("CONNECT {json}\r\n")).await;
        assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Authorization Violation'"), "{json}");
        assert!(raw.is_closed().await, "{json}");
    }
}

/// Newer Go (commit "Re-CONNECT clears previous subscriptions") drops a
/// client's subscriptions when it sends a second CONNECT.
#[tokio::test]
async fn second_connect_clears_subscriptions() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"verbose\":false}\r\nSUB foo 1\r\nPUB foo 1\r\na\r\n").await;
    assert_eq!(raw.flush().await, vec!["MSG foo 1 1".to_string(), "a".to_string()]);
    raw.send("CONNECT {\"verbose\":false}\r\nPUB foo 1\r\nb\r\n").await;
    assert!(raw.flush().await.is_empty(), "the old SUB is gone");
    raw.send("SUB foo 2\r\nPUB foo 1\r\nc\r\n").await;
    assert_eq!(raw.flush().await, vec!["MSG foo 2 1".to_string(), "c".to_string()]);
}

/// Go delivers `HPUB` with a zero header length as a plain `MSG` (a message
/// has headers only when `hdr > 0`); rnatsd sent `HMSG foo 1 0 2`.
#[tokio::test]
async fn hpub_with_zero_header_length_is_delivered_as_msg() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    raw.send("SUB foo 1\r\nHPUB foo 0 2\r\nhi\r\n").await;
    assert_eq!(raw.flush().await, vec!["MSG foo 1 2".to_string(), "hi".to_string()]);
}

/// Go's processInboundClientMsg refuses publishes to `_GR_.` and `$NRG.`
/// subjects and replies on `_R_.`, `$JS.ACK.` and `_GR_.`, with or without
/// permissions configured; processSub refuses the `_sys_` queue.
#[tokio::test]
async fn reserved_subjects_and_queue_are_refused() {
    let s = start(opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send(CONNECT).await;
    raw.send("SUB > 1\r\n").await;
    for subj in ["_GR_.abc", "$NRG.abc"] {
        raw.send(&format!("PUB {subj} 1\r\nx\r\n")).await;
        assert_eq!(raw.flush().await, vec![format!("-ERR 'Permissions Violation for Publish to \"{subj}\"'")]);
    }
    for reply in ["_R_.abc", "$JS.ACK.a.b", "_GR_.abc"] {
        raw.send(&format!("PUB foo {reply} 1\r\nx\r\n")).await;
        assert_eq!(raw.flush().await, vec![format!("-ERR 'Permissions Violation for Publish with Reply of \"{reply}\"'")]);
    }
    // Exactly the prefix is not reserved (Go checks `len > prefix`).
    raw.send("PUB foo _R_. 1\r\nx\r\n").await;
    assert_eq!(raw.flush().await, vec!["MSG foo 1 _R_. 1".to_string(), "x".to_string()]);
    raw.send("SUB foo _sys_ 2\r\n").await;
    assert_eq!(
        raw.flush().await,
        vec!["-ERR 'Permissions Violation for Subscription to \"foo\" using queue \"_sys_\"'".to_string()]
    );
}

/// Go reports `Invalid Publish Subject` while reading the PUB line, before
/// the permission check of the message: both errors, in that order.
#[tokio::test]
async fn pedantic_error_precedes_publish_permission_violation() {
    let mut o = opts();
    o.users = vec![User {
        username: "u".into(),
        password: "p".into(),
        permissions: Some(Permissions {
            publish: Some(SubjectPermission { allow: vec!["pub.>".into()], deny: vec![] }),
            subscribe: None,
            response: None,
        }),
    }];
    let s = start(o).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"verbose\":false,\"pedantic\":true,\"user\":\"u\",\"pass\":\"p\"}\r\n").await;
    raw.send("PUB other.* 1\r\nx\r\n").await;
    assert_eq!(
        raw.flush().await,
        vec![
            "-ERR 'Invalid Publish Subject'".to_string(),
            "-ERR 'Permissions Violation for Publish to \"other.*\"'".to_string(),
        ]
    );
}

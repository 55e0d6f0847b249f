//! Accounts with the official async-nats client: isolation, stream and
//! service imports, no_auth_user, bcrypt passwords, and attempts to break
//! out of an account or a permission through any spelling of a subject.

mod common;

use std::time::Duration;

use futures::StreamExt;
use rnatsd_core::options::ServerOptions;
use rnatsd_io_tokio::RunningServer;

use common::{opts, start, url, Raw};

/// Options from a config text, listening on an ephemeral loopback port.
fn conf(text: &str) -> ServerOptions {
    let env = |_: &str| None;
    let mut include = |p: &str| Err(format!("no include {p}"));
    let map = rnatsd_core::conf::parse(text, "accounts.conf", &env, &mut include).expect("config parses");
    let mut o = opts();
    rnatsd_core::conf::apply_config(&map, &mut o).expect("config applies");
    o.host = "127.0.0.1".into();
    o.port = -1;
    o
}

async fn login(s: &RunningServer, user: &str, pass: &str) -> async_nats::Client {
    async_nats::ConnectOptions::with_user_and_password(user.into(), pass.into())
        .connect(url(s))
        .await
        .unwrap_or_else(|e| panic!("{user} connects: {e}"))
}

/// Nothing arrives on `sub` within a short wait.
async fn silent(sub: &mut async_nats::Subscriber) -> bool {
    tokio::time::timeout(Duration::from_millis(300), sub.next()).await.is_err()
}

async fn next(sub: &mut async_nats::Subscriber) -> async_nats::Message {
    tokio::time::timeout(Duration::from_secs(3), sub.next()).await.expect("a message in time").expect("open")
}

const ACCOUNTS: &str = r#"
accounts {
  A {
    users = [ {user: a, password: a} ]
    exports = [
      {stream: "public.>"}
      {service: "svc.>"}
    ]
  }
  B {
    users = [ {user: b, password: b} ]
    imports = [
      {stream: {account: A, subject: "public.>"}, prefix: "from_a"}
      {service: {account: A, subject: "svc.>"}, to: "a.svc.>"}
    ]
  }
  C { users = [ {user: c, password: c} ] }
}
"#;

#[tokio::test]
async fn test_account_isolation_wildcards() {
    let s = start(conf(ACCOUNTS)).await;
    let (a, c) = (login(&s, "a", "a").await, login(&s, "c", "c").await);
    let mut spy = c.subscribe(">").await.unwrap();
    let mut spy_q = c.queue_subscribe(">", "q".into()).await.unwrap();
    let mut own = a.subscribe(">").await.unwrap();
    c.flush().await.unwrap();
    a.flush().await.unwrap();
    for subject in ["foo", "public.x", "svc.x", "_R_.abc.def", "$SYS.REQ.X", "_INBOX.x"] {
        a.publish(subject, "secret".into()).await.unwrap();
    }
    a.flush().await.unwrap();
    assert_eq!(next(&mut own).await.subject.as_str(), "foo");
    assert!(silent(&mut spy).await, "a `>` subscriber in C sees nothing of A");
    assert!(silent(&mut spy_q).await);
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_stream_import_with_prefix() {
    let s = start(conf(ACCOUNTS)).await;
    let (a, b) = (login(&s, "a", "a").await, login(&s, "b", "b").await);
    let mut sub = b.subscribe("from_a.public.>").await.unwrap();
    let mut raw_name = b.subscribe("public.>").await.unwrap();
    b.flush().await.unwrap();
    a.publish("public.news", "hello".into()).await.unwrap();
    a.publish("private.news", "no".into()).await.unwrap();
    a.flush().await.unwrap();
    let m = next(&mut sub).await;
    assert_eq!(m.subject.as_str(), "from_a.public.news");
    assert_eq!(&m.payload[..], b"hello");
    assert!(silent(&mut sub).await, "unexported subjects are not imported");
    assert!(silent(&mut raw_name).await, "imported only under the prefix");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_service_import_request_reply() {
    let s = start(conf(ACCOUNTS)).await;
    let (a, b) = (login(&s, "a", "a").await, login(&s, "b", "b").await);
    let mut svc = a.subscribe("svc.>").await.unwrap();
    a.flush().await.unwrap();
    let responder = tokio::spawn({
        let a = a.clone();
        async move {
            let m = next(&mut svc).await;
            let reply = m.reply.clone().expect("request has a reply");
            assert!(reply.as_str().starts_with("_R_."), "mapped reply: {reply}");
            assert_eq!(m.subject.as_str(), "svc.time");
            a.publish(reply, "noon".into()).await.unwrap();
            a.flush().await.unwrap();
        }
    });
    let resp = tokio::time::timeout(Duration::from_secs(3), b.request("a.svc.time", "now?".into()))
        .await
        .expect("in time")
        .expect("response");
    assert_eq!(&resp.payload[..], b"noon");
    responder.await.unwrap();
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_service_responder_cannot_reach_importer() {
    let s = start(conf(ACCOUNTS)).await;
    let (a, b) = (login(&s, "a", "a").await, login(&s, "b", "b").await);
    let mut everything = b.subscribe(">").await.unwrap();
    let mut svc = a.subscribe("svc.>").await.unwrap();
    a.flush().await.unwrap();
    b.flush().await.unwrap();
    b.publish_with_reply("a.svc.x", "b.private.inbox", "req".into()).await.unwrap();
    b.flush().await.unwrap();
    // B's `>` subscriber sees its own request.
    assert_eq!(next(&mut everything).await.subject.as_str(), "a.svc.x");
    let req = next(&mut svc).await;
    assert!(!req.reply.as_ref().unwrap().as_str().contains("private"), "the importer's inbox is hidden");
    for subject in ["b.private.inbox", "a.svc.x", "foo", "_R_.AAAAAA.BBBBBB", "from_a.public.x"] {
        a.publish(subject, "leak".into()).await.unwrap();
    }
    a.flush().await.unwrap();
    assert!(silent(&mut everything).await, "the responder reaches only the mapped reply");
    a.publish(req.reply.unwrap(), "answer".into()).await.unwrap();
    a.flush().await.unwrap();
    let m = next(&mut everything).await;
    assert_eq!((m.subject.as_str(), &m.payload[..]), ("b.private.inbox", &b"answer"[..]));
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_no_auth_user_account() {
    let s = start(conf(&format!("{ACCOUNTS}\nno_auth_user: c\n"))).await;
    let anon = async_nats::connect(url(&s)).await.expect("no credentials: the no_auth_user");
    let c = login(&s, "c", "c").await;
    let a = login(&s, "a", "a").await;
    let mut sub = c.subscribe("hello").await.unwrap();
    let mut not_a = a.subscribe("hello").await.unwrap();
    c.flush().await.unwrap();
    a.flush().await.unwrap();
    anon.publish("hello", "x".into()).await.unwrap();
    anon.flush().await.unwrap();
    assert_eq!(&next(&mut sub).await.payload[..], b"x", "anonymous is in C");
    assert!(silent(&mut not_a).await);
    s.shutdown(Duration::from_secs(1)).await;
}

/// A bcrypt hash made with a fixed salt (no randomness needed).
fn bcrypt_hash(pass: &str) -> String {
    bcrypt::hash_with_salt(pass, 4, [3u8; 16]).unwrap().format_for_version(bcrypt::Version::TwoA)
}

#[tokio::test]
async fn test_bcrypt_login() {
    let h = bcrypt_hash("s3cr3t");
    let s = start(conf(&format!("accounts {{ A {{ users = [ {{user: alice, password: \"{h}\"}} ] }} }}"))).await;
    let ok = login(&s, "alice", "s3cr3t").await;
    ok.flush().await.unwrap();
    let bad = async_nats::ConnectOptions::with_user_and_password("alice".into(), "wrong".into())
        .connection_timeout(Duration::from_secs(2))
        .connect(url(&s))
        .await;
    assert!(bad.is_err(), "a wrong password is refused");
    let hash_itself = async_nats::ConnectOptions::with_user_and_password("alice".into(), h.clone())
        .connection_timeout(Duration::from_secs(2))
        .connect(url(&s))
        .await;
    assert!(hash_itself.is_err(), "the hash is not the password");
    s.shutdown(Duration::from_secs(1)).await;
}

const PERMS: &str = r#"
accounts {
  A {
    users = [
      {user: limited, password: l, permissions: {
        publish: {allow: ["ok.>"], deny: ["ok.secret"]}
        subscribe: {allow: ["ok.>", "work q1"], deny: ["ok.secret"]}
      }}
      {user: admin, password: x}
    ]
  }
}
"#;

/// Every spelling a client might try: wildcards, queue groups, reply
/// subjects, denied subjects under an allowed wildcard.
#[tokio::test]
async fn test_permissions_every_spelling() {
    let s = start(conf(PERMS)).await;
    let admin = login(&s, "admin", "x").await;
    let mut watch = admin.subscribe(">").await.unwrap();
    admin.flush().await.unwrap();
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"user\":\"limited\",\"pass\":\"l\",\"verbose\":false}\r\n").await;
    for sub in ["SUB > 1", "SUB * 2", "SUB ok.secret 3", "SUB work 4", "SUB work q2 5", "SUB forbidden q1 6", "SUB _INBOX.> 7"] {
        raw.send(&format!("{sub}\r\n")).await;
        let line = raw.read_line().await.unwrap();
        assert!(line.starts_with("-ERR 'Permissions Violation for Subscription"), "{sub}: {line}");
    }
    for publish in ["PUB > 1", "PUB nope 1", "PUB ok.secret 1", "PUB *.secret 1"] {
        raw.send(&format!("{publish}\r\nx\r\nPING\r\n")).await;
        let mut lines = Vec::new();
        while let Some(line) = raw.read_line().await {
            if line == "PONG" {
                break;
            }
            lines.push(line);
        }
        // A wildcard subject may also be reported as invalid; the
        // permission check refuses it either way.
        assert!(
            lines.iter().any(|l| l.starts_with("-ERR 'Permissions Violation for Publish")),
            "{publish}: {lines:?}"
        );
    }
    raw.send("PUB ok.x _R_.abc.def 1\r\nx\r\n").await;
    let line = raw.read_line().await.unwrap();
    assert!(line.contains("Publish with Reply of"), "{line}");
    // Allowed ones still work, and the wildcard subscription never carries
    // the denied subject.
    raw.send("SUB ok.> 10\r\nSUB work q1 11\r\nPING\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("PONG"));
    admin.publish("ok.secret", "s".into()).await.unwrap();
    admin.publish("ok.fine", "f".into()).await.unwrap();
    admin.flush().await.unwrap();
    assert_eq!(raw.read_line().await.as_deref(), Some("MSG ok.fine 10 1"));
    // What the limited user was refused never reached anybody.
    let mut seen = Vec::new();
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(300), watch.next()).await {
        seen.push(m.subject.to_string());
    }
    assert_eq!(seen, vec!["ok.secret".to_string(), "ok.fine".to_string()], "only admin's own messages");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_connz_and_accountz_show_accounts() {
    let s = start(conf(ACCOUNTS)).await;
    let _a = login(&s, "a", "a").await;
    let _b = login(&s, "b", "b").await;
    let connz: serde_json::Value = serde_json::from_str(&s.monitor_request("/connz?auth=true&acc=B").body).unwrap();
    let conns = connz["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{connz}");
    assert_eq!(conns[0]["account"], "B");
    assert_eq!(conns[0]["authorized_user"], "b");
    let accountz: serde_json::Value = serde_json::from_str(&s.monitor_request("/accountz").body).unwrap();
    let names: Vec<&str> = accountz["accounts"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    for n in ["$G", "$SYS", "A", "B", "C"] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    let varz: serde_json::Value = serde_json::from_str(&s.monitor_request("/varz").body).unwrap();
    assert_eq!(varz["system_account"], "$SYS");
    s.shutdown(Duration::from_secs(1)).await;
}

/// Reload: a user moved to another account is cut, a user whose password
/// changed is cut, the others keep working (Go's reloadAuthorization).
#[tokio::test]
async fn test_reload_accounts_cuts_moved_users() {
    let base = r#"accounts {
      A { users = [ {user: a, password: a}, {user: stay, password: s} ] }
      B { users = [ {user: b, password: b} ] }
    }"#;
    let s = start(conf(base)).await;
    let (mut moved, _) = Raw::connect(&s).await;
    moved.send("CONNECT {\"user\":\"a\",\"pass\":\"a\",\"verbose\":false}\r\nPING\r\n").await;
    assert_eq!(moved.read_line().await.as_deref(), Some("PONG"));
    let stay = login(&s, "stay", "s").await;
    let mut sub = stay.subscribe("still.here").await.unwrap();
    stay.flush().await.unwrap();
    let mut o = conf(
        r#"accounts {
      A { users = [ {user: stay, password: s} ] }
      B { users = [ {user: b, password: b}, {user: a, password: a} ] }
    }"#,
    );
    o.port = s.client_addr.port().into();
    s.reload(o).expect("reload applies");
    // The moved user's connection is cut, as Go cuts it.
    assert_eq!(moved.read_line().await.as_deref(), Some("-ERR 'Authorization Violation'"));
    assert_eq!(moved.read_line().await, None, "closed");
    stay.publish("still.here", "ok".into()).await.unwrap();
    stay.flush().await.unwrap();
    assert_eq!(&next(&mut sub).await.payload[..], b"ok");
    s.shutdown(Duration::from_secs(1)).await;
}

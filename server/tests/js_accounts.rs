//! JetStream per account with async-nats: each JetStream-enabled account
//! has its own streams (stored under `jetstream/<account>/`), its limits
//! are enforced and reported by `$JS.API.INFO`, and an account without
//! JetStream gets Go's "JetStream not enabled for account" (10039).

mod common;

use common::StoreDir;

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use rnatsd_core::options::ServerOptions;
use rnatsd_io_tokio::RunningServer;

use common::{opts, start, url};

const ACCOUNTS: &str = r#"
accounts {
  A { jetstream: enabled, users: [{user: a, password: a}] }
  B { jetstream: {max_mem: 1M, max_file: 10M, max_streams: 2, max_consumers: 1}, users: [{user: b, password: b}] }
  C { users: [{user: c, password: c}] }
}
"#;

fn conf(text: &str, dir: &StoreDir) -> ServerOptions {
    let env = |_: &str| None;
    let mut include = |p: &str| Err(format!("no include {p}"));
    let map = rnatsd_core::conf::parse(text, "js_accounts.conf", &env, &mut include).expect("config parses");
    let mut o = opts();
    rnatsd_core::conf::apply_config(&map, &mut o).expect("config applies");
    o.host = "127.0.0.1".into();
    o.port = -1;
    o.jetstream.enabled = true;
    o.jetstream.store_dir = Some(dir.0.to_string_lossy().into_owned());
    o
}

async fn login(s: &RunningServer, user: &str) -> async_nats::Client {
    async_nats::ConnectOptions::with_user_and_password(user.into(), user.into())
        .connect(url(s))
        .await
        .unwrap_or_else(|e| panic!("{user} connects: {e}"))
}

const T: Duration = Duration::from_secs(5);

async fn request(nc: &async_nats::Client, subject: &str, body: &str) -> serde_json::Value {
    let m = tokio::time::timeout(T, nc.request(subject.to_string(), body.to_string().into()))
        .await
        .expect("reply in time")
        .expect("reply");
    serde_json::from_slice(&m.payload).expect("json reply")
}

async fn stream_names(nc: &async_nats::Client) -> Vec<String> {
    let v = request(nc, "$JS.API.STREAM.NAMES", "{}").await;
    let mut names: Vec<String> = v["streams"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn create_body(name: &str, subject: &str) -> String {
    format!(r#"{{"name":"{name}","subjects":["{subject}"],"storage":"file","retention":"limits","max_consumers":-1,"max_msgs":-1,"max_bytes":-1,"max_age":0,"max_msgs_per_subject":-1,"max_msg_size":-1,"discard":"old","num_replicas":1,"duplicate_window":0}}"#)
}

#[tokio::test]
async fn test_jet_stream_multiple_accounts_basics() {
    let dir = StoreDir::new();
    let s = start(conf(ACCOUNTS, &dir)).await;
    let (a, b) = (login(&s, "a").await, login(&s, "b").await);
    let (ja, jb) = (jetstream::new(a.clone()), jetstream::new(b.clone()));
    // The same stream name and subject in two accounts: no collision.
    ja.create_stream(stream::Config { name: "S".into(), subjects: vec!["foo".into()], ..Default::default() })
        .await
        .expect("A creates S");
    jb.create_stream(stream::Config { name: "S".into(), subjects: vec!["foo".into()], ..Default::default() })
        .await
        .expect("B creates S");
    ja.create_stream(stream::Config { name: "ONLY_A".into(), subjects: vec!["bar".into()], ..Default::default() })
        .await
        .expect("A creates ONLY_A");
    for _ in 0..3 {
        ja.publish("foo", "a".into()).await.unwrap().await.expect("A's ack");
    }
    jb.publish("foo", "b".into()).await.unwrap().await.expect("B's ack");
    assert_eq!(stream_names(&a).await, vec!["ONLY_A".to_string(), "S".to_string()]);
    assert_eq!(stream_names(&b).await, vec!["S".to_string()]);
    let mut sa = ja.get_stream("S").await.unwrap();
    let mut sb = jb.get_stream("S").await.unwrap();
    assert_eq!(sa.info().await.unwrap().state.messages, 3);
    assert_eq!(sb.info().await.unwrap().state.messages, 1);
    assert!(jb.get_stream("ONLY_A").await.is_err(), "B does not see A's stream");
    // Each account has its own directory, as Go's layout.
    assert!(dir.0.join("jetstream/A/streams/S").is_dir());
    assert!(dir.0.join("jetstream/B/streams/S").is_dir());
    assert!(!dir.0.join("jetstream/B/streams/ONLY_A").exists());

    // A restart recovers each account's streams into that account.
    s.shutdown(Duration::from_secs(1)).await;
    let s = start(conf(ACCOUNTS, &dir)).await;
    let (a, b) = (login(&s, "a").await, login(&s, "b").await);
    assert_eq!(stream_names(&a).await, vec!["ONLY_A".to_string(), "S".to_string()]);
    assert_eq!(stream_names(&b).await, vec!["S".to_string()]);
    let mut sa = jetstream::new(a).get_stream("S").await.unwrap();
    let mut sb = jetstream::new(b).get_stream("S").await.unwrap();
    assert_eq!(sa.info().await.unwrap().state.messages, 3);
    assert_eq!(sb.info().await.unwrap().state.messages, 1);
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jet_stream_account_limits_max_streams() {
    let dir = StoreDir::new();
    let s = start(conf(ACCOUNTS, &dir)).await;
    let b = login(&s, "b").await;
    for (name, subj) in [("S1", "s1"), ("S2", "s2")] {
        let v = request(&b, &format!("$JS.API.STREAM.CREATE.{name}"), &create_body(name, subj)).await;
        assert!(v["error"].is_null(), "{name} fits: {v}");
    }
    let v = request(&b, "$JS.API.STREAM.CREATE.S3", &create_body("S3", "s3")).await;
    assert_eq!(v["error"]["err_code"], 10027, "{v}");
    assert_eq!(v["type"], "io.nats.jetstream.api.v1.stream_create_response");
    // Re-creating an existing stream is not a new stream.
    let v = request(&b, "$JS.API.STREAM.CREATE.S1", &create_body("S1", "s1")).await;
    assert!(v["error"].is_null(), "idempotent create: {v}");
    // Max bytes beyond the account's storage.
    let v = request(&b, "$JS.API.STREAM.DELETE.S2", "").await;
    assert_eq!(v["success"], true, "{v}");
    let big = create_body("BIG", "big").replace(r#""max_bytes":-1"#, r#""max_bytes":20000000"#);
    let v = request(&b, "$JS.API.STREAM.CREATE.BIG", &big).await;
    assert_eq!(v["error"]["err_code"], 10047, "{v}");
    // One consumer at most.
    let c1 = r#"{"stream_name":"S1","config":{"durable_name":"D1","ack_policy":"explicit"}}"#;
    let v = request(&b, "$JS.API.CONSUMER.CREATE.S1.D1", c1).await;
    assert!(v["error"].is_null(), "first consumer fits: {v}");
    let c2 = r#"{"stream_name":"S1","config":{"durable_name":"D2","ack_policy":"explicit"}}"#;
    let v = request(&b, "$JS.API.CONSUMER.CREATE.S1.D2", c2).await;
    assert_eq!(v["error"]["err_code"], 10026, "{v}");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jet_stream_account_limits_info() {
    let dir = StoreDir::new();
    let s = start(conf(ACCOUNTS, &dir)).await;
    let b = login(&s, "b").await;
    let v = request(&b, "$JS.API.INFO", "").await;
    assert!(v["error"].is_null(), "{v}");
    assert_eq!(v["limits"]["max_memory"], 1_000_000, "{v}"); // "1M" is 10^6 (Go's config lexer)
    assert_eq!(v["limits"]["max_storage"], 10_000_000, "{v}");
    assert_eq!(v["limits"]["max_streams"], 2, "{v}");
    assert_eq!(v["limits"]["max_consumers"], 1, "{v}");
    let a = login(&s, "a").await;
    let v = request(&a, "$JS.API.INFO", "").await;
    assert_eq!(v["limits"]["max_streams"], -1, "{v}");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jet_stream_not_enabled_for_account() {
    let dir = StoreDir::new();
    let s = start(conf(ACCOUNTS, &dir)).await;
    let c = login(&s, "c").await;
    let v = request(&c, "$JS.API.INFO", "").await;
    assert_eq!(v["error"]["err_code"], 10039, "{v}");
    assert_eq!(v["error"]["code"], 503, "{v}");
    assert_eq!(v["type"], "io.nats.jetstream.api.v1.account_info_response");
    let err = jetstream::new(c).query_account().await.expect_err("no JetStream in C");
    assert!(err.to_string().to_lowercase().contains("not enabled"), "{err}");
    s.shutdown(Duration::from_secs(1)).await;
}

mod operator {
    //! Operator mode: an account JWT with JetStream limits enables it.
    use super::*;
    use nkeys::KeyPair;
    use rnatsd_core::jwt::claims::{AccountClaims, OperatorClaims, UserClaims};
    use rnatsd_core::jwt::creds::format_user_config;
    use rnatsd_core::jwt::encode::{encode_account, encode_operator, encode_user, test_key, TestKeyKind};
    use std::time::{SystemTime, UNIX_EPOCH};

    fn now_secs() -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs() as i64
    }

    fn account(op: &KeyPair, n: u8, edit: impl FnOnce(&mut AccountClaims)) -> (KeyPair, String) {
        let kp = test_key(TestKeyKind::Account, n);
        let mut ac = AccountClaims::new(&kp.public_key());
        ac.claims.name = format!("A{n}");
        edit(&mut ac);
        let jwt = encode_account(&mut ac, op, now_secs() - 30).expect("account jwt");
        (kp, jwt)
    }

    fn creds(acc: &KeyPair, n: u8) -> String {
        let kp = test_key(TestKeyKind::User, n);
        let mut uc = UserClaims::new(&kp.public_key());
        uc.claims.name = format!("U{n}");
        let jwt = encode_user(&mut uc, acc, now_secs() - 10).expect("user jwt");
        format_user_config(&jwt, &kp.seed().expect("seed"))
    }

    async fn connect(s: &RunningServer, creds: &str) -> async_nats::Client {
        // A file per call: tests run in parallel, and creds of two users
        // can have the same length.
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("rnatsd-jsacct-creds-{}-{n}", std::process::id()));
        std::fs::write(&dir, creds).expect("creds written");
        let c = async_nats::ConnectOptions::with_credentials_file(&dir).await.expect("creds").connect(url(s)).await;
        let _ = std::fs::remove_file(&dir);
        c.expect("connects")
    }

    #[tokio::test]
    async fn test_jet_stream_jwt_limits() {
        let dir = StoreDir::new();
        let op = test_key(TestKeyKind::Operator, 1);
        let sys = test_key(TestKeyKind::Account, 200);
        let mut oc = OperatorClaims::default();
        oc.claims.subject = op.public_key();
        oc.nats.system_account = sys.public_key();
        let op_jwt = encode_operator(&mut oc, &op, now_secs() - 60).expect("operator jwt");
        let (_, sys_jwt) = account(&op, 200, |_| {});
        let (a, a_jwt) = account(&op, 1, |ac| {
            let j = &mut ac.nats.limits.jetstream;
            j.mem_storage = -1;
            j.disk_storage = 1_000_000;
            j.streams = 1;
            j.consumer = -1;
        });
        let text = format!(
            "operator: \"{op_jwt}\"\nsystem_account: {}\nresolver: MEMORY\nresolver_preload: {{\n  {}: \"{sys_jwt}\"\n  {}: \"{a_jwt}\"\n}}\n",
            sys.public_key(),
            sys.public_key(),
            a.public_key()
        );
        let s = start(conf(&text, &dir)).await;
        let na = connect(&s, &creds(&a, 1)).await;
        let v = request(&na, "$JS.API.INFO", "").await;
        assert!(v["error"].is_null(), "{v}");
        assert_eq!(v["limits"]["max_streams"], 1, "{v}");
        assert_eq!(v["limits"]["max_storage"], 1_000_000, "{v}");
        let v = request(&na, "$JS.API.STREAM.CREATE.S1", &create_body("S1", "s1")).await;
        assert!(v["error"].is_null(), "{v}");
        let v = request(&na, "$JS.API.STREAM.CREATE.S2", &create_body("S2", "s2")).await;
        assert_eq!(v["error"]["err_code"], 10027, "{v}");
        assert!(dir.0.join(format!("jetstream/{}/streams/S1", a.public_key())).is_dir());
        s.shutdown(Duration::from_secs(1)).await;
    }

    /// A JWT account that only the full resolver's directory holds (not
    /// preloaded) gets its JetStream, with its claims' limits, when its
    /// first user connects; its streams survive a restart.
    #[tokio::test]
    async fn test_jet_stream_jwt_account_from_full_resolver() {
        let dir = StoreDir::new();
        let jwt_dir = dir.0.join("accounts");
        std::fs::create_dir_all(&jwt_dir).expect("resolver dir");
        let op = test_key(TestKeyKind::Operator, 1);
        let sys = test_key(TestKeyKind::Account, 200);
        let mut oc = OperatorClaims::default();
        oc.claims.subject = op.public_key();
        oc.nats.system_account = sys.public_key();
        let op_jwt = encode_operator(&mut oc, &op, now_secs() - 60).expect("operator jwt");
        let (_, sys_jwt) = account(&op, 200, |_| {});
        let (a, a_jwt) = account(&op, 2, |ac| {
            let j = &mut ac.nats.limits.jetstream;
            j.mem_storage = -1;
            j.disk_storage = 1_000_000;
            j.streams = 1;
            j.consumer = -1;
        });
        std::fs::write(jwt_dir.join(format!("{}.jwt", a.public_key())), &a_jwt).expect("account jwt stored");
        let text = format!(
            "operator: \"{op_jwt}\"\nsystem_account: {}\nresolver: {{ type: full, dir: \"{}\" }}\nresolver_preload: {{\n  {}: \"{sys_jwt}\"\n}}\n",
            sys.public_key(),
            jwt_dir.display(),
            sys.public_key(),
        );
        let s = start(conf(&text, &dir)).await;
        let na = connect(&s, &creds(&a, 2)).await;
        let v = request(&na, "$JS.API.INFO", "").await;
        assert!(v["error"].is_null(), "{v}");
        assert_eq!(v["limits"]["max_streams"], 1, "{v}");
        let v = request(&na, "$JS.API.STREAM.CREATE.S1", &create_body("S1", "s1")).await;
        assert!(v["error"].is_null(), "{v}");
        let v = request(&na, "$JS.API.STREAM.CREATE.S2", &create_body("S2", "s2")).await;
        assert_eq!(v["error"]["err_code"], 10027, "{v}");
        let v = request(&na, "s1", "persisted").await;
        assert_eq!(v["seq"], 1, "{v}");
        drop(na);
        s.shutdown(Duration::from_secs(1)).await;
        // After a restart the account's stream is back once it reconnects.
        let s = start(conf(&text, &dir)).await;
        let na = connect(&s, &creds(&a, 2)).await;
        let v = request(&na, "$JS.API.STREAM.INFO.S1", "").await;
        assert_eq!(v["state"]["messages"], 1, "{v}");
        s.shutdown(Duration::from_secs(1)).await;
    }
}

/// An account's storage limit also holds on publish (Go's
/// `jsAccount.limitsExceeded`): once account B's file streams hold more
/// than its 10 MB, a publish gets 10023 (insufficient resources); account
/// A, without limits, keeps storing.
#[tokio::test]
async fn test_jet_stream_account_storage_limit_on_publish() {
    let dir = StoreDir::new();
    let s = start(conf(ACCOUNTS, &dir)).await;
    let (a, b) = (login(&s, "a").await, login(&s, "b").await);
    for nc in [&a, &b] {
        let v = request(nc, "$JS.API.STREAM.CREATE.FILL", &create_body("FILL", "fill")).await;
        assert!(v["error"].is_null(), "{v}");
    }
    let payload = "x".repeat(512 * 1024);
    let mut refused_at = None;
    // 10 MB / 512 KiB = about 20 publishes; bounded at 40.
    for i in 0..40 {
        let v = request(&b, "fill", &payload).await;
        if !v["error"].is_null() {
            assert_eq!(v["error"]["err_code"], 10023, "{v}");
            refused_at = Some(i);
            break;
        }
        assert_eq!(v["seq"], i + 1, "{v}");
    }
    let n = refused_at.expect("account B's publishes beyond its storage limit are refused");
    assert!((19..=21).contains(&n), "refused after {n} publishes of 512 KiB against a 10 MB limit");
    // Account A has no limit: the same volume fits.
    for i in 0..(n + 2) {
        let v = request(&a, "fill", &payload).await;
        assert!(v["error"].is_null(), "publish {i} in account A: {v}");
    }
    s.shutdown(Duration::from_secs(1)).await;
}

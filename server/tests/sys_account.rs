//! The system account with the official async-nats client: the
//! `$SYS.REQ.SERVER.*` and `$SYS.REQ.ACCOUNT.*` requests and the events the
//! server publishes (ports of Go's events_test.go where they apply to a
//! single server).

mod common;

use std::time::Duration;

use futures::StreamExt;
use rnatsd_core::options::ServerOptions;
use rnatsd_io_tokio::RunningServer;
use serde_json::Value;

use common::{opts, start, url, Raw};

const CONF: &str = r#"
accounts {
  A { users = [ {user: a, password: a} ] }
  SYS { users = [ {user: sys, password: sys} ] }
}
system_account: SYS
"#;

fn conf(text: &str) -> ServerOptions {
    let env = |_: &str| None;
    let mut include = |p: &str| Err(format!("no include {p}"));
    let map = rnatsd_core::conf::parse(text, "sys.conf", &env, &mut include).expect("config parses");
    let mut o = opts();
    rnatsd_core::conf::apply_config(&map, &mut o).expect("config applies");
    o.host = "127.0.0.1".into();
    o.port = -1;
    o
}

async fn login(s: &RunningServer, user: &str, pass: &str) -> async_nats::Client {
    async_nats::ConnectOptions::with_user_and_password(user.into(), pass.into())
        .name(format!("{user}-client"))
        .connect(url(s))
        .await
        .unwrap_or_else(|e| panic!("{user} connects: {e}"))
}

async fn request(nc: &async_nats::Client, subject: &str, body: &str) -> Value {
    let fut = nc.request(subject.to_string(), body.to_string().into());
    let m = tokio::time::timeout(Duration::from_secs(3), fut)
        .await
        .unwrap_or_else(|_| panic!("{subject}: reply in time"))
        .unwrap_or_else(|e| panic!("{subject}: {e}"));
    serde_json::from_slice(&m.payload).unwrap_or_else(|e| panic!("{subject}: {e}"))
}

async fn next_json(sub: &mut async_nats::Subscriber) -> (String, Value) {
    let m = tokio::time::timeout(Duration::from_secs(3), sub.next()).await.expect("a message in time").expect("open");
    (m.subject.to_string(), serde_json::from_slice(&m.payload).expect("JSON event"))
}

/// Go's `ServerInfo` fields every system message carries.
fn check_server_info(v: &Value, id: &str) {
    assert_eq!(v["id"], id, "{v}");
    for key in ["name", "host", "ver", "time"] {
        assert!(v[key].is_string(), "{key} in {v}");
    }
    assert!(v["jetstream"].is_boolean(), "{v}");
    assert!(v["flags"].is_u64(), "{v}");
    assert!(v["seq"].as_u64().unwrap() > 0, "{v}");
}

async fn server_id(nc: &async_nats::Client) -> String {
    let v = request(nc, "$SYS.REQ.SERVER.PING.IDZ", "").await;
    v["id"].as_str().expect("IDZ id").to_string()
}

/// Go's TestServerEventsPingStatsZ: STATSZ by PING, by id and the legacy
/// `$SYS.REQ.SERVER.PING`, with the filter options.
#[tokio::test]
async fn test_server_events_ping_stats_z() {
    let s = start(conf(CONF)).await;
    let sys = login(&s, "sys", "sys").await;
    let _a = login(&s, "a", "a").await;
    let id = server_id(&sys).await;
    let subjects = ["$SYS.REQ.SERVER.PING".to_string(), "$SYS.REQ.SERVER.PING.STATSZ".into(), format!("$SYS.REQ.SERVER.{id}.STATSZ")];
    for subject in &subjects {
        let v = request(&sys, subject, "").await;
        check_server_info(&v["server"], &id);
        let z = &v["statsz"];
        assert_eq!(z["connections"], 2, "{subject}: {v}");
        assert!(z["total_connections"].as_u64().unwrap() >= 2, "{v}");
        assert_eq!(z["active_accounts"], 2, "{v}");
        assert!(z["sent"]["msgs"].is_u64() && z["received"]["bytes"].is_u64(), "{v}");
        assert!(z["start"].is_string(), "{v}");
    }
    let v = request(&sys, "$SYS.REQ.SERVER.PING.STATSZ", r#"{"host":"127.0.0.1","exact_match":true}"#).await;
    assert_eq!(v["server"]["id"], id.as_str());
}

/// Go's TestServerEventsPingStatsZFilter: a filter naming another server
/// gets no reply.
#[tokio::test]
async fn test_server_events_ping_stats_z_filter() {
    let s = start(conf(CONF)).await;
    let sys = login(&s, "sys", "sys").await;
    let fut = sys.request("$SYS.REQ.SERVER.PING.STATSZ".to_string(), r#"{"server_name":"nope"}"#.into());
    match tokio::time::timeout(Duration::from_millis(800), fut).await {
        Err(_) | Ok(Err(_)) => {}
        Ok(Ok(m)) => panic!("unexpected reply: {:?}", m.payload),
    }
}

/// Go's TestServerEventsPingMonitorz: every `<Z>`, by PING and by id, with
/// the endpoint options in the body.
#[tokio::test]
async fn test_server_events_ping_monitorz() {
    let s = start(conf(CONF)).await;
    let sys = login(&s, "sys", "sys").await;
    let a = login(&s, "a", "a").await;
    let _sub = a.subscribe("foo.bar").await.unwrap();
    a.flush().await.unwrap();
    let id = server_id(&sys).await;
    let cases: &[(&str, &str, &str)] = &[
        ("VARZ", "{}", "server_id"),
        ("CONNZ", r#"{"subscriptions":true}"#, "connections"),
        ("SUBSZ", r#"{"subscriptions":true}"#, "num_subscriptions"),
        ("ACCOUNTZ", "{}", "accounts"),
        ("HEALTHZ", "{}", "status"),
        ("ROUTEZ", "", "routes"),
        ("LEAFZ", "", "leafnodes"),
        ("GATEWAYZ", "", "server_id"),
    ];
    for (z, body, field) in cases {
        for prefix in ["PING".to_string(), id.clone()] {
            let subject = format!("$SYS.REQ.SERVER.{prefix}.{z}");
            let v = request(&sys, &subject, body).await;
            check_server_info(&v["server"], &id);
            assert!(v["error"].is_null(), "{subject}: {v}");
            assert!(!v["data"][field].is_null(), "{subject}: {field} in {v}");
        }
    }
    let v = request(&sys, "$SYS.REQ.SERVER.PING.CONNZ", r#"{"subscriptions":true,"acc":"A"}"#).await;
    let conns = v["data"]["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{v}");
    assert_eq!(conns[0]["subscriptions_list"], serde_json::json!(["foo.bar"]), "{v}");
    let v = request(&sys, "$SYS.REQ.SERVER.PING.ACCOUNTZ", "").await;
    assert_eq!(v["data"]["system_account"], "SYS", "{v}");
    let v = request(&sys, "$SYS.REQ.SERVER.PING.HEALTHZ", "").await;
    assert_eq!(v["data"]["status_code"], 200, "{v}");
    let v = request(&sys, "$SYS.REQ.SERVER.PING.VARZ", "").await;
    assert_eq!(v["data"]["system_account"], "SYS", "{v}");
    let v = request(&sys, "$SYS.REQ.SERVER.PING.CONNZ", "{not json").await;
    assert_eq!(v["error"]["code"], 400, "{v}");
    let v = request(&sys, "$SYS.REQ.SERVER.PING.IDZ", "").await;
    assert_eq!(v["id"], id.as_str());
    assert!(v["name"].is_string() && v["host"].is_string(), "{v}");
}

/// `$SYS.REQ.ACCOUNT.<acc>.<Z>` and `$SYS.REQ.ACCOUNT.PING.STATZ`.
#[tokio::test]
async fn test_system_account_account_requests() {
    let s = start(conf(CONF)).await;
    let sys = login(&s, "sys", "sys").await;
    let a = login(&s, "a", "a").await;
    let _sub = a.subscribe("foo").await.unwrap();
    a.flush().await.unwrap();
    let v = request(&sys, "$SYS.REQ.ACCOUNT.A.CONNZ", "").await;
    let conns = v["data"]["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{v}");
    assert_eq!(conns[0]["name"], "a-client", "{v}");
    let v = request(&sys, "$SYS.REQ.ACCOUNT.A.SUBSZ", r#"{"subscriptions":true}"#).await;
    assert!(v["data"]["subscriptions_list"].as_array().unwrap().iter().any(|s| s["subject"] == "foo"), "{v}");
    let v = request(&sys, "$SYS.REQ.ACCOUNT.A.INFO", "").await;
    assert_eq!(v["data"]["account_name"], "A", "{v}");
    assert_eq!(v["data"]["client_connections"], 1, "{v}");
    let v = request(&sys, "$SYS.REQ.ACCOUNT.A.STATZ", "").await;
    assert_eq!(v["data"]["account_statz"][0]["acc"], "A", "{v}");
    assert_eq!(v["data"]["account_statz"][0]["conns"], 1, "{v}");
    let v = request(&sys, "$SYS.REQ.ACCOUNT.PING.STATZ", r#"{"accounts":["SYS"]}"#).await;
    let stats = v["data"]["account_statz"].as_array().unwrap();
    assert_eq!(stats.len(), 1, "{v}");
    assert_eq!(stats[0]["acc"], "SYS", "{v}");
    let v = request(&sys, "$SYS.REQ.ACCOUNT.NOPE.CONNZ", "").await;
    assert_eq!(v["error"]["code"], 400, "{v}");
}

/// A user outside the system account cannot reach the requests.
#[tokio::test]
async fn test_system_account_requests_not_visible_to_other_accounts() {
    let s = start(conf(CONF)).await;
    let a = login(&s, "a", "a").await;
    let fut = a.request("$SYS.REQ.SERVER.PING.VARZ".to_string(), "".into());
    let r = tokio::time::timeout(Duration::from_secs(2), fut).await.expect("no-responders in time");
    assert!(r.is_err(), "no responder outside the system account");
}

/// Go's TestSystemAccountNewConnection: CONNECT, SERVER.CONNS and
/// DISCONNECT events for a client of another account.
#[tokio::test]
async fn test_system_account_new_connection() {
    let s = start(conf(CONF)).await;
    let sys = login(&s, "sys", "sys").await;
    let id = server_id(&sys).await;
    let mut sub = sys.subscribe("$SYS.ACCOUNT.A.>").await.unwrap();
    sys.flush().await.unwrap();
    let a = login(&s, "a", "a").await;
    let (subject, v) = next_json(&mut sub).await;
    assert_eq!(subject, "$SYS.ACCOUNT.A.CONNECT");
    assert_eq!(v["type"], "io.nats.server.advisory.v1.client_connect", "{v}");
    assert_eq!(v["id"].as_str().unwrap().len(), 22, "{v}");
    assert!(v["timestamp"].is_string(), "{v}");
    check_server_info(&v["server"], &id);
    assert_eq!(v["client"]["acc"], "A", "{v}");
    assert_eq!(v["client"]["user"], "a", "{v}");
    assert_eq!(v["client"]["name"], "a-client", "{v}");
    assert!(v["client"]["id"].as_u64().unwrap() > 0, "{v}");
    assert!(v["client"]["start"].is_string(), "{v}");
    let (subject, v) = next_json(&mut sub).await;
    assert_eq!(subject, "$SYS.ACCOUNT.A.SERVER.CONNS");
    assert_eq!(v["type"], "io.nats.server.advisory.v1.account_connections", "{v}");
    assert_eq!(v["conns"], 1, "{v}");
    a.publish("x", "hello".into()).await.unwrap();
    a.flush().await.unwrap();
    drop(a);
    let (subject, v) = next_json(&mut sub).await;
    assert_eq!(subject, "$SYS.ACCOUNT.A.DISCONNECT");
    assert_eq!(v["type"], "io.nats.server.advisory.v1.client_disconnect", "{v}");
    assert_eq!(v["reason"], "Client Closed", "{v}");
    assert!(v["received"]["msgs"].as_u64().unwrap() >= 1, "{v}");
    assert!(v["sent"]["bytes"].is_u64(), "{v}");
    assert!(v["client"]["stop"].is_string(), "{v}");
    let (subject, v) = next_json(&mut sub).await;
    assert_eq!(subject, "$SYS.ACCOUNT.A.SERVER.CONNS");
    assert_eq!(v["conns"], 0, "{v}");
}

/// Go's TestServerEventsStatsZ: the STATSZ heartbeat starts fast.
#[tokio::test]
async fn test_server_events_stats_z() {
    let s = start(conf(CONF)).await;
    let sys = login(&s, "sys", "sys").await;
    let id = server_id(&sys).await;
    let mut sub = sys.subscribe(format!("$SYS.SERVER.{id}.STATSZ")).await.unwrap();
    sys.flush().await.unwrap();
    let (_, v1) = next_json(&mut sub).await;
    let (_, v2) = next_json(&mut sub).await;
    check_server_info(&v1["server"], &id);
    assert!(v2["server"]["seq"].as_u64() > v1["server"]["seq"].as_u64(), "{v1} {v2}");
    assert_eq!(v2["statsz"]["connections"], 1, "{v2}");
}

/// `$SYS.SERVER.<id>.SHUTDOWN` reaches a system subscriber on shutdown,
/// before its connection closes.
#[tokio::test]
async fn test_system_account_shutdown_event() {
    let s = start(conf(CONF)).await;
    let id = server_id(&login(&s, "sys", "sys").await).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"verbose\":false,\"user\":\"sys\",\"pass\":\"sys\"}\r\nSUB $SYS.SERVER.*.SHUTDOWN 1\r\n").await;
    assert!(raw.flush().await.is_empty());
    s.shutdown(Duration::from_secs(1)).await;
    let line = tokio::time::timeout(Duration::from_secs(3), raw.read_line()).await.expect("in time").expect("a line");
    assert!(line.starts_with(&format!("MSG $SYS.SERVER.{id}.SHUTDOWN 1 ")), "{line}");
    let n: usize = line.rsplit(' ').next().unwrap().trim().parse().unwrap();
    let v: Value = serde_json::from_slice(&raw.read_payload(n).await).unwrap();
    check_server_info(&v, &id);
}

/// The default system account `$SYS`, declared with a user.
#[tokio::test]
async fn test_system_account_default_name() {
    let text = r#"
accounts {
  A { users = [ {user: a, password: a} ] }
  "$SYS" { users = [ {user: admin, password: admin} ] }
}
"#;
    let s = start(conf(text)).await;
    let admin = login(&s, "admin", "admin").await;
    let v = request(&admin, "$SYS.REQ.SERVER.PING.VARZ", "").await;
    assert_eq!(v["data"]["system_account"], "$SYS", "{v}");
    let id = v["server"]["id"].as_str().unwrap().to_string();
    let v = request(&admin, &format!("$SYS.REQ.SERVER.{id}.IDZ"), "").await;
    assert_eq!(v["id"], id.as_str());
}

/// A fresh store directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// JetStream's stream and consumer advisories and the API audit on
/// `$JS.EVENT.ADVISORY.>` (Go's jetstream_events.go).
#[tokio::test]
async fn test_jetstream_advisories_on_stream_and_consumer_actions() {
    let dir = TempDir(std::env::temp_dir().join(format!("rnatsd-sysadv-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    let mut o = opts();
    o.jetstream.enabled = true;
    o.jetstream.store_dir = Some(dir.0.to_string_lossy().into_owned());
    let s = start(o).await;
    let nc = async_nats::connect(url(&s)).await.unwrap();
    let mut adv = nc.subscribe("$JS.EVENT.ADVISORY.>").await.unwrap();
    nc.flush().await.unwrap();
    let js = async_nats::jetstream::new(nc.clone());
    let cfg = async_nats::jetstream::stream::Config { name: "ORDERS".into(), subjects: vec!["orders.>".into()], ..Default::default() };
    let stream = js.create_stream(cfg).await.unwrap();
    let (subject, v) = next_json(&mut adv).await;
    assert_eq!(subject, "$JS.EVENT.ADVISORY.STREAM.CREATED.ORDERS");
    assert_eq!(v["type"], "io.nats.jetstream.advisory.v1.stream_action", "{v}");
    assert_eq!(v["stream"], "ORDERS", "{v}");
    assert_eq!(v["action"], "create", "{v}");
    assert_eq!(v["id"].as_str().unwrap().len(), 22, "{v}");
    let (subject, v) = next_json(&mut adv).await;
    assert_eq!(subject, "$JS.EVENT.ADVISORY.API");
    assert_eq!(v["type"], "io.nats.jetstream.advisory.v1.api_audit", "{v}");
    assert_eq!(v["subject"], "$JS.API.STREAM.CREATE.ORDERS", "{v}");
    assert!(v["request"].as_str().unwrap().contains("ORDERS"), "{v}");
    assert!(v["response"].as_str().unwrap().contains("stream_create_response"), "{v}");
    let pull = async_nats::jetstream::consumer::pull::Config { durable_name: Some("C1".into()), ..Default::default() };
    stream.create_consumer(pull).await.unwrap();
    let (subject, v) = next_json(&mut adv).await;
    assert_eq!(subject, "$JS.EVENT.ADVISORY.CONSUMER.CREATED.ORDERS.C1");
    assert_eq!(v["type"], "io.nats.jetstream.advisory.v1.consumer_action", "{v}");
    assert_eq!((v["stream"].as_str(), v["consumer"].as_str(), v["action"].as_str()), (Some("ORDERS"), Some("C1"), Some("create")));
    assert_eq!(next_json(&mut adv).await.0, "$JS.EVENT.ADVISORY.API");
    js.delete_stream("ORDERS").await.unwrap();
    let (subject, v) = next_json(&mut adv).await;
    assert_eq!(subject, "$JS.EVENT.ADVISORY.STREAM.DELETED.ORDERS");
    assert_eq!(v["action"], "delete", "{v}");
}

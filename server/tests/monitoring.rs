//! The HTTP monitoring endpoints against a running server, over real HTTP:
//! Go's paths, query options, JSON field names and error texts
//! (ports of monitor_test.go where the Go test applies without clustering,
//! accounts or JetStream).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{opts, start, Raw};
use rnatsd_io_tokio::RunningServer;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn monitored(base: &str) -> RunningServer {
    let mut o = opts();
    o.http_host = "127.0.0.1".into();
    o.http_port = -1;
    o.http_base_path = base.into();
    start(o).await
}

/// As Go's test options (`NoSystemAccount`): subscription counts without
/// the system account's internal subscriptions.
async fn monitored_no_sys() -> RunningServer {
    let mut o = opts();
    o.http_host = "127.0.0.1".into();
    o.http_port = -1;
    o.no_system_account = true;
    start(o).await
}

/// GET over HTTP/1.1; (status, body). Bounded by 5 s.
async fn get(addr: SocketAddr, target: &str) -> (u16, String) {
    let fut = async {
        let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
        c.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).await.unwrap();
        out
    };
    let out = tokio::time::timeout(Duration::from_secs(5), fut).await.expect("HTTP reply in time");
    let status = out[9..12].parse().unwrap();
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

async fn json(s: &RunningServer, target: &str) -> Value {
    let (status, body) = get(s.http_addr.unwrap(), target).await;
    assert_eq!(status, 200, "{target}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{target}: {e}: {body}"))
}

/// A client that sent CONNECT (with a name) and `subs` subscriptions.
async fn client(s: &RunningServer, name: &str, subs: &[&str]) -> Raw {
    let (mut raw, _) = Raw::connect(s).await;
    raw.send(&format!("CONNECT {{\"verbose\":false,\"name\":\"{name}\",\"lang\":\"rust\",\"version\":\"1.0\",\"protocol\":1}}\r\n")).await;
    for (i, subj) in subs.iter().enumerate() {
        raw.send(&format!("SUB {subj} {}\r\n", i + 1)).await;
    }
    assert!(raw.flush().await.is_empty());
    raw
}

fn cids(v: &Value) -> Vec<u64> {
    v["connections"].as_array().unwrap().iter().map(|c| c["cid"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn test_monitor_connz() {
    let s = monitored("").await;
    let c = json(&s, "/connz").await;
    assert_eq!(c["num_connections"], 0);
    assert_eq!(c["connections"], serde_json::json!([]));
    assert_eq!(c["limit"], 1024);
    let mut a = client(&s, "alpha", &["foo", "bar"]).await;
    a.send("PUB foo 5\r\nhello\r\n").await;
    assert!(a.flush().await.len() >= 2); // its own two MSG lines (echo on)
    let c = json(&s, "/connz").await;
    assert_eq!(c["num_connections"], 1);
    assert_eq!(c["total"], 1);
    assert_eq!(c["offset"], 0);
    let ci = &c["connections"][0];
    for key in ["cid", "kind", "type", "ip", "port", "start", "last_activity", "uptime", "idle", "rtt", "pending_bytes"] {
        assert!(ci.get(key).is_some(), "conn has {key}: {ci}");
    }
    assert_eq!(ci["kind"], "Client");
    assert_eq!(ci["type"], "nats");
    assert_eq!(ci["ip"], "127.0.0.1");
    assert_eq!(ci["subscriptions"], 2);
    assert_eq!(ci["in_msgs"], 1);
    assert_eq!(ci["in_bytes"], 5);
    assert_eq!(ci["out_msgs"], 1);
    assert_eq!(ci["name"], "alpha");
    assert_eq!(ci["lang"], "rust");
    assert_eq!(ci["version"], "1.0");
    assert!(ci.get("stop").is_none() && ci.get("reason").is_none());
    assert!(ci["start"].as_str().unwrap().ends_with('Z'));
    assert!(ci.get("subscriptions_list").is_none());
}

#[tokio::test]
async fn test_monitor_connz_bad_params() {
    let s = monitored("").await;
    let addr = s.http_addr.unwrap();
    let (st, body) = get(addr, "/connz?auth=xxx").await;
    assert_eq!(st, 400);
    assert_eq!(body, "Error decoding boolean for 'auth': strconv.ParseBool: parsing \"xxx\": invalid syntax");
    assert_eq!(get(addr, "/connz?subs=xxx").await.0, 400);
    assert_eq!(get(addr, "/connz?offset=xxx").await.0, 400);
    assert_eq!(get(addr, "/connz?limit=xxx").await.0, 400);
    assert_eq!(get(addr, "/connz?cid=-1").await.0, 400);
    assert_eq!(get(addr, "/connz?state=xxx").await, (400, "Error decoding state for xxx".to_string()));
}

#[tokio::test]
async fn test_monitor_connz_sort_bad_request() {
    let s = monitored("").await;
    let addr = s.http_addr.unwrap();
    assert_eq!(get(addr, "/connz?sort=foo").await, (400, "invalid sorting option: foo".to_string()));
    let (st, body) = get(addr, "/connz?sort=stop").await;
    assert_eq!((st, body.as_str()), (400, "sort by stop only valid on closed connections"));
    let (st, body) = get(addr, "/connz?sort=reason&state=all").await;
    assert_eq!((st, body.as_str()), (400, "sort by reason only valid on closed connections"));
}

#[tokio::test]
async fn test_monitor_connz_with_subs_and_subs_detail() {
    let s = monitored("").await;
    let _a = client(&s, "a", &["foo.*", "bar"]).await;
    let c = json(&s, "/connz?subs=1").await;
    let mut list: Vec<String> = serde_json::from_value(c["connections"][0]["subscriptions_list"].clone()).unwrap();
    list.sort();
    assert_eq!(list, vec!["bar", "foo.*"]);
    let c = json(&s, "/connz?subs=detail").await;
    let d = &c["connections"][0]["subscriptions_list_detail"];
    assert_eq!(d.as_array().unwrap().len(), 2);
    assert_eq!(d[0]["subject"], "foo.*");
    assert_eq!(d[0]["sid"], "1");
    assert_eq!(d[0]["msgs"], 0);
    assert!(d[0]["cid"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn test_monitor_connz_with_cid_offset_and_limit() {
    let s = monitored("").await;
    let _a = client(&s, "a", &[]).await;
    let _b = client(&s, "b", &[]).await;
    let _c = client(&s, "c", &[]).await;
    let all = json(&s, "/connz").await;
    let ids = cids(&all);
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "default sort is by cid: {ids:?}");
    let one = json(&s, &format!("/connz?cid={}", ids[1])).await;
    assert_eq!(cids(&one), vec![ids[1]]);
    assert_eq!(one["limit"], 1);
    assert_eq!(one["num_connections"], 1);
    assert_eq!(cids(&json(&s, "/connz?cid=999").await), Vec::<u64>::new());
    let page = json(&s, "/connz?offset=1&limit=1").await;
    assert_eq!(cids(&page), vec![ids[1]]);
    assert_eq!((page["total"].as_u64(), page["offset"].as_u64(), page["limit"].as_u64()), (Some(3), Some(1), Some(1)));
    // Go's TestMonitorConnzOffsetOverflow: an offset past the end is empty.
    let past = json(&s, "/connz?offset=10").await;
    assert_eq!(past["num_connections"], 0);
    assert_eq!(past["total"], 3);
}

#[tokio::test]
async fn test_monitor_connz_sorted_by_subs_bytes_and_msgs() {
    let s = monitored("").await;
    let mut a = client(&s, "a", &["x1"]).await;
    let mut b = client(&s, "b", &["x1", "x2", "x3"]).await;
    let _c = client(&s, "c", &["x1", "x2"]).await;
    b.send("PUB nowhere 3\r\nabc\r\nPUB nowhere 3\r\nabc\r\n").await;
    assert!(b.flush().await.is_empty());
    a.send("PUB nowhere 10\r\n0123456789\r\n").await;
    assert!(a.flush().await.is_empty());
    let all = cids(&json(&s, "/connz").await);
    let by_subs = cids(&json(&s, "/connz?sort=subs").await);
    assert_eq!(by_subs, vec![all[1], all[2], all[0]]);
    let by_msgs = cids(&json(&s, "/connz?sort=msgs_from").await);
    assert_eq!(by_msgs[..2], [all[1], all[0]]);
    let by_bytes = cids(&json(&s, "/connz?sort=bytes_from").await);
    assert_eq!(by_bytes[..2], [all[0], all[1]]);
    for key in ["start", "pending", "msgs_to", "bytes_to", "last", "idle", "uptime", "rtt", "cid"] {
        assert_eq!(json(&s, &format!("/connz?sort={key}")).await["num_connections"], 3, "sort={key}");
    }
    // Ascending by uptime: the newest connection first.
    assert_eq!(cids(&json(&s, "/connz?sort=uptime").await)[0], all[2]);
}

#[tokio::test]
async fn test_monitor_connz_with_state_for_closed_conns() {
    let s = monitored("").await;
    let a = client(&s, "gone", &["foo", "bar"]).await;
    let _b = client(&s, "stays", &[]).await;
    let gone_cid = cids(&json(&s, "/connz").await)[0];
    drop(a);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while s.num_connections() != 1 {
        assert!(tokio::time::Instant::now() < deadline, "close seen");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let closed = json(&s, "/connz?state=closed").await;
    assert_eq!(cids(&closed), vec![gone_cid]);
    let cc = &closed["connections"][0];
    assert_eq!(cc["reason"], "Client Closed");
    assert!(cc["stop"].as_str().unwrap().ends_with('Z'));
    assert_eq!(cc["name"], "gone");
    assert_eq!(cc["subscriptions"], 2);
    // Go's TestMonitorClosedConnzWithSubsDetail: the subs it had are kept.
    let det = json(&s, "/connz?state=closed&subs=detail").await;
    assert_eq!(det["connections"][0]["subscriptions_list_detail"].as_array().unwrap().len(), 2);
    assert_eq!(json(&s, "/connz?state=all").await["num_connections"], 2);
    assert_eq!(json(&s, "/connz?state=open").await["num_connections"], 1);
    assert_eq!(cids(&json(&s, &format!("/connz?state=closed&cid={gone_cid}")).await), vec![gone_cid]);
    assert_eq!(json(&s, "/connz?state=closed&sort=stop").await["num_connections"], 1);
    assert_eq!(json(&s, "/connz?state=closed&sort=reason").await["num_connections"], 1);
}

#[tokio::test]
async fn test_monitor_authorized_users() {
    let mut o = opts();
    o.http_host = "127.0.0.1".into();
    o.http_port = -1;
    o.username = Some("derek".into());
    o.password = Some("pass".into());
    let s = start(o).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"verbose\":false,\"user\":\"derek\",\"pass\":\"pass\"}\r\n").await;
    assert!(raw.flush().await.is_empty());
    let c = json(&s, "/connz").await;
    assert!(c["connections"][0].get("authorized_user").is_none());
    let c = json(&s, "/connz?auth=true").await;
    assert_eq!(c["connections"][0]["authorized_user"], "derek");
    assert_eq!(json(&s, "/connz?auth=1&user=derek").await["num_connections"], 1);
    assert_eq!(json(&s, "/connz?auth=1&user=other").await["num_connections"], 0);
}

#[tokio::test]
async fn test_monitor_connz_rtt() {
    let mut o = opts();
    o.http_host = "127.0.0.1".into();
    o.http_port = -1;
    let s = start(o).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"verbose\":false,\"lang\":\"rust\"}\r\n").await;
    // The server's first PING comes within ~2.4 s; answer it.
    let mut got_ping = false;
    while let Some(l) = raw.read_line().await {
        if l == "PING" {
            raw.send("PONG\r\n").await;
            got_ping = true;
            break;
        }
    }
    assert!(got_ping, "server pinged");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let c = json(&s, "/connz").await;
    let rtt = c["connections"][0]["rtt"].as_str().unwrap().to_string();
    assert_ne!(rtt, "0s", "rtt measured");
    assert!(rtt.ends_with('s'), "{rtt}");
}

#[tokio::test]
async fn test_monitor_handle_varz() {
    let s = monitored_no_sys().await;
    let _a = client(&s, "a", &["foo"]).await;
    let v = json(&s, "/varz").await;
    for key in [
        "server_id", "server_name", "version", "proto", "go", "host", "port", "max_connections", "ping_interval",
        "ping_max", "http_host", "http_port", "http_base_path", "https_port", "auth_timeout", "max_control_line",
        "max_payload", "max_pending", "cluster", "gateway", "leaf", "mqtt", "websocket", "jetstream", "tls_timeout",
        "write_deadline", "start", "now", "uptime", "mem", "cores", "gomaxprocs", "cpu", "connections",
        "total_connections", "routes", "remotes", "leafnodes", "in_msgs", "in_bytes", "in_client_msgs",
        "in_client_bytes", "out_msgs", "out_bytes", "out_client_msgs", "out_client_bytes", "slow_consumers",
        "stale_connections", "stalled_clients", "subscriptions", "http_req_stats", "config_load_time",
        "config_digest", "slow_consumer_stats", "stale_connection_stats", "disk_io_wait_stats",
    ] {
        assert!(v.get(key).is_some(), "varz has {key}");
    }
    assert_eq!(v["connections"], 1);
    assert_eq!(v["subscriptions"], 1);
    assert_eq!(v["port"], s.client_addr.port());
    assert_eq!(v["ping_interval"], 120_000_000_000u64);
    assert!(v["mem"].as_i64().unwrap() > 0);
    let v = json(&s, "/varz").await;
    assert_eq!(v["http_req_stats"]["/varz"], 2);
}

#[tokio::test]
async fn test_monitor_http_base_path() {
    let s = monitored("/nats").await;
    let addr = s.http_addr.unwrap();
    let (st, body) = get(addr, "/nats/varz").await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(get(addr, "/varz").await.0, 404);
    assert_eq!(get(addr, "/nats/connz").await.0, 200);
    let (st, root) = get(addr, "/nats").await;
    assert_eq!(st, 200);
    assert!(root.contains("/nats/varz"), "{root}");
}

#[tokio::test]
async fn test_monitor_handle_root() {
    let s = monitored("").await;
    let (st, body) = get(s.http_addr.unwrap(), "/").await;
    assert_eq!(st, 200);
    for p in ["/varz", "/connz", "/routez", "/gatewayz", "/leafz", "/subsz", "/accountz", "/accstatz", "/jsz", "/healthz"] {
        assert!(body.contains(p), "index links {p}");
    }
    assert_eq!(get(s.http_addr.unwrap(), "/nope").await.0, 404);
}

#[tokio::test]
async fn test_monitor_subsz_details_and_test_pub_subject() {
    let s = monitored_no_sys().await;
    let _a = client(&s, "a", &["foo.*", "foo.bar", "baz"]).await;
    let sz = json(&s, "/subsz").await;
    assert_eq!(sz["num_subscriptions"], 3);
    for key in ["num_cache", "num_inserts", "num_removes", "num_matches", "cache_hit_rate", "max_fanout", "avg_fanout"] {
        assert!(sz.get(key).is_some(), "subsz has {key}");
    }
    assert!(sz.get("subscriptions_list").is_none());
    let sz = json(&s, "/subsz?subs=1").await;
    assert_eq!(sz["total"], 3);
    assert_eq!(sz["subscriptions_list"].as_array().unwrap().len(), 3);
    assert_eq!(sz["subscriptions_list"][0]["account"], "$G");
    let sz = json(&s, "/subsz?subs=1&test=foo.bar").await;
    let mut subjects: Vec<String> = sz["subscriptions_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["subject"].as_str().unwrap().to_string())
        .collect();
    subjects.sort();
    assert_eq!(subjects, vec!["foo.*", "foo.bar"]);
    let page = json(&s, "/subsz?subs=1&offset=1&limit=1").await;
    assert_eq!(page["subscriptions_list"].as_array().unwrap().len(), 1);
    assert_eq!(page["total"], 3);
    let (st, body) = get(s.http_addr.unwrap(), "/subsz?subs=1&test=foo.*").await;
    assert_eq!((st, body.as_str()), (400, "invalid test subject, must be valid publish subject: foo.*"));
    assert_eq!(json(&s, "/subscriptionsz").await["num_subscriptions"], 3);
}

#[tokio::test]
async fn routez_gatewayz_leafz_are_empty_without_clustering() {
    let s = monitored("").await;
    let r = json(&s, "/routez").await;
    assert_eq!(r["num_routes"], 0);
    assert_eq!(r["routes"], serde_json::json!([]));
    assert!(r["server_name"].is_string());
    let g = json(&s, "/gatewayz").await;
    assert_eq!(g["outbound_gateways"], serde_json::json!({}));
    assert_eq!(g["inbound_gateways"], serde_json::json!({}));
    let l = json(&s, "/leafz").await;
    assert_eq!(l["leafnodes"], 0);
    assert_eq!(l["leafs"], Value::Null, "Go's nil slice");
    assert_eq!(get(s.http_addr.unwrap(), "/routez?subs=xxx").await.0, 400);
}

#[tokio::test]
async fn test_monitor_accountz_and_account_statz() {
    let s = monitored("").await;
    let a = json(&s, "/accountz").await;
    // As Go: the system account `$SYS` always exists next to `$G`.
    assert_eq!(a["accounts"], serde_json::json!(["$G", "$SYS"]));
    let st = json(&s, "/accstatz").await;
    assert_eq!(st["account_statz"], serde_json::json!([]), "no connections: nothing unless unused");
    let st = json(&s, "/accstatz?unused=1").await;
    assert_eq!(st["account_statz"][0]["acc"], "$G");
    let _c = client(&s, "a", &["foo"]).await;
    let d = json(&s, "/accountz?acc=%24G").await;
    assert_eq!(d["account_detail"]["account_name"], "$G");
    assert_eq!(d["account_detail"]["client_connections"], 1);
    assert_eq!(d["account_detail"]["subscriptions"], 1);
    let st = json(&s, "/accstatz").await;
    assert_eq!(st["account_statz"][0]["conns"], 1);
    assert_eq!(st["account_statz"][0]["num_subscriptions"], 1);
    assert!(st["account_statz"][0]["sent"]["msgs"].is_u64());
    let (code, body) = get(s.http_addr.unwrap(), "/accountz?acc=nope").await;
    assert_eq!((code, body.as_str()), (400, "Account nope does not exist"));
}

#[tokio::test]
async fn test_monitor_healthz_status_ok() {
    let s = monitored("").await;
    let addr = s.http_addr.unwrap();
    for q in ["/healthz", "/healthz?js-enabled-only=true", "/healthz?js-server-only=true", "/healthz?js-enabled=1"] {
        assert_eq!(get(addr, q).await, (200, "{\"status\":\"ok\"}".to_string()), "{q}");
    }
    let (st, body) = get(addr, "/healthz?stream=foo").await;
    assert_eq!(st, 400);
    assert_eq!(body, r#"{"status":"error","error":"\"account\" must not be empty when checking stream health"}"#);
    let (st, body) = get(addr, "/healthz?account=a&consumer=c&details=true").await;
    assert_eq!(st, 400);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["errors"][0]["type"], "BAD_REQUEST");
    assert_eq!(get(addr, "/healthz?js-enabled-only=maybe").await.0, 400);
}

#[tokio::test]
async fn test_monitor_jsz_non_jsz_server() {
    let s = monitored("").await;
    let j = json(&s, "/jsz").await;
    assert_eq!(j["disabled"], true);
    assert_eq!(j["streams"], 0);
    assert!(j["server_id"].is_string());
    let (st, body) = get(s.http_addr.unwrap(), "/jsz?leader-only=true").await;
    assert_eq!((st, body.as_str()), (400, "filtered response: not leader"));
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let s = monitored("").await;
    let _a = client(&s, "a", &["foo"]).await;
    let (st, body) = get(s.http_addr.unwrap(), "/metrics").await;
    assert_eq!(st, 200);
    assert!(body.contains("# TYPE gnatsd_varz_in_msgs counter\n"), "{body}");
    assert!(body.contains("# TYPE gnatsd_varz_connections gauge\n"));
    assert!(body.contains("# HELP gnatsd_varz_subscriptions "));
    let line = body.lines().find(|l| l.starts_with("gnatsd_varz_connections{")).unwrap();
    assert!(line.ends_with(" 1"), "{line}");
    for l in body.lines().filter(|l| !l.starts_with('#')) {
        let (name, value) = l.rsplit_once(' ').unwrap();
        assert!(name.contains("server_id=\""), "{l}");
        assert!(value.parse::<f64>().is_ok(), "{l}");
    }
}

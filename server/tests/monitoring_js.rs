//! Monitoring with JetStream running (`/jsz` and its options, `/healthz`
//! and its JetStream options, `/varz`'s `jetstream`), and the HTTPS
//! monitoring port (`https_port` with the `tls {}` certificate). Ports of
//! monitor_test.go where they apply to a standalone server.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use common::{opts, start, url};
use rnatsd_core::options::ServerOptions;
use rnatsd_io_tokio::RunningServer;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("rnatsd-monjs-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn js_opts(dir: &TempDir) -> ServerOptions {
    let mut o = opts();
    o.http_host = "127.0.0.1".into();
    o.http_port = -1;
    o.jetstream.enabled = true;
    o.jetstream.store_dir = Some(dir.0.to_string_lossy().into_owned());
    o
}

/// (status, body) of a monitoring request, answered without HTTP.
fn get(s: &RunningServer, target: &str) -> (u16, Value) {
    let r = s.monitor_request(target);
    let v = serde_json::from_str(&r.body).unwrap_or(Value::String(r.body.clone()));
    (r.status, v)
}

fn json(s: &RunningServer, target: &str) -> Value {
    let (status, v) = get(s, target);
    assert_eq!(status, 200, "{target}: {v}");
    v
}

/// A stream `ORDERS` with `msgs` messages and durable consumers `C1`, `C2`.
async fn stream_with_consumers(s: &RunningServer, msgs: usize) -> async_nats::Client {
    let nc = async_nats::connect(url(s)).await.unwrap();
    let js = jetstream::new(nc.clone());
    let stream = js
        .create_stream(jetstream::stream::Config {
            name: "ORDERS".into(),
            subjects: vec!["orders.>".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    for i in 0..msgs {
        js.publish(format!("orders.{i}"), "x".into()).await.unwrap().await.unwrap();
    }
    for name in ["C1", "C2"] {
        stream
            .create_consumer(jetstream::consumer::pull::Config { durable_name: Some(name.into()), ..Default::default() })
            .await
            .unwrap();
    }
    nc
}

/// Go's TestMonitorJsz: totals always; `accounts`, `streams`,
/// `consumers` and `config` add detail level by level; `acc` picks one
/// account; `leader-only` answers on a standalone server (its own meta
/// leader); `offset`/`limit` page the accounts.
#[tokio::test]
async fn test_monitor_jsz() {
    let dir = TempDir::new("jsz");
    let s = start(js_opts(&dir)).await;
    let _nc = stream_with_consumers(&s, 3).await;

    let z = json(&s, "/jsz");
    assert!(z.get("disabled").is_none(), "{z}");
    assert_eq!(z["streams"], 1);
    assert_eq!(z["consumers"], 2);
    assert_eq!(z["messages"], 3);
    assert!(z["bytes"].as_u64().unwrap() > 0);
    assert_eq!(z["accounts"], 1);
    assert!(z["api"]["total"].as_u64().unwrap() >= 3, "{z}");
    assert!(z["config"]["store_dir"].as_str().unwrap().ends_with("/jetstream"), "{z}");
    assert!(z.get("account_details").is_none(), "{z}");

    let z = json(&s, "/jsz?accounts=1");
    let acc = &z["account_details"][0];
    assert_eq!(acc["name"], "$G");
    assert_eq!(acc["id"], "$G");
    assert!(acc.get("stream_detail").is_none(), "{acc}");

    let z = json(&s, "/jsz?accounts=1&streams=1");
    let sd = &z["account_details"][0]["stream_detail"][0];
    assert_eq!(sd["name"], "ORDERS");
    assert_eq!(sd["state"]["messages"], 3);
    assert!(sd.get("config").is_none() && sd.get("consumer_detail").is_none(), "{sd}");

    let z = json(&s, "/jsz?accounts=1&streams=1&consumers=1");
    let cd = &z["account_details"][0]["stream_detail"][0]["consumer_detail"];
    assert_eq!(cd.as_array().unwrap().len(), 2);
    assert_eq!(cd[0]["name"], "C1");
    assert_eq!(cd[0]["num_pending"], 3);
    assert!(cd[0].get("config").is_none(), "{cd}");

    let z = json(&s, "/jsz?accounts=1&streams=1&consumers=1&config=1");
    let sd = &z["account_details"][0]["stream_detail"][0];
    assert_eq!(sd["config"]["subjects"][0], "orders.>");
    assert_eq!(sd["consumer_detail"][1]["config"]["durable_name"], "C2");

    let z = json(&s, "/jsz?acc=$G&streams=1");
    assert_eq!(z["account_details"][0]["stream_detail"][0]["name"], "ORDERS");
    let z = json(&s, "/jsz?acc=NOPE");
    assert!(z.get("account_details").is_none(), "{z}");
    let z = json(&s, "/jsz?accounts=1&offset=1");
    assert!(z.get("account_details").is_none(), "{z}");
    let z = json(&s, "/jsz?leader-only=1");
    assert_eq!(z["streams"], 1);
    let (status, body) = get(&s, "/jsz?streams=maybe");
    assert_eq!(status, 400, "{body}");
}

/// Go's TestMonitorJszNonJszServer's counterpart: without JetStream,
/// `/jsz` says disabled and `leader-only` is refused.
#[tokio::test]
async fn test_monitor_jsz_disabled_and_leader_only() {
    let mut o = opts();
    o.http_port = -1;
    o.http_host = "127.0.0.1".into();
    let s = start(o).await;
    let z = json(&s, "/jsz?accounts=1&streams=1");
    assert_eq!(z["disabled"], true);
    assert!(z.get("account_details").is_none());
    let (status, body) = get(&s, "/jsz?leader-only=true");
    assert_eq!(status, 400);
    assert_eq!(body, Value::String("filtered response: not leader".into()));
    let h = json(&s, "/healthz?js-enabled-only=true");
    assert_eq!(h["status"], "ok", "JetStream not configured: healthy");
}

/// Go's TestHealthzStatusOK / TestServerHealthz with JetStream running:
/// plain, `js-enabled-only` and `js-server-only` are all healthy, and
/// bad argument combinations are refused with Go's texts.
#[tokio::test]
async fn test_monitor_healthz_jetstream() {
    let dir = TempDir::new("healthz");
    let s = start(js_opts(&dir)).await;
    let _nc = stream_with_consumers(&s, 1).await;
    for target in ["/healthz", "/healthz?js-enabled-only=1", "/healthz?js-server-only=true", "/healthz?js-enabled=1"] {
        let h = json(&s, target);
        assert_eq!(h, serde_json::json!({"status": "ok"}), "{target}");
    }
    let (status, h) = get(&s, "/healthz?stream=ORDERS");
    assert_eq!(status, 400);
    assert_eq!(h["error"], "\"account\" must not be empty when checking stream health");
    let (status, h) = get(&s, "/healthz?js-enabled-only=maybe");
    assert_eq!(status, 400, "{h}");
}

/// `/varz`'s `jetstream` object (Go's `JetStreamVarz`): config and stats
/// when JetStream runs, empty when it does not.
#[tokio::test]
async fn test_monitor_varz_jetstream() {
    let dir = TempDir::new("varz");
    let mut o = js_opts(&dir);
    o.jetstream.max_memory_store = 64 << 20;
    let s = start(o).await;
    let _nc = stream_with_consumers(&s, 2).await;
    let v = json(&s, "/varz");
    assert_eq!(v["jetstream"]["config"]["max_memory"], 64 << 20);
    assert_eq!(v["jetstream"]["stats"]["accounts"], 1);
    assert!(v["jetstream"]["stats"]["storage"].as_u64().unwrap() > 0, "{v}");
    let mut plain = opts();
    plain.http_port = -1;
    plain.http_host = "127.0.0.1".into();
    let s2 = start(plain).await;
    assert_eq!(json(&s2, "/varz")["jetstream"], serde_json::json!({}));
}

/// A self-signed certificate for 127.0.0.1, as PEM files in `dir`.
fn self_signed(dir: &TempDir) -> (String, String, Vec<u8>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut p = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    p.subject_alt_names.push(rcgen::SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let cert = p.self_signed(&key).unwrap();
    let (c, k) = (dir.0.join("cert.pem"), dir.0.join("key.pem"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (c.to_string_lossy().into_owned(), k.to_string_lossy().into_owned(), cert.der().to_vec())
}

/// GET over HTTPS trusting `ca_der`; (status line, body).
async fn https_get(addr: std::net::SocketAddr, ca_der: &[u8], target: &str) -> (String, String) {
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(ca_der.to_vec())).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let fut = async {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        tls.write_all(format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = tls.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    };
    let out = tokio::time::timeout(Duration::from_secs(5), fut).await.expect("HTTPS reply in time");
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (head.lines().next().unwrap_or("").to_string(), body.to_string())
}

/// HTTPS monitoring with the server's TLS certificate (Go's
/// `startMonitoring(secure)`), under `http_base_path`.
#[tokio::test]
async fn test_monitor_https() {
    let dir = TempDir::new("https");
    let (cert, key, der) = self_signed(&dir);
    let mut o = opts();
    o.http_host = "127.0.0.1".into();
    o.https_port = -1;
    o.http_base_path = "/nats".into();
    o.tls = true;
    o.tls_cert = Some(cert);
    o.tls_key = Some(key);
    let s = start(o).await;
    let addr = s.http_addr.expect("https monitor bound");
    let (status, body) = https_get(addr, &der, "/nats/varz").await;
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["https_port"], addr.port());
    assert_eq!(v["http_port"], 0);
    assert_eq!(v["http_base_path"], "/nats");
    let (status, _) = https_get(addr, &der, "/varz").await;
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    // Plain HTTP on the HTTPS port gets no answer.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain.write_all(b"GET /nats/varz HTTP/1.1\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut buf)).await;
    assert!(!String::from_utf8_lossy(&buf).contains("server_id"));

}

/// Go's TestMonitorNoTLSConfig: HTTPS monitoring needs the certificate.
#[tokio::test]
async fn test_monitor_no_tls_config() {
    let mut no_tls = opts();
    no_tls.https_port = -1;
    let e = rnatsd_io_tokio::start(no_tls, 1).await.err().expect("refused");
    assert_eq!(e, "TLS cert and key required for HTTPS");
}

/// Go's TestMonitorBothPortsConfigured: HTTP and HTTPS are exclusive.
#[tokio::test]
async fn test_monitor_both_ports_configured() {
    let mut both = opts();
    both.http_port = 8222;
    both.https_port = 8223;
    let e = rnatsd_io_tokio::start(both, 1).await.err().expect("refused");
    assert_eq!(e, "can't specify both HTTP (8222) and HTTPs (8223) ports");
}

/// Go's TestMonitorVarzJSApiLevel: `/varz` reports the JetStream API
/// level the server implements.
#[tokio::test]
async fn test_monitor_varz_js_api_level() {
    let dir = TempDir::new("apilevel");
    let s = start(js_opts(&dir)).await;
    let v = json(&s, "/varz");
    let level = v["jetstream"]["stats"]["api"]["level"].as_i64().expect("api level");
    assert_eq!(level, rnatsd_core::jetstream::config::JS_API_LEVEL);
    assert_eq!(json(&s, "/jsz")["api"]["level"], level);
}

/// Go's standalone `/healthz` check that every stream on disk was
/// recovered: a stream directory whose metadata is unreadable makes the
/// server unavailable (503) with Go's text, unless only JetStream itself
/// is asked about (`js-enabled-only`, `js-server-only`).
#[tokio::test]
async fn test_monitor_healthz_unrecovered_stream() {
    let dir = TempDir::new("unrecovered");
    let broken = dir.0.join("jetstream").join("$G").join("streams").join("BROKEN");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("meta.inf"), b"not json").unwrap();
    std::fs::write(broken.join("meta.sum"), b"0000").unwrap();
    let s = start(js_opts(&dir)).await;
    let (status, h) = get(&s, "/healthz");
    assert_eq!(status, 503, "{h}");
    assert_eq!(h["status"], "unavailable");
    assert_eq!(h["error"], "JetStream stream '$G > BROKEN' could not be recovered");
    let (status, h) = get(&s, "/healthz?details=1");
    assert_eq!(status, 503);
    assert_eq!(h["errors"][0]["type"], "JETSTREAM");
    for ok in ["/healthz?js-enabled-only=1", "/healthz?js-server-only=1"] {
        assert_eq!(get(&s, ok), (200, serde_json::json!({"status": "ok"})), "{ok}");
    }
}

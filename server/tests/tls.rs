//! TLS and NKEY authentication against an in-process rnatsd, with
//! certificates generated per test run (rcgen) and the official Rust
//! client (async-nats). Ports of Go's tls_test.go / nkey_test.go cases.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use common::{info_json, opts, start, Raw};
use futures::StreamExt;
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, SanType,
};
use rnatsd_core::options::{Permissions, ServerOptions, SubjectPermission, User};
use rnatsd_io_tokio::RunningServer;

/// A CA, a server certificate for 127.0.0.1, and client certificates,
/// written as PEM files into a fresh directory.
struct Pki {
    dir: PathBuf,
    ca: Certificate,
    ca_key: KeyPair,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("rnatsd-tls-{}-{}", name, std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, "rnatsd test CA");
        let ca = p.self_signed(&ca_key).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        let pki = Pki { dir, ca, ca_key };
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        p.subject_alt_names.push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, "localhost");
        let cert = p.signed_by(&key, &pki.ca, &pki.ca_key).unwrap();
        pki.write("server", &cert, &key);
        pki
    }

    fn write(&self, name: &str, cert: &Certificate, key: &KeyPair) {
        std::fs::write(self.dir.join(format!("{name}.pem")), cert.pem()).unwrap();
        std::fs::write(self.dir.join(format!("{name}-key.pem")), key.serialize_pem()).unwrap();
    }

    /// A client certificate with the given subject and SANs; returns the
    /// hex SHA-256 of its SubjectPublicKeyInfo.
    fn client(&self, name: &str, dn: &[(DnType, &str)], emails: &[&str]) -> String {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name = DistinguishedName::new();
        for (t, v) in dn {
            p.distinguished_name.push(t.clone(), *v);
        }
        for e in emails {
            p.subject_alt_names.push(SanType::Rfc822Name((*e).try_into().unwrap()));
        }
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = p.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        self.write(name, &cert, &key);
        let digest = ring::digest::digest(&ring::digest::SHA256, &key.public_key_der());
        digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    fn p(&self, file: &str) -> String {
        self.path(file).to_string_lossy().into_owned()
    }

    fn server_opts(&self) -> ServerOptions {
        ServerOptions {
            tls: true,
            tls_cert: Some(self.p("server.pem")),
            tls_key: Some(self.p("server-key.pem")),
            ..opts()
        }
    }

    fn verify_opts(&self) -> ServerOptions {
        ServerOptions { tls_verify: true, tls_ca_cert: Some(self.p("ca.pem")), ..self.server_opts() }
    }

    /// async-nats options trusting our CA, with an optional client cert.
    fn client_opts(&self, cert: Option<&str>) -> async_nats::ConnectOptions {
        let mut o = async_nats::ConnectOptions::new()
            .require_tls(true)
            .add_root_certificates(self.path("ca.pem"))
            .connection_timeout(Duration::from_secs(3));
        if let Some(c) = cert {
            o = o.add_client_certificate(self.path(&format!("{c}.pem")), self.path(&format!("{c}-key.pem")));
        }
        o
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tls_url(s: &RunningServer) -> String {
    format!("tls://127.0.0.1:{}", s.client_addr.port())
}

/// Publishes and checks the message comes back on a subscription.
async fn round_trip(nc: &async_nats::Client, subject: &str) -> bool {
    let mut sub = nc.subscribe(subject.to_string()).await.unwrap();
    nc.publish(subject.to_string(), "hello".into()).await.unwrap();
    nc.flush().await.unwrap();
    matches!(tokio::time::timeout(Duration::from_secs(2), sub.next()).await, Ok(Some(m)) if m.payload.as_ref() == b"hello")
}

/// Go: TestTLSClientCertificate's simple path (server/tls_test.go) —
/// INFO advertises TLS, a TLS client connects and exchanges messages.
#[tokio::test]
async fn test_tls_connection() {
    let pki = Pki::new("basic");
    let s = start(pki.server_opts()).await;
    let (_raw, info) = Raw::connect(&s).await;
    let info = info_json(&info);
    assert_eq!(info["tls_required"], true);
    assert!(info.get("tls_verify").is_none() && info.get("tls_available").is_none(), "{info}");
    let nc = pki.client_opts(None).connect(tls_url(&s)).await.expect("TLS connect");
    assert!(round_trip(&nc, "tls.basic").await);
    s.shutdown(Duration::from_secs(1)).await;
}

/// A plaintext client against a TLS-required server gets Go's
/// `Secure Connection - TLS Required` and is closed.
#[tokio::test]
async fn test_tls_required_rejects_plaintext_client() {
    let pki = Pki::new("plain");
    let s = start(pki.server_opts()).await;
    let (mut raw, _) = Raw::connect(&s).await;
    raw.send("CONNECT {\"verbose\":false}\r\nPING\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Secure Connection - TLS Required'"));
    assert!(raw.is_closed().await);
    // The official client refuses on its own, seeing tls_required.
    let plain = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(2))
        .connect(common::url(&s))
        .await;
    assert!(plain.is_err() || !round_trip(&plain.unwrap(), "x").await);
    s.shutdown(Duration::from_secs(1)).await;
}

/// Go's `tlsTimeout`: a client that never starts TLS is told so and cut.
#[tokio::test]
async fn test_tls_handshake_timeout() {
    let pki = Pki::new("timeout");
    let s = start(ServerOptions { tls_timeout: Duration::from_millis(300), ..pki.server_opts() }).await;
    let (mut raw, _) = Raw::connect(&s).await;
    let t0 = std::time::Instant::now();
    assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Secure Connection - TLS Required'"));
    assert!(raw.is_closed().await);
    assert!(t0.elapsed() < Duration::from_secs(3));
    s.shutdown(Duration::from_secs(1)).await;
}

/// Go: TestTLSVerifyClientCertificate — `verify` requires a client
/// certificate signed by the CA.
#[tokio::test]
async fn test_tls_verify_client_certificate() {
    let pki = Pki::new("verify");
    pki.client("alice", &[(DnType::CommonName, "alice")], &[]);
    let s = start(pki.verify_opts()).await;
    let (_raw, info) = Raw::connect(&s).await;
    assert_eq!(info_json(&info)["tls_verify"], true);
    let no_cert = pki.client_opts(None).connect(tls_url(&s)).await;
    let refused = match no_cert {
        Err(_) => true,
        Ok(nc) => !round_trip(&nc, "v.x").await,
    };
    assert!(refused, "a client without a certificate must be refused");
    let nc = pki.client_opts(Some("alice")).connect(tls_url(&s)).await.expect("client with cert connects");
    assert!(round_trip(&nc, "v.ok").await);
    s.shutdown(Duration::from_secs(1)).await;
}

fn user(name: &str, publish_allow: &[&str]) -> User {
    User {
        username: name.to_string(),
        password: String::new(),
        permissions: Some(Permissions {
            publish: Some(SubjectPermission {
                allow: publish_allow.iter().map(|s| s.to_string()).collect(),
                deny: vec![],
            }),
            subscribe: None,
            response: None,
        }),
    }
}

/// Go: TestTLSClientAuthWithRDNSequence / TestTLSClientSVIDAuth family —
/// `verify_and_map` takes the user from the certificate subject (Go's RDN
/// string) or an email SAN, and the user's permissions apply.
#[tokio::test]
async fn test_tls_verify_and_map_users() {
    let pki = Pki::new("map");
    pki.client(
        "alice",
        &[(DnType::CommonName, "alice"), (DnType::OrganizationalUnitName, "NATS"), (DnType::OrganizationName, "Synadia")],
        &[],
    );
    pki.client("bob", &[(DnType::CommonName, "bob")], &["bob@example.com"]);
    pki.client("eve", &[(DnType::CommonName, "eve")], &[]);
    let o = ServerOptions {
        tls_map: true,
        users: vec![user("CN=alice,OU=NATS,O=Synadia", &["alice.>"]), user("bob@example.com", &["bob.>"])],
        ..pki.verify_opts()
    };
    let s = start(o).await;

    let alice = pki.client_opts(Some("alice")).connect(tls_url(&s)).await.expect("alice maps to a user");
    assert!(round_trip(&alice, "alice.x").await, "alice may publish on alice.>");
    assert!(!round_trip(&alice, "bob.x").await, "alice's publish to bob.x is refused");

    let bob = pki.client_opts(Some("bob")).connect(tls_url(&s)).await.expect("bob maps by email");
    assert!(round_trip(&bob, "bob.y").await);
    assert!(!round_trip(&bob, "alice.y").await);

    let eve = pki.client_opts(Some("eve")).connect(tls_url(&s)).await;
    let refused = match eve {
        Err(_) => true,
        Ok(nc) => !round_trip(&nc, "eve.x").await,
    };
    assert!(refused, "an unmapped certificate is an authorization violation");
    s.shutdown(Duration::from_secs(1)).await;
}

/// Go: TestTLSHandshakeFirst — no INFO before TLS; a tls_first client
/// connects.
#[tokio::test]
async fn test_tls_handshake_first() {
    let pki = Pki::new("first");
    let s = start(ServerOptions { tls_handshake_first: true, ..pki.server_opts() }).await;
    // Nothing arrives in plaintext: the server waits for a ClientHello.
    let mut stream = tokio::net::TcpStream::connect(s.client_addr).await.unwrap();
    let mut buf = [0u8; 16];
    let r = tokio::time::timeout(Duration::from_millis(300), tokio::io::AsyncReadExt::read(&mut stream, &mut buf)).await;
    assert!(r.is_err(), "no INFO before the TLS handshake");
    drop(stream);
    let nc = pki.client_opts(None).tls_first().connect(tls_url(&s)).await.expect("tls_first connect");
    assert!(round_trip(&nc, "first.x").await);
    // A client expecting INFO first never gets one: it fails to connect.
    let late = pki.client_opts(None).connection_timeout(Duration::from_millis(800)).connect(tls_url(&s)).await;
    assert!(late.is_err());
    s.shutdown(Duration::from_secs(1)).await;
}

/// Go's `allow_non_tls`: INFO offers TLS (tls_available); plaintext and
/// TLS clients both connect.
#[tokio::test]
async fn test_tls_allow_non_tls() {
    let pki = Pki::new("mixed");
    let s = start(ServerOptions { allow_non_tls: true, ..pki.server_opts() }).await;
    let (mut raw, info) = Raw::connect(&s).await;
    let info = info_json(&info);
    assert_eq!(info["tls_available"], true);
    assert!(info.get("tls_required").is_none(), "{info}");
    raw.send("CONNECT {\"verbose\":false}\r\n").await;
    assert!(raw.flush().await.is_empty());
    let tls = pki.client_opts(None).connect(tls_url(&s)).await.expect("TLS client");
    assert!(round_trip(&tls, "mixed.tls").await);
    s.shutdown(Duration::from_secs(1)).await;
}

/// Go: TestTLSPinnedCertsClient — only the pinned client key is accepted.
#[tokio::test]
async fn test_tls_pinned_certs_client() {
    let pki = Pki::new("pinned");
    let alice = pki.client("alice", &[(DnType::CommonName, "alice")], &[]);
    pki.client("bob", &[(DnType::CommonName, "bob")], &[]);
    let s = start(ServerOptions { tls_pinned_certs: vec![alice], ..pki.verify_opts() }).await;
    let nc = pki.client_opts(Some("alice")).connect(tls_url(&s)).await.expect("pinned cert connects");
    assert!(round_trip(&nc, "pin.x").await);
    let bob = pki.client_opts(Some("bob")).connect(tls_url(&s)).await;
    assert!(bob.is_err() || !round_trip(&bob.unwrap(), "pin.y").await);
    s.shutdown(Duration::from_secs(1)).await;
}

/// Go nkey_test.go's user seed.
const SEED: &str = "SUAKYRHVIOREXV7EUZTBHUHL7NUMHPMAS7QMDU3GTIUWEI5LDNOXD43IZY";

/// nats-py over TLS (server/tests/py/tls_client.py): with the CA only,
/// with a client certificate against `verify` (and refused without one),
/// and TLS-first (`handshake_first`).
#[tokio::test]
async fn test_nats_py_tls_client_cert_and_tls_first() {
    if !common::have_nats_py() {
        return;
    }
    let pki = Pki::new("py");
    pki.client("pyclient", &[(DnType::CommonName, "pyclient")], &[]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/tls_client.py");
    let cases = [
        ("plain-tls", pki.server_opts(), Vec::new()),
        ("client-cert", pki.verify_opts(), vec![pki.p("pyclient.pem"), pki.p("pyclient-key.pem")]),
        ("tls-first", ServerOptions { tls_handshake_first: true, ..pki.server_opts() }, Vec::new()),
    ];
    for (mode, opts, extra) in cases {
        let s = start(opts).await;
        let out = tokio::process::Command::new("python3")
            .arg(script)
            .arg(mode)
            .arg(tls_url(&s))
            .arg(pki.p("ca.pem"))
            .args(&extra)
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("all checks passed"),
            "nats-py {mode} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        s.shutdown(Duration::from_secs(1)).await;
    }
}

fn nkey_opts() -> (ServerOptions, nkeys::KeyPair) {
    let kp = nkeys::KeyPair::from_seed(SEED).unwrap();
    let o = ServerOptions {
        nkeys: vec![rnatsd_core::options::NkeyUser { nkey: kp.public_key(), permissions: None }],
        ..opts()
    };
    (o, kp)
}

/// Go: TestServerInfoNonce — a nonce only with NKEY users, fresh per client.
#[tokio::test]
async fn test_server_info_nonce() {
    let s = start(opts()).await;
    let (_r, info) = Raw::connect(&s).await;
    assert!(info_json(&info).get("nonce").is_none());
    s.shutdown(Duration::from_secs(1)).await;
    let s = start(nkey_opts().0).await;
    let (_r1, i1) = Raw::connect(&s).await;
    let (_r2, i2) = Raw::connect(&s).await;
    let (n1, n2) = (info_json(&i1)["nonce"].as_str().unwrap().to_string(), info_json(&i2)["nonce"].as_str().unwrap().to_string());
    assert_eq!(n1.len(), 15);
    assert_ne!(n1, n2);
    assert_eq!(info_json(&i1)["auth_required"], true);
    s.shutdown(Duration::from_secs(1)).await;
}

/// Go: TestNkeyClientConnect — no nkey, no signature, a bad signature are
/// refused; a signature of the INFO nonce is accepted.
#[tokio::test]
async fn test_nkey_client_connect() {
    let (o, kp) = nkey_opts();
    let s = start(o).await;
    let pk = kp.public_key();
    for connect in [
        "CONNECT {\"verbose\":true,\"pedantic\":true}\r\n".to_string(),
        format!("CONNECT {{\"nkey\":\"{pk}\",\"verbose\":true,\"pedantic\":true}}\r\n"),
        format!("CONNECT {{\"nkey\":\"{pk}\",\"sig\":\"bad_sig\",\"verbose\":true,\"pedantic\":true}}\r\n"),
    ] {
        let (mut raw, _) = Raw::connect(&s).await;
        raw.send(&connect).await;
        assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Authorization Violation'"), "{connect}");
    }
    let (mut raw, info) = Raw::connect(&s).await;
    let nonce = info_json(&info)["nonce"].as_str().unwrap().to_string();
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(kp.sign(nonce.as_bytes()).unwrap());
    raw.send(&format!("CONNECT {{\"nkey\":\"{pk}\",\"sig\":\"{sig}\",\"verbose\":true,\"pedantic\":true}}\r\nPING\r\n"))
        .await;
    assert_eq!(raw.read_line().await.as_deref(), Some("+OK"));
    assert_eq!(raw.read_line().await.as_deref(), Some("PONG"));
    s.shutdown(Duration::from_secs(1)).await;
}

/// The official client signs with its seed; another user's seed is refused.
#[tokio::test]
async fn test_nkey_async_nats_client() {
    let (o, _) = nkey_opts();
    let s = start(o).await;
    let nc = async_nats::ConnectOptions::with_nkey(SEED.to_string())
        .connect(common::url(&s))
        .await
        .expect("nkey user connects");
    assert!(round_trip(&nc, "nkey.x").await);
    let other = nkeys::KeyPair::new_user().seed().unwrap();
    let bad = async_nats::ConnectOptions::with_nkey(other)
        .connection_timeout(Duration::from_secs(2))
        .connect(common::url(&s))
        .await;
    let Err(err) = bad else { panic!("an unknown nkey is refused") };
    assert!(err.to_string().to_lowercase().contains("authorization"), "{err}");
    s.shutdown(Duration::from_secs(1)).await;
}

/// The rnatsd binary serves TLS from the Go flags.
#[test]
fn test_binary_starts_with_tls_flags() {
    use std::io::{BufRead, BufReader};
    let pki = Pki::new("binary");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rnatsd"))
        .args(["-a", "127.0.0.1", "-p", "-1", "--tls", "--tlscert", &pki.p("server.pem"), "--tlskey"])
        .arg(pki.p("server-key.pem"))
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn rnatsd");
    let stderr = child.stderr.take().unwrap();
    let mut lines = Vec::new();
    let mut port = 0u16;
    for line in BufReader::new(stderr).lines().map_while(Result::ok).take(60) {
        if line.contains("Listening for client connections on") {
            port = line.rsplit(':').next().unwrap().trim().parse().unwrap();
        }
        let ready = line.contains("Server is ready");
        lines.push(line);
        if ready {
            break;
        }
    }
    assert!(lines.iter().any(|l| l.contains("TLS required for client connections")), "{lines:?}");
    assert!(port > 0, "{lines:?}");
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut info = String::new();
    BufReader::new(&mut s).read_line(&mut info).unwrap();
    assert!(info.contains("\"tls_required\":true"), "{info}");
    let _ = child.kill();
    let _ = child.wait();
    assert!(Path::new(&pki.p("server.pem")).exists());
}

//! JWT operator mode end to end: an operator, accounts and users made by
//! the test (deterministic keys, `jwt::encode`), creds files handed to the
//! official async-nats client, and raw CONNECTs for the refusals. Ports of
//! Go's `TestJWT*` (server/jwt_test.go) where they apply.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use nkeys::KeyPair;
use rnatsd_core::jwt::claims::{AccountClaims, OperatorClaims, UserClaims};
use rnatsd_core::jwt::creds::format_user_config;
use rnatsd_core::jwt::encode::{encode_account, encode_operator, encode_user, sign_b64, test_key, TestKeyKind};
use rnatsd_core::jwt::types::{Export, ExportType, Import};
use rnatsd_core::options::ServerOptions;
use rnatsd_io_tokio::RunningServer;

use common::{info_json, opts, start, url, Raw};

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs() as i64
}

/// An operator and its system account.
struct Plane {
    op: KeyPair,
    op_jwt: String,
    sys: KeyPair,
    sys_jwt: String,
}

fn plane() -> Plane {
    let op = test_key(TestKeyKind::Operator, 1);
    let sys = test_key(TestKeyKind::Account, 200);
    let mut oc = OperatorClaims::default();
    oc.claims.subject = op.public_key();
    oc.claims.name = "O".into();
    oc.nats.system_account = sys.public_key();
    let op_jwt = encode_operator(&mut oc, &op, now_secs() - 60).expect("operator jwt");
    let mut sc = AccountClaims::new(&sys.public_key());
    sc.claims.name = "SYS".into();
    let sys_jwt = encode_account(&mut sc, &op, now_secs() - 60).expect("sys jwt");
    Plane { op, op_jwt, sys, sys_jwt }
}

/// An account `n` signed by `signer`, edited by `edit`.
fn account_by(signer: &KeyPair, n: u8, edit: impl FnOnce(&mut AccountClaims)) -> (KeyPair, String) {
    let kp = test_key(TestKeyKind::Account, n);
    let mut ac = AccountClaims::new(&kp.public_key());
    ac.claims.name = format!("A{n}");
    edit(&mut ac);
    let jwt = encode_account(&mut ac, signer, now_secs() - 30).expect("account jwt");
    (kp, jwt)
}

fn account(p: &Plane, n: u8, edit: impl FnOnce(&mut AccountClaims)) -> (KeyPair, String) {
    account_by(&p.op, n, edit)
}

/// A user `n` of `acc`: its key and creds file text.
fn user(acc: &KeyPair, n: u8, edit: impl FnOnce(&mut UserClaims)) -> (KeyPair, String, String) {
    let kp = test_key(TestKeyKind::User, n);
    let mut uc = UserClaims::new(&kp.public_key());
    uc.claims.name = format!("U{n}");
    edit(&mut uc);
    let jwt = encode_user(&mut uc, acc, now_secs() - 10).expect("user jwt");
    let seed = kp.seed().expect("seed");
    let creds = format_user_config(&jwt, &seed);
    (kp, jwt, creds)
}

fn parse_conf(text: &str) -> Result<ServerOptions, String> {
    let env = |_: &str| None;
    let mut include = |p: &str| Err(format!("no include {p}"));
    let map = rnatsd_core::conf::parse(text, "jwt.conf", &env, &mut include).map_err(|e| e.to_string())?;
    let mut o = opts();
    rnatsd_core::conf::apply_config(&map, &mut o)
        .map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))?;
    o.host = "127.0.0.1".into();
    o.port = -1;
    Ok(o)
}

/// Operator mode with `resolver: MEMORY` preloaded with the system
/// account and `accounts`.
fn memory_conf(p: &Plane, accounts: &[(&KeyPair, &str)]) -> ServerOptions {
    let mut pre = format!("  {}: \"{}\"\n", p.sys.public_key(), p.sys_jwt);
    for (k, j) in accounts {
        pre.push_str(&format!("  {}: \"{}\"\n", k.public_key(), j));
    }
    let text = format!(
        "operator: \"{}\"\nsystem_account: {}\nresolver: MEMORY\nresolver_preload: {{\n{pre}}}\n",
        p.op_jwt,
        p.sys.public_key()
    );
    parse_conf(&text).expect("operator config applies")
}

async fn connect_creds(s: &RunningServer, creds: &str) -> Result<async_nats::Client, async_nats::ConnectError> {
    async_nats::ConnectOptions::with_credentials(creds)
        .expect("creds parse")
        .connect(url(s))
        .await
}

/// A raw client that signs the INFO nonce with `key` and sends `jwt`;
/// returns it and the lines up to PONG (or to the close).
async fn raw_login(s: &RunningServer, jwt: &str, key: Option<&KeyPair>) -> (Raw, Vec<String>) {
    let (mut raw, info) = Raw::connect(s).await;
    let info = info_json(&info);
    let nonce = info["nonce"].as_str().expect("operator mode INFO has a nonce").to_string();
    let sig = key.map(|k| sign_b64(k, nonce.as_bytes()).expect("sign"));
    let mut connect = serde_json::json!({"verbose": false, "pedantic": false, "jwt": jwt, "protocol": 1});
    if let Some(sig) = sig {
        connect["sig"] = sig.into();
    }
    raw.send(&format!("CONNECT {connect}\r\nPING\r\n")).await;
    let mut lines = Vec::new();
    while let Some(l) = raw.read_line().await {
        if l == "PONG" {
            break;
        }
        let err = l.starts_with("-ERR");
        lines.push(l);
        if err {
            break;
        }
    }
    (raw, lines)
}

async fn next(sub: &mut async_nats::Subscriber) -> async_nats::Message {
    tokio::time::timeout(Duration::from_secs(3), sub.next()).await.expect("a message in time").expect("open")
}

async fn silent(sub: &mut async_nats::Subscriber) -> bool {
    tokio::time::timeout(Duration::from_millis(300), sub.next()).await.is_err()
}

const AUTH_VIOLATION: &str = "-ERR 'Authorization Violation'";

#[tokio::test]
async fn test_jwt_user() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (_, _, creds) = user(&a, 1, |_| {});
    let s = start(memory_conf(&p, &[(&a, &a_jwt)])).await;
    let (raw, info) = Raw::connect(&s).await;
    drop(raw);
    let info = info_json(&info);
    assert_eq!(info["auth_required"], true);
    assert!(info["nonce"].as_str().is_some_and(|n| !n.is_empty()), "nonce in INFO: {info}");
    let nc = connect_creds(&s, &creds).await.expect("creds user connects");
    let mut sub = nc.subscribe("foo").await.unwrap();
    nc.publish("foo", "hello".into()).await.unwrap();
    assert_eq!(&next(&mut sub).await.payload[..], b"hello");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_user_bad_trusted() {
    let p = plane();
    let other_op = test_key(TestKeyKind::Operator, 2);
    let (a, a_jwt) = account_by(&other_op, 1, |_| {});
    let (ukp, ujwt, creds) = user(&a, 1, |_| {});
    let s = start(memory_conf(&p, &[(&a, &a_jwt)])).await;
    assert!(connect_creds(&s, &creds).await.is_err(), "account of an untrusted operator is refused");
    let (_, lines) = raw_login(&s, &ujwt, Some(&ukp)).await;
    assert_eq!(lines, vec![AUTH_VIOLATION]);
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_user_bad_signature() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (_, ujwt, _) = user(&a, 1, |_| {});
    let s = start(memory_conf(&p, &[(&a, &a_jwt)])).await;
    let wrong = test_key(TestKeyKind::User, 99);
    let (mut raw, lines) = raw_login(&s, &ujwt, Some(&wrong)).await;
    assert_eq!(lines, vec![AUTH_VIOLATION]);
    assert!(raw.is_closed().await);
    let (_, lines) = raw_login(&s, &ujwt, None).await;
    assert_eq!(lines, vec![AUTH_VIOLATION], "a missing signature is refused");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_unknown_account() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (b, _) = account(&p, 2, |_| {});
    let (_, _, creds) = user(&b, 1, |_| {});
    let s = start(memory_conf(&p, &[(&a, &a_jwt)])).await;
    assert!(connect_creds(&s, &creds).await.is_err(), "an account the resolver does not know is refused");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_user_expired() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (ukp, ujwt, _) = user(&a, 1, |u| u.claims.expires = now_secs() - 5);
    let s = start(memory_conf(&p, &[(&a, &a_jwt)])).await;
    let (_, lines) = raw_login(&s, &ujwt, Some(&ukp)).await;
    assert_eq!(lines, vec![AUTH_VIOLATION]);
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_user_expires_after_connect() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (ukp, ujwt, _) = user(&a, 1, |u| u.claims.expires = now_secs() + 2);
    let s = start(memory_conf(&p, &[(&a, &a_jwt)])).await;
    let (mut raw, lines) = raw_login(&s, &ujwt, Some(&ukp)).await;
    assert!(lines.is_empty(), "connects while valid: {lines:?}");
    let mut got = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    while tokio::time::Instant::now() < deadline {
        match raw.read_line().await {
            Some(l) if l.starts_with("-ERR") => {
                got = Some(l);
                break;
            }
            Some(_) => {}
            None => break,
        }
    }
    assert_eq!(got.as_deref(), Some("-ERR 'User Authentication Expired'"));
    assert!(raw.is_closed().await);
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_user_revoked() {
    let p = plane();
    let ukey = test_key(TestKeyKind::User, 1).public_key();
    let (a, a_jwt) = account(&p, 1, |ac| ac.revoke_at(&ukey, now_secs()));
    let (ukp, ujwt, creds) = user(&a, 1, |_| {});
    let (_, _, ok_creds) = user(&a, 2, |_| {});
    let s = start(memory_conf(&p, &[(&a, &a_jwt)])).await;
    let (_, lines) = raw_login(&s, &ujwt, Some(&ukp)).await;
    assert_eq!(lines, vec![AUTH_VIOLATION]);
    assert!(connect_creds(&s, &creds).await.is_err());
    assert!(connect_creds(&s, &ok_creds).await.is_ok(), "another user of the account still connects");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_bearer_token() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (_, ujwt, _) = user(&a, 1, |u| u.nats.limits.bearer_token = true);
    let (b, b_jwt) = account(&p, 2, |ac| ac.nats.limits.disallow_bearer = true);
    let (_, bjwt, _) = user(&b, 2, |u| u.nats.limits.bearer_token = true);
    let s = start(memory_conf(&p, &[(&a, &a_jwt), (&b, &b_jwt)])).await;
    let (_, lines) = raw_login(&s, &ujwt, None).await;
    assert!(lines.is_empty(), "a bearer token needs no signature: {lines:?}");
    let (_, lines) = raw_login(&s, &bjwt, None).await;
    assert_eq!(lines, vec![AUTH_VIOLATION], "the account disallows bearer tokens");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_account_isolation() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (b, b_jwt) = account(&p, 2, |_| {});
    let (_, _, ca) = user(&a, 1, |_| {});
    let (_, _, cb) = user(&b, 2, |_| {});
    let (_, _, ca2) = user(&a, 3, |_| {});
    let s = start(memory_conf(&p, &[(&a, &a_jwt), (&b, &b_jwt)])).await;
    let (na, nb, na2) =
        (connect_creds(&s, &ca).await.unwrap(), connect_creds(&s, &cb).await.unwrap(), connect_creds(&s, &ca2).await.unwrap());
    let mut spy = nb.subscribe(">").await.unwrap();
    let mut peer = na2.subscribe(">").await.unwrap();
    nb.flush().await.unwrap();
    na2.flush().await.unwrap();
    na.publish("secret", "x".into()).await.unwrap();
    na.flush().await.unwrap();
    assert_eq!(next(&mut peer).await.subject.as_str(), "secret", "same account sees it");
    assert!(silent(&mut spy).await, "another JWT account sees nothing");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_account_basic_import_export() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |ac| {
        ac.nats.exports.push(Export {
            subject: "public.>".into(),
            export_type: ExportType::Stream,
            ..Export::default()
        });
        ac.nats.exports.push(Export {
            subject: "svc.echo".into(),
            export_type: ExportType::Service,
            ..Export::default()
        });
    });
    let akey = a.public_key();
    let (b, b_jwt) = account(&p, 2, |ac| {
        ac.nats.imports.push(Import {
            subject: "public.>".into(),
            account: akey.clone(),
            import_type: ExportType::Stream,
            ..Import::default()
        });
        ac.nats.imports.push(Import {
            subject: "svc.echo".into(),
            account: akey.clone(),
            local_subject: "echo".into(),
            import_type: ExportType::Service,
            ..Import::default()
        });
    });
    let (_, _, ca) = user(&a, 1, |_| {});
    let (_, _, cb) = user(&b, 2, |_| {});
    let s = start(memory_conf(&p, &[(&a, &a_jwt), (&b, &b_jwt)])).await;
    // B first: its imports pull A in through the resolver.
    let nb = connect_creds(&s, &cb).await.unwrap();
    let na = connect_creds(&s, &ca).await.unwrap();
    let mut stream = nb.subscribe("public.>").await.unwrap();
    let mut svc = na.subscribe("svc.echo").await.unwrap();
    nb.flush().await.unwrap();
    na.flush().await.unwrap();
    let responder = tokio::spawn(async move {
        let m = next(&mut svc).await;
        na.publish(m.reply.expect("a reply subject"), "pong".into()).await.unwrap();
        na.flush().await.unwrap();
        na.publish("public.news", "hi".into()).await.unwrap();
        na.flush().await.unwrap();
        na
    });
    let reply = tokio::time::timeout(Duration::from_secs(3), nb.request("echo", "ping".into()))
        .await
        .expect("in time")
        .expect("service import answers");
    assert_eq!(&reply.payload[..], b"pong");
    let _na = responder.await.unwrap();
    let m = next(&mut stream).await;
    assert_eq!(m.subject.as_str(), "public.news");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_account_limits_max_conns() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |ac| ac.nats.limits.conn = 1);
    let (k1, j1, _) = user(&a, 1, |_| {});
    let (k2, j2, _) = user(&a, 2, |_| {});
    let s = start(memory_conf(&p, &[(&a, &a_jwt)])).await;
    let (_first, lines) = raw_login(&s, &j1, Some(&k1)).await;
    assert!(lines.is_empty(), "{lines:?}");
    let (_, lines) = raw_login(&s, &j2, Some(&k2)).await;
    assert_eq!(lines, vec!["-ERR 'maximum account active connections exceeded'"]);
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_account_limits_max_payload() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |ac| ac.nats.limits.payload = 8);
    let (k1, j1, _) = user(&a, 1, |_| {});
    let s = start(memory_conf(&p, &[(&a, &a_jwt)])).await;
    let (mut raw, lines) = raw_login(&s, &j1, Some(&k1)).await;
    assert!(lines.is_empty(), "{lines:?}");
    raw.send("PUB foo 4\r\nabcd\r\n").await;
    assert!(raw.flush().await.is_empty(), "under the limit");
    raw.send("PUB foo 20\r\n01234567890123456789\r\n").await;
    assert_eq!(raw.read_line().await.as_deref(), Some("-ERR 'Maximum Payload Violation'"));
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_user_permission_claims() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (k, j, _) = user(&a, 1, |u| {
        u.nats.limits.permissions.publish.allow = vec!["foo".into()];
        u.nats.limits.permissions.subscribe.deny = vec!["secret".into()];
    });
    let s = start(memory_conf(&p, &[(&a, &a_jwt)])).await;
    let (mut raw, lines) = raw_login(&s, &j, Some(&k)).await;
    assert!(lines.is_empty(), "{lines:?}");
    raw.send("PUB foo 0\r\n\r\nPUB bar 0\r\n\r\nSUB secret 1\r\n").await;
    let lines = raw.flush().await;
    assert_eq!(
        lines,
        vec!["-ERR 'Permissions Violation for Publish to \"bar\"'", "-ERR 'Permissions Violation for Subscription to \"secret\"'"]
    );
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_operator_config_errors() {
    let p = plane();
    let base = format!("operator: \"{}\"\nsystem_account: {}\n", p.op_jwt, p.sys.public_key());
    let no_resolver = parse_conf(&base).unwrap();
    let Err(e) = rnatsd_io_tokio::start(no_resolver, 1).await else { panic!("refused") };
    assert!(e.contains("operators require an account resolver to be configured"), "{e}");
    let with_accounts = parse_conf(&format!("{base}resolver: MEMORY\naccounts {{ X {{ users = [{{user: x}}] }} }}\n")).unwrap();
    let Err(e) = rnatsd_io_tokio::start(with_accounts, 1).await else { panic!("refused") };
    assert!(e.contains("operators do not allow Accounts to be configured directly"), "{e}");
    let with_users = parse_conf(&format!("{base}resolver: MEMORY\nauthorization {{ users = [{{user: x}}] }}\n")).unwrap();
    let Err(e) = rnatsd_io_tokio::start(with_users, 1).await else { panic!("refused") };
    assert!(e.contains("operators do not allow users to be configured directly"), "{e}");
    let bad = parse_conf("operator: \"eyJnot-a-jwt\"\nresolver: MEMORY\n").expect_err("a bad operator JWT is a config error");
    assert!(bad.contains("error parsing operator JWT"), "{bad}");
}

/// A temporary directory removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("rnatsd-jwt-{tag}-{}-{}", std::process::id(), now_secs()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn full_conf(p: &Plane, dir: &TempDir, accounts: &[(&KeyPair, &str)]) -> ServerOptions {
    let mut pre = format!("  {}: \"{}\"\n", p.sys.public_key(), p.sys_jwt);
    for (k, j) in accounts {
        pre.push_str(&format!("  {}: \"{}\"\n", k.public_key(), j));
    }
    let text = format!(
        "operator: \"{}\"\nsystem_account: {}\nresolver: {{ type: full, dir: \"{}\", allow_delete: true }}\nresolver_preload: {{\n{pre}}}\n",
        p.op_jwt,
        p.sys.public_key(),
        dir.0.display()
    );
    parse_conf(&text).expect("operator config applies")
}

#[tokio::test]
async fn test_jwt_user_revoked_on_account_update() {
    let p = plane();
    let dir = TempDir::new("revoke");
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (uk, uj, _) = user(&a, 1, |_| {});
    let (_, _, sys_creds) = user(&p.sys, 50, |_| {});
    let s = start(full_conf(&p, &dir, &[(&a, &a_jwt)])).await;
    assert!(dir.0.join(format!("{}.jwt", a.public_key())).exists(), "preload stored in the resolver dir");
    let (mut victim, lines) = raw_login(&s, &uj, Some(&uk)).await;
    assert!(lines.is_empty(), "{lines:?}");
    let sys = connect_creds(&s, &sys_creds).await.expect("system user connects");
    // Lookup answers with the stored JWT.
    let lookup = format!("$SYS.REQ.ACCOUNT.{}.CLAIMS.LOOKUP", a.public_key());
    let r = tokio::time::timeout(Duration::from_secs(3), sys.request(lookup, "".into())).await.unwrap().unwrap();
    assert_eq!(String::from_utf8_lossy(&r.payload), a_jwt);
    // An update that revokes the user cuts it.
    let ukey = uk.public_key();
    let (_, updated) = account(&p, 1, |ac| ac.revoke_at(&ukey, now_secs()));
    let subject = format!("$SYS.REQ.ACCOUNT.{}.CLAIMS.UPDATE", a.public_key());
    let r = tokio::time::timeout(Duration::from_secs(3), sys.request(subject, updated.clone().into()))
        .await
        .unwrap()
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&r.payload).expect("JSON reply");
    assert_eq!(body["data"]["code"], 200, "{body}");
    assert_eq!(victim.read_line().await.as_deref(), Some("-ERR 'User Authentication Revoked'"));
    assert!(victim.is_closed().await);
    let (_, lines) = raw_login(&s, &uj, Some(&uk)).await;
    assert_eq!(lines, vec![AUTH_VIOLATION], "the revoked user cannot come back");
    let stored = std::fs::read_to_string(dir.0.join(format!("{}.jwt", a.public_key()))).unwrap();
    assert_eq!(stored, updated, "the update is persisted");
    s.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn test_jwt_claims_update_limits_and_list() {
    let p = plane();
    let dir = TempDir::new("limits");
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (k1, j1, _) = user(&a, 1, |_| {});
    let (k2, j2, _) = user(&a, 2, |_| {});
    let (_, _, sys_creds) = user(&p.sys, 50, |_| {});
    let s = start(full_conf(&p, &dir, &[(&a, &a_jwt)])).await;
    let (_c1, lines) = raw_login(&s, &j1, Some(&k1)).await;
    assert!(lines.is_empty(), "{lines:?}");
    let sys = connect_creds(&s, &sys_creds).await.expect("system user connects");
    let (_, limited) = account(&p, 1, |ac| ac.nats.limits.conn = 1);
    let r = tokio::time::timeout(Duration::from_secs(3), sys.request("$SYS.REQ.CLAIMS.UPDATE", limited.into()))
        .await
        .unwrap()
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&r.payload).expect("JSON reply");
    assert_eq!(body["data"]["code"], 200, "{body}");
    let (_, lines) = raw_login(&s, &j2, Some(&k2)).await;
    assert_eq!(lines, vec!["-ERR 'maximum account active connections exceeded'"], "the new limit applies live");
    let r = tokio::time::timeout(Duration::from_secs(3), sys.request("$SYS.REQ.CLAIMS.LIST", "".into()))
        .await
        .unwrap()
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&r.payload).expect("JSON reply");
    let list = body["data"].as_array().expect("a list");
    assert!(list.iter().any(|k| k == &serde_json::Value::from(a.public_key())), "{body}");
    // A JWT from an untrusted operator is refused.
    let (_, rogue) = account_by(&test_key(TestKeyKind::Operator, 7), 1, |_| {});
    let r = tokio::time::timeout(Duration::from_secs(3), sys.request("$SYS.REQ.CLAIMS.UPDATE", rogue.into()))
        .await
        .unwrap()
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&r.payload).expect("JSON reply");
    assert!(body["error"].is_object(), "{body}");
    s.shutdown(Duration::from_secs(1)).await;
}

/// Go's TestJWTUserSigningKey: a user issued by one of the account's
/// signing keys (with `issuer_account`) is accepted; by an unknown key, not.
#[tokio::test]
async fn test_jwt_user_signing_key() {
    let p = plane();
    let signer = test_key(TestKeyKind::Account, 77);
    let spk = signer.public_key();
    let (a, a_jwt) = account(&p, 1, |ac| ac.nats.signing_keys.add(&spk));
    let akey = a.public_key();
    let (_, _, good) = user(&signer, 1, |u| u.nats.issuer_account = akey.clone());
    let rogue = test_key(TestKeyKind::Account, 78);
    let (_, _, bad) = user(&rogue, 2, |u| u.nats.issuer_account = akey.clone());
    let s = start(memory_conf(&p, &[(&a, &a_jwt)])).await;
    let nc = connect_creds(&s, &good).await.expect("a signing-key user connects");
    nc.flush().await.unwrap();
    assert!(connect_creds(&s, &bad).await.is_err(), "a key the account does not list is refused");
    s.shutdown(Duration::from_secs(1)).await;
}

/// The binary's config loading: `operator` names a JWT file, the full
/// resolver's directory is opened by the adapter.
#[tokio::test]
async fn test_jwt_operator_file_and_full_resolver_from_config_file() {
    let p = plane();
    let dir = TempDir::new("conffile");
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (_, _, creds) = user(&a, 1, |_| {});
    let op_path = dir.0.join("op.jwt");
    std::fs::write(&op_path, rnatsd_core::jwt::creds::decorate_jwt("operator", &p.op_jwt)).unwrap();
    let jwt_dir = dir.0.join("jwt");
    let conf_path = dir.0.join("server.conf");
    let text = format!(
        "listen: 127.0.0.1:-1\noperator: \"{}\"\nsystem_account: {}\nresolver: {{ type: full, dir: \"{}\" }}\nresolver_preload: {{ {}: \"{}\", {}: \"{}\" }}\n",
        op_path.display(),
        p.sys.public_key(),
        jwt_dir.display(),
        p.sys.public_key(),
        p.sys_jwt,
        a.public_key(),
        a_jwt
    );
    std::fs::write(&conf_path, text).unwrap();
    let mut o = opts();
    rnatsd::config::load_config_file(&conf_path.display().to_string(), &mut o).expect("config file loads");
    o.host = "127.0.0.1".into();
    o.port = -1;
    let s = start(o).await;
    assert!(jwt_dir.join(format!("{}.jwt", a.public_key())).exists(), "the resolver dir holds the preload");
    let nc = connect_creds(&s, &creds).await.expect("user connects");
    nc.flush().await.unwrap();
    s.shutdown(Duration::from_secs(1)).await;
}

/// `$SYS.REQ.CLAIMS.DELETE` with `allow_delete`: an operator-signed
/// request removes the account; its users are cut and cannot come back.
#[tokio::test]
async fn test_jwt_claims_delete() {
    use rnatsd_core::jwt::claims::GenericClaims;
    use rnatsd_core::jwt::encode::encode_generic;
    let p = plane();
    let dir = TempDir::new("delete");
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (uk, uj, _) = user(&a, 1, |_| {});
    let (_, _, sys_creds) = user(&p.sys, 50, |_| {});
    let s = start(full_conf(&p, &dir, &[(&a, &a_jwt)])).await;
    let (mut victim, lines) = raw_login(&s, &uj, Some(&uk)).await;
    assert!(lines.is_empty(), "{lines:?}");
    let sys = connect_creds(&s, &sys_creds).await.expect("system user connects");
    let mut gc = GenericClaims::default();
    gc.claims.subject = p.op.public_key();
    gc.data.insert("accounts".into(), serde_json::json!([a.public_key()]));
    let req = encode_generic(&mut gc, &p.op, now_secs()).unwrap();
    let r = tokio::time::timeout(Duration::from_secs(3), sys.request("$SYS.REQ.CLAIMS.DELETE", req.into()))
        .await
        .unwrap()
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&r.payload).expect("JSON reply");
    assert_eq!(body["data"]["code"], 200, "{body}");
    assert_eq!(victim.read_line().await.as_deref(), Some(AUTH_VIOLATION));
    let (_, lines) = raw_login(&s, &uj, Some(&uk)).await;
    assert_eq!(lines, vec![AUTH_VIOLATION], "the deleted account is gone");
    s.shutdown(Duration::from_secs(1)).await;
}

/// Go's TestJWTAccountImportSignerRemoved (the signing-key half): an
/// account update that drops a signing key closes the users it signed and
/// keeps the others.
#[tokio::test]
async fn test_jwt_account_signer_removed() {
    let p = plane();
    let dir = TempDir::new("signer");
    let signer = test_key(TestKeyKind::Account, 77);
    let spk = signer.public_key();
    let (a, a_jwt) = account(&p, 1, |ac| ac.nats.signing_keys.add(&spk));
    let akey = a.public_key();
    let (sk_user, sk_jwt, _) = user(&signer, 1, |u| u.nats.issuer_account = akey.clone());
    let (plain_user, plain_jwt, _) = user(&a, 2, |_| {});
    let (_, _, sys_creds) = user(&p.sys, 50, |_| {});
    let s = start(full_conf(&p, &dir, &[(&a, &a_jwt)])).await;
    let (mut signed, lines) = raw_login(&s, &sk_jwt, Some(&sk_user)).await;
    assert!(lines.is_empty(), "{lines:?}");
    let (mut plain, lines) = raw_login(&s, &plain_jwt, Some(&plain_user)).await;
    assert!(lines.is_empty(), "{lines:?}");
    let sys = connect_creds(&s, &sys_creds).await.expect("system user connects");
    let (_, updated) = account(&p, 1, |_| {});
    let r = tokio::time::timeout(Duration::from_secs(3), sys.request("$SYS.REQ.CLAIMS.UPDATE", updated.into()))
        .await
        .unwrap()
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&r.payload).expect("JSON reply");
    assert_eq!(body["data"]["code"], 200, "{body}");
    assert!(signed.is_closed().await, "the signing key's user is closed");
    assert!(plain.flush().await.is_empty(), "the account's own user stays");
    s.shutdown(Duration::from_secs(1)).await;
}

/// Go's TestJWTAccountLimitsSubs, plus the user JWT's own `subs` limit.
#[tokio::test]
async fn test_jwt_account_limits_subs() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |ac| ac.nats.limits.subs = 2);
    let (ka, ja, _) = user(&a, 1, |_| {});
    let (b, b_jwt) = account(&p, 2, |_| {});
    let (kb, jb, _) = user(&b, 2, |u| u.nats.limits.subs = 1);
    let s = start(memory_conf(&p, &[(&a, &a_jwt), (&b, &b_jwt)])).await;
    let (mut ra, lines) = raw_login(&s, &ja, Some(&ka)).await;
    assert!(lines.is_empty(), "{lines:?}");
    ra.send("SUB a 1\r\nSUB b 2\r\nSUB c 3\r\n").await;
    assert_eq!(ra.flush().await, vec!["-ERR 'maximum subscriptions exceeded'"], "account limit 2");
    let (mut rb, lines) = raw_login(&s, &jb, Some(&kb)).await;
    assert!(lines.is_empty(), "{lines:?}");
    rb.send("SUB a 1\r\nSUB b 2\r\n").await;
    assert_eq!(rb.flush().await, vec!["-ERR 'maximum subscriptions exceeded'"], "user limit 1");
    s.shutdown(Duration::from_secs(1)).await;
}

/// With `resolver: MEMORY`, an account JWT pushed on
/// `$SYS.ACCOUNT.<acc>.CLAIMS.UPDATE` updates the live account (Go's
/// `accountClaimUpdate`): a revocation cuts the user and keeps it out.
#[tokio::test]
async fn test_jwt_memory_resolver_claims_push() {
    let p = plane();
    let (a, a_jwt) = account(&p, 1, |_| {});
    let (uk, uj, _) = user(&a, 1, |_| {});
    let (_, _, sys_creds) = user(&p.sys, 50, |_| {});
    let s = start(memory_conf(&p, &[(&a, &a_jwt)])).await;
    let (mut victim, lines) = raw_login(&s, &uj, Some(&uk)).await;
    assert!(lines.is_empty(), "{lines:?}");
    let sys = connect_creds(&s, &sys_creds).await.expect("system user connects");
    let ukey = uk.public_key();
    let (_, updated) = account(&p, 1, |ac| ac.revoke_at(&ukey, now_secs()));
    let subject = format!("$SYS.ACCOUNT.{}.CLAIMS.UPDATE", a.public_key());
    let r = tokio::time::timeout(Duration::from_secs(3), sys.request(subject.clone(), updated.into()))
        .await
        .unwrap()
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&r.payload).expect("JSON reply");
    assert_eq!(body["data"]["message"], "jwt updated", "{body}");
    assert_eq!(victim.read_line().await.as_deref(), Some("-ERR 'User Authentication Revoked'"));
    let (_, lines) = raw_login(&s, &uj, Some(&uk)).await;
    assert_eq!(lines, vec![AUTH_VIOLATION], "the revocation holds for new connections");
    // A JWT for another account than the subject names is refused.
    let (_, other) = account(&p, 2, |_| {});
    let r = tokio::time::timeout(Duration::from_secs(3), sys.request(subject, other.into())).await.unwrap().unwrap();
    let body: serde_json::Value = serde_json::from_slice(&r.payload).expect("JSON reply");
    assert_eq!(body["error"]["description"], "jwt update resulted in error - subject does not match jwt content", "{body}");
    s.shutdown(Duration::from_secs(1)).await;
}

//! Operator mode in the engine under simulated time: config wiring, JWT
//! CONNECT, expiry at the exact instant, account claims as live accounts.

use std::time::Duration;

use bytes::BytesMut;

use crate::conf::operator::{OperatorConfig, ResolverConfig};
use crate::jwt::claims::{AccountClaims, UserClaims};
use crate::jwt::encode::{encode_account, encode_user, sign_b64, test_key, TestChain, TestKeyKind};
use crate::jwt::types::{Export, ExportType, Import};
use crate::options::ServerOptions;
use crate::time::Instant;

use super::operator::{account_options, to_permissions};
use super::{ConnId, Event, RemoteAddr, Server};

/// Wall clock of the engine at `Instant::ZERO`, in unix seconds.
const T0_SECS: i64 = 1_700_000_000;

fn server(opts: ServerOptions) -> Result<Server, String> {
    Server::new(opts, 7, Instant::ZERO, T0_SECS * 1_000_000_000)
}

fn operator_opts(chain: &TestChain, preload: Vec<(String, String)>) -> ServerOptions {
    let op = crate::jwt::decode::decode_operator_claims(&chain.operator_jwt).unwrap();
    let cfg = OperatorConfig {
        operators: vec![(chain.operator_jwt.clone(), op)],
        system_account: None,
        resolver: Some(ResolverConfig::Memory),
        resolver_preload: preload,
        resolver_pinned_accounts: None,
    };
    ServerOptions { operator: Some(cfg), ..ServerOptions::default() }
}

fn drain(s: &mut Server, now: Instant) -> (String, bool) {
    let (mut out, mut closed) = (String::new(), false);
    while let Some(ev) = s.poll_event() {
        let (Event::Transmit(id) | Event::Close(id)) = ev;
        let mut buf = BytesMut::new();
        s.poll_transmit(id, &mut buf);
        out.push_str(&String::from_utf8_lossy(&buf));
        if matches!(ev, Event::Close(_)) {
            closed = true;
            s.handle_disconnect(now, id);
        }
    }
    (out, closed)
}

/// Accepts a client, signs its nonce with `key` and sends CONNECT + PING.
fn login(s: &mut Server, now: Instant, jwt: &str, key: &nkeys::KeyPair) -> (ConnId, String, bool) {
    let id = s.handle_accept(now, RemoteAddr { ip: "127.0.0.1".into(), port: 4000 });
    let (info, _) = drain(s, now);
    let json: serde_json::Value = serde_json::from_str(info.trim_start_matches("INFO ").trim()).unwrap();
    let nonce = json["nonce"].as_str().expect("nonce in INFO").to_string();
    let sig = sign_b64(key, nonce.as_bytes()).unwrap();
    let connect = serde_json::json!({"verbose": false, "jwt": jwt, "sig": sig, "protocol": 1});
    s.handle_read(now, id, format!("CONNECT {connect}\r\nPING\r\n").as_bytes());
    let (out, closed) = drain(s, now);
    (id, out, closed)
}

#[test]
fn test_jwt_user() {
    let chain = TestChain::new(1, T0_SECS - 100).unwrap();
    let opts = operator_opts(&chain, vec![(chain.account.public_key(), chain.account_jwt.clone())]);
    let mut s = server(opts).unwrap();
    assert!(s.info().auth_required);
    let (_, out, closed) = login(&mut s, Instant::ZERO, &chain.user_jwt, &chain.user);
    assert_eq!(out, "PONG\r\n");
    assert!(!closed);
    assert!(s.account_id(&chain.account.public_key()).is_some(), "the account is registered at first use");
}

#[test]
fn test_jwt_user_bad_signature_is_auth_violation() {
    let chain = TestChain::new(1, T0_SECS - 100).unwrap();
    let opts = operator_opts(&chain, vec![(chain.account.public_key(), chain.account_jwt.clone())]);
    let mut s = server(opts).unwrap();
    let other = test_key(TestKeyKind::User, 9);
    let (_, out, closed) = login(&mut s, Instant::ZERO, &chain.user_jwt, &other);
    assert_eq!(out, "-ERR 'Authorization Violation'\r\n");
    assert!(closed);
}

/// Go's TestJWTUserExpiresAfterConnect: the client is cut exactly when its
/// JWT expires, with Go's error.
#[test]
fn test_jwt_user_expires_after_connect() {
    let chain = TestChain::new(1, T0_SECS - 100).unwrap();
    let mut uc = UserClaims::new(&chain.user.public_key());
    uc.claims.expires = T0_SECS + 10;
    let jwt = encode_user(&mut uc, &chain.account, T0_SECS - 5).unwrap();
    let opts = operator_opts(&chain, vec![(chain.account.public_key(), chain.account_jwt.clone())]);
    let mut s = server(opts).unwrap();
    let (_, out, closed) = login(&mut s, Instant::ZERO, &jwt, &chain.user);
    assert_eq!(out, "PONG\r\n");
    assert!(!closed);
    let before = Instant::ZERO + Duration::from_secs(9);
    s.handle_timeout(before);
    let (out, closed) = drain(&mut s, before);
    assert!(!closed && !out.contains("-ERR"), "still valid one second before: {out}");
    let at = Instant::ZERO + Duration::from_secs(10);
    assert!(s.poll_timeout().is_some_and(|t| t <= at), "the expiry timer is armed");
    s.handle_timeout(at);
    let (out, closed) = drain(&mut s, at);
    assert!(closed);
    assert!(out.ends_with("-ERR 'User Authentication Expired'\r\n"), "{out}");
}

#[test]
fn test_jwt_operator_mode_refuses_local_accounts_and_users() {
    let chain = TestChain::new(1, T0_SECS - 100).unwrap();
    let mut opts = operator_opts(&chain, vec![]);
    opts.accounts.push(crate::server::accounts::AccountOptions::new("X"));
    let e = server(opts).err().unwrap();
    assert_eq!(e, "operators do not allow Accounts to be configured directly");
    let mut opts = operator_opts(&chain, vec![]);
    opts.users.push(crate::options::User { username: "u".into(), password: "p".into(), permissions: None });
    assert_eq!(server(opts).err().unwrap(), "operators do not allow users to be configured directly");
    let mut opts = operator_opts(&chain, vec![]);
    opts.operator.as_mut().unwrap().resolver = None;
    assert_eq!(server(opts).err().unwrap(), "operators require an account resolver to be configured");
}

#[test]
fn test_jwt_full_resolver_needs_storage() {
    let chain = TestChain::new(1, T0_SECS - 100).unwrap();
    let mut opts = operator_opts(&chain, vec![]);
    let cfg = opts.operator.as_mut().unwrap();
    cfg.system_account = Some(chain.account.public_key());
    cfg.resolver = Some(ResolverConfig::Full {
        dir: "jwt".into(),
        allow_delete: false,
        hard_delete: false,
        limit: 0,
        interval_nanos: 0,
        timeout_nanos: 0,
    });
    let e = server(opts).err().unwrap();
    assert!(e.contains("no storage was opened for the full account resolver"), "{e}");
}

/// Account claims become the accounts table's options: exports, imports
/// (stream prefix, mapped local subject, service `to`), limits, default
/// permissions; token imports are skipped.
#[test]
fn test_jwt_account_claims_to_options() {
    let op = test_key(TestKeyKind::Operator, 1);
    let a = test_key(TestKeyKind::Account, 1);
    let mut ac = AccountClaims::new(&a.public_key());
    ac.nats.limits.conn = 3;
    ac.nats.limits.payload = 1024;
    ac.nats.exports.push(Export { subject: "s.>".into(), export_type: ExportType::Stream, ..Export::default() });
    ac.nats.exports.push(Export {
        subject: "svc".into(),
        export_type: ExportType::Service,
        response_type: "Stream".into(),
        ..Export::default()
    });
    ac.nats.imports.push(Import {
        subject: "x.>".into(),
        account: "AOTHER".into(),
        to: "pre".into(),
        import_type: ExportType::Stream,
        ..Import::default()
    });
    ac.nats.imports.push(Import {
        subject: "q".into(),
        account: "AOTHER".into(),
        local_subject: "local.q".into(),
        import_type: ExportType::Service,
        ..Import::default()
    });
    ac.nats.imports.push(Import {
        subject: "t".into(),
        account: "AOTHER".into(),
        token: "eyJ...".into(),
        import_type: ExportType::Stream,
        ..Import::default()
    });
    ac.nats.default_permissions.publish.allow = vec!["ok.>".into()];
    let jwt = encode_account(&mut ac, &op, T0_SECS).unwrap();
    let ac = crate::jwt::decode::decode_account_claims(&jwt).unwrap();
    let o = account_options(&ac);
    assert_eq!(o.name, a.public_key());
    assert_eq!(o.limits.max_connections, 3);
    assert_eq!(o.limits.max_payload, 1024);
    assert_eq!(o.limits.max_subscriptions, -1);
    assert_eq!(o.exports.len(), 2);
    assert_eq!(o.exports[1].response_type, crate::server::accounts::ResponseType::Stream);
    assert_eq!(o.imports.len(), 2, "the token import is skipped");
    let stream = o.imports.iter().find(|i| i.subject == "x.>").expect("stream import");
    assert_eq!(stream.prefix.as_deref(), Some("pre"), "{:?}", o.imports);
    let svc = o.imports.iter().find(|i| i.subject == "q").expect("service import");
    assert_eq!(svc.to.as_deref(), Some("local.q"));
    let dp = o.default_permissions.expect("default permissions");
    assert_eq!(dp.publish.unwrap().allow, vec!["ok.>".to_string()]);
    assert!(to_permissions(&Default::default()).is_none(), "no permissions at all is None");
}

/// The config keys reach `ServerOptions`: inline operator JWT, MEMORY
/// resolver, preload, and the system account taken from the operator.
#[test]
fn test_jwt_operator_config_apply() {
    let chain = TestChain::new(1, T0_SECS - 100).unwrap();
    let text = format!(
        "operator: \"{}\"\nresolver: MEMORY\nresolver_preload: {{ {}: \"{}\" }}\n",
        chain.operator_jwt,
        chain.account.public_key(),
        chain.account_jwt
    );
    let env = |_: &str| None;
    let mut include = |p: &str| Err(format!("no include {p}"));
    let map = crate::conf::parse(&text, "op.conf", &env, &mut include).unwrap();
    let mut o = ServerOptions::default();
    let warnings = crate::conf::apply_config(&map, &mut o).unwrap();
    assert!(warnings.is_empty(), "operator keys are supported now: {warnings:?}");
    let cfg = o.operator.as_ref().expect("operator mode");
    assert_eq!(cfg.resolver, Some(ResolverConfig::Memory));
    assert_eq!(cfg.resolver_preload, vec![(chain.account.public_key(), chain.account_jwt.clone())]);
    // The operator names a file: read through the callback.
    let text = "operator: \"op.jwt\"\nresolver: MEMORY\n";
    let map = crate::conf::parse(text, "op.conf", &env, &mut include).unwrap();
    let mut o = ServerOptions::default();
    let jwt = chain.operator_jwt.clone();
    let mut read = |name: &str| if name == "op.jwt" { Ok(jwt.clone()) } else { Err(format!("open {name}")) };
    crate::conf::apply_config_with_files(&map, &mut o, &mut read).unwrap();
    assert_eq!(o.operator.unwrap().operators[0].0, chain.operator_jwt);
}

/// Go's TestJWTAccountExpiresAfterConnect: when the account JWT expires,
/// its clients get `Account Authentication Expired` and are closed.
#[test]
fn test_jwt_account_expires_after_connect() {
    let chain = TestChain::new(1, T0_SECS - 100).unwrap();
    let mut ac = AccountClaims::new(&chain.account.public_key());
    ac.claims.expires = T0_SECS + 20;
    let acc_jwt = encode_account(&mut ac, &chain.operator, T0_SECS - 50).unwrap();
    let opts = operator_opts(&chain, vec![(chain.account.public_key(), acc_jwt)]);
    let mut s = server(opts).unwrap();
    let (_, out, closed) = login(&mut s, Instant::ZERO, &chain.user_jwt, &chain.user);
    assert_eq!((out.as_str(), closed), ("PONG\r\n", false));
    let before = Instant::ZERO + Duration::from_secs(19);
    s.handle_timeout(before);
    let (out, closed) = drain(&mut s, before);
    assert!(!closed && !out.contains("-ERR"), "{out}");
    let at = Instant::ZERO + Duration::from_secs(20);
    s.handle_timeout(at);
    let (out, closed) = drain(&mut s, at);
    assert!(closed);
    assert!(out.ends_with("-ERR 'Account Authentication Expired'\r\n"), "{out}");
    // A new user of the expired account is refused.
    let later = at + Duration::from_secs(1);
    let (_, out, closed) = login(&mut s, later, &chain.user_jwt, &chain.user);
    assert_eq!((out.as_str(), closed), ("-ERR 'Authorization Violation'\r\n", true));
}

/// An account JWT the accounts table refuses (a service import cycle) is
/// refused at CONNECT and leaves the other accounts working.
#[test]
fn test_jwt_bad_account_does_not_break_others() {
    let chain = TestChain::new(1, T0_SECS - 100).unwrap();
    let bad = test_key(TestKeyKind::Account, 5);
    let mut bc = AccountClaims::new(&bad.public_key());
    bc.nats.exports.push(Export { subject: "svc".into(), export_type: ExportType::Service, ..Export::default() });
    bc.nats.imports.push(Import {
        subject: "svc".into(),
        account: bad.public_key(),
        import_type: ExportType::Service,
        ..Import::default()
    });
    let bad_jwt = encode_account(&mut bc, &chain.operator, T0_SECS - 50).unwrap();
    let bad_user = test_key(TestKeyKind::User, 5);
    let bad_user_jwt = encode_user(&mut UserClaims::new(&bad_user.public_key()), &bad, T0_SECS - 5).unwrap();
    let third = test_key(TestKeyKind::Account, 6);
    let third_jwt = encode_account(&mut AccountClaims::new(&third.public_key()), &chain.operator, T0_SECS - 50).unwrap();
    let third_user = test_key(TestKeyKind::User, 6);
    let third_user_jwt = encode_user(&mut UserClaims::new(&third_user.public_key()), &third, T0_SECS - 5).unwrap();
    let opts = operator_opts(
        &chain,
        vec![
            (chain.account.public_key(), chain.account_jwt.clone()),
            (bad.public_key(), bad_jwt),
            (third.public_key(), third_jwt),
        ],
    );
    let mut s = server(opts).unwrap();
    let t = Instant::ZERO;
    let (good, out, _) = login(&mut s, t, &chain.user_jwt, &chain.user);
    assert_eq!(out, "PONG\r\n");
    s.handle_read(t, good, b"SUB foo 1\r\n");
    let (_, out, closed) = login(&mut s, t, &bad_user_jwt, &bad_user);
    assert_eq!((out.as_str(), closed), ("-ERR 'Authorization Violation'\r\n", true));
    s.handle_read(t, good, b"PUB foo 2\r\nhi\r\n");
    let (out, _) = drain(&mut s, t);
    assert_eq!(out, "MSG foo 1 2\r\nhi\r\n", "the good account still routes");
    let (_, out, _) = login(&mut s, t, &chain.user_jwt, &chain.user);
    assert_eq!(out, "PONG\r\n", "and still admits its users");
    let (_, out, _) = login(&mut s, t, &third_user_jwt, &third_user);
    assert_eq!(out, "PONG\r\n", "an account registered after the bad one works");
}

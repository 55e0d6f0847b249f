//! The official Python client, nats-py, against rnatsd.
//!
//! `.ci/run` installs nats-py and sets RNATSD_REQUIRE_PY=1, so in CI a
//! missing interpreter or module fails the test. Elsewhere the test says it
//! skipped.

mod common;

use common::{opts, start, url};

#[tokio::test]
async fn nats_py_core_messaging() {
    let have = std::process::Command::new("python3")
        .args(["-c", "import nats"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !have {
        assert!(
            std::env::var("RNATSD_REQUIRE_PY").is_err(),
            "nats-py is required (pip install nats-py)"
        );
        eprintln!("skipped: python3 with nats-py not available");
        return;
    }
    let s = start(opts()).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/core_client.py");
    let out = tokio::process::Command::new("python3").arg(script).arg(url(&s)).output().await.unwrap();
    assert!(
        out.status.success(),
        "nats-py checks failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("all checks passed"));
}

/// Runs `py/auth_client.py MODE URL ARGS...` and checks it passed.
async fn run_auth_script(mode: &str, s: &rnatsd_io_tokio::RunningServer, args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/auth_client.py");
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .arg(mode)
        .arg(url(s))
        .args(args)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "nats-py {mode} checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A script skips only for a missing optional module (nkeys); CI installs it.
    let skipped_ok = std::env::var("RNATSD_REQUIRE_PY").is_err() && stdout.contains("skipped:");
    assert!(stdout.contains("all checks passed") || skipped_ok, "{stdout}");
}

#[tokio::test]
async fn nats_py_user_password() {
    if !common::have_nats_py() {
        return;
    }
    let mut o = opts();
    o.username = Some("derek".into());
    o.password = Some("s3cr3t".into());
    let s = start(o).await;
    run_auth_script("userpass", &s, &["derek", "s3cr3t"]).await;
}

#[tokio::test]
async fn nats_py_token() {
    if !common::have_nats_py() {
        return;
    }
    let mut o = opts();
    o.authorization = Some("tok3n".into());
    let s = start(o).await;
    run_auth_script("token", &s, &["tok3n"]).await;
}

#[tokio::test]
async fn nats_py_nkey() {
    if !common::have_nats_py() {
        return;
    }
    let kp = nkeys::KeyPair::new_user();
    let mut o = opts();
    o.nkeys = vec![rnatsd_core::options::NkeyUser { nkey: kp.public_key(), permissions: None }];
    let s = start(o).await;
    run_auth_script("nkey", &s, &[&kp.seed().unwrap()]).await;
}

#[tokio::test]
async fn nats_py_accounts() {
    if !common::have_nats_py() {
        return;
    }
    let mut o = opts();
    let mut a = rnatsd_core::server::accounts::AccountOptions::new("A");
    a.users.push(rnatsd_core::options::User { username: "a".into(), password: "a".into(), permissions: None });
    let mut c = rnatsd_core::server::accounts::AccountOptions::new("C");
    c.users.push(rnatsd_core::options::User { username: "c".into(), password: "c".into(), permissions: None });
    o.accounts = vec![a, c];
    let s = start(o).await;
    run_auth_script("accounts", &s, &[]).await;
}

/// Go's TestJWTUser with a creds file through nats-py: connect, round trip,
/// a revoked user refused, another account isolated.
#[tokio::test]
async fn nats_py_jwt_creds() {
    use rnatsd_core::jwt::claims::{AccountClaims, OperatorClaims, UserClaims};
    use rnatsd_core::jwt::creds::format_user_config;
    use rnatsd_core::jwt::encode::{encode_account, encode_operator, encode_user, test_key, TestKeyKind};
    if !common::have_nats_py() {
        return;
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let op = test_key(TestKeyKind::Operator, 3);
    let mut oc = OperatorClaims::default();
    oc.claims.subject = op.public_key();
    let op_jwt = encode_operator(&mut oc, &op, now - 60).unwrap();
    let (a, b) = (test_key(TestKeyKind::Account, 31), test_key(TestKeyKind::Account, 32));
    let revoked = test_key(TestKeyKind::User, 32);
    let mut ac = AccountClaims::new(&a.public_key());
    ac.revoke_at(&revoked.public_key(), now);
    let a_jwt = encode_account(&mut ac, &op, now - 30).unwrap();
    let b_jwt = encode_account(&mut AccountClaims::new(&b.public_key()), &op, now - 30).unwrap();
    let dir = std::env::temp_dir().join(format!("rnatsd-py-jwt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = Vec::new();
    for (n, acc) in [(31u8, &a), (32, &a), (33, &b)] {
        let u = test_key(TestKeyKind::User, n);
        let jwt = encode_user(&mut UserClaims::new(&u.public_key()), acc, now - 10).unwrap();
        let p = dir.join(format!("u{n}.creds"));
        std::fs::write(&p, format_user_config(&jwt, &u.seed().unwrap())).unwrap();
        paths.push(p.display().to_string());
    }
    let text = format!(
        "operator: \"{op_jwt}\"\nresolver: MEMORY\nno_system_account: true\nresolver_preload: {{ {}: \"{a_jwt}\", {}: \"{b_jwt}\" }}\n",
        a.public_key(),
        b.public_key()
    );
    let env = |_: &str| None;
    let mut include = |p: &str| Err(format!("no include {p}"));
    let map = rnatsd_core::conf::parse(&text, "py.conf", &env, &mut include).unwrap();
    let mut o = opts();
    rnatsd_core::conf::apply_config(&map, &mut o).unwrap();
    o.host = "127.0.0.1".into();
    o.port = -1;
    let s = start(o).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/jwt_client.py");
    let out = tokio::process::Command::new("python3").arg(script).arg(url(&s)).args(&paths).output().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "nats-py jwt checks failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // A script skips only for a missing optional module (nkeys); CI installs it.
    let skipped_ok = std::env::var("RNATSD_REQUIRE_PY").is_err() && stdout.contains("skipped:");
    assert!(stdout.contains("all checks passed") || skipped_ok, "{stdout}");
}

/// Streams, key-value and object store through nats-py's JetStream API
/// (server/tests/py/js_streams.py), on a fresh store directory.
#[tokio::test]
async fn nats_py_jetstream_streams_kv_object_store() {
    let have = std::process::Command::new("python3")
        .args(["-c", "import nats.js"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !have {
        assert!(
            std::env::var("RNATSD_REQUIRE_PY").is_err(),
            "nats-py is required (pip install nats-py)"
        );
        eprintln!("skipped: python3 with nats-py not available");
        return;
    }
    let dir = std::env::temp_dir().join(format!("rnatsd-py-js-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut o = opts();
    o.jetstream.enabled = true;
    o.jetstream.store_dir = Some(dir.to_string_lossy().into_owned());
    let s = start(o).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/js_streams.py");
    let out = tokio::process::Command::new("python3").arg(script).arg(url(&s)).output().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "nats-py JetStream checks failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("all checks passed"));
}

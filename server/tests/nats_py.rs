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

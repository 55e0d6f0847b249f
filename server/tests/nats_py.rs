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

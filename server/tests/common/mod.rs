//! Shared helpers for integration tests: an in-process rnatsd on an
//! ephemeral loopback port, and a raw-TCP protocol client.
#![allow(dead_code)]

use std::time::Duration;

use rnatsd_core::options::ServerOptions;
use rnatsd_io_tokio::RunningServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub fn opts() -> ServerOptions {
    ServerOptions {
        host: "127.0.0.1".into(),
        port: -1,
        ..ServerOptions::default()
    }
}

pub async fn start(opts: ServerOptions) -> RunningServer {
    rnatsd_io_tokio::start(opts, 42)
        .await
        .expect("server starts")
}

pub fn url(s: &RunningServer) -> String {
    format!("nats://{}", s.client_addr)
}

/// A raw protocol connection for edge cases the official clients never send.
pub struct Raw {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
}

impl Raw {
    /// Connects and reads the INFO line.
    pub async fn connect(s: &RunningServer) -> (Raw, String) {
        let stream = TcpStream::connect(s.client_addr).await.expect("connect");
        let mut raw = Raw {
            stream,
            buf: Vec::new(),
        };
        let info = raw.read_line().await.expect("INFO line");
        assert!(info.starts_with("INFO {"), "first line is INFO: {info}");
        (raw, info)
    }

    pub async fn send(&mut self, data: &str) {
        self.stream.write_all(data.as_bytes()).await.expect("write");
    }

    /// Reads one CRLF-terminated line (without CRLF); None on EOF or after 5 s.
    pub async fn read_line(&mut self) -> Option<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..pos]).into_owned();
                self.buf.drain(..pos + 2);
                return Some(line);
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk))
                .await
                .ok()?
                .ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads exactly `n` bytes plus CRLF (a payload).
    pub async fn read_payload(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n + 2 {
            let mut chunk = [0u8; 4096];
            let r = tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut chunk))
                .await
                .expect("payload in time")
                .expect("read");
            assert!(r > 0, "EOF inside payload");
            self.buf.extend_from_slice(&chunk[..r]);
        }
        let p = self.buf[..n].to_vec();
        assert_eq!(&self.buf[n..n + 2], b"\r\n");
        self.buf.drain(..n + 2);
        p
    }

    /// True if the server closed the connection within 5 s (EOF or reset).
    pub async fn is_closed(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Err(_) => return false,
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Sends PING and returns every line up to the PONG.
    pub async fn flush(&mut self) -> Vec<String> {
        self.send("PING\r\n").await;
        let mut lines = Vec::new();
        while let Some(l) = self.read_line().await {
            if l == "PONG" {
                return lines;
            }
            lines.push(l);
        }
        panic!("no PONG; got {lines:?}");
    }
}

pub fn info_json(info: &str) -> serde_json::Value {
    let json = info.trim_start_matches("INFO ").trim();
    serde_json::from_str(json).expect("INFO is JSON")
}

/// A fresh JetStream store directory under the system temp dir, removed on drop.
pub struct StoreDir(pub std::path::PathBuf);

impl StoreDir {
    pub fn new() -> StoreDir {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("rnatsd-test-store-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        StoreDir(p)
    }
}

impl Drop for StoreDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server with JetStream on, storing in `dir`.
pub async fn start_js(dir: &StoreDir) -> RunningServer {
    let mut opts = opts();
    opts.jetstream.enabled = true;
    opts.jetstream.store_dir = Some(dir.0.to_string_lossy().into_owned());
    start(opts).await
}

/// True when python3 with nats-py is available. Without it a test skips,
/// except in CI (`RNATSD_REQUIRE_PY` set), where it fails.
pub fn have_nats_py() -> bool {
    let have = std::process::Command::new("python3")
        .args(["-c", "import nats"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !have {
        assert!(std::env::var("RNATSD_REQUIRE_PY").is_err(), "nats-py is required (pip install nats-py)");
        eprintln!("skipped: python3 with nats-py not available");
    }
    have
}

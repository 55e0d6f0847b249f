//! JetStream rows: durable publish to a file stream, with a fixed number of
//! publishes waiting for their PubAck (1, or a window such as 256).
//!
//! The client speaks the protocol directly, like the other rows: every
//! publish is `PUB bench.js <inbox> 128`, and acks arrive on one inbox
//! subscription. Each server gets its own temporary store directory, removed
//! after the run. The run ends by asking `$JS.API.STREAM.INFO` for the
//! stream's message count, which must equal the number of acks received (an
//! error reply would not have stored a message).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{RunLimits, Sample};
use crate::conn::{payload, pub_batch, NatsConn};
use crate::error::{BenchError, BenchResult};
use crate::server::{RunningServer, ServerSpec};

const STREAM: &str = "BENCH";
const SUBJECT: &str = "bench.js";
const ACK_INBOX: &str = "_INBOX.jsbench.ack";
/// Longest a single control request (create, info) may take.
const REQUEST_MAX: Duration = Duration::from_secs(10);

/// A temporary JetStream store directory, removed on drop.
pub struct StoreDir(PathBuf);

impl StoreDir {
    pub fn new() -> BenchResult<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("rnatsd-bench-js-{}-{n}", std::process::id()));
        // A leftover from an earlier, killed bench would skew the run.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .map_err(|e| BenchError::new(format!("{}: {e}", path.display())))?;
        Ok(StoreDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for StoreDir {
    fn drop(&mut self) {
        // Best effort: a failure leaves a directory in $TMPDIR, nothing worse.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts `spec` with JetStream on and a fresh store directory, runs one
/// windowed publish, and stops it. Returns `[msgs/s]`.
///
/// With `sync_interval` `None` the server runs `-js -sd <dir>`, its default.
/// With `Some(v)` it gets a config file
/// `jetstream { store_dir: "<dir>", sync_interval: v }` instead (`"2m"`:
/// acks no longer wait for fsync; `"always"`: Go fsyncs every write before
/// the ack). A server that rejects the option (Go 2.9.10 does) fails the run
/// with a message saying so.
pub fn run_server(
    spec: &ServerSpec,
    payload_len: usize,
    in_flight: u64,
    warm: u64,
    count: u64,
    sync_interval: Option<&str>,
    limits: RunLimits,
) -> BenchResult<Sample> {
    let dir = StoreDir::new()?;
    // The store lives one level down, so the config file and the server's
    // log sit next to it and not inside it.
    let store = dir.path().join("store");
    std::fs::create_dir_all(&store)
        .map_err(|e| BenchError::new(format!("{}: {e}", store.display())))?;
    let sd = store.to_string_lossy().into_owned();
    let conf = dir.path().join("js.conf");
    let conf_path = conf.to_string_lossy().into_owned();
    let log = dir.path().join("server.log");
    let args: Vec<&str> = match sync_interval {
        Some(interval) => {
            std::fs::write(&conf, js_config(&sd, interval))
                .map_err(|e| BenchError::new(format!("{}: {e}", conf.display())))?;
            vec!["-c", &conf_path]
        }
        None => vec!["-js", "-sd", &sd],
    };
    let mut server = match RunningServer::start_logged(spec, &args, &log) {
        Ok(server) => server,
        Err(e) => {
            let stderr = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(startup_error(e, &stderr, sync_interval));
        }
    };
    let sample = run(server.addr, payload_len, in_flight, warm, count, limits);
    let alive = server.check_alive();
    server.stop();
    drop(dir);
    let sample = sample?;
    alive?;
    Ok(sample)
}

/// The config file for a store in `store_dir` with the given `sync_interval`
/// (`"2m"`, `"always"`).
fn js_config(store_dir: &str, sync_interval: &str) -> String {
    format!("jetstream {{\n  store_dir: {store_dir:?}\n  sync_interval: {sync_interval:?}\n}}\n")
}

/// Explains a server that did not start: when a `sync_interval` was asked
/// for and the server's output names it (Go before 2.10 says
/// `unknown field "sync_interval"`), the option is unsupported; otherwise the
/// start error plus the last line the server printed.
fn startup_error(err: BenchError, stderr: &str, sync_interval: Option<&str>) -> BenchError {
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
    if let Some(interval) = sync_interval {
        if stderr.contains("sync_interval") {
            return BenchError::new(format!(
                "this server does not support sync_interval (needed for sync_interval: {interval}); \
                 for Go use a current release: bash bench/install-go-server.sh, then \
                 --compare target/go-nats-server/2.12.1/nats-server ({})",
                last.unwrap_or("").trim()
            ));
        }
    }
    match last {
        Some(line) => BenchError::new(format!("{err}: {}", line.trim())),
        None => err,
    }
}

/// Creates the stream, publishes `warm` then `count` messages keeping at most
/// `in_flight` unacknowledged, and times the second phase from the first
/// `PUB` to the last ack.
pub fn run(
    addr: SocketAddr,
    payload_len: usize,
    in_flight: u64,
    warm: u64,
    count: u64,
    limits: RunLimits,
) -> BenchResult<Sample> {
    assert!(in_flight > 0);
    let config = format!(
        "{{\"name\":\"{STREAM}\",\"subjects\":[\"{SUBJECT}\"],\"storage\":\"file\",\"retention\":\"limits\"}}"
    );
    let created = request(
        addr,
        &format!("$JS.API.STREAM.CREATE.{STREAM}"),
        config.as_bytes(),
    )?;
    check_api_reply("stream create", &created)?;

    let start = Instant::now();
    let mut conn = NatsConn::connect(
        addr,
        format!("SUB {ACK_INBOX} 1\r\n").as_bytes(),
        limits.hard_deadline(start),
    )?;
    let frame = pub_batch(SUBJECT, Some(ACK_INBOX), &payload(payload_len), 1);
    let window = pub_batch(
        SUBJECT,
        Some(ACK_INBOX),
        &payload(payload_len),
        in_flight as usize,
    );
    let mut pump = AckPump {
        frame_len: frame.len(),
        window,
        in_flight,
    };
    let warmed = pump.publish(
        &mut conn,
        warm,
        limits.deadline(start),
        limits.hard_deadline(start),
    )?;

    let t0 = Instant::now();
    let acked = pump.publish(
        &mut conn,
        count,
        limits.deadline(t0),
        limits.hard_deadline(t0),
    )?;
    let secs = t0.elapsed().as_secs_f64();
    conn.shutdown();

    let info = request(addr, &format!("$JS.API.STREAM.INFO.{STREAM}"), b"")?;
    check_api_reply("stream info", &info)?;
    let stored = json_u64_after(&info, "\"messages\":")
        .ok_or_else(|| BenchError::new("stream info without state.messages"))?;
    if stored != warmed + acked {
        return Err(BenchError::new(format!(
            "stream holds {stored} messages but {} publishes were acknowledged",
            warmed + acked
        )));
    }
    Ok(Sample {
        values: vec![acked as f64 / secs],
        capped: acked < count,
    })
}

/// Keeps `in_flight` publishes outstanding and counts acks.
struct AckPump {
    frame_len: usize,
    /// `in_flight` copies of the publish frame.
    window: Vec<u8>,
    in_flight: u64,
}

impl AckPump {
    /// Publishes up to `count` messages (stopping new publishes at
    /// `deadline`), waits for every ack (until `hard`), and returns the number
    /// acknowledged.
    fn publish(
        &mut self,
        conn: &mut NatsConn,
        count: u64,
        deadline: Instant,
        hard: Instant,
    ) -> BenchResult<u64> {
        let mut sent = 0u64;
        let mut acked = 0u64;
        let read_wait = Some(Duration::from_secs(5));
        while acked < sent || (sent < count && Instant::now() < deadline) {
            let room = self.in_flight - (sent - acked);
            let n = room.min(count - sent);
            if n > 0 && Instant::now() < deadline {
                // n <= in_flight, so the slice is within the window.
                conn.write_all(&self.window[..n as usize * self.frame_len])?;
                sent += n;
            }
            if Instant::now() >= hard {
                return Err(BenchError::new(format!(
                    "{} acks still missing at the hard deadline",
                    sent - acked
                )));
            }
            let stats = conn.read_some(read_wait, |_| {})?;
            if !stats.open {
                return Err(BenchError::new("server closed the publisher connection"));
            }
            acked += stats.msgs;
            if acked > sent {
                return Err(BenchError::new("more acks than publishes"));
            }
        }
        Ok(acked)
    }
}

/// Fails if a `$JS.API` reply carries an `error`.
fn check_api_reply(what: &str, reply: &[u8]) -> BenchResult<()> {
    let text = String::from_utf8_lossy(reply);
    if text.contains("\"error\"") {
        return Err(BenchError::new(format!("{what} failed: {text}")));
    }
    Ok(())
}

/// The unsigned number right after `key` in a JSON text.
fn json_u64_after(json: &[u8], key: &str) -> Option<u64> {
    let text = std::str::from_utf8(json).ok()?;
    let at = text.find(key)? + key.len();
    let digits: String = text[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// One request on its own connection: returns the reply payload (headers
/// included, if any). Blocking and bounded by [`REQUEST_MAX`].
pub fn request(addr: SocketAddr, subject: &str, body: &[u8]) -> BenchResult<Vec<u8>> {
    let deadline = Instant::now() + REQUEST_MAX;
    let mut stream = TcpStream::connect_timeout(&addr, REQUEST_MAX)?;
    stream.set_read_timeout(Some(REQUEST_MAX))?;
    stream.set_write_timeout(Some(REQUEST_MAX))?;
    let inbox = "_INBOX.jsbench.req";
    let mut out = crate::conn::CONNECT_LINE.to_vec();
    out.extend_from_slice(format!("SUB {inbox} 1\r\n").as_bytes());
    out.extend_from_slice(&pub_batch(subject, Some(inbox), body, 1));
    stream.write_all(&out)?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(payload) = parse_first_msg(&buf)? {
            return Ok(payload);
        }
        if Instant::now() >= deadline {
            return Err(BenchError::new(format!("no reply to {subject}")));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(BenchError::new(format!(
                "connection closed waiting for {subject}"
            )));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The payload of the first complete `MSG`/`HMSG` in `buf`, skipping other
/// control lines; `None` if more bytes are needed.
fn parse_first_msg(buf: &[u8]) -> BenchResult<Option<Vec<u8>>> {
    let mut at = 0;
    while let Some(end) = find_crlf(&buf[at..]) {
        let line = &buf[at..at + end];
        let body_at = at + end + 2;
        let text = String::from_utf8_lossy(line);
        if text.starts_with("-ERR") {
            return Err(BenchError::new(format!("server sent {text}")));
        }
        if text.starts_with("MSG ") || text.starts_with("HMSG ") {
            let len: usize = text
                .split_whitespace()
                .last()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| BenchError::new(format!("bad line {text:?}")))?;
            if buf.len() < body_at + len {
                return Ok(None);
            }
            return Ok(Some(buf[body_at..body_at + len].to_vec()));
        }
        at = body_at;
    }
    Ok(None)
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_numbers_in_json() {
        let info = br#"{"type":"x","state":{"messages": 42,"bytes":9}}"#;
        assert_eq!(json_u64_after(info, "\"messages\":"), Some(42));
        assert_eq!(json_u64_after(info, "\"nope\":"), None);
    }

    #[test]
    fn parses_first_msg_payload_across_splits() {
        let wire = b"INFO {}\r\n+OK\r\nMSG _INBOX.x 1 5\r\nhello\r\n";
        assert_eq!(parse_first_msg(&wire[..20]).unwrap(), None);
        assert_eq!(parse_first_msg(&wire[..wire.len() - 4]).unwrap(), None);
        assert_eq!(parse_first_msg(wire).unwrap(), Some(b"hello".to_vec()));
        let hmsg = b"HMSG _INBOX.x 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n";
        assert_eq!(
            parse_first_msg(hmsg).unwrap(),
            Some(b"NATS/1.0\r\n\r\nhi".to_vec())
        );
        assert!(parse_first_msg(b"-ERR 'boom'\r\n").is_err());
    }

    #[test]
    fn config_file_names_store_dir_and_sync_interval() {
        assert_eq!(
            js_config("/tmp/x y/store", "always"),
            "jetstream {\n  store_dir: \"/tmp/x y/store\"\n  sync_interval: \"always\"\n}\n"
        );
    }

    #[test]
    fn startup_error_explains_unsupported_sync_interval() {
        let go_2_9 = "nats-server: /tmp/js.conf:3:3: unknown field \"sync_interval\"\n";
        let e = startup_error(BenchError::new("exited"), go_2_9, Some("always"));
        assert!(e.0.contains("does not support sync_interval"), "{e}");
        assert!(e.0.contains("install-go-server.sh"), "{e}");
        assert!(e.0.contains("unknown field"), "{e}");
        // Without a sync_interval asked for, the server's own last line is kept.
        let e = startup_error(BenchError::new("exited"), "boom\n\n", None);
        assert_eq!(e.0, "exited: boom");
        let e = startup_error(BenchError::new("exited"), "other failure\n", Some("always"));
        assert_eq!(e.0, "exited: other failure");
        assert_eq!(
            startup_error(BenchError::new("exited"), "", None).0,
            "exited"
        );
    }

    #[test]
    fn reply_errors_are_detected() {
        assert!(check_api_reply("x", br#"{"error":{"code":400}}"#).is_err());
        assert!(check_api_reply("x", br#"{"type":"io.nats"}"#).is_ok());
    }
}

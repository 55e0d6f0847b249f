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

/// Starts `spec` with JetStream on (`-js -sd <fresh dir>`), runs one
/// windowed publish, and stops it. Returns `[msgs/s]`. With `lazy_sync`,
/// the server gets a config file with `sync_interval: "2m"` instead (acks
/// no longer wait for fsync); only rnatsd is started that way, since Go
/// 2.9.10 rejects the option and syncs lazily by default.
pub fn run_server(
    spec: &ServerSpec,
    payload_len: usize,
    in_flight: u64,
    warm: u64,
    count: u64,
    lazy_sync: bool,
    limits: RunLimits,
) -> BenchResult<Sample> {
    let dir = StoreDir::new()?;
    let sd = dir.path().to_string_lossy().into_owned();
    let conf = dir.path().join("lazy.conf");
    let conf_text = format!("jetstream {{\n  store_dir: {sd:?}\n  sync_interval: \"2m\"\n}}\n");
    let conf_path = conf.to_string_lossy().into_owned();
    let args: Vec<&str> = if lazy_sync {
        std::fs::write(&conf, conf_text)
            .map_err(|e| BenchError::new(format!("{}: {e}", conf.display())))?;
        vec!["-c", &conf_path]
    } else {
        vec!["-js", "-sd", &sd]
    };
    let mut server = RunningServer::start_with_args(spec, &args)?;
    let sample = run(server.addr, payload_len, in_flight, warm, count, limits);
    let alive = server.check_alive();
    server.stop();
    drop(dir);
    let sample = sample?;
    alive?;
    Ok(sample)
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
    fn reply_errors_are_detected() {
        assert!(check_api_reply("x", br#"{"error":{"code":400}}"#).is_err());
        assert!(check_api_reply("x", br#"{"type":"io.nats"}"#).is_ok());
    }
}

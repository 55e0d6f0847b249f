//! Row `pull`: JetStream pull consumption with explicit acks. A file stream
//! is filled (untimed, every publish acknowledged), a durable pull consumer
//! with `ack_policy: explicit` is created, then one client repeatedly asks
//! for a batch of 100, and acks every message (`+ACK`, no reply) before the
//! next request. The figure is messages consumed and acked per second.
//!
//! The server runs with `-js -sd <temp dir>` (see [`crate::server`]).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{RunLimits, Sample};
use crate::conn::{payload, pub_batch, NatsConn};
use crate::error::{BenchError, BenchResult};
use crate::scanner::Frame;

pub const BATCH: u64 = 100;
const STREAM: &str = "BENCH";
const SUBJECT: &str = "bench.js";
const API_INBOX: &str = "_INBOX.bench.api";
const PULL_INBOX: &str = "_INBOX.bench.pull";
const PUBACK_INBOX: &str = "_INBOX.bench.pa";
/// Publishes in flight while filling the stream.
const FILL_WINDOW: u64 = 2_000;

/// Fills a stream with `warm + count` messages, then times consuming
/// `count` after consuming `warm` untimed. Returns `[msgs/s]`.
pub fn run(
    addr: SocketAddr,
    payload_len: usize,
    warm: u64,
    count: u64,
    limits: RunLimits,
) -> BenchResult<Sample> {
    // Every phase (setup, warm-up, timed) gets the time cap plus grace.
    let phase = || limits.hard_deadline(Instant::now());
    let subs = format!("SUB {API_INBOX} 1\r\nSUB {PULL_INBOX} 2\r\nSUB {PUBACK_INBOX} 3\r\n");
    let mut conn = NatsConn::connect(addr, subs.as_bytes(), phase())?;
    let stream = format!(
        "{{\"name\":\"{STREAM}\",\"subjects\":[\"{SUBJECT}\"],\"storage\":\"file\",\"retention\":\"limits\"}}"
    );
    let subject = format!("$JS.API.STREAM.CREATE.{STREAM}");
    api(&mut conn, &subject, &stream, phase())?;
    fill(&mut conn, payload_len, warm + count, phase())?;
    let consumer = format!(
        "{{\"stream_name\":\"{STREAM}\",\"config\":{{\"durable_name\":\"C\",\"ack_policy\":\"explicit\",\"max_ack_pending\":10000}}}}"
    );
    let subject = format!("$JS.API.CONSUMER.DURABLE.CREATE.{STREAM}.C");
    api(&mut conn, &subject, &consumer, phase())?;
    let t = Instant::now();
    consume_until(&mut conn, warm, limits.deadline(t), limits.hard_deadline(t))?;
    let t0 = Instant::now();
    let deadline = limits.deadline(t0);
    let (done, capped) = consume_until(&mut conn, count, deadline, limits.hard_deadline(t0))?;
    let secs = t0.elapsed().as_secs_f64().max(1e-9);
    Ok(Sample {
        values: vec![done as f64 / secs],
        capped,
    })
}

/// Sends an API request and waits for its reply (its body is not checked
/// here: a failed create shows up as a stall in the next step).
fn api(conn: &mut NatsConn, subject: &str, body: &str, hard: Instant) -> BenchResult<()> {
    conn.write_all(&pub_batch(subject, Some(API_INBOX), body.as_bytes(), 1))?;
    loop {
        let mut got = false;
        let stats = conn.read_some(Some(remaining(hard)?), |f| {
            if let Frame::Msg { sid, .. } = f {
                got |= sid == b"1";
            }
        })?;
        if got {
            return Ok(());
        }
        if !stats.open {
            return Err(BenchError::new("server closed the connection"));
        }
    }
}

/// Publishes `n` messages with a window of unacknowledged ones.
fn fill(conn: &mut NatsConn, payload_len: usize, n: u64, hard: Instant) -> BenchResult<()> {
    let body = payload(payload_len);
    let one = pub_batch(SUBJECT, Some(PUBACK_INBOX), &body, 1);
    let (mut sent, mut acked) = (0u64, 0u64);
    while acked < n {
        let room = (n - sent).min(FILL_WINDOW - (sent - acked));
        if room > 0 {
            conn.write_all(&one.repeat(room as usize))?;
            sent += room;
        }
        let stats = conn.read_some(Some(remaining(hard)?), |f| {
            if let Frame::Msg { sid, .. } = f {
                acked += u64::from(sid == b"3");
            }
        })?;
        if !stats.open {
            return Err(BenchError::new("server closed the connection"));
        }
    }
    Ok(())
}

/// Pulls batches of [`BATCH`] and acks each message until `n` were
/// consumed or `deadline` passed. Returns (consumed, capped).
fn consume_until(
    conn: &mut NatsConn,
    n: u64,
    deadline: Instant,
    hard: Instant,
) -> BenchResult<(u64, bool)> {
    let request = pub_batch(
        &format!("$JS.API.CONSUMER.MSG.NEXT.{STREAM}.C"),
        Some(PULL_INBOX),
        format!("{{\"batch\":{BATCH},\"expires\":5000000000}}").as_bytes(),
        1,
    );
    let mut done = 0u64;
    while done < n {
        if Instant::now() >= deadline {
            return Ok((done, true));
        }
        conn.write_all(&request)?;
        let want = BATCH.min(n - done);
        let mut acks: Vec<u8> = Vec::with_capacity(want as usize * 64);
        let mut got = 0u64;
        while got < want {
            let stats = conn.read_some(Some(remaining(hard)?), |f| {
                if let Frame::Msg {
                    sid,
                    reply: Some(ack),
                    ..
                } = f
                {
                    if sid == b"2" && ack.starts_with(b"$JS.ACK.") {
                        acks.extend_from_slice(b"PUB ");
                        acks.extend_from_slice(ack);
                        acks.extend_from_slice(b" 0\r\n\r\n");
                        got += 1;
                    }
                }
            })?;
            if !stats.open {
                return Err(BenchError::new("server closed the connection"));
            }
        }
        conn.write_all(&acks)?;
        done += got;
    }
    Ok((done, false))
}

fn remaining(deadline: Instant) -> BenchResult<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| BenchError::new("timed out"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_request_is_one_pub_frame() {
        let r = pub_batch(
            "$JS.API.CONSUMER.MSG.NEXT.BENCH.C",
            Some(PULL_INBOX),
            b"{\"batch\":100}",
            1,
        );
        assert!(r.starts_with(b"PUB $JS.API.CONSUMER.MSG.NEXT.BENCH.C _INBOX.bench.pull 13\r\n"));
    }
}

//! Row 5: request/reply round-trip latency. One requester sends sequential
//! requests; one responder on its own connection answers each.

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use super::{RunLimits, Sample};
use crate::conn::{payload, pub_batch, NatsConn};
use crate::error::{BenchError, BenchResult};
use crate::scanner::Frame;

const REQUEST_SUBJECT: &str = "bench.req";
const INBOX: &str = "_INBOX.bench.reply";

/// Times `count` round trips after `warm` untimed ones. Returns `[p50 µs,
/// p99 µs]`.
pub fn run(
    addr: SocketAddr,
    payload_len: usize,
    warm: u64,
    count: u64,
    limits: RunLimits,
) -> BenchResult<Sample> {
    let start = Instant::now();
    let hard = limits.hard_deadline(start);
    let responder = NatsConn::connect(
        addr,
        format!("SUB {REQUEST_SUBJECT} 1\r\n").as_bytes(),
        hard,
    )?;
    let responder_socket = responder.shutdown_handle()?;
    let body = payload(payload_len);
    let reply_body = body.clone();
    let responder_thread = thread::spawn(move || respond(responder, &reply_body));

    let result = request_loop(addr, &body, warm, count, limits);
    // Closing the socket ends the responder's blocking read.
    let _ = responder_socket.shutdown(std::net::Shutdown::Both);
    let responder_result = responder_thread
        .join()
        .unwrap_or_else(|_| Err(BenchError::new("responder thread panicked")));
    let (samples, capped) = result?;
    if samples.is_empty() {
        responder_result?;
        return Err(BenchError::new("no request completed"));
    }
    Ok(Sample {
        values: vec![
            percentile_micros(&samples, 50),
            percentile_micros(&samples, 99),
        ],
        capped,
    })
}

fn request_loop(
    addr: SocketAddr,
    body: &[u8],
    warm: u64,
    count: u64,
    limits: RunLimits,
) -> BenchResult<(Vec<Duration>, bool)> {
    let start = Instant::now();
    let mut conn = NatsConn::connect(
        addr,
        format!("SUB {INBOX} 1\r\n").as_bytes(),
        limits.hard_deadline(start),
    )?;
    let request = pub_batch(REQUEST_SUBJECT, Some(INBOX), body, 1);
    // One fixed read timeout for every request: no per-read setsockopt.
    let per_request = Some(limits.grace.max(Duration::from_secs(1)));
    let deadline = limits.deadline(start);
    let mut samples = Vec::with_capacity(count as usize);
    for i in 0..warm + count {
        if Instant::now() >= deadline {
            return Ok((samples, true));
        }
        let t = Instant::now();
        conn.write_all(&request)?;
        loop {
            let stats = conn.read_some(per_request, |_| {})?;
            if !stats.open {
                return Err(BenchError::new("server closed the requester connection"));
            }
            if stats.msgs > 0 {
                break;
            }
        }
        if i >= warm {
            samples.push(t.elapsed());
        }
    }
    conn.shutdown();
    Ok((samples, false))
}

/// Responder thread body: answer every request on its reply subject, one
/// `write` per read.
fn respond(mut conn: NatsConn, body: &[u8]) -> BenchResult<()> {
    let size_suffix = format!(" {}\r\n", body.len());
    let mut out = Vec::new();
    loop {
        let stats = match conn.read_some(None, |frame| {
            if let Frame::Msg {
                reply: Some(reply), ..
            } = frame
            {
                out.extend_from_slice(b"PUB ");
                out.extend_from_slice(reply);
                out.extend_from_slice(size_suffix.as_bytes());
                out.extend_from_slice(body);
                out.extend_from_slice(b"\r\n");
            }
        }) {
            Ok(stats) => stats,
            // Shutdown by the requester side surfaces as an error or EOF.
            Err(_) => return Ok(()),
        };
        if !stats.open {
            return Ok(());
        }
        if !out.is_empty() {
            conn.write_all(&out)?;
            out.clear();
        }
    }
}

/// Nearest-rank percentile of `samples`, in microseconds.
pub fn percentile_micros(samples: &[Duration], pct: usize) -> f64 {
    assert!(!samples.is_empty() && pct <= 100);
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1].as_secs_f64() * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        assert_eq!(percentile_micros(&samples, 50), 50.0);
        assert_eq!(percentile_micros(&samples, 99), 99.0);
        assert_eq!(percentile_micros(&samples, 100), 100.0);
        assert_eq!(percentile_micros(&[Duration::from_micros(7)], 99), 7.0);
        let three = [
            Duration::from_micros(3),
            Duration::from_micros(1),
            Duration::from_micros(2),
        ];
        assert_eq!(percentile_micros(&three, 50), 2.0);
    }
}

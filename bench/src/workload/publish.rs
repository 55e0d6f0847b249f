//! Row 1: publish-only throughput (one publisher, no subscribers).

use std::net::SocketAddr;
use std::time::Instant;

use super::{msgs_per_chunk, pub_frame_len, RunLimits, Sample};
use crate::conn::{payload, pub_batch, NatsConn};
use crate::error::BenchResult;

const SUBJECT: &str = "bench.pub";

/// Publishes `warm` messages, flushes, then times `count` messages up to the
/// PONG that follows them. Returns msgs/s.
pub fn run(
    addr: SocketAddr,
    payload_len: usize,
    warm: u64,
    count: u64,
    limits: RunLimits,
) -> BenchResult<Sample> {
    let start = Instant::now();
    let mut conn = NatsConn::connect(addr, b"", limits.hard_deadline(start))?;
    let mut publisher = Publisher::new(SUBJECT, payload_len);
    publisher.publish(&mut conn, warm, limits.deadline(start), |_| true)?;
    conn.flush_barrier(limits.hard_deadline(start))?;

    let t0 = Instant::now();
    let sent = publisher.publish(&mut conn, count, limits.deadline(t0), |_| true)?;
    conn.flush_barrier(limits.hard_deadline(t0))?;
    let secs = t0.elapsed().as_secs_f64();
    conn.shutdown();
    Ok(Sample {
        values: vec![sent as f64 / secs],
        capped: sent < count,
    })
}

/// Writes pre-built chunks of PUB frames.
pub struct Publisher {
    chunk: Vec<u8>,
    chunk_msgs: u64,
    frame_len: usize,
}

impl Publisher {
    pub fn new(subject: &str, payload_len: usize) -> Self {
        let frame_len = pub_frame_len(subject, payload_len);
        let chunk_msgs = msgs_per_chunk(frame_len);
        let chunk = pub_batch(subject, None, &payload(payload_len), chunk_msgs);
        Publisher {
            chunk,
            chunk_msgs: chunk_msgs as u64,
            frame_len,
        }
    }

    /// Publishes up to `count` messages, stopping early once `deadline`
    /// passes. Before each chunk, `may_send(sent_so_far)` must return true (used for
    /// flow control); while it returns false the publisher waits briefly.
    /// Returns how many messages were written.
    pub fn publish(
        &mut self,
        conn: &mut NatsConn,
        count: u64,
        deadline: Instant,
        mut may_send: impl FnMut(u64) -> bool,
    ) -> BenchResult<u64> {
        let mut sent = 0;
        while sent < count {
            if Instant::now() >= deadline {
                break;
            }
            if !may_send(sent) {
                std::thread::sleep(std::time::Duration::from_micros(100));
                continue;
            }
            let n = self.chunk_msgs.min(count - sent);
            // n <= chunk_msgs, so the slice is within the chunk.
            conn.write_all(&self.chunk[..n as usize * self.frame_len])?;
            sent += n;
        }
        Ok(sent)
    }

    pub fn chunk_msgs(&self) -> u64 {
        self.chunk_msgs
    }
}

//! The workloads. Each runs against one freshly started server and returns a
//! [`Sample`]: one value per metric of its row.

pub mod delivery;
pub mod jetstream;
pub mod latency;
pub mod memory;
pub mod publish;
pub mod pull;

use std::time::{Duration, Instant};

/// One measurement of one row against one server.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub values: Vec<f64>,
    /// The time cap stopped the run before its message count was reached.
    pub capped: bool,
}

/// Limits shared by every run.
#[derive(Debug, Clone, Copy)]
pub struct RunLimits {
    /// Soft cap on a run's measured phase; publishing stops once it passes.
    pub time_cap: Duration,
    /// Extra time allowed after the cap to drain and flush.
    pub grace: Duration,
}

impl RunLimits {
    pub fn deadline(&self, start: Instant) -> Instant {
        start + self.time_cap
    }

    pub fn hard_deadline(&self, start: Instant) -> Instant {
        start + self.time_cap + self.grace
    }
}

/// Bytes of publish data per `write` call.
pub const WRITE_CHUNK_LEN: usize = 256 * 1024;

/// Messages per pre-built publish chunk for a given wire size per message.
pub fn msgs_per_chunk(frame_len: usize) -> usize {
    (WRITE_CHUNK_LEN / frame_len.max(1)).max(1)
}

/// Wire size of one `PUB <subject> <len>\r\n<payload>\r\n`.
pub fn pub_frame_len(subject: &str, payload_len: usize) -> usize {
    "PUB  \r\n\r\n".len() + subject.len() + payload_len.to_string().len() + payload_len
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::pub_batch;

    #[test]
    fn pub_frame_len_matches_built_frames() {
        for len in [0, 16, 128, 1024] {
            let built = pub_batch("bench.pub", None, &vec![b'x'; len], 1);
            assert_eq!(pub_frame_len("bench.pub", len), built.len());
        }
    }

    #[test]
    fn chunks_hold_at_least_one_message() {
        assert_eq!(msgs_per_chunk(WRITE_CHUNK_LEN * 2), 1);
        assert_eq!(msgs_per_chunk(1024), WRITE_CHUNK_LEN / 1024);
    }
}

//! Rows 2-4: one publisher delivering to subscribers, either every subscriber
//! getting every message (1:1 and fan-out) or a queue group sharing them.
//!
//! Subscribers run on their own threads and count `MSG` frames into atomics.
//! The publisher keeps at most a bounded window of undelivered messages in
//! flight, so neither server is pushed into slow-consumer handling; the
//! window is the same for both servers.

use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::publish::Publisher;
use super::{pub_frame_len, RunLimits, Sample};
use crate::conn::NatsConn;
use crate::error::{BenchError, BenchResult};

const SUBJECT: &str = "bench.sub";
const QUEUE: &str = "bench.q";
/// Bytes of undelivered messages the publisher may have in flight per subscriber.
const WINDOW_BYTES: usize = 8 * 1024 * 1024;
/// How often the publisher polls the subscribers' counters when waiting.
const POLL: Duration = Duration::from_millis(1);

/// How subscribers share the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every subscriber receives every message.
    FanOut,
    /// The subscribers form one queue group; each message goes to one of them.
    Queue,
}

/// Runs one delivery measurement. Returns `[total delivered msgs/s, msgs/s
/// per subscriber]`.
pub fn run(
    addr: SocketAddr,
    subs: usize,
    mode: Mode,
    payload_len: usize,
    warm: u64,
    count: u64,
    limits: RunLimits,
) -> BenchResult<Sample> {
    let start = Instant::now();
    let group = SubscriberGroup::start(addr, subs, mode, limits.hard_deadline(start))?;
    let result = measure(addr, &group, payload_len, warm, count, limits);
    let stopped = group.stop();
    let sample = result?;
    stopped?;
    Ok(sample)
}

fn measure(
    addr: SocketAddr,
    group: &SubscriberGroup,
    payload_len: usize,
    warm: u64,
    count: u64,
    limits: RunLimits,
) -> BenchResult<Sample> {
    let start = Instant::now();
    let mut conn = NatsConn::connect(addr, b"", limits.hard_deadline(start))?;
    conn.set_write_timeout(limits.time_cap + limits.grace)?;
    let mut publisher = Publisher::new(SUBJECT, payload_len);
    let frame_len = pub_frame_len(SUBJECT, payload_len);
    let window = (WINDOW_BYTES / frame_len).max(4 * publisher.chunk_msgs() as usize) as u64;

    // Warm-up, fully delivered before the clock starts.
    let deadline = limits.deadline(start);
    let warm_sent = publisher.publish(&mut conn, warm, deadline, |sent| {
        sent.saturating_sub(group.progress()) <= window
    })?;
    group.wait_progress(warm_sent, limits.hard_deadline(start))?;

    let t0 = Instant::now();
    let base_total = group.total();
    let sent = publisher.publish(&mut conn, count, limits.deadline(t0), |sent| {
        (warm_sent + sent).saturating_sub(group.progress()) <= window
    })?;
    let complete = group
        .wait_progress(warm_sent + sent, limits.hard_deadline(t0))
        .is_ok();
    let secs = t0.elapsed().as_secs_f64();
    let delivered = group.total() - base_total;
    conn.flush_barrier(limits.hard_deadline(t0))?;
    conn.shutdown();
    if complete {
        group.check_exact(warm_sent + sent)?;
    }
    let total_rate = delivered as f64 / secs;
    Ok(Sample {
        values: vec![total_rate, total_rate / group.len() as f64],
        capped: sent < count || !complete,
    })
}

/// Subscriber connections, each drained by its own counting thread.
struct SubscriberGroup {
    mode: Mode,
    counters: Vec<Arc<AtomicU64>>,
    sockets: Vec<TcpStream>,
    threads: Vec<JoinHandle<BenchResult<()>>>,
    stopping: Arc<AtomicBool>,
}

impl SubscriberGroup {
    fn start(addr: SocketAddr, subs: usize, mode: Mode, deadline: Instant) -> BenchResult<Self> {
        let sub_line = match mode {
            Mode::FanOut => format!("SUB {SUBJECT} 1\r\n"),
            Mode::Queue => format!("SUB {SUBJECT} {QUEUE} 1\r\n"),
        };
        let stopping = Arc::new(AtomicBool::new(false));
        let mut group = SubscriberGroup {
            mode,
            counters: Vec::new(),
            sockets: Vec::new(),
            threads: Vec::new(),
            stopping,
        };
        for _ in 0..subs {
            // connect() waits for PONG, so the SUB is registered on return.
            let conn = NatsConn::connect(addr, sub_line.as_bytes(), deadline)?;
            let counter = Arc::new(AtomicU64::new(0));
            group.sockets.push(conn.shutdown_handle()?);
            group.counters.push(Arc::clone(&counter));
            let stopping = Arc::clone(&group.stopping);
            group
                .threads
                .push(thread::spawn(move || count_msgs(conn, &counter, &stopping)));
        }
        Ok(group)
    }

    fn len(&self) -> usize {
        self.counters.len()
    }

    fn total(&self) -> u64 {
        self.counters
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// How many published messages are known to be fully delivered: for
    /// fan-out the slowest subscriber's count, for a queue group the total.
    fn progress(&self) -> u64 {
        match self.mode {
            Mode::FanOut => self
                .counters
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .min()
                .unwrap_or(0),
            Mode::Queue => self.total(),
        }
    }

    fn wait_progress(&self, target: u64, deadline: Instant) -> BenchResult<()> {
        while self.progress() < target {
            if Instant::now() >= deadline {
                return Err(BenchError::new(format!(
                    "delivered {} of {target} messages before the time cap",
                    self.progress()
                )));
            }
            if self.threads.iter().any(|t| t.is_finished()) {
                return Err(BenchError::new("a subscriber connection ended early"));
            }
            thread::sleep(POLL);
        }
        Ok(())
    }

    /// After a short settle, checks nothing was duplicated: each fan-out
    /// subscriber got exactly `published`, a queue group exactly `published`
    /// in total.
    fn check_exact(&self, published: u64) -> BenchResult<()> {
        thread::sleep(Duration::from_millis(50));
        let counts: Vec<u64> = self
            .counters
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let ok = match self.mode {
            Mode::FanOut => counts.iter().all(|&c| c == published),
            Mode::Queue => counts.iter().sum::<u64>() == published,
        };
        if ok {
            return Ok(());
        }
        Err(BenchError::new(format!(
            "{:?}: published {published}, subscribers received {counts:?}",
            self.mode
        )))
    }

    /// Closes the sockets, joins the threads, and reports the first
    /// subscriber error that happened before stopping.
    fn stop(self) -> BenchResult<()> {
        self.stopping.store(true, Ordering::SeqCst);
        for socket in &self.sockets {
            // Already-closed sockets are fine: the thread has exited.
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
        let mut first_err = Ok(());
        for thread in self.threads {
            let result = thread
                .join()
                .unwrap_or_else(|_| Err(BenchError::new("subscriber thread panicked")));
            if first_err.is_ok() {
                first_err = result;
            }
        }
        first_err
    }
}

/// Subscriber thread body: read and count until the socket is shut down.
fn count_msgs(mut conn: NatsConn, counter: &AtomicU64, stopping: &AtomicBool) -> BenchResult<()> {
    loop {
        match conn.read_some(None, |_| {}) {
            Ok(stats) => {
                counter.fetch_add(stats.msgs, Ordering::Relaxed);
                if !stats.open {
                    return if stopping.load(Ordering::SeqCst) {
                        Ok(())
                    } else {
                        Err(BenchError::new("server closed a subscriber connection"))
                    };
                }
            }
            Err(_) if stopping.load(Ordering::SeqCst) => return Ok(()),
            Err(e) => return Err(BenchError::new(format!("subscriber: {e}"))),
        }
    }
}

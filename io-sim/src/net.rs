//! Simulated networks.
//!
//! [`StreamNet`]: TCP-like byte streams between a client and a node. Bytes
//! arrive in order and exactly once, but split at random points (down to
//! single bytes), coalesced with neighbours, late, or not at all when the
//! connection is reset; a reader may stall for a while (a slow consumer).
//!
//! [`PacketNet`]: node-to-node datagrams (for clustering) that can be
//! dropped, duplicated, reordered, delayed, or blocked by symmetric and
//! one-way partitions.
//!
//! Neither holds an event queue: they return the virtual times at which the
//! harness must come back, and the harness schedules those.

use crate::faults::{FaultCounters, FaultKind};
use crate::prng::{range_inclusive, Prng, Ratio};
use bytes::{Bytes, BytesMut};
use rnatsd_core::time::Instant;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::Duration;

fn between(prng: &mut Prng, lo: Duration, hi: Duration) -> Duration {
    let (lo, hi) = (
        lo.as_nanos() as u64,
        hi.as_nanos().max(lo.as_nanos()) as u64,
    );
    Duration::from_nanos(range_inclusive(prng, lo, hi))
}

/// Fault rates of the byte streams.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    pub latency_min: Duration,
    pub latency_max: Duration,
    /// Per write: split into random fragments.
    pub split: Ratio,
    /// Per fragment boundary choice: cut to a single byte.
    pub tiny_fragment: Ratio,
    /// Per read: take only a prefix of what has arrived (a short read);
    /// otherwise everything that arrived is coalesced into one read.
    pub short_read: Ratio,
    /// Per write: the connection is reset.
    pub reset: Ratio,
    /// Per read: the reader stops reading for up to `slow_reader_max`.
    pub slow_reader: Ratio,
    pub slow_reader_max: Duration,
}

impl StreamConfig {
    /// In-order, prompt, whole writes; no faults.
    pub fn perfect() -> StreamConfig {
        StreamConfig {
            latency_min: Duration::from_micros(50),
            latency_max: Duration::from_micros(50),
            split: Ratio::NEVER,
            tiny_fragment: Ratio::NEVER,
            short_read: Ratio::NEVER,
            reset: Ratio::NEVER,
            slow_reader: Ratio::NEVER,
            slow_reader_max: Duration::ZERO,
        }
    }
}

impl fmt::Display for StreamConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "latency={:?}..{:?} split={} tiny={} short_read={} reset={} slow_reader={}(max {:?})",
            self.latency_min,
            self.latency_max,
            self.split,
            self.tiny_fragment,
            self.short_read,
            self.reset,
            self.slow_reader,
            self.slow_reader_max
        )
    }
}

/// A stream id (one simulated TCP connection).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId(pub u64);

/// Which way bytes flow.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dir {
    ToServer,
    ToClient,
}

#[derive(Debug, Default)]
struct Pipe {
    in_flight: VecDeque<(Instant, Bytes)>,
    bytes: usize,
    last_arrival: Instant,
    paused_until: Instant,
    /// The reader stalled and has not caught up yet (read everything in
    /// flight) since: it does not stall again until then (a slow reader is
    /// slow, not stuck).
    resumed: bool,
}

#[derive(Debug, Default)]
struct Stream {
    to_server: Pipe,
    to_client: Pipe,
    /// Shut down: no new writes; readers drain what is in flight, then see
    /// the end of the stream.
    closing: bool,
}

impl Stream {
    fn pipe(&mut self, dir: Dir) -> &mut Pipe {
        match dir {
            Dir::ToServer => &mut self.to_server,
            Dir::ToClient => &mut self.to_client,
        }
    }
}

/// What a write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Accepted; the reader should be woken at these times (ascending).
    Arrives(Vec<Instant>),
    /// The connection was reset (now or before); nothing was sent.
    Reset,
}

/// What a read found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// Bytes, and when to read again if more is waiting.
    Data(Bytes, Option<Instant>),
    /// Nothing has arrived yet.
    Nothing,
    /// The reader stalls; come back at this time.
    Stalled(Instant),
    /// The connection is gone.
    Reset,
}

/// All client byte streams of a simulation.
#[derive(Debug)]
pub struct StreamNet {
    config: StreamConfig,
    prng: Prng,
    counters: FaultCounters,
    streams: BTreeMap<StreamId, Stream>,
    next_id: u64,
}

impl StreamNet {
    pub fn new(seed: u64, config: StreamConfig) -> StreamNet {
        StreamNet {
            config,
            prng: Prng::from_seed(seed),
            counters: FaultCounters::default(),
            streams: BTreeMap::new(),
            next_id: 1,
        }
    }

    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    pub fn counters(&self) -> &FaultCounters {
        &self.counters
    }

    pub fn connect(&mut self) -> StreamId {
        let id = StreamId(self.next_id);
        self.next_id += 1;
        self.streams.insert(id, Stream::default());
        id
    }

    pub fn is_open(&self, id: StreamId) -> bool {
        self.streams.contains_key(&id)
    }

    /// Closes (or resets) the stream; bytes in flight are lost.
    pub fn reset(&mut self, id: StreamId) {
        self.streams.remove(&id);
    }

    /// Closes the stream gracefully (a FIN each way): bytes already in
    /// flight are still delivered, then readers see [`Received::Reset`].
    pub fn shutdown(&mut self, id: StreamId) {
        if let Some(s) = self.streams.get_mut(&id) {
            s.closing = true;
        }
    }

    /// Bytes written but not yet read in one direction (a window).
    pub fn in_flight(&self, id: StreamId, dir: Dir) -> usize {
        self.streams.get(&id).map_or(0, |s| match dir {
            Dir::ToServer => s.to_server.bytes,
            Dir::ToClient => s.to_client.bytes,
        })
    }

    /// Writes `data` into the stream.
    pub fn send(&mut self, now: Instant, id: StreamId, dir: Dir, data: &[u8]) -> Sent {
        if self.streams.get(&id).is_none_or(|s| s.closing) {
            return Sent::Reset;
        }
        if self.config.reset.sample(&mut self.prng) {
            self.counters.hit(FaultKind::StreamReset);
            self.streams.remove(&id);
            return Sent::Reset;
        }
        if data.is_empty() {
            return Sent::Arrives(Vec::new());
        }
        let fragments = self.fragment(data);
        let mut times = Vec::with_capacity(fragments.len());
        for frag in fragments {
            let lat = between(
                &mut self.prng,
                self.config.latency_min,
                self.config.latency_max,
            );
            if lat > self.config.latency_min {
                self.counters.hit(FaultKind::StreamLatency);
            }
            let pipe = self.streams.get_mut(&id).expect("checked above").pipe(dir);
            let at = (now + lat).max(pipe.last_arrival);
            pipe.last_arrival = at;
            pipe.bytes += frag.len();
            pipe.in_flight.push_back((at, frag));
            if times.last() != Some(&at) {
                times.push(at);
            }
        }
        Sent::Arrives(times)
    }

    fn fragment(&mut self, data: &[u8]) -> Vec<Bytes> {
        let whole = Bytes::copy_from_slice(data);
        if data.len() < 2 || !self.config.split.sample(&mut self.prng) {
            return vec![whole];
        }
        self.counters.hit(FaultKind::StreamSplit);
        let mut out = Vec::new();
        let mut rest = whole;
        while !rest.is_empty() {
            let n = if self.config.tiny_fragment.sample(&mut self.prng) {
                1
            } else {
                range_inclusive(&mut self.prng, 1, rest.len() as u64) as usize
            };
            out.push(rest.split_to(n.min(rest.len())));
        }
        out
    }

    /// Reads what has arrived by `now`.
    pub fn recv(&mut self, now: Instant, id: StreamId, dir: Dir) -> Received {
        let Some(stream) = self.streams.get_mut(&id) else {
            return Received::Reset;
        };
        let closing = stream.closing;
        let pipe = stream.pipe(dir);
        if closing && pipe.in_flight.is_empty() {
            return Received::Reset;
        }
        if pipe.paused_until > now {
            return Received::Stalled(pipe.paused_until);
        }
        if pipe.in_flight.front().is_none_or(|(at, _)| *at > now) {
            return Received::Nothing;
        }
        let resumed = self
            .streams
            .get_mut(&id)
            .expect("present")
            .pipe(dir)
            .resumed;
        if !resumed && self.config.slow_reader.sample(&mut self.prng) {
            self.counters.hit(FaultKind::StreamSlowReader);
            let d = between(&mut self.prng, Duration::ZERO, self.config.slow_reader_max);
            let pipe = self.streams.get_mut(&id).expect("present").pipe(dir);
            pipe.paused_until = now + d;
            pipe.resumed = true;
            return Received::Stalled(pipe.paused_until);
        }
        let short = self.config.short_read.sample(&mut self.prng);
        let pipe = self.streams.get_mut(&id).expect("present").pipe(dir);
        let mut out = BytesMut::new();
        let mut pieces = 0;
        while let Some((at, _)) = pipe.in_flight.front() {
            if *at > now || (short && pieces > 0) {
                break;
            }
            let (_, b) = pipe.in_flight.pop_front().expect("front exists");
            pipe.bytes -= b.len();
            out.extend_from_slice(&b);
            pieces += 1;
        }
        if pieces > 1 {
            self.counters.hit(FaultKind::StreamCoalesce);
        }
        let pipe = self.streams.get_mut(&id).expect("present").pipe(dir);
        if pipe.in_flight.is_empty() {
            pipe.resumed = false;
        }
        let next = pipe.in_flight.front().map(|(at, _)| (*at).max(now));
        Received::Data(out.freeze(), next)
    }
}

/// Fault rates of node-to-node packets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketConfig {
    pub delay_min: Duration,
    pub delay_max: Duration,
    pub drop: Ratio,
    pub duplicate: Ratio,
    /// Per packet: an extra delay of up to `reorder_max`, so later packets
    /// may overtake it.
    pub reorder: Ratio,
    pub reorder_max: Duration,
}

impl PacketConfig {
    pub fn perfect() -> PacketConfig {
        PacketConfig {
            delay_min: Duration::from_micros(100),
            delay_max: Duration::from_micros(100),
            drop: Ratio::NEVER,
            duplicate: Ratio::NEVER,
            reorder: Ratio::NEVER,
            reorder_max: Duration::ZERO,
        }
    }
}

impl fmt::Display for PacketConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "delay={:?}..{:?} drop={} dup={} reorder={}(max {:?})",
            self.delay_min,
            self.delay_max,
            self.drop,
            self.duplicate,
            self.reorder,
            self.reorder_max
        )
    }
}

/// Node-to-node packet links with partitions.
#[derive(Debug)]
pub struct PacketNet {
    config: PacketConfig,
    prng: Prng,
    counters: FaultCounters,
    /// Blocked directed links (from, to).
    blocked: BTreeSet<(u64, u64)>,
}

impl PacketNet {
    pub fn new(seed: u64, config: PacketConfig) -> PacketNet {
        PacketNet {
            config,
            prng: Prng::from_seed(seed),
            counters: FaultCounters::default(),
            blocked: BTreeSet::new(),
        }
    }

    pub fn counters(&self) -> &FaultCounters {
        &self.counters
    }

    /// Cuts both directions between `a` and `b`.
    pub fn partition(&mut self, a: u64, b: u64) {
        self.blocked.insert((a, b));
        self.blocked.insert((b, a));
    }

    /// Cuts only `from -> to`.
    pub fn partition_one_way(&mut self, from: u64, to: u64) {
        self.blocked.insert((from, to));
    }

    /// Cuts `node` off from every node in `others`, both ways.
    pub fn isolate(&mut self, node: u64, others: &[u64]) {
        for o in others {
            if *o != node {
                self.partition(node, *o);
            }
        }
    }

    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    /// Whether `from -> to` is currently open (check again at delivery:
    /// a partition also stops packets already in flight).
    pub fn deliverable(&self, from: u64, to: u64) -> bool {
        !self.blocked.contains(&(from, to))
    }

    /// Sends one packet; returns when each copy arrives (none if dropped or
    /// partitioned, two if duplicated).
    pub fn send(&mut self, now: Instant, from: u64, to: u64) -> Vec<Instant> {
        if !self.deliverable(from, to) {
            self.counters.hit(FaultKind::PacketPartitioned);
            return Vec::new();
        }
        if self.config.drop.sample(&mut self.prng) {
            self.counters.hit(FaultKind::PacketDrop);
            return Vec::new();
        }
        let copies = if self.config.duplicate.sample(&mut self.prng) {
            self.counters.hit(FaultKind::PacketDuplicate);
            2
        } else {
            1
        };
        (0..copies)
            .map(|_| {
                let mut d = between(&mut self.prng, self.config.delay_min, self.config.delay_max);
                if d > self.config.delay_min {
                    self.counters.hit(FaultKind::PacketDelay);
                }
                if self.config.reorder.sample(&mut self.prng) {
                    self.counters.hit(FaultKind::PacketReorder);
                    d += between(&mut self.prng, Duration::ZERO, self.config.reorder_max);
                }
                now + d
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "net_tests.rs"]
mod tests;

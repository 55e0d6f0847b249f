//! The in-memory index both stores keep: every live message by sequence, the
//! sequences of every subject, the TTL schedule, and the stream counters.
//!
//! `P` is where the message bytes live: the bytes themselves for the memory
//! store, a location in a block for the file store. The index is pure
//! bookkeeping; it never touches a disk.

use super::{SimpleState, StreamState};
use crate::subject::subject_matches_filter;
use crate::time::UnixNanos;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// One live message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<P> {
    pub subj: String,
    pub ts: UnixNanos,
    /// TTL in seconds, 0 for none.
    pub ttl: i64,
    /// Accounted size ([`super::msg_size`]).
    pub size: u64,
    pub data: P,
}

/// Whether `filter` matches every subject.
pub fn is_full_wildcard(filter: &str) -> bool {
    filter.is_empty() || filter == ">"
}

/// Whether `subj` matches `filter` (`""` and `">"` match all).
pub fn matches(subj: &str, filter: &str) -> bool {
    is_full_wildcard(filter)
        || subj == filter
        || subject_matches_filter(subj.as_bytes(), filter.as_bytes())
}

fn is_literal(filter: &str) -> bool {
    !filter.split('.').any(|t| t == "*" || t == ">")
}

/// [`StreamState::deleted`] is listed only up to this many sequences.
pub const DELETED_LIST_MAX: u64 = 100_000;

/// Sequences per bucket of [`Buckets`].
const BUCKET_SEQS: u64 = 256;
/// Buckets kept at most: a wider span of live sequences (a huge skip with
/// old messages still live) turns counting back into a scan until the
/// index is empty again.
const BUCKETS_MAX: usize = 1 << 20;

/// Live messages per run of [`BUCKET_SEQS`] sequences, so counting the
/// messages at or after a sequence (a consumer's pending count with a full
/// wildcard filter) costs a sum over buckets, not a walk of the index (Go's
/// file store counts per block the same way).
#[derive(Clone, Debug, Default)]
struct Buckets {
    /// The bucket number of `counts[0]`.
    base: u64,
    counts: VecDeque<u32>,
}

impl Buckets {
    /// False when the span got too wide (the caller drops the buckets).
    fn add(&mut self, seq: u64) -> bool {
        let b = seq / BUCKET_SEQS;
        if self.counts.is_empty() {
            self.base = b;
        }
        if b < self.base {
            return false;
        }
        let i = (b - self.base) as usize;
        if i >= BUCKETS_MAX {
            return false;
        }
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        true
    }

    fn remove(&mut self, seq: u64) {
        let b = seq / BUCKET_SEQS;
        let i = (b - self.base) as usize;
        self.counts[i] -= 1;
        while self.counts.front() == Some(&0) {
            self.counts.pop_front();
            self.base += 1;
        }
        while self.counts.back() == Some(&0) {
            self.counts.pop_back();
        }
    }
}

#[derive(Clone, Debug)]
pub struct MsgIndex<P> {
    msgs: BTreeMap<u64, Entry<P>>,
    subjects: BTreeMap<String, BTreeSet<u64>>,
    /// (expires at, seq) for messages with a TTL.
    ttls: BTreeSet<(UnixNanos, u64)>,
    /// The first live sequence; `last_seq + 1` when empty (0 for a store
    /// that never held anything, as in Go).
    first_seq: u64,
    last_seq: u64,
    last_ts: UnixNanos,
    bytes: u64,
    /// Per-bucket live counts (`None` after a too-wide span, until empty).
    buckets: Option<Buckets>,
}

impl<P> Default for MsgIndex<P> {
    fn default() -> Self {
        MsgIndex {
            msgs: BTreeMap::new(),
            subjects: BTreeMap::new(),
            ttls: BTreeSet::new(),
            first_seq: 0,
            last_seq: 0,
            last_ts: 0,
            bytes: 0,
            buckets: Some(Buckets::default()),
        }
    }
}

fn ttl_expiry(ts: UnixNanos, ttl: i64) -> Option<UnixNanos> {
    (ttl > 0).then(|| ts.saturating_add(ttl.saturating_mul(1_000_000_000)))
}

impl<P> MsgIndex<P> {
    pub fn msgs(&self) -> u64 {
        self.msgs.len() as u64
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    pub fn last_ts(&self) -> UnixNanos {
        self.last_ts
    }

    pub fn get(&self, seq: u64) -> Option<&Entry<P>> {
        self.msgs.get(&seq)
    }

    pub fn get_mut(&mut self, seq: u64) -> Option<&mut Entry<P>> {
        self.msgs.get_mut(&seq)
    }

    pub fn first_entry(&self) -> Option<(u64, &Entry<P>)> {
        self.msgs.iter().next().map(|(s, e)| (*s, e))
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, &Entry<P>)> {
        self.msgs.iter().map(|(s, e)| (*s, e))
    }

    /// Live sequences in `[lo, hi]`.
    pub fn seqs_in(&self, lo: u64, hi: u64) -> Vec<u64> {
        if lo > hi {
            return Vec::new();
        }
        self.msgs.range(lo..=hi).map(|(s, _)| *s).collect()
    }

    /// The number of live messages on `subj` exactly.
    pub fn subject_count(&self, subj: &str) -> u64 {
        self.subjects.get(subj).map_or(0, |s| s.len() as u64)
    }

    /// The oldest live sequence on `subj` exactly.
    pub fn subject_first(&self, subj: &str) -> Option<u64> {
        self.subjects
            .get(subj)
            .and_then(|s| s.iter().next().copied())
    }

    /// Adds a message at `seq`, which must be above every sequence so far.
    pub fn insert(&mut self, seq: u64, entry: Entry<P>) {
        assert!(seq > self.last_seq, "insert below last seq");
        if self.msgs.is_empty() {
            self.first_seq = seq;
        }
        self.last_seq = seq;
        self.last_ts = entry.ts;
        self.bytes += entry.size;
        if let Some(at) = ttl_expiry(entry.ts, entry.ttl) {
            self.ttls.insert((at, seq));
        }
        // Most subjects are already indexed: no key clone for them.
        match self.subjects.get_mut(entry.subj.as_str()) {
            Some(seqs) => {
                seqs.insert(seq);
            }
            None => {
                self.subjects.insert(entry.subj.clone(), BTreeSet::from([seq]));
            }
        }
        self.msgs.insert(seq, entry);
        if self.buckets.as_mut().is_some_and(|b| !b.add(seq)) {
            self.buckets = None;
        }
    }

    /// Records a sequence with no message (a skip).
    pub fn skip(&mut self, seq: u64, ts: UnixNanos) {
        assert!(seq > self.last_seq, "skip below last seq");
        self.last_seq = seq;
        self.last_ts = ts;
        if self.msgs.is_empty() {
            self.first_seq = seq + 1;
        }
    }

    /// Raises the last sequence without a message (recovery evidence of a
    /// sequence that existed).
    pub fn observe_seq(&mut self, seq: u64, ts: UnixNanos) {
        if seq > self.last_seq {
            self.skip(seq, ts);
        }
    }

    pub fn remove(&mut self, seq: u64) -> Option<Entry<P>> {
        let entry = self.msgs.remove(&seq)?;
        self.bytes -= entry.size;
        match self.buckets.as_mut() {
            Some(b) => b.remove(seq),
            None if self.msgs.is_empty() => self.buckets = Some(Buckets::default()),
            None => {}
        }
        if let Some(at) = ttl_expiry(entry.ts, entry.ttl) {
            self.ttls.remove(&(at, seq));
        }
        if let Some(set) = self.subjects.get_mut(&entry.subj) {
            set.remove(&seq);
            if set.is_empty() {
                self.subjects.remove(&entry.subj);
            }
        }
        if seq == self.first_seq {
            self.first_seq = self
                .msgs
                .keys()
                .next()
                .copied()
                .unwrap_or(self.last_seq + 1);
        }
        Some(entry)
    }

    /// After everything below `seq` is removed: the first sequence becomes
    /// `seq` if the store is empty, and the last at least `seq - 1`.
    pub fn compact_to(&mut self, seq: u64) {
        assert!(self.msgs.keys().next().is_none_or(|s| *s >= seq));
        if seq > 0 && seq - 1 > self.last_seq {
            self.last_seq = seq - 1;
        }
        if self.msgs.is_empty() {
            self.first_seq = self.last_seq + 1;
        }
    }

    /// After everything above `seq` is removed: `seq` becomes the last.
    pub fn truncate_to(&mut self, seq: u64) {
        assert!(self.msgs.keys().next_back().is_none_or(|s| *s <= seq));
        if let Some(e) = self.msgs.get(&seq) {
            self.last_ts = e.ts;
        }
        self.last_seq = seq;
        if self.msgs.is_empty() {
            self.first_seq = seq + 1;
        }
        if seq == 0 {
            self.first_seq = 0;
            self.last_ts = 0;
        }
    }

    /// The first live sequence at or after `start` matching any filter.
    pub fn next_match(&self, filters: &[&str], start: u64) -> Option<u64> {
        if filters.iter().any(|f| is_full_wildcard(f)) {
            return self.msgs.range(start..).next().map(|(s, _)| *s);
        }
        let mut best: Option<u64> = None;
        for f in filters {
            if is_literal(f) {
                let first = self.subjects.get(*f).and_then(|s| s.range(start..).next());
                best = min_opt(best, first.copied());
            } else {
                for (subj, seqs) in &self.subjects {
                    if matches(subj, f) {
                        best = min_opt(best, seqs.range(start..).next().copied());
                    }
                }
            }
        }
        best
    }

    /// The last live sequence matching `filter`.
    pub fn last_match(&self, filter: &str) -> Option<u64> {
        if is_full_wildcard(filter) {
            return self.msgs.keys().next_back().copied();
        }
        if is_literal(filter) {
            return self
                .subjects
                .get(filter)
                .and_then(|s| s.iter().next_back().copied());
        }
        self.subjects
            .iter()
            .filter(|(subj, _)| matches(subj, filter))
            .filter_map(|(_, seqs)| seqs.iter().next_back().copied())
            .max()
    }

    fn matching_subjects<'a>(
        &'a self,
        filter: &'a str,
    ) -> Box<dyn Iterator<Item = (&'a String, &'a BTreeSet<u64>)> + 'a> {
        if !is_full_wildcard(filter) && is_literal(filter) {
            return Box::new(self.subjects.get_key_value(filter).into_iter());
        }
        Box::new(
            self.subjects
                .iter()
                .filter(move |(subj, _)| matches(subj, filter)),
        )
    }

    /// Live sequences matching `filter` (all if full wildcard), ascending.
    pub fn matching_seqs(&self, filter: &str) -> Vec<u64> {
        if is_full_wildcard(filter) {
            return self.msgs.keys().copied().collect();
        }
        let mut out: Vec<u64> = self
            .matching_subjects(filter)
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        out.sort_unstable();
        out
    }

    /// The number of live messages at or after `sseq`.
    fn count_from(&self, sseq: u64) -> u64 {
        let total = self.msgs.len() as u64;
        let Some(first) = self.msgs.keys().next() else {
            return 0;
        };
        if sseq <= *first {
            return total;
        }
        if sseq > self.last_seq {
            return 0;
        }
        let Some(bk) = &self.buckets else {
            return self.msgs.range(sseq..).count() as u64;
        };
        let b = sseq / BUCKET_SEQS;
        let i = (b - bk.base) as usize;
        if i >= bk.counts.len() {
            return 0;
        }
        let start = b * BUCKET_SEQS;
        // Sum the shorter side of the bucket list.
        if i >= bk.counts.len() / 2 {
            let after: u64 = bk.counts.range(i + 1..).map(|c| u64::from(*c)).sum();
            after + self.msgs.range(sseq..start + BUCKET_SEQS).count() as u64
        } else {
            let before: u64 = bk.counts.range(..i).map(|c| u64::from(*c)).sum();
            total - before - self.msgs.range(start..sseq).count() as u64
        }
    }

    pub fn filtered_state(&self, sseq: u64, filter: &str) -> SimpleState {
        if is_full_wildcard(filter) {
            let msgs = self.count_from(sseq);
            if msgs == 0 {
                return SimpleState::default();
            }
            let first = self.msgs.range(sseq..).next().map_or(0, |(s, _)| *s);
            let last = self.msgs.keys().next_back().copied().unwrap_or(0);
            return SimpleState { msgs, first, last };
        }
        let mut ss = SimpleState::default();
        let mut add = |seqs: &mut dyn Iterator<Item = u64>| {
            for seq in seqs {
                if ss.msgs == 0 || seq < ss.first {
                    ss.first = seq;
                }
                ss.last = ss.last.max(seq);
                ss.msgs += 1;
            }
        };
        if is_full_wildcard(filter) {
            add(&mut self.msgs.range(sseq..).map(|(s, _)| *s));
        } else {
            for (_, seqs) in self.matching_subjects(filter) {
                add(&mut seqs.range(sseq..).copied());
            }
        }
        ss
    }

    pub fn subjects_state(&self, filter: &str) -> BTreeMap<String, SimpleState> {
        self.matching_subjects(filter)
            .filter_map(|(subj, seqs)| {
                let first = *seqs.iter().next()?;
                let last = *seqs.iter().next_back()?;
                Some((
                    subj.clone(),
                    SimpleState {
                        msgs: seqs.len() as u64,
                        first,
                        last,
                    },
                ))
            })
            .collect()
    }

    pub fn num_pending(&self, sseq: u64, filter: &str, last_per_subject: bool) -> (u64, u64) {
        if !last_per_subject {
            return (self.filtered_state(sseq, filter).msgs, self.last_seq);
        }
        let n = self
            .matching_subjects(filter)
            .filter(|(_, seqs)| seqs.iter().next_back().is_some_and(|l| *l >= sseq))
            .count();
        (n as u64, self.last_seq)
    }

    /// Sequences whose TTL has passed at `now`.
    pub fn ttl_expired(&self, now: UnixNanos) -> Vec<u64> {
        self.ttls
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, s)| *s)
            .collect()
    }

    pub fn next_ttl_expiry(&self) -> Option<UnixNanos> {
        self.ttls.iter().next().map(|(at, _)| *at)
    }

    pub fn state(&self) -> StreamState {
        let mut st = StreamState {
            msgs: self.msgs.len() as u64,
            bytes: self.bytes,
            first_seq: self.first_seq,
            last_seq: self.last_seq,
            last_ts: self.last_ts,
            num_subjects: self.subjects.len() as u64,
            ..StreamState::default()
        };
        if let (Some((first, e)), Some(last)) =
            (self.msgs.iter().next(), self.msgs.keys().next_back())
        {
            st.first_ts = e.ts;
            st.num_deleted = (last - first + 1) - st.msgs;
            if st.num_deleted <= DELETED_LIST_MAX {
                let mut expect = *first;
                for seq in self.msgs.keys() {
                    st.deleted.extend(expect..*seq);
                    expect = seq + 1;
                }
            }
        }
        st
    }

    pub fn check_invariants(&self) {
        let bytes: u64 = self.msgs.values().map(|e| e.size).sum();
        assert_eq!(bytes, self.bytes, "byte count");
        let subj_total: usize = self.subjects.values().map(BTreeSet::len).sum();
        assert_eq!(subj_total, self.msgs.len(), "subject index size");
        for (seq, e) in &self.msgs {
            assert!(
                self.subjects.get(&e.subj).is_some_and(|s| s.contains(seq)),
                "subject index"
            );
            assert!(
                *seq >= self.first_seq && *seq <= self.last_seq,
                "seq in range"
            );
        }
        match self.msgs.keys().next() {
            Some(first) => assert_eq!(*first, self.first_seq, "first seq"),
            None => assert!(
                self.first_seq == self.last_seq + 1 || (self.first_seq == 0 && self.last_seq == 0),
                "empty first seq {} last {}",
                self.first_seq,
                self.last_seq
            ),
        }
        if let Some(bk) = &self.buckets {
            let mut counts: BTreeMap<u64, u32> = BTreeMap::new();
            for seq in self.msgs.keys() {
                *counts.entry(seq / BUCKET_SEQS).or_default() += 1;
            }
            for (i, c) in bk.counts.iter().enumerate() {
                let want = counts.remove(&(bk.base + i as u64)).unwrap_or(0);
                assert_eq!(*c, want, "bucket {} count", bk.base + i as u64);
            }
            assert!(counts.is_empty(), "live messages outside the buckets");
            assert!(bk.counts.front().is_none_or(|c| *c > 0), "leading empty bucket");
        }
        let ttl_count = self.msgs.values().filter(|e| e.ttl > 0).count();
        assert_eq!(ttl_count, self.ttls.len(), "ttl schedule");
    }
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prng::Prng;

    fn entry(subj: &str) -> Entry<()> {
        Entry { subj: subj.to_string(), ts: 1, ttl: 0, size: 1, data: () }
    }

    fn naive(idx: &MsgIndex<()>, sseq: u64) -> SimpleState {
        let mut ss = SimpleState::default();
        for (seq, _) in idx.iter().filter(|(s, _)| *s >= sseq) {
            if ss.msgs == 0 {
                ss.first = seq;
            }
            ss.last = seq;
            ss.msgs += 1;
        }
        ss
    }

    /// The bucketed count for a full wildcard agrees with a walk of the
    /// index through inserts, random removals and sequence gaps (a gap too
    /// wide for the buckets falls back to the walk).
    #[test]
    fn full_wildcard_count_matches_scan() {
        let mut prng = Prng::from_seed(7);
        let mut idx: MsgIndex<()> = MsgIndex::default();
        let mut seq = 0u64;
        // Bounded: 40 rounds of at most 300 inserts and removals.
        for round in 0..40u64 {
            let gap = match round % 10 {
                3 => 1_000,
                7 => BUCKET_SEQS * BUCKETS_MAX as u64 + 5,
                _ => 0,
            };
            seq += gap;
            for _ in 0..(prng.below(300) + 1) {
                seq += 1;
                idx.insert(seq, entry("a"));
            }
            let live: Vec<u64> = idx.iter().map(|(s, _)| s).collect();
            for s in live {
                if prng.below(3) == 0 {
                    idx.remove(s);
                }
            }
            idx.check_invariants();
            let last = idx.last_seq();
            for sseq in [0, 1, idx.first_seq(), last / 2, last.saturating_sub(3), last, last + 1]
                .into_iter()
                .chain((0..20).map(|_| prng.below(last + 2)))
            {
                assert_eq!(idx.filtered_state(sseq, ">"), naive(&idx, sseq), "sseq {sseq} round {round}");
                assert_eq!(idx.num_pending(sseq, "", false).0, naive(&idx, sseq).msgs);
            }
        }
    }
}

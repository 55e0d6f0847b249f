//! Virtual time and the event queue. Events are ordered by (time, insertion
//! sequence), so two events at the same instant always pop in the order they
//! were scheduled, on every run.

use rnatsd_core::time::Instant;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Debug)]
struct Entry<E> {
    at: Instant,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A deterministic discrete-event queue holding the global virtual clock.
#[derive(Debug)]
pub struct EventQueue<E> {
    now: Instant,
    seq: u64,
    heap: BinaryHeap<Reverse<Entry<E>>>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> EventQueue<E> {
        EventQueue {
            now: Instant::ZERO,
            seq: 0,
            heap: BinaryHeap::new(),
        }
    }

    /// The current global virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Schedules `event` at `at`; a time in the past means "now".
    pub fn schedule(&mut self, at: Instant, event: E) {
        let at = at.max(self.now);
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            at,
            seq: self.seq,
            event,
        }));
    }

    /// Time of the next event, if any.
    pub fn peek_time(&self) -> Option<Instant> {
        self.heap.peek().map(|e| e.0.at)
    }

    /// Pops the next event and advances virtual time to it.
    pub fn pop(&mut self) -> Option<(Instant, E)> {
        let Reverse(entry) = self.heap.pop()?;
        assert!(entry.at >= self.now, "event queue went back in time");
        self.now = entry.at;
        Some((entry.at, entry.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Drops every event for which `keep` is false (e.g. a crashed node's).
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        let entries = std::mem::take(&mut self.heap).into_vec();
        self.heap = entries.into_iter().filter(|e| keep(&e.0.event)).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule(Instant::from_nanos(20), "c");
        q.schedule(Instant::from_nanos(10), "a");
        q.schedule(Instant::from_nanos(10), "b");
        q.schedule(Instant::from_nanos(20), "d");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
        assert_eq!(q.now(), Instant::from_nanos(20));
    }

    #[test]
    fn past_events_fire_now() {
        let mut q = EventQueue::new();
        q.schedule(Instant::from_nanos(50), 1);
        q.pop();
        q.schedule(Instant::from_nanos(10), 2);
        assert_eq!(q.pop(), Some((Instant::from_nanos(50), 2)));
    }

    #[test]
    fn retain_filters() {
        let mut q = EventQueue::new();
        for i in 0..10 {
            q.schedule(Instant::from_nanos(i), i);
        }
        q.retain(|e| e % 2 == 0);
        assert_eq!(q.len(), 5);
        assert_eq!(q.pop().map(|x| x.1), Some(0));
        assert_eq!(q.pop().map(|x| x.1), Some(2));
    }
}

//! Ports of Go's server/sublist_test.go (names snake_cased), plus tests of
//! what this port adds (canonical order, duplicates, inline sweep).
//! Every operation goes through [`Sl`], which checks invariants after it.

use std::sync::Arc;

use super::*;

/// A test subscription: Go's `newSub`/`newQSub`.
#[derive(Clone, Copy, Debug)]
struct Sub {
    subject: &'static str,
    queue: Option<&'static str>,
    id: u32,
}

/// A sublist that checks its invariants after every operation.
struct Sl {
    sl: Sublist<u32>,
    next_id: u32,
}

impl Sl {
    fn new(cache: bool) -> Sl {
        Sl {
            sl: Sublist::with_cache(cache),
            next_id: 1,
        }
    }

    fn sub(&mut self, subject: &'static str) -> Sub {
        self.qsub(subject, None)
    }

    fn qsub(&mut self, subject: &'static str, queue: Option<&'static str>) -> Sub {
        self.next_id += 1;
        Sub {
            subject,
            queue,
            id: self.next_id,
        }
    }

    fn insert(&mut self, s: Sub) -> Result<(), SublistError> {
        let r = self
            .sl
            .insert(s.subject.as_bytes(), s.queue.map(str::as_bytes), s.id);
        self.sl.check_invariants();
        r
    }

    /// Creates and inserts a plain subscription.
    fn add(&mut self, subject: &'static str) -> Sub {
        let s = self.sub(subject);
        self.insert(s).expect("insert");
        s
    }

    /// Creates and inserts a queue subscription.
    fn qadd(&mut self, subject: &'static str, queue: &'static str) -> Sub {
        let s = self.qsub(subject, Some(queue));
        self.insert(s).expect("insert");
        s
    }

    fn remove(&mut self, s: Sub) -> Result<(), SublistError> {
        let r = self
            .sl
            .remove(s.subject.as_bytes(), s.queue.map(str::as_bytes), s.id);
        self.sl.check_invariants();
        r
    }

    fn matches(&mut self, subject: &str) -> Arc<SublistResult<u32>> {
        let r = self.sl.match_subject(subject.as_bytes());
        self.sl.check_invariants();
        assert!(r.is_canonical());
        r
    }

    fn has_interest(&mut self, subject: &str) -> bool {
        let r = self.sl.has_interest(subject.as_bytes());
        self.sl.check_invariants();
        r
    }

    fn num_interest(&mut self, subject: &str) -> (usize, usize) {
        let r = self.sl.num_interest(subject.as_bytes());
        self.sl.check_invariants();
        r
    }

    fn count(&self) -> usize {
        self.sl.count()
    }
}

fn verify_member(psubs: &[u32], s: Sub) {
    assert!(psubs.contains(&s.id), "{s:?} not in {psubs:?}");
}

fn verify_qmember(r: &SublistResult<u32>, s: Sub) {
    let group = r
        .queue_group(s.queue.expect("a queue sub").as_bytes())
        .expect("group present");
    assert!(group.members.contains(&s.id), "{s:?} not in {group:?}");
}

mod basics;
mod extra;
mod queries;

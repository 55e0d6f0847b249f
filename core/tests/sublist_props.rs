//! Property test: the sublist against a naive model.
//!
//! Random inserts and removes of literal, `*`, `>` and queue subscriptions
//! over a three-token alphabet; after every step the structure's invariants
//! hold, and matching random literal subjects gives exactly what a linear
//! scan with `subject_matches_filter` gives (results are canonical, so the
//! comparison is exact, not just as sets). A cached and an uncached sublist
//! run side by side and must agree on every answer, including for published
//! subjects that contain wildcard tokens.

use std::collections::BTreeSet;

use proptest::prelude::*;
use rnatsd_core::subject::subject_matches_filter;
use rnatsd_core::sublist::{QueueGroup, Sublist, SublistError, SublistResult};

type Entry = (String, Option<String>, u32);

#[derive(Clone, Debug)]
enum Op {
    Insert(Entry),
    /// Remove the n-th stored entry (modulo the count), if any.
    RemoveExisting(usize),
    /// Remove an entry that may not exist.
    Remove(Entry),
    Match(String),
    /// A published subject with wildcard tokens: only cached vs uncached.
    MatchWild(String),
    RemoveBatch(Vec<usize>),
}

fn literal_token() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("a"), Just("b"), Just("c")]
}

fn sub_token() -> impl Strategy<Value = &'static str> {
    prop_oneof![3 => literal_token(), 1 => Just("*")]
}

fn sub_subject() -> impl Strategy<Value = String> {
    (prop::collection::vec(sub_token(), 1..=4), any::<bool>()).prop_map(|(mut toks, fwc)| {
        if fwc {
            toks.push(">");
        }
        toks.join(".")
    })
}

fn literal_subject() -> impl Strategy<Value = String> {
    prop::collection::vec(literal_token(), 1..=5).prop_map(|t| t.join("."))
}

fn wild_subject() -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![literal_token(), Just("*"), Just(">")], 1..=4)
        .prop_map(|t| t.join("."))
}

fn entry() -> impl Strategy<Value = Entry> {
    let queue = prop_oneof![
        2 => Just(None),
        1 => Just(Some("q1".to_string())),
        1 => Just(Some("q2".to_string())),
    ];
    (sub_subject(), queue, 0u32..12)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => entry().prop_map(Op::Insert),
        3 => any::<usize>().prop_map(Op::RemoveExisting),
        1 => entry().prop_map(Op::Remove),
        6 => literal_subject().prop_map(Op::Match),
        2 => wild_subject().prop_map(Op::MatchWild),
        1 => prop::collection::vec(any::<usize>(), 0..4).prop_map(Op::RemoveBatch),
    ]
}

/// The answer a linear scan gives, in canonical order.
fn naive_match(model: &BTreeSet<Entry>, subject: &str) -> SublistResult<u32> {
    let mut result = SublistResult {
        psubs: Vec::new(),
        qsubs: Vec::new(),
    };
    for (filter, queue, value) in model {
        if !subject_matches_filter(subject.as_bytes(), filter.as_bytes()) {
            continue;
        }
        match queue {
            None => result.psubs.push(*value),
            Some(q) => match result
                .qsubs
                .iter_mut()
                .find(|g| g.name.as_ref() == q.as_bytes())
            {
                Some(group) => group.members.push(*value),
                None => result.qsubs.push(QueueGroup {
                    name: q.clone().into(),
                    members: vec![*value],
                }),
            },
        }
    }
    result.psubs.sort_unstable();
    result.qsubs.sort_by(|a, b| a.name.cmp(&b.name));
    for group in &mut result.qsubs {
        group.members.sort_unstable();
    }
    result
}

struct Pair {
    cached: Sublist<u32>,
    uncached: Sublist<u32>,
}

impl Pair {
    fn insert(&mut self, (subject, queue, value): &Entry) -> Result<(), SublistError> {
        let q = queue.as_deref().map(str::as_bytes);
        let a = self.cached.insert(subject.as_bytes(), q, *value);
        let b = self.uncached.insert(subject.as_bytes(), q, *value);
        assert_eq!(a, b);
        a
    }

    fn remove(&mut self, (subject, queue, value): &Entry) -> Result<(), SublistError> {
        let q = queue.as_deref().map(str::as_bytes);
        let a = self.cached.remove(subject.as_bytes(), q, *value);
        let b = self.uncached.remove(subject.as_bytes(), q, *value);
        assert_eq!(a, b);
        a
    }

    fn check(&self, model: &BTreeSet<Entry>) {
        self.cached.check_invariants();
        self.uncached.check_invariants();
        assert_eq!(self.cached.count(), model.len());
        assert_eq!(self.uncached.count(), model.len());
    }
}

fn run(ops: Vec<Op>) {
    let mut pair = Pair {
        cached: Sublist::with_seed(true, 7),
        uncached: Sublist::with_seed(false, 11),
    };
    let mut model: BTreeSet<Entry> = BTreeSet::new();
    for op in ops {
        match op {
            Op::Insert(e) => {
                let want = if model.contains(&e) {
                    Err(SublistError::Duplicate)
                } else {
                    Ok(())
                };
                assert_eq!(pair.insert(&e), want, "insert {e:?}");
                model.insert(e);
            }
            Op::RemoveExisting(n) => {
                if let Some(e) = model.iter().nth(n % model.len().max(1)).cloned() {
                    assert_eq!(pair.remove(&e), Ok(()), "remove {e:?}");
                    model.remove(&e);
                }
            }
            Op::Remove(e) => {
                let want = if model.remove(&e) {
                    Ok(())
                } else {
                    Err(SublistError::NotFound)
                };
                assert_eq!(pair.remove(&e), want, "remove {e:?}");
            }
            Op::Match(subject) => {
                let want = naive_match(&model, &subject);
                let got = pair.cached.match_subject(subject.as_bytes());
                assert_eq!(*got, want, "cached match {subject}");
                assert_eq!(
                    *pair.uncached.match_subject(subject.as_bytes()),
                    want,
                    "uncached match {subject}"
                );
                assert_eq!(
                    pair.cached.has_interest(subject.as_bytes()),
                    !want.is_empty()
                );
                assert_eq!(
                    pair.uncached.has_interest(subject.as_bytes()),
                    !want.is_empty()
                );
                let nq = want.qsubs.iter().map(|g| g.members.len()).sum();
                assert_eq!(
                    pair.uncached.num_interest(subject.as_bytes()),
                    (want.psubs.len(), nq)
                );
            }
            Op::MatchWild(subject) => {
                let a = pair.cached.match_subject(subject.as_bytes());
                let b = pair.uncached.match_subject(subject.as_bytes());
                assert_eq!(a, b, "wildcard publish {subject}");
            }
            Op::RemoveBatch(picks) => {
                let chosen: BTreeSet<Entry> = picks
                    .iter()
                    .filter_map(|n| model.iter().nth(n % model.len().max(1)).cloned())
                    .collect();
                let batch = || {
                    chosen
                        .iter()
                        .map(|(s, q, v)| (s.as_bytes(), q.as_deref().map(str::as_bytes), *v))
                };
                assert_eq!(pair.cached.remove_batch(batch()), Ok(()));
                assert_eq!(pair.uncached.remove_batch(batch()), Ok(()));
                for e in &chosen {
                    model.remove(e);
                }
            }
        }
        pair.check(&model);
    }
    let all: Vec<Entry> = pair
        .cached
        .all()
        .into_iter()
        .map(|e| {
            let queue = e.queue.map(|q| String::from_utf8(q.to_vec()).unwrap());
            (
                String::from_utf8(e.subject.to_vec()).unwrap(),
                queue,
                e.value,
            )
        })
        .collect();
    assert_eq!(
        all,
        model.iter().cloned().collect::<Vec<_>>(),
        "all() lists exactly the model"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn sublist_matches_naive_model(ops in prop::collection::vec(op(), 1..150)) {
        run(ops);
    }
}

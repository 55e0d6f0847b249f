//! What this port adds beyond the Go tests: canonical order, duplicates,
//! inline cache sweep, long subjects.

use std::sync::Arc;

use super::*;

#[test]
fn num_interest_counts_past_a_full_wildcard() {
    let mut s = Sl::new(false);
    s.add("foo.>");
    s.add("foo.bar");
    s.qadd("foo.bar", "q");
    assert_eq!(s.num_interest("foo.bar"), (2, 1));
}

#[test]
fn duplicate_insert_is_refused_and_leaves_no_trace() {
    let mut s = Sl::new(true);
    let a = s.add("foo.bar");
    assert_eq!(s.insert(a), Err(SublistError::Duplicate));
    let q = s.qadd("foo.*", "g");
    assert_eq!(s.insert(q), Err(SublistError::Duplicate));
    assert_eq!(s.count(), 2);
    // The same value under a different subject is another subscription.
    s.insert(Sub {
        subject: "foo.>",
        queue: None,
        id: a.id,
    })
    .unwrap();
    assert_eq!(s.matches("foo.bar").psubs, vec![a.id, a.id]);
}

#[test]
fn empty_queue_name_is_a_plain_subscription() {
    let mut s = Sl::new(true);
    s.insert(Sub {
        subject: "foo",
        queue: Some(""),
        id: 7,
    })
    .unwrap();
    assert_eq!(s.matches("foo").psubs, vec![7]);
    s.remove(Sub {
        subject: "foo",
        queue: None,
        id: 7,
    })
    .unwrap();
    assert_eq!(s.count(), 0);
}

#[test]
fn wildcard_insert_updates_cached_wildcard_publishes() {
    // Published subjects with wildcard tokens are cached like any other;
    // inserts must keep them equal to a fresh match (checked by `Sl`).
    let mut s = Sl::new(true);
    for subject in ["*.foo", "foo.*", "foo.>", ">", "foo.>.bar", "*"] {
        s.matches(subject);
    }
    for subject in ["*.*", "foo.*", "foo.>", "*.>", ">", "foo.*.bar", "*"] {
        s.add(subject);
    }
    assert_eq!(s.sl.cache_count(), 6);
}

#[test]
fn results_are_canonical_whatever_the_history() {
    let subs: &[(&str, Option<&str>, u32)] = &[
        ("a.b", None, 5),
        ("a.*", None, 3),
        (">", None, 9),
        ("a.b", Some("q2"), 4),
        ("*.b", Some("q1"), 8),
        ("a.>", Some("q2"), 1),
        ("a.b", Some("q1"), 2),
    ];
    let mut forward = Sublist::with_seed(true, 1);
    let mut backward = Sublist::with_seed(false, 2);
    let mut interleaved = Sublist::with_seed(true, 3);
    for &(subject, queue, id) in subs {
        forward
            .insert(subject.as_bytes(), queue.map(str::as_bytes), id)
            .unwrap();
        interleaved
            .insert(subject.as_bytes(), queue.map(str::as_bytes), id)
            .unwrap();
        interleaved.match_subject(b"a.b");
    }
    for &(subject, queue, id) in subs.iter().rev() {
        backward
            .insert(subject.as_bytes(), queue.map(str::as_bytes), id)
            .unwrap();
    }
    let r = forward.match_subject(b"a.b");
    assert_eq!(r, backward.match_subject(b"a.b"));
    assert_eq!(r, interleaved.match_subject(b"a.b"));
    assert_eq!(r.psubs, vec![3, 5, 9]);
    let names: Vec<&[u8]> = r.qsubs.iter().map(|g| g.name.as_ref()).collect();
    assert_eq!(names, vec![&b"q1"[..], b"q2"]);
    assert_eq!(r.qsubs[0].members, vec![2, 8]);
    assert_eq!(r.qsubs[1].members, vec![1, 4]);
    for sl in [&forward, &backward, &interleaved] {
        sl.check_invariants();
    }
}

#[test]
fn cache_hit_does_not_rematch() {
    let mut s = Sl::new(true);
    s.add("foo");
    let r1 = s.matches("foo");
    let r2 = s.matches("foo");
    assert!(Arc::ptr_eq(&r1, &r2), "a hit hands out the cached Arc");
    let stats = s.sl.stats();
    assert_eq!(
        (stats.num_matches, stats.num_cache, stats.max_fanout),
        (2, 1, 1)
    );
}

#[test]
fn cache_sweep_keeps_the_bound() {
    let mut s: Sublist<u32> = Sublist::new();
    s.insert(b"x.>", None, 1).unwrap();
    for i in 0..=CACHE_MAX {
        s.match_subject(format!("x.{i}").as_bytes());
    }
    assert_eq!(
        s.cache_count(),
        CACHE_SWEEP,
        "overflow sweeps down to CACHE_SWEEP"
    );
    s.check_invariants();
}

#[test]
fn long_subjects_spill_the_token_buffer() {
    let mut s = Sl::new(true);
    let long: &'static str = Box::leak(vec!["t"; 40].join(".").into_boxed_str());
    let sub = s.add(long);
    let wild = s.add("t.*.>");
    assert_eq!(s.matches(long).psubs, {
        let mut v = vec![sub.id, wild.id];
        v.sort_unstable();
        v
    });
    assert_eq!(s.sl.num_levels(), 40);
    s.remove(sub).unwrap();
    s.remove(wild).unwrap();
    assert_eq!(s.sl.num_levels(), 0);
}

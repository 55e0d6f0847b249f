//! Go sublist_test.go: insert, match, remove, cache, queue groups.

use super::*;

#[test]
fn test_sublist_init() {
    let s = Sl::new(true);
    assert_eq!(s.count(), 0);
    assert!(s.sl.cache_enabled());
    assert!(!Sublist::<u32>::with_cache(false).cache_enabled());
}

#[test]
fn test_sublist_insert_count() {
    sublist_insert_count(Sl::new(true));
}
#[test]
fn test_sublist_insert_count_no_cache() {
    sublist_insert_count(Sl::new(false));
}
fn sublist_insert_count(mut s: Sl) {
    s.add("foo");
    s.add("bar");
    s.add("foo.bar");
    assert_eq!(s.count(), 3);
}

#[test]
fn test_sublist_simple() {
    sublist_simple(Sl::new(true));
}
#[test]
fn test_sublist_simple_no_cache() {
    sublist_simple(Sl::new(false));
}
fn sublist_simple(mut s: Sl) {
    let sub = s.add("foo");
    let r = s.matches("foo");
    assert_eq!(r.psubs, vec![sub.id]);
}

#[test]
fn test_sublist_simple_multi_tokens() {
    sublist_simple_multi_tokens(Sl::new(true));
}
#[test]
fn test_sublist_simple_multi_tokens_no_cache() {
    sublist_simple_multi_tokens(Sl::new(false));
}
fn sublist_simple_multi_tokens(mut s: Sl) {
    let sub = s.add("foo.bar.baz");
    let r = s.matches("foo.bar.baz");
    assert_eq!(r.psubs, vec![sub.id]);
}

#[test]
fn test_sublist_partial_wildcard() {
    sublist_partial_wildcard(Sl::new(true));
}
#[test]
fn test_sublist_partial_wildcard_no_cache() {
    sublist_partial_wildcard(Sl::new(false));
}
fn sublist_partial_wildcard(mut s: Sl) {
    let lsub = s.add("a.b.c");
    let psub = s.add("a.*.c");
    let r = s.matches("a.b.c");
    assert_eq!(r.psubs.len(), 2);
    verify_member(&r.psubs, lsub);
    verify_member(&r.psubs, psub);
}

#[test]
fn test_sublist_partial_wildcard_at_end() {
    sublist_partial_wildcard_at_end(Sl::new(true));
}
#[test]
fn test_sublist_partial_wildcard_at_end_no_cache() {
    sublist_partial_wildcard_at_end(Sl::new(false));
}
fn sublist_partial_wildcard_at_end(mut s: Sl) {
    let lsub = s.add("a.b.c");
    let psub = s.add("a.b.*");
    let r = s.matches("a.b.c");
    assert_eq!(r.psubs.len(), 2);
    verify_member(&r.psubs, lsub);
    verify_member(&r.psubs, psub);
}

#[test]
fn test_sublist_full_wildcard() {
    sublist_full_wildcard(Sl::new(true));
}
#[test]
fn test_sublist_full_wildcard_no_cache() {
    sublist_full_wildcard(Sl::new(false));
}
fn sublist_full_wildcard(mut s: Sl) {
    let lsub = s.add("a.b.c");
    let fsub = s.add("a.>");
    let r = s.matches("a.b.c");
    assert_eq!(r.psubs.len(), 2);
    verify_member(&r.psubs, lsub);
    verify_member(&r.psubs, fsub);
    // A published `>` is a plain token: only the stored `>` meets it.
    let r = s.matches("a.>");
    assert_eq!(r.psubs, vec![fsub.id]);
}

#[test]
fn test_sublist_remove() {
    sublist_remove(Sl::new(true));
}
#[test]
fn test_sublist_remove_no_cache() {
    sublist_remove(Sl::new(false));
}
fn sublist_remove(mut s: Sl) {
    let sub = s.add("a.b.c.d");
    assert_eq!(s.count(), 1);
    assert_eq!(s.matches("a.b.c.d").psubs.len(), 1);
    let other = s.sub("a.b.c");
    assert_eq!(s.remove(other), Err(SublistError::NotFound));
    assert_eq!(s.count(), 1);
    s.remove(sub).unwrap();
    assert_eq!(s.count(), 0);
    assert!(s.matches("a.b.c.d").psubs.is_empty());
}

#[test]
fn test_sublist_remove_wildcard() {
    sublist_remove_wildcard(Sl::new(true));
}
#[test]
fn test_sublist_remove_wildcard_no_cache() {
    sublist_remove_wildcard(Sl::new(false));
}
fn sublist_remove_wildcard(mut s: Sl) {
    let sub = s.add("a.b.c.d");
    let psub = s.add("a.b.*.d");
    let fsub = s.add("a.b.>");
    assert_eq!(s.count(), 3);
    assert_eq!(s.matches("a.b.c.d").psubs.len(), 3);
    s.remove(sub).unwrap();
    assert_eq!(s.count(), 2);
    s.remove(fsub).unwrap();
    assert_eq!(s.count(), 1);
    s.remove(psub).unwrap();
    assert_eq!(s.count(), 0);
    assert!(s.matches("a.b.c.d").psubs.is_empty());
}

#[test]
fn test_sublist_remove_cleanup() {
    sublist_remove_cleanup(Sl::new(true));
}
#[test]
fn test_sublist_remove_cleanup_no_cache() {
    sublist_remove_cleanup(Sl::new(false));
}
fn sublist_remove_cleanup(mut s: Sl) {
    assert_eq!(s.sl.num_levels(), 0);
    let sub = s.add("a.b.c.d.e.f");
    assert_eq!(s.sl.num_levels(), 6);
    s.remove(sub).unwrap();
    assert_eq!(s.sl.num_levels(), 0);
}

#[test]
fn test_sublist_remove_cleanup_wildcards() {
    sublist_remove_cleanup_wildcards(Sl::new(true));
}
#[test]
fn test_sublist_remove_cleanup_wildcards_no_cache() {
    sublist_remove_cleanup_wildcards(Sl::new(false));
}
fn sublist_remove_cleanup_wildcards(mut s: Sl) {
    assert_eq!(s.sl.num_levels(), 0);
    let sub = s.add("a.b.*.d.e.>");
    assert_eq!(s.sl.num_levels(), 6);
    s.remove(sub).unwrap();
    assert_eq!(s.sl.num_levels(), 0);
}

#[test]
fn test_sublist_remove_with_large_subs() {
    sublist_remove_with_large_subs(Sl::new(true));
}
#[test]
fn test_sublist_remove_with_large_subs_no_cache() {
    sublist_remove_with_large_subs(Sl::new(false));
}
fn sublist_remove_with_large_subs(mut s: Sl) {
    // Go's plistMin*2; here it crosses the small/large set boundary both ways.
    const N: usize = 512;
    let subs: Vec<Sub> = (0..N).map(|_| s.add("foo")).collect();
    let r = s.matches("foo");
    assert_eq!(r.psubs.len(), N);
    let by_id = |id: u32| *subs.iter().find(|s| s.id == id).expect("known id");
    s.remove(by_id(r.psubs[N / 2])).unwrap();
    s.remove(by_id(r.psubs[0])).unwrap();
    s.remove(by_id(r.psubs[N - 1])).unwrap();
    assert_eq!(s.matches("foo").psubs.len(), N - 3);
    for sub in &subs {
        let _ = s.remove(*sub);
    }
    assert_eq!(s.count(), 0);
    assert!(s.matches("foo").is_empty());
}

#[test]
fn test_sublist_invalid_subjects_insert() {
    sublist_invalid_subjects_insert(Sl::new(true));
}
#[test]
fn test_sublist_invalid_subjects_insert_no_cache() {
    sublist_invalid_subjects_insert(Sl::new(false));
}
fn sublist_invalid_subjects_insert(mut s: Sl) {
    for bad in [".foo", "foo.", "foo..bar", "foo.bar..baz", "foo.>.bar", ""] {
        let sub = s.sub(bad);
        assert_eq!(s.insert(sub), Err(SublistError::InvalidSubject), "{bad:?}");
    }
    assert_eq!(s.count(), 0);
    assert_eq!(s.sl.num_levels(), 0);
}

#[test]
fn test_sublist_no_cache_remove_batch() {
    let mut s = Sl::new(false);
    s.add("foo");
    let sub = s.add("bar");
    s.sl.remove_batch([(sub.subject.as_bytes(), None, sub.id)])
        .unwrap();
    for _ in 0..10 {
        s.matches("foo");
    }
    assert!(!s.sl.cache_enabled());
    assert_eq!(s.sl.cache_count(), 0);
}

#[test]
fn test_sublist_remove_batch_with_error() {
    let mut s = Sl::new(false);
    let sub1 = s.add("foo");
    let sub2 = s.add("bar");
    let sub3 = s.add("baz");
    let not_present = s.sub("not.inserted");
    let batch = [not_present, sub1, sub3].map(|x| (x.subject.as_bytes(), None, x.id));
    assert_eq!(s.sl.remove_batch(batch), Err(SublistError::NotFound));
    s.sl.check_invariants();
    assert_eq!(s.count(), 1);
    assert_eq!(s.matches("bar").psubs, vec![sub2.id]);
    assert!(s.matches("foo").psubs.is_empty());
    assert!(s.matches("baz").psubs.is_empty());
}

#[test]
fn remove_batch_empties_the_cache() {
    let mut s = Sl::new(true);
    let a = s.add("foo");
    s.add("bar");
    s.matches("foo");
    s.matches("bar");
    assert_eq!(s.sl.cache_count(), 2);
    s.sl.remove_batch([(a.subject.as_bytes(), None, a.id)])
        .unwrap();
    s.sl.check_invariants();
    assert_eq!(s.sl.cache_count(), 0);
    assert!(s.sl.cache_enabled());
    assert!(s.matches("foo").is_empty());
}

#[test]
fn test_sublist_cache() {
    let mut s = Sl::new(true);
    let sub = s.add("a.b.c.d");
    assert_eq!(s.matches("a.b.c.d").psubs.len(), 1);
    let psub = s.add("a.b.*.d");
    let fsub = s.add("a.b.>");
    assert_eq!(s.count(), 3);
    assert_eq!(s.matches("a.b.c.d").psubs.len(), 3);
    s.remove(sub).unwrap();
    assert_eq!(s.count(), 2);
    s.remove(fsub).unwrap();
    assert_eq!(s.count(), 1);
    s.remove(psub).unwrap();
    assert_eq!(s.count(), 0);
    assert_eq!(
        s.sl.cache_count(),
        0,
        "removals drop the cache entries they touch"
    );
    assert!(s.matches("a.b.c.d").psubs.is_empty());

    for i in 0..2 * CACHE_MAX {
        s.sl.match_subject(format!("foo-{i}\n").as_bytes());
        assert!(s.sl.cache_count() <= CACHE_MAX);
    }
    s.sl.check_invariants();

    // Adding a wildcard updates the cached results it reaches.
    let mut s = Sl::new(true);
    s.add("foo.*");
    s.add("foo.bar");
    assert_eq!(s.matches("foo.baz").psubs.len(), 1);
    assert_eq!(s.matches("foo.bar").psubs.len(), 2);
    s.add("foo.>");
    assert_eq!(s.matches("foo.bar").psubs.len(), 3);
}

#[test]
fn test_sublist_basic_queue_results() {
    sublist_basic_queue_results(Sl::new(true));
}
#[test]
fn test_sublist_basic_queue_results_no_cache() {
    sublist_basic_queue_results(Sl::new(false));
}
fn sublist_basic_queue_results(mut s: Sl) {
    let subject = "foo";
    let sub = s.sub(subject);
    let sub1 = s.qsub(subject, Some("bar"));
    let sub2 = s.qsub(subject, Some("baz"));

    s.insert(sub1).unwrap();
    let r = s.matches(subject);
    assert!(r.psubs.is_empty());
    assert_eq!(r.qsubs.len(), 1);
    assert_eq!(r.qsubs[0].members.len(), 1);
    verify_qmember(&r, sub1);

    s.insert(sub2).unwrap();
    let r = s.matches(subject);
    assert!(r.psubs.is_empty());
    assert_eq!(r.qsubs.len(), 2);
    assert!(r.qsubs.iter().all(|g| g.members.len() == 1));
    verify_qmember(&r, sub1);
    verify_qmember(&r, sub2);

    s.insert(sub).unwrap();
    let r = s.matches(subject);
    assert_eq!(r.psubs, vec![sub.id]);
    assert_eq!(r.qsubs.len(), 2);

    let sub3 = s.qadd(subject, "bar");
    let sub4 = s.qadd(subject, "baz");
    let r = s.matches(subject);
    assert_eq!(r.psubs.len(), 1);
    assert_eq!(r.qsubs.len(), 2);
    assert!(r.qsubs.iter().all(|g| g.members.len() == 2));
    for q in [sub1, sub2, sub3, sub4] {
        verify_qmember(&r, q);
    }

    s.remove(sub).unwrap();
    let r = s.matches(subject);
    assert!(r.psubs.is_empty());
    assert_eq!(r.qsubs.len(), 2);
    assert!(r.qsubs.iter().all(|g| g.members.len() == 2));

    s.remove(sub1).unwrap();
    let r = s.matches(subject);
    assert_eq!(r.qsubs.len(), 2);
    assert_eq!(r.queue_group(b"bar").unwrap().members, vec![sub3.id]);
    assert_eq!(r.queue_group(b"baz").unwrap().members.len(), 2);

    s.remove(sub3).unwrap(); // last of "bar"
    let r = s.matches(subject);
    assert_eq!(r.qsubs.len(), 1);
    assert_eq!(r.qsubs[0].name.as_ref(), b"baz");
    assert_eq!(r.qsubs[0].members.len(), 2);

    s.remove(sub2).unwrap();
    s.remove(sub4).unwrap();
    let r = s.matches(subject);
    assert!(r.psubs.is_empty());
    assert!(r.qsubs.is_empty());
}

#[test]
fn test_sublist_bad_subject_on_remove() {
    sublist_bad_subject_on_remove(Sl::new(true));
}
#[test]
fn test_sublist_bad_subject_on_remove_no_cache() {
    sublist_bad_subject_on_remove(Sl::new(false));
}
fn sublist_bad_subject_on_remove(mut s: Sl) {
    let bad = s.sub("a.b..d");
    assert_eq!(s.insert(bad), Err(SublistError::InvalidSubject));
    assert_eq!(s.remove(bad), Err(SublistError::InvalidSubject));
    let badfwc = s.sub("a.>.b");
    assert_eq!(s.remove(badfwc), Err(SublistError::InvalidSubject));
}

// This is from bug report #18
#[test]
fn test_sublist_two_token_pub_match_single_token_sub() {
    sublist_two_token_pub_match_single_token_sub(Sl::new(true));
}
#[test]
fn test_sublist_two_token_pub_match_single_token_sub_no_cache() {
    sublist_two_token_pub_match_single_token_sub(Sl::new(false));
}
fn sublist_two_token_pub_match_single_token_sub(mut s: Sl) {
    let sub = s.add("foo");
    assert_eq!(s.matches("foo").psubs, vec![sub.id]);
    assert!(s.matches("foo.bar").psubs.is_empty());
}

#[test]
fn test_sublist_insert_with_wildcards_as_literals() {
    sublist_insert_with_wildcards_as_literals(Sl::new(true));
}
#[test]
fn test_sublist_insert_with_wildcards_as_literals_no_cache() {
    sublist_insert_with_wildcards_as_literals(Sl::new(false));
}
fn sublist_insert_with_wildcards_as_literals(mut s: Sl) {
    for subject in ["foo.*-", "foo.>-"] {
        s.add(subject);
        assert!(s.matches("foo.bar").psubs.is_empty());
        assert_eq!(s.matches(subject).psubs.len(), 1);
    }
}

#[test]
fn test_sublist_remove_with_wildcards_as_literals() {
    sublist_remove_with_wildcards_as_literals(Sl::new(true));
}
#[test]
fn test_sublist_remove_with_wildcards_as_literals_no_cache() {
    sublist_remove_with_wildcards_as_literals(Sl::new(false));
}
fn sublist_remove_with_wildcards_as_literals(mut s: Sl) {
    for subject in ["foo.*-", "foo.>-"] {
        let sub = s.add(subject);
        let other = s.sub("foo.bar");
        assert_eq!(s.remove(other), Err(SublistError::NotFound));
        assert_eq!(s.count(), 1);
        s.remove(sub).unwrap();
        assert_eq!(s.count(), 0);
    }
}

// Go races a remover goroutine against a reader of a result. With a single
// owner the property left to check is that a handed-out result is a
// snapshot: later removals (from the cache or not) never change it.
#[test]
fn test_sublist_race_on_remove() {
    sublist_race_on_remove(Sl::new(true));
}
#[test]
fn test_sublist_race_on_remove_no_cache() {
    sublist_race_on_remove(Sl::new(false));
}
fn sublist_race_on_remove(mut s: Sl) {
    for queue in [Some("bar"), None] {
        let subs: Vec<Sub> = (0..100).map(|_| s.qsub("foo", queue)).collect();
        for round in 0..2 {
            for sub in &subs {
                s.insert(*sub).unwrap();
            }
            if round == 1 {
                s.matches("foo");
            }
            let r = s.matches("foo"); // from the cache when round == 1
            let snapshot = (*r).clone();
            for sub in &subs {
                s.remove(*sub).unwrap();
            }
            assert_eq!(*r, snapshot);
            let held = if queue.is_some() {
                r.qsubs[0].members.len()
            } else {
                r.psubs.len()
            };
            assert_eq!(held, 100);
            assert!(r.qsubs.iter().all(|g| g.name.as_ref() == b"bar"));
            assert!(s.matches("foo").is_empty());
        }
    }
}

// Go races an inserter against matches; here: a result taken before
// inserts stays as it was, and the next match sees every insert.
#[test]
fn test_sublist_race_on_insert() {
    sublist_race_on_insert(Sl::new(true));
}
#[test]
fn test_sublist_race_on_insert_no_cache() {
    sublist_race_on_insert(Sl::new(false));
}
fn sublist_race_on_insert(mut s: Sl) {
    for queue in [Some("bar"), None] {
        let before = s.matches("foo");
        let snapshot = (*before).clone();
        let subs: Vec<Sub> = (0..100).map(|_| s.qsub("foo", queue)).collect();
        for sub in &subs {
            s.insert(*sub).unwrap();
            let r = s.matches("foo");
            assert!(r.qsubs.iter().all(|g| g.name.as_ref() == b"bar"));
        }
        assert_eq!(*before, snapshot);
        let r = s.matches("foo");
        let n = if queue.is_some() {
            r.qsubs[0].members.len()
        } else {
            r.psubs.len()
        };
        assert_eq!(n, 100);
    }
}

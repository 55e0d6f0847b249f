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
        Sl { sl: Sublist::with_cache(cache), next_id: 1 }
    }

    fn sub(&mut self, subject: &'static str) -> Sub {
        self.qsub(subject, None)
    }

    fn qsub(&mut self, subject: &'static str, queue: Option<&'static str>) -> Sub {
        self.next_id += 1;
        Sub { subject, queue, id: self.next_id }
    }

    fn insert(&mut self, s: Sub) -> Result<(), SublistError> {
        let r = self.sl.insert(s.subject.as_bytes(), s.queue.map(str::as_bytes), s.id);
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
        let r = self.sl.remove(s.subject.as_bytes(), s.queue.map(str::as_bytes), s.id);
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
    let group = r.queue_group(s.queue.expect("a queue sub").as_bytes()).expect("group present");
    assert!(group.members.contains(&s.id), "{s:?} not in {group:?}");
}

/// Defines the Go test pair `TestX` (cache) and `TestXNoCache`.
macro_rules! with_and_without_cache {
    ($cached:ident, $no_cache:ident, $body:ident) => {
        #[test]
        fn $cached() {
            $body(Sl::new(true));
        }
        #[test]
        fn $no_cache() {
            $body(Sl::new(false));
        }
    };
}

#[test]
fn test_sublist_init() {
    let s = Sl::new(true);
    assert_eq!(s.count(), 0);
    assert!(s.sl.cache_enabled());
    assert!(!Sublist::<u32>::with_cache(false).cache_enabled());
}

with_and_without_cache!(test_sublist_insert_count, test_sublist_insert_count_no_cache, sublist_insert_count);
fn sublist_insert_count(mut s: Sl) {
    s.add("foo");
    s.add("bar");
    s.add("foo.bar");
    assert_eq!(s.count(), 3);
}

with_and_without_cache!(test_sublist_simple, test_sublist_simple_no_cache, sublist_simple);
fn sublist_simple(mut s: Sl) {
    let sub = s.add("foo");
    let r = s.matches("foo");
    assert_eq!(r.psubs, vec![sub.id]);
}

with_and_without_cache!(
    test_sublist_simple_multi_tokens,
    test_sublist_simple_multi_tokens_no_cache,
    sublist_simple_multi_tokens
);
fn sublist_simple_multi_tokens(mut s: Sl) {
    let sub = s.add("foo.bar.baz");
    let r = s.matches("foo.bar.baz");
    assert_eq!(r.psubs, vec![sub.id]);
}

with_and_without_cache!(test_sublist_partial_wildcard, test_sublist_partial_wildcard_no_cache, sublist_partial_wildcard);
fn sublist_partial_wildcard(mut s: Sl) {
    let lsub = s.add("a.b.c");
    let psub = s.add("a.*.c");
    let r = s.matches("a.b.c");
    assert_eq!(r.psubs.len(), 2);
    verify_member(&r.psubs, lsub);
    verify_member(&r.psubs, psub);
}

with_and_without_cache!(
    test_sublist_partial_wildcard_at_end,
    test_sublist_partial_wildcard_at_end_no_cache,
    sublist_partial_wildcard_at_end
);
fn sublist_partial_wildcard_at_end(mut s: Sl) {
    let lsub = s.add("a.b.c");
    let psub = s.add("a.b.*");
    let r = s.matches("a.b.c");
    assert_eq!(r.psubs.len(), 2);
    verify_member(&r.psubs, lsub);
    verify_member(&r.psubs, psub);
}

with_and_without_cache!(test_sublist_full_wildcard, test_sublist_full_wildcard_no_cache, sublist_full_wildcard);
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

with_and_without_cache!(test_sublist_remove, test_sublist_remove_no_cache, sublist_remove);
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

with_and_without_cache!(test_sublist_remove_wildcard, test_sublist_remove_wildcard_no_cache, sublist_remove_wildcard);
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

with_and_without_cache!(test_sublist_remove_cleanup, test_sublist_remove_cleanup_no_cache, sublist_remove_cleanup);
fn sublist_remove_cleanup(mut s: Sl) {
    assert_eq!(s.sl.num_levels(), 0);
    let sub = s.add("a.b.c.d.e.f");
    assert_eq!(s.sl.num_levels(), 6);
    s.remove(sub).unwrap();
    assert_eq!(s.sl.num_levels(), 0);
}

with_and_without_cache!(
    test_sublist_remove_cleanup_wildcards,
    test_sublist_remove_cleanup_wildcards_no_cache,
    sublist_remove_cleanup_wildcards
);
fn sublist_remove_cleanup_wildcards(mut s: Sl) {
    assert_eq!(s.sl.num_levels(), 0);
    let sub = s.add("a.b.*.d.e.>");
    assert_eq!(s.sl.num_levels(), 6);
    s.remove(sub).unwrap();
    assert_eq!(s.sl.num_levels(), 0);
}

with_and_without_cache!(
    test_sublist_remove_with_large_subs,
    test_sublist_remove_with_large_subs_no_cache,
    sublist_remove_with_large_subs
);
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

with_and_without_cache!(
    test_sublist_invalid_subjects_insert,
    test_sublist_invalid_subjects_insert_no_cache,
    sublist_invalid_subjects_insert
);
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
    s.sl.remove_batch([(sub.subject.as_bytes(), None, sub.id)]).unwrap();
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
    s.sl.remove_batch([(a.subject.as_bytes(), None, a.id)]).unwrap();
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
    assert_eq!(s.sl.cache_count(), 0, "removals drop the cache entries they touch");
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

with_and_without_cache!(
    test_sublist_basic_queue_results,
    test_sublist_basic_queue_results_no_cache,
    sublist_basic_queue_results
);
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

with_and_without_cache!(
    test_sublist_bad_subject_on_remove,
    test_sublist_bad_subject_on_remove_no_cache,
    sublist_bad_subject_on_remove
);
fn sublist_bad_subject_on_remove(mut s: Sl) {
    let bad = s.sub("a.b..d");
    assert_eq!(s.insert(bad), Err(SublistError::InvalidSubject));
    assert_eq!(s.remove(bad), Err(SublistError::InvalidSubject));
    let badfwc = s.sub("a.>.b");
    assert_eq!(s.remove(badfwc), Err(SublistError::InvalidSubject));
}

// This is from bug report #18
with_and_without_cache!(
    test_sublist_two_token_pub_match_single_token_sub,
    test_sublist_two_token_pub_match_single_token_sub_no_cache,
    sublist_two_token_pub_match_single_token_sub
);
fn sublist_two_token_pub_match_single_token_sub(mut s: Sl) {
    let sub = s.add("foo");
    assert_eq!(s.matches("foo").psubs, vec![sub.id]);
    assert!(s.matches("foo.bar").psubs.is_empty());
}

with_and_without_cache!(
    test_sublist_insert_with_wildcards_as_literals,
    test_sublist_insert_with_wildcards_as_literals_no_cache,
    sublist_insert_with_wildcards_as_literals
);
fn sublist_insert_with_wildcards_as_literals(mut s: Sl) {
    for subject in ["foo.*-", "foo.>-"] {
        s.add(subject);
        assert!(s.matches("foo.bar").psubs.is_empty());
        assert_eq!(s.matches(subject).psubs.len(), 1);
    }
}

with_and_without_cache!(
    test_sublist_remove_with_wildcards_as_literals,
    test_sublist_remove_with_wildcards_as_literals_no_cache,
    sublist_remove_with_wildcards_as_literals
);
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
with_and_without_cache!(test_sublist_race_on_remove, test_sublist_race_on_remove_no_cache, sublist_race_on_remove);
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
            let held = if queue.is_some() { r.qsubs[0].members.len() } else { r.psubs.len() };
            assert_eq!(held, 100);
            assert!(r.qsubs.iter().all(|g| g.name.as_ref() == b"bar"));
            assert!(s.matches("foo").is_empty());
        }
    }
}

// Go races an inserter against matches; here: a result taken before
// inserts stays as it was, and the next match sees every insert.
with_and_without_cache!(test_sublist_race_on_insert, test_sublist_race_on_insert_no_cache, sublist_race_on_insert);
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
        let n = if queue.is_some() { r.qsubs[0].members.len() } else { r.psubs.len() };
        assert_eq!(n, 100);
    }
}

#[test]
fn test_sublist_shared_empty_result() {
    let mut s = Sl::new(true);
    let r1 = s.matches("foo");
    assert!(r1.psubs.is_empty() && r1.qsubs.is_empty());
    let r2 = s.matches("bar");
    assert!(r2.is_empty());
    assert!(Arc::ptr_eq(&r1, &r2), "empty results share one allocation");
}

#[test]
fn test_sublist_no_cache_stats() {
    let mut s = Sl::new(false);
    for subject in ["foo", "bar", "baz", "foo.bar.baz"] {
        s.add(subject);
    }
    s.matches("a.b.c");
    s.matches("bar");
    let stats = s.sl.stats();
    assert_eq!(stats.num_cache, 0);
    assert_eq!(stats.num_subs, 4);
    assert_eq!(stats.num_matches, 2);
    assert_eq!(stats.cache_hit_rate, 0.0);
}

#[test]
fn test_sublist_all() {
    let mut s = Sl::new(false);
    let subs = [s.add("foo.bar.baz"), s.add("foo"), s.add("baz"), s.qadd("foo.*", "q"), s.add(">")];
    let all = s.sl.all();
    assert_eq!(all.len(), subs.len());
    for sub in subs {
        let entry = all.iter().find(|e| e.value == sub.id).expect("listed");
        assert_eq!(entry.subject.as_ref(), sub.subject.as_bytes());
        assert_eq!(entry.queue.as_deref(), sub.queue.map(str::as_bytes));
    }
    assert!(all.windows(2).all(|w| w[0] <= w[1]), "sorted");
}

#[test]
fn test_sublist_reverse_match() {
    let mut s = Sl::new(true);
    let foo = s.add("foo");
    let bar = s.add("bar");
    let foo_bar = s.add("foo.bar");
    let foo_baz = s.add("foo.baz");
    let foo_bar_baz = s.add("foo.bar.baz");
    let rm = |s: &Sl, subject: &str| {
        let mut ids = s.sl.reverse_match(subject.as_bytes()).psubs.clone();
        ids.sort_unstable();
        ids
    };
    let ids = |subs: &[Sub]| {
        let mut v: Vec<u32> = subs.iter().map(|s| s.id).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(rm(&s, "foo"), ids(&[foo]));
    assert_eq!(rm(&s, "bar"), ids(&[bar]));
    assert_eq!(rm(&s, "*"), ids(&[foo, bar]));
    assert_eq!(rm(&s, "baz"), ids(&[]));
    assert_eq!(rm(&s, "foo.*"), ids(&[foo_bar, foo_baz]));
    assert_eq!(rm(&s, "*.*"), ids(&[foo_bar, foo_baz]));
    assert_eq!(rm(&s, "*.bar"), ids(&[foo_bar]));
    assert_eq!(rm(&s, "*.baz"), ids(&[foo_baz]));
    assert_eq!(rm(&s, "bar.*"), ids(&[]));
    assert_eq!(rm(&s, "*.bat"), ids(&[]));
    assert_eq!(rm(&s, "foo.>"), ids(&[foo_bar, foo_baz, foo_bar_baz]));
    assert_eq!(rm(&s, ">"), ids(&[foo, bar, foo_bar, foo_baz, foo_bar_baz]));
}

#[test]
fn test_sublist_reverse_match_wider() {
    let mut s = Sl::new(true);
    let sub = s.add("uplink.*.*.>");
    assert_eq!(s.sl.reverse_match(b"uplink.1.*.*.>").psubs, vec![sub.id]);
    assert_eq!(s.sl.reverse_match(b"uplink.1.2.3.>").psubs, vec![sub.id]);
}

#[test]
fn test_sublist_match_with_empty_tokens() {
    for cache in [true, false] {
        let mut s = Sl::new(cache);
        s.add(">");
        s.qadd(">", "queue");
        for subject in [".foo", "..foo", "foo..", "foo.", "foo..bar", "foo...bar", ""] {
            let r = s.matches(subject);
            assert!(r.psubs.is_empty() && r.qsubs.is_empty(), "{subject:?}");
            assert!(!s.has_interest(subject));
        }
        assert_eq!(s.sl.cache_count(), 0, "bad subjects are not cached");
    }
}

#[test]
fn test_sublist_add_cache_hit_rate() {
    let mut sl1 = Sl::new(true);
    sl1.add("foo");
    for _ in 0..4 {
        sl1.matches("foo");
    }
    let stats1 = sl1.sl.stats();
    assert_eq!(stats1.cache_hit_rate, 0.75);

    let mut sl2 = Sl::new(true);
    sl2.add("bar");
    for _ in 0..4 {
        sl2.matches("bar");
    }
    let stats2 = sl2.sl.stats();
    assert_eq!(stats2.cache_hit_rate, 0.75);

    let mut total = SublistStats::default();
    total.add(&stats1);
    total.add(&stats2);
    assert_eq!(total.cache_hit_rate, 0.75);
    assert_eq!(total.num_matches, 8);
    assert_eq!(total.max_fanout, 1);
    assert_eq!(total.avg_fanout, 1.0);
}

#[test]
fn stats_serialize_with_go_names() {
    let mut s = Sl::new(true);
    s.add("foo");
    s.matches("foo");
    let json = serde_json::to_value(s.sl.stats()).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "num_subscriptions",
        "num_cache",
        "num_inserts",
        "num_removes",
        "num_matches",
        "cache_hit_rate",
        "max_fanout",
        "avg_fanout",
    ];
    want.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(json["num_subscriptions"], 1);
}

#[test]
fn test_sublist_has_interest() {
    let mut s = Sl::new(true);
    let foo = s.add("foo");
    assert!(s.has_interest("foo"));
    assert!(!s.has_interest("bar"));
    assert_eq!(s.sl.cache_hits(), 0, "has_interest does not fill the cache");

    s.matches("foo");
    assert_eq!(s.sl.cache_hits(), 0);
    for i in 1..=5 {
        assert!(s.has_interest("foo"));
        assert_eq!(s.sl.cache_hits(), i);
    }
    let hits = s.sl.cache_hits();
    s.matches("bar");
    assert!(!s.has_interest("bar"));
    assert_eq!(s.sl.cache_hits(), hits + 1, "negative results are cached too");

    s.remove(foo).unwrap();
    assert!(!s.has_interest("foo"));

    // (subscription, queue, [(subject, interested)])
    let cases: &[(&str, Option<&str>, &[(&str, bool)])] = &[
        ("foo.*", None, &[("foo", false), ("foo.bar", true), ("foo.bar.baz", false)]),
        ("foo.>", None, &[("foo", false), ("foo.bar", true), ("foo.bar.baz", true)]),
        ("*.>", None, &[("foo", false), ("foo.bar", true), ("foo.baz", true)]),
        ("*.bar", None, &[("foo", false), ("foo.bar", true), ("foo.baz", false)]),
        ("*", None, &[("foo", true), ("foo.bar", false)]),
        ("foo", Some("bar"), &[("foo", true), ("foo.bar", false)]),
        ("foo.*", Some("bar"), &[("foo", false), ("foo.bar", true), ("foo.bar.baz", false)]),
        ("foo.>", Some("bar"), &[("foo", false), ("foo.bar", true), ("foo.bar.baz", true)]),
        ("*.>", Some("bar"), &[("foo", false), ("foo.bar", true), ("foo.baz", true)]),
        ("*.bar", Some("bar"), &[("foo", false), ("foo.bar", true), ("foo.baz", false)]),
        ("*", Some("bar"), &[("foo", true), ("foo.bar", false)]),
    ];
    for &(subject, queue, checks) in cases {
        let sub = s.qsub(subject, queue);
        s.insert(sub).unwrap();
        for &(subj, want) in checks {
            assert_eq!(s.has_interest(subj), want, "{subject} {queue:?} -> {subj}");
        }
        if let Some(q) = queue {
            // A second group on the same subject, then remove the first.
            let sub2 = s.qsub(subject, Some(if q == "bar" { "baz" } else { "bar" }));
            s.insert(sub2).unwrap();
            s.remove(sub).unwrap();
            for &(subj, want) in checks {
                assert_eq!(s.has_interest(subj), want, "{subject} second group -> {subj}");
            }
            s.remove(sub2).unwrap();
        } else {
            s.remove(sub).unwrap();
        }
        for &(subj, _) in checks {
            assert!(!s.has_interest(subj), "{subject} removed -> {subj}");
        }
    }
}

#[test]
fn test_sublist_has_interest_overlapping() {
    let mut s = Sl::new(true);
    s.add("stream.A.child");
    s.add("stream.*");
    assert!(s.has_interest("stream.A.child"));
    assert!(s.has_interest("stream.A"));
}

#[test]
fn test_sublist_num_interest() {
    let mut s = Sl::new(true);
    let foo = s.add("foo");
    assert_eq!(s.num_interest("foo"), (1, 0));
    assert_eq!(s.num_interest("bar"), (0, 0));
    assert_eq!(s.sl.cache_hits(), 0);
    s.matches("foo");
    for i in 1..=5 {
        assert_eq!(s.num_interest("foo"), (1, 0));
        assert_eq!(s.sl.cache_hits(), i);
    }
    let hits = s.sl.cache_hits();
    s.matches("bar");
    assert_eq!(s.num_interest("bar"), (0, 0));
    assert_eq!(s.sl.cache_hits(), hits + 1);
    s.remove(foo).unwrap();
    assert_eq!(s.num_interest("foo"), (0, 0));

    let plain: &[(&str, &[(&str, usize)])] = &[
        ("foo.*", &[("foo", 0), ("foo.bar", 1), ("foo.bar.baz", 0)]),
        ("foo.>", &[("foo", 0), ("foo.bar", 1), ("foo.bar.baz", 1)]),
        ("*.>", &[("foo", 0), ("foo.bar", 1), ("foo.bar.baz", 1)]),
        ("*.bar", &[("foo", 0), ("foo.bar", 1), ("foo.bar.baz", 0)]),
        ("*", &[("foo", 1), ("foo.bar", 0)]),
    ];
    for &(subject, checks) in plain {
        let sub = s.add(subject);
        for &(subj, np) in checks {
            assert_eq!(s.num_interest(subj), (np, 0), "{subject} -> {subj}");
        }
        s.remove(sub).unwrap();
    }

    // Three queue subs in two groups, removed one by one.
    for (subject, hits) in [("foo", "foo"), ("foo.*", "foo.bar"), ("foo.>", "foo.bar.baz")] {
        let q1 = s.qadd(subject, "bar");
        assert_eq!(s.num_interest(hits), (0, 1));
        let q2 = s.qadd(subject, "baz");
        assert_eq!(s.num_interest(hits), (0, 2));
        let q3 = s.qadd(subject, "baz");
        assert_eq!(s.num_interest(hits), (0, 3));
        assert_eq!(s.num_interest("bar.baz"), (0, 0));
        for (q, left) in [(q1, 2), (q2, 1), (q3, 0)] {
            s.remove(q).unwrap();
            assert_eq!(s.num_interest(hits), (0, left));
        }
    }
    for (subject, checks) in plain.iter().skip(2) {
        let q = s.qadd(subject, "bar");
        for &(subj, nq) in *checks {
            assert_eq!(s.num_interest(subj), (0, nq), "{subject} queue -> {subj}");
        }
        s.remove(q).unwrap();
    }
}

// ---- Beyond the Go tests ----

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
    s.insert(Sub { subject: "foo.>", queue: None, id: a.id }).unwrap();
    assert_eq!(s.matches("foo.bar").psubs, vec![a.id, a.id]);
}

#[test]
fn empty_queue_name_is_a_plain_subscription() {
    let mut s = Sl::new(true);
    s.insert(Sub { subject: "foo", queue: Some(""), id: 7 }).unwrap();
    assert_eq!(s.matches("foo").psubs, vec![7]);
    s.remove(Sub { subject: "foo", queue: None, id: 7 }).unwrap();
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
        forward.insert(subject.as_bytes(), queue.map(str::as_bytes), id).unwrap();
        interleaved.insert(subject.as_bytes(), queue.map(str::as_bytes), id).unwrap();
        interleaved.match_subject(b"a.b");
    }
    for &(subject, queue, id) in subs.iter().rev() {
        backward.insert(subject.as_bytes(), queue.map(str::as_bytes), id).unwrap();
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
    assert_eq!((stats.num_matches, stats.num_cache, stats.max_fanout), (2, 1, 1));
}

#[test]
fn cache_sweep_keeps_the_bound() {
    let mut s: Sublist<u32> = Sublist::new();
    s.insert(b"x.>", None, 1).unwrap();
    for i in 0..=CACHE_MAX {
        s.match_subject(format!("x.{i}").as_bytes());
    }
    assert_eq!(s.cache_count(), CACHE_SWEEP, "overflow sweeps down to CACHE_SWEEP");
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

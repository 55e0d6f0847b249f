//! Go sublist_test.go: stats, listing, reverse match, interest checks.

use std::sync::Arc;

use super::*;

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
    let subs = [
        s.add("foo.bar.baz"),
        s.add("foo"),
        s.add("baz"),
        s.qadd("foo.*", "q"),
        s.add(">"),
    ];
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
        for subject in [
            ".foo",
            "..foo",
            "foo..",
            "foo.",
            "foo..bar",
            "foo...bar",
            "",
        ] {
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
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
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
    assert_eq!(
        s.sl.cache_hits(),
        hits + 1,
        "negative results are cached too"
    );

    s.remove(foo).unwrap();
    assert!(!s.has_interest("foo"));

    // (subscription, queue, [(subject, interested)])
    type Case<'a> = (&'a str, Option<&'a str>, &'a [(&'a str, bool)]);
    let cases: &[Case] = &[
        (
            "foo.*",
            None,
            &[("foo", false), ("foo.bar", true), ("foo.bar.baz", false)],
        ),
        (
            "foo.>",
            None,
            &[("foo", false), ("foo.bar", true), ("foo.bar.baz", true)],
        ),
        (
            "*.>",
            None,
            &[("foo", false), ("foo.bar", true), ("foo.baz", true)],
        ),
        (
            "*.bar",
            None,
            &[("foo", false), ("foo.bar", true), ("foo.baz", false)],
        ),
        ("*", None, &[("foo", true), ("foo.bar", false)]),
        ("foo", Some("bar"), &[("foo", true), ("foo.bar", false)]),
        (
            "foo.*",
            Some("bar"),
            &[("foo", false), ("foo.bar", true), ("foo.bar.baz", false)],
        ),
        (
            "foo.>",
            Some("bar"),
            &[("foo", false), ("foo.bar", true), ("foo.bar.baz", true)],
        ),
        (
            "*.>",
            Some("bar"),
            &[("foo", false), ("foo.bar", true), ("foo.baz", true)],
        ),
        (
            "*.bar",
            Some("bar"),
            &[("foo", false), ("foo.bar", true), ("foo.baz", false)],
        ),
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
                assert_eq!(
                    s.has_interest(subj),
                    want,
                    "{subject} second group -> {subj}"
                );
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
    for (subject, hits) in [
        ("foo", "foo"),
        ("foo.*", "foo.bar"),
        ("foo.>", "foo.bar.baz"),
    ] {
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

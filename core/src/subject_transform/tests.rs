//! Unit tests for subject transforms, ported from Go's
//! server/subject_transform_test.go (names snake_cased).
use super::*;

fn rng() -> Prng {
    Prng::from_seed(7)
}

#[test]
fn test_place_holder_index() {
    let p = index_place_holders("$1").unwrap();
    assert_eq!(
        (p.kind, p.wildcards.clone(), p.int_arg),
        (TransformType::Wildcard, vec![1], -1)
    );
    for s in ["{{partition(10,1,2,3)}}", "{{ Partition (10,1,2,3) }}"] {
        let p = index_place_holders(s).unwrap();
        assert_eq!(
            (p.kind, p.wildcards, p.int_arg),
            (TransformType::Partition, vec![1, 2, 3], 10),
            "{s}"
        );
    }
    let p = index_place_holders("{{wildcard(2)}}").unwrap();
    assert_eq!(
        (p.kind, p.wildcards, p.int_arg),
        (TransformType::Wildcard, vec![2], -1)
    );
    let cases = [
        ("{{SplitFromLeft(2,1)}}", TransformType::SplitFromLeft, 2, 1),
        (
            "{{SplitFromRight(3,2)}}",
            TransformType::SplitFromRight,
            3,
            2,
        ),
        ("{{SliceFromLeft(2,2)}}", TransformType::SliceFromLeft, 2, 2),
        ("{{Left(3,2)}}", TransformType::Left, 3, 2),
        ("{{Right(3,2)}}", TransformType::Right, 3, 2),
    ];
    for (s, kind, idx, n) in cases {
        let p = index_place_holders(s).unwrap();
        assert_eq!(
            (p.kind, p.wildcards, p.int_arg),
            (kind, vec![idx], n),
            "{s}"
        );
    }
}

#[test]
fn test_subject_transform_helpers() {
    assert_eq!(transform_untokenize("bar"), ("bar".to_string(), vec![]));
    assert_eq!(
        transform_untokenize("foo.$2.$1"),
        (
            "foo.*.*".to_string(),
            vec!["$2".to_string(), "$1".to_string()]
        )
    );
    assert_eq!(
        transform_untokenize("foo.{{wildcard(2)}}.{{wildcard(1)}}"),
        (
            "foo.*.*".to_string(),
            vec!["{{wildcard(2)}}".to_string(), "{{wildcard(1)}}".to_string()]
        )
    );
    let tr = SubjectTransform::new_strict("foo.*.*", "bar.$2.{{Wildcard(1)}}")
        .unwrap()
        .unwrap();
    let transformed = tr.transform_subject("foo.b.a", &mut rng());
    assert_eq!(transformed, "bar.a.b");
    let reverse = tr.reverse().unwrap();
    assert_eq!(
        reverse.transform_subject(&transformed, &mut rng()),
        "foo.b.a"
    );
    assert_eq!(transform_tokenize("foo.*.*"), "foo.$1.$2");
}

fn should_err(src: &str, dest: &str, strict: bool) {
    let r = SubjectTransform::new_with_strict(src, dest, strict);
    assert!(
        matches!(
            r,
            Err(TransformError::BadSubject | TransformError::Destination { .. })
        ),
        "no error for src={src:?} dest={dest:?}: {r:?}"
    );
}

fn should_be_ok(src: &str, dest: &str, strict: bool) -> Option<SubjectTransform> {
    match SubjectTransform::new_with_strict(src, dest, strict) {
        Ok(t) => t,
        Err(e) => panic!("error {e} for src={src:?} dest={dest:?}"),
    }
}

fn should_match(src: &str, dest: &str, sample: &str, expected: &[&str]) {
    let Some(tr) = should_be_ok(src, dest, false) else {
        return;
    };
    let got = tr.match_subject(sample, &mut rng()).unwrap();
    assert!(
        expected.contains(&got.as_str()),
        "{src} -> {dest} on {sample}: got {got:?}, want {expected:?}"
    );
}

#[test]
fn test_subject_transforms() {
    should_err("foo..", "bar", false);
    should_err("foo.*", "bar.*", false);
    should_err("foo.*", "bar.$2", false);
    should_err("foo.*", "bar.$1.>", false);
    should_err("foo.>", "bar.baz", false);
    should_err("foo.*.*", "bar.$2", true);
    should_err("foo.*", "foo.$foo", true);
    should_err("foo.*", "bar.{{Partition(2,1)}}", true);
    should_err("foo.*", "foo.{{wildcard(2)}}", false);
    should_err("foo.*", "foo.{{unimplemented(1)}}", false);
    should_err("foo.*", "foo.{{partition()}}", false);
    should_err("foo.*", "foo.{{random()}}", false);
    should_err("foo.*", "foo.{{wildcard(foo)}}", false);
    should_err("foo.*", "foo.{{wildcard()}}", false);
    should_err("foo.*", "foo.{{wildcard(1,2)}}", false);
    should_err("foo.*", "foo.{{ wildcard5) }}", false);
    should_err("foo.*", "foo.{{splitLeft(2,2}}", false);
    should_err("foo", "bla.{{wildcard(1)}}", false);
    let big = i64::from(i32::MAX) + 1;
    should_err("foo.*", &format!("foo.{{{{partition({big})}}}}"), false);
    should_err("foo.*", &format!("foo.{{{{random({big})}}}}"), false);

    should_be_ok("foo.*", "bar.{{Wildcard(1)}}", true);
    should_be_ok("foo.*.*", "bar.$2", false);
    should_be_ok("foo.*.*", "bar.{{wildcard(1)}}", false);
    should_be_ok("foo.*.*", "bar.{{partition(1)}}", false);
    should_be_ok("foo.*.*", "bar.{{random(5)}}", false);
    should_be_ok("foo", "bar", false);
    should_be_ok("foo.*.bar.*.baz", "req.$2.$1", false);
    should_be_ok("baz.>", "mybaz.>", false);
    should_be_ok("*", "{{splitfromleft(1,1)}}", false);
    should_be_ok("", "prefix.>", false);
    should_be_ok("*.*", "{{partition(10,1,2)}}", false);
    should_be_ok(
        "foo.*.*",
        "foo.{{wildcard(1)}}.{{wildcard(2)}}.{{partition(5,1,2)}}",
        false,
    );
    let max = i32::MAX;
    should_be_ok("foo.*", &format!("foo.{{{{partition({max})}}}}"), false);
    should_be_ok("foo.*", &format!("foo.{{{{random({max})}}}}"), false);
    should_be_ok("foo.bar", &format!("foo.{{{{random({max})}}}}"), false);

    should_match("", "prefix.>", "foo", &["prefix.foo"]);
    should_match("foo", "", "foo", &["foo"]);
    should_match("foo", "bar", "foo", &["bar"]);
    should_match(
        "foo.*.bar.*.baz",
        "req.$2.$1",
        "foo.A.bar.B.baz",
        &["req.B.A"],
    );
    should_match(
        "foo.*.bar.*.baz",
        "req.{{wildcard(2)}}.{{wildcard(1)}}",
        "foo.A.bar.B.baz",
        &["req.B.A"],
    );
    should_match("baz.>", "my.pre.>", "baz.1.2.3", &["my.pre.1.2.3"]);
    should_match("baz.>", "foo.bar.>", "baz.1.2.3", &["foo.bar.1.2.3"]);
    should_match("*", "foo.bar.$1", "foo", &["foo.bar.foo"]);
    should_match("*", "{{splitfromleft(1,3)}}", "12345", &["123.45"]);
    should_match("*", "{{SplitFromRight(1,3)}}", "12345", &["12.345"]);
    should_match(
        "*",
        "{{SliceFromLeft(1,3)}}",
        "1234567890",
        &["123.456.789.0"],
    );
    should_match(
        "*",
        "{{SliceFromRight(1,3)}}",
        "1234567890",
        &["1.234.567.890"],
    );
    should_match("*", "{{split(1,-)}}", "-abc-def--ghi-", &["abc.def.ghi"]);
    should_match("*", "{{split(1,-)}}", "abc-def--ghi-", &["abc.def.ghi"]);
    should_match(
        "*.*",
        "{{split(2,-)}}.{{splitfromleft(1,2)}}",
        "foo.-abc-def--ghij-",
        &["abc.def.ghij.fo.o"],
    );
    should_match("*", "{{right(1,1)}}", "1234", &["4"]);
    should_match("*", "{{right(1,3)}}", "1234", &["234"]);
    should_match("*", "{{right(1,6)}}", "1234", &["1234"]);
    should_match("*", "{{left(1,1)}}", "1234", &["1"]);
    should_match("*", "{{left(1,3)}}", "1234", &["123"]);
    should_match("*", "{{left(1,6)}}", "1234", &["1234"]);
    should_match("*", "bar.{{partition(0)}}", "baz", &["bar.0"]);
    should_match("*", "bar.{{partition(10, 0)}}", "foo", &["bar.3"]);
    should_match("*.*", "bar.{{partition(10)}}", "foo.bar", &["bar.6"]);
    should_match("*", "bar.{{partition(10)}}", "foo", &["bar.3"]);
    should_match("*", "bar.{{partition(10)}}", "baz", &["bar.0"]);
    should_match("*", "bar.{{partition(10)}}", "qux", &["bar.9"]);
    should_match("*", "bar.{{random(0)}}", "qux", &["bar.0"]);
    let mut r = rng();
    let tr = should_be_ok("*", "bar.{{random(6)}}", false).unwrap();
    for _ in 0..100 {
        let got = tr.match_subject("qux", &mut r).unwrap();
        assert!(
            ["bar.0", "bar.1", "bar.2", "bar.3", "bar.4", "bar.5"].contains(&got.as_str()),
            "{got}"
        );
    }
    should_match("foo.bar", "baz.{{partition(10)}}", "foo.bar", &["baz.6"]);
    should_match("foo.baz", "qux.{{partition(10)}}", "foo.baz", &["qux.4"]);
    should_match(
        "test.subject",
        "result.{{partition(5)}}",
        "test.subject",
        &["result.0"],
    );
}

#[test]
fn test_subject_transform_doesnt_panic_transforming_missing_token() {
    let tr = SubjectTransform::new("foo.*", "one.two.{{wildcard(1)}}")
        .unwrap()
        .unwrap();
    assert_eq!(tr.transform_tokenized(&["foo"], &mut rng()), "one.two.");
}

#[test]
fn match_rejects_non_matching_and_wildcard_subjects() {
    let tr = SubjectTransform::new("foo.*", "bar.$1").unwrap().unwrap();
    assert_eq!(
        tr.match_subject("baz.x", &mut rng()),
        Err(TransformError::NoTransforms)
    );
    assert_eq!(
        tr.match_subject("foo.*", &mut rng()),
        Err(TransformError::BadSubject)
    );
    assert_eq!(SubjectTransform::new("foo", ""), Ok(None));
}

#[test]
fn validate_mapping_like_go() {
    assert!(validate_mapping("foo.*", "bar.$1").is_ok());
    assert!(validate_mapping("foo", "").is_ok());
    let e = validate_mapping("foo.*", "bar.{{nope(1)}}").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid mapping destination: unknown function in {{nope(1)}}"
    );
    assert!(validate_mapping("foo.>", "bar.>.x").is_err());
    assert!(validate_mapping("foo.*", "bar..x").is_err());
    assert_eq!(fnv1a32(b""), 0x811c_9dc5);
}

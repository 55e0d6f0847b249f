//! Subjects: validation, tokenizing and wildcard matching (the helpers of
//! Go's `server/sublist.go`).
//!
//! A subject is a sequence of tokens separated by `.`. In a subscription (or
//! a permission, or a stream filter) a token that is exactly `*` matches any
//! one token, and a last token that is exactly `>` matches one or more tokens.
//! `*` or `>` inside a longer token (`foo*`, `>bar`) is an ordinary character.
//!
//! # Which check the engine applies where (mirrors Go's client.go)
//!
//! | protocol op | check | on failure |
//! |---|---|---|
//! | `SUB <subj> [queue] <sid>` | [`crate::sublist::Sublist::insert`] returns `SublistError::InvalidSubject` when [`is_valid_sublist_subject`] is false (empty token, or `>` not last). No pedantic flag involved. Whitespace cannot occur: the parser already split on it. | `-ERR 'Invalid Subject'`; the sub is not recorded; the connection stays open (Go `processSubEx`, client.go:3123). |
//! | `PUB`/`HPUB <subj> …` with `pedantic: true` | [`is_valid_literal_subject`] | `-ERR 'Invalid Publish Subject'`, and **the message is still processed** (Go `processPub`/`processHeaderPub` send the error but return no error). |
//! | `PUB`/`HPUB` without pedantic | none | a subject with wildcard tokens is matched token by token like any other (`foo.*` reaches subscribers of `foo.*`, `foo.>`, `>`), exactly as Go does. |
//! | permission and config subjects | [`is_valid_subject`] | config error / ignored entry. |
//! | subjects read back from the file store | [`is_valid_subject_checked`] with `check_runes` | treated as corrupt. |
//!
//! [`is_valid_publish_subject`] (valid and literal) is Go's
//! `IsValidPublishSubject`, used for service imports/exports and JetStream
//! subjects; it is stricter than the pedantic PUB check because it also
//! rejects whitespace.

/// The partial wildcard token, `*`.
pub const PWC: u8 = b'*';
/// The full wildcard token, `>`; only valid as the last token.
pub const FWC: u8 = b'>';
/// The token separator, `.`.
pub const TSEP: u8 = b'.';

const WHITESPACE: [u8; 5] = [b' ', b'\t', b'\n', b'\r', b'\x0c'];

/// Tokens of a subject, split on `.`. Like Go's `strings.Split`, empty tokens
/// are yielded (`"a..b"` gives `a`, ``, `b`, and `""` gives one empty token).
#[derive(Clone, Debug)]
pub struct Tokens<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match memchr::memchr(TSEP, rest) {
            Some(i) => {
                self.rest = Some(&rest[i + 1..]);
                Some(&rest[..i])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// Splits a subject into its tokens (see [`Tokens`]).
#[inline]
pub fn tokenize(subject: &[u8]) -> Tokens<'_> {
    Tokens { rest: Some(subject) }
}

/// How many tokens fit on the stack before [`with_tokens`] spills to the heap.
const TOKENS_ON_STACK: usize = 32;

/// Calls `f` with the tokens of `subject` as a slice, without allocating for
/// subjects of up to 32 tokens (Go uses the same `[32]string` trick).
pub(crate) fn with_tokens<R>(subject: &[u8], f: impl FnOnce(&[&[u8]]) -> R) -> R {
    let mut stack: [&[u8]; TOKENS_ON_STACK] = [&[]; TOKENS_ON_STACK];
    let mut n = 0;
    let mut it = tokenize(subject);
    while let Some(t) = it.next() {
        if n == TOKENS_ON_STACK {
            let mut heap = stack.to_vec();
            heap.push(t);
            heap.extend(it);
            return f(&heap);
        }
        stack[n] = t;
        n += 1;
    }
    f(&stack[..n])
}

#[inline]
fn is_pwc(t: &[u8]) -> bool {
    t == [PWC]
}

#[inline]
fn is_fwc(t: &[u8]) -> bool {
    t == [FWC]
}

/// Go `IsValidSubject`: non-empty, no empty token, no whitespace, `>` only as
/// the last token. Wildcards are allowed.
pub fn is_valid_subject(subject: &[u8]) -> bool {
    is_valid_subject_checked(subject, false)
}

/// Go `isValidSubject(subject, checkRunes)`. With `check_runes` the subject
/// must also hold no NUL byte and be valid UTF-8 without U+FFFD (Go rejects
/// anything that decodes to `utf8.RuneError`).
pub fn is_valid_subject_checked(subject: &[u8], check_runes: bool) -> bool {
    if subject.is_empty() {
        return false;
    }
    if check_runes {
        if memchr::memchr(0, subject).is_some() {
            return false;
        }
        match std::str::from_utf8(subject) {
            Ok(s) if !s.contains('\u{FFFD}') => {}
            _ => return false,
        }
    }
    let mut seen_fwc = false;
    for t in tokenize(subject) {
        if t.is_empty() || seen_fwc {
            return false;
        }
        if t.iter().any(|b| WHITESPACE.contains(b)) {
            return false;
        }
        seen_fwc = is_fwc(t);
    }
    true
}

/// The rule Go's `Sublist.Insert`/`Remove` apply: no empty token and `>`
/// only as the last token. Unlike [`is_valid_subject`] it does not look for
/// whitespace. A SUB whose subject fails this gets `-ERR 'Invalid Subject'`.
pub fn is_valid_sublist_subject(subject: &[u8]) -> bool {
    let mut seen_fwc = false;
    for t in tokenize(subject) {
        if t.is_empty() || seen_fwc {
            return false;
        }
        seen_fwc = is_fwc(t);
    }
    true
}

/// Go `IsValidPublishSubject`: [`is_valid_subject`] and literal.
pub fn is_valid_publish_subject(subject: &[u8]) -> bool {
    is_valid_subject(subject) && subject_is_literal(subject)
}

/// Go `IsValidLiteralSubject`: no empty token and no wildcard token. It does
/// not check for whitespace. This is the pedantic PUB check.
pub fn is_valid_literal_subject(subject: &[u8]) -> bool {
    tokenize(subject).all(|t| !t.is_empty() && !is_pwc(t) && !is_fwc(t))
}

/// Go `subjectIsLiteral`: true unless some token is exactly `*` or `>`.
/// Fast; does not check validity.
pub fn subject_is_literal(subject: &[u8]) -> bool {
    !subject_has_wildcard(subject)
}

/// Go `subjectHasWildcard`: some token is exactly `*` or `>`.
pub fn subject_has_wildcard(subject: &[u8]) -> bool {
    let len = subject.len();
    subject.iter().enumerate().any(|(i, &c)| {
        (c == PWC || c == FWC)
            && (i == 0 || subject[i - 1] == TSEP)
            && (i + 1 == len || subject[i + 1] == TSEP)
    })
}

/// Go `numTokens`: 0 for the empty subject, else the number of `.` plus one.
pub fn num_tokens(subject: &[u8]) -> usize {
    if subject.is_empty() {
        return 0;
    }
    memchr::memchr_iter(TSEP, subject).count() + 1
}

/// Go `tokenAt`: the token at a **one-based** index, or empty when out of range.
pub fn token_at(subject: &[u8], index: usize) -> &[u8] {
    if index == 0 {
        return &[];
    }
    tokenize(subject).nth(index - 1).unwrap_or(&[])
}

/// A queue group name as the protocol can carry it: non-empty and free of
/// whitespace. Go has no separate check (the parser's split on whitespace
/// guarantees it); the reserved `_sys_` group is refused later, by the
/// permission check in `processSub`.
pub fn is_valid_queue_name(queue: &[u8]) -> bool {
    !queue.is_empty() && !queue.iter().any(|b| WHITESPACE.contains(b))
}

/// Go `matchLiteral`: does the subject `literal` match the (possibly
/// wildcard) `subject`? Characters of `literal` are all taken literally, so a
/// `*` token in `literal` is only matched by `*` or a wildcard in `subject`.
/// This is the test the sublist cache uses to find cached published subjects
/// that a new wildcard subscription reaches.
pub fn match_literal(literal: &[u8], subject: &[u8]) -> bool {
    let (ll, ls) = (literal.len(), subject.len());
    let mut li = 0;
    let mut i = 0;
    while i < ls {
        if li >= ll {
            return false;
        }
        let c = subject[i];
        let token_start = i == 0 || subject[i - 1] == TSEP;
        if c == PWC && token_start {
            if i == ls - 1 {
                // Last token is `*`: the rest of `literal` must be one token.
                return memchr::memchr(TSEP, &literal[li..]).is_none();
            }
            if subject[i + 1] == TSEP {
                // Skip one token of `literal`; a separator must follow it.
                match memchr::memchr(TSEP, &literal[li..]) {
                    Some(off) => li += off,
                    None => return false,
                }
                i += 1; // now at the `.`, compared below
            }
        } else if c == FWC && token_start && i == ls - 1 {
            return true;
        }
        if subject[i] != literal[li] {
            return false;
        }
        li += 1;
        i += 1;
    }
    li >= ll
}

/// Go `SubjectMatchesFilter`: does `subject` fall within `filter`? Both may
/// hold wildcards; see [`subject_is_subset_match`]. For a literal subject this
/// is the ordinary wildcard match.
pub fn subject_matches_filter(subject: &[u8], filter: &[u8]) -> bool {
    subject_is_subset_match(subject, filter)
}

/// Go `subjectIsSubsetMatch`: is every subject matched by `subject` also
/// matched by `test`? So `foo.*` is a subset of `>`, `*.*` and `foo.*`, but
/// not of `foo.bar`. Subjects with empty tokens never match. Permissions use
/// this to decide whether a wildcard subscription is covered by an allow or
/// deny entry.
pub fn subject_is_subset_match(subject: &[u8], test: &[u8]) -> bool {
    with_tokens(subject, |toks| with_tokens(test, |tts| is_subset_match_tokenized(toks, tts)))
}

/// Go `isSubsetMatchTokenized`.
pub(crate) fn is_subset_match_tokenized(tokens: &[&[u8]], test: &[&[u8]]) -> bool {
    for (i, t2) in test.iter().enumerate() {
        let Some(t1) = tokens.get(i) else {
            return false;
        };
        if t2.is_empty() {
            return false;
        }
        if is_fwc(t2) {
            return true;
        }
        if t1.is_empty() || is_fwc(t1) {
            return false;
        }
        if is_pwc(t1) {
            if !is_pwc(t2) {
                return false;
            }
            continue;
        }
        if !is_pwc(t2) && t1 != t2 {
            return false;
        }
    }
    tokens.len() == test.len()
}

/// Go `SubjectsCollide`: could some literal subject match both `subj1` and
/// `subj2`?
pub fn subjects_collide(subj1: &[u8], subj2: &[u8]) -> bool {
    if subj1 == subj2 {
        return true;
    }
    with_tokens(subj1, |t1| with_tokens(subj2, |t2| tokens_collide(t1, t2)))
}

fn tokens_collide(toks1: &[&[u8]], toks2: &[&[u8]]) -> bool {
    let (pwc1, fwc1) = analyze_tokens(toks1);
    let (pwc2, fwc2) = analyze_tokens(toks2);
    let (lit1, lit2) = (!(pwc1 || fwc1), !(pwc2 || fwc2));
    if lit1 && lit2 {
        return toks1 == toks2;
    }
    if lit1 {
        return is_subset_match_tokenized(toks1, toks2);
    }
    if lit2 {
        return is_subset_match_tokenized(toks2, toks1);
    }
    let (n1, n2) = (toks1.len(), toks2.len());
    if n1 != n2 && ((n1 < n2 && !fwc1) || (n2 < n1 && !fwc2)) {
        // The shorter one has no `>` to absorb the extra tokens.
        return false;
    }
    let token_can_match = |a: &[u8], b: &[u8]| match (a.first(), b.first()) {
        (Some(&x), Some(&y)) => x == PWC || y == PWC || x == FWC || y == FWC || a == b,
        _ => false,
    };
    toks1.iter().zip(toks2).all(|(a, b)| token_can_match(a, b))
}

/// Go `analyzeTokens`: (has a `*` token, has a `>` token).
fn analyze_tokens(tokens: &[&[u8]]) -> (bool, bool) {
    let has_pwc = tokens.iter().any(|t| is_pwc(t));
    let has_fwc = tokens.iter().any(|t| is_fwc(t));
    (has_pwc, has_fwc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(f: fn(&[u8]) -> bool, cases: &[(&str, bool)]) {
        for &(s, want) in cases {
            assert_eq!(f(s.as_bytes()), want, "subject {s:?}");
        }
    }

    /// Go TestSublistValidLiteralSubjects.
    #[test]
    fn test_sublist_valid_literal_subjects() {
        check(
            is_valid_literal_subject,
            &[
                ("foo", true),
                (".foo", false),
                ("foo.", false),
                ("foo..bar", false),
                ("foo.bar.*", false),
                ("foo.bar.>", false),
                ("*", false),
                (">", false),
                // Wildcard characters inside a longer token are literal.
                ("foo*", true),
                ("foo**", true),
                ("foo.**", true),
                ("foo*bar", true),
                ("foo.*bar", true),
                ("foo*.bar", true),
                ("*bar", true),
                ("foo>", true),
                ("foo>>", true),
                ("foo.>>", true),
                ("foo>bar", true),
                ("foo.>bar", true),
                ("foo>.bar", true),
                (">bar", true),
            ],
        );
    }

    /// Go TestSublistValidSubjects.
    #[test]
    fn test_sublist_valid_subjects() {
        check(
            is_valid_subject,
            &[
                (".", false),
                (".foo", false),
                ("foo.", false),
                ("foo..bar", false),
                (">.bar", false),
                ("foo.>.bar", false),
                ("foo", true),
                ("foo.bar.*", true),
                ("foo.bar.>", true),
                ("*", true),
                (">", true),
                ("foo*", true),
                ("foo**", true),
                ("foo.**", true),
                ("foo*bar", true),
                ("foo.*bar", true),
                ("foo*.bar", true),
                ("*bar", true),
                ("foo>", true),
                ("foo.>>", true),
                ("foo>bar", true),
                ("foo.>bar", true),
                ("foo>.bar", true),
                (">bar", true),
            ],
        );
        // Embedded NUL is only caught when checking runes.
        let with_nul = b"foo.bar.baz.\0";
        assert!(!is_valid_subject_checked(with_nul, true));
        assert!(is_valid_subject_checked(b"foo.bar.\0", false));
        assert!(!is_valid_subject_checked(b"foo.\xff", true));
        assert!(!is_valid_subject_checked("foo.\u{FFFD}".as_bytes(), true));
        assert!(is_valid_subject_checked("foo.\u{e9}t\u{e9}".as_bytes(), true));
    }

    #[test]
    fn valid_subject_rejects_whitespace_and_empty() {
        check(
            is_valid_subject,
            &[("", false), ("foo bar", false), ("foo.\t", false), ("a.\x0c.b", false), ("a\r", false)],
        );
    }

    #[test]
    fn valid_sublist_subject_ignores_whitespace() {
        check(
            is_valid_sublist_subject,
            &[
                ("", false),
                ("foo", true),
                ("foo bar", true),
                ("a.b..d", false),
                ("a.>.b", false),
                ("a.>", true),
                ("*.*", true),
                (">", true),
                (".", false),
            ],
        );
    }

    #[test]
    fn valid_publish_subject() {
        check(
            is_valid_publish_subject,
            &[("foo", true), ("foo.*", false), ("foo.>", false), ("foo bar", false), ("", false), ("a*.b>", true)],
        );
    }

    /// Go TestSublistMatchLiterals.
    #[test]
    fn test_sublist_match_literals() {
        let cases: &[(&str, &str, bool)] = &[
            ("foo", "foo", true),
            ("foo", "bar", false),
            ("foo", "*", true),
            ("foo", ">", true),
            ("foo.bar", ">", true),
            ("foo.bar", "foo.>", true),
            ("foo.bar", "bar.>", false),
            ("stats.test.22", "stats.>", true),
            ("stats.test.22", "stats.*.*", true),
            ("foo.bar", "foo", false),
            ("stats.test.foos", "stats.test.foos", true),
            ("stats.test.foos", "stats.test.foo", false),
            ("stats.test", "stats.test.*", false),
            ("stats.test.foos", "stats.*", false),
            ("stats.test.foos", "stats.*.*.foos", false),
            // Wildcard characters that are not whole tokens are not wildcards.
            ("*bar", "*bar", true),
            ("foo*", "foo*", true),
            ("foo*bar", "foo*bar", true),
            ("foo.***.bar", "foo.***.bar", true),
            (">bar", ">bar", true),
            ("foo>", "foo>", true),
            ("foo>bar", "foo>bar", true),
            ("foo.>>>.bar", "foo.>>>.bar", true),
        ];
        for &(lit, subj, want) in cases {
            assert_eq!(match_literal(lit.as_bytes(), subj.as_bytes()), want, "{lit:?} vs {subj:?}");
        }
    }

    /// Go TestSubjectIsLiteral.
    #[test]
    fn test_subject_is_literal() {
        check(
            subject_is_literal,
            &[
                ("foo", true),
                ("foo.bar", true),
                ("foo*.bar", true),
                ("*", false),
                (">", false),
                ("foo.*", false),
                ("foo.>", false),
                ("foo.*.>", false),
                ("foo.*.bar", false),
                ("foo.bar.>", false),
            ],
        );
        assert!(subject_has_wildcard(b"a.*.b"));
        assert!(!subject_has_wildcard(b"a.*b"));
    }

    /// Go TestSubjectToken.
    #[test]
    fn test_subject_token() {
        let s = b"foo.bar.baz.*";
        assert_eq!(token_at(s, 0), b"");
        assert_eq!(token_at(s, 1), b"foo");
        assert_eq!(token_at(s, 2), b"bar");
        assert_eq!(token_at(s, 3), b"baz");
        assert_eq!(token_at(s, 4), b"*");
        assert_eq!(token_at(s, 5), b"");
        assert_eq!(num_tokens(s), 4);
        assert_eq!(num_tokens(b""), 0);
        assert_eq!(num_tokens(b"a..b"), 3);
    }

    #[test]
    fn tokenize_keeps_empty_tokens_like_go_split() {
        let toks: Vec<&[u8]> = tokenize(b".a..b.").collect();
        assert_eq!(toks, vec![&b""[..], b"a", b"", b"b", b""]);
        assert_eq!(tokenize(b"").collect::<Vec<_>>(), vec![&b""[..]]);
        // More tokens than the stack buffer holds.
        let long = vec!["t"; 40].join(".");
        assert_eq!(with_tokens(long.as_bytes(), |t| t.len()), 40);
    }

    /// Go TestIsSubsetMatch.
    #[test]
    fn test_is_subset_match() {
        let cases: &[(&str, &str, bool)] = &[
            ("foo.bar", "foo.bar", true),
            ("foo.*", ">", true),
            ("foo.*", "*.*", true),
            ("foo.*", "foo.*", true),
            ("foo.*", "foo.bar", false),
            ("foo.>", ">", true),
            ("foo.>", "*.>", true),
            ("foo.>", "foo.>", true),
            ("foo.>", "foo.bar", false),
            ("foo..bar", "foo.*", false),
            ("foo.*", "foo..bar", false),
        ];
        for &(subject, test, want) in cases {
            assert_eq!(subject_is_subset_match(subject.as_bytes(), test.as_bytes()), want, "{subject:?} in {test:?}");
        }
        assert!(subject_matches_filter(b"foo.bar.baz", b"foo.>"));
        assert!(!subject_matches_filter(b"foo", b"foo.>"));
        assert!(subject_matches_filter(b"foo.bar", b"*.bar"));
    }

    /// Go TestSublistSubjectCollide.
    #[test]
    fn test_sublist_subject_collide() {
        assert!(!subjects_collide(b"foo.*", b"foo.*.bar.>"));
        assert!(!subjects_collide(b"foo.*.bar.>", b"foo.*"));
        assert!(subjects_collide(b"foo.*", b"foo.foo"));
        assert!(subjects_collide(b"foo.*", b"*.foo"));
        assert!(subjects_collide(b"foo.bar.>", b"*.bar.foo"));
        assert!(!subjects_collide(b"foo.bar", b"foo.baz"));
        assert!(subjects_collide(b"a.>", b"*.b.c"));
    }

    #[test]
    fn queue_names() {
        check(is_valid_queue_name, &[("q", true), ("", false), ("a b", false), ("a\tb", false), ("a.b*", true)]);
    }
}

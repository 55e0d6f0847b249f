//! Subject transforms (Go's `subjectTransform` in server/subject_transform.go):
//! map a literal subject matching a source pattern to a destination built
//! from its tokens. Used by a stream's `subject_transform` (and later by
//! account mappings, imports and republish).
//!
//! A destination token is either literal text or a placeholder:
//! `$N` / `{{wildcard(N)}}` (the N-th `*` of the source),
//! `{{partition(n[,i,j..])}}` (FNV-1a hash of the chosen wildcard tokens, or
//! of the whole subject, modulo `n`), `{{random(n)}}`,
//! `{{splitfromleft(i,pos)}}`, `{{splitfromright(i,pos)}}`,
//! `{{slicefromleft(i,size)}}`, `{{slicefromright(i,size)}}`,
//! `{{split(i,delim)}}`, `{{left(i,len)}}` and `{{right(i,len)}}`. Function
//! names are matched case-insensitively on their first letter of each word, as
//! Go's regular expressions do; spaces are allowed around the name, the
//! parentheses and after commas.

use std::fmt;

use crate::prng::Prng;

/// Go's transform function kinds (`NoTransform`, `Partition`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransformType {
    NoTransform,
    Partition,
    Wildcard,
    SplitFromLeft,
    SplitFromRight,
    SliceFromLeft,
    SliceFromRight,
    Split,
    Left,
    Right,
    Random,
}

/// Why a transform could not be built or applied (Go's `ErrBadSubject`,
/// `ErrNoTransforms` and the `ErrMappingDestination*` family wrapped in
/// `mappingDestinationErr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransformError {
    /// Go's `ErrBadSubject`: "invalid subject".
    BadSubject,
    /// Go's `ErrNoTransforms`: the subject does not match the source.
    NoTransforms,
    /// A destination error: the offending token and the kind.
    Destination { token: String, kind: DestErrorKind },
}

/// The `ErrMappingDestination*` kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DestErrorKind {
    InvalidSubject,
    NotUsingAllWildcards,
    UnknownFunction,
    IndexOutOfRange,
    NotEnoughArgs,
    InvalidArg,
    TooManyArgs,
    NotSupportedForImport,
}

impl DestErrorKind {
    fn text(self) -> &'static str {
        match self {
            DestErrorKind::InvalidSubject => "invalid transform",
            DestErrorKind::NotUsingAllWildcards => "not using all of the token wildcard(s)",
            DestErrorKind::UnknownFunction => "unknown function",
            DestErrorKind::IndexOutOfRange => "wildcard index out of range",
            DestErrorKind::NotEnoughArgs => "not enough arguments passed to the function",
            DestErrorKind::InvalidArg => "function argument is invalid or in the wrong format",
            DestErrorKind::TooManyArgs => "too many arguments passed to the function",
            DestErrorKind::NotSupportedForImport => {
                "the only mapping function allowed for import transforms is {{Wildcard()}}"
            }
        }
    }
}

impl fmt::Display for TransformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransformError::BadSubject => f.write_str("invalid subject"),
            TransformError::NoTransforms => f.write_str("no matching transforms available"),
            TransformError::Destination { token, kind } => {
                if token.is_empty() {
                    write!(f, "invalid mapping destination: {}", kind.text())
                } else {
                    write!(f, "invalid mapping destination: {} in {token}", kind.text())
                }
            }
        }
    }
}

impl std::error::Error for TransformError {}

fn dest_err(token: &str, kind: DestErrorKind) -> TransformError {
    TransformError::Destination {
        token: token.to_string(),
        kind,
    }
}

/// One parsed destination token (Go's `dtokmftypes[i]`,
/// `dtokmftokindexesargs[i]`, `dtokmfintargs[i]`, `dtokmfstringargs[i]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub kind: TransformType,
    /// Wildcard numbers (1-based) as parsed, before mapping to source
    /// token positions.
    pub wildcards: Vec<usize>,
    pub int_arg: i32,
    pub str_arg: String,
}

impl Placeholder {
    fn literal() -> Placeholder {
        Placeholder {
            kind: TransformType::NoTransform,
            wildcards: Vec::new(),
            int_arg: -1,
            str_arg: String::new(),
        }
    }

    fn with(kind: TransformType, wildcards: Vec<usize>, int_arg: i32) -> Placeholder {
        Placeholder {
            kind,
            wildcards,
            int_arg,
            str_arg: String::new(),
        }
    }
}

/// A destination token at run time: its kind, the source token positions it
/// reads, and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DestToken {
    kind: TransformType,
    src_positions: Vec<usize>,
    int_arg: i32,
    str_arg: String,
}

/// Go's `subjectTransform`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectTransform {
    src: String,
    dest: String,
    dtoks: Vec<String>,
    stoks: Vec<String>,
    /// Empty when the destination is a plain literal with no source
    /// wildcards (then the destination is returned as is).
    dtokmf: Vec<DestToken>,
}

/// Go's `subjectInfo`: valid, tokens, number of `*`, has `>`.
fn subject_info(subject: &str) -> Option<(Vec<String>, usize, bool)> {
    if subject.is_empty() {
        return None;
    }
    let mut npwcs = 0;
    let mut fwc = false;
    let mut tokens = Vec::new();
    for t in subject.split('.') {
        if t.is_empty() || fwc {
            return None;
        }
        match t {
            ">" => fwc = true,
            "*" => npwcs += 1,
            _ => {}
        }
        tokens.push(t.to_string());
    }
    Some((tokens, npwcs, fwc))
}

/// Splits `{{ name ( args ) }}` into the lower-cased name and the raw
/// argument text, as Go's mapping-function regular expressions do (spaces
/// allowed around the name and after the closing parenthesis).
fn parse_function(token: &str) -> Option<(String, &str)> {
    let inner = token.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.trim_start_matches(char::is_whitespace);
    let inner = inner.trim_end_matches(char::is_whitespace);
    let open = inner.find('(')?;
    let name = inner[..open].trim_end_matches(char::is_whitespace);
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let rest = inner[open + 1..].strip_suffix(')')?;
    Some((name.to_ascii_lowercase(), rest))
}

/// The known function names (Go matches `[sS]plit[fF]rom[lL]eft` etc.; a
/// name in any other mixed case is unknown there too, but names are short
/// and real configs use the documented spellings, so any case is accepted).
const FUNCTIONS: [&str; 10] = [
    "partition",
    "wildcard",
    "splitfromleft",
    "splitfromright",
    "slicefromleft",
    "slicefromright",
    "split",
    "left",
    "right",
    "random",
];

/// Go's `commaSeparatorRegEx` split.
fn split_args(args: &str) -> Vec<&str> {
    args.split(',')
        .enumerate()
        .map(|(i, a)| {
            if i == 0 {
                a
            } else {
                a.trim_start_matches(char::is_whitespace)
            }
        })
        .collect()
}

fn parse_index(arg: &str, token: &str) -> Result<usize, TransformError> {
    arg.trim_matches(' ')
        .parse::<usize>()
        .map_err(|_| dest_err(token, DestErrorKind::InvalidArg))
}

fn parse_i32(arg: &str, token: &str) -> Result<i32, TransformError> {
    arg.trim_matches(' ')
        .parse::<i32>()
        .map_err(|_| dest_err(token, DestErrorKind::InvalidArg))
}

/// Go's `transformIndexIntArgsHelper`.
fn index_int_args(
    token: &str,
    args: &[&str],
    kind: TransformType,
) -> Result<Placeholder, TransformError> {
    if args.len() < 2 {
        return Err(dest_err(token, DestErrorKind::NotEnoughArgs));
    }
    if args.len() > 2 {
        return Err(dest_err(token, DestErrorKind::TooManyArgs));
    }
    let i = parse_index(args[0], token)?;
    let n = parse_i32(args[1], token)?;
    Ok(Placeholder::with(kind, vec![i], n))
}

/// Go's `indexPlaceHolders`: what one destination token asks for.
pub fn index_place_holders(token: &str) -> Result<Placeholder, TransformError> {
    let len = token.len();
    if len <= 1 {
        return Ok(Placeholder::literal());
    }
    if let Some(num) = token.strip_prefix('$') {
        // `$foo` is not a placeholder: other features use `$`-tokens.
        return Ok(match num.parse::<usize>() {
            Ok(n) if num.bytes().all(|b| b.is_ascii_digit()) => {
                Placeholder::with(TransformType::Wildcard, vec![n], -1)
            }
            _ => Placeholder::literal(),
        });
    }
    if !(len > 4 && token.starts_with("{{") && token.ends_with("}}")) {
        return Ok(Placeholder::literal());
    }
    let unknown = || dest_err(token, DestErrorKind::UnknownFunction);
    let (name, raw) = parse_function(token).ok_or_else(unknown)?;
    if !FUNCTIONS.contains(&name.as_str()) {
        return Err(unknown());
    }
    let args = split_args(raw);
    match name.as_str() {
        "wildcard" => {
            if args.len() == 1 && args[0].is_empty() {
                return Err(dest_err(token, DestErrorKind::NotEnoughArgs));
            }
            if args.len() > 1 {
                return Err(dest_err(token, DestErrorKind::TooManyArgs));
            }
            let i = parse_index(args[0], token)?;
            Ok(Placeholder::with(TransformType::Wildcard, vec![i], -1))
        }
        "partition" => {
            if args.len() == 1 && args[0].trim_matches(' ').is_empty() {
                return Err(dest_err(token, DestErrorKind::InvalidArg));
            }
            let n = parse_i32(args[0], token)?;
            let idx = args[1..]
                .iter()
                .map(|a| parse_index(a, token))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Placeholder::with(TransformType::Partition, idx, n))
        }
        "splitfromleft" => index_int_args(token, &args, TransformType::SplitFromLeft),
        "splitfromright" => index_int_args(token, &args, TransformType::SplitFromRight),
        "slicefromleft" => index_int_args(token, &args, TransformType::SliceFromLeft),
        "slicefromright" => index_int_args(token, &args, TransformType::SliceFromRight),
        "left" => index_int_args(token, &args, TransformType::Left),
        "right" => index_int_args(token, &args, TransformType::Right),
        "split" => {
            if args.len() < 2 {
                return Err(dest_err(token, DestErrorKind::NotEnoughArgs));
            }
            if args.len() > 2 {
                return Err(dest_err(token, DestErrorKind::TooManyArgs));
            }
            let i = parse_index(args[0], token)?;
            if args[1].contains(' ') || args[1].contains('.') {
                return Err(dest_err(token, DestErrorKind::InvalidArg));
            }
            let mut p = Placeholder::with(TransformType::Split, vec![i], -1);
            p.str_arg = args[1].to_string();
            Ok(p)
        }
        "random" => {
            if args.len() != 1 {
                return Err(dest_err(token, DestErrorKind::NotEnoughArgs));
            }
            let n = parse_i32(args[0], token)?;
            Ok(Placeholder::with(TransformType::Random, Vec::new(), n))
        }
        _ => Err(unknown()),
    }
}

impl SubjectTransform {
    /// Go's `NewSubjectTransform`. `Ok(None)` when `dest` is empty (no
    /// transform).
    pub fn new(src: &str, dest: &str) -> Result<Option<SubjectTransform>, TransformError> {
        Self::new_with_strict(src, dest, false)
    }

    /// Go's `NewSubjectTransformStrict`: reversible (imports): only
    /// wildcard placeholders, and every source wildcard used.
    pub fn new_strict(src: &str, dest: &str) -> Result<Option<SubjectTransform>, TransformError> {
        Self::new_with_strict(src, dest, true)
    }

    /// Go's `NewSubjectTransformWithStrict`.
    pub fn new_with_strict(
        src: &str,
        dest: &str,
        strict: bool,
    ) -> Result<Option<SubjectTransform>, TransformError> {
        if dest.is_empty() {
            return Ok(None);
        }
        let src = if src.is_empty() { ">" } else { src };
        let (stokens, npwcs, has_fwc) = subject_info(src).ok_or(TransformError::BadSubject)?;
        let (dtokens, dnpwcs, dhas_fwc) = subject_info(dest).ok_or(TransformError::BadSubject)?;
        if dnpwcs > 0 || has_fwc != dhas_fwc {
            return Err(TransformError::BadSubject);
        }
        // Source position of the n-th `*` (1-based), as Go's `sti` map.
        let sti: Vec<usize> = stokens
            .iter()
            .enumerate()
            .filter(|(_, t)| *t == "*")
            .map(|(i, _)| i)
            .collect();
        let mut dtokmf = Vec::with_capacity(dtokens.len());
        let mut nphs = 0;
        for token in &dtokens {
            let ph = index_place_holders(token)?;
            if strict
                && !matches!(
                    ph.kind,
                    TransformType::NoTransform | TransformType::Wildcard
                )
            {
                return Err(dest_err(token, DestErrorKind::NotSupportedForImport));
            }
            let wildcards_in_src = npwcs > 0 || has_fwc;
            let src_positions = match ph.kind {
                TransformType::NoTransform => Vec::new(),
                TransformType::Random => Vec::new(),
                TransformType::Partition if !wildcards_in_src => Vec::new(),
                _ if !wildcards_in_src => {
                    return Err(dest_err(token, DestErrorKind::IndexOutOfRange))
                }
                _ => {
                    nphs += ph.wildcards.len();
                    let mut out = Vec::with_capacity(ph.wildcards.len());
                    for &w in &ph.wildcards {
                        if w > npwcs {
                            return Err(dest_err(
                                &format!("{token}: [{w}]"),
                                DestErrorKind::IndexOutOfRange,
                            ));
                        }
                        // Go's map lookup of a missing index (0) yields 0.
                        out.push(if w == 0 { 0 } else { sti[w - 1] });
                    }
                    out
                }
            };
            dtokmf.push(DestToken {
                kind: ph.kind,
                src_positions,
                int_arg: ph.int_arg,
                str_arg: ph.str_arg,
            });
        }
        if strict && (npwcs > 0 || has_fwc) && nphs < npwcs {
            return Err(dest_err(dest, DestErrorKind::NotUsingAllWildcards));
        }
        Ok(Some(SubjectTransform {
            src: src.to_string(),
            dest: dest.to_string(),
            dtoks: dtokens,
            stoks: stokens,
            dtokmf,
        }))
    }

    pub fn source(&self) -> &str {
        &self.src
    }

    pub fn destination(&self) -> &str {
        &self.dest
    }

    /// Go's `Match`: transforms a literal subject that matches the source.
    /// `rng` serves `{{random(n)}}`.
    pub fn match_subject(&self, subject: &str, rng: &mut Prng) -> Result<String, TransformError> {
        let all = |s: &str| s == ">" || s.is_empty();
        if all(&self.src) && all(&self.dest) {
            return Ok(subject.to_string());
        }
        let tokens: Vec<&str> = subject.split('.').collect();
        let literal = tokens
            .iter()
            .all(|t| !t.is_empty() && *t != "*" && *t != ">");
        if !literal {
            return Err(TransformError::BadSubject);
        }
        if all(&self.src)
            || crate::subject::subject_is_subset_match(subject.as_bytes(), self.src.as_bytes())
        {
            return Ok(self.transform_tokenized(&tokens, rng));
        }
        Err(TransformError::NoTransforms)
    }

    /// Go's `TransformSubject`: no match check.
    pub fn transform_subject(&self, subject: &str, rng: &mut Prng) -> String {
        let tokens: Vec<&str> = subject.split('.').collect();
        self.transform_tokenized(&tokens, rng)
    }

    /// Go's `TransformTokenizedSubject`. A wildcard whose source token is
    /// missing writes nothing (Go's
    /// `TestSubjectTransformDoesntPanicTransformingMissingToken`); other
    /// functions on a missing token do the same instead of panicking.
    pub fn transform_tokenized(&self, tokens: &[&str], rng: &mut Prng) -> String {
        if self.dtokmf.is_empty() {
            return self.dest.clone();
        }
        let mut b = String::with_capacity(self.dest.len() + 16);
        let last = self.dtokmf.len() - 1;
        for (i, dt) in self.dtokmf.iter().enumerate() {
            if dt.kind == TransformType::NoTransform {
                if self.dtoks[i] == ">" {
                    break;
                }
                b.push_str(&self.dtoks[i]);
            } else {
                apply_function(&mut b, dt, tokens, rng);
            }
            if i < last {
                b.push('.');
            }
        }
        if self.dtoks.last().is_some_and(|t| t == ">") {
            let from = self.stoks.len().saturating_sub(1);
            let rest: Vec<&str> = tokens.iter().skip(from).copied().collect();
            b.push_str(&rest.join("."));
        }
        b
    }

    /// Go's `reverse`: the transform back from destination to source (for
    /// strict, wildcard-only transforms).
    pub fn reverse(&self) -> Option<SubjectTransform> {
        let has_wildcards = self.dtokmf.iter().any(|d| !d.src_positions.is_empty());
        if !has_wildcards {
            return Self::new_strict(&self.dest, &self.src).ok().flatten();
        }
        let (nsrc, mut phs) = transform_untokenize(&self.dest);
        phs.reverse();
        let mut nda = Vec::with_capacity(self.stoks.len());
        for t in &self.stoks {
            if t == "*" {
                nda.push(phs.pop()?);
            } else {
                nda.push(t.clone());
            }
        }
        Self::new_strict(&nsrc, &nda.join(".")).ok().flatten()
    }
}

fn source_token<'a>(tokens: &[&'a str], dt: &DestToken) -> Option<&'a str> {
    dt.src_positions
        .first()
        .and_then(|&p| tokens.get(p))
        .copied()
}

/// Writes one function placeholder's output.
fn apply_function(b: &mut String, dt: &DestToken, tokens: &[&str], rng: &mut Prng) {
    let n = dt.int_arg;
    match dt.kind {
        TransformType::NoTransform => {}
        TransformType::Partition => {
            let key = if dt.src_positions.is_empty() {
                tokens.join(".")
            } else {
                dt.src_positions
                    .iter()
                    .filter_map(|&p| tokens.get(p))
                    .copied()
                    .collect::<String>()
            };
            b.push_str(&hash_partition(key.as_bytes(), n));
        }
        TransformType::Random => {
            let v = if n <= 0 { 0 } else { rng.below(n as u64) };
            b.push_str(&v.to_string());
        }
        _ => {
            if let Some(tok) = source_token(tokens, dt) {
                apply_token_function(b, dt, tok);
            }
        }
    }
}

fn apply_token_function(b: &mut String, dt: &DestToken, tok: &str) {
    let len = tok.len();
    let n = dt.int_arg;
    // Sizes outside (0, len) leave the token whole, as in Go.
    let size = (n > 0 && (n as usize) < len).then_some(n as usize);
    // Subjects are ASCII in practice; a cut inside a UTF-8 character keeps
    // the token whole rather than panicking.
    let cut_ok = |at: usize| tok.is_char_boundary(at);
    match (dt.kind, size) {
        (TransformType::Wildcard, _) => b.push_str(tok),
        (TransformType::SplitFromLeft, Some(p)) if cut_ok(p) => {
            b.push_str(&tok[..p]);
            b.push('.');
            b.push_str(&tok[p..]);
        }
        (TransformType::SplitFromRight, Some(p)) if cut_ok(len - p) => {
            b.push_str(&tok[..len - p]);
            b.push('.');
            b.push_str(&tok[len - p..]);
        }
        (TransformType::SliceFromLeft, Some(s)) if tok.is_ascii() => {
            let parts: Vec<&str> = tok.as_bytes().chunks(s).map(ascii).collect();
            b.push_str(&parts.join("."));
        }
        (TransformType::SliceFromRight, Some(s)) if tok.is_ascii() => {
            let rem = len % s;
            let mut parts = Vec::new();
            if rem > 0 {
                parts.push(&tok[..rem]);
            }
            parts.extend(tok.as_bytes()[rem..].chunks(s).map(ascii));
            b.push_str(&parts.join("."));
        }
        (TransformType::Left, Some(s)) if cut_ok(s) => b.push_str(&tok[..s]),
        (TransformType::Right, Some(s)) if cut_ok(len - s) => b.push_str(&tok[len - s..]),
        (TransformType::Split, _) => {
            // Go's rule, kept exactly: a separator goes out before each
            // non-empty piece except after a leading empty piece.
            let parts: Vec<&str> = tok.split(dt.str_arg.as_str()).collect();
            for (j, part) in parts.iter().enumerate() {
                b.push_str(part);
                let next_non_empty = parts.get(j + 1).is_some_and(|n| !n.is_empty());
                if next_non_empty && !(j == 0 && part.is_empty()) {
                    b.push('.');
                }
            }
        }
        _ => b.push_str(tok),
    }
}

/// Bytes known to be ASCII as `&str`.
fn ascii(bytes: &[u8]) -> &str {
    // Callers check `is_ascii()` on the whole token first.
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Go's `getHashPartition`: FNV-1a 32 of `key` modulo `buckets`.
fn hash_partition(key: &[u8], buckets: i32) -> String {
    if buckets <= 0 {
        return "0".to_string();
    }
    (fnv1a32(key) % buckets as u32).to_string()
}

/// 32-bit FNV-1a.
pub fn fnv1a32(key: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in key {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Go's `transformTokenize`: `foo.*.*` -> `foo.$1.$2`.
pub fn transform_tokenize(subject: &str) -> String {
    let mut i = 0;
    subject
        .split('.')
        .map(|t| {
            if t == "*" {
                i += 1;
                format!("${i}")
            } else {
                t.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Go's `transformUntokenize`: `foo.$2.$1` -> (`foo.*.*`, [`$2`, `$1`]).
pub fn transform_untokenize(subject: &str) -> (String, Vec<String>) {
    let mut phs = Vec::new();
    let mut nda = Vec::new();
    for t in subject.split('.') {
        let dollar =
            t.len() > 1 && t.as_bytes()[0] == b'$' && (b'1'..=b'9').contains(&t.as_bytes()[1]);
        let wildcard_fn = parse_function(t).is_some_and(|(name, args)| {
            name == "wildcard" && !args.is_empty() && !args.contains(',')
        });
        if dollar || wildcard_fn {
            phs.push(t.to_string());
            nda.push("*".to_string());
        } else {
            nda.push(t.to_string());
        }
    }
    (nda.join("."), phs)
}

/// Go's `ValidateMapping`: `dest` is a usable destination for `src`.
pub fn validate_mapping(src: &str, dest: &str) -> Result<(), TransformError> {
    if dest.is_empty() {
        return Ok(());
    }
    let mut fwc = false;
    for t in dest.split('.') {
        if t.is_empty() || fwc {
            return Err(dest_err(t, DestErrorKind::InvalidSubject));
        }
        if t.len() > 4 && t.starts_with("{{") && t.ends_with("}}") {
            let known = parse_function(t).is_some_and(|(name, _)| {
                // Go's ValidateMapping does not list left/right.
                FUNCTIONS.contains(&name.as_str()) && name != "left" && name != "right"
            });
            if !known {
                return Err(dest_err(t, DestErrorKind::UnknownFunction));
            }
            continue;
        }
        if t == ">" {
            fwc = true;
        } else if t.contains(['\t', '\n', '\u{c}', '\r', ' ']) {
            return Err(dest_err("", DestErrorKind::InvalidSubject));
        }
    }
    SubjectTransform::new(src, dest).map(|_| ())
}

#[cfg(test)]
mod tests;

//! Reading the JetStream headers of a published message from its
//! `NATS/1.0` header block, with Go's lookup rules (`sliceHeader` in
//! server/client.go): a key matches only at the start of a line (after a
//! CRLF), exactly (case-sensitive) and directly followed by `:`; leading
//! spaces of the value are skipped and the value runs to the next CRLF.

/// Go's `JSMsgId`.
pub const JS_MSG_ID: &str = "Nats-Msg-Id";
/// Go's `JSExpectedStream`.
pub const JS_EXPECTED_STREAM: &str = "Nats-Expected-Stream";
/// Go's `JSExpectedLastSeq`.
pub const JS_EXPECTED_LAST_SEQ: &str = "Nats-Expected-Last-Sequence";
/// Go's `JSExpectedLastSubjSeq`.
pub const JS_EXPECTED_LAST_SUBJ_SEQ: &str = "Nats-Expected-Last-Subject-Sequence";
/// Go's `JSExpectedLastSubjSeqSubj`.
pub const JS_EXPECTED_LAST_SUBJ_SEQ_SUBJ: &str = "Nats-Expected-Last-Subject-Sequence-Subject";
/// Go's `JSExpectedLastMsgId`.
pub const JS_EXPECTED_LAST_MSG_ID: &str = "Nats-Expected-Last-Msg-Id";
/// Go's `JSMsgRollup`, with values [`JS_MSG_ROLLUP_SUBJECT`] and [`JS_MSG_ROLLUP_ALL`].
pub const JS_MSG_ROLLUP: &str = "Nats-Rollup";
pub const JS_MSG_ROLLUP_SUBJECT: &str = "sub";
pub const JS_MSG_ROLLUP_ALL: &str = "all";
/// Go's `JSMessageTTL`.
pub const JS_MESSAGE_TTL: &str = "Nats-TTL";

/// The value of header `key` in `hdr`, or `None` (Go's `sliceHeader`).
pub fn slice_header<'a>(key: &str, hdr: &'a [u8]) -> Option<&'a [u8]> {
    let index = header_key_index(key.as_bytes(), hdr)?;
    let mut i = index + key.len() + 1;
    while i < hdr.len() && hdr[i] == b' ' {
        i += 1;
    }
    let start = i;
    while i < hdr.len() {
        if hdr[i] == b'\r' && i + 1 < hdr.len() && hdr[i + 1] == b'\n' {
            break;
        }
        i += 1;
    }
    Some(&hdr[start..i])
}

/// Go's `getHeaderKeyIndex`.
fn header_key_index(key: &[u8], hdr: &[u8]) -> Option<usize> {
    if key.is_empty() {
        return None;
    }
    let mut offset = 0;
    loop {
        let found = memchr::memmem::find(&hdr[offset..], key)?;
        let index = offset + found;
        if index < 2 {
            return None;
        }
        if index >= hdr.len() - 1 || hdr[index - 1] != b'\n' || hdr[index - 2] != b'\r' {
            offset = index + key.len();
            continue;
        }
        if index + key.len() >= hdr.len() {
            return None;
        }
        if hdr[index + key.len()] != b':' {
            offset = index + key.len();
            continue;
        }
        return Some(index);
    }
}

/// Go's `removeHeaderIfPresent`: `hdr` without the `key` line; empty when
/// only the status line would be left.
pub fn remove_header_if_present(hdr: &[u8], key: &str) -> Vec<u8> {
    let Some(start) = header_key_index(key.as_bytes(), hdr) else {
        return hdr.to_vec();
    };
    let end = memchr::memmem::find(&hdr[start..], b"\r\n").map_or(hdr.len(), |i| start + i + 2);
    let mut out = Vec::with_capacity(hdr.len());
    out.extend_from_slice(&hdr[..start]);
    out.extend_from_slice(&hdr[end..]);
    if out == b"NATS/1.0\r\n\r\n" {
        out.clear();
    }
    out
}

/// Go's `genHeader`: `hdr` with `key: value` appended (a new header block
/// when `hdr` is empty).
pub fn gen_header(hdr: &[u8], key: &str, value: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(hdr.len() + key.len() + value.len() + 16);
    if hdr.len() >= 2 && hdr.ends_with(b"\r\n\r\n") {
        out.extend_from_slice(&hdr[..hdr.len() - 2]);
    } else {
        out.extend_from_slice(b"NATS/1.0\r\n");
    }
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out
}

/// A non-empty header value as a string (Go's `getHeader` + `string`).
pub fn header_str(key: &str, hdr: &[u8]) -> Option<String> {
    slice_header(key, hdr)
        .filter(|v| !v.is_empty())
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Go's `parseInt64`: digits only, else -1.
pub fn parse_int64(b: &[u8]) -> i64 {
    if b.is_empty() {
        return -1;
    }
    let mut n: i64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return -1;
        }
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(i64::from(c - b'0')))
        {
            Some(n) => n,
            None => return -1,
        };
    }
    n
}

/// A sequence header (Go's `getExpectedLastSeq`): present and non-empty,
/// parsed as Go does (a malformed value becomes `u64::MAX`, which never
/// matches).
pub fn header_seq(key: &str, hdr: &[u8]) -> Option<u64> {
    let v = slice_header(key, hdr).filter(|v| !v.is_empty())?;
    Some(parse_int64(v) as u64)
}

/// Why a `Nats-TTL` value was refused (Go's `NewJSMessageTTLInvalidError`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct InvalidTtl;

/// Go's `getMessageTTL`: seconds; 0 when absent, -1 for `never`.
pub fn message_ttl(hdr: &[u8]) -> Result<i64, InvalidTtl> {
    match slice_header(JS_MESSAGE_TTL, hdr) {
        None => Ok(0),
        Some([]) => Ok(0),
        Some(v) => parse_message_ttl(&String::from_utf8_lossy(v)),
    }
}

/// Go's `parseMessageTTL`.
pub fn parse_message_ttl(ttl: &str) -> Result<i64, InvalidTtl> {
    if ttl.eq_ignore_ascii_case("never") {
        return Ok(-1);
    }
    if let Some(nanos) = parse_go_duration(ttl) {
        if nanos < 1_000_000_000 {
            return Err(InvalidTtl);
        }
        return Ok(nanos / 1_000_000_000);
    }
    let t = parse_int64(ttl.as_bytes());
    if t < 0 {
        return Err(InvalidTtl);
    }
    Ok(t)
}

/// Go's `time.ParseDuration` (e.g. `1h30m`, `1.5s`, `-2ms`, `0`), in
/// nanoseconds; `None` if malformed or out of range.
pub fn parse_go_duration(s: &str) -> Option<i64> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_end];
        if num.is_empty() || num == "." {
            return None;
        }
        let value: f64 = num.parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += value * unit;
    }
    if total > i64::MAX as f64 {
        return None;
    }
    let n = total as i64;
    Some(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HDR: &[u8] = b"NATS/1.0\r\nNats-Msg-Id:  abc\r\nNats-Expected-Last-Sequence: 12\r\n\
                         Nats-Expected-Last-Subject-Sequence: x\r\nNats-TTL: 1m\r\n\r\n";

    #[test]
    fn headers_are_found_like_go() {
        assert_eq!(slice_header(JS_MSG_ID, HDR), Some(&b"abc"[..]));
        assert_eq!(header_seq(JS_EXPECTED_LAST_SEQ, HDR), Some(12));
        // A key that is a prefix of another key does not match it.
        assert_eq!(header_seq(JS_EXPECTED_LAST_SUBJ_SEQ, HDR), Some(u64::MAX));
        assert_eq!(slice_header(JS_EXPECTED_LAST_SUBJ_SEQ_SUBJ, HDR), None);
        assert_eq!(slice_header("nats-msg-id", HDR), None);
        assert_eq!(slice_header("Msg-Id", HDR), None);
        assert_eq!(message_ttl(HDR), Ok(60));
        assert_eq!(slice_header(JS_MSG_ID, b""), None);
    }

    #[test]
    fn gen_and_remove_header_round_trip() {
        let h = gen_header(b"", JS_MESSAGE_TTL, "5");
        assert_eq!(h, b"NATS/1.0\r\nNats-TTL: 5\r\n\r\n");
        let h2 = gen_header(&h, "A", "b");
        assert_eq!(h2, b"NATS/1.0\r\nNats-TTL: 5\r\nA: b\r\n\r\n");
        assert_eq!(
            remove_header_if_present(&h2, JS_MESSAGE_TTL),
            b"NATS/1.0\r\nA: b\r\n\r\n"
        );
        assert!(remove_header_if_present(&h, JS_MESSAGE_TTL).is_empty());
        assert_eq!(remove_header_if_present(&h2, "Missing"), h2);
    }

    #[test]
    fn test_message_ttl_parsing() {
        assert_eq!(parse_message_ttl("never"), Ok(-1));
        assert_eq!(parse_message_ttl("10"), Ok(10));
        assert_eq!(parse_message_ttl("1h"), Ok(3600));
        assert_eq!(parse_message_ttl("500ms"), Err(InvalidTtl));
        assert_eq!(parse_message_ttl("-5"), Err(InvalidTtl));
        assert_eq!(parse_message_ttl("abc"), Err(InvalidTtl));
        assert_eq!(parse_go_duration("1h30m"), Some(5400 * 1_000_000_000));
        assert_eq!(parse_go_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_go_duration("5x"), None);
    }
}

//! Direct get (Go's `processDirectGetRequest`,
//! `processDirectGetLastBySubjectRequest`, `getDirectRequest` and
//! `getDirectMulti` in server/stream.go): streams with `allow_direct` answer
//! `$JS.API.DIRECT.GET.<stream>` (a JSON `JSApiMsgGetRequest`) and
//! `$JS.API.DIRECT.GET.<stream>.<subject>` (the last message on that
//! subject) with the stored message itself, not JSON. The stored headers
//! are kept and `Nats-Stream`, `Nats-Subject`, `Nats-Sequence` and
//! `Nats-Time-Stamp` appended (plus `Nats-Num-Pending` and
//! `Nats-Last-Sequence` in batches, which end with a `204 EOB` status).
//! Failures are header-only status replies (`404`, `408`, `412`, `413`).

use super::api::{from_json, seq_from_time};
use super::config::JS_API_LEVEL;
use super::headers::slice_header;
use super::stream::Stream;
use super::types::{format_rfc3339, parse_rfc3339, MsgGetRequest};
use super::{JetStream, Outgoing};
use crate::store::StoreMsg;
use crate::subject::subject_has_wildcard;
use bytes::Bytes;

/// Go's `JSDirectMsgGetT` without the stream name.
pub const JS_DIRECT_MSG_GET_PREFIX: &str = "$JS.API.DIRECT.GET.";
/// Go's `JSRequiredApiLevel`.
pub const JS_REQUIRED_API_LEVEL: &str = "Nats-Required-Api-Level";
pub const JS_STREAM: &str = "Nats-Stream";
pub const JS_SUBJECT: &str = "Nats-Subject";
pub const JS_SEQUENCE: &str = "Nats-Sequence";
pub const JS_TIME_STAMP: &str = "Nats-Time-Stamp";
pub const JS_NUM_PENDING: &str = "Nats-Num-Pending";
pub const JS_LAST_SEQUENCE: &str = "Nats-Last-Sequence";
pub const JS_UP_TO_SEQUENCE: &str = "Nats-UpTo-Sequence";
/// Go's `MAX_PENDING_SIZE`, the server's default `max_pending`, used as the
/// byte limit of a batch that sets none.
pub const DEFAULT_DIRECT_MAX_BYTES: i64 = 64 * 1024 * 1024;
/// Most messages a multi-last request may match (Go's
/// `maxAllowedResponses` in `getDirectMulti`).
pub const MAX_ALLOWED_RESPONSES: usize = 1024;

const EMPTY_REQUEST: &str = "NATS/1.0 408 Empty Request\r\n\r\n";
const MALFORMED_REQUEST: &str = "NATS/1.0 408 Malformed Request\r\n\r\n";
const BAD_REQUEST: &str = "NATS/1.0 408 Bad Request\r\n\r\n";
const REQUIRED_API_LEVEL: &str = "NATS/1.0 412 Required Api Level\r\n\r\n";
const NOT_FOUND: &str = "NATS/1.0 404 Message Not Found\r\n\r\n";
const NO_RESULTS: &str = "NATS/1.0 404 No Results\r\n\r\n";
const TOO_MANY_RESULTS: &str = "NATS/1.0 413 Too Many Results\r\n\r\n";

/// The two subjects a stream with `allow_direct` listens on.
pub fn direct_subjects(stream: &str) -> [String; 2] {
    [
        format!("{JS_DIRECT_MSG_GET_PREFIX}{stream}"),
        format!("{JS_DIRECT_MSG_GET_PREFIX}{stream}.>"),
    ]
}

/// A header-only reply.
fn status(reply: &[u8], line: &str) -> Outgoing {
    Outgoing {
        subject: Bytes::copy_from_slice(reply),
        reply: None,
        deliver_as: None,
        headers: Some(Bytes::copy_from_slice(line.as_bytes())),
        payload: Bytes::new(),
    }
}

/// Go's `genHeader`: appends `key: value` to a header block (starting one
/// when `hdr` is too short to be one).
pub fn gen_header(hdr: &[u8], key: &str, value: &str) -> Vec<u8> {
    let mut out = if hdr.len() > 2 {
        hdr[..hdr.len() - 2].to_vec()
    } else {
        b"NATS/1.0\r\n".to_vec()
    };
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out
}

/// Go's `errorOnRequiredApiLevel`: the request needs a newer API level than
/// this server has (or names one that is not a number).
fn error_on_required_api_level(hdr: &[u8]) -> bool {
    match slice_header(JS_REQUIRED_API_LEVEL, hdr) {
        Some(v) if !v.is_empty() => std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .is_none_or(|level| level > JS_API_LEVEL),
        _ => false,
    }
}

/// The headers of a direct-get reply: the stored ones plus the stream's
/// (Go's `dg` and `dgb` layouts; `batch` carries pending and last seq).
fn direct_headers(name: &str, sm: &StoreMsg, batch: Option<(u64, u64)>) -> Vec<u8> {
    let ts = format_rfc3339(Some(sm.ts));
    let seq = sm.seq.to_string();
    let mut fields: Vec<(&str, String)> = vec![
        (JS_STREAM, name.to_string()),
        (JS_SUBJECT, sm.subj.clone()),
        (JS_SEQUENCE, seq),
        (JS_TIME_STAMP, ts),
    ];
    if let Some((np, lseq)) = batch {
        fields.push((JS_NUM_PENDING, np.to_string()));
        fields.push((JS_LAST_SEQUENCE, lseq.to_string()));
    }
    let mut hdr = if sm.hdr.is_empty() {
        b"NATS/1.0\r\n\r\n".to_vec()
    } else {
        sm.hdr.clone()
    };
    for (k, v) in fields {
        hdr = gen_header(&hdr, k, &v);
    }
    hdr
}

fn msg_out(reply: &[u8], hdr: Option<Vec<u8>>, sm: &StoreMsg) -> Outgoing {
    Outgoing {
        subject: Bytes::copy_from_slice(reply),
        reply: None,
        deliver_as: None,
        headers: hdr.map(Bytes::from),
        payload: Bytes::copy_from_slice(&sm.msg),
    }
}

/// A request decoded, with `start_time` resolved to nanoseconds.
struct DirectReq {
    req: MsgGetRequest,
    start: Option<i64>,
    up_to_time: Option<i64>,
}

/// Go's `json.Unmarshal` of `JSApiMsgGetRequest`, times included.
fn decode(msg: &[u8]) -> Option<DirectReq> {
    let req: MsgGetRequest = from_json(msg).ok()?;
    let time = |t: &Option<String>| match t {
        Some(t) => parse_rfc3339(t).map(|t| Some(t.unwrap_or(i64::MIN))),
        None => Some(None),
    };
    let start = time(&req.start_time)?;
    let up_to_time = time(&req.up_to_time)?;
    Some(DirectReq {
        req,
        start,
        up_to_time,
    })
}

impl JetStream {
    /// A request on `$JS.API.DIRECT.GET.…` (`subject` already mapped from a
    /// domain prefix). Streams without `allow_direct` have no subscription
    /// there, so nothing answers, as in Go.
    pub(crate) fn handle_direct_get(
        &mut self,
        subject: &str,
        reply: Option<&[u8]>,
        hdr: &[u8],
        msg: &[u8],
    ) -> Vec<Outgoing> {
        let Some(rest) = subject.strip_prefix(JS_DIRECT_MSG_GET_PREFIX) else {
            return Vec::new();
        };
        let (name, key) = match rest.split_once('.') {
            Some((n, k)) => (n, Some(k)),
            None => (rest, None),
        };
        let Some(s) = self.streams.get_mut(name) else {
            return Vec::new();
        };
        if !s.cfg.allow_direct {
            return Vec::new();
        }
        let Some(reply) = reply.filter(|r| !r.is_empty()) else {
            return Vec::new();
        };
        if error_on_required_api_level(hdr) {
            return vec![status(reply, REQUIRED_API_LEVEL)];
        }
        match key {
            None => process_direct_get_request(s, reply, msg),
            Some(k) => process_direct_get_last_by_subject_request(s, reply, k, msg),
        }
    }
}

/// Go's `processDirectGetRequest`: validates a JSON request.
fn process_direct_get_request(s: &mut Stream, reply: &[u8], msg: &[u8]) -> Vec<Outgoing> {
    if msg.is_empty() {
        return vec![status(reply, EMPTY_REQUEST)];
    }
    let Some(d) = decode(msg) else {
        return vec![status(reply, MALFORMED_REQUEST)];
    };
    let r = &d.req;
    let (last, next) = (!r.last_by_subj.is_empty(), !r.next_by_subj.is_empty());
    let multi = r.multi_last.as_ref().is_some_and(|m| !m.is_empty());
    let start = d.start.is_some();
    if r.seq == 0 && !last && !next && !multi && !start {
        return vec![status(reply, EMPTY_REQUEST)];
    }
    // Go's conflicting-options check (batches do not apply to last_by_subj).
    let conflict = (last && (r.seq > 0 || start || next || r.batch > 0 || multi))
        || (start && r.seq > 0)
        || (next && multi)
        || (r.up_to_seq > 0 && d.up_to_time.is_some());
    if conflict {
        return vec![status(reply, BAD_REQUEST)];
    }
    get_direct_request(s, &d, reply)
}

/// Go's `processDirectGetLastBySubjectRequest`: the subject after the stream
/// name is the one whose last message is wanted.
fn process_direct_get_last_by_subject_request(
    s: &mut Stream,
    reply: &[u8],
    key: &str,
    msg: &[u8],
) -> Vec<Outgoing> {
    let mut d = DirectReq {
        req: MsgGetRequest::default(),
        start: None,
        up_to_time: None,
    };
    if !msg.is_empty() {
        match decode(msg) {
            Some(x) => d = x,
            None => return vec![status(reply, MALFORMED_REQUEST)],
        }
    }
    if key.is_empty() {
        return vec![status(reply, BAD_REQUEST)];
    }
    let r = &d.req;
    if !r.last_by_subj.is_empty()
        || !r.next_by_subj.is_empty()
        || r.multi_last.as_ref().is_some_and(|m| !m.is_empty())
        || r.seq != 0
        || r.batch != 0
        || d.start.is_some()
        || r.up_to_seq != 0
        || d.up_to_time.is_some()
    {
        return vec![status(reply, BAD_REQUEST)];
    }
    d.req.last_by_subj = key.to_string();
    get_direct_request(s, &d, reply)
}

/// Go's `getDirectRequest`: one message, or a batch ending in an EOB.
fn get_direct_request(s: &mut Stream, d: &DirectReq, reply: &[u8]) -> Vec<Outgoing> {
    let req = &d.req;
    if req.multi_last.as_ref().is_some_and(|m| !m.is_empty()) {
        return get_direct_multi(s, d, reply);
    }
    let name = s.cfg.name.clone();
    let mut seq = match d.start {
        Some(t) => seq_from_time(s, t),
        None => req.seq,
    };
    let next_filter = if req.next_by_subj.is_empty() {
        ">"
    } else {
        req.next_by_subj.as_str()
    };
    let wc = subject_has_wildcard(req.next_by_subj.as_bytes());
    let is_batch = req.batch != 0;
    let batch = if is_batch { req.batch } else { 1 };
    let (mut np, valid_through) = if is_batch {
        s.store.num_pending(seq, next_filter, false)
    } else {
        (0, 0)
    };
    let mb = if req.max_bytes == 0 {
        DEFAULT_DIRECT_MAX_BYTES
    } else {
        req.max_bytes
    };
    let mut out = Vec::new();
    let mut sent_bytes: i64 = 0;
    let mut lseq = 0u64;
    let mut i = 0i64;
    while i < batch {
        let res = if seq > 0 && req.next_by_subj.is_empty() {
            let r = if i == 0 && !is_batch {
                s.store.load_msg(seq)
            } else {
                s.store.load_next_msg(">", true, seq).map(|(m, found)| {
                    seq = found;
                    m
                })
            };
            seq += 1;
            r
        } else if !req.next_by_subj.is_empty() {
            s.store
                .load_next_msg(&req.next_by_subj, wc, seq)
                .map(|(m, found)| {
                    seq = found + 1;
                    m
                })
        } else {
            s.store.load_last_msg(&req.last_by_subj)
        };
        let sm = match res {
            Ok(sm) => sm,
            Err(_) if batch > 1 && i > 0 => break,
            Err(_) => return vec![status(reply, NOT_FOUND)],
        };
        let hdr = if req.no_hdr {
            None
        } else if is_batch {
            np = np.saturating_sub(1);
            Some(direct_headers(&name, &sm, Some((np, lseq))))
        } else {
            Some(direct_headers(&name, &sm, None))
        };
        lseq = sm.seq;
        out.push(msg_out(reply, hdr, &sm));
        sent_bytes += (sm.subj.len() + sm.hdr.len() + sm.msg.len()) as i64;
        if sent_bytes >= mb {
            break;
        }
        i += 1;
    }
    if is_batch {
        if s.store.state().last_seq > valid_through {
            np = s.store.num_pending(seq, next_filter, false).0;
        }
        let eob = format!(
            "NATS/1.0 204 EOB\r\n{JS_NUM_PENDING}: {np}\r\n{JS_LAST_SEQUENCE}: {lseq}\r\n\r\n"
        );
        out.push(status(reply, &eob));
    }
    out
}

/// The last sequence of `subj` at or below `up_to`.
fn last_seq_up_to(s: &mut Stream, subj: &str, up_to: u64) -> Option<u64> {
    let last = s.store.load_last_msg(subj).ok()?;
    if last.seq <= up_to {
        return Some(last.seq);
    }
    let mut found = None;
    let mut start = 0;
    // Bounded: each step moves past one stored message of `subj`.
    while let Ok((_, seq)) = s.store.load_next_msg(subj, false, start) {
        if seq > up_to {
            break;
        }
        found = Some(seq);
        start = seq + 1;
    }
    found
}

/// Go's `getDirectMulti`: the last message of every subject matching the
/// `multi_last` filters, at or below `up_to_seq`, in sequence order, then
/// an EOB that also names the sequence the answer is taken up to.
fn get_direct_multi(s: &mut Stream, d: &DirectReq, reply: &[u8]) -> Vec<Outgoing> {
    let req = &d.req;
    let name = s.cfg.name.clone();
    let mb = if req.max_bytes == 0 {
        DEFAULT_DIRECT_MAX_BYTES
    } else {
        req.max_bytes
    };
    let state = s.store.state();
    let mut up_to = req.up_to_seq;
    if let Some(t) = d.up_to_time {
        up_to = seq_from_time(s, t);
        if up_to <= state.first_seq {
            return vec![status(reply, NO_RESULTS)];
        }
        up_to -= 1;
    }
    if up_to == 0 {
        up_to = state.last_seq;
    }
    let mut subjects = std::collections::BTreeSet::new();
    for f in req.multi_last.iter().flatten() {
        subjects.extend(s.store.subjects_totals(f).into_keys());
    }
    let mut seqs = Vec::new();
    for subj in &subjects {
        if let Some(seq) = last_seq_up_to(s, subj, up_to) {
            seqs.push(seq);
        }
        if seqs.len() > MAX_ALLOWED_RESPONSES {
            return vec![status(reply, TOO_MANY_RESULTS)];
        }
    }
    seqs.sort_unstable();
    seqs.dedup();
    if seqs.is_empty() {
        return vec![status(reply, NO_RESULTS)];
    }
    let mut out = Vec::new();
    let mut np = seqs.len() as u64;
    let mut lseq = 0u64;
    let mut sent = 0i64;
    let mut sent_bytes = 0i64;
    for seq in seqs {
        np = np.saturating_sub(1);
        if seq < req.seq {
            continue;
        }
        let Ok(sm) = s.store.load_msg(seq) else {
            return vec![status(reply, NOT_FOUND)];
        };
        let hdr = direct_headers(&name, &sm, Some((np, lseq)));
        lseq = sm.seq;
        out.push(msg_out(reply, Some(hdr), &sm));
        sent_bytes += (sm.subj.len() + sm.hdr.len() + sm.msg.len()) as i64;
        if sent_bytes >= mb {
            break;
        }
        sent += 1;
        if req.batch > 0 && sent >= req.batch {
            break;
        }
    }
    let eob = format!(
        "NATS/1.0 204 EOB\r\n{JS_NUM_PENDING}: {np}\r\n{JS_LAST_SEQUENCE}: {lseq}\r\nNats-UpTo-Sequence: {up_to}\r\n\r\n"
    );
    out.push(status(reply, &eob));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gen_header_appends_before_the_blank_line() {
        let h = gen_header(b"NATS/1.0\r\nA: b\r\n\r\n", "Nats-Stream", "S");
        assert_eq!(h, b"NATS/1.0\r\nA: b\r\nNats-Stream: S\r\n\r\n");
        let h = gen_header(b"", "K", "v");
        assert_eq!(h, b"NATS/1.0\r\nK: v\r\n\r\n");
    }

    #[test]
    fn direct_headers_match_go_layout() {
        let sm = StoreMsg {
            subj: "foo".into(),
            hdr: Vec::new(),
            msg: b"x".to_vec(),
            seq: 3,
            ts: 1_700_000_000_123_000_000,
            ttl: 0,
        };
        let h = direct_headers("S", &sm, None);
        assert_eq!(
            String::from_utf8(h).unwrap(),
            "NATS/1.0\r\nNats-Stream: S\r\nNats-Subject: foo\r\nNats-Sequence: 3\r\nNats-Time-Stamp: 2023-11-14T22:13:20.123Z\r\n\r\n"
        );
        let h = direct_headers("S", &sm, Some((4, 2)));
        assert!(String::from_utf8(h)
            .unwrap()
            .ends_with("Nats-Num-Pending: 4\r\nNats-Last-Sequence: 2\r\n\r\n"));
    }

    #[test]
    fn required_api_level_is_checked_like_go() {
        assert!(!error_on_required_api_level(b""));
        let h = |v: &str| format!("NATS/1.0\r\n{JS_REQUIRED_API_LEVEL}: {v}\r\n\r\n");
        assert!(!error_on_required_api_level(h("1").as_bytes()));
        assert!(error_on_required_api_level(h("99").as_bytes()));
        assert!(error_on_required_api_level(h("x").as_bytes()));
    }
}

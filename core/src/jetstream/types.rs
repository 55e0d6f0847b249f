//! JetStream API JSON types, with Go's field names, `omitempty` rules and
//! response `type` strings (Go's `StreamConfig`, `StreamInfo`,
//! `StreamState`, `PubAck`, `ApiResponse`, `JSApi*Request`/`Response` in
//! server/stream.go, store.go and jetstream_api.go).
//!
//! Durations are Go `time.Duration` values: integer nanoseconds. Times are
//! Go `time.Time` values: RFC 3339 strings with up to nine fractional
//! digits, trailing zeros trimmed ([`format_rfc3339`]).

use super::errors::ApiError;
use crate::time::UnixNanos;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const JS_API_SYSTEM_RESPONSE_TYPE: &str = "io.nats.jetstream.api.v1.system_response";
pub const JS_API_ACCOUNT_INFO_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.account_info_response";
pub const JS_API_STREAM_CREATE_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.stream_create_response";
pub const JS_API_STREAM_DELETE_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.stream_delete_response";
pub const JS_API_STREAM_INFO_RESPONSE_TYPE: &str = "io.nats.jetstream.api.v1.stream_info_response";
pub const JS_API_STREAM_NAMES_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.stream_names_response";
pub const JS_API_STREAM_LIST_RESPONSE_TYPE: &str = "io.nats.jetstream.api.v1.stream_list_response";
pub const JS_API_STREAM_PURGE_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.stream_purge_response";
pub const JS_API_STREAM_UPDATE_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.stream_update_response";
pub const JS_API_MSG_DELETE_RESPONSE_TYPE: &str =
    "io.nats.jetstream.api.v1.stream_msg_delete_response";
pub const JS_API_MSG_GET_RESPONSE_TYPE: &str = "io.nats.jetstream.api.v1.stream_msg_get_response";

/// Go's `JSApiNamesLimit`.
pub const JS_API_NAMES_LIMIT: usize = 1024;
/// Go's `JSApiListLimit`.
pub const JS_API_LIST_LIMIT: usize = 256;
/// Go's `JSMaxSubjectDetails`.
pub const JS_MAX_SUBJECT_DETAILS: usize = 100_000;
/// Go's `JSMaxNameLen`.
pub const JS_MAX_NAME_LEN: usize = 255;
/// Go's `JSMaxDescriptionLen`.
pub const JS_MAX_DESCRIPTION_LEN: usize = 4 * 1024;
/// Go's `JSMaxMetadataLen`.
pub const JS_MAX_METADATA_LEN: usize = 128 * 1024;
/// Go's `StreamDefaultDuplicatesWindow` (2 minutes), in nanoseconds.
pub const STREAM_DEFAULT_DUPLICATES_WINDOW: i64 = 120 * 1_000_000_000;
/// Go's `StreamMaxReplicas`.
pub const STREAM_MAX_REPLICAS: i64 = 5;

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}
fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}
fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}
fn is_zero_usize(v: &usize) -> bool {
    *v == 0
}

/// Go's `RetentionPolicy`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetentionPolicy {
    #[default]
    #[serde(rename = "limits")]
    Limits,
    #[serde(rename = "interest")]
    Interest,
    #[serde(rename = "workqueue")]
    WorkQueue,
}

/// Go's `DiscardPolicy` (unmarshalled case-insensitively, as in Go).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub enum DiscardPolicy {
    #[default]
    #[serde(rename = "old")]
    Old,
    #[serde(rename = "new")]
    New,
}

impl<'de> Deserialize<'de> for DiscardPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<DiscardPolicy, D::Error> {
        let s = String::deserialize(d)?;
        match s.to_ascii_lowercase().as_str() {
            "old" => Ok(DiscardPolicy::Old),
            "new" => Ok(DiscardPolicy::New),
            _ => Err(serde::de::Error::custom(format!("can not unmarshal {s:?}"))),
        }
    }
}

/// Go's `StorageType`; file is the default.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StorageType {
    #[default]
    #[serde(rename = "file")]
    File,
    #[serde(rename = "memory")]
    Memory,
}

/// Go's `StoreCompression`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreCompression {
    #[default]
    #[serde(rename = "none", alias = "")]
    None,
    #[serde(rename = "s2")]
    S2,
}

/// Go's `PersistModeType` (`omitempty`: the default is not written).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PersistMode {
    #[default]
    #[serde(rename = "default", alias = "")]
    Default,
    #[serde(rename = "async")]
    Async,
}

impl PersistMode {
    fn is_default(&self) -> bool {
        *self == PersistMode::Default
    }
}

/// Go's `StreamConsumerLimits`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamConsumerLimits {
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub inactive_threshold: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_ack_pending: i64,
}

/// Go's `SubjectTransformConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubjectTransformConfig {
    #[serde(rename = "src")]
    pub source: String,
    #[serde(rename = "dest")]
    pub destination: String,
}

/// Go's `RePublish`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RePublish {
    #[serde(rename = "src", skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(rename = "dest")]
    pub destination: String,
    #[serde(skip_serializing_if = "is_false")]
    pub headers_only: bool,
}

/// Go's `StreamConfig`. Mirror, sources and placement are kept as raw JSON
/// (mirrors and sources are rejected at create: not implemented).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamConfig {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    pub retention: RetentionPolicy,
    pub max_consumers: i64,
    pub max_msgs: i64,
    pub max_bytes: i64,
    /// Nanoseconds.
    pub max_age: i64,
    pub max_msgs_per_subject: i64,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub max_msg_size: i32,
    pub discard: DiscardPolicy,
    pub storage: StorageType,
    pub num_replicas: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub no_ack: bool,
    /// Nanoseconds.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub duplicate_window: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirror: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<serde_json::Value>>,
    pub compression: StoreCompression,
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub first_seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_transform: Option<SubjectTransformConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub republish: Option<RePublish>,
    pub allow_direct: bool,
    pub mirror_direct: bool,
    #[serde(rename = "discard_new_per_subject", skip_serializing_if = "is_false")]
    pub discard_new_per: bool,
    pub sealed: bool,
    pub deny_delete: bool,
    pub deny_purge: bool,
    #[serde(rename = "allow_rollup_hdrs")]
    pub allow_rollup: bool,
    pub consumer_limits: StreamConsumerLimits,
    pub allow_msg_ttl: bool,
    /// Nanoseconds.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub subject_delete_marker_ttl: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub allow_msg_counter: bool,
    #[serde(rename = "allow_atomic", skip_serializing_if = "is_false")]
    pub allow_atomic_publish: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub allow_msg_schedules: bool,
    #[serde(skip_serializing_if = "PersistMode::is_default")]
    pub persist_mode: PersistMode,
    #[serde(rename = "allow_batched", skip_serializing_if = "is_false")]
    pub allow_batch_publish: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
}

/// Go's `StreamConfigRequest`: a config plus the `pedantic` flag.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct StreamConfigRequest {
    #[serde(flatten)]
    pub config: StreamConfig,
    #[serde(default)]
    pub pedantic: bool,
}

/// Go's `LostStreamData`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostStreamData {
    pub msgs: Vec<u64>,
    pub bytes: u64,
}

/// Go's `StreamState`, times as RFC 3339 strings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamState {
    pub messages: u64,
    pub bytes: u64,
    pub first_seq: u64,
    pub first_ts: String,
    pub last_seq: u64,
    pub last_ts: String,
    #[serde(default, skip_serializing_if = "is_zero_usize")]
    pub num_subjects: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subjects: Option<BTreeMap<String, u64>>,
    #[serde(default, skip_serializing_if = "is_zero_usize")]
    pub num_deleted: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost: Option<LostStreamData>,
    pub consumer_count: usize,
}

/// Go's `ClusterInfo` (standalone: name and leader only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterInfo {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub leader: String,
}

/// Go's `StreamInfo`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamInfo {
    pub config: StreamConfig,
    pub created: String,
    pub state: StreamState,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub domain: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterInfo>,
    pub ts: String,
}

/// Go's `PubAck` (inside `JSPubAckResponse`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PubAckResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    pub stream: String,
    pub seq: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub domain: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub duplicate: bool,
}

/// Go's `ApiPaged`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiPaged {
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
}

/// Go's `JSApiStreamInfoRequest`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StreamInfoRequest {
    pub offset: i64,
    pub deleted_details: bool,
    pub subjects_filter: String,
}

/// Go's `JSApiStreamNamesRequest` / `JSApiStreamListRequest`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StreamNamesRequest {
    pub offset: i64,
    pub subject: String,
}

/// Go's `JSApiStreamPurgeRequest`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StreamPurgeRequest {
    pub seq: u64,
    pub filter: String,
    pub keep: u64,
}

/// Go's `JSApiMsgDeleteRequest`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct MsgDeleteRequest {
    pub seq: u64,
    pub no_erase: bool,
}

/// Go's `JSApiMsgGetRequest` (the single-message part).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct MsgGetRequest {
    pub seq: u64,
    pub last_by_subj: String,
    pub next_by_subj: String,
    pub batch: i64,
    pub max_bytes: i64,
    pub start_time: Option<String>,
    pub multi_last: Option<Vec<String>>,
    pub up_to_seq: u64,
    pub up_to_time: Option<String>,
    pub no_hdr: bool,
}

/// Go's `StoredMsg`: headers and data are base64 in JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMsg {
    pub subject: String,
    pub seq: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hdrs: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub data: String,
    pub time: String,
}

/// Go's `FileStreamInfo`, the content of `meta.inf`: the creation time and
/// the config, flattened.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileStreamInfo {
    #[serde(rename = "Created")]
    pub created: String,
    #[serde(flatten)]
    pub config: StreamConfig,
}

/// Formats wall time as Go's `time.Time` JSON (RFC 3339, UTC, nanoseconds
/// with trailing zeros trimmed). `None` is Go's zero time.
pub fn format_rfc3339(t: Option<UnixNanos>) -> String {
    let Some(t) = t else {
        return "0001-01-01T00:00:00Z".to_string();
    };
    let secs = t.div_euclid(1_000_000_000);
    let nanos = t.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// Parses an RFC 3339 time (as Go writes it; any offset) into unix
/// nanoseconds; Go's zero time gives `Some(None)`.
pub fn parse_rfc3339(s: &str) -> Option<Option<UnixNanos>> {
    if s == "0001-01-01T00:00:00Z" {
        return Some(None);
    }
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut nanos = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &s[start..i];
        if digits.is_empty() || digits.len() > 9 {
            return None;
        }
        nanos = digits.parse::<i64>().ok()? * 10i64.pow(9 - digits.len() as u32);
    }
    let offset = match b.get(i)? {
        b'Z' if i + 1 == b.len() => 0,
        c @ (b'+' | b'-') if i + 6 == b.len() => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = oh * 3600 + om * 60;
            if *c == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + se - offset;
    Some(Some(secs.checked_mul(1_000_000_000)?.checked_add(nanos)?))
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Standard base64 with padding (Go's `[]byte` JSON encoding).
pub fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional); `None` if malformed.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let body = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in body.bytes() {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_like_go() {
        assert_eq!(format_rfc3339(None), "0001-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(Some(0)), "1970-01-01T00:00:00Z");
        let t = 1_700_000_000_123_450_000;
        assert_eq!(format_rfc3339(Some(t)), "2023-11-14T22:13:20.12345Z");
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20.12345Z"), Some(Some(t)));
        assert_eq!(
            parse_rfc3339("2023-11-14T23:13:20.12345+01:00"),
            Some(Some(t))
        );
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), Some(None));
        assert_eq!(parse_rfc3339("garbage"), None);
        assert_eq!(
            format_rfc3339(Some(951_782_400_000_000_000)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn base64_round_trip() {
        for s in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            let e = base64_encode(s);
            assert_eq!(base64_decode(&e).unwrap(), s);
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
    }

    #[test]
    fn stream_config_defaults_and_names_like_go() {
        let cfg: StreamConfig = serde_json::from_str(r#"{"name":"S","discard":"NEW"}"#).unwrap();
        assert_eq!(cfg.discard, DiscardPolicy::New);
        assert_eq!(cfg.storage, StorageType::File);
        let v = serde_json::to_value(&cfg).unwrap();
        assert_eq!(v["retention"], "limits");
        assert_eq!(v["storage"], "file");
        assert_eq!(v["compression"], "none");
        assert_eq!(v["allow_rollup_hdrs"], false);
        assert!(v.get("persist_mode").is_none());
        assert!(v.get("max_msg_size").is_none());
        assert_eq!(v["consumer_limits"], serde_json::json!({}));
    }
}

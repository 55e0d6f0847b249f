//! The JSON shapes inside NATS JWT claims (nats-io/jwt v2 `types.go`,
//! `exports.go`, `imports.go`, `signingkeys.go`, `revocation_list.go`).
//!
//! Field names are Go's JSON tags. Decoding is lenient like Go's
//! `encoding/json`: missing fields take their zero value and unknown fields
//! are ignored (nulls are stripped before typed decoding, see
//! [`super::decode`]). Encoding omits empty fields like Go's `omitempty`.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Go's `jwt.NoLimit`.
pub const NO_LIMIT: i64 = -1;
/// Go's `jwt.All`: the revocation entry that revokes every key.
pub const REVOKE_ALL: &str = "*";
/// Go's `jwt.AnyAccount`.
pub const ANY_ACCOUNT: &str = "*";

pub(crate) fn is_zero(v: &i64) -> bool {
    *v == 0
}
pub(crate) fn is_false(v: &bool) -> bool {
    !*v
}

/// Go's `GenericFields`: the `tags`, `type` and `version` inside `nats`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenericFields {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub claim_type: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub version: i64,
}

/// Go's `Permission`: allow and deny subject lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Permission {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
}

impl Permission {
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }
}

/// Go's `ResponsePermission` (`allow_responses`): `ttl` is a Go
/// `time.Duration`, encoded as integer nanoseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponsePermission {
    #[serde(rename = "max")]
    pub max_msgs: i64,
    #[serde(rename = "ttl")]
    pub expires_nanos: i64,
}

/// Go's `Permissions`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Permissions {
    #[serde(rename = "pub")]
    pub publish: Permission,
    #[serde(rename = "sub")]
    pub subscribe: Permission,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resp: Option<ResponsePermission>,
}

impl Permissions {
    pub fn is_empty(&self) -> bool {
        self.publish.is_empty() && self.subscribe.is_empty() && self.resp.is_none()
    }
}

/// Go's `TimeRange`: `HH:MM:SS` strings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeRange {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub start: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub end: String,
}

/// Go's `CIDRList` decodes from a JSON list or from one comma-separated
/// string (v1 JWTs); entries are lower-cased and trimmed like `TagList`.
fn de_cidr_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<String>),
        String(String),
    }
    Ok(match ListOrString::deserialize(d)? {
        ListOrString::List(l) => l,
        ListOrString::String(s) => {
            let mut out: Vec<String> = Vec::new();
            for v in s.to_lowercase().split(',') {
                let v = v.trim().to_string();
                if !v.is_empty() && !out.contains(&v) {
                    out.push(v);
                }
            }
            out
        }
    })
}

/// Go's `UserPermissionLimits` (`Permissions` + `Limits` + flags); the
/// body of a user JWT and the template of a scoped signing key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserPermissionLimits {
    #[serde(flatten)]
    pub permissions: Permissions,
    #[serde(deserialize_with = "de_cidr_list", skip_serializing_if = "Vec::is_empty")]
    pub src: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub times: Vec<TimeRange>,
    #[serde(rename = "times_location", skip_serializing_if = "String::is_empty")]
    pub locale: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub subs: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub data: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub payload: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub bearer_token: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub proxy_required: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_connection_types: Vec<String>,
}

impl UserPermissionLimits {
    /// Go's `UserClaims.HasEmptyPermissions`: nothing set at all.
    pub fn is_empty(&self) -> bool {
        *self == UserPermissionLimits::default()
    }
}

/// Go's `OperatorLimits`: `NatsLimits` + `AccountLimits` + `JetStreamLimits`
/// flattened, plus `tiered_limits`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OperatorLimits {
    #[serde(skip_serializing_if = "is_zero")]
    pub subs: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub data: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub payload: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub imports: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub exports: i64,
    #[serde(rename = "wildcards", skip_serializing_if = "is_false")]
    pub wildcard_exports: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub disallow_bearer: bool,
    #[serde(skip_serializing_if = "is_zero")]
    pub conn: i64,
    #[serde(rename = "leaf", skip_serializing_if = "is_zero")]
    pub leaf_node_conn: i64,
    #[serde(flatten)]
    pub jetstream: JetStreamLimits,
    #[serde(rename = "tiered_limits", skip_serializing_if = "BTreeMap::is_empty")]
    pub jetstream_tiered: BTreeMap<String, JetStreamLimits>,
}

impl OperatorLimits {
    /// Go's `NewAccountClaims` defaults: NATS and account limits unlimited,
    /// JetStream disabled.
    pub fn unlimited() -> OperatorLimits {
        OperatorLimits {
            subs: NO_LIMIT,
            data: NO_LIMIT,
            payload: NO_LIMIT,
            imports: NO_LIMIT,
            exports: NO_LIMIT,
            wildcard_exports: true,
            conn: NO_LIMIT,
            leaf_node_conn: NO_LIMIT,
            ..OperatorLimits::default()
        }
    }

    /// Go's `OperatorLimits.IsJSEnabled`.
    pub fn is_jetstream_enabled(&self) -> bool {
        if !self.jetstream_tiered.is_empty() {
            return self.jetstream_tiered.values().any(|l| l.mem_storage != 0 || l.disk_storage != 0);
        }
        self.jetstream.mem_storage != 0 || self.jetstream.disk_storage != 0
    }

    /// Go's `OperatorLimits.IsEmpty`.
    pub fn is_empty(&self) -> bool {
        *self == OperatorLimits::default()
    }
}

/// Go's `JetStreamLimits` (0 storage means disabled, -1 unlimited).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct JetStreamLimits {
    #[serde(skip_serializing_if = "is_zero")]
    pub mem_storage: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub disk_storage: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub streams: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub consumer: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub max_ack_pending: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub mem_max_stream_bytes: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub disk_max_stream_bytes: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub max_bytes_required: bool,
}

/// Go's `ExportType`: `"stream"` or `"service"` in JSON.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum ExportType {
    #[default]
    Unknown,
    Stream,
    Service,
}

impl Serialize for ExportType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ExportType::Stream => s.serialize_str("stream"),
            ExportType::Service => s.serialize_str("service"),
            ExportType::Unknown => Err(serde::ser::Error::custom("unknown export type")),
        }
    }
}

impl<'de> Deserialize<'de> for ExportType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "stream" => Ok(ExportType::Stream),
            "service" => Ok(ExportType::Service),
            other => Err(D::Error::custom(format!("unknown export type {other:?}"))),
        }
    }
}

fn is_unknown(t: &ExportType) -> bool {
    *t == ExportType::Unknown
}

/// Go's `SamplingRate`: `"headers"` (0) or 1..=100.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SamplingRate(pub i64);

impl Serialize for SamplingRate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 == 0 {
            s.serialize_str("headers")
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for SamplingRate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) if s.eq_ignore_ascii_case("headers") => Ok(SamplingRate(0)),
            serde_json::Value::Number(n) => {
                n.as_i64().map(SamplingRate).ok_or_else(|| D::Error::custom("bad sampling rate"))
            }
            _ => Err(D::Error::custom("bad sampling rate")),
        }
    }
}

/// Go's `ServiceLatency`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceLatency {
    pub sampling: SamplingRate,
    pub results: String,
}

/// Go's `Export`. `response_threshold` is Go duration nanoseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Export {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
    #[serde(rename = "type", skip_serializing_if = "is_unknown")]
    pub export_type: ExportType,
    #[serde(skip_serializing_if = "is_false")]
    pub token_req: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub revocations: BTreeMap<String, i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub response_type: String,
    #[serde(rename = "response_threshold", skip_serializing_if = "is_zero")]
    pub response_threshold_nanos: i64,
    #[serde(rename = "service_latency", skip_serializing_if = "Option::is_none")]
    pub latency: Option<ServiceLatency>,
    #[serde(skip_serializing_if = "is_zero_u")]
    pub account_token_position: u64,
    #[serde(skip_serializing_if = "is_false")]
    pub advertise: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub allow_trace: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub info_url: String,
}

fn is_zero_u(v: &u64) -> bool {
    *v == 0
}

/// Go's response types of a service export.
pub const RESPONSE_TYPE_SINGLETON: &str = "Singleton";
pub const RESPONSE_TYPE_STREAM: &str = "Stream";
pub const RESPONSE_TYPE_CHUNKED: &str = "Chunked";

/// Go's `Import`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Import {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub account: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub token: String,
    /// Deprecated in Go in favour of `local_subject`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub local_subject: String,
    #[serde(rename = "type", skip_serializing_if = "is_unknown")]
    pub import_type: ExportType,
    #[serde(skip_serializing_if = "is_false")]
    pub share: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub allow_trace: bool,
}

/// Go's `UserScope`: a scoped signing key; users it signs get `template`
/// (after template expansion) instead of their own permissions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserScope {
    pub kind: String,
    pub key: String,
    pub role: String,
    pub template: UserPermissionLimits,
    pub description: String,
}

/// Go's `ScopeType.String()` for `UserScopeType`.
pub const USER_SCOPE_KIND: &str = "user_scope";

/// Go's `SigningKeys`: account signing keys, each plain (None) or scoped.
/// JSON: a list of key strings and `{"kind":"user_scope",...}` objects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SigningKeys(pub BTreeMap<String, Option<UserScope>>);

impl SigningKeys {
    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }
    pub fn get_scope(&self, key: &str) -> Option<&Option<UserScope>> {
        self.0.get(key)
    }
    pub fn add(&mut self, key: &str) {
        self.0.insert(key.to_string(), None);
    }
    pub fn add_scoped(&mut self, scope: UserScope) {
        self.0.insert(scope.key.clone(), Some(scope));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for SigningKeys {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            match v {
                Some(scope) => seq.serialize_element(scope)?,
                None => seq.serialize_element(k)?,
            }
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for SigningKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<serde_json::Value>::deserialize(d)?;
        let mut out = BTreeMap::new();
        for item in items {
            match item {
                serde_json::Value::String(k) => {
                    out.insert(k, None);
                }
                serde_json::Value::Object(ref m) => {
                    let kind = m.get("kind").and_then(|k| k.as_str()).unwrap_or("");
                    if kind != USER_SCOPE_KIND {
                        return Err(D::Error::custom(format!("unknown signing key scope {kind:?}")));
                    }
                    let scope: UserScope = serde_json::from_value(item).map_err(D::Error::custom)?;
                    out.insert(scope.key.clone(), Some(scope));
                }
                // Go silently skips entries of any other JSON type.
                _ => {}
            }
        }
        Ok(SigningKeys(out))
    }
}

/// Go's `WeightedMapping` (account subject mappings).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WeightedMapping {
    pub subject: String,
    #[serde(skip_serializing_if = "is_zero_u8")]
    pub weight: u8,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster: String,
}

fn is_zero_u8(v: &u8) -> bool {
    *v == 0
}

impl WeightedMapping {
    /// Go's `GetWeight`: 0 means 100.
    pub fn get_weight(&self) -> u8 {
        if self.weight == 0 {
            100
        } else {
            self.weight
        }
    }
}

/// Go's `RevocationList.IsRevoked` as the server uses it (`isRevoked` in
/// accounts.go): revoked when the key's (or `*`'s) revocation time is at
/// or after the claim's issue time.
pub fn is_revoked(revocations: &BTreeMap<String, i64>, subject: &str, issued_at: i64) -> bool {
    let hit = |k: &str| revocations.get(k).is_some_and(|&t| t >= issued_at);
    hit(subject) || hit(REVOKE_ALL)
}

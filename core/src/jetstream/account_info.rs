//! `$JS.API.INFO` (Go's `jsAccountInfoRequest` and `JetStreamUsage` in
//! server/jetstream.go): the account's usage, reservations, limits and API
//! counters, with every field of Go's `JetStreamAccountStats`.

use super::config::JS_API_LEVEL;
use super::errors::ApiError;
use super::types::JS_API_ACCOUNT_INFO_RESPONSE_TYPE;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Go's `JetStreamAccountLimits`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JetStreamAccountLimits {
    pub max_memory: i64,
    pub max_storage: i64,
    pub max_streams: i64,
    pub max_consumers: i64,
    pub max_ack_pending: i64,
    pub memory_max_stream_bytes: i64,
    pub storage_max_stream_bytes: i64,
    pub max_bytes_required: bool,
}

impl JetStreamAccountLimits {
    /// Go's `dynamicJSAccountLimits`: no limit anywhere (the account limits
    /// of the global account when JetStream is enabled server-wide).
    pub fn dynamic() -> JetStreamAccountLimits {
        JetStreamAccountLimits {
            max_memory: -1,
            max_storage: -1,
            max_streams: -1,
            max_consumers: -1,
            max_ack_pending: -1,
            memory_max_stream_bytes: -1,
            storage_max_stream_bytes: -1,
            max_bytes_required: false,
        }
    }
}

/// Go's `JetStreamTier`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JetStreamTier {
    pub memory: u64,
    pub storage: u64,
    pub reserved_memory: u64,
    pub reserved_storage: u64,
    pub streams: usize,
    pub consumers: usize,
    pub limits: JetStreamAccountLimits,
}

/// Go's `JetStreamAPIStats`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JetStreamApiStats {
    pub level: i64,
    pub total: u64,
    pub errors: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub inflight: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Go's `JetStreamAccountStats`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JetStreamAccountStats {
    #[serde(flatten)]
    pub tier: JetStreamTier,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub domain: String,
    pub api: JetStreamApiStats,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<BTreeMap<String, JetStreamTier>>,
}

/// Go's `JSApiAccountInfoResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfoResponse {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<JetStreamAccountStats>,
}

/// The inputs of an account info answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub memory: u64,
    pub storage: u64,
    pub reserved_memory: u64,
    pub reserved_storage: u64,
    pub streams: usize,
    pub consumers: usize,
    pub api_total: u64,
    pub api_errors: u64,
}

/// The `$JS.API.INFO` response for `usage`.
pub fn account_info(usage: &Usage, domain: &str) -> AccountInfoResponse {
    AccountInfoResponse {
        kind: JS_API_ACCOUNT_INFO_RESPONSE_TYPE.to_string(),
        error: None,
        stats: Some(JetStreamAccountStats {
            tier: JetStreamTier {
                memory: usage.memory,
                storage: usage.storage,
                reserved_memory: usage.reserved_memory,
                reserved_storage: usage.reserved_storage,
                streams: usage.streams,
                consumers: usage.consumers,
                limits: JetStreamAccountLimits::dynamic(),
            },
            domain: domain.to_string(),
            api: JetStreamApiStats {
                level: JS_API_LEVEL,
                total: usage.api_total,
                errors: usage.api_errors,
                inflight: 0,
            },
            tiers: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_info_has_go_fields() {
        let usage = Usage {
            storage: 10,
            reserved_storage: 1024,
            streams: 1,
            api_total: 3,
            ..Default::default()
        };
        let v = serde_json::to_value(account_info(&usage, "")).unwrap();
        assert_eq!(v["type"], "io.nats.jetstream.api.v1.account_info_response");
        for k in [
            "memory",
            "storage",
            "reserved_memory",
            "reserved_storage",
            "streams",
            "consumers",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
        assert_eq!(v["reserved_storage"], 1024);
        assert_eq!(v["limits"]["max_storage"], -1);
        assert_eq!(v["limits"]["max_bytes_required"], false);
        assert_eq!(v["api"]["level"], JS_API_LEVEL);
        assert_eq!(v["api"]["total"], 3);
        assert!(v.get("domain").is_none());
        assert!(v.get("tiers").is_none());
        assert!(v.get("error").is_none());
    }
}

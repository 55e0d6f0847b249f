//! A consumer's configuration (Go's `ConsumerConfig`, `DeliverPolicy`,
//! `AckPolicy`, `ReplayPolicy` and `setConsumerConfigDefaults` in
//! server/consumer.go), with Go's JSON names and defaults.

use super::consumer::{
    JS_ACK_WAIT_DEFAULT, JS_DEFAULT_MAX_ACK_PENDING, JS_DELETE_WAIT_TIME_DEFAULT,
    JS_WAIT_QUEUE_DEFAULT_MAX,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub(super) fn is_false(b: &bool) -> bool {
    !*b
}
pub(super) fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}
pub(super) fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

/// Go's `DeliverPolicy`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliverPolicy {
    #[default]
    #[serde(rename = "all", alias = "undefined")]
    All,
    #[serde(rename = "last")]
    Last,
    #[serde(rename = "new")]
    New,
    #[serde(rename = "by_start_sequence")]
    ByStartSequence,
    #[serde(rename = "by_start_time")]
    ByStartTime,
    #[serde(rename = "last_per_subject")]
    LastPerSubject,
}

/// Go's `AckPolicy`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AckPolicy {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "all")]
    All,
    #[default]
    #[serde(rename = "explicit")]
    Explicit,
}

/// Go's `ReplayPolicy`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplayPolicy {
    #[default]
    #[serde(rename = "instant")]
    Instant,
    #[serde(rename = "original")]
    Original,
}

/// Go's `ConsumerConfig` (durations in nanoseconds, times as RFC 3339).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerConfig {
    #[serde(rename = "durable_name", skip_serializing_if = "String::is_empty")]
    pub durable: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub deliver_policy: DeliverPolicy,
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub opt_start_seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opt_start_time: Option<String>,
    pub ack_policy: AckPolicy,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub ack_wait: i64,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub max_deliver: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub backoff: Vec<i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub filter_subject: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filter_subjects: Vec<String>,
    pub replay_policy: ReplayPolicy,
    #[serde(rename = "rate_limit_bps", skip_serializing_if = "is_zero_u64")]
    pub rate_limit: u64,
    #[serde(rename = "sample_freq", skip_serializing_if = "String::is_empty")]
    pub sample_frequency: String,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub max_waiting: i64,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub max_ack_pending: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub flow_control: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub headers_only: bool,
    #[serde(rename = "max_batch", skip_serializing_if = "is_zero_i64")]
    pub max_request_batch: i64,
    #[serde(rename = "max_expires", skip_serializing_if = "is_zero_i64")]
    pub max_request_expires: i64,
    #[serde(rename = "max_bytes", skip_serializing_if = "is_zero_i64")]
    pub max_request_max_bytes: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub deliver_subject: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub deliver_group: String,
    #[serde(rename = "idle_heartbeat", skip_serializing_if = "is_zero_i64")]
    pub heartbeat: i64,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub inactive_threshold: i64,
    #[serde(rename = "num_replicas")]
    pub replicas: i64,
    #[serde(rename = "mem_storage", skip_serializing_if = "is_false")]
    pub memory_storage: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub direct: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause_until: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub priority_groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_policy: Option<String>,
    #[serde(rename = "priority_timeout", skip_serializing_if = "is_zero_i64")]
    pub pinned_ttl: i64,
}

impl ConsumerConfig {
    /// The filters this consumer selects by (empty: all subjects).
    pub fn filters(&self) -> Vec<String> {
        if !self.filter_subject.is_empty() {
            return vec![self.filter_subject.clone()];
        }
        self.filter_subjects.clone()
    }

    /// Go's `setConsumerConfigDefaults` (the part for pull consumers).
    pub fn set_defaults(&mut self) {
        if self.max_deliver == 0 || self.max_deliver < -1 {
            self.max_deliver = -1;
        }
        if self.heartbeat < 0 {
            self.heartbeat = 0;
        }
        if self.inactive_threshold < 0 {
            self.inactive_threshold = 0;
        }
        if self.ack_wait == 0 && self.ack_policy != AckPolicy::None {
            self.ack_wait = JS_ACK_WAIT_DEFAULT;
        }
        if let Some(first) = self.backoff.first() {
            // Backoff overrides ack_wait, as in Go.
            self.ack_wait = *first;
        }
        if self.max_ack_pending == 0 && self.ack_policy != AckPolicy::None {
            self.max_ack_pending = JS_DEFAULT_MAX_ACK_PENDING;
        }
        if self.deliver_subject.is_empty() && self.max_waiting == 0 {
            self.max_waiting = JS_WAIT_QUEUE_DEFAULT_MAX;
        }
        if self.filter_subjects.len() == 1 && self.filter_subject.is_empty() {
            self.filter_subject = self.filter_subjects.remove(0);
        }
        if self.durable.is_empty() && self.inactive_threshold == 0 {
            self.inactive_threshold = JS_DELETE_WAIT_TIME_DEFAULT;
        }
    }
}

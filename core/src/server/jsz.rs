//! `/jsz` and the JetStream part of `/varz` (monitor.go `JSInfo`,
//! `AccountDetail`, `StreamDetail`, `JSzOptions`, `JetStreamVarz`). The
//! figures come from the engine's internal service (JetStream) through
//! [`InternalService::jetstream_report`]; without JetStream `/jsz` is Go's
//! disabled answer.
//!
//! [`InternalService::jetstream_report`]: super::InternalService::jetstream_report

use serde::Serialize;

use crate::jetstream::account_info::JetStreamApiStats;
use crate::time::UnixNanos;

use super::zfmt::rfc3339;
use super::Server;

/// Go's `JSzOptions` (the `/jsz` query decoded).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JszOptions {
    /// `acc`: only this account's details.
    pub account: String,
    pub accounts: bool,
    pub streams: bool,
    pub consumers: bool,
    pub config: bool,
    pub leader_only: bool,
    pub offset: i64,
    pub limit: i64,
}

/// Go's `JetStreamConfig` as monitoring serves it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JetStreamConfig {
    pub max_memory: i64,
    pub max_storage: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub store_dir: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domain: String,
    /// Go reports `true` on every server that runs JetStream.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub compress_ok: bool,
}

/// Go's `JetStreamStats`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JetStreamStats {
    pub memory: u64,
    pub storage: u64,
    pub reserved_memory: u64,
    pub reserved_storage: u64,
    pub accounts: usize,
    pub ha_assets: usize,
    pub api: JetStreamApiStats,
}

/// Go's `StreamDetail`. `config` only with `config=1`; `consumer_detail`
/// only with `consumers=1` (each a Go `ConsumerInfo`, its `config` only
/// with `config=1`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StreamDetail {
    pub name: String,
    pub created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Value>,
    pub state: serde_json::Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consumer_detail: Vec<serde_json::Value>,
}

/// Go's `AccountDetail`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountDetail {
    pub name: String,
    pub id: String,
    #[serde(flatten)]
    pub stats: JetStreamStats,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stream_detail: Vec<StreamDetail>,
}

/// What JetStream reports about itself for `/jsz` and `/varz`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JetStreamReport {
    pub config: JetStreamConfig,
    /// Server-wide figures (reservations are of the server's limits).
    pub stats: JetStreamStats,
    pub streams: usize,
    pub consumers: usize,
    pub messages: u64,
    pub bytes: u64,
    /// One per account with JetStream (only `$G` today), filled to the
    /// depth the options ask for.
    pub accounts: Vec<AccountDetail>,
    /// Streams found on disk that could not be recovered, as
    /// `<account> > <stream>` (they make `/healthz` unavailable).
    #[serde(skip)]
    pub unrecovered: Vec<String>,
}

/// Go's `JSInfo`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Jsz {
    pub server_id: String,
    pub now: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    pub config: JetStreamConfig,
    #[serde(flatten)]
    pub stats: JetStreamStats,
    pub streams: usize,
    pub consumers: usize,
    pub messages: u64,
    pub bytes: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub account_details: Vec<AccountDetail>,
}

/// Go's `JetStreamVarz` (the `jetstream` object of `/varz`): empty when
/// JetStream is off.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct JetStreamVarz {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<JetStreamConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<JetStreamStats>,
}

impl Server {
    /// JetStream's figures, or `None` when it is not running.
    pub fn jetstream_report(&self, realtime: UnixNanos, o: &JszOptions) -> Option<JetStreamReport> {
        self.internal.service.as_ref().and_then(|s| s.jetstream_report(realtime, o))
    }

    /// Go's `Server.Jsz`. Errors are Go's texts (HTTP 400).
    pub fn jsz(&self, realtime: UnixNanos, o: &JszOptions) -> Result<Jsz, String> {
        let mut z = Jsz {
            server_id: self.info.server_id.clone(),
            now: rfc3339(realtime),
            disabled: true,
            config: JetStreamConfig::default(),
            stats: JetStreamStats::default(),
            streams: 0,
            consumers: 0,
            messages: 0,
            bytes: 0,
            account_details: Vec::new(),
        };
        let Some(r) = self.jetstream_report(realtime, o) else {
            // Go: only the meta leader answers a leader-only request, and a
            // server without JetStream is never the leader.
            if o.leader_only {
                return Err("filtered response: not leader".to_string());
            }
            return Ok(z);
        };
        // A standalone server is its own meta leader: `leader-only` keeps
        // the answer.
        z.disabled = false;
        z.config = r.config;
        z.stats = r.stats;
        z.streams = r.streams;
        z.consumers = r.consumers;
        z.messages = r.messages;
        z.bytes = r.bytes;
        if o.accounts || !o.account.is_empty() {
            z.account_details =
                r.accounts.into_iter().filter(|a| o.account.is_empty() || a.id == o.account).collect();
            page(&mut z.account_details, o.offset, o.limit);
        }
        // A standalone server leads every stream it has (Go's `cluster`
        // with only `leader`).
        for sd in z.account_details.iter_mut().flat_map(|a| a.stream_detail.iter_mut()) {
            if sd.cluster.is_none() {
                sd.cluster = Some(serde_json::json!({ "leader": self.info.server_name }));
            }
        }
        Ok(z)
    }

    /// `/varz`'s `jetstream` object.
    pub(super) fn jetstream_varz(&self, realtime: UnixNanos) -> JetStreamVarz {
        match self.jetstream_report(realtime, &JszOptions::default()) {
            Some(r) => JetStreamVarz { config: Some(r.config), stats: Some(r.stats) },
            None => JetStreamVarz::default(),
        }
    }
}

/// Go's `/jsz` paging of account details (`offset`, `limit`; 0 is all).
fn page<T>(v: &mut Vec<T>, offset: i64, limit: i64) {
    let lo = (offset.max(0) as usize).min(v.len());
    v.drain(..lo);
    if limit > 0 {
        v.truncate(limit as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_like_go() {
        let mut v = vec![1, 2, 3, 4];
        page(&mut v, 1, 2);
        assert_eq!(v, vec![2, 3]);
        let mut v = vec![1, 2];
        page(&mut v, 5, 0);
        assert!(v.is_empty());
        let mut v = vec![1, 2];
        page(&mut v, -1, 0);
        assert_eq!(v, vec![1, 2]);
    }
}

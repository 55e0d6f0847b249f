//! JetStream's own figures for the monitoring endpoints (`/jsz`, the
//! `jetstream` object of `/varz`): Go's `Server.Jsz` and `accountDetail`
//! in server/monitor.go, for the single account JetStream serves.

use super::account_info::JetStreamApiStats;
use super::config::JS_API_LEVEL;
use super::types::StorageType;
use super::{JetStream, GLOBAL_ACCOUNT};
use crate::server::{AccountDetail, JetStreamConfig, JetStreamReport, JetStreamStats, JszOptions, StreamDetail};
use crate::time::UnixNanos;

impl JetStream {
    /// The report the monitoring endpoints render, as deep as `o` asks
    /// (`streams`, then `consumers`; `config` adds the configurations).
    pub fn jsz_report(&self, realtime: UnixNanos, o: &JszOptions) -> JetStreamReport {
        let usage = self.usage();
        let api = JetStreamApiStats { level: JS_API_LEVEL, total: self.api_total, errors: self.api_errors, inflight: 0 };
        let (mut messages, mut bytes) = (0, 0);
        for s in self.streams.values() {
            let st = s.state();
            messages += st.msgs;
            bytes += st.bytes;
        }
        let stats = JetStreamStats {
            memory: usage.memory,
            storage: usage.storage,
            reserved_memory: self.reserved(StorageType::Memory, None),
            reserved_storage: self.reserved(StorageType::File, None),
            accounts: 1,
            ha_assets: 0,
            api: api.clone(),
        };
        // Go reports the account's reservations as its limits; the global
        // account's dynamic limits are -1, which Go prints as an unsigned.
        let account_stats = JetStreamStats {
            memory: usage.memory,
            storage: usage.storage,
            reserved_memory: u64::MAX,
            reserved_storage: u64::MAX,
            accounts: 0,
            ha_assets: 0,
            api,
        };
        let stream_detail = if o.streams { self.stream_details(realtime, o) } else { Vec::new() };
        JetStreamReport {
            config: self.jsz_config(),
            stats,
            streams: usage.streams,
            consumers: usage.consumers,
            messages,
            bytes,
            accounts: vec![AccountDetail {
                name: GLOBAL_ACCOUNT.to_string(),
                id: GLOBAL_ACCOUNT.to_string(),
                stats: account_stats,
                stream_detail,
            }],
            unrecovered: self.warnings.iter().map(|w| format!("{GLOBAL_ACCOUNT} > {}", w.stream)).collect(),
        }
    }

    /// Go's `JetStreamConfig`: the store directory is JetStream's own
    /// (`<store_dir>/jetstream`), as Go reports it.
    fn jsz_config(&self) -> JetStreamConfig {
        let store_dir = if self.cfg.store_dir.is_empty() {
            String::new()
        } else {
            format!("{}/jetstream", self.cfg.store_dir.trim_end_matches('/'))
        };
        JetStreamConfig {
            max_memory: self.cfg.max_memory,
            max_storage: self.cfg.max_store,
            store_dir,
            domain: self.cfg.domain.clone().unwrap_or_default(),
            compress_ok: true,
        }
    }

    fn stream_details(&self, realtime: UnixNanos, o: &JszOptions) -> Vec<StreamDetail> {
        let mut out = Vec::new();
        for s in self.streams.values() {
            let info = self.stream_info(s, realtime, false);
            let mut consumers = Vec::new();
            if o.consumers {
                for c in self.consumers.get(s.name()).map(|m| m.values()).into_iter().flatten() {
                    let mut v = value(&c.info(s.store.as_ref(), realtime));
                    if !o.config {
                        if let Some(m) = v.as_object_mut() {
                            m.remove("config");
                        }
                    }
                    consumers.push(v);
                }
            }
            out.push(StreamDetail {
                name: s.name().to_string(),
                created: info.created.clone(),
                cluster: info.cluster.as_ref().map(value),
                config: o.config.then(|| value(&info.config)),
                state: value(&info.state),
                consumer_detail: consumers,
            });
        }
        out
    }
}

/// An API type as a JSON value for the report. The API types are plain
/// structs with string keys: they always serialize.
fn value<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

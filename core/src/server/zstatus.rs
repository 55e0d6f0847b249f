//! The monitoring endpoints whose subsystems rnatsd does not run yet, or
//! runs only in their simplest form, answered as Go answers them in that
//! state: `/routez`, `/gatewayz`, `/leafz` (no routes, gateways or leaf
//! nodes), `/accountz` and `/accstatz` (only the global account `$G`),
//! `/healthz`. Shapes from monitor.go and
//! events.go (`AccountStat`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sublist::SublistStats;
use crate::time::UnixNanos;

use super::accounts::{AccountId, GLOBAL};
use super::Stats;
use super::zfmt::rfc3339;
use super::Server;

#[derive(Clone, Debug, Serialize)]
pub struct Routez {
    pub server_id: String,
    pub server_name: String,
    pub now: String,
    pub num_routes: usize,
    pub routes: Vec<serde_json::Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Gatewayz {
    pub server_id: String,
    pub now: String,
    pub outbound_gateways: BTreeMap<String, serde_json::Value>,
    pub inbound_gateways: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Leafz {
    pub server_id: String,
    pub now: String,
    pub leafnodes: usize,
    /// Go's nil slice: `null` without leaf nodes.
    pub leafs: Option<Vec<serde_json::Value>>,
}

/// Go's `AccountInfo`, for the fields the global account has.
#[derive(Clone, Debug, Serialize)]
pub struct AccountInfo {
    pub account_name: String,
    pub update_time: String,
    pub expired: bool,
    pub complete: bool,
    pub jetstream_enabled: bool,
    pub leafnode_connections: usize,
    pub client_connections: usize,
    pub subscriptions: usize,
    pub sublist_stats: SublistStats,
}

#[derive(Clone, Debug, Serialize)]
pub struct Accountz {
    pub server_id: String,
    pub now: String,
    /// Go's `system_account`: the system account's name, when there is one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub system_account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_detail: Option<AccountInfo>,
}

/// Go's `MsgBytes`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MsgBytes {
    pub msgs: u64,
    pub bytes: u64,
}

/// Go's `DataStats`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DataStats {
    pub msgs: u64,
    pub bytes: u64,
    pub gateways: MsgBytes,
    pub routes: MsgBytes,
    pub leafs: MsgBytes,
}

/// Go's `AccountStat`.
#[derive(Clone, Debug, Serialize)]
pub struct AccountStat {
    pub acc: String,
    pub name: String,
    pub conns: usize,
    pub leafnodes: usize,
    pub total_conns: usize,
    pub num_subscriptions: usize,
    pub sent: DataStats,
    pub received: DataStats,
    pub slow_consumers: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct AccountStatz {
    pub server_id: String,
    pub now: String,
    pub account_statz: Vec<AccountStat>,
}

/// Go's `HealthzOptions`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthzOptions {
    pub js_enabled_only: bool,
    pub js_server_only: bool,
    pub details: bool,
    pub account: String,
    pub stream: String,
    pub consumer: String,
}

/// Go's `HealthzError`.
#[derive(Clone, Debug, Serialize)]
pub struct HealthzError {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub error: String,
}

/// Go's `HealthStatus` (as served over HTTP: the code is the status line).
#[derive(Clone, Debug, Serialize)]
pub struct HealthStatus {
    pub status: String,
    #[serde(skip)]
    pub status_code: u16,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<HealthzError>,
}

impl Server {
    pub fn routez(&self, realtime: UnixNanos) -> Routez {
        Routez {
            server_id: self.info.server_id.clone(),
            server_name: self.info.server_name.clone(),
            now: rfc3339(realtime),
            num_routes: 0,
            routes: Vec::new(),
        }
    }

    pub fn gatewayz(&self, realtime: UnixNanos) -> Gatewayz {
        Gatewayz {
            server_id: self.info.server_id.clone(),
            now: rfc3339(realtime),
            outbound_gateways: BTreeMap::new(),
            inbound_gateways: BTreeMap::new(),
        }
    }

    pub fn leafz(&self, realtime: UnixNanos) -> Leafz {
        Leafz { server_id: self.info.server_id.clone(), now: rfc3339(realtime), leafnodes: 0, leafs: None }
    }

    /// Go's `Server.Accountz`: the account names, or one account's detail.
    pub fn accountz(&self, realtime: UnixNanos, account: &str) -> Result<Accountz, String> {
        let mut a = Accountz {
            server_id: self.info.server_id.clone(),
            now: rfc3339(realtime),
            system_account: self.accounts.system().map(|id| self.accounts.get(id).name.clone()).unwrap_or_default(),
            accounts: None,
            account_detail: None,
        };
        if account.is_empty() {
            let mut names: Vec<String> = self.accounts.iter().map(|(_, a)| a.name.clone()).collect();
            names.sort();
            a.accounts = Some(names);
            return Ok(a);
        }
        let Some(id) = self.accounts.lookup(account) else {
            return Err(format!("Account {account} does not exist"));
        };
        let acc = self.accounts.get(id);
        a.account_detail = Some(AccountInfo {
            account_name: acc.name.clone(),
            update_time: rfc3339(self.config_time),
            expired: false,
            complete: true,
            jetstream_enabled: self.has_internal_service(),
            leafnode_connections: 0,
            client_connections: self.account_conns(id),
            subscriptions: acc.sublist.count(),
            sublist_stats: acc.sublist.stats(),
        });
        Ok(a)
    }

    /// Go's `Server.AccountStatz`: accounts with connections, or all with
    /// `unused`. `accounts` filters by name when not empty.
    pub fn accstatz(&self, realtime: UnixNanos, accounts: &[String], include_unused: bool) -> AccountStatz {
        let mut z =
            AccountStatz { server_id: self.info.server_id.clone(), now: rfc3339(realtime), account_statz: Vec::new() };
        let mut list: Vec<_> = self.accounts.iter().collect();
        list.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        for (id, acc) in list {
            let named = accounts.is_empty() || accounts.contains(&acc.name);
            let conns = self.account_conns(id);
            if !(named && (include_unused || conns > 0)) {
                continue;
            }
            // Message counters are kept per server, not per account: the
            // global account reports them, as it did alone before accounts.
            let st = if id == GLOBAL { self.stats.clone() } else { Stats::default() };
            z.account_statz.push(AccountStat {
                acc: acc.name.clone(),
                name: acc.name.clone(),
                conns,
                leafnodes: 0,
                total_conns: conns,
                num_subscriptions: acc.sublist.count(),
                sent: DataStats { msgs: st.out_msgs, bytes: st.out_bytes, ..DataStats::default() },
                received: DataStats { msgs: st.in_msgs, bytes: st.in_bytes, ..DataStats::default() },
                slow_consumers: st.slow_consumers,
            });
        }
        z
    }

    /// Open client connections bound to `id`.
    pub(super) fn account_conns(&self, id: AccountId) -> usize {
        self.conns.values().filter(|c| c.acc == id && !c.is_closing()).count()
    }

    /// Go's `Server.healthz` for a standalone server: the argument checks,
    /// then (JetStream configured) that JetStream runs and, unless
    /// `js-enabled-only`/`js-server-only`, that every stream recovered.
    pub fn healthz(&self, o: &HealthzOptions) -> HealthStatus {
        let mut h = HealthStatus { status: "ok".into(), status_code: 200, error: String::new(), errors: Vec::new() };
        let bad = if o.account.is_empty() && !o.stream.is_empty() {
            Some("\"account\" must not be empty when checking stream health")
        } else if o.stream.is_empty() && !o.consumer.is_empty() {
            Some("\"stream\" must not be empty when checking consumer health")
        } else {
            None
        };
        if let Some(text) = bad {
            h.status_code = 400;
            if o.details {
                h.status = "error".into();
                h.errors.push(HealthzError { kind: "BAD_REQUEST", error: text.into() });
            } else {
                h.status = "error".into();
                h.error = text.into();
            }
        }
        if h.status_code != 200 || !self.opts.jetstream.enabled {
            return h;
        }
        let unavailable = |h: &mut HealthStatus, text: String| {
            h.status = "unavailable".into();
            h.status_code = 503;
            if o.details {
                h.errors.push(HealthzError { kind: "JETSTREAM", error: text });
            } else {
                h.error = text;
            }
        };
        let Some(report) = self.jetstream_report(0, &super::jsz::JszOptions::default()) else {
            unavailable(&mut h, "JetStream not enabled (10076)".to_string());
            return h;
        };
        if o.js_enabled_only || o.js_server_only {
            return h;
        }
        // Standalone: every stream on disk must have been recovered.
        let wanted = |name: &str| o.account.is_empty() || name.starts_with(&format!("{} > ", o.account));
        if let Some(lost) = report.unrecovered.iter().find(|n| wanted(n)) {
            unavailable(&mut h, format!("JetStream stream '{lost}' could not be recovered"));
        }
        h
    }
}

//! `/varz`: the general server information Go's monitoring endpoint
//! serves (monitor.go `Varz`), with Go's JSON field names for everything
//! rnatsd has. The process facts (memory, CPU, cores) come from the
//! adapter as a [`ProcessStats`]; everything else is the engine's.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::time::{Instant, UnixNanos};

use super::zfmt::{my_uptime, rfc3339};
use super::Server;

/// Go's `TLS_TIMEOUT` default, in seconds.
const TLS_TIMEOUT_SECS: f64 = 2.0;

/// What only the process knows: filled by the adapter for `/varz` and
/// `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProcessStats {
    /// Resident set size in bytes.
    pub mem: i64,
    /// CPU usage in percent of one core.
    pub cpu: f64,
    pub cores: usize,
    pub gomaxprocs: usize,
}

/// Per-kind counts (Go's `SlowConsumersStats`, `StaleConnectionStats`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct KindStats {
    pub clients: u64,
    pub routes: u64,
    pub gateways: u64,
    pub leafs: u64,
}

/// Go's `DiskIOWaitStats`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DiskIoWaitStats {
    pub waiters: i64,
    pub waits: u64,
    pub wait_time: u64,
    pub max_wait_time: u64,
}

/// An option group rnatsd does not run (cluster, gateway, leaf, MQTT,
/// websocket, JetStream): Go serves it as an object whose fields are all
/// omitted when unset.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EmptyOpts {}

#[derive(Clone, Debug, Serialize)]
pub struct Varz {
    pub server_id: String,
    pub server_name: String,
    pub version: String,
    pub proto: i32,
    pub go: String,
    pub host: String,
    pub port: u16,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub auth_required: bool,
    pub max_connections: i32,
    #[serde(skip_serializing_if = "is_zero_i32")]
    pub max_subscriptions: i32,
    /// Nanoseconds, as Go marshals a `time.Duration`.
    pub ping_interval: i64,
    pub ping_max: i32,
    pub http_host: String,
    pub http_port: i32,
    pub http_base_path: String,
    pub https_port: i32,
    pub auth_timeout: f64,
    pub max_control_line: i32,
    pub max_payload: i32,
    pub max_pending: i64,
    pub cluster: EmptyOpts,
    pub gateway: EmptyOpts,
    pub leaf: EmptyOpts,
    pub mqtt: EmptyOpts,
    pub websocket: EmptyOpts,
    pub jetstream: super::jsz::JetStreamVarz,
    pub tls_timeout: f64,
    pub write_deadline: i64,
    pub start: String,
    pub now: String,
    pub uptime: String,
    pub mem: i64,
    pub cores: usize,
    pub gomaxprocs: usize,
    pub cpu: f64,
    pub connections: usize,
    pub total_connections: u64,
    pub routes: usize,
    pub remotes: usize,
    pub leafnodes: usize,
    pub in_msgs: u64,
    pub in_bytes: u64,
    pub in_client_msgs: u64,
    pub in_client_bytes: u64,
    pub out_msgs: u64,
    pub out_bytes: u64,
    pub out_client_msgs: u64,
    pub out_client_bytes: u64,
    pub slow_consumers: u64,
    pub stale_connections: u64,
    pub stalled_clients: u64,
    pub subscriptions: usize,
    pub http_req_stats: BTreeMap<String, u64>,
    /// Go's `system_account`: the system account's name, when there is one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub system_account: String,
    pub config_load_time: String,
    pub config_digest: String,
    pub slow_consumer_stats: KindStats,
    pub stale_connection_stats: KindStats,
    pub disk_io_wait_stats: DiskIoWaitStats,
    /// Uptime in seconds, for `/metrics` (not part of Go's JSON).
    #[serde(skip)]
    pub uptime_secs: u64,
}

fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}

pub(super) fn build(s: &Server, now: Instant, realtime: UnixNanos, p: ProcessStats) -> Varz {
    let o = &s.opts;
    let st = &s.stats;
    let uptime = now.saturating_duration_since(s.started);
    Varz {
        server_id: s.info.server_id.clone(),
        server_name: s.info.server_name.clone(),
        version: s.info.version.clone(),
        proto: s.info.proto,
        go: s.info.go.clone(),
        host: o.host.clone(),
        port: s.info.port,
        auth_required: s.info.auth_required,
        max_connections: o.max_conn,
        max_subscriptions: o.max_subs,
        ping_interval: o.ping_interval.as_nanos() as i64,
        ping_max: o.max_pings_out,
        http_host: o.http_host.clone(),
        http_port: o.http_port,
        http_base_path: o.http_base_path.clone(),
        https_port: o.https_port,
        auth_timeout: o.auth_timeout.as_secs_f64(),
        max_control_line: o.max_control_line,
        max_payload: o.max_payload,
        max_pending: o.max_pending,
        cluster: EmptyOpts {},
        gateway: EmptyOpts {},
        leaf: EmptyOpts {},
        mqtt: EmptyOpts {},
        websocket: EmptyOpts {},
        jetstream: s.jetstream_varz(realtime),
        tls_timeout: TLS_TIMEOUT_SECS,
        write_deadline: o.write_deadline.as_nanos() as i64,
        start: rfc3339(s.started_realtime),
        now: rfc3339(realtime),
        uptime: my_uptime(uptime),
        mem: p.mem,
        cores: p.cores,
        gomaxprocs: p.gomaxprocs,
        cpu: p.cpu,
        connections: s.num_connections(),
        total_connections: st.total_connections,
        routes: 0,
        remotes: 0,
        leafnodes: 0,
        in_msgs: st.in_msgs,
        in_bytes: st.in_bytes,
        in_client_msgs: st.in_msgs,
        in_client_bytes: st.in_bytes,
        out_msgs: st.out_msgs,
        out_bytes: st.out_bytes,
        out_client_msgs: st.out_msgs,
        out_client_bytes: st.out_bytes,
        slow_consumers: st.slow_consumers,
        stale_connections: st.stale_connections,
        stalled_clients: 0,
        subscriptions: s.subs.len(),
        http_req_stats: s.http_req_stats.clone(),
        system_account: s.accounts.system().map(|id| s.accounts.get(id).name.clone()).unwrap_or_default(),
        config_load_time: rfc3339(s.config_time),
        config_digest: String::new(),
        slow_consumer_stats: KindStats { clients: st.slow_consumers, ..KindStats::default() },
        stale_connection_stats: KindStats { clients: st.stale_connections, ..KindStats::default() },
        disk_io_wait_stats: DiskIoWaitStats::default(),
        uptime_secs: uptime.as_secs(),
    }
}

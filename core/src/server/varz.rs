//! `/varz`: the general server information Go's monitoring endpoint
//! serves, with Go's JSON field names for what rnatsd has. Fields that
//! depend on the process (memory, CPU, cores) are filled in by the adapter.

use serde::Serialize;

use crate::time::{Instant, UnixNanos};

use super::Server;

#[derive(Clone, Debug, Serialize)]
pub struct Varz {
    pub server_id: String,
    pub server_name: String,
    pub version: String,
    pub proto: i32,
    pub go: String,
    pub host: String,
    pub port: u16,
    pub auth_required: bool,
    pub max_connections: i32,
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
    pub write_deadline: i64,
    /// Unix nanos of the start; the adapter renders it as RFC 3339.
    #[serde(skip)]
    pub start_unix_nanos: UnixNanos,
    #[serde(skip)]
    pub now_unix_nanos: UnixNanos,
    #[serde(skip)]
    pub uptime_nanos: u64,
    pub connections: usize,
    pub total_connections: u64,
    pub routes: usize,
    pub remotes: usize,
    pub leafnodes: usize,
    pub in_msgs: u64,
    pub out_msgs: u64,
    pub in_bytes: u64,
    pub out_bytes: u64,
    pub slow_consumers: u64,
    pub subscriptions: usize,
}

pub(super) fn build(s: &Server, now: Instant, realtime: UnixNanos) -> Varz {
    let o = &s.opts;
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
        write_deadline: o.write_deadline.as_nanos() as i64,
        start_unix_nanos: s.started_realtime,
        now_unix_nanos: realtime,
        uptime_nanos: now.saturating_duration_since(s.started).as_nanos() as u64,
        connections: s.num_connections(),
        total_connections: s.stats.total_connections,
        routes: 0,
        remotes: 0,
        leafnodes: 0,
        in_msgs: s.stats.in_msgs,
        out_msgs: s.stats.out_msgs,
        in_bytes: s.stats.in_bytes,
        out_bytes: s.stats.out_bytes,
        slow_consumers: s.stats.slow_consumers,
        subscriptions: s.subs.len(),
    }
}

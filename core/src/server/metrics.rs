//! `/metrics`: the `/varz` counters and gauges in the Prometheus text
//! exposition format (version 0.0.4). Go's nats-server has no such
//! endpoint; the names follow the widely used prometheus-nats-exporter,
//! which scrapes `/varz` into `gnatsd_varz_<field>` metrics, so existing
//! dashboards work unchanged. Every metric carries a `server_id` label.
//! Monotonic totals are `counter`s; everything else is a `gauge`.

use std::fmt::Write;

use super::varz::Varz;

enum Kind {
    Counter,
    Gauge,
}

pub(super) fn render(v: &Varz) -> String {
    let metrics: [(&str, Kind, f64, &str); 20] = [
        ("connections", Kind::Gauge, v.connections as f64, "Current client connections"),
        ("total_connections", Kind::Counter, v.total_connections as f64, "Client connections accepted since start"),
        ("subscriptions", Kind::Gauge, v.subscriptions as f64, "Current subscriptions"),
        ("in_msgs", Kind::Counter, v.in_msgs as f64, "Messages received"),
        ("out_msgs", Kind::Counter, v.out_msgs as f64, "Messages sent"),
        ("in_bytes", Kind::Counter, v.in_bytes as f64, "Payload bytes received"),
        ("out_bytes", Kind::Counter, v.out_bytes as f64, "Payload bytes sent"),
        ("slow_consumers", Kind::Counter, v.slow_consumers as f64, "Connections closed as slow consumers"),
        ("stale_connections", Kind::Counter, v.stale_connections as f64, "Connections closed as stale"),
        ("routes", Kind::Gauge, v.routes as f64, "Current routes"),
        ("remotes", Kind::Gauge, v.remotes as f64, "Configured route remotes"),
        ("leafnodes", Kind::Gauge, v.leafnodes as f64, "Current leaf node connections"),
        ("mem", Kind::Gauge, v.mem as f64, "Resident memory in bytes"),
        ("cpu", Kind::Gauge, v.cpu, "CPU usage in percent"),
        ("cores", Kind::Gauge, v.cores as f64, "CPU cores available"),
        ("max_connections", Kind::Gauge, f64::from(v.max_connections), "Configured max_connections"),
        ("max_payload", Kind::Gauge, f64::from(v.max_payload), "Configured max_payload in bytes"),
        ("max_pending", Kind::Gauge, v.max_pending as f64, "Configured max_pending in bytes"),
        ("ping_interval_seconds", Kind::Gauge, v.ping_interval as f64 / 1e9, "Configured ping_interval"),
        ("uptime_seconds", Kind::Gauge, v.uptime_secs as f64, "Seconds since the server started"),
    ];
    let mut out = String::new();
    for (name, kind, value, help) in metrics {
        let kind = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        };
        // Writing to a String cannot fail.
        let _ = writeln!(out, "# HELP gnatsd_varz_{name} {help}");
        let _ = writeln!(out, "# TYPE gnatsd_varz_{name} {kind}");
        let _ = writeln!(out, "gnatsd_varz_{name}{{server_id=\"{}\"}} {value}", v.server_id);
    }
    out
}

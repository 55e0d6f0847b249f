//! The benchmark rows: what each measures, its message counts, and how to run
//! it once against a freshly started server.

use std::time::Duration;

use crate::error::BenchResult;
use crate::server::{RunningServer, ServerSpec};
use crate::workload::delivery::{self, Mode};
use crate::workload::{jetstream, latency, memory, publish, pull, RunLimits, Sample};

/// The label of the rnatsd column's server (see `main.rs`).
pub const RNATSD_LABEL: &str = "rnatsd";

/// Whether bigger or smaller figures are better for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// How a metric's values are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    MsgsPerSec,
    Micros,
    MiB,
    KiB,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub label: String,
    pub unit: Unit,
    pub better: Better,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    Publish {
        payload_len: usize,
    },
    Delivery {
        subs: usize,
        mode: Mode,
        payload_len: usize,
    },
    RequestReply {
        payload_len: usize,
    },
    IdleConns {
        conns: usize,
    },
    /// JetStream publish to a file stream, `in_flight` publishes awaiting
    /// their PubAck at any time.
    JsPublish {
        payload_len: usize,
        in_flight: u64,
        /// How each server's store syncs to disk.
        sync: JsSync,
    },
    /// JetStream pull consumption with explicit acks (`workload::pull`).
    Pull {
        payload_len: usize,
    },
}

/// Which `sync_interval` each server gets in a JetStream publish row.
/// Anything not named here runs the server's default: rnatsd is durable
/// before the ack (group commit), Go syncs every 2 minutes
/// (`defaultSyncInterval` in Go's filestore.go) and acks before that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsSync {
    /// Both servers in their defaults (`-js -sd <dir>`).
    Defaults,
    /// rnatsd with `sync_interval: "2m"`, Go in its default (also 2m).
    RnatsdLazy,
    /// Go with `sync_interval: always` (fsync before every ack), rnatsd in
    /// its default. Needs a Go server that knows the option (not 2.9.10).
    GoAlways,
}

impl JsSync {
    /// The `sync_interval` value the server labelled `label` is started
    /// with, or `None` for its default.
    pub fn sync_interval_for(self, label: &str) -> Option<&'static str> {
        let is_rnatsd = label == RNATSD_LABEL;
        match self {
            JsSync::Defaults => None,
            JsSync::RnatsdLazy => is_rnatsd.then_some("2m"),
            JsSync::GoAlways => (!is_rnatsd).then_some("always"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Name used by `--rows`.
    pub key: &'static str,
    pub workload: Workload,
    /// Untimed warm-up messages (requests for request/reply).
    pub warm: u64,
    /// Timed messages (requests; connections for the memory row).
    pub count: u64,
    pub metrics: Vec<Metric>,
}

pub const ROW_KEYS: [&str; 14] = [
    "pub16",
    "pub128",
    "pub1k",
    "sub",
    "fanout",
    "queue",
    "reqrep",
    "mem",
    "js1",
    "js256",
    "js256lazy",
    "js1always",
    "js256always",
    "pull",
];

fn metric(label: impl Into<String>, unit: Unit, better: Better) -> Metric {
    Metric {
        label: label.into(),
        unit,
        better,
    }
}

fn rate(label: impl Into<String>) -> Metric {
    metric(label, Unit::MsgsPerSec, Better::Higher)
}

/// All rows, with counts divided by `divisor` (10 for `--quick`), and idle
/// connections capped at `conns_max` (what the file-descriptor limit allows).
pub fn all_rows(divisor: u64, conns_max: usize) -> Vec<Row> {
    let n = |full: u64| (full / divisor).max(1);
    let throughput = |key, workload, full: u64, metrics| Row {
        key,
        workload,
        warm: n(full) / 10,
        count: n(full),
        metrics,
    };
    let conns = (10_000 / divisor as usize).min(conns_max);
    vec![
        throughput(
            "pub16",
            Workload::Publish { payload_len: 16 },
            6_000_000,
            vec![rate("publish-only 16 B, msgs/s")],
        ),
        throughput(
            "pub128",
            Workload::Publish { payload_len: 128 },
            4_000_000,
            vec![rate("publish-only 128 B, msgs/s")],
        ),
        throughput(
            "pub1k",
            Workload::Publish { payload_len: 1024 },
            1_500_000,
            vec![rate("publish-only 1 KiB, msgs/s")],
        ),
        throughput(
            "sub",
            Workload::Delivery {
                subs: 1,
                mode: Mode::FanOut,
                payload_len: 128,
            },
            2_000_000,
            vec![rate("1 pub -> 1 sub 128 B, msgs/s received")],
        ),
        throughput(
            "fanout",
            Workload::Delivery {
                subs: 4,
                mode: Mode::FanOut,
                payload_len: 128,
            },
            1_000_000,
            vec![
                rate("fan-out 1 -> 4 subs 128 B, msgs/s delivered (total)"),
                rate("fan-out 1 -> 4 subs 128 B, msgs/s per subscriber"),
            ],
        ),
        throughput(
            "queue",
            Workload::Delivery {
                subs: 4,
                mode: Mode::Queue,
                payload_len: 128,
            },
            2_000_000,
            vec![rate("queue group of 4 subs 128 B, msgs/s received (total)")],
        ),
        Row {
            key: "reqrep",
            workload: Workload::RequestReply { payload_len: 128 },
            warm: n(10_000).min(1_000),
            count: n(20_000),
            metrics: vec![
                metric(
                    "request/reply 128 B, p50 round trip, µs (lower is better)",
                    Unit::Micros,
                    Better::Lower,
                ),
                metric(
                    "request/reply 128 B, p99 round trip, µs (lower is better)",
                    Unit::Micros,
                    Better::Lower,
                ),
            ],
        },
        Row {
            key: "mem",
            workload: Workload::IdleConns { conns },
            warm: 0,
            count: conns as u64,
            metrics: vec![
                metric(
                    "server RSS at baseline, MiB (lower is better)",
                    Unit::MiB,
                    Better::Lower,
                ),
                metric(
                    format!(
                        "server RSS with {conns} idle conns + 1 sub each, MiB (lower is better)"
                    ),
                    Unit::MiB,
                    Better::Lower,
                ),
                metric(
                    "RSS per idle connection, KiB (lower is better)",
                    Unit::KiB,
                    Better::Lower,
                ),
            ],
        },
        throughput(
            "js1",
            Workload::JsPublish {
                payload_len: 128,
                in_flight: 1,
                sync: JsSync::Defaults,
            },
            20_000,
            vec![rate("JetStream publish 128 B to a file stream, 1 in flight, acked msgs/s")],
        ),
        throughput(
            "js256",
            Workload::JsPublish {
                payload_len: 128,
                in_flight: 256,
                sync: JsSync::Defaults,
            },
            500_000,
            vec![rate("JetStream publish 128 B to a file stream, 256 in flight, acked msgs/s")],
        ),
        throughput(
            "js256lazy",
            Workload::JsPublish {
                payload_len: 128,
                in_flight: 256,
                sync: JsSync::RnatsdLazy,
            },
            1_000_000,
            vec![rate(
                "JetStream publish 128 B, 256 in flight, both lazy (rnatsd sync_interval 2m, Go default 2m), acked msgs/s",
            )],
        ),
        throughput(
            "js1always",
            Workload::JsPublish {
                payload_len: 128,
                in_flight: 1,
                sync: JsSync::GoAlways,
            },
            // Fewer than js1: Go fsyncs every message here, so a slow disk
            // (a few ms per fsync) would hit the time cap.
            10_000,
            vec![rate(
                "JetStream publish 128 B, 1 in flight, Go sync_interval always vs rnatsd default (durable), acked msgs/s",
            )],
        ),
        throughput(
            "js256always",
            Workload::JsPublish {
                payload_len: 128,
                in_flight: 256,
                sync: JsSync::GoAlways,
            },
            // Fewer than js256: Go's per-write fsync keeps it near its
            // 1-in-flight rate (a few thousand msgs/s) however many are in
            // flight.
            50_000,
            vec![rate(
                "JetStream publish 128 B, 256 in flight, Go sync_interval always vs rnatsd default (durable), acked msgs/s",
            )],
        ),
        Row {
            key: "pull",
            workload: Workload::Pull { payload_len: 128 },
            // Whole batches: every pull request is answered in full.
            warm: (n(200_000) / 10 / pull::BATCH).max(1) * pull::BATCH,
            count: (n(200_000) / pull::BATCH).max(1) * pull::BATCH,
            metrics: vec![rate(
                "JetStream pull, explicit ack, batch 100, 128 B file stream, msgs/s",
            )],
        },
    ]
}

/// A fresh store directory for a JetStream row (removed after the run).
fn js_store_dir() -> std::path::PathBuf {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("rnatsd-bench-js-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Starts `spec`, runs `row` once against it, and stops it.
pub fn run_once(
    row: &Row,
    spec: &ServerSpec,
    limits: RunLimits,
    quick: bool,
) -> BenchResult<Sample> {
    if let Workload::JsPublish {
        payload_len,
        in_flight,
        sync,
    } = row.workload
    {
        // Starts its own server, with JetStream and a fresh store directory.
        return jetstream::run_server(
            spec,
            payload_len,
            in_flight,
            row.warm,
            row.count,
            sync.sync_interval_for(spec.label),
            limits,
        );
    }
    let js_dir = matches!(row.workload, Workload::Pull { .. }).then(js_store_dir);
    let mut server = match &js_dir {
        Some(dir) => {
            let sd = dir.to_string_lossy().into_owned();
            RunningServer::start_with_args(spec, &["-js", "-sd", &sd])?
        }
        None => RunningServer::start(spec)?,
    };
    let addr = server.addr;
    let sample = match row.workload {
        Workload::Publish { payload_len } => {
            publish::run(addr, payload_len, row.warm, row.count, limits)
        }
        Workload::Delivery {
            subs,
            mode,
            payload_len,
        } => delivery::run(addr, subs, mode, payload_len, row.warm, row.count, limits),
        Workload::RequestReply { payload_len } => {
            latency::run(addr, payload_len, row.warm, row.count, limits)
        }
        Workload::JsPublish { .. } => unreachable!("handled above"),
        Workload::Pull { payload_len } => pull::run(addr, payload_len, row.warm, row.count, limits),
        Workload::IdleConns { conns } => {
            let settle = if quick {
                Duration::from_millis(300)
            } else {
                Duration::from_secs(1)
            };
            // The memory run owns (and stops) the server.
            return memory::run(server, conns, settle, limits);
        }
    };
    let alive = server.check_alive();
    server.stop();
    if let Some(dir) = js_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    let sample = sample?;
    alive?;
    Ok(sample)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_key_is_defined_once_and_counts_are_positive() {
        for divisor in [1, 10] {
            let rows = all_rows(divisor, 100_000);
            let keys: Vec<&str> = rows.iter().map(|r| r.key).collect();
            assert_eq!(keys, ROW_KEYS);
            for row in &rows {
                assert!(row.count > 0, "{}", row.key);
                assert!(row.warm < row.count, "{}", row.key);
                assert!(!row.metrics.is_empty());
            }
        }
    }

    #[test]
    fn js_sync_modes_configure_the_right_server() {
        let go = "nats-server (Go)";
        assert_eq!(JsSync::Defaults.sync_interval_for(RNATSD_LABEL), None);
        assert_eq!(JsSync::Defaults.sync_interval_for(go), None);
        assert_eq!(
            JsSync::RnatsdLazy.sync_interval_for(RNATSD_LABEL),
            Some("2m")
        );
        assert_eq!(JsSync::RnatsdLazy.sync_interval_for(go), None);
        assert_eq!(JsSync::GoAlways.sync_interval_for(RNATSD_LABEL), None);
        assert_eq!(JsSync::GoAlways.sync_interval_for(go), Some("always"));
        // The always rows are js1/js256 with only Go's sync changed.
        let rows = all_rows(1, 1000);
        let find = |key| rows.iter().find(|r| r.key == key).unwrap().clone();
        for (plain, always) in [("js1", "js1always"), ("js256", "js256always")] {
            let (
                Workload::JsPublish {
                    payload_len: p1,
                    in_flight: f1,
                    ..
                },
                Workload::JsPublish {
                    payload_len: p2,
                    in_flight: f2,
                    sync,
                },
            ) = (find(plain).workload, find(always).workload)
            else {
                panic!("{plain}/{always} are not JetStream publish rows");
            };
            assert_eq!((p1, f1, sync), (p2, f2, JsSync::GoAlways));
            let label = &find(always).metrics[0].label;
            assert!(label.contains("Go sync_interval always vs rnatsd default (durable)"));
            assert!(label.contains(&format!("{f2} in flight")), "{label}");
        }
    }

    #[test]
    fn quick_divides_counts_and_conns_respect_limit() {
        let full = all_rows(1, 100_000);
        let quick = all_rows(10, 100_000);
        assert_eq!(full[0].count, 6_000_000);
        assert_eq!(quick[0].count, 600_000);
        assert_eq!(full[7].workload, Workload::IdleConns { conns: 10_000 });
        assert_eq!(quick[7].workload, Workload::IdleConns { conns: 1_000 });
        assert_eq!(
            all_rows(1, 5_000)[7].workload,
            Workload::IdleConns { conns: 5_000 }
        );
    }
}

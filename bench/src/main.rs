//! `rnatsd-bench`: runs the same workloads against rnatsd and the Go
//! nats-server and prints a Markdown table side by side. See
//! docs/BENCHMARKS.md for the method.

mod args;
mod conn;
mod error;
mod report;
mod raft;
mod rows;
mod scanner;
mod server;
mod store;
mod workload;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use args::{Args, Only, USAGE};
use error::{BenchError, BenchResult};
use report::{Cell, RowResult};
use rows::{all_rows, run_once, Row, ROW_KEYS};
use server::{check_binary, raise_nofile_limit, ServerSpec};
use workload::{RunLimits, Sample};

/// File descriptors kept free for everything but the idle connections.
const FD_RESERVE: u64 = 256;
/// Soft RLIMIT_NOFILE the bench asks for (children inherit it).
const NOFILE_WANTED: u64 = 65_536;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().is_some_and(|a| a == "store") {
        return match store::main(&argv[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("rnatsd-bench store: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if argv.first().map(String::as_str) == Some("raft") {
        return raft::main(&argv[1..]);
    }
    let parsed = Args::parse(
        std::env::args().skip(1),
        std::env::var("CARGO_TARGET_DIR").ok(),
    );
    let args = match parsed {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("rnatsd-bench: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rnatsd-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> BenchResult<()> {
    let rnatsd = ServerSpec {
        label: rows::RNATSD_LABEL,
        binary: args.rnatsd.clone(),
    };
    let go = ServerSpec {
        label: "nats-server (Go)",
        binary: args.go.clone(),
    };
    if args.only != Only::Go {
        let hint =
            "build it with `cargo build --release -p rnatsd`, pass --rnatsd PATH, or use --only go";
        check_binary("rnatsd", &rnatsd.binary, hint)?;
    }
    if args.only != Only::Rnatsd {
        check_binary(
            "Go nats-server",
            &go.binary,
            "install it with `apt-get install -y nats-server` or pass --compare PATH",
        )?;
    }
    let nofile = raise_nofile_limit(NOFILE_WANTED)?;
    let conns_max = nofile.saturating_sub(FD_RESERVE).max(1) as usize;
    let rows = select_rows(
        all_rows(if args.quick { 10 } else { 1 }, conns_max),
        args.rows.as_deref(),
    )?;
    let limits = RunLimits {
        time_cap: args.time_cap,
        grace: Duration::from_secs(5),
    };

    let started = Instant::now();
    let mut results = Vec::new();
    for row in rows {
        results.push(run_row(&row, &rnatsd, &go, args, limits));
    }
    let mut doc = header(args, nofile, started.elapsed());
    doc.push_str(&report::render_table(&results));
    println!("{doc}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, &doc)
            .map_err(|e| BenchError::new(format!("{}: {e}", path.display())))?;
    }
    Ok(())
}

fn select_rows(rows: Vec<Row>, wanted: Option<&[String]>) -> BenchResult<Vec<Row>> {
    let Some(wanted) = wanted else {
        return Ok(rows);
    };
    if let Some(bad) = wanted.iter().find(|k| !ROW_KEYS.contains(&k.as_str())) {
        return Err(BenchError::new(format!(
            "unknown row {bad:?}; rows are {}",
            ROW_KEYS.join(",")
        )));
    }
    Ok(rows
        .into_iter()
        .filter(|r| wanted.iter().any(|k| k == r.key))
        .collect())
}

/// Runs `row` `args.repeats` times per server, alternating which server goes
/// first, and stops repeating a server's row after an error or a capped run.
fn run_row(
    row: &Row,
    rnatsd: &ServerSpec,
    go: &ServerSpec,
    args: &Args,
    limits: RunLimits,
) -> RowResult {
    let mut runs: [Vec<Result<Sample, String>>; 2] = [Vec::new(), Vec::new()];
    let enabled = [args.only != Only::Go, args.only != Only::Rnatsd];
    let specs = [rnatsd, go];
    for rep in 0..args.repeats {
        let order = if rep % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let stop = runs[i]
                .last()
                .is_some_and(|r| r.as_ref().map_or(true, |s| s.capped));
            if !enabled[i] || stop {
                continue;
            }
            let t = Instant::now();
            let result = run_once(row, specs[i], limits, args.quick).map_err(|e| e.to_string());
            eprintln!(
                "[{}] {} run {}: {} ({:.1} s)",
                row.key,
                specs[i].label,
                rep + 1,
                describe(&result),
                t.elapsed().as_secs_f64()
            );
            runs[i].push(result);
        }
    }
    let cell = |i: usize| {
        if enabled[i] {
            Cell::from_runs(row.metrics.len(), &runs[i])
        } else {
            Cell::NotRun
        }
    };
    RowResult {
        row: row.clone(),
        rnatsd: cell(0),
        go: cell(1),
    }
}

fn describe(result: &Result<Sample, String>) -> String {
    match result {
        Ok(s) => {
            let values: Vec<String> = s.values.iter().map(|v| format!("{v:.1}")).collect();
            format!(
                "{}{}",
                values.join(" / "),
                if s.capped { " (capped)" } else { "" }
            )
        }
        Err(e) => format!("error: {e}"),
    }
}

fn header(args: &Args, nofile: u64, took: Duration) -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    format!(
        "rnatsd: `{}`; nats-server (Go): `{}`\n\nMachine: {cpus} CPUs ({cpu_model}); client and server share them. \
         Mode: {}; {} run(s) per row and server, median reported; time cap {} s per run; \
         RLIMIT_NOFILE {nofile}; took {:.0} s.\n\n",
        args.rnatsd.display(),
        args.go.display(),
        if args.quick { "--quick (counts / 10)" } else { "full" },
        args.repeats,
        args.time_cap.as_secs(),
        took.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_rows_filters_and_rejects_unknown_keys() {
        let rows = all_rows(10, 1000);
        assert_eq!(
            select_rows(rows.clone(), None).unwrap().len(),
            ROW_KEYS.len()
        );
        let picked = select_rows(
            rows.clone(),
            Some(&["mem".to_string(), "pub16".to_string()]),
        )
        .unwrap();
        let keys: Vec<&str> = picked.iter().map(|r| r.key).collect();
        assert_eq!(keys, ["pub16", "mem"]);
        assert!(select_rows(rows, Some(&["nope".to_string()])).is_err());
    }
}

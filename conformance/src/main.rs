//! `rnatsd-conformance --go <nats-server> --rnatsd <rnatsd> [--filter S] [--all]`
//!
//! Starts both servers once per config (random loopback ports, same flags),
//! plays every case against both at the same time, prints a diff for each
//! case that differs (all cases with `--all`) and a summary. Exits 1 when
//! a case not annotated as an expected difference differs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rnatsd_conformance::diff::{diff_lines, render, Summary};
use rnatsd_conformance::runner::{play, start_server, write_configs, ServerProc};
use rnatsd_conformance::{corpus, Case, Config, Expect};

struct Args {
    go: PathBuf,
    rnatsd: PathBuf,
    filter: Option<String>,
    all: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut go = None;
    let mut rnatsd = None;
    let mut filter = None;
    let mut all = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--go" => go = it.next().map(PathBuf::from),
            "--rnatsd" => rnatsd = it.next().map(PathBuf::from),
            "--filter" => filter = it.next(),
            "--all" => all = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let usage = "usage: rnatsd-conformance --go <nats-server> --rnatsd <rnatsd> [--filter S] [--all]";
    Ok(Args {
        go: go.ok_or(usage)?,
        rnatsd: rnatsd.ok_or(usage)?,
        filter,
        all,
    })
}

/// Starts one server per config and plays the cases of each config against it.
fn run_all(bin: &Path, configs: &[(Config, Option<PathBuf>)], cases: &[Case]) -> Result<Vec<Vec<String>>, String> {
    let mut servers: BTreeMap<Config, ServerProc> = BTreeMap::new();
    for (cfg, path) in configs {
        if cases.iter().any(|c| c.config == *cfg) {
            servers.insert(*cfg, start_server(bin, path.as_deref())?);
        }
    }
    let mut out = Vec::with_capacity(cases.len());
    for case in cases {
        let Some(s) = servers.get(&case.config) else {
            return Err(format!("no server for {:?}", case.config));
        };
        out.push(play(case, s.addr));
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let dir = std::env::temp_dir().join(format!("rnatsd-conformance-{}", std::process::id()));
    let configs = match write_configs(&dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let cases: Vec<Case> = corpus::all()
        .into_iter()
        .filter(|c| args.filter.as_deref().is_none_or(|f| c.name.contains(f)))
        .collect();
    let (go, rn) = std::thread::scope(|s| {
        let go = s.spawn(|| run_all(&args.go, &configs, &cases));
        let rn = s.spawn(|| run_all(&args.rnatsd, &configs, &cases));
        (go.join(), rn.join())
    });
    let _ = std::fs::remove_dir_all(&dir);
    let (go, rn) = match (go, rn) {
        (Ok(Ok(g)), Ok(Ok(r))) => (g, r),
        (Ok(Err(e)), _) | (_, Ok(Err(e))) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
        _ => {
            eprintln!("a runner thread panicked");
            return ExitCode::from(2);
        }
    };
    let mut summary = Summary::default();
    for ((case, g), r) in cases.iter().zip(&go).zip(&rn) {
        let same = g == r;
        summary.add(case, same);
        let note = match &case.expect {
            Expect::Same => String::new(),
            Expect::Intentional(t) => format!(" [intentional: {t}]"),
            Expect::Go29Differs(t) => format!(" [Go 2.9 differs: {t}]"),
        };
        let verdict = if same { "same" } else { "DIFF" };
        println!("{verdict:4} {:<45} ({}){note}", case.name, case.config.name());
        if !same || args.all {
            print!("{}", render(&diff_lines(g, r)));
        }
    }
    println!(
        "\n{} same, {} different ({} more annotated as expected differences, {} annotated but same)",
        summary.same, summary.different, summary.expected_different, summary.expected_but_same
    );
    print!("\n{}", summary.table());
    if summary.different > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

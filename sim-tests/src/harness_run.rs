//! Running one seed to a [`SimReport`], panics included.

use super::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs one seed. A panic anywhere (server or harness) becomes a failed
/// report, never a crash of the caller.
pub fn run_seed(cfg: &SimConfig) -> SimReport {
    let mut workload = String::new();
    let mut partial: Option<(u64, u64, Duration)> = None;
    let cfg2 = cfg.clone();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut sim = match Sim::new(cfg2) {
            Ok(s) => s,
            Err(e) => return Err(format!("Server::new failed: {e}")),
        };
        workload = sim.work.to_string();
        sim.run();
        partial = Some((
            sim.trace.digest(),
            sim.trace.steps(),
            sim.now() - Instant::ZERO,
        ));
        Ok(sim)
    }));
    let mut report = SimReport {
        seed: cfg.seed,
        workload,
        digest: 0,
        steps: 0,
        sim_time: Duration::ZERO,
        violations: Vec::new(),
        panic: None,
        counters: FaultCounters::default(),
        messages: 0,
        clients: 0,
        log: None,
        history: None,
    };
    match result {
        Ok(Ok(sim)) => {
            report.digest = sim.trace.digest();
            report.steps = sim.trace.steps();
            report.sim_time = sim.now() - Instant::ZERO;
            report.violations = sim.model.violations().to_vec();
            report.counters = sim.net.counters().clone();
            report.messages = sim.model.msgs.len();
            report.clients = sim.clients.len();
            report.log = sim.trace.log().map(<[String]>::to_vec);
            report.history = sim.trace.history().map(<[u64]>::to_vec);
        }
        Ok(Err(e)) => report.panic = Some(e),
        Err(payload) => {
            let text = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic".into());
            report.panic = Some(text);
            if let Some((d, s, t)) = partial {
                (report.digest, report.steps, report.sim_time) = (d, s, t);
            }
        }
    }
    report
}

/// A human-readable summary of a report.
pub fn report(r: &SimReport) -> String {
    let mut s = format!(
        "SEED={} digest={:016x} steps={} sim_time={:?} clients={} messages={} {}\n",
        r.seed,
        r.digest,
        r.steps,
        r.sim_time,
        r.clients,
        r.messages,
        if r.failed() { "FAILED" } else { "ok" }
    );
    s.push_str(&r.workload);
    s.push_str(&format!("\nfaults:  {}\n", r.counters));
    if let Some(p) = &r.panic {
        s.push_str(&format!("PANIC: {p}\n"));
    }
    for v in &r.violations {
        s.push_str(&format!("VIOLATION: {v}\n"));
    }
    s
}

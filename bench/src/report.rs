//! Aggregating repeated runs (median) and rendering the Markdown table.

use std::fmt::Write as _;

use crate::rows::{Row, Unit};
use crate::workload::Sample;

/// What one server produced for one row across its repeats.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// The server was not benchmarked (`--only`).
    NotRun,
    /// No run succeeded; the first error.
    Failed(String),
    /// Per-metric medians over the successful runs.
    Measured {
        medians: Vec<f64>,
        capped: bool,
        runs: usize,
    },
}

impl Cell {
    /// Folds the results of all repeats into one cell.
    pub fn from_runs(metrics: usize, runs: &[Result<Sample, String>]) -> Cell {
        let ok: Vec<&Sample> = runs.iter().filter_map(|r| r.as_ref().ok()).collect();
        if ok.is_empty() {
            let first_err = runs.iter().find_map(|r| r.as_ref().err().cloned());
            return Cell::Failed(first_err.unwrap_or_else(|| "no run".to_string()));
        }
        let medians = (0..metrics)
            .map(|i| median(ok.iter().filter_map(|s| s.values.get(i).copied()).collect()))
            .collect();
        Cell::Measured {
            medians,
            capped: ok.iter().any(|s| s.capped),
            runs: ok.len(),
        }
    }

    fn value(&self, metric: usize) -> Option<f64> {
        match self {
            Cell::Measured { medians, .. } => {
                medians.get(metric).copied().filter(|v| v.is_finite())
            }
            _ => None,
        }
    }

    fn render(&self, metric: usize, unit: Unit) -> String {
        match self {
            Cell::NotRun => "—".to_string(),
            Cell::Failed(_) => "error".to_string(),
            Cell::Measured { capped, .. } => {
                let text = self
                    .value(metric)
                    .map_or_else(|| "n/a".to_string(), |v| format_value(v, unit));
                if *capped {
                    format!("{text} (capped)")
                } else {
                    text
                }
            }
        }
    }
}

/// One row's outcome for both servers.
#[derive(Debug, Clone, PartialEq)]
pub struct RowResult {
    pub row: Row,
    pub rnatsd: Cell,
    pub go: Cell,
}

/// Median of `values` (mean of the middle two for an even count); NaN if empty.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

pub fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::MsgsPerSec => group_thousands(value.round() as u64),
        Unit::Micros => format!("{value:.1} µs"),
        Unit::MiB => format!("{value:.1} MiB"),
        Unit::KiB => format!("{value:.2} KiB"),
    }
}

fn group_thousands(n: u64) -> String {
    let mut reversed = Vec::new();
    let mut since_comma = 0;
    for c in n.to_string().chars().rev() {
        if since_comma == 3 {
            reversed.push(',');
            since_comma = 0;
        }
        reversed.push(c);
        since_comma += 1;
    }
    reversed.into_iter().rev().collect()
}

/// rnatsd / Go, when both were measured and Go's figure is positive.
pub fn ratio(rnatsd: Option<f64>, go: Option<f64>) -> Option<f64> {
    match (rnatsd, go) {
        (Some(r), Some(g)) if g > 0.0 => Some(r / g),
        _ => None,
    }
}

/// Renders the results table plus footnotes for failures.
pub fn render_table(results: &[RowResult]) -> String {
    let mut out = String::new();
    out.push_str("| workload | rnatsd | nats-server (Go) | ratio |\n");
    out.push_str("|---|---:|---:|---:|\n");
    let mut notes = Vec::new();
    for result in results {
        for (i, metric) in result.row.metrics.iter().enumerate() {
            let ratio = ratio(result.rnatsd.value(i), result.go.value(i))
                .map_or_else(|| "—".to_string(), |r| format!("{r:.2}"));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                metric.label,
                result.rnatsd.render(i, metric.unit),
                result.go.render(i, metric.unit),
                ratio
            );
        }
        for (name, cell) in [("rnatsd", &result.rnatsd), ("nats-server (Go)", &result.go)] {
            if let Cell::Failed(err) = cell {
                notes.push(format!("- `{}` on {name}: {err}", result.row.key));
            }
        }
    }
    out.push_str("\nRatio is rnatsd / Go: above 1 is better for msgs/s, below 1 is better for latency and memory.\n");
    out.push_str(
        "\"(capped)\" means the time cap cut the run short; the figure covers what completed.\n",
    );
    if !notes.is_empty() {
        out.push_str("\nErrors:\n");
        for note in notes {
            out.push_str(&note);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::all_rows;

    fn sample(values: &[f64], capped: bool) -> Result<Sample, String> {
        Ok(Sample {
            values: values.to_vec(),
            capped,
        })
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn cell_takes_median_per_metric_and_skips_failures() {
        let runs = vec![
            sample(&[10.0, 1.0], false),
            Err("boom".to_string()),
            sample(&[30.0, 3.0], true),
            sample(&[20.0, 9.0], false),
        ];
        let cell = Cell::from_runs(2, &runs);
        assert_eq!(
            cell,
            Cell::Measured {
                medians: vec![20.0, 3.0],
                capped: true,
                runs: 3
            }
        );
        assert_eq!(
            Cell::from_runs(1, &[Err("x".into())]),
            Cell::Failed("x".into())
        );
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(format_value(1_234_567.4, Unit::MsgsPerSec), "1,234,567");
        assert_eq!(format_value(999.0, Unit::MsgsPerSec), "999");
        assert_eq!(format_value(1000.0, Unit::MsgsPerSec), "1,000");
        assert_eq!(format_value(45.25, Unit::Micros), "45.2 µs");
        assert_eq!(format_value(12.0, Unit::MiB), "12.0 MiB");
    }

    #[test]
    fn table_has_one_line_per_metric_with_ratio() {
        let rows = all_rows(10, 1000);
        let pub16 = RowResult {
            row: rows[0].clone(),
            rnatsd: Cell::from_runs(1, &[sample(&[500.0], false)]),
            go: Cell::from_runs(1, &[sample(&[1000.0], false)]),
        };
        let mem = RowResult {
            row: rows[7].clone(),
            rnatsd: Cell::Failed("no binary".into()),
            go: Cell::NotRun,
        };
        let table = render_table(&[pub16, mem]);
        assert!(
            table.contains("| publish-only 16 B, msgs/s | 500 | 1,000 | 0.50 |"),
            "{table}"
        );
        assert_eq!(table.lines().filter(|l| l.contains("RSS")).count(), 3);
        assert!(table.contains("- `mem` on rnatsd: no binary"));
    }
}

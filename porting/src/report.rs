//! `porting report` and `porting stats`: counts per area, kind and status,
//! and the generated docs/PORTING.md.
//!
//! Output is a pure function of the database (sorted, no dates), so the
//! committed report only changes when porting.db does.

use std::collections::BTreeMap;

use rusqlite::Connection;

use crate::db::{self, Kind, Status};
use crate::select::{self, Item};
use crate::Error;

/// How items are grouped in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// Non-test Go functions and methods.
    Features,
    /// `Test*` and `Fuzz*` functions.
    Tests,
    /// `Benchmark*` functions.
    Benchmarks,
    /// Other functions in test files.
    Helpers,
}

impl Group {
    pub const ALL: [Group; 4] = [
        Group::Features,
        Group::Tests,
        Group::Benchmarks,
        Group::Helpers,
    ];

    pub fn of(kind: Kind) -> Group {
        match kind {
            Kind::Feature => Group::Features,
            Kind::Test | Kind::Fuzz => Group::Tests,
            Kind::Bench => Group::Benchmarks,
            Kind::Helper => Group::Helpers,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Group::Features => "features",
            Group::Tests => "tests",
            Group::Benchmarks => "benchmarks",
            Group::Helpers => "test helpers",
        }
    }
}

/// Counts by status for one (area, group).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub by_status: [usize; 5],
}

impl Counts {
    pub fn add(&mut self, status: Status) {
        self.by_status[status_index(status)] += 1;
    }

    pub fn get(&self, status: Status) -> usize {
        self.by_status[status_index(status)]
    }

    pub fn total(&self) -> usize {
        self.by_status.iter().sum()
    }

    /// Ported or verified.
    pub fn done(&self) -> usize {
        self.get(Status::Ported) + self.get(Status::Verified)
    }

    fn merge(&mut self, other: &Counts) {
        for (a, b) in self.by_status.iter_mut().zip(other.by_status) {
            *a += b;
        }
    }
}

fn status_index(status: Status) -> usize {
    match status {
        Status::NotStarted => 0,
        Status::Ported => 1,
        Status::Verified => 2,
        Status::NotApplicable => 3,
        Status::Deferred => 4,
    }
}

/// area → group → counts.
pub type Tally = BTreeMap<String, BTreeMap<Group, Counts>>;

/// Counts every item.
pub fn tally(items: &[Item]) -> Tally {
    let mut tally = Tally::new();
    for item in items {
        tally
            .entry(item.area.clone())
            .or_default()
            .entry(Group::of(item.kind))
            .or_default()
            .add(item.status);
    }
    tally
}

/// Totals over all areas for one group.
pub fn group_total(tally: &Tally, group: Group) -> Counts {
    let mut total = Counts::default();
    for groups in tally.values() {
        if let Some(c) = groups.get(&group) {
            total.merge(c);
        }
    }
    total
}

/// Done as a percentage of what is in scope (total minus n_a), one decimal.
fn percent(c: &Counts) -> String {
    let scope = c.total() - c.get(Status::NotApplicable);
    if scope == 0 {
        return "-".to_string();
    }
    let tenths = (c.done() * 1000 + scope / 2) / scope;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// The one-line summary of `porting stats`.
pub fn stats_line(items: &[Item]) -> String {
    let tally = tally(items);
    let parts: Vec<String> = Group::ALL
        .iter()
        .map(|&g| {
            let c = group_total(&tally, g);
            format!(
                "{} {} (ported {}, verified {}, n_a {}, deferred {}, not_started {})",
                g.title(),
                c.total(),
                c.get(Status::Ported),
                c.get(Status::Verified),
                c.get(Status::NotApplicable),
                c.get(Status::Deferred),
                c.get(Status::NotStarted)
            )
        })
        .collect();
    format!("{} Go items: {}", items.len(), parts.join("; "))
}

/// The plain-text report printed by `porting report`.
pub fn render_text(items: &[Item]) -> String {
    let tally = tally(items);
    let mut out = String::new();
    for group in [Group::Features, Group::Tests] {
        out.push_str(&format!(
            "{:<18} {:>6} {:>11} {:>7} {:>8} {:>5} {:>8} {:>7}\n",
            group.title().to_uppercase(),
            "total",
            "not_started",
            "ported",
            "verified",
            "n_a",
            "deferred",
            "done"
        ));
        let rows = tally
            .iter()
            .map(|(area, groups)| (area.as_str(), groups.get(&group).copied()));
        for (area, counts) in rows.chain([("TOTAL", Some(group_total(&tally, group)))]) {
            let c = counts.unwrap_or_default();
            if c.total() == 0 {
                continue;
            }
            out.push_str(&format!(
                "{:<18} {:>6} {:>11} {:>7} {:>8} {:>5} {:>8} {:>7}\n",
                area,
                c.total(),
                c.get(Status::NotStarted),
                c.get(Status::Ported),
                c.get(Status::Verified),
                c.get(Status::NotApplicable),
                c.get(Status::Deferred),
                percent(&c)
            ));
        }
        out.push('\n');
    }
    out.push_str(&stats_line(items));
    out.push('\n');
    out
}

fn md_counts_row(label: &str, c: &Counts) -> String {
    format!(
        "| {label} | {} | {} | {} | {} | {} | {} | {} |\n",
        c.total(),
        c.get(Status::NotStarted),
        c.get(Status::Ported),
        c.get(Status::Verified),
        c.get(Status::NotApplicable),
        c.get(Status::Deferred),
        percent(c)
    )
}

fn md_counts_header(first: &str) -> String {
    format!(
        "| {first} | total | not_started | ported | verified | n_a | deferred | done |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n"
    )
}

/// docs/PORTING.md.
pub fn render_markdown(conn: &Connection) -> Result<String, Error> {
    let items = select::all_items(conn)?;
    let tally = tally(&items);
    let commit = db::meta(conn, "go_commit")?.unwrap_or_else(|| "unknown".into());
    let mut out = String::new();
    out.push_str("# Porting status\n\n");
    out.push_str(&format!(
        "Generated by `cargo run -p porting -- report` from `porting.db`; do not edit by hand.\n\
         Go nats-server commit: `{commit}`. How to read and update it: [PORTING-TOOL.md](PORTING-TOOL.md).\n\n\
         *done* = (ported + verified) / (total − n_a).\n\n"
    ));
    out.push_str("## Summary\n\n");
    out.push_str(&md_counts_header(""));
    for group in Group::ALL {
        out.push_str(&md_counts_row(group.title(), &group_total(&tally, group)));
    }
    for group in [Group::Features, Group::Tests, Group::Benchmarks] {
        out.push_str(&format!("\n## {} by area\n\n", capitalize(group.title())));
        out.push_str(&md_counts_header("area"));
        for (area, groups) in &tally {
            let c = groups.get(&group).copied().unwrap_or_default();
            if c.total() > 0 {
                out.push_str(&md_counts_row(&format!("[{area}](#{area})"), &c));
            }
        }
        out.push_str(&md_counts_row("**total**", &group_total(&tally, group)));
    }
    out.push_str("\n## Areas\n");
    let areas = load_areas(conn)?;
    for (area, groups) in &tally {
        render_area(conn, &mut out, area, groups, areas.get(area), &items)?;
    }
    Ok(out)
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn load_areas(conn: &Connection) -> Result<BTreeMap<String, (String, String)>, Error> {
    let mut stmt = conn.prepare("SELECT name, description, status_note FROM areas")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
    let mut map = BTreeMap::new();
    for row in rows {
        let (name, v): (String, (String, String)) = row?;
        map.insert(name, v);
    }
    Ok(map)
}

fn render_area(
    conn: &Connection,
    out: &mut String,
    area: &str,
    groups: &BTreeMap<Group, Counts>,
    info: Option<&(String, String)>,
    items: &[Item],
) -> Result<(), Error> {
    out.push_str(&format!("\n### {area}\n\n"));
    if let Some((description, note)) = info {
        if !description.is_empty() {
            out.push_str(&format!("{description}.\n"));
        }
        if !note.is_empty() {
            out.push_str(&format!("Status: {note}.\n"));
        }
        out.push('\n');
    }
    out.push_str(&md_counts_header(""));
    for (group, c) in groups {
        out.push_str(&md_counts_row(group.title(), c));
    }
    let area_items: Vec<&Item> = items.iter().filter(|it| it.area == area).collect();
    let done: Vec<&&Item> = area_items
        .iter()
        .filter(|it| it.status.needs_rust_item())
        .collect();
    if !done.is_empty() {
        out.push_str(
            "\nPorted and verified:\n\n| Go | status | Rust | evidence |\n|---|---|---|---|\n",
        );
        for item in done {
            let rust = select::rust_items(conn, item.id)?;
            let evidence = select::evidence(conn, item.id)?;
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                item.display(),
                item.status,
                code_list(&rust),
                code_list(&evidence)
            ));
        }
    }
    // Not ported on purpose, grouped by status and reason.
    let mut reasons: BTreeMap<(Status, &str), BTreeMap<&str, usize>> = BTreeMap::new();
    for item in area_items.iter().filter(|it| it.status.needs_reason()) {
        *reasons
            .entry((item.status, item.reason.as_str()))
            .or_default()
            .entry(item.file.as_str())
            .or_default() += 1;
    }
    if !reasons.is_empty() {
        out.push_str("\nNot ported on purpose:\n\n");
        for ((status, reason), files) in reasons {
            let n: usize = files.values().sum();
            let files: Vec<String> = files.iter().map(|(f, k)| format!("`{f}` ({k})")).collect();
            out.push_str(&format!(
                "- **{status}**, {n} items: {reason}. Files: {}\n",
                files.join(", ")
            ));
        }
    }
    Ok(())
}

fn code_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join("<br>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::tests::seeded;
    use crate::select::{all_items, Filters};
    use crate::set::{set, Change};

    #[test]
    fn counts_per_area_and_group() {
        let mut conn = seeded();
        let change = Change {
            status: Some(Status::Verified),
            tests: vec!["test_sublist_simple".into()],
            ..Change::default()
        };
        set(
            &mut conn,
            &["TestSublistSimple".into()],
            &Filters::default(),
            false,
            &change,
        )
        .unwrap();
        let items = all_items(&conn).unwrap();
        let t = tally(&items);
        let sublist = &t["sublist"];
        assert_eq!(sublist[&Group::Features].get(Status::NotStarted), 2);
        assert_eq!(sublist[&Group::Tests].get(Status::Verified), 1);
        assert_eq!(sublist[&Group::Benchmarks].total(), 1);
        assert_eq!(sublist[&Group::Helpers].total(), 1);
        assert_eq!(t["monitor"][&Group::Features].get(Status::NotApplicable), 1);
        assert_eq!(
            t["jetstream-cluster"][&Group::Tests].get(Status::Deferred),
            1
        );
        let tests = group_total(&t, Group::Tests);
        assert_eq!(tests.total(), 5);
        assert_eq!(tests.done(), 1);
        // 5 tests, none n_a: 1/5 done.
        assert_eq!(percent(&tests), "20.0%");
        let features = group_total(&t, Group::Features);
        // 5 features, 2 n_a, none done.
        assert_eq!(
            (features.total(), features.get(Status::NotApplicable)),
            (5, 2)
        );
        assert_eq!(percent(&features), "0.0%");
        assert_eq!(percent(&Counts::default()), "-");
        let line = stats_line(&items);
        assert!(
            line.starts_with("12 Go items: features 5 (ported 0, verified 0, n_a 2,"),
            "{line}"
        );
    }

    #[test]
    fn markdown_is_deterministic_and_complete() {
        let conn = seeded();
        let md = render_markdown(&conn).unwrap();
        assert_eq!(md, render_markdown(&conn).unwrap());
        assert!(md.contains("Go nats-server commit: `abc123`"));
        assert!(
            md.contains("| features | 5 | 3 | 0 | 0 | 2 | 0 | 0.0% |"),
            "{md}"
        );
        assert!(md.contains("### mqtt"));
        assert!(md.contains("| area | total | not_started | ported | verified | n_a | deferred | done |\n|---|---:|"));
        // Every table row has as many cells as the header.
        for line in md
            .lines()
            .filter(|l| l.ends_with("% |") || l.ends_with("| - |"))
        {
            assert_eq!(line.matches(" | ").count() + 2, 9, "{line}");
        }
        assert!(md.contains("- **deferred**, 1 items: not on the current roadmap"));
        let text = render_text(&all_items(&conn).unwrap());
        assert!(text.contains("TOTAL"));
    }
}

//! `porting check`: the rules CI enforces on porting.db.
//!
//! Problems (check fails):
//! - a `verified` item without evidence;
//! - evidence naming a Rust test that does not exist in the workspace;
//! - an `n_a` or `deferred` item without a reason;
//! - a `ported` or `verified` item without a Rust item.
//!
//! Warnings (fail only with `--strict`):
//! - a Rust test named after a Go test (snake_case) that porting.db does not
//!   record: the Go test is not ported/verified and no row mentions the Rust
//!   test. Run `porting set` for it.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;

use crate::db::Status;
use crate::scan::TestIndex;
use crate::select::{self, Item};
use crate::Error;

/// One finding, about one Go item (or one Rust test).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// `file:Receiver.Name` of the Go item, or the Rust test's file.
    pub subject: String,
    pub message: String,
}

/// Everything `check` found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub problems: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl CheckReport {
    /// True when CI should pass.
    pub fn passes(&self, strict: bool) -> bool {
        self.problems.is_empty() && (!strict || self.warnings.is_empty())
    }
}

/// Checks porting.db against the rules and against the tests in `tests`.
pub fn check(conn: &Connection, tests: &TestIndex) -> Result<CheckReport, Error> {
    let items = select::all_items(conn)?;
    let mut report = CheckReport::default();
    let mut mentioned: BTreeSet<String> = BTreeSet::new();
    for item in &items {
        check_item(conn, item, tests, &mut report, &mut mentioned)?;
    }
    unrecorded_tests(&items, tests, &mentioned, &mut report);
    report.problems.sort();
    report.warnings.sort();
    Ok(report)
}

fn check_item(
    conn: &Connection,
    item: &Item,
    tests: &TestIndex,
    report: &mut CheckReport,
    mentioned: &mut BTreeSet<String>,
) -> Result<(), Error> {
    let rust = select::rust_items(conn, item.id)?;
    let evidence = select::evidence(conn, item.id)?;
    let mut problem = |message: String| {
        report.problems.push(Finding {
            subject: item.display(),
            message,
        });
    };
    if item.status.needs_reason() && item.reason.trim().is_empty() {
        problem(format!("status {} without a reason", item.status));
    }
    if item.status == Status::Verified && evidence.is_empty() {
        problem("verified without evidence (no Rust test recorded)".to_string());
    }
    if item.status.needs_rust_item() && rust.is_empty() {
        problem(format!("{} without a Rust item", item.status));
    }
    for test in &evidence {
        if !tests.evidence_exists(test) {
            problem(format!(
                "evidence names Rust test {test:?}, which does not exist in the workspace"
            ));
        }
    }
    for path in rust.iter().chain(&evidence) {
        mentioned.insert(last_segment(path).to_string());
    }
    Ok(())
}

fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

/// Warns about Rust tests named after Go tests that porting.db ignores.
fn unrecorded_tests(
    items: &[Item],
    tests: &TestIndex,
    mentioned: &BTreeSet<String>,
    report: &mut CheckReport,
) {
    let mut by_rust_name: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
    for item in items.iter().filter(|it| it.kind.is_test_like()) {
        by_rust_name.entry(item.rust_name()).or_default().push(item);
    }
    for name in tests.names() {
        let Some(go) = by_rust_name.get(name) else {
            continue;
        };
        let recorded = go.iter().any(|it| it.status.needs_rust_item());
        if recorded || mentioned.contains(name) {
            continue;
        }
        let files: Vec<&str> = tests.files_of(name).collect();
        let go_names: Vec<String> = go.iter().map(|it| it.display()).collect();
        report.warnings.push(Finding {
            subject: files.join(", "),
            message: format!(
                "Rust test {name} looks like a port of {} but porting.db does not record it",
                go_names.join(" / ")
            ),
        });
    }
}

/// Formats the report for the terminal.
pub fn render(report: &CheckReport) -> String {
    let mut out = String::new();
    for f in &report.problems {
        out.push_str(&format!("error: {}: {}\n", f.subject, f.message));
    }
    for f in &report.warnings {
        out.push_str(&format!("warning: {}: {}\n", f.subject, f.message));
    }
    out.push_str(&format!(
        "porting check: {} problem(s), {} warning(s)\n",
        report.problems.len(),
        report.warnings.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::tests::seeded;
    use crate::select::Filters;
    use crate::set::{set, Change};

    fn index_with(src: &str) -> TestIndex {
        let mut index = TestIndex::default();
        index.add_source("core/src/sublist/mod.rs", src);
        index
    }

    #[test]
    fn seeded_database_passes() {
        let conn = seeded();
        let report = check(&conn, &TestIndex::default()).unwrap();
        assert_eq!(report, CheckReport::default());
        assert!(report.passes(true));
    }

    #[test]
    fn rules_fail_and_pass_when_fixed() {
        let mut conn = seeded();
        // Break every rule behind `set`'s back, as a hand edit with sqlite3 would.
        conn.execute_batch(
            "UPDATE go_items SET status = 'verified' WHERE name = 'TestSublistSimple';
             UPDATE go_items SET status = 'n_a', reason = '' WHERE name = 'TestRouteConfig';
             UPDATE go_items SET status = 'ported' WHERE name = 'Insert';
             INSERT INTO evidence(go_item_id, rust_test)
               SELECT id, 'test_file_store_basics' FROM go_items WHERE name = 'TestFileStoreBasics';
             UPDATE go_items SET status = 'verified' WHERE name = 'TestFileStoreBasics';
             INSERT INTO rust_items(go_item_id, rust_path)
               SELECT id, 'test_file_store_basics' FROM go_items WHERE name = 'TestFileStoreBasics';",
        )
        .unwrap();
        let index = index_with("#[test]\nfn test_sublist_simple() {}\n");
        let report = check(&conn, &index).unwrap();
        let messages: Vec<String> = report
            .problems
            .iter()
            .map(|f| format!("{}: {}", f.subject, f.message))
            .collect();
        assert_eq!(messages.len(), 5, "{messages:#?}");
        let has = |needle: &str| messages.iter().any(|m| m.contains(needle));
        assert!(has("TestSublistSimple: verified without evidence"));
        assert!(has("TestSublistSimple: verified without a Rust item"));
        assert!(has("TestRouteConfig: status n_a without a reason"));
        assert!(has("Sublist.Insert: ported without a Rust item"));
        assert!(has(
            "TestFileStoreBasics: evidence names Rust test \"test_file_store_basics\""
        ));
        assert!(!report.passes(false));

        // Fix each one through `set`.
        let none = Filters::default();
        let one = |s: &str| vec![s.to_string()];
        let verify = Change {
            status: Some(Status::Verified),
            tests: vec!["core/src/sublist/mod.rs::test_sublist_simple".into()],
            ..Change::default()
        };
        set(&mut conn, &one("TestSublistSimple"), &none, false, &verify).unwrap();
        let reason = Change {
            reason: Some("covered elsewhere".into()),
            ..Change::default()
        };
        set(&mut conn, &one("TestRouteConfig"), &none, false, &reason).unwrap();
        let rust = Change {
            rust: vec!["rnatsd_core::sublist::Sublist::insert".into()],
            ..Change::default()
        };
        set(&mut conn, &one("Sublist.Insert"), &none, false, &rust).unwrap();
        let report = check(&conn, &index).unwrap();
        assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
        // The last one is fixed by writing the test.
        let index = index_with(
            "#[test]\nfn test_sublist_simple() {}\n#[test]\nfn test_file_store_basics() {}\n",
        );
        let report = check(&conn, &index).unwrap();
        assert!(report.passes(true), "{}", render(&report));
    }

    #[test]
    fn unrecorded_port_is_a_warning() {
        let conn = seeded();
        let index =
            index_with("#[test]\nfn test_sublist_simple() {}\n#[test]\nfn test_other() {}\n");
        let report = check(&conn, &index).unwrap();
        assert!(report.problems.is_empty());
        assert_eq!(report.warnings.len(), 1);
        assert!(report.warnings[0].message.contains("TestSublistSimple"));
        assert!(report.passes(false));
        assert!(!report.passes(true));
    }
}

//! Changing statuses: `porting set`, one item, a glob, or a batch file.

use std::collections::BTreeSet;

use rusqlite::{params, Connection};

use crate::db::Status;
use crate::select::{self, Filters, Item};
use crate::Error;

/// One change to apply to every selected item.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// New status; `None` keeps the current one (to add links or a reason).
    pub status: Option<Status>,
    /// New reason; `None` keeps the current one if the status stays, and
    /// clears it if the status changes (so n_a/deferred then need one).
    pub reason: Option<String>,
    /// Rust items to link.
    pub rust: Vec<String>,
    /// Rust tests to record as evidence. For Go tests, benchmarks and fuzz
    /// targets they are also linked as the Rust items when `rust` is empty.
    pub tests: Vec<String>,
    /// Drop existing Rust links and evidence first.
    pub clear_links: bool,
}

/// Applies `change` to `item`; returns whether anything changed. Refuses,
/// without writing, a change that would break a rule `check` enforces.
pub fn apply(conn: &Connection, item: &Item, change: &Change) -> Result<bool, Error> {
    let status = change.status.unwrap_or(item.status);
    let reason = match &change.reason {
        Some(r) => r.trim().to_string(),
        // A reason explains one status: a new status needs its own.
        None if status != item.status => String::new(),
        None => item.reason.clone(),
    };
    let who = item.display();
    if status.needs_reason() && reason.is_empty() {
        return Err(Error::Invalid(format!(
            "{who}: status {status} needs --reason"
        )));
    }
    let (mut rust, mut tests) = if change.clear_links {
        (BTreeSet::new(), BTreeSet::new())
    } else {
        (
            select::rust_items(conn, item.id)?
                .into_iter()
                .collect::<BTreeSet<_>>(),
            select::evidence(conn, item.id)?
                .into_iter()
                .collect::<BTreeSet<_>>(),
        )
    };
    let old = (rust.clone(), tests.clone());
    for path in &change.rust {
        rust.insert(nonempty(path, "--rust")?);
    }
    for test in &change.tests {
        tests.insert(nonempty(test, "--test")?);
    }
    if change.rust.is_empty() && item.kind.is_test_like() {
        rust.extend(change.tests.iter().map(|t| t.trim().to_string()));
    }
    if status == Status::Verified && tests.is_empty() {
        return Err(Error::Invalid(format!(
            "{who}: status verified needs evidence: --test <rust test>"
        )));
    }
    if status.needs_rust_item() && rust.is_empty() {
        return Err(Error::Invalid(format!(
            "{who}: status {status} needs the Rust item: --rust <path>{}",
            if item.kind.is_test_like() {
                " or --test <rust test>"
            } else {
                ""
            }
        )));
    }
    let unchanged_row = status == item.status && reason == item.reason && item.set_by == "manual";
    if unchanged_row && (rust.clone(), tests.clone()) == old {
        return Ok(false);
    }
    conn.execute(
        "UPDATE go_items SET status = ?2, reason = ?3, set_by = 'manual' WHERE id = ?1",
        params![item.id, status.as_str(), reason],
    )?;
    if (rust.clone(), tests.clone()) != old {
        conn.execute("DELETE FROM rust_items WHERE go_item_id = ?1", [item.id])?;
        conn.execute("DELETE FROM evidence WHERE go_item_id = ?1", [item.id])?;
        for path in &rust {
            conn.execute(
                "INSERT INTO rust_items(go_item_id, rust_path) VALUES (?1, ?2)",
                params![item.id, path],
            )?;
        }
        for test in &tests {
            conn.execute(
                "INSERT INTO evidence(go_item_id, rust_test) VALUES (?1, ?2)",
                params![item.id, test],
            )?;
        }
    }
    Ok(true)
}

fn nonempty(text: &str, flag: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Usage(format!("{flag} needs a non-empty value")));
    }
    Ok(text.to_string())
}

/// What a `set` run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SetOutcome {
    /// Items matched by the selectors.
    pub matched: usize,
    /// Items actually changed.
    pub changed: usize,
}

/// Selects items and applies one change to all of them, in one transaction:
/// either every item changes or none does.
pub fn set(
    conn: &mut Connection,
    selectors: &[String],
    filters: &Filters,
    allow_many: bool,
    change: &Change,
) -> Result<SetOutcome, Error> {
    let items = select::all_items(conn)?;
    let chosen = select::select(&items, selectors, filters, allow_many)?;
    let tx = conn.transaction()?;
    let mut outcome = SetOutcome {
        matched: chosen.len(),
        changed: 0,
    };
    for item in chosen {
        if apply(&tx, item, change)? {
            outcome.changed += 1;
        }
    }
    tx.commit()?;
    Ok(outcome)
}

/// One line of a `set --from FILE` batch:
/// `selector<TAB>status<TAB>rust entries<TAB>reason`.
///
/// The third column holds zero or more entries separated by spaces or
/// commas. `test:NAME` is evidence, `rust:PATH` a Rust item; an entry without
/// a prefix is evidence when the status is `verified` and a Rust item
/// otherwise. Blank lines and lines starting with `#` are skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchLine {
    pub line_no: usize,
    pub selector: String,
    pub change: Change,
}

/// Parses a batch file (see [`BatchLine`]).
pub fn parse_batch(text: &str) -> Result<Vec<BatchLine>, Error> {
    let mut out = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 2 || cols.len() > 4 {
            return Err(Error::Invalid(format!(
                "line {line_no}: expected selector<TAB>status[<TAB>rust entries[<TAB>reason]], got {} columns",
                cols.len()
            )));
        }
        let status = Status::parse(cols[1].trim())
            .map_err(|e| Error::Invalid(format!("line {line_no}: {e}")))?;
        let mut change = Change {
            status: Some(status),
            ..Change::default()
        };
        for entry in cols
            .get(2)
            .unwrap_or(&"")
            .split([' ', ','])
            .filter(|e| !e.is_empty())
        {
            if let Some(test) = entry.strip_prefix("test:") {
                change.tests.push(test.to_string());
            } else if let Some(path) = entry.strip_prefix("rust:") {
                change.rust.push(path.to_string());
            } else if status == Status::Verified {
                change.tests.push(entry.to_string());
            } else {
                change.rust.push(entry.to_string());
            }
        }
        if let Some(reason) = cols.get(3).map(|r| r.trim()).filter(|r| !r.is_empty()) {
            change.reason = Some(reason.to_string());
        }
        out.push(BatchLine {
            line_no,
            selector: cols[0].trim().to_string(),
            change,
        });
    }
    Ok(out)
}

/// Applies a batch in one transaction. Every failing line is reported, and
/// then nothing is written.
pub fn set_batch(
    conn: &mut Connection,
    batch: &[BatchLine],
    allow_many: bool,
) -> Result<SetOutcome, Error> {
    let items = select::all_items(conn)?;
    let tx = conn.transaction()?;
    let mut outcome = SetOutcome::default();
    let mut errors = Vec::new();
    for line in batch {
        let selectors = [line.selector.clone()];
        let result = select::select(&items, &selectors, &Filters::default(), allow_many).and_then(
            |chosen| {
                let mut changed = 0;
                for item in &chosen {
                    // An earlier line may have changed this item: use its current row.
                    let current = select::item_by_id(&tx, item.id)?;
                    if apply(&tx, &current, &line.change)? {
                        changed += 1;
                    }
                }
                Ok((chosen.len(), changed))
            },
        );
        match result {
            Ok((matched, changed)) => {
                outcome.matched += matched;
                outcome.changed += changed;
            }
            Err(e) => errors.push(format!("line {}: {e}", line.line_no)),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(format!(
            "batch not applied, {} bad line(s):\n{}",
            errors.len(),
            errors.join("\n")
        )));
    }
    tx.commit()?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::tests::seeded;
    use crate::select::all_items;

    fn item(conn: &Connection, sel: &str) -> Item {
        let items = all_items(conn).unwrap();
        select::resolve(&items, sel).unwrap()[0].clone()
    }

    fn sel(s: &str) -> Vec<String> {
        vec![s.to_string()]
    }

    #[test]
    fn set_enforces_the_rules_up_front() {
        let mut conn = seeded();
        let none = Filters::default();
        let defer = Change {
            status: Some(Status::Deferred),
            ..Change::default()
        };
        let err = set(&mut conn, &sel("TestRouteConfig"), &none, false, &defer).unwrap_err();
        assert!(err.to_string().contains("needs --reason"), "{err}");
        let verify = Change {
            status: Some(Status::Verified),
            ..Change::default()
        };
        let err = set(&mut conn, &sel("TestSublistSimple"), &none, false, &verify).unwrap_err();
        assert!(err.to_string().contains("needs evidence"), "{err}");
        let port = Change {
            status: Some(Status::Ported),
            ..Change::default()
        };
        let err = set(&mut conn, &sel("Sublist.Insert"), &none, false, &port).unwrap_err();
        assert!(err.to_string().contains("--rust"), "{err}");
        // Nothing was written by the failed attempts.
        assert_eq!(item(&conn, "TestRouteConfig").status, Status::NotStarted);
        assert_eq!(item(&conn, "TestRouteConfig").set_by, "seed");
    }

    #[test]
    fn set_verified_test_links_the_test_as_rust_item() {
        let mut conn = seeded();
        let change = Change {
            status: Some(Status::Verified),
            tests: vec!["rnatsd_core::sublist::tests::test_sublist_simple".into()],
            ..Change::default()
        };
        let out = set(
            &mut conn,
            &sel("TestSublistSimple"),
            &Filters::default(),
            false,
            &change,
        )
        .unwrap();
        assert_eq!(
            out,
            SetOutcome {
                matched: 1,
                changed: 1
            }
        );
        let it = item(&conn, "TestSublistSimple");
        assert_eq!(it.status, Status::Verified);
        assert_eq!(it.set_by, "manual");
        assert_eq!(select::rust_items(&conn, it.id).unwrap(), change.tests);
        assert_eq!(select::evidence(&conn, it.id).unwrap(), change.tests);
        // Setting the same again changes nothing.
        let again = set(
            &mut conn,
            &sel("TestSublistSimple"),
            &Filters::default(),
            false,
            &change,
        )
        .unwrap();
        assert_eq!(
            again,
            SetOutcome {
                matched: 1,
                changed: 0
            }
        );
    }

    #[test]
    fn set_glob_and_filters_and_stale_reason() {
        let mut conn = seeded();
        let change = Change {
            status: Some(Status::Deferred),
            reason: Some("later".into()),
            ..Change::default()
        };
        let filters = Filters {
            files: vec!["server/sublist*.go".into()],
            ..Filters::default()
        };
        let out = set(&mut conn, &[], &filters, false, &change).unwrap();
        assert_eq!(out.matched, 5);
        assert_eq!(item(&conn, "Sublist.Insert").reason, "later");
        // Another status needs its own reason: deferred's reason is not n_a's.
        let na = Change {
            status: Some(Status::NotApplicable),
            ..Change::default()
        };
        let err = set(
            &mut conn,
            &sel("Sublist.Insert"),
            &Filters::default(),
            false,
            &na,
        )
        .unwrap_err();
        assert!(err.to_string().contains("needs --reason"), "{err}");
        // Adding links keeps the status and its reason.
        let link = Change {
            rust: vec!["rnatsd_core::sublist::Sublist::insert".into()],
            ..Change::default()
        };
        set(
            &mut conn,
            &sel("Sublist.Insert"),
            &Filters::default(),
            false,
            &link,
        )
        .unwrap();
        assert_eq!(item(&conn, "Sublist.Insert").reason, "later");
        // Moving on to ported drops the stale reason.
        let port = Change {
            status: Some(Status::Ported),
            rust: vec!["rnatsd_core::sublist::Sublist::insert".into()],
            ..Change::default()
        };
        set(
            &mut conn,
            &sel("Sublist.Insert"),
            &Filters::default(),
            false,
            &port,
        )
        .unwrap();
        let it = item(&conn, "Sublist.Insert");
        assert_eq!((it.status, it.reason.as_str()), (Status::Ported, ""));
    }

    #[test]
    fn batch_file_applies_all_or_nothing() {
        let mut conn = seeded();
        let text = "# comment\n\
            TestSublistSimple\tverified\ttest_sublist_simple\n\
            Sublist.Insert\tported\trust:rnatsd_core::sublist::Sublist::insert\n\
            TestMQTT*\tn_a\t\tMQTT is out of scope\n";
        let batch = parse_batch(text).unwrap();
        assert_eq!(batch.len(), 3);
        assert_eq!(batch[0].line_no, 2);
        assert_eq!(batch[0].change.tests, ["test_sublist_simple"]);
        assert_eq!(
            batch[1].change.rust,
            ["rnatsd_core::sublist::Sublist::insert"]
        );
        assert_eq!(
            batch[2].change.reason.as_deref(),
            Some("MQTT is out of scope")
        );

        let bad = format!("{text}TestRouteConfig\tdeferred\n");
        let err = set_batch(&mut conn, &parse_batch(&bad).unwrap(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 5"), "{err}");
        assert_eq!(item(&conn, "TestSublistSimple").status, Status::NotStarted);

        let out = set_batch(&mut conn, &batch, false).unwrap();
        assert_eq!(
            out,
            SetOutcome {
                matched: 3,
                changed: 3
            }
        );
        assert_eq!(item(&conn, "TestMQTTConnect").status, Status::NotApplicable);
        assert!(parse_batch("x\n").is_err());
        assert!(parse_batch("x\tbogus\n").is_err());
    }
}

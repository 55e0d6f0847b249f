//! Naming Go items on the command line.
//!
//! A selector is one of:
//! - `Name` — a function, method or test name: `TestSublistSimple`, `Insert`;
//! - `Receiver.Name` — a method: `Sublist.Insert`;
//! - `file:Name` or `file:Receiver.Name` — restricted to a Go file, given as
//!   its full path (`server/sublist.go`) or a trailing part (`sublist.go`);
//! - `#ID` — the row id;
//! - the snake_case form of a name (`test_sublist_simple`) when no Go name
//!   matches it literally.
//!
//! Any part may be a glob (`TestMQTT*`, `server/mqtt*.go:*`, `Sublist.*`).

use rusqlite::{params, Connection};

use crate::db::{Kind, Status};
use crate::names::{glob_match, is_glob, snake_case};
use crate::Error;

/// One Go item as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub file: String,
    pub line_start: u32,
    pub line_end: u32,
    pub receiver: String,
    pub name: String,
    pub area: String,
    pub kind: Kind,
    pub status: Status,
    pub reason: String,
    pub set_by: String,
}

impl Item {
    /// `Receiver.Name` for methods, `Name` for functions.
    pub fn qualified_name(&self) -> String {
        if self.receiver.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.receiver, self.name)
        }
    }

    /// `file:Receiver.Name`: unique, and accepted back as a selector.
    pub fn display(&self) -> String {
        format!("{}:{}", self.file, self.qualified_name())
    }

    /// The name the Rust port of this item carries (tests keep their Go name
    /// snake_cased; methods are `receiver` + `name` in Rust's own terms, so
    /// only the function name is converted).
    pub fn rust_name(&self) -> String {
        snake_case(&self.name)
    }
}

const ITEM_COLUMNS: &str =
    "id, file, line_start, line_end, receiver, name, area, kind, status, reason, set_by";

fn row_to_item(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Item, String, String)> {
    Ok((
        Item {
            id: r.get(0)?,
            file: r.get(1)?,
            line_start: r.get(2)?,
            line_end: r.get(3)?,
            receiver: r.get(4)?,
            name: r.get(5)?,
            area: r.get(6)?,
            kind: Kind::Feature,
            status: Status::NotStarted,
            reason: r.get(9)?,
            set_by: r.get(10)?,
        },
        r.get(7)?,
        r.get(8)?,
    ))
}

fn finish(parts: (Item, String, String)) -> Result<Item, Error> {
    let (mut item, kind, status) = parts;
    item.kind = Kind::parse(&kind)?;
    item.status = Status::parse(&status)?;
    Ok(item)
}

/// Every Go item, ordered by file and line.
pub fn all_items(conn: &Connection) -> Result<Vec<Item>, Error> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM go_items ORDER BY file, line_start, id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], row_to_item)?;
    let mut items = Vec::new();
    for row in rows {
        items.push(finish(row?)?);
    }
    Ok(items)
}

/// The item with row id `id`.
pub fn item_by_id(conn: &Connection, id: i64) -> Result<Item, Error> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM go_items WHERE id = ?1");
    let parts = conn
        .query_row(&sql, params![id], row_to_item)
        .map_err(|_| Error::Usage(format!("no Go item with id #{id}")))?;
    finish(parts)
}

/// A parsed selector.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Selector {
    id: Option<i64>,
    file: Option<String>,
    receiver: Option<String>,
    name: String,
}

fn parse_selector(text: &str) -> Result<Selector, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Usage("empty item selector".into()));
    }
    if let Some(id) = text.strip_prefix('#') {
        let id = id
            .parse()
            .map_err(|_| Error::Usage(format!("bad item id {text:?}")))?;
        return Ok(Selector {
            id: Some(id),
            file: None,
            receiver: None,
            name: String::new(),
        });
    }
    let (file, rest) = match text.rsplit_once(':') {
        Some((f, rest)) => (Some(f.to_string()), rest),
        None => (None, text),
    };
    let (receiver, name) = match rest.split_once('.') {
        Some((recv, name)) => (Some(recv.to_string()), name.to_string()),
        None => (None, rest.to_string()),
    };
    if name.is_empty() {
        return Err(Error::Usage(format!("selector {text:?} names no function")));
    }
    Ok(Selector {
        id: None,
        file,
        receiver,
        name,
    })
}

fn text_matches(pattern: &str, text: &str) -> bool {
    if is_glob(pattern) {
        glob_match(pattern, text)
    } else {
        pattern == text
    }
}

/// A file pattern matches the full path or a trailing part of it at a `/`.
pub fn file_matches(pattern: &str, file: &str) -> bool {
    if is_glob(pattern) {
        return glob_match(pattern, file) || glob_match(&format!("*/{pattern}"), file);
    }
    file == pattern || file.ends_with(&format!("/{pattern}"))
}

fn matches(sel: &Selector, item: &Item, by_snake: bool) -> bool {
    if let Some(id) = sel.id {
        return item.id == id;
    }
    if let Some(file) = &sel.file {
        if !file_matches(file, &item.file) {
            return false;
        }
    }
    if let Some(recv) = &sel.receiver {
        if !text_matches(recv, &item.receiver) {
            return false;
        }
    }
    if by_snake {
        sel.name == item.rust_name()
    } else {
        text_matches(&sel.name, &item.name)
    }
}

/// Resolves one selector against `items`. An empty result is an error.
pub fn resolve<'a>(items: &'a [Item], selector: &str) -> Result<Vec<&'a Item>, Error> {
    let sel = parse_selector(selector)?;
    let mut found: Vec<&Item> = items.iter().filter(|it| matches(&sel, it, false)).collect();
    if found.is_empty() && sel.id.is_none() && !is_glob(&sel.name) {
        found = items.iter().filter(|it| matches(&sel, it, true)).collect();
    }
    if found.is_empty() {
        return Err(Error::Usage(format!("no Go item matches {selector:?}")));
    }
    Ok(found)
}

/// True if the selector may legitimately name several items (a glob).
pub fn is_multi_selector(selector: &str) -> bool {
    is_glob(selector)
}

/// Filters applied on top of selectors (`--file`, `--area`, `--kind`,
/// `--where-status`). Empty filters match everything.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub files: Vec<String>,
    pub area: Option<String>,
    pub kind: Option<Kind>,
    pub status: Option<Status>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.area.is_none() && self.kind.is_none() && self.status.is_none()
    }

    pub fn accepts(&self, item: &Item) -> bool {
        (self.files.is_empty() || self.files.iter().any(|f| file_matches(f, &item.file)))
            && self
                .area
                .as_ref()
                .is_none_or(|a| text_matches(a, &item.area))
            && self.kind.is_none_or(|k| k == item.kind)
            && self.status.is_none_or(|s| s == item.status)
    }
}

/// Resolves selectors and filters to a list of items, ordered by file and
/// line, without duplicates. A plain (non-glob) selector that matches more
/// than one item is an error unless `allow_many`, so that `set Insert ...`
/// does not silently touch every `Insert` method.
pub fn select<'a>(
    items: &'a [Item],
    selectors: &[String],
    filters: &Filters,
    allow_many: bool,
) -> Result<Vec<&'a Item>, Error> {
    let mut chosen: Vec<&Item> = Vec::new();
    if selectors.is_empty() {
        if filters.is_empty() {
            return Err(Error::Usage(
                "name at least one item, glob or filter".into(),
            ));
        }
        chosen = items.iter().filter(|it| filters.accepts(it)).collect();
    }
    for selector in selectors {
        let found: Vec<&Item> = resolve(items, selector)?
            .into_iter()
            .filter(|it| filters.accepts(it))
            .collect();
        if found.len() > 1 && !allow_many && !is_multi_selector(selector) {
            let names: Vec<String> = found
                .iter()
                .map(|it| format!("  {}", it.display()))
                .collect();
            return Err(Error::Usage(format!(
                "{selector:?} is ambiguous ({} items); qualify it as file:Name or \
                 Receiver.Name, or pass --all:\n{}",
                found.len(),
                names.join("\n")
            )));
        }
        chosen.extend(found);
    }
    chosen.sort_by(|a, b| (&a.file, a.line_start, a.id).cmp(&(&b.file, b.line_start, b.id)));
    chosen.dedup_by_key(|it| it.id);
    Ok(chosen)
}

/// The Rust items linked to a Go item, sorted.
pub fn rust_items(conn: &Connection, id: i64) -> Result<Vec<String>, Error> {
    strings(
        conn,
        "SELECT rust_path FROM rust_items WHERE go_item_id = ?1 ORDER BY rust_path",
        id,
    )
}

/// The evidence tests of a Go item, sorted.
pub fn evidence(conn: &Connection, id: i64) -> Result<Vec<String>, Error> {
    strings(
        conn,
        "SELECT rust_test FROM evidence WHERE go_item_id = ?1 ORDER BY rust_test",
        id,
    )
}

fn strings(conn: &Connection, sql: &str, id: i64) -> Result<Vec<String>, Error> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([id], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row?);
    }
    Ok(out)
}

/// Formats an item for `porting show`.
pub fn describe(conn: &Connection, item: &Item) -> Result<String, Error> {
    let mut out = format!(
        "{}  (#{}, {}:{}-{}, area {}, {})\n  status:   {} (set by {})\n",
        item.qualified_name(),
        item.id,
        item.file,
        item.line_start,
        item.line_end,
        item.area,
        item.kind,
        item.status,
        item.set_by,
    );
    if !item.reason.is_empty() {
        out.push_str(&format!("  reason:   {}\n", item.reason));
    }
    for rust in rust_items(conn, item.id)? {
        out.push_str(&format!("  rust:     {rust}\n"));
    }
    for test in evidence(conn, item.id)? {
        out.push_str(&format!("  evidence: {test}\n"));
    }
    if item.kind.is_test_like() {
        out.push_str(&format!("  rust test name: {}\n", item.rust_name()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::tests::seeded;

    fn names(found: &[&Item]) -> Vec<String> {
        found.iter().map(|it| it.display()).collect()
    }

    #[test]
    fn selectors_resolve_names_methods_files_and_snake_case() {
        let conn = seeded();
        let items = all_items(&conn).unwrap();
        let one = |s: &str| names(&resolve(&items, s).unwrap());
        assert_eq!(
            one("TestSublistSimple"),
            ["server/sublist_test.go:TestSublistSimple"]
        );
        assert_eq!(one("Sublist.Insert"), ["server/sublist.go:Sublist.Insert"]);
        assert_eq!(
            one("sublist.go:Sublist.Insert"),
            ["server/sublist.go:Sublist.Insert"]
        );
        assert_eq!(
            one("server/pse/pse_linux.go:ProcUsage"),
            ["server/pse/pse_linux.go:ProcUsage"]
        );
        assert_eq!(
            one("test_file_store_basics"),
            ["server/filestore_test.go:TestFileStoreBasics"]
        );
        assert_eq!(one("TestSublist*").len(), 1);
        assert_eq!(one("server/sublist*.go:*").len(), 5);
        let id = items[0].id;
        assert_eq!(one(&format!("#{id}")), [items[0].display()]);
        assert!(resolve(&items, "NoSuchThing").is_err());
        assert!(resolve(&items, "#x").is_err());
    }

    #[test]
    fn plain_selector_matching_many_is_ambiguous() {
        let conn = seeded();
        let items = all_items(&conn).unwrap();
        let sel = vec!["ProcUsage".to_string()];
        let err = select(&items, &sel, &Filters::default(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ambiguous"), "{err}");
        assert_eq!(
            select(&items, &sel, &Filters::default(), true)
                .unwrap()
                .len(),
            2
        );
        let linux = Filters {
            files: vec!["pse_linux.go".into()],
            ..Filters::default()
        };
        assert_eq!(select(&items, &sel, &linux, false).unwrap().len(), 1);
    }

    #[test]
    fn filters_alone_select() {
        let conn = seeded();
        let items = all_items(&conn).unwrap();
        let f = Filters {
            area: Some("sublist".into()),
            kind: Some(Kind::Test),
            ..Filters::default()
        };
        assert_eq!(
            names(&select(&items, &[], &f, false).unwrap()),
            ["server/sublist_test.go:TestSublistSimple"]
        );
        let deferred = Filters {
            status: Some(Status::Deferred),
            ..Filters::default()
        };
        assert_eq!(select(&items, &[], &deferred, false).unwrap().len(), 2);
        assert!(select(&items, &[], &Filters::default(), false).is_err());
    }
}

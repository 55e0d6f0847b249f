//! Opening porting.db, its schema, and the status and kind vocabularies.

use std::fmt;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::Error;

/// The schema, applied idempotently by [`open`] and [`open_in_memory`].
pub const SCHEMA: &str = include_str!("schema.sql");

/// Bumped when the schema changes in a way older databases need migrating for.
pub const SCHEMA_VERSION: &str = "1";

/// Where a Go item stands in the port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Nothing of it exists in Rust yet.
    NotStarted,
    /// Ported to Rust (names the Rust items), not yet verified by a test.
    Ported,
    /// Ported and covered by Rust tests named as evidence.
    Verified,
    /// Will not be ported; the reason says why (e.g. Windows-only).
    NotApplicable,
    /// Will be ported later; the reason says why not now.
    Deferred,
}

impl Status {
    /// Every status, in report column order.
    pub const ALL: [Status; 5] = [
        Status::NotStarted,
        Status::Ported,
        Status::Verified,
        Status::NotApplicable,
        Status::Deferred,
    ];

    /// The spelling stored in the database and accepted on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::Ported => "ported",
            Status::Verified => "verified",
            Status::NotApplicable => "n_a",
            Status::Deferred => "deferred",
        }
    }

    /// Parses the database spelling (also accepts `n/a` and `na`).
    pub fn parse(s: &str) -> Result<Status, Error> {
        match s {
            "not_started" => Ok(Status::NotStarted),
            "ported" => Ok(Status::Ported),
            "verified" => Ok(Status::Verified),
            "n_a" | "n/a" | "na" => Ok(Status::NotApplicable),
            "deferred" => Ok(Status::Deferred),
            _ => Err(Error::Usage(format!(
                "unknown status {s:?} (expected not_started, ported, verified, n_a or deferred)"
            ))),
        }
    }

    /// `n_a` and `deferred` must say why.
    pub fn needs_reason(self) -> bool {
        matches!(self, Status::NotApplicable | Status::Deferred)
    }

    /// `ported` and `verified` must name the Rust items.
    pub fn needs_rust_item(self) -> bool {
        matches!(self, Status::Ported | Status::Verified)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of Go function an item is (column `kind` of the inventory).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A function or method in a non-test file.
    Feature,
    /// `func TestXxx` in a `_test.go` file.
    Test,
    /// `func BenchmarkXxx`.
    Bench,
    /// `func FuzzXxx`.
    Fuzz,
    /// Any other function in a test file (test helpers).
    Helper,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 5] = [
        Kind::Feature,
        Kind::Test,
        Kind::Bench,
        Kind::Fuzz,
        Kind::Helper,
    ];

    /// The spelling stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Feature => "feature",
            Kind::Test => "test",
            Kind::Bench => "bench",
            Kind::Fuzz => "fuzz",
            Kind::Helper => "helper",
        }
    }

    /// Parses the database spelling.
    pub fn parse(s: &str) -> Result<Kind, Error> {
        match s {
            "feature" => Ok(Kind::Feature),
            "test" => Ok(Kind::Test),
            "bench" => Ok(Kind::Bench),
            "fuzz" => Ok(Kind::Fuzz),
            "helper" => Ok(Kind::Helper),
            _ => Err(Error::Usage(format!(
                "unknown kind {s:?} (expected feature, test, bench, fuzz or helper)"
            ))),
        }
    }

    /// Test, benchmark and fuzz items are ported as Rust tests of the same
    /// (snake_cased) name, so a test name can double as their Rust item.
    pub fn is_test_like(self) -> bool {
        matches!(self, Kind::Test | Kind::Bench | Kind::Fuzz)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Opens (creating if needed) the database at `path` and applies the schema.
pub fn open(path: &Path) -> Result<Connection, Error> {
    let conn = Connection::open(path)?;
    init(&conn)?;
    Ok(conn)
}

/// Opens an existing database read-only (for `report`, `check`, `show`, ...),
/// so those commands never touch the committed file.
pub fn open_read_only(path: &Path) -> Result<Connection, Error> {
    if !path.exists() {
        return Err(Error::Usage(format!(
            "{} does not exist; run `cargo run -p porting -- seed` first",
            path.display()
        )));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    Ok(conn)
}

/// A fresh in-memory database with the schema (tests).
pub fn open_in_memory() -> Result<Connection, Error> {
    let conn = Connection::open_in_memory()?;
    init(&conn)?;
    Ok(conn)
}

fn init(conn: &Connection) -> Result<(), Error> {
    conn.execute_batch("PRAGMA foreign_keys = ON;")?;
    conn.execute_batch(SCHEMA)?;
    Ok(())
}

/// Reads one `meta` value.
pub fn meta(conn: &Connection, key: &str) -> Result<Option<String>, Error> {
    let mut stmt = conn.prepare("SELECT value FROM meta WHERE key = ?1")?;
    let mut rows = stmt.query([key])?;
    match rows.next()? {
        Some(row) => Ok(Some(row.get(0)?)),
        None => Ok(None),
    }
}

/// Writes one `meta` value, only if it changed (keeps the file stable).
pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), Error> {
    if meta(conn, key)?.as_deref() == Some(value) {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

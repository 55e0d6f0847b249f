//! # porting
//!
//! porting.db, at the repository root, is the one place that says how much
//! of the Go nats-server is ported, verified, or deliberately left out, and
//! why. This crate owns its schema and the `porting` CLI that seeds, edits,
//! checks and reports on it:
//!
//! ```text
//! cargo run -p porting -- seed [--tsv ../shared/reference/nats-go-funcs.tsv]
//! cargo run -p porting -- report          # prints counts, writes docs/PORTING.md
//! cargo run -p porting -- show TestSublistSimple
//! cargo run -p porting -- set TestSublistSimple --status verified \
//!     --test rnatsd_core::sublist::tests::test_sublist_simple
//! cargo run -p porting -- check           # CI gate
//! ```
//!
//! See docs/PORTING-TOOL.md for the status meanings and the snake_case rule.
//!
//! Layout: [`db`] (schema, vocabularies), [`names`] (snake_case, globs),
//! [`seed`] (TSV import and the default n_a/deferred rules), [`select`]
//! (item selectors), [`set`] (status edits), [`scan`] (finding Rust tests in
//! the workspace), [`check`] (the CI rules), [`report`] (counts, PORTING.md).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub mod check;
pub mod db;
pub mod names;
pub mod report;
pub mod scan;
pub mod seed;
pub mod select;
pub mod set;

pub use db::{Kind, Status};

/// Everything that can go wrong in the porting tool.
#[derive(Debug)]
pub enum Error {
    /// Bad command line or bad selector; the message says what to do.
    Usage(String),
    /// Input that does not follow the rules (bad TSV line, a `set` that
    /// would break a rule such as "n_a needs a reason").
    Invalid(String),
    /// SQLite said no.
    Db(rusqlite::Error),
    /// Reading or writing a file failed.
    Io(PathBuf, io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) | Error::Invalid(msg) => f.write_str(msg),
            Error::Db(e) => write!(f, "porting.db: {e}"),
            Error::Io(path, e) => write!(f, "{}: {e}", path.display()),
        }
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Db(e)
    }
}

/// The database file name, at the repository root.
pub const DB_FILE: &str = "porting.db";

/// The generated report, relative to the repository root.
pub const REPORT_FILE: &str = "docs/PORTING.md";

/// The inventory TSV, relative to the repository root (CI clones the
/// repository with `shared/` beside it).
pub const DEFAULT_TSV: &str = "../shared/reference/nats-go-funcs.tsv";

/// Finds the repository root from `start`: the nearest ancestor (or `start`
/// itself) that holds porting.db or whose Cargo.toml declares `[workspace]`.
pub fn find_repo_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(DB_FILE).is_file() || is_workspace_root(dir))
        .map(Path::to_path_buf)
}

fn is_workspace_root(dir: &Path) -> bool {
    match std::fs::read_to_string(dir.join("Cargo.toml")) {
        Ok(text) => text.lines().any(|l| l.trim() == "[workspace]"),
        Err(_) => false,
    }
}

/// Reads a file to a string, naming the path in the error.
pub fn read_file(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Io(path.to_path_buf(), e))
}

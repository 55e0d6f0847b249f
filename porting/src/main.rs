//! The `porting` CLI. See docs/PORTING-TOOL.md, or run with `help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use porting::check;
use porting::db;
use porting::names::snake_case;
use porting::report;
use porting::scan;
use porting::seed;
use porting::select::{self, Filters};
use porting::set::{self, Change};
use porting::{Error, Kind, Status};

const USAGE: &str = "\
porting: the map of the port from Go nats-server to rnatsd (porting.db)

usage: cargo run -p porting -- [--root DIR] [--db FILE] COMMAND ...

commands:
  seed [--tsv FILE] [--go-commit HASH]
        create or refresh porting.db from the inventory TSV
        (default ../shared/reference/nats-go-funcs.tsv); keeps statuses set by `set`
  report [--out FILE] [--no-write]
        print counts per area and status; write docs/PORTING.md
  show ITEM...
        print items with status, reason, Rust items and evidence
  set [ITEM...] [--glob PAT]... [--file PAT]... [--area A] [--kind K]
      [--where-status S] [--all] [--status S] [--reason R]
      [--rust PATH]... [--test TEST]... [--clear-links]
  set --from FILE [--all]
        lines: ITEM<TAB>status<TAB>rust entries<TAB>reason
  check [--strict]
        fail on rule violations or a stale docs/PORTING.md
        (and, with --strict, on unrecorded ports)
  stats
        one-line summary
  query SQL
        run a read-only SQL query, print tab-separated rows
  snake NAME...
        print the snake_case Rust name of Go names

ITEM: Name | Receiver.Name | file:Name | file:Receiver.Name | #ID | snake_case
      name; globs (* ?) allowed. Statuses: not_started ported verified n_a deferred.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(args) {
        Ok(code) => code,
        Err(Error::Usage(msg)) => {
            eprintln!("porting: {msg}\n(run `cargo run -p porting -- help` for usage)");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("porting: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Command-line arguments with flag helpers.
struct Args {
    rest: Vec<String>,
}

impl Args {
    /// Removes `--flag VALUE` (all occurrences) and returns the values.
    fn values(&mut self, flag: &str) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.rest.len() {
            if self.rest[i] == flag {
                if i + 1 >= self.rest.len() {
                    return Err(Error::Usage(format!("{flag} needs a value")));
                }
                out.push(self.rest.remove(i + 1));
                self.rest.remove(i);
            } else if let Some(v) = self.rest[i].strip_prefix(&format!("{flag}=")) {
                out.push(v.to_string());
                self.rest.remove(i);
            } else {
                i += 1;
            }
        }
        Ok(out)
    }

    /// Removes `--flag VALUE`, allowed at most once.
    fn value(&mut self, flag: &str) -> Result<Option<String>, Error> {
        let mut v = self.values(flag)?;
        if v.len() > 1 {
            return Err(Error::Usage(format!("{flag} given more than once")));
        }
        Ok(v.pop())
    }

    /// Removes a boolean `--flag`.
    fn flag(&mut self, flag: &str) -> bool {
        let before = self.rest.len();
        self.rest.retain(|a| a != flag);
        self.rest.len() != before
    }

    /// The remaining positional arguments; unknown flags are an error.
    fn positional(self) -> Result<Vec<String>, Error> {
        if let Some(bad) = self.rest.iter().find(|a| a.starts_with("--")) {
            return Err(Error::Usage(format!("unknown option {bad}")));
        }
        Ok(self.rest)
    }
}

struct Paths {
    root: PathBuf,
    db: PathBuf,
}

fn run(args: Vec<String>) -> Result<ExitCode, Error> {
    let mut args = Args { rest: args };
    let root = args.value("--root")?.map(PathBuf::from);
    let db_path = args.value("--db")?.map(PathBuf::from);
    if args.rest.is_empty() {
        print!("{USAGE}");
        return Ok(ExitCode::from(2));
    }
    let command = args.rest.remove(0);
    if matches!(command.as_str(), "help" | "--help" | "-h") {
        print!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    if command == "snake" {
        for name in args.positional()? {
            println!("{name}\t{}", snake_case(&name));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let paths = locate(root, db_path)?;
    match command.as_str() {
        "seed" => cmd_seed(&paths, args),
        "report" => cmd_report(&paths, args),
        "show" => cmd_show(&paths, args),
        "set" => cmd_set(&paths, args),
        "check" => cmd_check(&paths, args),
        "stats" => cmd_stats(&paths, args),
        "query" => cmd_query(&paths, args),
        other => Err(Error::Usage(format!("unknown command {other:?}"))),
    }
}

fn locate(root: Option<PathBuf>, db_path: Option<PathBuf>) -> Result<Paths, Error> {
    let root = match root {
        Some(r) => r,
        None => {
            let cwd = std::env::current_dir().map_err(|e| Error::Io(PathBuf::from("."), e))?;
            porting::find_repo_root(&cwd)
                .or_else(|| porting::find_repo_root(Path::new(env!("CARGO_MANIFEST_DIR"))))
                .ok_or_else(|| {
                    Error::Usage("cannot find the repository root (porting.db or workspace Cargo.toml); pass --root".into())
                })?
        }
    };
    let db = db_path.unwrap_or_else(|| root.join(porting::DB_FILE));
    Ok(Paths { root, db })
}

fn cmd_seed(paths: &Paths, mut args: Args) -> Result<ExitCode, Error> {
    let tsv = args.value("--tsv")?;
    let commit = args.value("--go-commit")?;
    no_positional(args)?;
    let tsv = match tsv {
        Some(t) => PathBuf::from(t),
        None => paths.root.join(porting::DEFAULT_TSV),
    };
    let rows = seed::parse_tsv(&porting::read_file(&tsv)?)?;
    let mut conn = db::open(&paths.db)?;
    let commit = match commit {
        Some(c) => c,
        None => {
            db::meta(&conn, "go_commit")?.unwrap_or_else(|| seed::DEFAULT_GO_COMMIT.to_string())
        }
    };
    let out = seed::seed(&mut conn, &rows, &commit)?;
    println!(
        "seeded {} from {}: {} rows; {} inserted, {} updated, {} deleted",
        paths.db.display(),
        tsv.display(),
        rows.len(),
        out.inserted,
        out.updated,
        out.deleted
    );
    for kept in &out.kept_missing {
        println!("warning: {kept} is gone from the TSV but kept (it has a manual status or links)");
    }
    Ok(ExitCode::SUCCESS)
}

fn no_positional(args: Args) -> Result<(), Error> {
    let rest = args.positional()?;
    if let Some(extra) = rest.first() {
        return Err(Error::Usage(format!("unexpected argument {extra:?}")));
    }
    Ok(())
}

fn cmd_report(paths: &Paths, mut args: Args) -> Result<ExitCode, Error> {
    let out = args.value("--out")?.map(PathBuf::from);
    let no_write = args.flag("--no-write");
    no_positional(args)?;
    let conn = db::open_read_only(&paths.db)?;
    let items = select::all_items(&conn)?;
    print!("{}", report::render_text(&items));
    if !no_write {
        let path = out.unwrap_or_else(|| paths.root.join(porting::REPORT_FILE));
        let md = report::render_markdown(&conn)?;
        if std::fs::read_to_string(&path).ok().as_deref() != Some(md.as_str()) {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::Io(dir.to_path_buf(), e))?;
            }
            std::fs::write(&path, md).map_err(|e| Error::Io(path.clone(), e))?;
            println!("wrote {}", path.display());
        } else {
            println!("{} is up to date", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_show(paths: &Paths, args: Args) -> Result<ExitCode, Error> {
    let selectors = args.positional()?;
    if selectors.is_empty() {
        return Err(Error::Usage("show needs at least one ITEM".into()));
    }
    let conn = db::open_read_only(&paths.db)?;
    let items = select::all_items(&conn)?;
    for selector in &selectors {
        for item in select::resolve(&items, selector)? {
            print!("{}", select::describe(&conn, item)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_set(paths: &Paths, mut args: Args) -> Result<ExitCode, Error> {
    let from = args.value("--from")?;
    let allow_many = args.flag("--all");
    let mut selectors = args.values("--glob")?;
    let filters = Filters {
        files: args.values("--file")?,
        area: args.value("--area")?,
        kind: args.value("--kind")?.map(|k| Kind::parse(&k)).transpose()?,
        status: args
            .value("--where-status")?
            .map(|s| Status::parse(&s))
            .transpose()?,
    };
    let change = Change {
        status: args
            .value("--status")?
            .map(|s| Status::parse(&s))
            .transpose()?,
        reason: args.value("--reason")?,
        rust: args.values("--rust")?,
        tests: args.values("--test")?,
        clear_links: args.flag("--clear-links"),
    };
    selectors.extend(args.positional()?);
    let mut conn = db::open(&paths.db)?;
    let outcome = match from {
        Some(file) => {
            if !selectors.is_empty() || !filters.is_empty() || change != Change::default() {
                return Err(Error::Usage(
                    "set --from FILE takes no other items or options (except --all)".into(),
                ));
            }
            let batch = set::parse_batch(&porting::read_file(Path::new(&file))?)?;
            set::set_batch(&mut conn, &batch, allow_many)?
        }
        None => {
            if change == Change::default() {
                return Err(Error::Usage(
                    "set needs --status, --reason, --rust or --test".into(),
                ));
            }
            set::set(&mut conn, &selectors, &filters, allow_many, &change)?
        }
    };
    println!(
        "{} item(s) matched, {} changed",
        outcome.matched, outcome.changed
    );
    Ok(ExitCode::SUCCESS)
}

fn cmd_check(paths: &Paths, mut args: Args) -> Result<ExitCode, Error> {
    let strict = args.flag("--strict");
    no_positional(args)?;
    let conn = db::open_read_only(&paths.db)?;
    let tests = scan::scan_workspace(&paths.root)?;
    let mut result = check::check(&conn, &tests)?;
    let report_path = paths.root.join(porting::REPORT_FILE);
    let md = report::render_markdown(&conn)?;
    if std::fs::read_to_string(&report_path).ok().as_deref() != Some(md.as_str()) {
        result.problems.push(check::Finding {
            subject: porting::REPORT_FILE.to_string(),
            message:
                "is not what porting.db says; run `cargo run -p porting -- report` and commit it"
                    .to_string(),
        });
    }
    print!("{}", check::render(&result));
    Ok(if result.passes(strict) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn cmd_stats(paths: &Paths, args: Args) -> Result<ExitCode, Error> {
    no_positional(args)?;
    let conn = db::open_read_only(&paths.db)?;
    println!("{}", report::stats_line(&select::all_items(&conn)?));
    Ok(ExitCode::SUCCESS)
}

fn cmd_query(paths: &Paths, args: Args) -> Result<ExitCode, Error> {
    let sql = args.positional()?.join(" ");
    if sql.trim().is_empty() {
        return Err(Error::Usage("query needs SQL".into()));
    }
    let conn = db::open_read_only(&paths.db)?;
    let mut stmt = conn.prepare(&sql)?;
    let columns = stmt.column_count();
    println!("{}", stmt.column_names().join("\t"));
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let mut cells = Vec::with_capacity(columns);
        for i in 0..columns {
            let cell = match row.get_ref(i)? {
                rusqlite::types::ValueRef::Null => "NULL".to_string(),
                rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                rusqlite::types::ValueRef::Real(f) => f.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                rusqlite::types::ValueRef::Blob(b) => format!("<{} bytes>", b.len()),
            };
            cells.push(cell);
        }
        println!("{}", cells.join("\t"));
    }
    Ok(ExitCode::SUCCESS)
}

//! Seeding porting.db from the inventory TSV, and the default statuses.
//!
//! The TSV (`../shared/reference/nats-go-funcs.tsv`, written by
//! `inventory.py`) has one row per top-level Go func:
//! `file line_start line_end receiver func_name area kind`.
//!
//! Seeding is idempotent. Items are keyed by (file, receiver, name); line
//! numbers, area and kind follow the TSV. An item whose status was set with
//! `porting set` (`set_by = 'manual'`) keeps its status, reason and links;
//! an item still carrying a seeded status gets the current default rules.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, Connection, OptionalExtension};

use crate::db::{self, Kind, Status};
use crate::names::glob_match;
use crate::Error;

/// The nats-server commit the shipped TSV was taken from.
pub const DEFAULT_GO_COMMIT: &str = "1787eee0";

/// One parsed TSV row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsvRow {
    pub file: String,
    pub line_start: u32,
    pub line_end: u32,
    pub receiver: String,
    pub name: String,
    pub area: String,
    pub kind: Kind,
}

const TSV_HEADER: &str = "file\tline_start\tline_end\treceiver\tfunc_name\tarea\tkind";

/// Parses the inventory TSV (header line required).
pub fn parse_tsv(text: &str) -> Result<Vec<TsvRow>, Error> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.trim_end() == TSV_HEADER => {}
        _ => {
            return Err(Error::Invalid(format!(
                "TSV line 1: expected the header {TSV_HEADER:?}"
            )))
        }
    }
    let mut rows = Vec::new();
    for (idx, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        rows.push(
            parse_tsv_line(line)
                .map_err(|msg| Error::Invalid(format!("TSV line {}: {msg}: {line:?}", idx + 1)))?,
        );
    }
    Ok(rows)
}

fn parse_tsv_line(line: &str) -> Result<TsvRow, String> {
    let cols: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
    let [file, start, end, receiver, name, area, kind] = cols[..] else {
        return Err(format!(
            "expected 7 tab-separated columns, got {}",
            cols.len()
        ));
    };
    let line_start: u32 = start.parse().map_err(|_| "line_start is not a number")?;
    let line_end: u32 = end.parse().map_err(|_| "line_end is not a number")?;
    if line_end < line_start {
        return Err("line_end is before line_start".into());
    }
    if file.is_empty() || name.is_empty() || area.is_empty() {
        return Err("file, func_name and area must not be empty".into());
    }
    let kind = Kind::parse(kind).map_err(|e| e.to_string())?;
    Ok(TsvRow {
        file: file.to_string(),
        line_start,
        line_end,
        receiver: receiver.to_string(),
        name: name.to_string(),
        area: area.to_string(),
        kind,
    })
}

// ---------------------------------------------------------------------------
// Default statuses. First matching rule wins; no match means not_started.

const WINDOWS_REASON: &str = "Windows-only code (builds only for GOOS=windows); \
     rnatsd targets Linux and Unix, no Windows port is planned";

const PSE_REASON: &str = "platform-specific process stats for a non-Linux GOOS; \
     rnatsd reads /proc on Linux (the pse_linux.go counterpart)";

const SYSMEM_REASON: &str = "total-memory probe for a non-Linux GOOS; \
     rnatsd reads the Linux value (the mem_linux.go counterpart)";

const DISK_AVAIL_REASON: &str = "free-disk probe for a non-Linux GOOS; \
     rnatsd uses the statfs path (the disk_avail.go counterpart)";

const WASM_REASON: &str = "wasm build (no signals, no processes); rnatsd does not target wasm";

/// Files that are out of scope: (glob on the Go file path, reason).
const NA_FILE_RULES: &[(&str, &str)] = &[
    ("*_windows.go", WINDOWS_REASON),
    ("*_windows_test.go", WINDOWS_REASON),
    // `//go:build windows` files without the _windows suffix.
    ("server/jetstream_tpm_test.go", WINDOWS_REASON),
    ("server/tpm/js_ek_tpm_test.go", WINDOWS_REASON),
    ("server/pse/pse_darwin.go", PSE_REASON),
    ("server/pse/pse_dragonfly.go", PSE_REASON),
    ("server/pse/pse_freebsd*.go", PSE_REASON),
    ("server/pse/pse_netbsd.go", PSE_REASON),
    ("server/pse/pse_openbsd.go", PSE_REASON),
    ("server/pse/pse_rumprun.go", PSE_REASON),
    ("server/pse/pse_solaris.go", PSE_REASON),
    ("server/pse/pse_wasm.go", PSE_REASON),
    ("server/pse/pse_zos.go", PSE_REASON),
    ("server/sysmem/mem_bsd.go", SYSMEM_REASON),
    ("server/sysmem/mem_darwin.go", SYSMEM_REASON),
    ("server/sysmem/mem_solaris.go", SYSMEM_REASON),
    ("server/sysmem/mem_wasm.go", SYSMEM_REASON),
    ("server/sysmem/mem_zos.go", SYSMEM_REASON),
    ("server/sysmem/sysctl.go", SYSMEM_REASON),
    ("server/disk_avail_netbsd.go", DISK_AVAIL_REASON),
    ("server/disk_avail_openbsd.go", DISK_AVAIL_REASON),
    ("server/disk_avail_solaris.go", DISK_AVAIL_REASON),
    ("server/disk_avail_wasm.go", DISK_AVAIL_REASON),
    ("server/signal_wasm.go", WASM_REASON),
];

/// The reason given to every item of a deferred area.
pub const ROADMAP_REASON: &str =
    "not on the current roadmap (issues 2-10); planned after clustering";

/// Areas deferred as a whole. Routes (clustering) are planned, not deferred.
pub const DEFERRED_AREAS: &[&str] = &["gateways", "leafnodes", "mqtt", "websocket"];

/// Tests (in other areas) that exercise a deferred subsystem:
/// (glob on the Go test file, or on the test name, subsystem).
const DEFERRED_TEST_FILES: &[(&str, &str)] = &[
    (
        "server/jetstream_super_cluster_test.go",
        "gateways (super-clusters)",
    ),
    ("server/jetstream_leafnode_test.go", "leafnodes"),
];
const DEFERRED_TEST_NAMES: &[(&str, &str)] = &[
    ("*SuperCluster*", "gateways (super-clusters)"),
    ("*Gateway*", "gateways"),
    ("*LeafNode*", "leafnodes"),
    ("*Leafnode*", "leafnodes"),
    ("*MQTT*", "mqtt"),
    ("*Websocket*", "websocket"),
    ("*WebSocket*", "websocket"),
    ("TestWS*", "websocket"),
    ("BenchmarkWS*", "websocket"),
];

/// The seeded status and reason of an item (before anyone ran `set`).
pub fn default_status(row: &TsvRow) -> (Status, String) {
    for (pattern, reason) in NA_FILE_RULES {
        if glob_match(pattern, &row.file) {
            return (Status::NotApplicable, (*reason).to_string());
        }
    }
    if DEFERRED_AREAS.contains(&row.area.as_str()) {
        return (Status::Deferred, ROADMAP_REASON.to_string());
    }
    if row.kind.is_test_like() {
        let by_file = DEFERRED_TEST_FILES
            .iter()
            .find(|(p, _)| glob_match(p, &row.file));
        let by_name = DEFERRED_TEST_NAMES
            .iter()
            .find(|(p, _)| glob_match(p, &row.name));
        if let Some((_, subsystem)) = by_file.or(by_name) {
            return (
                Status::Deferred,
                format!("exercises {subsystem}, which is {ROADMAP_REASON}"),
            );
        }
    }
    (Status::NotStarted, String::new())
}

/// What each area covers (areas are assigned by inventory.py).
pub fn area_description(area: &str) -> &'static str {
    match area {
        "accounts" => "Accounts, imports/exports, service latency and cycles (accounts.go)",
        "auth" => {
            "Users, nkeys, tokens, auth callout, LDAP DNs (auth.go, auth_callout.go, nkey.go)"
        }
        "batching" => "JetStream atomic batch publish (jetstream_batching.go)",
        "client" => {
            "Client connections: processing, delivery, outbound, slow consumers (client.go)"
        }
        "conf" => "The configuration file lexer and parser (conf/)",
        "config" => "Server options and config reload (opts.go, reload.go)",
        "consumer" => "JetStream consumers (consumer.go)",
        "events" => "System account events and system services (events.go, sendq.go)",
        "filestore" => "The JetStream file store (filestore.go, dios.go, ats/)",
        "gateways" => "Gateways between clusters (gateway.go)",
        "jetstream-api" => {
            "The JetStream API and its errors (jetstream_api.go, jetstream_errors*.go)"
        }
        "jetstream-cluster" => {
            "Clustered JetStream: meta group, stream/consumer groups (jetstream_cluster.go)"
        }
        "jetstream-core" => {
            "JetStream enablement, accounts, limits, resources (jetstream.go, sysmem/, tpm/)"
        }
        "jwt" => "JWT-based operator mode and account resolvers (jwt.go, dirstore.go)",
        "leafnodes" => "Leaf node connections (leafnode.go)",
        "logging" => "Loggers and syslog (log.go, logger/)",
        "memstore" => "The JetStream memory store (memstore.go)",
        "misc" => "Test helpers in norace files that inventory.py could not assign",
        "monitor" => "HTTP monitoring endpoints and process stats (monitor.go, pse/)",
        "mqtt" => "The MQTT gateway (mqtt.go)",
        "msgtrace" => "Message tracing (msgtrace.go)",
        "ocsp" => "OCSP stapling and peer checks (ocsp*.go, certidp/)",
        "protocol" => "The client protocol parser (parser.go)",
        "raft" => "The Raft implementation (raft.go)",
        "routes" => "Routes and clustering of the core server (route.go)",
        "server" => "Server lifecycle, signals, service, errors (server.go, main.go)",
        "store-common" => "Store interfaces and shared structures (store.go, stree/, avl/, thw/)",
        "stream" => "JetStream streams, sourcing, mirroring, scheduling (stream.go)",
        "sublist" => "Subject matching and subject transforms (sublist.go, gsl/)",
        "testinfra" => "Go test infrastructure (test/test.go, internal/testhelper)",
        "tls" => "TLS cipher suites and certificate stores (ciphersuites.go, certstore/)",
        "util" => "Utilities (util.go, ipqueue.go, elastic/, fastrand/)",
        "websocket" => "WebSocket connections (websocket.go)",
        _ => "",
    }
}

fn area_status_note(area: &str) -> String {
    if DEFERRED_AREAS.contains(&area) {
        format!("deferred: {ROADMAP_REASON}")
    } else {
        String::new()
    }
}

// ---------------------------------------------------------------------------

/// What a seed run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub inserted: usize,
    pub updated: usize,
    pub deleted: usize,
    /// Items gone from the TSV but kept because they carry a manual status
    /// or Rust links (`file:Receiver.Name`).
    pub kept_missing: Vec<String>,
}

type Key = (String, String, String);

struct Existing {
    id: i64,
    line_start: u32,
    line_end: u32,
    area: String,
    kind: String,
    status: String,
    reason: String,
    set_by: String,
}

/// Creates or refreshes the database content from parsed TSV rows.
pub fn seed(conn: &mut Connection, rows: &[TsvRow], go_commit: &str) -> Result<SeedReport, Error> {
    let mut seen: BTreeSet<Key> = BTreeSet::new();
    for row in rows {
        let key = (row.file.clone(), row.receiver.clone(), row.name.clone());
        if !seen.insert(key) {
            return Err(Error::Invalid(format!(
                "TSV lists {}:{}.{} twice",
                row.file, row.receiver, row.name
            )));
        }
    }
    let tx = conn.transaction()?;
    seed_areas(&tx, rows)?;
    let existing = load_existing(&tx)?;
    let mut report = SeedReport::default();
    for row in rows {
        let key = (row.file.clone(), row.receiver.clone(), row.name.clone());
        let (status, reason) = default_status(row);
        match existing.get(&key) {
            None => {
                tx.execute(
                    "INSERT INTO go_items
                       (file, line_start, line_end, receiver, name, area, kind, status, reason, set_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'seed')",
                    params![
                        row.file, row.line_start, row.line_end, row.receiver, row.name,
                        row.area, row.kind.as_str(), status.as_str(), reason
                    ],
                )?;
                report.inserted += 1;
            }
            Some(old) => {
                if refresh_item(&tx, old, row, status, &reason)? {
                    report.updated += 1;
                }
            }
        }
    }
    for (key, old) in &existing {
        if seen.contains(key) {
            continue;
        }
        if old.set_by == "seed" && !has_links(&tx, old.id)? {
            tx.execute("DELETE FROM go_items WHERE id = ?1", [old.id])?;
            report.deleted += 1;
        } else {
            report
                .kept_missing
                .push(format!("{}:{}.{}", key.0, key.1, key.2));
        }
    }
    db::set_meta(&tx, "go_commit", go_commit)?;
    db::set_meta(&tx, "schema_version", db::SCHEMA_VERSION)?;
    db::set_meta(
        &tx,
        "inventory",
        "nats-go-funcs.tsv (shared/reference/inventory.py)",
    )?;
    tx.commit()?;
    Ok(report)
}

fn seed_areas(conn: &Connection, rows: &[TsvRow]) -> Result<(), Error> {
    let areas: BTreeSet<&str> = rows.iter().map(|r| r.area.as_str()).collect();
    for area in areas {
        let current: Option<(String, String)> = conn
            .query_row(
                "SELECT description, status_note FROM areas WHERE name = ?1",
                [area],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let description = area_description(area);
        let note = area_status_note(area);
        match current {
            None => {
                conn.execute(
                    "INSERT INTO areas(name, description, status_note) VALUES (?1, ?2, ?3)",
                    params![area, description, note],
                )?;
            }
            Some((old_desc, old_note)) => {
                // Fill blanks only: a hand-edited description or note stays.
                if old_desc.is_empty() && !description.is_empty() {
                    conn.execute(
                        "UPDATE areas SET description = ?2 WHERE name = ?1",
                        params![area, description],
                    )?;
                }
                if old_note.is_empty() && !note.is_empty() {
                    conn.execute(
                        "UPDATE areas SET status_note = ?2 WHERE name = ?1",
                        params![area, note],
                    )?;
                }
            }
        }
    }
    Ok(())
}

fn load_existing(conn: &Connection) -> Result<BTreeMap<Key, Existing>, Error> {
    let mut stmt = conn.prepare(
        "SELECT id, file, receiver, name, line_start, line_end, area, kind, status, reason, set_by
         FROM go_items",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            (r.get(1)?, r.get(2)?, r.get(3)?),
            Existing {
                id: r.get(0)?,
                line_start: r.get(4)?,
                line_end: r.get(5)?,
                area: r.get(6)?,
                kind: r.get(7)?,
                status: r.get(8)?,
                reason: r.get(9)?,
                set_by: r.get(10)?,
            },
        ))
    })?;
    let mut map = BTreeMap::new();
    for row in rows {
        let (key, existing) = row?;
        map.insert(key, existing);
    }
    Ok(map)
}

/// Updates an existing item from its TSV row; returns whether it changed.
/// Writes nothing when nothing changed, so re-seeding keeps the file stable.
fn refresh_item(
    conn: &Connection,
    old: &Existing,
    row: &TsvRow,
    status: Status,
    reason: &str,
) -> Result<bool, Error> {
    let mut changed = false;
    if old.line_start != row.line_start
        || old.line_end != row.line_end
        || old.area != row.area
        || old.kind != row.kind.as_str()
    {
        conn.execute(
            "UPDATE go_items SET line_start = ?2, line_end = ?3, area = ?4, kind = ?5 WHERE id = ?1",
            params![old.id, row.line_start, row.line_end, row.area, row.kind.as_str()],
        )?;
        changed = true;
    }
    if old.set_by == "seed" && (old.status != status.as_str() || old.reason != reason) {
        conn.execute(
            "UPDATE go_items SET status = ?2, reason = ?3 WHERE id = ?1",
            params![old.id, status.as_str(), reason],
        )?;
        changed = true;
    }
    Ok(changed)
}

fn has_links(conn: &Connection, id: i64) -> Result<bool, Error> {
    let n: i64 = conn.query_row(
        "SELECT (SELECT count(*) FROM rust_items WHERE go_item_id = ?1)
              + (SELECT count(*) FROM evidence WHERE go_item_id = ?1)",
        [id],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small inventory: a feature and tests of the sublist, a Windows-only
    /// file, an MQTT test, a super-cluster test and a benchmark.
    pub(crate) const FIXTURE: &str = "\
file\tline_start\tline_end\treceiver\tfunc_name\tarea\tkind
server/sublist.go\t100\t140\tSublist\tInsert\tsublist\tfeature
server/sublist.go\t150\t160\t\tnewLevel\tsublist\tfeature
server/sublist_test.go\t10\t40\t\tTestSublistSimple\tsublist\ttest
server/sublist_test.go\t50\t60\t\tBenchmarkSublistInsert\tsublist\tbench
server/sublist_test.go\t70\t80\t\tverifyCount\tsublist\thelper
server/filestore_test.go\t100\t200\t\tTestFileStoreBasics\tfilestore\ttest
server/service_windows.go\t20\t30\twinServiceWrapper\tExecute\tserver\tfeature
server/pse/pse_darwin.go\t5\t15\t\tProcUsage\tmonitor\tfeature
server/pse/pse_linux.go\t5\t15\t\tProcUsage\tmonitor\tfeature
server/mqtt_test.go\t10\t20\t\tTestMQTTConnect\tmqtt\ttest
server/jetstream_super_cluster_test.go\t10\t20\t\tTestJetStreamSuperClusterBasics\tjetstream-cluster\ttest
server/routes_test.go\t10\t20\t\tTestRouteConfig\troutes\ttest
";

    pub(crate) fn seeded() -> Connection {
        let mut conn = db::open_in_memory().unwrap();
        let rows = parse_tsv(FIXTURE).unwrap();
        seed(&mut conn, &rows, "abc123").unwrap();
        conn
    }

    fn status_of(conn: &Connection, file: &str, name: &str) -> (String, String) {
        conn.query_row(
            "SELECT status, reason FROM go_items WHERE file = ?1 AND name = ?2",
            [file, name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    #[test]
    fn seed_inserts_every_row_with_default_statuses() {
        let conn = seeded();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM go_items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 12);
        let (s, r) = status_of(&conn, "server/sublist.go", "Insert");
        assert_eq!((s.as_str(), r.as_str()), ("not_started", ""));
        let (s, r) = status_of(&conn, "server/service_windows.go", "Execute");
        assert_eq!(s, "n_a");
        assert!(r.contains("Windows"), "{r}");
        let (s, r) = status_of(&conn, "server/pse/pse_darwin.go", "ProcUsage");
        assert_eq!(s, "n_a");
        assert!(r.contains("/proc"), "{r}");
        assert_eq!(
            status_of(&conn, "server/pse/pse_linux.go", "ProcUsage").0,
            "not_started"
        );
        assert_eq!(
            status_of(&conn, "server/mqtt_test.go", "TestMQTTConnect").0,
            "deferred"
        );
        let (s, r) = status_of(
            &conn,
            "server/jetstream_super_cluster_test.go",
            "TestJetStreamSuperClusterBasics",
        );
        assert_eq!(s, "deferred");
        assert!(r.contains("gateways"), "{r}");
        assert_eq!(
            status_of(&conn, "server/routes_test.go", "TestRouteConfig").0,
            "not_started"
        );
        assert_eq!(
            db::meta(&conn, "go_commit").unwrap().as_deref(),
            Some("abc123")
        );
        let note: String = conn
            .query_row(
                "SELECT status_note FROM areas WHERE name = 'mqtt'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(note.starts_with("deferred"), "{note}");
    }

    #[test]
    fn reseed_is_idempotent_and_keeps_manual_statuses() {
        let mut conn = seeded();
        conn.execute(
            "UPDATE go_items SET status = 'ported', set_by = 'manual' WHERE name = 'Insert'",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO rust_items(go_item_id, rust_path)
             SELECT id, 'rnatsd_core::sublist::Sublist::insert' FROM go_items WHERE name = 'Insert'",
            [],
        )
        .unwrap();
        let rows = parse_tsv(FIXTURE).unwrap();
        let report = seed(&mut conn, &rows, "abc123").unwrap();
        assert_eq!(report, SeedReport::default());
        assert_eq!(status_of(&conn, "server/sublist.go", "Insert").0, "ported");

        // A newer inventory: lines moved, one item gone, one new.
        let newer = FIXTURE
            .replace("100\t140\tSublist", "110\t150\tSublist")
            .replace(
                "server/sublist.go\t150\t160\t\tnewLevel\tsublist\tfeature\n",
                "",
            )
            .replace("\tTestRouteConfig\t", "\tTestRouteConfigNew\t");
        let rows = parse_tsv(&newer).unwrap();
        let report = seed(&mut conn, &rows, "def456").unwrap();
        assert_eq!(report.inserted, 1);
        assert_eq!(report.updated, 1);
        assert_eq!(report.deleted, 2);
        assert!(report.kept_missing.is_empty());
        let (start, status): (u32, String) = conn
            .query_row(
                "SELECT line_start, status FROM go_items WHERE name = 'Insert'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((start, status.as_str()), (110, "ported"));
        assert_eq!(
            db::meta(&conn, "go_commit").unwrap().as_deref(),
            Some("def456")
        );

        // An item with a manual status that disappears is kept and reported.
        let gone = newer.replace(
            "server/sublist.go\t110\t150\tSublist\tInsert\tsublist\tfeature\n",
            "",
        );
        let report = seed(&mut conn, &parse_tsv(&gone).unwrap(), "def456").unwrap();
        assert_eq!(
            report.kept_missing,
            vec!["server/sublist.go:Sublist.Insert".to_string()]
        );
    }

    #[test]
    fn parse_tsv_rejects_bad_input() {
        assert!(parse_tsv("no header\n").is_err());
        let bad_cols = format!("{TSV_HEADER}\nserver/a.go\t1\t2\tfoo\n");
        let err = parse_tsv(&bad_cols).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        let bad_num = format!("{TSV_HEADER}\nserver/a.go\tx\t2\t\tf\tarea\tfeature\n");
        assert!(parse_tsv(&bad_num).is_err());
        let bad_kind = format!("{TSV_HEADER}\nserver/a.go\t1\t2\t\tf\tarea\tweird\n");
        assert!(parse_tsv(&bad_kind).is_err());
        let backwards = format!("{TSV_HEADER}\nserver/a.go\t5\t2\t\tf\tarea\tfeature\n");
        assert!(parse_tsv(&backwards).is_err());
        let dup =
            format!("{TSV_HEADER}\na.go\t1\t2\t\tf\tx\tfeature\na.go\t3\t4\t\tf\tx\tfeature\n");
        let mut conn = db::open_in_memory().unwrap();
        assert!(seed(&mut conn, &parse_tsv(&dup).unwrap(), "c").is_err());
    }
}

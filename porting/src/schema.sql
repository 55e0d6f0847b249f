-- porting.db: the map of the port from Go nats-server to rnatsd.
--
-- One row per top-level Go function, method, test, benchmark and fuzz target
-- of nats-server (go_items), the Rust items that port it (rust_items), and
-- the Rust tests that verify it (evidence). Query it with any SQLite client,
-- or with `cargo run -p porting -- query "SELECT ..."`.
--
-- The rule "n_a and deferred need a reason" is deliberately NOT a CHECK
-- constraint: `porting set` refuses to break it and `porting check` reports
-- it, so a row edited by hand with sqlite3 is still caught in CI.

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS areas (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    -- A one-line note on where the area stands (e.g. why it is deferred).
    status_note TEXT NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS go_items (
    id         INTEGER PRIMARY KEY,
    file       TEXT NOT NULL,
    line_start INTEGER NOT NULL,
    line_end   INTEGER NOT NULL,
    -- Receiver base type for methods ('' for plain functions).
    receiver   TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL,
    area       TEXT NOT NULL REFERENCES areas(name),
    kind       TEXT NOT NULL
               CHECK (kind IN ('feature', 'test', 'bench', 'fuzz', 'helper')),
    status     TEXT NOT NULL DEFAULT 'not_started'
               CHECK (status IN ('not_started', 'ported', 'verified', 'n_a', 'deferred')),
    reason     TEXT NOT NULL DEFAULT '',
    -- 'seed' while the status comes from the seeding rules (re-seeding may
    -- update it), 'manual' once `porting set` touched it (re-seeding keeps it).
    set_by     TEXT NOT NULL DEFAULT 'seed' CHECK (set_by IN ('seed', 'manual')),
    UNIQUE (file, receiver, name)
);

CREATE INDEX IF NOT EXISTS go_items_name ON go_items(name);
CREATE INDEX IF NOT EXISTS go_items_area ON go_items(area, kind, status);

-- The Rust items porting a Go item. Many-to-many: one Go item may be spread
-- over several Rust items and one Rust item may port several Go items.
-- rust_path is a Rust path (`rnatsd_core::sublist::Sublist::insert`) or a
-- file-qualified name (`core/src/sublist/mod.rs::insert`).
CREATE TABLE IF NOT EXISTS rust_items (
    go_item_id INTEGER NOT NULL REFERENCES go_items(id) ON DELETE CASCADE,
    rust_path  TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (go_item_id, rust_path)
);

-- The Rust tests that verify a `verified` Go item. The last `::` segment is
-- the test function's name; `porting check` requires it to exist in the
-- workspace (and in that file when the path is `some/file.rs::name`).
CREATE TABLE IF NOT EXISTS evidence (
    go_item_id INTEGER NOT NULL REFERENCES go_items(id) ON DELETE CASCADE,
    rust_test  TEXT NOT NULL,
    PRIMARY KEY (go_item_id, rust_test)
);

-- Counts per area, kind and status: `SELECT * FROM progress WHERE area = 'raft'`.
CREATE VIEW IF NOT EXISTS progress AS
    SELECT area, kind, status, count(*) AS n
    FROM go_items
    GROUP BY area, kind, status;

-- memvault schema version 4: import links and import runs.
--
-- Each record taken from another store is linked to the memory it became, with a hash of what
-- it held: a re-run imports nothing twice and updates what changed, and verify can compare the
-- two record by record. A run's checkpoint lets a killed import continue where it stopped.

CREATE TABLE import_links (
    source      TEXT NOT NULL,               -- e.g. mysql://127.0.0.1:3306/test/notes
    source_id   TEXT NOT NULL,
    memory_id   TEXT NOT NULL,
    record_hash TEXT NOT NULL,               -- of the mapped source record
    vector      TEXT NOT NULL CHECK (vector IN ('carried', 'embedded', 'none')),
    imported_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (source, source_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX import_links_by_memory ON import_links(memory_id);

CREATE TABLE import_runs (
    source      TEXT PRIMARY KEY,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    checkpoint  TEXT,                        -- resume after this (set while running)
    imported    INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

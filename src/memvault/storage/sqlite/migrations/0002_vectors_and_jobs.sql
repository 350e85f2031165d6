-- memvault schema version 2: vault settings, the embedding job queue, vector bookkeeping.
--
-- The vectors themselves live in a sqlite-vec ``vec0`` table, ``memory_vectors``, created when
-- the first vector arrives: its column type (float32 / int8 / bit and the width) is only known
-- then. ``vector_config`` records which model made them, so a model change is caught.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE vector_config (
    id          INTEGER PRIMARY KEY CHECK (id = 1),   -- one row per vault
    model_id    TEXT NOT NULL,
    dimensions  INTEGER NOT NULL CHECK (dimensions > 0),
    storage     TEXT NOT NULL CHECK (storage IN ('float32', 'int8', 'bit')),
    int8_scale  REAL,                                  -- value * scale rounds to int8
    generation  INTEGER NOT NULL DEFAULT 1,            -- bumped when vectors are thrown away
    created_at  TEXT NOT NULL
) STRICT;

-- Every vector written or removed, in order, so each process's in-memory index can catch up
-- with changes made by other processes by reading only what is new.
CREATE TABLE vector_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    memory_pk  INTEGER NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('put', 'del'))
) STRICT;

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('embed')),
    memory_pk    INTEGER NOT NULL REFERENCES memories(pk) ON DELETE CASCADE,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    not_before   REAL NOT NULL DEFAULT 0,     -- unix time; retry backoff
    lease_owner  TEXT,                        -- host:pid:token of the claiming worker
    lease_until  REAL,                        -- unix time the claim expires
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX jobs_by_state ON jobs(state, not_before);
-- The claim order: fresh jobs oldest first, read straight off this index with no sort.
CREATE INDEX jobs_claim_order ON jobs(state, attempts, id);
CREATE INDEX jobs_by_memory ON jobs(memory_pk);
-- At most one open job per memory: re-queueing an already queued memory is a no-op.
CREATE UNIQUE INDEX jobs_one_open ON jobs(kind, memory_pk) WHERE state IN ('queued', 'running');

-- Document frequencies of indexed terms, read by keyword search to keep a query's cost bounded
-- in large vaults (see storage/sqlite/keyword.py).
CREATE VIRTUAL TABLE memories_fts_vocab USING fts5vocab(memories_fts, 'row');

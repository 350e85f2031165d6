-- memvault schema version 5: the session layer.
--
-- Sessions belong to a user, a project and an agent; conversations belong to a session; a
-- message is a memory (kind 'message', with session_pk set) so that keyword search, vectors,
-- the embed queue and fusion serve it like any memory, and `messages` holds what only a
-- message has. Handoffs say where a session's work stopped. Costs, agent interactions,
-- routing decisions and metrics are telemetry of a session, kept in the database only.

CREATE TABLE sessions (
    pk             INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    user           TEXT,
    project        TEXT,
    agent          TEXT,
    title          TEXT,
    status         TEXT NOT NULL CHECK (status IN ('active', 'paused', 'ended', 'archived')),
    started_at     TEXT NOT NULL,
    last_active_at TEXT NOT NULL,
    ended_at       TEXT,
    metadata       TEXT NOT NULL DEFAULT '{}'
) STRICT;
-- Active sessions of a user, newest first; sessions of a project, newest first.
CREATE INDEX sessions_active_by_user ON sessions(user, last_active_at DESC)
    WHERE status = 'active';
CREATE INDEX sessions_by_project ON sessions(project, last_active_at DESC);
CREATE INDEX sessions_by_status ON sessions(status, last_active_at);

CREATE TABLE conversations (
    pk         INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    session_pk INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    title      TEXT,
    started_at TEXT NOT NULL,
    metadata   TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX conversations_by_session ON conversations(session_pk, started_at);

-- A message's memory row points at its session. No cascade on purpose: a memory has keyword
-- and vector rows that only the engine's code removes, so a session is deleted message by
-- message first (a plain DELETE of a session with messages fails instead of leaving orphans).
ALTER TABLE memories ADD COLUMN session_pk INTEGER REFERENCES sessions(pk);
CREATE INDEX memories_by_session ON memories(session_pk) WHERE session_pk IS NOT NULL;

-- Memories of their own that are current, by kind and by importance: what the context pack
-- lists (recent decisions and lessons, preferences, important memories) without a scan.
CREATE INDEX memories_own_by_kind ON memories(kind, namespace, pk)
    WHERE valid_to IS NULL AND chunk_of IS NULL AND session_pk IS NULL;
CREATE INDEX memories_own_by_importance ON memories(namespace, importance)
    WHERE valid_to IS NULL AND chunk_of IS NULL AND session_pk IS NULL;

-- The same words may be said twice in a conversation: dedup covers memories of their own only.
DROP INDEX memories_current_content;
CREATE UNIQUE INDEX memories_current_content ON memories(namespace, content_hash)
    WHERE valid_to IS NULL AND chunk_of IS NULL AND session_pk IS NULL;

CREATE TABLE messages (
    memory_pk       INTEGER PRIMARY KEY REFERENCES memories(pk) ON DELETE CASCADE,
    conversation_pk INTEGER NOT NULL REFERENCES conversations(pk) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
    tokens          INTEGER NOT NULL CHECK (tokens >= 0),
    summarised      INTEGER NOT NULL DEFAULT 0 CHECK (summarised IN (0, 1)),
    position        INTEGER NOT NULL  -- order within the session, as logged or as in its file
) STRICT;
-- Recent messages of a conversation, and the ones not yet summarised.
CREATE INDEX messages_by_conversation ON messages(conversation_pk, position);
CREATE INDEX messages_unsummarised ON messages(conversation_pk, position)
    WHERE summarised = 0;

CREATE TABLE handoffs (
    pk             INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    session_pk     INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    done           TEXT NOT NULL,
    stopped_at     TEXT,
    next_steps     TEXT NOT NULL DEFAULT '[]',
    open_questions TEXT NOT NULL DEFAULT '[]',
    touched        TEXT NOT NULL DEFAULT '[]',
    created_at     TEXT NOT NULL
) STRICT;
CREATE INDEX handoffs_by_session ON handoffs(session_pk, created_at);

CREATE TABLE costs (
    pk            INTEGER PRIMARY KEY,
    session_pk    INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    model         TEXT NOT NULL,
    input_tokens  INTEGER NOT NULL CHECK (input_tokens >= 0),
    output_tokens INTEGER NOT NULL CHECK (output_tokens >= 0),
    usd           REAL NOT NULL CHECK (usd >= 0),
    created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX costs_by_session ON costs(session_pk);
CREATE INDEX costs_by_created ON costs(created_at);

CREATE TABLE agent_interactions (
    pk         INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    session_pk INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    agent      TEXT NOT NULL,
    task       TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    outcome    TEXT,
    tokens     INTEGER NOT NULL DEFAULT 0 CHECK (tokens >= 0)
) STRICT;
CREATE INDEX agent_interactions_by_session ON agent_interactions(session_pk, started_at);

CREATE TABLE routing_decisions (
    pk         INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    session_pk INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
    router     TEXT NOT NULL,
    chosen     TEXT NOT NULL,
    reason     TEXT,
    confidence REAL CHECK (confidence IS NULL OR confidence BETWEEN 0 AND 1),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX routing_decisions_by_session ON routing_decisions(session_pk, created_at);

CREATE TABLE metrics (
    pk         INTEGER PRIMARY KEY,
    session_pk INTEGER REFERENCES sessions(pk) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      REAL NOT NULL,
    labels     TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX metrics_by_name ON metrics(name, created_at);

-- Session files live in the Markdown folder beside notes and memory files: `files` learns the
-- kind. SQLite cannot change a CHECK in place, so `files` and the two tables that point at it
-- are rebuilt (the new tables are created, filled and renamed; renaming `files_new` also
-- renames the references of the new link tables, so nothing is ever cascaded away).
CREATE TABLE files_new (
    pk           INTEGER PRIMARY KEY,
    root         TEXT NOT NULL,
    path         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('memory', 'note', 'document', 'session')),
    record_id    TEXT NOT NULL,
    namespace    TEXT NOT NULL,
    title        TEXT,
    tags         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
    front_matter TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(front_matter)),
    content_hash TEXT NOT NULL,
    size         INTEGER NOT NULL,
    mtime_ns     INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (root, path)
) STRICT;
INSERT INTO files_new SELECT * FROM files;
CREATE TABLE note_keys_new (
    key     TEXT NOT NULL,
    file_pk INTEGER NOT NULL REFERENCES files_new(pk) ON DELETE CASCADE,
    PRIMARY KEY (key, file_pk)
) STRICT, WITHOUT ROWID;
INSERT INTO note_keys_new SELECT * FROM note_keys;
CREATE TABLE links_new (
    file_pk  INTEGER NOT NULL REFERENCES files_new(pk) ON DELETE CASCADE,
    target   TEXT NOT NULL,
    relation TEXT NOT NULL,
    line     INTEGER,
    PRIMARY KEY (file_pk, target, relation)
) STRICT, WITHOUT ROWID;
INSERT INTO links_new SELECT * FROM links;
DROP TABLE links;
DROP TABLE note_keys;
DROP TABLE files;
ALTER TABLE files_new RENAME TO files;
ALTER TABLE note_keys_new RENAME TO note_keys;
ALTER TABLE links_new RENAME TO links;
CREATE INDEX files_by_record ON files(record_id);
CREATE INDEX files_by_kind_updated ON files(kind, updated_at);
CREATE INDEX note_keys_by_file ON note_keys(file_pk);
CREATE INDEX links_by_target ON links(target);

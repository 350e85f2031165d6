-- memvault schema version 3: the Markdown vault and ingested files.
--
-- The vault's files are the truth; these tables record what the index was built from, so a
-- sync re-reads only files whose size, time or hash changed, and so a chunk can point back to
-- its file and lines.

-- Every file the index was built from: memory files and notes in the vault (root ''), and the
-- files of `memvault index` runs (root = the absolute folder that was indexed).
CREATE TABLE files (
    pk           INTEGER PRIMARY KEY,
    root         TEXT NOT NULL,
    path         TEXT NOT NULL,                 -- posix, relative to root
    kind         TEXT NOT NULL CHECK (kind IN ('memory', 'note', 'document')),
    record_id    TEXT NOT NULL,                 -- the memory's id, or the note's / document's id
    namespace    TEXT NOT NULL,
    title        TEXT,
    tags         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
    front_matter TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(front_matter)),
    content_hash TEXT NOT NULL,                 -- sha256 of the file's bytes
    size         INTEGER NOT NULL,
    mtime_ns     INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (root, path)
) STRICT;
CREATE INDEX files_by_record ON files(record_id);
CREATE INDEX files_by_kind_updated ON files(kind, updated_at);

-- The names a [[wiki link]] may use for a note: its title, its path, its file name.
CREATE TABLE note_keys (
    key     TEXT NOT NULL,
    file_pk INTEGER NOT NULL REFERENCES files(pk) ON DELETE CASCADE,
    PRIMARY KEY (key, file_pk)
) STRICT, WITHOUT ROWID;
CREATE INDEX note_keys_by_file ON note_keys(file_pk);

-- Links written in notes, by key: a link to a note that does not exist yet resolves as soon
-- as a note with that key appears, with nothing to update.
CREATE TABLE links (
    file_pk  INTEGER NOT NULL REFERENCES files(pk) ON DELETE CASCADE,
    target   TEXT NOT NULL,
    relation TEXT NOT NULL,
    line     INTEGER,
    PRIMARY KEY (file_pk, target, relation)
) STRICT, WITHOUT ROWID;
CREATE INDEX links_by_target ON links(target);

-- Chunks of notes and ingested files are memories too (one keyword index, one vector index,
-- one job queue); these columns say where a chunk came from.
ALTER TABLE memories ADD COLUMN chunk_of INTEGER;   -- files.pk; NULL for a memory of its own
ALTER TABLE memories ADD COLUMN line_start INTEGER;
ALTER TABLE memories ADD COLUMN line_end INTEGER;
ALTER TABLE memories ADD COLUMN heading TEXT;
ALTER TABLE memories ADD COLUMN page INTEGER;
CREATE INDEX memories_by_chunk_of ON memories(chunk_of) WHERE chunk_of IS NOT NULL;

-- Dedup applies to memories of their own; two files may well contain the same paragraph.
DROP INDEX memories_current_content;
CREATE UNIQUE INDEX memories_current_content
    ON memories(namespace, content_hash) WHERE valid_to IS NULL AND chunk_of IS NULL;

-- Vault files a process is about to write. Marked before the database changes and cleared
-- once the file is written: after a crash, the next process finishes the marks of dead owners
-- (render a memory file from the database, or index a note from its file), so the vault and
-- the index never disagree.
CREATE TABLE vault_pending (
    path      TEXT PRIMARY KEY,                 -- vault-relative
    action    TEXT NOT NULL CHECK (action IN ('render', 'index')),
    record_id TEXT,                             -- the memory to render
    owner     TEXT NOT NULL                     -- host:pid:token
) STRICT;

-- Runs of `memvault index`, with progress any process can read (`memvault jobs`).
CREATE TABLE index_runs (
    id          INTEGER PRIMARY KEY,
    root        TEXT NOT NULL,
    namespace   TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    owner       TEXT NOT NULL,
    files_total INTEGER NOT NULL DEFAULT 0,
    files_done  INTEGER NOT NULL DEFAULT 0,
    chunks      INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    started_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX index_runs_by_state ON index_runs(state, id);

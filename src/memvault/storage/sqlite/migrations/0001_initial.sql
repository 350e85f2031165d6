-- memvault schema version 1: memories, their tags, the keyword index, edges, validation events.

CREATE TABLE memories (
    pk            INTEGER PRIMARY KEY,           -- rowid alias; also the keyword index's rowid
    id            TEXT NOT NULL UNIQUE,          -- UUIDv7, the public id
    content       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    namespace     TEXT NOT NULL,
    importance    REAL NOT NULL CHECK (importance BETWEEN 0.0 AND 1.0),
    confidence    REAL NOT NULL CHECK (confidence BETWEEN 0.0 AND 1.0),
    source        TEXT,
    content_hash  TEXT NOT NULL,
    metadata      TEXT NOT NULL DEFAULT '{}'
                  CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    accessed_at   TEXT,
    access_count  INTEGER NOT NULL DEFAULT 0,
    valid_from    TEXT NOT NULL,
    valid_to      TEXT,                          -- set when superseded; NULL while current
    superseded_by TEXT REFERENCES memories(id) ON DELETE SET NULL
) STRICT;

-- Dedup: one current memory per content in a namespace. History (superseded rows) may repeat.
CREATE UNIQUE INDEX memories_current_content
    ON memories(namespace, content_hash) WHERE valid_to IS NULL;
CREATE INDEX memories_by_namespace_created ON memories(namespace, created_at);
CREATE INDEX memories_by_created ON memories(created_at);
CREATE INDEX memories_by_kind ON memories(kind);

CREATE TABLE memory_tags (
    memory_pk INTEGER NOT NULL REFERENCES memories(pk) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    PRIMARY KEY (memory_pk, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX memory_tags_by_tag ON memory_tags(tag, memory_pk);

-- Keyword index. Contentless: the text lives once, in memories.content. The aliases column
-- holds the code-aware extra words (see memvault/text.py), weighted below the text itself.
CREATE VIRTUAL TABLE memories_fts USING fts5(
    content, aliases,
    content='', contentless_delete=1,
    tokenize='porter unicode61 remove_diacritics 2'
);
INSERT INTO memories_fts(memories_fts, rank) VALUES ('rank', 'bm25(1.0, 0.5)');

CREATE TABLE edges (
    pk         INTEGER PRIMARY KEY,
    source_id  TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
    target_id  TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
    relation   TEXT NOT NULL,
    weight     REAL NOT NULL DEFAULT 1.0,
    metadata   TEXT NOT NULL DEFAULT '{}'
               CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
    created_at TEXT NOT NULL,
    UNIQUE (source_id, target_id, relation)
) STRICT;
CREATE INDEX edges_by_target ON edges(target_id);

CREATE TABLE validation_events (
    pk                INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    memory_id         TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
    verdict           TEXT NOT NULL CHECK (verdict IN ('confirm', 'use', 'refute')),
    actor             TEXT,
    note              TEXT,
    confidence_before REAL NOT NULL,
    confidence_after  REAL NOT NULL,
    created_at        TEXT NOT NULL
) STRICT;
CREATE INDEX validation_events_by_memory ON validation_events(memory_id, created_at);

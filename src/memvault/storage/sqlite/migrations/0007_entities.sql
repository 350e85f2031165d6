-- Entities (docs/entities.md): who and what memories mention, found without a model. Each key
-- once, named by its first spelling; a link keeps the name and kind its memory used and their
-- position, so a memory reads back exactly the entities its file lists. An entity no memory
-- mentions any more stays (a key is cheap, and counts come from the links).
CREATE TABLE entities (
    pk   INTEGER PRIMARY KEY,
    key  TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL
) STRICT;

CREATE TABLE memory_entities (
    memory_pk INTEGER NOT NULL REFERENCES memories(pk) ON DELETE CASCADE,
    entity_pk INTEGER NOT NULL REFERENCES entities(pk),
    position  INTEGER NOT NULL,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    PRIMARY KEY (memory_pk, entity_pk)
) STRICT, WITHOUT ROWID;
CREATE INDEX memory_entities_by_entity ON memory_entities(entity_pk, memory_pk);

"""SQL for import links and runs, vectors carried over from a source, and restored records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import apsw
import numpy as np

from memvault.core.import_records import ImportLink, ImportRun
from memvault.core.times import now_iso
from memvault.core.vector_records import VectorConfig, VectorStorage
from memvault.storage.sqlite import jobs, memory_rows, vectors

if TYPE_CHECKING:
    from memvault.storage.roles import Matrix


def links(conn: apsw.Connection, source: str, source_ids: Sequence[str]) -> dict[str, ImportLink]:
    rows = conn.execute(
        "SELECT source, source_id, memory_id, record_hash, vector FROM import_links"
        " WHERE source = ? AND source_id IN (SELECT value FROM json_each(?))",
        (source, json.dumps(list(source_ids))),
    )
    return {str(row[1]): ImportLink(*row) for row in rows}


def put_links(conn: apsw.Connection, found: Sequence[ImportLink]) -> None:
    at = now_iso()
    conn.executemany(
        "INSERT INTO import_links(source, source_id, memory_id, record_hash, vector,"
        " imported_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(source, source_id) DO UPDATE SET memory_id = excluded.memory_id,"
        " record_hash = excluded.record_hash, vector = excluded.vector,"
        " updated_at = excluded.updated_at",
        [(k.source, k.source_id, k.memory_id, k.record_hash, k.vector, at, at) for k in found],
    )


def link_count(conn: apsw.Connection, source: str) -> int:
    row = conn.execute("SELECT count(*) FROM import_links WHERE source = ?", (source,)).fetchone()
    return int(row[0]) if row else 0


def get_run(conn: apsw.Connection, source: str) -> ImportRun | None:
    row = conn.execute(
        "SELECT source, state, checkpoint, imported, updated, unchanged, failed"
        " FROM import_runs WHERE source = ?",
        (source,),
    ).fetchone()
    return None if row is None else ImportRun(*row)


def save_run(conn: apsw.Connection, run: ImportRun) -> None:
    at = now_iso()
    conn.execute(
        "INSERT INTO import_runs(source, state, checkpoint, imported, updated, unchanged, failed,"
        " started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(source) DO UPDATE SET state = excluded.state,"
        " checkpoint = excluded.checkpoint, imported = excluded.imported,"
        " updated = excluded.updated, unchanged = excluded.unchanged, failed = excluded.failed,"
        " updated_at = excluded.updated_at",
        (
            run.source,
            run.state,
            run.checkpoint,
            run.imported,
            run.updated,
            run.unchanged,
            run.failed,
            at,
            at,
        ),
    )


def carry(
    conn: apsw.Connection,
    memory_ids: Sequence[str],
    model_id: str,
    storage: VectorStorage,
    matrix: Matrix,
) -> int:
    """Store vectors that came with the source and settle the memories' embed jobs."""
    pks = [memory_rows.pk_of(conn, memory_id) for memory_id in memory_ids]
    rows = [i for i, pk in enumerate(pks) if pk is not None]
    if not rows:
        return 0
    config = vectors.ensure_config(conn, model_id, int(matrix.shape[1]), storage, matrix[rows])
    chosen = [pks[i] for i in rows]
    vectors.put(conn, config, [pk for pk in chosen if pk is not None], matrix[rows])
    jobs.settle(conn, [pk for pk in chosen if pk is not None])
    return len(rows)


def vectors_of(conn: apsw.Connection, memory_ids: Sequence[str]) -> dict[str, Matrix]:
    """Stored vectors, decoded to float32 (int8 scaled back; bit codes as ±1)."""
    config = vectors.read_config(conn)
    if config is None:
        return {}
    pks = {memory_rows.pk_of(conn, memory_id): memory_id for memory_id in memory_ids}
    blobs = vectors.vectors_for(conn, [pk for pk in pks if pk is not None])
    return {pks[pk]: decode(config, blob) for pk, blob in blobs.items()}


def decode(config: VectorConfig, blob: bytes) -> Matrix:
    if config.storage is VectorStorage.FLOAT32:
        return np.frombuffer(blob, dtype="<f4").astype(np.float32)
    if config.storage is VectorStorage.INT8:
        assert config.int8_scale is not None
        return (np.frombuffer(blob, dtype=np.int8) / config.int8_scale).astype(np.float32)
    bits = np.unpackbits(np.frombuffer(blob, dtype=np.uint8), bitorder="little")
    return (bits[: config.dimensions].astype(np.float32) * 2 - 1).astype(np.float32)

"""Vectors in the same SQLite file, through sqlite-vec.

The ``memory_vectors`` vec0 table holds one vector per memory (its rowid is the memory's ``pk``)
in the element type the vault chose: float32, int8 or bit. sqlite-vec validates the type and
width of every vector written and computes exact distances for filtered searches; the fast
unfiltered path is the in-process index in ``vector_index.py``, built from this table.

vec0 ignores ``INSERT OR REPLACE`` (it would leave orphans), so a vector is always deleted and
inserted. Every change is also appended to ``vector_log`` for the other processes' indexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import apsw

from memvault.core.errors import InvalidInputError, ModelMismatchError
from memvault.core.times import now_iso
from memvault.core.vector_records import VectorConfig, VectorStorage
from memvault.storage.sqlite.connection import Row

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Matrix = npt.NDArray[np.float32]

TABLE = "memory_vectors"
_GENERATION_KEY = "vector_generation"
# The log only has to reach back as far as the slowest process's index; one that fell further
# behind simply reloads everything from the vector table.
LOG_KEEP = 50_000
_PRUNE_EVERY = 1_000
# int8 codes: unit-vector components are small (about 1/sqrt(d)), so a fixed 'unit' scale of
# 127 wastes most of the range and measurably loses recall. Clip at this many standard
# deviations of a random unit vector's component instead, or at the data's own extreme.
_INT8_SIGMAS = 5.0


# --- configuration ------------------------------------------------------------------------------
def read_config(conn: apsw.Connection) -> VectorConfig | None:
    row: Row | None = conn.execute(
        "SELECT model_id, dimensions, storage, int8_scale FROM vector_config WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    return VectorConfig(str(row[0]), int(row[1]), VectorStorage(row[2]), row[3])


def identity(conn: apsw.Connection) -> str | None:
    """When this vault's vectors began (the config row's time): tells one database's vectors
    from another's, e.g. for a cached index snapshot."""
    row = conn.execute("SELECT created_at FROM vector_config WHERE id = 1").fetchone()
    return None if row is None else str(row[0])


def oldest_seq(conn: apsw.Connection) -> int:
    row = conn.execute("SELECT coalesce(min(seq), 0) FROM vector_log").fetchone()
    return int(row[0]) if row else 0


def generation(conn: apsw.Connection) -> int:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (_GENERATION_KEY,)).fetchone()
    return int(row[0]) if row else 0


def ensure_config(
    conn: apsw.Connection,
    model_id: str,
    dimensions: int,
    storage: VectorStorage,
    sample: Matrix,
) -> VectorConfig:
    """The vault's vector config, created (with its vec0 table) by the first vectors written."""
    config = read_config(conn)
    if config is not None:
        if (config.model_id, config.dimensions) != (model_id, dimensions):
            raise mismatch(config, model_id, dimensions)
        return config
    scale = int8_scale(sample, dimensions) if storage is VectorStorage.INT8 else None
    element = {"float32": "float", "int8": "int8", "bit": "bit"}[storage.value]
    conn.execute(f"CREATE VIRTUAL TABLE {TABLE} USING vec0(embedding {element}[{dimensions}])")
    conn.execute(
        "INSERT INTO vector_config(id, model_id, dimensions, storage, int8_scale, created_at)"
        " VALUES (1, ?, ?, ?, ?, ?)",
        (model_id, dimensions, storage.value, scale, now_iso()),
    )
    return VectorConfig(model_id, dimensions, storage, scale)


def mismatch(config: VectorConfig, model_id: str, dimensions: int | None) -> ModelMismatchError:
    return ModelMismatchError.between(config.model_id, config.dimensions, model_id, dimensions)


def reset(conn: apsw.Connection) -> None:
    """Throw every vector away (for a re-embed): drop the table, forget the model."""
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.execute("DELETE FROM vector_config")
    conn.execute("DELETE FROM vector_log")
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        (_GENERATION_KEY, "1"),
    )


# --- encoding -----------------------------------------------------------------------------------
def int8_scale(sample: Matrix, dimensions: int) -> float:
    import numpy as np  # on use: a keyword-only process never loads numpy

    typical = _INT8_SIGMAS / np.sqrt(dimensions)
    observed = float(np.max(np.abs(sample))) if sample.size else 0.0
    return float(127.0 / max(typical, min(observed, 1.0)))


def encode(config: VectorConfig, vectors: Matrix) -> list[bytes]:
    import numpy as np

    if config.storage is VectorStorage.FLOAT32:
        return [row.astype("<f4").tobytes() for row in vectors]
    if config.storage is VectorStorage.INT8:
        assert config.int8_scale is not None
        codes = np.clip(np.rint(vectors * config.int8_scale), -127, 127).astype(np.int8)
        return [row.tobytes() for row in codes]
    bits = np.packbits(vectors > 0, axis=1, bitorder="little")  # sqlite-vec's bit order
    return [row.tobytes() for row in bits]


def sql_value(config: VectorConfig) -> str:
    """The SQL expression that turns a bound blob into a vector of the vault's element type."""
    return {"float32": "?", "int8": "vec_int8(?)", "bit": "vec_bit(?)"}[config.storage.value]


# --- reads and writes ---------------------------------------------------------------------------
def table_exists(conn: apsw.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_schema WHERE name = ?", (TABLE,)).fetchone()
    return row is not None


def put(conn: apsw.Connection, config: VectorConfig, pks: Sequence[int], vectors: Matrix) -> None:
    """Store (replace) the vectors of these memories. A vector with NaN or infinity is refused:
    stored, it would turn every score it takes part in into NaN."""
    import numpy as np

    if not np.isfinite(vectors).all():
        raise InvalidInputError("a vector holds NaN or infinity; none of this batch was stored")
    blobs = encode(config, vectors)
    conn.executemany(f"DELETE FROM {TABLE} WHERE rowid = ?", [(pk,) for pk in pks])
    conn.executemany(
        f"INSERT INTO {TABLE}(rowid, embedding) VALUES (?, {sql_value(config)})",
        list(zip(pks, blobs, strict=True)),
    )
    conn.executemany(
        "INSERT INTO vector_log(memory_pk, op) VALUES (?, 'put')", [(pk,) for pk in pks]
    )
    if last_seq(conn) % _PRUNE_EVERY < len(pks):
        prune_log(conn, keep=LOG_KEEP)


def delete(conn: apsw.Connection, pk: int) -> None:
    if not table_exists(conn):
        return
    conn.execute(f"DELETE FROM {TABLE} WHERE rowid = ?", (pk,))
    conn.execute("INSERT INTO vector_log(memory_pk, op) VALUES (?, 'del')", (pk,))


def vector_pks(conn: apsw.Connection) -> set[int]:
    if not table_exists(conn):
        return set()
    return {int(r[0]) for r in conn.execute(f"SELECT rowid FROM {TABLE}")}


def count(conn: apsw.Connection) -> int:
    if not table_exists(conn):
        return 0
    row = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
    return int(row[0]) if row else 0


def all_vectors(conn: apsw.Connection) -> tuple[list[int], list[bytes]]:
    pks: list[int] = []
    blobs: list[bytes] = []
    if table_exists(conn):
        for pk, blob in conn.execute(f"SELECT rowid, embedding FROM {TABLE}"):
            pks.append(int(pk))
            blobs.append(bytes(blob))
    return pks, blobs


def vectors_for(conn: apsw.Connection, pks: Sequence[int]) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    for pk in pks:
        row = conn.execute(f"SELECT embedding FROM {TABLE} WHERE rowid = ?", (pk,)).fetchone()
        if row is not None:
            found[pk] = bytes(row[0])
    return found


def last_seq(conn: apsw.Connection) -> int:
    row = conn.execute("SELECT coalesce(max(seq), 0) FROM vector_log").fetchone()
    return int(row[0]) if row else 0


def changes_since(conn: apsw.Connection, seq: int) -> tuple[int, list[tuple[int, int, str]]]:
    """(oldest seq still logged, changes after ``seq``)."""
    oldest_row = conn.execute("SELECT coalesce(min(seq), 0) FROM vector_log").fetchone()
    oldest = int(oldest_row[0]) if oldest_row else 0
    rows: list[Row] = conn.execute(
        "SELECT seq, memory_pk, op FROM vector_log WHERE seq > ? ORDER BY seq", (seq,)
    ).fetchall()
    return oldest, [(int(s), int(pk), str(op)) for s, pk, op in rows]


def prune_log(conn: apsw.Connection, keep: int) -> None:
    """Bound the log; an index that fell further behind than ``keep`` reloads in full."""
    conn.execute(
        "DELETE FROM vector_log WHERE seq <= (SELECT max(seq) FROM vector_log) - ?", (keep,)
    )


def decode(config: VectorConfig, blob: bytes) -> Matrix:
    """A stored vector as float32: int8 scaled back, bit codes as ±1."""
    import numpy as np

    if config.storage is VectorStorage.FLOAT32:
        return np.frombuffer(blob, dtype="<f4").astype(np.float32)
    if config.storage is VectorStorage.INT8:
        assert config.int8_scale is not None
        return (np.frombuffer(blob, dtype=np.int8) / config.int8_scale).astype(np.float32)
    bits = np.unpackbits(np.frombuffer(blob, dtype=np.uint8), bitorder="little")
    return (bits[: config.dimensions].astype(np.float32) * 2 - 1).astype(np.float32)


def non_finite(conn: apsw.Connection, config: VectorConfig) -> int:
    """How many stored vectors hold NaN or infinity (only float32 storage can)."""
    if config.storage is not VectorStorage.FLOAT32 or not table_exists(conn):
        return 0
    _, blobs = all_vectors(conn)
    size = config.dimensions * 4
    whole = [blob for blob in blobs if len(blob) == size]  # a wrong width is counted apart
    if not whole:
        return 0
    import numpy as np

    matrix = np.frombuffer(b"".join(whole), dtype="<f4").reshape(len(whole), config.dimensions)
    return int((~np.isfinite(matrix).all(axis=1)).sum())

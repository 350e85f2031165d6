"""The vectors of a vault's memories in pgvector, and the rows other roles' transactions share.

The table (``memory_vectors``) is made for the vault's model and storage when its vector config
is first set, since a pgvector column has a fixed width; before that there is none. Its rows go
with their memory by cascade. One column type per storage, each with its HNSW opclass:

- ``float32``: ``vector(d)``, cosine distance.
- ``int8``: pgvector has no 8-bit type, so the int8 *codes* themselves (``round(x * scale)``,
  -127..127) are kept in a ``halfvec(d)``: every integer of that range is exact in half
  precision, so the stored values are exactly SQLite's codes, cosine distance on them is exactly
  what sqlite-vec computes on its ``int8[d]`` column (cosine ignores the scale), and they decode
  (``code / scale``) to the very floats SQLite returns. Storing the dequantised floats instead
  would round them differently in ``halfvec`` (or cost 4 bytes a component in ``vector``); the
  codes cost 2 bytes, where SQLite's cost 1.
- ``bit``: ``bit(d)`` of the signs, Hamming distance.

Unlike SQLite there is no change log: every process searches the same table, through
PostgreSQL's own index, so nothing in memory has to be kept current. ``generation`` (how many
times the vectors were reset) is kept as in SQLite, in ``settings``.

The statements that read the vector column are never prepared: after a reset the column may
come back with another type, and a plan cached on a pooled connection for the old one would
fail ("cached plan must not change result type").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import psycopg

from memvault.core.errors import InvalidInputError, ModelMismatchError
from memvault.core.times import now_iso
from memvault.core.vector_records import VectorConfig, VectorStorage

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Matrix = npt.NDArray[np.float32]

Connection = psycopg.Connection[Any]
TABLE = "memory_vectors"
INDEX = "memory_vectors_hnsw"
_GENERATION_KEY = "vector_generation"
# int8 codes: unit-vector components are small (about 1/sqrt(d)), so a fixed 'unit' scale of
# 127 wastes most of the range and measurably loses recall. Clip at this many standard
# deviations of a random unit vector's component instead, or at the data's own extreme.
_INT8_SIGMAS = 5.0
# storage -> (column type, HNSW opclass, distance operator, widest column HNSW can index)
KINDS: dict[VectorStorage, tuple[str, str, str, int]] = {
    VectorStorage.FLOAT32: ("vector", "vector_cosine_ops", "<=>", 2_000),
    VectorStorage.INT8: ("halfvec", "halfvec_cosine_ops", "<=>", 4_000),
    VectorStorage.BIT: ("bit", "bit_hamming_ops", "<~>", 64_000),
}


# --- configuration ------------------------------------------------------------------------------
def read_config(conn: Connection) -> VectorConfig | None:
    row = conn.execute(
        "SELECT model_id, dimensions, storage, int8_scale FROM vector_config WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    return VectorConfig(str(row[0]), int(row[1]), VectorStorage(row[2]), row[3])


def generation(conn: Connection) -> int:
    row = conn.execute("SELECT value FROM settings WHERE key = %s", (_GENERATION_KEY,)).fetchone()
    return int(row[0]) if row else 0


def ensure_config(
    conn: Connection, model_id: str, dimensions: int, storage: VectorStorage, sample: Matrix
) -> VectorConfig:
    """The vault's vector config, created (with its table and index) by the first vectors.

    Two servers may store the first vectors at once: the one that gets the advisory lock first
    creates the table, and the other, which waited for it (each statement of ``READ COMMITTED``
    sees what committed before it), finds the config and uses it."""
    config = read_config(conn)
    if config is None:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':vectors'))")
        config = read_config(conn)
    if config is not None:
        if (config.model_id, config.dimensions) != (model_id, dimensions):
            raise mismatch(config, model_id, dimensions)
        return config
    scale = int8_scale(sample, dimensions) if storage is VectorStorage.INT8 else None
    column, opclass, _, widest = KINDS[storage]
    conn.execute(
        f"CREATE TABLE {TABLE} (memory_pk bigint PRIMARY KEY"
        f" REFERENCES memories(pk) ON DELETE CASCADE, embedding {column}({dimensions}) NOT NULL)"
    )
    if dimensions <= widest:  # wider vectors are searched exactly, with no index
        conn.execute(f"CREATE INDEX {INDEX} ON {TABLE} USING hnsw (embedding {opclass})")
    conn.execute(
        "INSERT INTO vector_config(id, model_id, dimensions, storage, int8_scale, created_at)"
        " VALUES (1, %s, %s, %s, %s, %s)",
        (model_id, dimensions, storage.value, scale, now_iso()),
    )
    return VectorConfig(model_id, dimensions, storage, scale)


def mismatch(config: VectorConfig, model_id: str, dimensions: int | None) -> ModelMismatchError:
    return ModelMismatchError.between(config.model_id, config.dimensions, model_id, dimensions)


def reset(conn: Connection) -> None:
    """Throw every vector away (for a re-embed): drop the table, forget the model."""
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.execute("DELETE FROM vector_config")
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (%s, '1')"
        " ON CONFLICT(key) DO UPDATE SET value = (settings.value::bigint + 1)::text",
        (_GENERATION_KEY,),
    )


def search_state(conn: Connection) -> tuple[VectorConfig | None, bool]:
    """The config, if there are vectors to search (their table exists), and whether they have an
    HNSW index: what a search asks first, in one round trip."""
    row = conn.execute(
        "SELECT model_id, dimensions, storage, int8_scale, to_regclass(%s) IS NOT NULL"
        " FROM vector_config WHERE id = 1 AND to_regclass(%s) IS NOT NULL",
        (INDEX, TABLE),
    ).fetchone()
    if row is None:
        return None, False
    return VectorConfig(str(row[0]), int(row[1]), VectorStorage(row[2]), row[3]), bool(row[4])


# --- encoding -----------------------------------------------------------------------------------
def int8_scale(sample: Matrix, dimensions: int) -> float:
    import numpy as np  # on use: a keyword-only process never loads numpy

    typical = _INT8_SIGMAS / np.sqrt(dimensions)
    observed = float(np.max(np.abs(sample))) if sample.size else 0.0
    return float(127.0 / max(typical, min(observed, 1.0)))


def encode(config: VectorConfig, vector: Matrix) -> object:
    """One vector as the value pgvector's adapters send for the vault's column type."""
    import numpy as np
    from pgvector import Bit, HalfVector, Vector

    if config.storage is VectorStorage.FLOAT32:
        return Vector(vector.astype(np.float32))
    if config.storage is VectorStorage.INT8:
        assert config.int8_scale is not None
        return HalfVector(np.clip(np.rint(vector * config.int8_scale), -127, 127))
    return Bit(np.asarray(vector > 0))


def decode(config: VectorConfig, value: Any) -> Matrix:
    """A stored vector as float32: int8 codes scaled back, bit codes as ±1."""
    import numpy as np

    if config.storage is VectorStorage.FLOAT32:
        return np.asarray(value.to_numpy(), dtype=np.float32)
    if config.storage is VectorStorage.INT8:
        assert config.int8_scale is not None
        codes = np.asarray(value.to_numpy(), dtype=np.int8)
        scaled: Matrix = (codes / config.int8_scale).astype(np.float32)
        return scaled
    bits = np.frombuffer(str(value).encode("ascii"), dtype=np.uint8) - ord("0")
    signs: Matrix = (bits[: config.dimensions].astype(np.float32) * 2 - 1).astype(np.float32)
    return signs


def use_types(conn: Connection) -> None:
    """pgvector's adapters on this connection, registered on its first use of a vector (the
    pool's connections are made without them: see ``connection.configure``)."""
    if conn.adapters.types.get("halfvec") is None:
        from pgvector.psycopg import register_vector

        register_vector(conn)


# --- reads and writes ---------------------------------------------------------------------------
def table_exists(conn: Connection) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,)).fetchone()
    return bool(row and row[0])


def put(conn: Connection, config: VectorConfig, pks: Sequence[int], vectors: Matrix) -> None:
    """Store (replace) the vectors of these memories. A vector with NaN or infinity is refused:
    pgvector would refuse it too, but only after part of the batch was sent."""
    import numpy as np

    if not np.isfinite(vectors).all():
        raise InvalidInputError("a vector holds NaN or infinity; none of this batch was stored")
    use_types(conn)
    rows = [(pk, encode(config, vector)) for pk, vector in zip(pks, vectors, strict=True)]
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {TABLE}(memory_pk, embedding) VALUES (%s, %b)"
            " ON CONFLICT (memory_pk) DO UPDATE SET embedding = excluded.embedding",
            rows,
        )


def delete(conn: Connection, pk: int) -> None:
    """The memory's vector (its text changed: a vector of the old text would mislead)."""
    if table_exists(conn):
        conn.execute(f"DELETE FROM {TABLE} WHERE memory_pk = %s", (pk,))


def vector_pks(conn: Connection) -> set[int]:
    if not table_exists(conn):
        return set()
    return {int(r[0]) for r in conn.execute(f"SELECT memory_pk FROM {TABLE}")}


def count(conn: Connection) -> int:
    if not table_exists(conn):
        return 0
    row = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
    return int(row[0]) if row else 0


def vectors_for(conn: Connection, config: VectorConfig, pks: Sequence[int]) -> dict[int, Matrix]:
    """The stored vectors of these memories (those that have one), decoded to float32."""
    if not pks or not table_exists(conn):
        return {}
    use_types(conn)
    column = "embedding::text" if config.storage is VectorStorage.BIT else "embedding"
    rows = conn.execute(
        f"SELECT memory_pk, {column} FROM {TABLE} WHERE memory_pk = ANY(%s)",
        (list(pks),),
        prepare=False,
    )
    return {int(pk): decode(config, value) for pk, value in rows}

"""The repair role of the PostgreSQL engine: rebuild what is derived from the memories.

As in the SQLite engine, everything here is recomputed from rows that are the truth
(``memories`` and ``files``), never the other way round, so a repair cannot lose a memory, a
note or a validation: the keyword rows are rebuilt from the memories' text, vectors that cannot
be right are dropped (their memories queued to be embedded again), and leases of workers that
are gone are released. There is no ``queue_lost_vectors``: see ``checks.vector_rows`` (a lost
vector cannot be told from a deleted one here, and memories without a vector are queued by
``enqueue_missing_embeddings``).
"""

from __future__ import annotations

from psycopg import sql

from memvault.core.times import now_iso
from memvault.storage.postgres import jobs, keyword_rows
from memvault.storage.postgres.checks import (
    VECTOR_TABLE,
    bad_vector_pks,
    count_of,
    read_config,
    stuck_job_ids,
    vector_table,
)
from memvault.storage.postgres.compact import own_connection
from memvault.storage.postgres.engine import Connection, PostgresEngine

BATCH = 1_000  # keyword rows per executemany


class PostgresRepair(PostgresEngine):
    def rebuild_keyword_index(self) -> int:
        """Empty the keyword rows and index every memory again (chunks with their file's title,
        path and heading, as a sync indexes them), in one transaction: a search meanwhile sees
        the old rows or the new, never none. Returns how many rows were written."""

        def job(conn: Connection) -> int:
            conn.execute("DELETE FROM memory_terms")
            rows = conn.execute(
                "SELECT m.pk, m.content, f.title, f.path, m.heading FROM memories m"
                " LEFT JOIN files f ON f.pk = m.chunk_of ORDER BY m.pk"
            ).fetchall()
            batch: list[tuple[int, str, str]] = []
            for pk, content, title, path, heading in rows:
                context = " ".join(filter(None, [title, path])) if path is not None else ""
                batch.append((int(pk), str(content), f"{context} {heading or ''}".strip()))
                if len(batch) >= BATCH:
                    keyword_rows.index_many(conn, batch)
                    batch = []
            keyword_rows.index_many(conn, batch)
            return len(rows)

        return self._write(job)

    def drop_bad_vectors(self, *, requeue: bool) -> int:
        """Delete vectors of no memory, with NaN or infinity, or of the wrong width; with
        ``requeue`` the memories among them get an embed job. Returns how many were deleted."""

        def job(conn: Connection) -> int:
            config = read_config(conn)
            table = vector_table(conn, self.schema)
            if config is None or table is None:
                return 0
            found = bad_vector_pks(conn, self.schema, config)
            bad = sorted(found["stray"] | found["wrong_width"] | found["non_finite"])
            conn.execute(sql.SQL("DELETE FROM {} WHERE memory_pk = ANY(%s)").format(table), (bad,))
            if requeue:
                jobs.enqueue(conn, [pk for pk in bad if pk not in found["stray"]])
            return len(bad)

        return self._write(job)

    def release_stuck_jobs(self) -> int:
        """Put back in the queue jobs whose lease ran out or whose local holder is gone (the
        rows are locked first, so a worker renewing its lease meanwhile is not undone)."""

        def job(conn: Connection) -> int:
            stuck = stuck_job_ids(conn, lock=True)
            conn.execute(
                "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL,"
                " updated_at = %s WHERE id = ANY(%s)",
                (now_iso(), stuck),
            )
            return len(stuck)

        return self._write(job)

    def rebuild_vector_snapshot(self) -> int:
        """Rebuild the vector index; returns the vectors in it.

        PostgreSQL keeps no snapshot of the index beside the data (the SQLite engine caches its
        in-process index in a file): the index is the table's own HNSW (or IVFFlat) index,
        which the server maintains and every process shares. So this rebuilds that index from
        the table (``REINDEX ... CONCURRENTLY``: searches and writes carry on meanwhile, which
        is why it runs on a connection of its own, outside a transaction), if there is one, and
        counts the vectors.
        """
        with own_connection(self._where) as conn:
            table = vector_table(conn, self.schema)
            if table is None:
                return 0
            indexes = conn.execute(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_am a ON a.oid = c.relam"
                " WHERE i.indrelid = to_regclass(format('%%I.%%I', %s::text, %s::text))"
                " AND a.amname IN ('hnsw', 'ivfflat') ORDER BY c.relname",
                (self.schema, VECTOR_TABLE),
            ).fetchall()
            for (name,) in indexes:
                conn.execute(
                    sql.SQL("REINDEX INDEX CONCURRENTLY {}").format(
                        sql.Identifier(self.schema, str(name))
                    )
                )
            return count_of(conn, sql.SQL("SELECT count(*) FROM {}").format(table))

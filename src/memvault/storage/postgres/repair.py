"""The repair role of the PostgreSQL engine: rebuild what is derived from the memories.

As in the SQLite engine, everything here is recomputed from rows that are the truth
(``memories`` and ``files``), never the other way round, so a repair cannot lose a memory, a
note or a validation: the keyword rows are rebuilt from the memories' text, vectors that cannot
be right are dropped (their memories queued to be embedded again), and leases of workers that
are gone are released.
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

    def queue_lost_vectors(self) -> int:
        """Queue an embed job for every memory that was embedded once (its job is done) and has
        no vector now, nor an open job.

        Wider than the SQLite engine's set, which its ``vector_log`` narrows to vectors gone
        without memvault deleting them: this engine keeps no such log (see
        ``checks.vector_rows``, whose ``lost`` is therefore 0, so ``repair`` does not call this
        on its own), and here the set also holds memories whose text changed in a process that
        does not embed. Queuing those is what they need anyway once vectors are on.
        """

        def job(conn: Connection) -> int:
            table = vector_table(conn, self.schema)
            if table is None:
                return 0
            rows = conn.execute(
                sql.SQL(
                    "SELECT DISTINCT j.memory_pk FROM jobs j WHERE j.state = 'done'"
                    " AND NOT EXISTS (SELECT 1 FROM {} v WHERE v.memory_pk = j.memory_pk)"
                    " AND NOT EXISTS (SELECT 1 FROM jobs o WHERE o.memory_pk = j.memory_pk"
                    " AND o.state != 'done') ORDER BY 1"
                ).format(table)
            ).fetchall()
            jobs.enqueue(conn, [int(r[0]) for r in rows])
            return len(rows)

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

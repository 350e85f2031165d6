"""The repair role of the SQLite engine: rebuild what is derived from the memories.

Everything here is recomputed from rows that are the truth (``memories`` and ``files``), never
the other way round, so a repair cannot lose a memory, a note or a validation: the keyword index
is rebuilt from the memories' text, vectors that belong to no memory (or cannot be right) are
dropped and their memories queued to be embedded again, leases of workers that are gone are
released, and the vector index snapshot is written afresh from ``memory_vectors``.
"""

from __future__ import annotations

import time

import apsw

from memvault.core.ids import owner_gone
from memvault.core.times import now_iso
from memvault.storage.sqlite import jobs, memory_rows, vectors
from memvault.storage.sqlite.checks import FTS_TABLE, lost_vector_pks, vector_bytes
from memvault.storage.sqlite.connection import Row
from memvault.storage.sqlite.engine import SqliteEngine


class SqliteRepair(SqliteEngine):
    def rebuild_keyword_index(self) -> int:
        """Empty the keyword index and index every memory again (chunks with their file's title,
        path and heading, as a sync indexes them); returns how many rows were written."""

        def job(conn: apsw.Connection) -> int:
            conn.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")
            rows: list[Row] = conn.execute(
                "SELECT m.pk, m.content, f.title, f.path, m.heading FROM memories m"
                " LEFT JOIN files f ON f.pk = m.chunk_of ORDER BY m.pk"
            ).fetchall()
            for pk, content, title, path, heading in rows:
                context = " ".join(filter(None, [title, path])) if path is not None else ""
                context = f"{context} {heading or ''}".strip()
                memory_rows.index_text(conn, int(pk), str(content), context)
            conn.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")
            return len(rows)

        return self._write(job)

    def drop_bad_vectors(self, *, requeue: bool) -> int:
        """Delete vectors of no memory, with NaN or infinity, or of the wrong width; with
        ``requeue`` the memories among them get an embed job. Returns how many were deleted."""

        import numpy as np  # on use: start-up stays light

        def job(conn: apsw.Connection) -> int:
            config = vectors.read_config(conn)
            if config is None or not vectors.table_exists(conn):
                return 0
            memories = jobs.memory_pks(conn)
            bad = {pk for pk in vectors.vector_pks(conn) if pk not in memories}
            width = vector_bytes(config)
            pks, blobs = vectors.all_vectors(conn)
            for pk, blob in zip(pks, blobs, strict=True):
                if len(blob) != width or not np.isfinite(vectors.decode(config, blob)).all():
                    bad.add(pk)
            for pk in sorted(bad):
                vectors.delete(conn, pk)
            if requeue:
                jobs.enqueue(conn, sorted(bad & memories))
            return len(bad)

        return self._write(job)

    def queue_lost_vectors(self) -> int:
        """Memories whose vector vanished without memvault deleting it: queue them again."""

        def job(conn: apsw.Connection) -> int:
            lost = sorted(lost_vector_pks(conn, vectors.vector_pks(conn)))
            jobs.enqueue(conn, lost)
            return len(lost)

        return self._write(job)

    def release_stuck_jobs(self) -> int:
        """Put back in the queue jobs whose lease ran out or whose local holder is gone."""

        def job(conn: apsw.Connection) -> int:
            now = time.time()
            running: list[Row] = conn.execute(
                "SELECT id, lease_owner, lease_until FROM jobs WHERE state = 'running'"
            ).fetchall()
            stuck = [
                int(job_id)
                for job_id, owner, until in running
                if until is None or float(until) < now or (owner and owner_gone(str(owner)))
            ]
            conn.executemany(
                "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL,"
                " updated_at = ? WHERE id = ?",
                [(now_iso(), job_id) for job_id in stuck],
            )
            return len(stuck)

        return self._write(job)

    def rebuild_vector_snapshot(self) -> int:
        """Rebuild this process's vector index from ``memory_vectors`` and write its snapshot
        (an unusable one is replaced or, for a small index that needs none, removed)."""

        def job(conn: apsw.Connection) -> int:
            self._index.rebuild(conn)
            return vectors.count(conn)

        from memvault.storage.sqlite.vector_index import SNAPSHOT_MIN

        count = self._read(job)
        if count < SNAPSHOT_MIN:  # no snapshot is written for it: one left over is stale
            self._index_snapshot_path.unlink(missing_ok=True)
        return count

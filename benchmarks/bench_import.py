"""Import throughput per source at 100,000 records (PostgreSQL, MariaDB, JSONL).

The source tables are filled by the servers themselves (generate_series / a recursive CTE) so
filling costs seconds; each import runs into a fresh vault with embedding off, so the number is
reading, mapping, writing and linking. One PostgreSQL run also writes the Markdown vault.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import psycopg
import pymysql
from report import Section
from timing import log

import memvault
from memvault.importers.engine import Importer
from memvault.importers.mapping import load_mapping
from memvault.importers.readers.jsonl import JsonlSource
from memvault.importers.records import Source
from memvault.importers.source_kinds import SourceKind, open_table

RECORDS = 100_000
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
MYSQL_URL = "mysql://root@127.0.0.1:3306/test"
TABLE = "memvault_bench_import"
TEXT = "'Record ' || n || ' about harbor lantern quarry and specimen_' || n"


def fill_postgres() -> None:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(
            f"CREATE TABLE {TABLE} AS SELECT n AS id, {TEXT} AS body,"
            " now() - n * interval '1 minute' AS created FROM generate_series(1, %s) AS n",
            (RECORDS,),
        )
        conn.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")


def fill_mysql() -> None:
    conn = pymysql.connect(
        host="127.0.0.1", port=3306, user="root", database="test", autocommit=True
    )
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, body TEXT, created DATETIME)")
        cur.execute("SET SESSION max_recursive_iterations = 1000000")  # MariaDB; 1,000 here
        cur.execute(
            f"INSERT INTO {TABLE} WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1"
            f" FROM s WHERE n < {RECORDS}) SELECT n, CONCAT('Record ', n, ' about harbor"
            " lantern quarry and specimen_', n), NOW() - INTERVAL n MINUTE FROM s"
        )
    conn.close()


def write_jsonl(path: Path) -> None:
    with path.open("w") as out:
        for n in range(1, RECORDS + 1):
            out.write(json.dumps({"id": n, "content": f"Record {n} about harbor specimen_{n}"}))
            out.write("\n")


def timed_import(source: Source, target: Path) -> tuple[float, int]:
    with memvault.open(target, embedder="none", background=False) as vault:
        start = time.perf_counter()
        report = Importer(vault).run(source, batch_size=1000)
        elapsed = time.perf_counter() - start
    source.close()
    assert report.imported == RECORDS, report.to_dict()
    return elapsed, report.imported


def run(folder: Path) -> Section:
    section = Section(
        f"Import throughput ({RECORDS:,} records, embedding off)",
        ["source", "target", "seconds", "records/s"],
    )
    mapping = load_mapping(table=TABLE, id="id", content="body", fields=["created_at=created"])
    runs: list[tuple[str, str, Source, Path]] = []
    try:
        log("import: filling PostgreSQL and MariaDB tables, writing a JSONL file")
        fill_postgres()
        fill_mysql()
        write_jsonl(folder / "import.jsonl")
        runs = [
            (
                "PostgreSQL",
                "DB-only",
                open_table(SourceKind.POSTGRES, POSTGRES_URL, mapping),
                folder / "pg.db",
            ),
            (
                "PostgreSQL",
                "Markdown vault",
                open_table(SourceKind.POSTGRES, POSTGRES_URL, mapping),
                folder / "pg-home",
            ),
            (
                "MariaDB",
                "DB-only",
                open_table(SourceKind.MYSQL, MYSQL_URL, mapping),
                folder / "my.db",
            ),
            ("JSONL", "DB-only", JsonlSource(folder / "import.jsonl"), folder / "jsonl.db"),
        ]
    except (psycopg.Error, pymysql.MySQLError) as exc:
        section.notes.append(
            f"Not run: preparing the source tables failed ({exc}); are the servers up? "
            "(`bash scripts/ensure_services.sh`)"
        )
        return section
    for name, layout, source, target in runs:
        log(f"import: {name} → {layout}")
        seconds, count = timed_import(source, target)
        section.add(name, layout, f"{seconds:.1f}", f"{count / seconds:,.0f}")
    section.notes.append(
        "Each run reads in batches of 1,000 (read-only transactions, keyset paging), maps, "
        "writes the memories and their import links, and saves a checkpoint per batch. "
        "`Markdown vault` also writes one file per memory. Embedding is off: with the bundled "
        "model, vectors follow at the embedding rate (see the batched-insert table)."
    )
    return section

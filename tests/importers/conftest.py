"""Real MariaDB and PostgreSQL servers for the table-source tests, and ChromaDB stores for the
Chroma-source tests.

The servers are the machine's own (``scripts/ensure_services.sh`` starts them and installs
pgvector); override with ``MEMVAULT_TEST_MYSQL_URL`` / ``MEMVAULT_TEST_POSTGRES_URL``. A server
that does not answer fails the test that needs it, with what to run: these tests never skip.
Every test makes its own uniquely named tables and drops them afterwards.

The Chroma stores (see ``chroma_stores.py``): the committed 0.6 store and a 1.x store built once
per session; each test gets its own copy in ``tmp_path``.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import psycopg
import pymysql
import pytest

from memvault.importers.mapping import TableMapping
from memvault.importers.readers.chroma import ChromaSource
from memvault.importers.readers.tables import TableSource
from memvault.importers.source_kinds import SourceKind, open_table
from tests.importers.chroma_stores import OPS_1X, STORE_0_6, Store, _build_1x, mk

MYSQL_URL = os.environ.get("MEMVAULT_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
POSTGRES_URL = os.environ.get(
    "MEMVAULT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
HOW_TO_START = "run `bash scripts/ensure_services.sh` (it starts the server and installs pgvector)"


@dataclass
class Database:
    """One server for a test: make tables, fill them, read them back with a source."""

    engine: str  # "mysql" | "postgres"
    url: str
    conn: Any  # an autocommit admin connection
    types: dict[str, str]
    made: list[str] = field(default_factory=list)
    sources: list[TableSource] = field(default_factory=list)

    def quote(self, name: str) -> str:
        return f"`{name}`" if self.engine == "mysql" else f'"{name}"'

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(sql, tuple(params))
            return list(cur.fetchall()) if cur.description else []

    def create(self, columns: str, *, suffix: str = "") -> str:
        """A new table ``mv_<random>`` with these column definitions ({json}, {ts}… filled in)."""
        name = f"mv_{uuid.uuid4().hex[:12]}{suffix}"
        self.made.append(name)
        self.execute(f"CREATE TABLE {self.quote(name)} ({columns.format(**self.types)})")
        return name

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        names = ", ".join(self.quote(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        with self.conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {self.quote(table)} ({names}) VALUES ({marks})",
                [tuple(row) for row in rows],
            )

    def source(self, mapping: TableMapping, url: str | None = None) -> TableSource:
        made = open_table(SourceKind(self.engine), url or self.url, mapping)
        self.sources.append(made)
        return made

    def cleanup(self) -> None:
        for made in self.sources:
            made.close()
        for name in self.made:
            self.execute(f"DROP TABLE IF EXISTS {self.quote(name)}")


def _mysql_admin() -> Any:
    parts = urlsplit(MYSQL_URL)
    try:
        return pymysql.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=parts.username,
            password=parts.password or "",
            database=parts.path.lstrip("/"),
            charset="utf8mb4",
            autocommit=True,
            connect_timeout=5,
            init_command="SET time_zone = '+00:00'",
        )
    except pymysql.MySQLError as exc:
        reason = " ".join(str(exc).split())
    pytest.fail(
        f"MariaDB at {parts.hostname}:{parts.port or 3306} is not reachable ({reason}); "
        f"{HOW_TO_START}, or start it alone with "
        "`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`",
        pytrace=False,
    )


def _postgres_admin() -> Any:
    parts = urlsplit(POSTGRES_URL)
    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())
    pytest.fail(
        f"PostgreSQL at {parts.hostname}:{parts.port or 5432} is not reachable ({reason}); "
        f"{HOW_TO_START}, or start it alone with `pg_ctlcluster --skip-systemctl-redirect "
        "$(ls /etc/postgresql) main start`",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def mysql_admin() -> Iterator[Any]:
    conn = _mysql_admin()
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Any]:
    conn = _postgres_admin()
    yield conn
    conn.close()


@pytest.fixture
def mysql(mysql_admin: Any) -> Iterator[Database]:
    db = Database(
        "mysql",
        MYSQL_URL,
        mysql_admin,
        {"json": "JSON", "ts": "DATETIME(6)", "float": "DOUBLE", "text": "TEXT"},
    )
    yield db
    db.cleanup()


@pytest.fixture
def postgres(postgres_admin: Any) -> Iterator[Database]:
    db = Database(
        "postgres",
        POSTGRES_URL,
        postgres_admin,
        {"json": "JSONB", "ts": "TIMESTAMPTZ", "float": "DOUBLE PRECISION", "text": "TEXT"},
    )
    yield db
    db.cleanup()


@pytest.fixture(params=["mysql", "postgres"])
def sqldb(request: pytest.FixtureRequest) -> Database:
    """Each test that takes ``sqldb`` runs once against MariaDB and once against PostgreSQL."""
    made: Database = request.getfixturevalue(request.param)
    return made


@pytest.fixture
def pgvector(postgres: Database) -> Database:
    """PostgreSQL with the ``vector`` extension created (serialised across test workers)."""
    try:
        postgres.execute("SELECT pg_advisory_lock(727274)")
        try:
            postgres.execute("CREATE EXTENSION IF NOT EXISTS vector")
        finally:
            postgres.execute("SELECT pg_advisory_unlock(727274)")
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())
        pytest.fail(f"PostgreSQL has no pgvector ({reason}); {HOW_TO_START}", pytrace=False)
    return postgres


# -- ChromaDB stores -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def built_1x(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Built once per test session: the xdist workers share it (under a lock) and only copy it."""
    if importlib.util.find_spec("chromadb") is None:
        pytest.fail("chromadb (1.x) is a dev dependency: pip install -e '.[dev]'", pytrace=False)
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "chroma1x"
    root.mkdir(exist_ok=True)
    path, out = root / "store", root / "oracle.json"
    with (root / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            _build_1x(path, out)
    built = json.loads(out.read_text())
    assert int(built["version"].split(".")[0]) >= 1, built["version"]
    oracle = {
        name: {key: (doc, meta, np.asarray(vec)) for key, (doc, meta, vec) in records.items()}
        for name, records in built["oracle"].items()
    }
    return Store("1.x", path, OPS_1X, oracle)


@pytest.fixture
def store_0_6(tmp_path: Path) -> Store:
    path = tmp_path / "chroma_0_6"
    shutil.copytree(STORE_0_6, path)
    return Store("0.6", path, mk.OPERATIONS)


@pytest.fixture
def store_1x(built_1x: Store, tmp_path: Path) -> Store:
    path = tmp_path / "chroma_1x"
    shutil.copytree(built_1x.path, path)
    return Store("1.x", path, built_1x.operations, built_1x.oracle)


@pytest.fixture(params=["0.6", "1.x"])
def store(request: pytest.FixtureRequest) -> Store:
    made: Store = request.getfixturevalue("store_0_6" if request.param == "0.6" else "store_1x")
    return made


@pytest.fixture
def open_source() -> Iterator[Any]:
    opened: list[ChromaSource] = []

    def make(path: Path, collection: str | None = None) -> ChromaSource:
        source = ChromaSource(path, collection)
        opened.append(source)
        return source

    yield make
    for source in opened:
        source.close()

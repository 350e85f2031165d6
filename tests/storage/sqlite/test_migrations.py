"""Schema versions: fresh files, the committed version-1 fixture, files from the future."""

from __future__ import annotations

import shutil
from pathlib import Path

import apsw
import pytest

import memvault
from memvault.core.errors import SchemaVersionError
from memvault.storage.sqlite.migrations import LATEST_VERSION, available_migrations

FIXTURE = Path(__file__).parents[2] / "fixtures" / "schema_v1.db"


def test_migrations_are_numbered_without_gaps() -> None:
    versions = [m.version for m in available_migrations()]
    assert versions == list(range(1, LATEST_VERSION + 1))


def test_new_file_is_created_at_latest_version(tmp_path: Path) -> None:
    with memvault.open(tmp_path / "new.db") as vault:
        assert vault.stats().schema_version == LATEST_VERSION
    conn = apsw.Connection(str(tmp_path / "new.db"))
    rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [r[0] for r in rows] == list(range(1, LATEST_VERSION + 1))
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_version_1_fixture_upgrades_with_every_record_intact(tmp_path: Path) -> None:
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURE, copy)
    with memvault.open(copy) as vault:
        stats = vault.stats()
        assert stats.schema_version == LATEST_VERSION
        assert (stats.memories, stats.superseded, stats.edges, stats.validation_events) == (
            4,
            1,
            2,
            1,
        )
        (hit,) = vault.search("parseConfig", mode="keyword")
        assert hit.memory.content == "parse_config reads src/app/parse_config.py"
        assert hit.memory.tags == ("code",)
        (decision,) = vault.list(namespace="team")
        assert decision.confidence == pytest.approx(0.65)
        assert [h.memory.content for h in vault.search("deploy", mode="keyword")] == [
            "Deploy with make release since v2.3.1"
        ]
        assert vault.check().ok
        vault.remember("written after the upgrade")
        assert vault.stats().memories == 5


def test_reopening_does_not_reapply_migrations(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    for _ in range(3):
        with memvault.open(path) as vault:
            vault.remember("same")
    conn = apsw.Connection(str(path))
    assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (LATEST_VERSION,)


def test_file_from_a_newer_memvault_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with memvault.open(path) as vault:
        vault.remember("from the future")
    conn = apsw.Connection(str(path))
    conn.execute(
        "INSERT INTO schema_migrations VALUES (?, 'from a later release', '2030-01-01')",
        (LATEST_VERSION + 1,),
    )
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaVersionError, match="upgrade memvault"):
        memvault.open(path)
    assert path.read_bytes() == before

"""A version-6 file (before entities) upgraded to the current schema: its memories kept, each
linked to the entities a write would have found in it, and every new write linking its own."""

from __future__ import annotations

import shutil
from pathlib import Path

from memvault.core.records import MemoryFilter
from memvault.storage.entity_links import ALL_KINDS, extracted
from memvault.storage.sqlite.migrations import LATEST_VERSION
from memvault.storage.sqlite.store import SqliteStore
from tests.storage.contract.helpers import memory
from tests.storage.sqlite.conftest import reader

FIXTURE = Path(__file__).parents[2] / "fixtures" / "schema_v6.db"


def test_a_version_6_file_gains_entities_and_keeps_its_memories(tmp_path: Path) -> None:
    copy = tmp_path / "old.db"
    shutil.copy(FIXTURE, copy)
    store = SqliteStore(copy)
    try:
        assert store.stats().schema_version == LATEST_VERSION >= 7
        before = store.list_memories(MemoryFilter(include_superseded=True), limit=1000)
        assert len(before) == 8  # the memories and chunks; the three messages are not listed
        for old in before:  # as the write path finds them, the memory's tags included
            assert old.entities == extracted(old.content, old.tags, ALL_KINDS), old.content
        [code] = [m for m in before if m.content.startswith("parse_config reads")]
        assert {(e.kind.value, e.name) for e in code.entities} == {
            ("identifier", "parse_config"),
            ("path", "src/app/parse_config.py"),
            ("tag", "code"),
        }
        old_hits = store.list_memories(MemoryFilter(entities=("2.3.1",)), limit=5)
        assert [m.content for m in old_hits] == ["Deploy with make release since v2.3.1"]
        [new] = store.insert_memories([memory("Ana moved parse_config into src/app/config.py")])
        found = store.list_memories(MemoryFilter(entities=("parseconfig",)), limit=5)
        assert {m.id for m in found} == {new.id, code.id}  # the old and the new one meet
        tables = {r[0] for r in reader(copy).execute("SELECT name FROM sqlite_master")}
        assert {"entities", "memory_entities"} <= tables
    finally:
        store.close()

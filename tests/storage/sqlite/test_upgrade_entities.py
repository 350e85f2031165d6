"""A version-6 file (before entities) upgraded to the current schema: its memories kept, with
no entities until they are written again, and every new write linking its entities."""

from __future__ import annotations

import shutil
from pathlib import Path

from memvault.core.records import MemoryFilter
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
        assert before and all(m.entities == () for m in before)
        [new] = store.insert_memories([memory("Ana moved parse_config into src/app/config.py")])
        found = store.list_memories(MemoryFilter(entities=("parseconfig",)), limit=5)
        assert [m.id for m in found] == [new.id]
        tables = {r[0] for r in reader(copy).execute("SELECT name FROM sqlite_master")}
        assert {"entities", "memory_entities"} <= tables
    finally:
        store.close()

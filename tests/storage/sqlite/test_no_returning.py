"""No SQL of the SQLite engine uses RETURNING: inside the writer's per-job savepoint a statement
with RETURNING costs time in proportion to the database's size (measured: 0.04 ms a row at
4 MB, 0.3 ms at 30 MB, so imports ran at a third of their speed at 100,000 memories). Every
write reads back what it needs by a unique key instead. A static check, because the slowdown
only shows on a big file, in the benchmarks."""

from __future__ import annotations

import re
from pathlib import Path

import memvault.storage.sqlite as engine


def test_the_sqlite_engine_writes_without_returning() -> None:
    folder = Path(engine.__file__).parent
    found = []
    for path in sorted(folder.rglob("*.py")) + sorted(folder.rglob("*.sql")):
        code = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
        )
        for string in re.findall(r'"[^"\n]*"', code):
            if re.search(r"\bRETURNING\b", string):
                found.append(f"{path.name}: {string}")
    assert found == [], found

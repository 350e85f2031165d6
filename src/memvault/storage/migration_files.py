"""An engine's schema versions as files: ``migrations/NNNN_description.sql`` in its package.

Both engines keep their migrations this way and read them with :func:`read_migrations`; how a
migration is applied (the lock taken, the copy made first) is each engine's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sql: str


def read_migrations(package: str) -> list[Migration]:
    """The migrations of ``package`` (``memvault.storage.sqlite``), by version; they must be
    numbered 1..N without a gap."""
    folder = resources.files(package).joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(
                Migration(int(match[1]), match[2].replace("_", " "), entry.read_text("utf-8"))
            )
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration files are not numbered 1..N: {[m.version for m in found]}")
    return found

"""Memory files that were damaged, not edited: found by ``check``, put right by ``repair``.

A sync takes a changed memory file as an outside edit, which is right for a person's edit and
wrong for a file cut short by a full disk or a crashed copy: syncing a truncated file would cut
the memory's text, and a file that no longer parses keeps the index's copy but stays broken. So
a changed memory file is damaged when it cannot be read, or when its bytes are a strict prefix
of what the index would render (a file cut short, which no editor saving a file produces: it
ends without the final newline). The index holds the last good state of such a memory, so
``repair`` sets the damaged file aside (under ``.repair-<time>/`` in the folder, which a sync
never reads) and renders it again from the index.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from memvault.content.markdown.frontmatter import FrontMatterError
from memvault.content.markdown.memory_file import is_memory_path, parse_memory, render_memory
from memvault.core.errors import InvalidInputError
from memvault.core.file_records import FileState, same_stat
from memvault.storage.roles import MemoryStore


def damaged_memory_files(
    memories: MemoryStore,
    root: Path,
    known: dict[str, FileState],
    on_disk: dict[str, tuple[int, int]],
) -> dict[str, str]:
    """path → what is wrong with it, for memory files changed since the index recorded them
    (``on_disk``: path → size and mtime_ns of the files there) that are cut short or
    unreadable."""
    changed = {
        path: known[path]
        for path, (size, mtime_ns) in on_disk.items()
        if is_memory_path(path) and path in known and not same_stat(known[path], size, mtime_ns)
    }
    records = memories.memory_records([state.record_id for state in changed.values()])
    found: dict[str, str] = {}
    for path, state in changed.items():
        record = records.get(state.record_id)
        if record is None:
            continue
        data = (root / path).read_bytes()
        rendered = render_memory(record).encode("utf-8")
        if len(data) < len(rendered) and rendered.startswith(data):
            found[path] = f"cut short at byte {len(data)} of {len(rendered)}"
            continue
        try:
            parse_memory(data.decode("utf-8"), path)
        except UnicodeDecodeError as exc:
            found[path] = f"not UTF-8 text (byte {exc.start})"
        except (FrontMatterError, InvalidInputError) as exc:
            found[path] = f"cannot be read ({exc})"
    return found


def set_aside(root: Path, paths: list[str]) -> Path:
    """Copy these files into a hidden folder of ``root`` before they are rendered again, so
    nothing a person wrote into one is lost with it."""
    aside = root / f".repair-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"
    for path in paths:
        target = aside / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / path, target)
    return aside

"""The names a note goes by: its title, and the keys a ``[[wiki link]]`` may use for it.

One rule for the title, wherever it is needed (writing a note, indexing one, reading one back):
the front matter's ``title``, else the first level-1 heading, else the file name.
"""

from __future__ import annotations

from typing import Any

from memvault.content.markdown.links import link_key


def note_title(front: dict[str, Any], body: str, path: str) -> str:
    title = str(front.get("title") or "").strip()
    if title:
        return title
    for line in body.splitlines():
        if line.startswith("# ") and line[2:].strip():
            return line[2:].strip()
    return path.rsplit("/", 1)[-1].removesuffix(".md")


def note_keys(path: str, title: str | None) -> list[str]:
    """The names a wiki link may use for a note: title, path without ``.md``, file name."""
    stem = path.rsplit("/", 1)[-1]
    keys = [link_key(path), link_key(stem)]
    if title:
        keys.append(link_key(title))
    return list(dict.fromkeys(k for k in keys if k))

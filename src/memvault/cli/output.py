"""Printing results: JSON for scripts (``--json``), tables for people.

JSON goes to stdout through the stdlib encoder, never through rich, so scripts get exactly
``json.loads``-able text. Errors are printed by ``app.main`` as one line on stderr.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from memvault.core.records import Location, Memory, SearchHit

console = Console(highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def short(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def memory_table(memories: list[Memory], title: str | None = None) -> Table:
    """Memories as rows readable at 80 columns: the id sits under the content it names."""
    table = Table(title=title, show_lines=False)
    table.add_column("kind")
    table.add_column("namespace")
    table.add_column("tags")
    table.add_column("content / id", ratio=1, overflow="fold", min_width=36)
    for memory in memories:
        table.add_row(
            memory.kind,
            memory.namespace,
            ", ".join(memory.tags),
            f"{escape(short(memory.content, 160))}\n[dim]{memory.id}[/dim]",
        )
    return table


def hits_table(hits: list[SearchHit], title: str | None = None, explain: bool = False) -> Table:
    """Hits as rows that stay readable at 80 columns: the id sits under the content it names."""
    table = Table(title=title)
    table.add_column("#", justify="right")
    table.add_column("rel", justify="right")
    if explain:
        table.add_column("score / signals")
    table.add_column("kind")
    located = any(hit.memory.location for hit in hits)
    if located:
        table.add_column("where", overflow="fold")
    table.add_column("content / id", ratio=1, overflow="fold", min_width=36)
    for rank, hit in enumerate(hits, start=1):
        row = [str(rank), relevance(hit)]
        if explain:
            signals = (f"{n}#{s.rank}:{s.score:.2f}" for n, s in hit.signals.items())
            row.append("\n".join((f"fused {hit.score:.3f}", *signals)))
        row.append(hit.memory.kind)
        if located:
            row.append(where(hit.memory.location))
        row.append(f"{escape(short(hit.memory.content, 160))}\n[dim]{hit.memory.id}[/dim]")
        table.add_row(*row)
    return table


def relevance(hit: SearchHit) -> str:
    if hit.relevance is None:
        return "weak"
    return f"{hit.relevance:.2f}" + (" weak" if hit.weak else "")


def where(location: Location | None) -> str:
    """``path:12-30`` (``path p.3:4-9`` in a PDF), or nothing for a memory of its own."""
    if location is None:
        return ""
    page = f" p.{location.page}" if location.page else ""
    return f"{location.path}{page}:{location.line_start}-{location.line_end}"


def show_memory(memory: Memory) -> None:
    for key, value in memory.to_dict().items():
        if value in (None, [], {}):
            continue
        console.print(f"[bold]{key:>13}[/bold]  {value}")

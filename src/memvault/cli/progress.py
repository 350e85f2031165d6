"""One progress bar for long commands (index, backup): on stderr, for people only.

stdout is for results (and JSON), and a bar in a pipe or a log is noise, so with ``--json`` or
when stderr is not a terminal there is no bar and the command gets no callback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from memvault.core.vector_records import JobCounts


class Advance(Protocol):
    def __call__(self, done: int, total: int, current: str = "") -> None: ...


@contextmanager
def progress_bar(label: str, *, quiet: bool, unit: str = "") -> Iterator[Advance | None]:
    """A bar named ``label`` counting ``unit``s; yields its ``advance(done, total, current)``."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeRemainingColumn(),
        TextColumn("[dim]{task.description}"),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def advance(done: int, total: int, current: str = "") -> None:
            bar.update(task, completed=done, total=total, description=current[-50:])

        yield advance


@contextmanager
def embedding_progress(*, enabled: bool) -> Iterator[Callable[[JobCounts], None]]:
    """A progress bar on stderr (stdout stays clean for --json), or nothing."""
    if not enabled or not sys.stderr.isatty():
        yield lambda counts: None
        return
    bar = Progress(
        TextColumn("embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("embedding", total=None)

    def update(counts: JobCounts) -> None:
        bar.update(task, total=counts.total, completed=counts.done + counts.failed)

    with bar:
        yield update

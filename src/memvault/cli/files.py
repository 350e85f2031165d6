"""``memvault reindex``, ``memvault index PATH`` and ``memvault watch``."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from memvault.cli.jobs import wait_with_progress
from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json
from memvault.cli.progress import progress_bar
from memvault.cli.state import state
from memvault.core.errors import InvalidInputError
from memvault.core.records import DEFAULT_NAMESPACE

if TYPE_CHECKING:  # for annotations only: start-up stays light
    from memvault.folder.sync import SyncReport


def reindex(
    ctx: typer.Context,
    changed: Annotated[
        bool, typer.Option("--changed", help="Read only files whose size or time changed.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Also compute the vectors now.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Rebuild the index from the Markdown folder (after deleting the database, or any time)."""
    cli = state(ctx)
    vault = cli.vault()
    report = vault.reindex(full=not changed)
    cli.wrote = True
    if wait:
        wait_with_progress(vault, quiet=json_out)
    if json_out:
        print_json(report.to_dict())
        return
    console.print(
        f"{report.notes} notes, {report.memories} memories, "
        f"{report.edges + report.links} edges in the index "
        f"({report.sync.notes + report.sync.memories} files read, {report.adopted} written out)"
    )
    _print_problems(report.sync)


def index(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A folder or file to index.")],
    namespace: Annotated[str, typer.Option("--namespace", "-n")] = DEFAULT_NAMESPACE,
    move: Annotated[
        bool,
        typer.Option("--move", help="Move files indexed under another namespace to this one."),
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Return once every chunk has its vector.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Index a folder of Markdown, code, PDF and text (.gitignore respected); re-runs read
    only changed files and drop files that are gone."""
    cli = state(ctx)
    vault = cli.vault(create=True)
    cli.wrote = True
    with progress_bar("indexing", quiet=json_out) as advance:
        report = vault.index_path(path, namespace=namespace, progress=advance, move=move)
    if wait:
        wait_with_progress(vault, quiet=json_out)
    if json_out:
        print_json(report.to_dict())
        return
    console.print(
        f"{report.files} files: {report.indexed} indexed, {report.unchanged} unchanged, "
        f"{report.removed} removed"
        + (f", {report.moved} moved to {namespace}" if report.moved else "")
        + f"; {report.chunks_added} chunks added, "
        f"{report.chunks_removed} removed; {len(report.skipped)} skipped"
    )
    for skipped in report.skipped[:20]:
        console.print(f"[dim]skipped {skipped.relpath}: {skipped.reason}[/dim]")
    if len(report.skipped) > 20:
        console.print(f"[dim]… and {len(report.skipped) - 20} more skipped[/dim]")
    for problem in report.problems:
        console.print(f"[yellow]{problem}[/yellow]")


def watch(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON line per sync.")] = False,
) -> None:
    """Keep the index in step with the Markdown folder: outside edits, renames and deletes are
    searchable within a second or two. Stops on Ctrl-C or SIGTERM."""
    cli = state(ctx)
    vault = cli.vault(create=True)  # watching a new home is how a folder-first user starts
    if vault.folder is None:
        raise InvalidInputError("this vault has no Markdown folder (DB-only mode)")
    stop = threading.Event()
    printing = threading.Lock()  # the watcher's thread reports too: one whole line at a time

    def report(result: SyncReport) -> None:
        with printing:
            try:
                if json_out:
                    sys.stdout.write(json.dumps(result.to_dict()) + "\n")
                    sys.stdout.flush()
                elif result.changed or result.problems:
                    console.print(
                        f"synced: {result.notes} notes, {result.memories} memories, "
                        f"{result.removed} removed"
                    )
                    _print_problems(result)
            except BrokenPipeError:
                # Whoever read the output is gone (`memvault watch --json | head -1`): stop,
                # and send what is left in the buffer nowhere instead of failing at exit.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # Watch first, then sync: a change made while the initial sync runs (or right after its
    # report, which tells scripts the watch is on) is still seen.
    watcher = vault.watcher(on_sync=report)
    watcher.start()
    try:
        report(vault.sync())
        vault.embed_in_background()
        if not json_out:
            console.print(f"watching {vault.folder} (Ctrl-C stops)")
        stop.wait()
    finally:
        watcher.stop()


def _print_problems(report: SyncReport) -> None:
    for problem in report.problems:
        console.print(f"[yellow]{problem}[/yellow]")

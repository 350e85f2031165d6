"""Commands that put a vault right and keep it small: repair and compact."""

from __future__ import annotations

from typing import Annotated

import typer

from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json
from memvault.cli.state import state


def repair(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be done; change nothing.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Rebuild what is derived (keyword and vector indexes, embed jobs, the index from the
    folder) without losing a memory, a note or a validation; exits 1 if anything is still wrong.
    """
    cli = state(ctx)
    report = cli.vault().repair(dry_run=dry_run)
    cli.wrote = not dry_run  # embed jobs it queued are handed to the background on exit
    if json_out:
        print_json(report.to_dict())
    else:
        if not report.actions:
            console.print("nothing to repair: every check is ok")
        for action in report.actions:
            mark = "done " if action.done else ("would" if dry_run else "-    ")
            console.print(f"{mark} {action.check}: {action.action} ({action.count})")
        for item in (report.after or report.before).checks:
            if not item.ok:
                console.print(f"[red]FAIL[/red] {item.name}: {item.detail}")
    if not dry_run and not report.ok:
        raise typer.Exit(1)


def compact(
    ctx: typer.Context,
    wait: Annotated[
        float,
        typer.Option(min=0, max=3600, help="Seconds to wait for another process's write."),
    ] = 60.0,
    json_out: JsonFlag = False,
) -> None:
    """Checkpoint the WAL and VACUUM the database (other processes may hold the vault open);
    reports bytes before and after."""
    report = state(ctx).vault().compact(wait_seconds=wait)
    if json_out:
        print_json(report.to_dict())
        return
    before = report.db_bytes_before + report.wal_bytes_before
    after = report.db_bytes_after + report.wal_bytes_after
    console.print(
        f"compacted: {before:,} bytes before, {after:,} after ({report.freed_bytes:,} freed) "
        f"in {report.seconds:.1f} s"
    )
    if report.note:
        console.print(report.note)

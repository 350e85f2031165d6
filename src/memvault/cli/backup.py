"""Commands that keep a vault safe to run for years: backup (with retention) and restore."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json
from memvault.cli.state import state
from memvault.core.errors import ConflictError
from memvault.service.backup import verify_backup
from memvault.service.backup_retention import Retention
from memvault.service.restore import restore_backup

Keep = Annotated[int, typer.Option(min=0, max=10_000)]


def backup(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="Folder the backups go in (with --verify: a backup).")
    ],
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the backup PATH against its manifest.")
    ] = False,
    compress: Annotated[bool, typer.Option(help="One .tar.gz per backup.")] = False,
    keep_last: Keep = 0,
    keep_daily: Keep = 0,
    keep_weekly: Keep = 0,
    keep_monthly: Keep = 0,
    json_out: JsonFlag = False,
) -> None:
    """An online backup of the vault (writers may run), verified, then old ones pruned.

    With no --keep-* option nothing is pruned; with any, the backups in PATH that no rule keeps
    are deleted (the newest of each of the last N days / ISO weeks / months, and the last N).
    """
    if verify:
        manifest = verify_backup(path)
        if json_out:
            print_json({"ok": True, **manifest.to_dict()})
        else:
            console.print(
                f"{path}: ok ({len(manifest.files)} files, {manifest.total_bytes:,} bytes, "
                f"taken {manifest.created_at}, schema {manifest.schema_version})"
            )
        return
    rule = Retention(keep_last, keep_daily, keep_weekly, keep_monthly)
    vault = state(ctx).vault()
    with _pages(quiet=json_out) as progress:
        report = vault.backup(path, compress=compress, retention=rule, progress=progress)
    if json_out:
        print_json(report.to_dict())
        return
    counts = ", ".join(f"{n} {what}" for what, n in report.manifest.counts.items())
    console.print(
        f"backup {report.path}: {counts}; {report.manifest.total_bytes:,} bytes in "
        f"{report.seconds:.1f} s"
    )
    if report.pruned:
        console.print(f"pruned {len(report.pruned)}: {', '.join(report.pruned)}")


def restore(
    ctx: typer.Context,
    backup_path: Annotated[
        Path, typer.Argument(metavar="BACKUP", help="A backup folder or .tar.gz.")
    ],
    to: Annotated[
        Path | None, typer.Option("--to", help="Home to restore into (default: --home).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Replace a vault that is there (its files are set aside).")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Verify a backup, then restore it into a home that no process has open."""
    cli = state(ctx)
    home = to if to is not None else (cli.home if cli.home is not None else cli.db_path)
    report = restore_backup(backup_path, home, force=force)
    if json_out:
        print_json(report.to_dict())
    else:
        counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
        console.print(f"restored {report.home} from {report.created_at}: {counts}")
        if report.set_aside:
            console.print(f"the files that were there are in {report.set_aside}")
    if not report.check_ok:
        raise ConflictError(f"the restored vault fails check: {'; '.join(report.problems)}")


@contextmanager
def _pages(*, quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar over the database copy (in pages), on stderr, for people only."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with Progress(
        TextColumn("backup"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("pages"),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance

"""Commands that keep a vault safe to run for years: backup (with retention) and restore."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json
from memvault.cli.progress import progress_bar
from memvault.cli.state import state
from memvault.core.backup_records import (
    BackupPeriod,
    BackupReport,
    BackupSchedule,
    RestoreReport,
)
from memvault.core.errors import ConflictError, InvalidInputError

Keep = Annotated[int, typer.Option(min=0, max=10_000)]


class Schedule(StrEnum):
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


def backup(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="Folder the backups go in (with --verify: a backup)."),
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the backup PATH against its manifest.")
    ] = False,
    schedule: Annotated[
        Schedule | None,
        typer.Option(help="Back up into PATH once per period from now on (off: stop)."),
    ] = None,
    due: Annotated[
        bool, typer.Option("--due", help="Run the scheduled backup if this period lacks one.")
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
    --schedule records a backup `memvault serve` and `memvault backup --due` (cron @reboot, a
    systemd timer) run once per period, catching up a period missed while the machine was off.
    """
    if sum((verify, due, schedule is not None)) > 1:
        raise InvalidInputError("--verify, --due and --schedule go one at a time")
    if verify:
        return _verify(_needs(path, "--verify"), json_out)
    if due:
        return _due(ctx, json_out)
    from memvault.service.backup_retention import Retention  # on use: start-up stays light

    rule = Retention(keep_last, keep_daily, keep_weekly, keep_monthly)
    vault = state(ctx).vault()
    if schedule is not None:
        plan = None
        if schedule is not Schedule.OFF:
            dest = _needs(path, "--schedule").expanduser().resolve()
            plan = BackupSchedule(
                BackupPeriod(schedule.value),
                str(dest),
                compress,
                keep_last=rule.last,
                keep_daily=rule.daily,
                keep_weekly=rule.weekly,
                keep_monthly=rule.monthly,
            )
        vault.schedule_backups(plan)
        return _said(plan.to_dict() if plan else {"schedule": "off"}, json_out, _plan_line(plan))
    with progress_bar("backup", quiet=json_out, unit="pages") as progress:
        report = vault.backup(
            _needs(path, "a backup"), compress=compress, retention=rule, progress=progress
        )
    _made(report, json_out)


def _needs(path: Path | None, what: str) -> Path:
    if path is None:
        raise InvalidInputError(f"{what} needs a PATH")
    return path


def _verify(path: Path, json_out: bool) -> None:
    from memvault.service.backup import verify_backup

    manifest = verify_backup(path)
    line = (
        f"{path}: ok ({len(manifest.files)} files, {manifest.total_bytes:,} bytes, "
        f"taken {manifest.created_at}, schema {manifest.schema_version})"
    )
    _said({"ok": True, **manifest.to_dict()}, json_out, line)


def _due(ctx: typer.Context, json_out: bool) -> None:
    vault = state(ctx).vault()
    if vault.backup_schedule() is None:
        raise InvalidInputError("no backup is scheduled (memvault backup PATH --schedule daily)")
    report = vault.run_due_backup()
    if report is not None:
        return _made(report, json_out)
    last = vault.last_scheduled_backup() or {}
    _said({"due": False, "last": last}, json_out, f"nothing due: last {last or 'none'}")


def _made(report: BackupReport, json_out: bool) -> None:
    _said(report.to_dict(), json_out, backup_line(report))


def backup_line(report: BackupReport) -> str:
    """What a backup made, for people (``memvault backup``, ``memvault tenants backup``)."""
    counts = ", ".join(f"{n} {what}" for what, n in report.manifest.counts.items())
    line = (
        f"backup {report.path}: {counts}; {report.manifest.total_bytes:,} bytes in "
        f"{report.seconds:.1f} s"
    )
    if report.pruned:
        line += f"\npruned {len(report.pruned)}: {', '.join(report.pruned)}"
    return line


def _plan_line(plan: BackupSchedule | None) -> str:
    if plan is None:
        return "scheduled backups: off"
    return (
        f"backing up {plan.period.value} into {plan.dest}: `memvault serve` and "
        "`memvault backup --due` run it once per period, catching up missed ones"
    )


def _said(data: dict[str, Any], json_out: bool, line: str) -> None:
    if json_out:
        print_json(data)
    else:
        console.print(line)


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
    if to is None and cli.url is not None:
        raise InvalidInputError(
            "a backup restores into a home (its database file and folder): restore it with "
            "--to HOME, then `memvault copy HOME URL` puts it on the server store"
        )
    home = to if to is not None else cli.location
    from memvault.service.restore import restore_backup

    restored(restore_backup(backup_path, home, force=force), json_out)


def restored(report: RestoreReport, json_out: bool) -> None:
    """What a restore did (``memvault restore``, ``memvault tenants restore``); an error if the
    restored vault fails its check."""
    if json_out:
        print_json(report.to_dict())
    else:
        counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
        console.print(f"restored {report.home} from {report.created_at}: {counts}")
        if report.set_aside:
            console.print(f"the files that were there are in {report.set_aside}")
    if not report.check_ok:
        raise ConflictError(f"the restored vault fails check: {'; '.join(report.problems)}")

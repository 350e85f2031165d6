"""``memvault tenants backup|restore|check|export``: the home's commands, for one tenant or all.

Each tenant is an ordinary home, so each command is the one ``memvault --home DIR/NAME`` runs
(:mod:`memvault.hosting.operations` opens the tenant and calls the same Vault method). With
``--all`` the tenants go one at a time under the one progress bar (stderr), each tenant's result
is a line (or a row of ``--json``'s ``tenants``), a tenant that fails is reported and the rest
carry on, and the exit is non-zero at the end if any failed: one bad tenant of 500 must not
leave the other 499 without their backup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from memvault.cli.backup import Keep, backup_line, restored
from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json
from memvault.cli.progress import progress_bar
from memvault.cli.tenants import NameArgument, TenantsDir, registry_of
from memvault.core.errors import InvalidInputError, MemvaultError

AllFlag = Annotated[bool, typer.Option("--all", help="Every tenant, one at a time.")]
MaybeName = Annotated[str | None, typer.Argument(help="The tenant's name (or --all).")]


class TenantsFailedError(MemvaultError):
    """Some tenants of an ``--all`` run failed (each is reported with its reason)."""


@dataclass(frozen=True, slots=True)
class Done:
    """One tenant's outcome: its ``--json`` row, its line for people, and whether it passed."""

    row: dict[str, Any]
    line: str
    ok: bool = True


Work = Callable[[Any], Done]  # a Tenant → its outcome


def backup(
    first: Annotated[str | None, typer.Argument(metavar="NAME|--all")] = None,
    second: Annotated[Path | None, typer.Argument(metavar="DEST")] = None,
    every: AllFlag = False,
    tenants: TenantsDir = None,
    compress: Annotated[bool, typer.Option(help="One .tar.gz per backup.")] = False,
    keep_last: Keep = 0,
    keep_daily: Keep = 0,
    keep_weekly: Keep = 0,
    keep_monthly: Keep = 0,
    json_out: JsonFlag = False,
) -> None:
    """Back a tenant (or every tenant) up into DEST/NAME/: online, verified, then pruned by
    the --keep-* rules as `memvault backup` does."""
    from memvault.hosting.operations import backup_tenant
    from memvault.service.backup_retention import Retention

    name, dest = (None, first) if every else (first, second)
    if dest is None or (every and second is not None):
        raise InvalidInputError("give NAME DEST, or --all DEST")
    registry = registry_of(tenants)
    chosen = _chosen(registry, name, every)
    rule = Retention(keep_last, keep_daily, keep_weekly, keep_monthly)

    def work(tenant: Any) -> Done:
        report = backup_tenant(registry, tenant, Path(dest), compress=compress, retention=rule)
        return Done(report.to_dict(), backup_line(report))

    _run(chosen, every, "backup", work, json_out)


def restore(
    name: NameArgument,
    backup_path: Annotated[
        Path, typer.Argument(metavar="BACKUP", help="A backup folder or .tar.gz.")
    ],
    tenants: TenantsDir = None,
    force: Annotated[
        bool, typer.Option(help="Replace the tenant's vault (its files are set aside).")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Verify a backup, then restore it as the tenant's vault; refused while a server (or any
    process) has the tenant open."""
    from memvault.hosting.operations import restore_tenant

    registry = registry_of(tenants)
    restored(restore_tenant(registry, registry.get(name), backup_path, force=force), json_out)


def check(
    name: MaybeName = None,
    every: AllFlag = False,
    tenants: TenantsDir = None,
    json_out: JsonFlag = False,
) -> None:
    """`memvault check` of a tenant (or every tenant); exits 1 if any finds something wrong."""
    from memvault.hosting.host import shared_embedder
    from memvault.hosting.operations import check_tenant

    registry = registry_of(tenants)
    chosen = _chosen(registry, name, every)
    embedder = shared_embedder()  # one model for every tenant's vector check

    def work(tenant: Any) -> Done:
        report = check_tenant(registry, tenant, embedder)
        failing = [f"{c.name}: {c.detail}" for c in report.checks if not c.ok]
        line = "; ".join(failing) if failing else f"all {len(report.checks)} checks pass"
        return Done(report.to_dict(), line, report.ok)

    _run(chosen, every, "check", work, json_out)


def export(
    name: MaybeName = None,
    every: AllFlag = False,
    tenants: TenantsDir = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The JSONL file (default stdout); with --all, a folder."),
    ] = None,
    vectors: Annotated[bool, typer.Option("--vectors", help="Include vectors.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Export a tenant as JSONL (``memvault import`` restores it exactly); --all --out DIR
    writes DIR/NAME.jsonl for each tenant."""
    from memvault.hosting.operations import export_tenant

    registry = registry_of(tenants)
    chosen = _chosen(registry, name, every)
    if out is None:
        if every:
            raise InvalidInputError("--all needs --out DIR: one NAME.jsonl per tenant goes there")
        return _export_to_stdout(registry, chosen[0], vectors)
    folder = out
    if every:
        folder.mkdir(parents=True, exist_ok=True)

    def work(tenant: Any) -> Done:
        target = folder / f"{tenant.name}.jsonl" if every else folder
        counts = export_tenant(registry, tenant, target, vectors=vectors)
        return Done({"out": str(target), **counts.to_dict()}, f"exported to {target}")

    _run(chosen, every, "export", work, json_out)


def _export_to_stdout(registry: Any, tenant: Any, vectors: bool) -> None:
    import sys

    from memvault.hosting.host import open_tenant
    from memvault.importers.export import Exporter

    with open_tenant(registry, tenant) as vault:
        Exporter(vault).jsonl(sys.stdout, vectors=vectors)


def _chosen(registry: Any, name: str | None, every: bool) -> list[Any]:
    """The named tenant, or every tenant with ``--all`` (checked before any work starts)."""
    if every == (name is not None):
        raise InvalidInputError("name one tenant, or pass --all")
    return list(registry.tenants()) if name is None else [registry.get(name)]


def _run(chosen: list[Any], every: bool, label: str, work: Work, json_out: bool) -> None:
    """``work`` on the one named tenant (its error is the command's), or on every tenant."""
    if every:
        return _run_all(chosen, label, work, json_out)
    tenant = chosen[0]
    done = work(tenant)
    if json_out:
        print_json({"name": tenant.name, **done.row, "ok": done.ok})
    else:
        console.print(escape(f"{tenant.name}: {done.line}"))
    if not done.ok:
        raise typer.Exit(1)


def _run_all(tenants: list[Any], label: str, work: Work, json_out: bool) -> None:
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    with progress_bar(label, quiet=json_out, unit="tenants") as advance:
        for number, tenant in enumerate(tenants):
            if advance is not None:
                advance(number, len(tenants), tenant.name)
            try:
                done = work(tenant)
            except Exception as exc:  # reported; the other tenants carry on
                done = Done({"error": " ".join(str(exc).split())}, f"error: {exc}", ok=False)
            rows.append({"name": tenant.name, **done.row, "ok": done.ok})
            if not done.ok:
                failed.append(tenant.name)
            if not json_out:
                mark = "[green]ok  [/green]" if done.ok else "[red]FAIL[/red]"
                console.print(f"{mark} {escape(f'{tenant.name}: {done.line}')}")
        if advance is not None:
            advance(len(tenants), len(tenants), "")
    if json_out:
        print_json({"tenants": rows, "ok": not failed, "failed": failed})
    elif not tenants:
        console.print("no tenants")
    if failed:
        shown = ", ".join(failed[:10]) + (", …" if len(failed) > 10 else "")
        count = f"{len(failed)} of {len(tenants)} tenants failed"
        raise TenantsFailedError(f"{label}: {count}: {shown}")

"""``memvault copy SRC DST``: a vault into another store (a SQLite file ↔ PostgreSQL), verified.

SRC and DST are what ``--home`` / ``--db`` take: a home folder, a database file or a store URL.
A URL has no Markdown folder of its own; ``--from-home`` / ``--to-home`` give the home whose
folder goes with it (notes can only be copied into a vault with a folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from memvault.cli.jobs import wait_with_progress
from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json
from memvault.cli.progress import progress_bar
from memvault.cli.state import state
from memvault.core.home import is_url

if TYPE_CHECKING:
    from memvault.service.vault import Vault


def copy_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The vault to copy: a home, a .db file or a URL.")],
    target: Annotated[
        str, typer.Argument(help="A new store: a home, a .db file or postgresql://…?schema=S.")
    ],
    from_home: Annotated[
        Path | None, typer.Option("--from-home", help="The home of SRC's Markdown folder.")
    ] = None,
    to_home: Annotated[
        Path | None, typer.Option("--to-home", help="A home for DST's Markdown folder.")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Embed what the target must embed itself, now.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Copy every memory, note, edge, validation, session and (same model) vector into a new
    store, then verify it record by record; exit 1 on any difference. Run again to resume."""
    from memvault.importers.copy import copy_vault

    embedder = state(ctx).embedder
    with _open(source, from_home, embedder=embedder, create=False) as vault:
        settings = vault.vector_settings()
        chosen = embedder or (settings.embedder if settings.enabled else "none")
        with _open(target, to_home, embedder=chosen, create=True) as copy:
            if copy.stats().memories == 0:  # a new store takes the source's vector settings
                copy.configure_vectors(embedder=chosen, storage=settings.storage)
            with progress_bar("copying", quiet=json_out, unit="memories") as advance:
                report = copy_vault(
                    vault,
                    copy,
                    progress=None if advance is None else lambda _w, d, t: advance(d, t, _w),
                )
            if wait and report.queued:
                wait_with_progress(copy, quiet=json_out)
    if json_out:
        print_json(report.to_dict())
    else:
        console.print(
            f"copied {report.memories} memories ({report.skipped} there already), "
            f"{report.vectors} vectors, {report.notes} notes, {report.sessions} sessions "
            f"into {report.target}"
        )
        if report.queued and not wait:
            console.print(f"{report.queued} memories wait for the target's embedder")
        for line in report.differences[:20]:
            console.print(f"[red]differs:[/] {line}")
        if report.ok:
            console.print("verified: the target holds exactly what the source does")
    if not report.ok:
        raise typer.Exit(1)


def _open(location: str, home: Path | None, *, embedder: str | None, create: bool) -> Vault:
    import memvault

    if is_url(location):
        return memvault.open(home, db=location, embedder=embedder, background=False, create=create)
    return memvault.open(location, embedder=embedder, background=False, create=create)

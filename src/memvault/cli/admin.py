"""Commands about the vault as a whole: init, stats, check, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json
from memvault.cli.state import state
from memvault.content.entities import kinds_from_setting, setting_of_kinds
from memvault.core.home import is_url
from memvault.core.vector_records import VectorStorage


def init(
    ctx: typer.Context,
    vector_storage: Annotated[
        VectorStorage | None,
        typer.Option(help="float32 (default), int8 (4x smaller) or bit (32x smaller, coarser)."),
    ] = None,
    no_vault: Annotated[
        bool,
        typer.Option("--no-vault", help="DB-only: no Markdown folder (for high-volume use)."),
    ] = False,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Create this store, DB-only: a database file or postgresql://USER@HOST/DB "
            "(as the global --db).",
        ),
    ] = None,
    entities: Annotated[
        str | None,
        typer.Option(
            help="Entity extractors on every write: all (default), none, or some of "
            "mention,tag,identifier,path,url,issue,version,name (docs/entities.md)."
        ),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Create the vault (home folder, database, Markdown folder) if it does not exist.

    The global --embedder (and --vector-storage and --entities here) are saved as the vault's
    settings.
    """
    cli = state(ctx)
    if db is not None:
        cli.database, cli.home = (db if is_url(db) else Path(db)), None
    if no_vault:
        cli.home = None  # open by the database file: no Markdown folder is created
    vault = cli.vault(create=True)
    if no_vault:
        vault.use_db_only()
    vault.configure_vectors(embedder=cli.embedder, storage=vector_storage)
    if entities is not None:
        vault.set_entity_kinds(kinds_from_setting(entities))
    stats = vault.stats()
    data = {
        "db": cli.shown,
        "schema_version": stats.schema_version,
        "embedder": vault.vector_settings().embedder,
        "vector_storage": vault.vector_settings().storage.value,
        "vault": None if vault.folder is None else str(vault.folder),
        "entities": setting_of_kinds(vault.entity_kinds()),
    }
    if json_out:
        print_json(data)
    else:
        console.print(
            f"vault ready at {vault.folder or cli.shown} "
            f"(database {cli.shown}, schema version {stats.schema_version}, "
            f"embedder {data['embedder']}, {data['vector_storage']} vectors)"
        )


def stats(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Counts of memories, edges and events, and the database size."""
    result = state(ctx).vault().stats()
    if json_out:
        print_json(result.to_dict())
        return
    table = Table(show_header=False)
    for key, value in result.to_dict().items():
        shown = (
            ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value
        )
        table.add_row(key, str(shown))
    console.print(table)


def check(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Verify database integrity and index consistency; exits 1 if anything is wrong."""
    report = state(ctx).vault().check()
    if json_out:
        print_json(report.to_dict())
    else:
        for item in report.checks:
            mark = "[green]ok  [/green]" if item.ok else "[red]FAIL[/red]"
            console.print(f"{mark} {item.name}: {item.detail}")
    if not report.ok:
        raise typer.Exit(1)


def demo(
    ctx: typer.Context,
    home: Annotated[
        Path | None, typer.Option(help="Where to build the demo vault (default: a temp folder).")
    ] = None,
) -> None:
    """Build a small vault and show what search finds."""
    from memvault.cli.demo import run_demo

    run_demo(home)

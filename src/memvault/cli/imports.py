"""``memvault import``, ``memvault verify`` and ``memvault export``."""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from memvault.cli.jobs import wait_with_progress
from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json
from memvault.cli.state import state
from memvault.core.errors import InvalidInputError
from memvault.importers.source_kinds import SourceKind, open_source

log = logging.getLogger("memvault.import")


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    MARKDOWN = "markdown"


KindArg = Annotated[
    SourceKind, typer.Argument(help="mysql | postgres | chroma | jsonl | mcp-memory")
]
SourceArg = Annotated[str, typer.Argument(help="A database URL, a Chroma folder or a file.")]
TableOpt = Annotated[str | None, typer.Option("--table", help="Table to read (mysql/postgres).")]
IdOpt = Annotated[str | None, typer.Option("--id", help="Its id column.")]
ContentOpt = Annotated[str | None, typer.Option("--content", help="Its text column.")]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="FIELD=COLUMN: kind, namespace, tags, created_at, updated_at, "
        "importance, confidence, metadata, metadata_json, vector (repeatable).",
    ),
]
MappingOpt = Annotated[Path | None, typer.Option("--mapping", help="A TOML mapping file.")]
PresetOpt = Annotated[
    str | None, typer.Option("--preset", help="mem0 | letta-archival | seed-notes")
]
CollectionOpt = Annotated[str | None, typer.Option("--collection", help="Chroma collection.")]
NamespaceOpt = Annotated[
    str | None, typer.Option("--namespace", "-n", help="Put every record in this namespace.")
]
VectorModelOpt = Annotated[
    str | None,
    typer.Option(
        "--vector-model",
        help="The model that made the source's vectors: they are "
        "kept when it is the vault's model, else recomputed.",
    ),
]


def import_command(
    ctx: typer.Context,
    kind: KindArg,
    source: SourceArg,
    table: TableOpt = None,
    id_column: IdOpt = None,
    content: ContentOpt = None,
    field_map: MapOpt = None,
    mapping: MappingOpt = None,
    preset: PresetOpt = None,
    collection: CollectionOpt = None,
    namespace: NamespaceOpt = None,
    vector_model: VectorModelOpt = None,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000)] = 500,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count and show a sample only.")
    ] = False,
    status: Annotated[
        bool, typer.Option("--status", help="Source vs imported vs pending.")
    ] = False,
    verify_after: Annotated[bool, typer.Option("--verify", help="Verify after importing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Re-import every record.")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Compute missing vectors now.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Import another memory store; re-runs import nothing twice and update what changed."""
    from memvault.importers.engine import Importer  # on use: start-up stays light
    from memvault.importers.export import Exporter

    cli = state(ctx)
    vault = cli.vault(create=True)
    if kind is SourceKind.JSONL and _is_export(Path(source)):
        counts = Exporter(vault).restore(Path(source))
        cli.wrote = True
        _emit(
            {
                "restored": counts.to_dict(),
                "imported": counts.memories,
                "updated": 0,
                "unchanged": 0,
                "failed": 0,
            },
            json_out,
        )
        return
    opened = open_source(
        kind,
        source,
        table=table,
        id_column=id_column,
        content=content,
        fields=field_map,
        mapping=mapping,
        preset=preset,
        collection=collection,
    )
    importer = Importer(vault, namespace=namespace, carry_model=vector_model)
    try:
        if status:
            _emit(importer.status(opened), json_out)
            return
        if not dry_run:
            cli.wrote = True
        with _bar(enabled=not json_out and sys.stderr.isatty()) as update:
            report = importer.run(
                opened, batch_size=batch_size, force=force, dry_run=dry_run, progress=update
            )
        data: dict[str, Any] = report.to_dict()
        log.info(
            "import %s: %d imported, %d updated, %d unchanged, %d failed%s",
            report.source,
            report.imported,
            report.updated,
            report.unchanged,
            report.failed,
            " (dry run)" if dry_run else "",
        )
        if wait and not dry_run:
            wait_with_progress(vault, quiet=json_out)
        if verify_after and not dry_run:
            checked = importer.verify(opened)
            data["verify"] = checked.to_dict()
            data["ok"] = checked.ok
        _emit(data, json_out)
        if verify_after and not dry_run and not data["ok"]:
            raise typer.Exit(1)
    finally:
        opened.close()


def verify_command(
    ctx: typer.Context,
    kind: KindArg,
    source: SourceArg,
    table: TableOpt = None,
    id_column: IdOpt = None,
    content: ContentOpt = None,
    field_map: MapOpt = None,
    mapping: MappingOpt = None,
    preset: PresetOpt = None,
    collection: CollectionOpt = None,
    namespace: NamespaceOpt = None,
    sample: Annotated[
        int, typer.Option(min=1, max=10_000, help="Records for self-retrieval.")
    ] = 100,
    json_out: JsonFlag = False,
) -> None:
    """Compare an imported source with the vault record by record; exit 1 on any difference."""
    from memvault.importers.engine import Importer

    vault = state(ctx).vault()
    opened = open_source(
        kind,
        source,
        table=table,
        id_column=id_column,
        content=content,
        fields=field_map,
        mapping=mapping,
        preset=preset,
        collection=collection,
    )
    try:
        report = Importer(vault, namespace=namespace).verify(opened, sample=sample)
    finally:
        opened.close()
    _emit(report.to_dict(), json_out)
    if not report.ok:
        raise typer.Exit(1)


def export_command(
    ctx: typer.Context,
    format: Annotated[ExportFormat, typer.Argument(help="jsonl | markdown")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File (jsonl; default stdout) or folder.")
    ] = None,
    vectors: Annotated[bool, typer.Option("--vectors", help="Include vectors (jsonl).")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Export every memory, note, edge and validation (JSONL restores exactly with import)."""
    from memvault.importers.export import Exporter

    exporter = Exporter(state(ctx).vault())
    if format is ExportFormat.MARKDOWN:
        if out is None:
            raise InvalidInputError("a Markdown export needs --out FOLDER")
        counts = exporter.markdown(out)
    elif out is None:
        counts = exporter.jsonl(sys.stdout, vectors=vectors)
        return
    else:
        with out.open("w", encoding="utf-8") as handle:
            counts = exporter.jsonl(handle, vectors=vectors)
    _emit({"out": str(out), **counts.to_dict()}, json_out)


def _is_export(path: Path) -> bool:
    from memvault.importers.export import is_export

    return path.is_file() and is_export(path)


def _emit(data: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print_json(data)
        return
    for key, value in data.items():
        if value not in (None, [], {}):
            console.print(f"[bold]{key:>16}[/bold]  {value}", markup=True, highlight=False)


class _bar:
    """A progress bar on stderr for long imports, or nothing."""

    def __init__(self, *, enabled: bool) -> None:
        self._progress = (
            Progress(
                TextColumn("importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            if enabled
            else None
        )
        self._task: Any = None

    def __enter__(self) -> Any:
        if self._progress is None:
            return None
        self._progress.__enter__()
        self._task = self._progress.add_task("", total=None)
        progress = self._progress

        def update(done: int, total: int) -> None:
            progress.update(self._task, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)

"""Commands on entities (docs/entities.md): ``memvault entities`` lists them with their counts,
``memvault entity NAME`` shows one's page."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json, short
from memvault.cli.state import state
from memvault.core.entity_records import EntityCount
from memvault.service.vault_entities import EntityPage

NamespaceOption = Annotated[str | None, typer.Option("--namespace", "-n")]


def entities(
    ctx: typer.Context,
    kind: Annotated[
        str | None, typer.Option(help="Only this kind: mention, tag, identifier, path, url…")
    ] = None,
    namespace: NamespaceOption = None,
    limit: Annotated[int, typer.Option("--limit", "-k", min=1, max=10_000)] = 50,
    json_out: JsonFlag = False,
) -> None:
    """Entities the memories mention, most mentioned first."""
    found = state(ctx).vault().entities(kind=kind, namespace=namespace, limit=limit)
    if json_out:
        print_json({"entities": [c.to_dict() for c in found], "count": len(found)})
        return
    if not found:
        console.print("no entities: no memory mentions any")
        return
    console.print(counts_table(found))


def entity(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Any spelling: parse_config finds parseConfig.")],
    namespace: NamespaceOption = None,
    limit: Annotated[int, typer.Option("--limit", "-k", min=1, max=1000)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json_out: JsonFlag = False,
) -> None:
    """An entity: its memories (newest first), notes, co-occurring entities, first/last seen."""
    page = state(ctx).vault().entity(name, namespace=namespace, limit=limit, offset=offset)
    if json_out:
        print_json(page_json(page))
        return
    summary = page.summary
    console.print(
        f"[bold]{escape(summary.entity.name)}[/bold] ({summary.entity.kind.value}): "
        f"{summary.memories} memories, first seen {summary.first_seen or '-'}, "
        f"last seen {summary.last_seen or '-'}"
    )
    for memory in page.memories:
        console.print(f"  {memory.id}  {escape(short(memory.content, 70))}")
    if page.more:
        console.print(f"  … more: --offset {page.offset + len(page.memories)}")
    if summary.notes:
        console.print("notes: " + ", ".join(escape(path) for path in summary.notes))
    if summary.co_occurring:
        console.print(counts_table(list(summary.co_occurring), title="mentioned beside it"))


def page_json(page: EntityPage) -> dict[str, Any]:
    """An entity page as the CLI's ``--json`` and the MCP ``entity`` tool's fields name it."""
    summary = page.summary
    return {
        "key": summary.entity.key,
        "name": summary.entity.name,
        "kind": summary.entity.kind.value,
        "count": summary.memories,
        "first_seen": summary.first_seen,
        "last_seen": summary.last_seen,
        "memories": [m.to_dict() for m in page.memories],
        "more": page.more,
        "notes": list(summary.notes),
        "co_occurring": [c.to_dict() for c in summary.co_occurring],
    }


def counts_table(found: list[EntityCount], title: str | None = None) -> Table:
    table = Table(title=title)
    table.add_column("memories", justify="right")
    table.add_column("kind")
    table.add_column("name", ratio=1, overflow="fold")
    for counted in found:
        table.add_row(str(counted.memories), counted.entity.kind.value, escape(counted.entity.name))
    return table

"""Commands on relations between memories: relate, neighbours, supersede, validate."""

from __future__ import annotations

from typing import Annotated

import typer

from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json, short
from memvault.cli.state import state
from memvault.core.errors import InvalidInputError
from memvault.core.records import Relation, Verdict


def relate(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(metavar="SOURCE_ID")],
    target_id: Annotated[str, typer.Argument(metavar="TARGET_ID")],
    relation: Annotated[str, typer.Option("--relation", "-r")] = Relation.RELATES_TO.value,
    weight: Annotated[float, typer.Option()] = 1.0,
    json_out: JsonFlag = False,
) -> None:
    """Add a typed edge SOURCE -relation-> TARGET."""
    edge = state(ctx).vault().relate(source_id, target_id, relation, weight=weight)
    if json_out:
        print_json(edge.to_dict())
    else:
        console.print(f"{edge.source_id} -{edge.relation}-> {edge.target_id}")


def neighbours(
    ctx: typer.Context,
    memory_id: Annotated[str, typer.Argument(metavar="ID")],
    depth: Annotated[int, typer.Option(min=1, max=5)] = 1,
    relation: Annotated[str | None, typer.Option("--relation", "-r")] = None,
    via_entities: Annotated[
        bool,
        typer.Option(
            "--via-entities", help="Memories sharing entities with ID, most shared first."
        ),
    ] = False,
    limit: Annotated[int, typer.Option("--limit", "-k", min=1, max=1000)] = 20,
    json_out: JsonFlag = False,
) -> None:
    """Memories linked to ID within DEPTH edges (or sharing its entities: --via-entities)."""
    if via_entities:
        if relation is not None or depth != 1:
            raise InvalidInputError(
                "--via-entities walks shared entities, not edges: drop --relation/--depth"
            )
        entity_neighbours(ctx, memory_id, limit, json_out)
        return
    found = state(ctx).vault().neighbours(memory_id, depth=depth, relation=relation)
    if json_out:
        neighbours = [n.to_dict() for n in found]
        print_json({"id": memory_id, "neighbours": neighbours, "count": len(neighbours)})
        return
    for n in found:
        console.print(
            f"{n.depth}  {n.edge.relation:<12} {n.memory.id}  {short(n.memory.content, 70)}"
        )


def entity_neighbours(ctx: typer.Context, memory_id: str, limit: int, json_out: bool) -> None:
    found = state(ctx).vault().entity_neighbours(memory_id, limit=limit)
    if json_out:
        neighbours = [{"memory": n.memory.to_dict(), "shared": n.shared} for n in found]
        print_json({"id": memory_id, "neighbours": neighbours, "count": len(neighbours)})
        return
    if not found:
        console.print("no memory shares an entity with it")
    for n in found:
        console.print(f"{n.shared:>3} shared  {n.memory.id}  {short(n.memory.content, 60)}")


def supersede(
    ctx: typer.Context,
    old_id: Annotated[str, typer.Argument(metavar="OLD_ID")],
    new_id: Annotated[str, typer.Argument(metavar="NEW_ID")],
    json_out: JsonFlag = False,
) -> None:
    """Mark OLD_ID as replaced by NEW_ID (kept as history, out of default search)."""
    state(ctx).vault().supersede(old_id, new_id)
    if json_out:
        print_json({"superseded": old_id, "by": new_id})
    else:
        console.print(f"{old_id} superseded by {new_id}")


def validate(
    ctx: typer.Context,
    memory_id: Annotated[str, typer.Argument(metavar="ID")],
    verdict: Annotated[Verdict, typer.Argument(case_sensitive=False)],
    actor: Annotated[str | None, typer.Option(help="Who validated.")] = None,
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Confirm, use or refute a memory; its confidence moves accordingly."""
    event = state(ctx).vault().validate(memory_id, verdict, actor=actor, note=note)
    if json_out:
        print_json(event.to_dict())
    else:
        console.print(
            f"{event.verdict.value}: confidence {event.confidence_before:.3f} -> "
            f"{event.confidence_after:.3f}"
        )

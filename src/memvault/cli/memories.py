"""Commands on single memories: remember, get, update, forget, list."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from memvault.cli.output import console, memory_table, print_json, show_memory
from memvault.cli.state import state
from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.core.records import DEFAULT_KIND, DEFAULT_NAMESPACE
from memvault.embedding.base import EmbeddingError

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
TagOption = Annotated[list[str] | None, typer.Option("--tag", "-t", help="Tag (repeatable).")]


def read_text_argument(text: str | None) -> str:
    """The TEXT argument, or standard input when it is ``-`` or missing."""
    if text is not None and text != "-":
        return text
    if text is None and sys.stdin.isatty():
        raise InvalidInputError("no text given: pass it as an argument or on standard input")
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"standard input is not valid UTF-8 (byte {exc.start})") from exc


def remember(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(help="What to remember; '-' reads stdin.")] = None,
    kind: Annotated[
        str, typer.Option(help="fact, decision, preference, lesson, event, note, …")
    ] = DEFAULT_KIND,
    namespace: Annotated[str, typer.Option("--namespace", "-n")] = DEFAULT_NAMESPACE,
    tag: TagOption = None,
    importance: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.5,
    confidence: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.5,
    source: Annotated[str | None, typer.Option(help="Where this came from.")] = None,
    metadata: Annotated[str | None, typer.Option(help="A JSON object.")] = None,
    supersedes: Annotated[
        str | None, typer.Option(help="Id of a memory this one replaces.")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Return only once the memory's vector exists.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Store a memory. The same content in the same namespace returns the existing id."""
    cli = state(ctx)
    vault = cli.vault(create=True)
    cli.wrote = True
    outcome = vault.remember(
        read_text_argument(text),
        kind=kind,
        namespace=namespace,
        tags=tag or [],
        importance=importance,
        confidence=confidence,
        source=source,
        metadata=inputs.metadata(metadata),
        supersedes=supersedes or None,
    )
    if wait:
        counts = vault.wait_for_jobs()
        if counts.failed:
            failures = [f for f in vault.job_failures(100) if f.memory_id == outcome.id]
            if failures:
                raise EmbeddingError(f"could not embed {outcome.id}: {failures[0].error}")
    if json_out:
        print_json({"id": outcome.id, "created": outcome.created, "supersedes": supersedes})
    else:
        verb = "remembered" if outcome.created else "already known as"
        console.print(f"{verb} {outcome.id}")


def get(
    ctx: typer.Context,
    memory_id: Annotated[str, typer.Argument(metavar="ID")],
    history: Annotated[bool, typer.Option(help="Include validation events.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Show one memory (counts as an access)."""
    vault = state(ctx).vault()
    memory = vault.get(memory_id)
    events = vault.validation_history(memory.id) if history else []
    if json_out:
        data = memory.to_dict()
        if history:
            data["validation_events"] = [e.to_dict() for e in events]
        print_json(data)
        return
    show_memory(memory)
    for event in events:
        console.print(
            f"  {event.created_at} {event.verdict.value}: "
            f"{event.confidence_before:.3f} -> {event.confidence_after:.3f}"
        )


def update(
    ctx: typer.Context,
    memory_id: Annotated[str, typer.Argument(metavar="ID")],
    content: Annotated[str | None, typer.Option(help="New text.")] = None,
    kind: Annotated[str | None, typer.Option()] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Replace tags (repeatable).")
    ] = None,
    importance: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
    confidence: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
    source: Annotated[str | None, typer.Option()] = None,
    metadata: Annotated[str | None, typer.Option(help="A JSON object (replaces).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Change fields of a memory in place."""
    cli = state(ctx)
    cli.wrote = content is not None
    memory = cli.vault().update(
        memory_id,
        content=content,
        kind=kind,
        tags=tag,
        importance=importance,
        confidence=confidence,
        source=source,
        metadata=None if metadata is None else inputs.metadata(metadata),
    )
    if json_out:
        print_json(memory.to_dict())
    else:
        console.print(f"updated {memory.id}")


def forget(
    ctx: typer.Context,
    memory_id: Annotated[str, typer.Argument(metavar="ID")],
    json_out: JsonFlag = False,
) -> None:
    """Delete a memory, its tags, edges and validation history."""
    state(ctx).vault().forget(memory_id)
    if json_out:
        print_json({"forgotten": memory_id})
    else:
        console.print(f"forgot {memory_id}")


def list_memories(
    ctx: typer.Context,
    namespace: Annotated[str | None, typer.Option("--namespace", "-n")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Kind (repeatable).")] = None,
    tag: TagOption = None,
    since: Annotated[str | None, typer.Option(help="Created at or after (ISO date).")] = None,
    until: Annotated[str | None, typer.Option(help="Created before (ISO date).")] = None,
    include_superseded: Annotated[bool, typer.Option("--all", help="Include superseded.")] = False,
    chunks: Annotated[
        bool, typer.Option("--chunks", help="Also chunks of notes and indexed files.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json_out: JsonFlag = False,
) -> None:
    """List memories, newest first (chunks of notes and indexed files only with --chunks)."""
    memories = (
        state(ctx)
        .vault()
        .list(
            namespace=namespace,
            kinds=kind or [],
            tags=tag or [],
            since=since,
            until=until,
            include_superseded=include_superseded,
            include_chunks=chunks,
            limit=limit,
            offset=offset,
        )
    )
    if json_out:
        print_json({"memories": [m.to_dict() for m in memories], "count": len(memories)})
    else:
        console.print(memory_table(memories))

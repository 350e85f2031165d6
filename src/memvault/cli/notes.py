"""``memvault note write|read|edit|move|delete|list|links``: Markdown notes in the vault."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from memvault.cli.memories import JsonFlag, TagOption, read_text_argument
from memvault.cli.output import console, print_json
from memvault.cli.state import state
from memvault.content.markdown.paths import note_path
from memvault.core.errors import InvalidInputError

if TYPE_CHECKING:  # for annotations only: start-up stays light
    from memvault.folder.notes import Note

note_app = typer.Typer(
    name="note",
    help="Markdown notes in the vault: write, read, edit, move, delete, list, links.",
    no_args_is_help=True,
)

PathArgument = Annotated[str, typer.Argument(help="Path inside the vault; '.md' is added.")]


def _content(content: str | None) -> str:
    """--content, else standard input (an empty note is allowed from a pipe)."""
    if content is not None:
        return content
    if sys.stdin.isatty():
        raise InvalidInputError("no content given: pass --content or pipe the note on stdin")
    return read_text_argument("-")


def _show(note: Note, json_out: bool, verb: str | None = None) -> None:
    if json_out:
        print_json(note.to_dict())
    elif verb:
        console.print(f"{verb} {note.path} ({note.id})")
    else:
        console.print(f"[bold]{note.title}[/bold]  [dim]{note.path}[/dim]")
        if note.tags:
            console.print(f"[dim]tags: {', '.join(note.tags)}[/dim]")
        sys.stdout.write(note.body if note.body.endswith("\n") else note.body + "\n")


@note_app.command("write")
def write(
    ctx: typer.Context,
    path: PathArgument,
    title: Annotated[
        str | None, typer.Option("--title", help="Title (default: file name).")
    ] = None,
    tag: TagOption = None,
    content: Annotated[
        str | None, typer.Option("--content", "-c", help="The body; stdin when absent.")
    ] = None,
    namespace: Annotated[str | None, typer.Option("--namespace", "-n")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Create a note or replace its body (its id, title and tags are kept unless given)."""
    cli = state(ctx)
    body = _content(content)
    notes = cli.vault(create=True).notes
    note = notes.write(path, body, title=title, tags=tag, namespace=namespace)
    cli.wrote = True
    _show(note, json_out, "wrote")


@note_app.command("read")
def read(ctx: typer.Context, path: PathArgument, json_out: JsonFlag = False) -> None:
    """Print a note (its body as Markdown, or JSON with --json)."""
    _show(state(ctx).vault().notes.read(path), json_out)


@note_app.command("edit")
def edit(
    ctx: typer.Context,
    path: PathArgument,
    append: Annotated[str | None, typer.Option(help="Text to add at the end.")] = None,
    prepend: Annotated[str | None, typer.Option(help="Text to add at the start.")] = None,
    section: Annotated[
        str | None, typer.Option(help="Heading whose section --content replaces.")
    ] = None,
    content: Annotated[str | None, typer.Option("--content", "-c")] = None,
    find: Annotated[str | None, typer.Option(help="Exact text to replace.")] = None,
    replace: Annotated[str | None, typer.Option(help="Replacement for --find.")] = None,
    count: Annotated[
        int, typer.Option(help="How many occurrences --find must have (a guard).", min=1)
    ] = 1,
    replace_all: Annotated[
        bool, typer.Option("--all", help="Replace every occurrence, however many.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Append, prepend, replace a section by heading, or find-and-replace (count-guarded)."""
    cli = state(ctx)
    # Options that only make sense with another one are refused rather than ignored.
    if content is not None and section is None:
        raise InvalidInputError("--content is the new text of a --section; name the heading")
    if replace is not None and find is None:
        raise InvalidInputError("--replace needs --find: the exact text to replace")
    if section is not None and content is None:
        content = _content(None)
    note = cli.vault().notes.edit(
        path,
        append=append,
        prepend=prepend,
        section=section,
        section_content=content,
        find=find,
        replace=replace,
        expected=None if replace_all else count,
    )
    cli.wrote = True
    _show(note, json_out, "edited")


@note_app.command("move")
def move(
    ctx: typer.Context,
    source: PathArgument,
    target: Annotated[str, typer.Argument(help="New path inside the vault.")],
    json_out: JsonFlag = False,
) -> None:
    """Rename or move a note; links by its title keep resolving."""
    _show(state(ctx).vault().notes.move(source, target), json_out, "moved to")


@note_app.command("delete")
def delete(ctx: typer.Context, path: PathArgument, json_out: JsonFlag = False) -> None:
    """Delete a note and its chunks from the index."""
    notes = state(ctx).vault().notes
    notes.delete(path)
    _, rel = note_path(notes.root, path)  # as `write` and `read` show it: with its '.md'
    if json_out:
        print_json({"deleted": rel})
    else:
        console.print(f"deleted {rel}")


@note_app.command("list")
def list_notes(
    ctx: typer.Context,
    folder: Annotated[str | None, typer.Option(help="Only notes under this folder.")] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", "-t", help="Only notes with this tag.")
    ] = None,
    recent: Annotated[bool, typer.Option("--recent", help="Newest changes first.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json_out: JsonFlag = False,
) -> None:
    """Notes by path (or most recently changed first)."""
    notes = (
        state(ctx)
        .vault()
        .notes.list(folder=folder, tag=tag, recent=recent, limit=limit, offset=offset)
    )
    if json_out:
        print_json({"notes": [n.to_dict() for n in notes], "count": len(notes)})
        return
    table = Table()
    for column in ("path", "title", "tags", "updated"):
        table.add_column(column)
    for note in notes:
        updated = note.updated_at[:16].replace("T", " ")  # to the minute: fits 80 columns
        table.add_row(note.state.path, note.title or "", ", ".join(note.tags), updated)
    console.print(table)


@note_app.command("links")
def links(ctx: typer.Context, path: PathArgument, json_out: JsonFlag = False) -> None:
    """Links written in a note (resolved or waiting for their note) and links to it."""
    outgoing, incoming = state(ctx).vault().notes.links(path)
    if json_out:
        print_json(
            {"links": [x.to_dict() for x in outgoing], "backlinks": [x.to_dict() for x in incoming]}
        )
        return
    for link in outgoing:
        where = link.resolved_path or "(no such note yet)"
        console.print(escape(f"→ [[{link.target}]] {link.relation} {where}  line {link.line}"))
    for link in incoming:
        console.print(escape(f"← {link.source_path} line {link.line}"))

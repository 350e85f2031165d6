"""The Notes page: the folder tree, a note rendered with working ``[[wiki links]]``, an editor.

Every path comes from the browser, so every route hands it to the Notes API, whose
``note_path`` refuses ``../``, absolute paths and ``memories/`` (a 400 with one line). A save
goes through the same guarded ``Notes.write`` an agent's edit does, with the hash of the file
as the editor loaded it: if the file changed on disk meanwhile (another editor, a sync client,
an agent), the write is refused under the folder lock and the conflict page shows both texts,
so nothing is lost and nothing is overwritten unseen.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from memvault.core.errors import ConflictError, InvalidInputError, NotFoundError
from memvault.core.file_records import LinkView
from memvault.folder.notes import Note, Notes
from memvault.web.context import PageContext, form_text, redirect
from memvault.web.markdown_view import render_markdown, resolver, view_url
from memvault.web.note_tree import all_notes, breadcrumbs, build_tree


def routes(context: PageContext) -> list[BaseRoute]:
    def tree(request: Request) -> Response:
        if context.vault.folder is None:
            return context.render(request, "notes.html", title="Notes · memvault", tree=None)
        folder = (request.query_params.get("folder") or "").strip("/")
        records = all_notes(context.vault.notes, folder or None)
        return context.render(
            request,
            "notes.html",
            title="Notes · memvault",
            tree=build_tree(records, folder),
            folder=folder,
            crumbs=breadcrumbs(folder),
        )

    def view(request: Request) -> Response:
        notes = context.vault.notes
        note = notes.read(_path(request))
        out, back = _links(notes, note.path)
        targets = {link.target: link.resolved_path for link in out}
        return context.render(
            request,
            "note.html",
            title=f"{note.title} · Notes · memvault",
            note=note,
            crumbs=breadcrumbs(note.path.rpartition("/")[0]),
            front=_front_rows(note.front_matter),
            # markdown-it with html=False: raw HTML in the note comes out escaped.
            rendered=Markup(render_markdown(note.body, resolver(targets))),
            links_out=out,
            backlinks=back,
        )

    def edit_form(request: Request) -> Response:
        note = context.vault.notes.read(_path(request))
        return _editor(context, request, note.path, note.body, note.file_hash)

    def save(request: Request, form: FormData) -> Response:
        path = _path(request)
        body = _body(form)
        base = form_text(form, "base_hash")
        notes = context.vault.notes
        try:
            if base is None:
                raise InvalidInputError("the form has no base_hash: open the editor again")
            note = notes.write(path, body, expected_hash=base)
        except ConflictError as error:
            return _conflict(context, request, notes, path, body, str(error))
        except InvalidInputError as error:
            return _editor(context, request, path, body, base or "", error=str(error), status=400)
        return redirect(view_url(note.path))

    def new_form(request: Request) -> Response:
        folder = (request.query_params.get("folder") or "").strip("/")
        path = request.query_params.get("path") or (f"{folder}/" if folder else "")
        return _new(context, request, path=path, title="", body="")

    def create(request: Request, form: FormData) -> Response:
        path = form_text(form, "path") or ""
        title = form_text(form, "title")
        body = _body(form)
        try:
            if not path.strip():
                raise InvalidInputError("give the note a path, like ideas/plan.md")
            note = context.vault.notes.write(path, body, title=title, new=True)
        except (ConflictError, InvalidInputError) as error:
            status = 409 if isinstance(error, ConflictError) else 400
            return _new(context, request, path, title or "", body, str(error), status)
        return redirect(view_url(note.path))

    return [
        Route("/notes", tree, methods=["GET"]),
        Route("/notes/view", view, methods=["GET"]),
        Route("/notes/edit", edit_form, methods=["GET"]),
        Route("/notes/edit", context.action(save, adds=True), methods=["POST"]),
        Route("/notes/new", new_form, methods=["GET"]),
        Route("/notes/new", context.action(create, adds=True), methods=["POST"]),
    ]


def _path(request: Request) -> str:
    """The ``path`` of the query, unchecked: the Notes API checks it (and refuses with 400)."""
    path = request.query_params.get("path")
    if not path:
        raise InvalidInputError("give the note's path: /notes/view?path=ideas/plan.md")
    return path


def _body(form: FormData) -> str:
    """The textarea's text with the line breaks a file has (browsers send CR LF)."""
    value = form.get("body")
    if not isinstance(value, str):
        raise InvalidInputError("the form has no body field")
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _links(notes: Notes, path: str) -> tuple[list[LinkView], list[LinkView]]:
    """Links out and backlinks; none yet for a file the index has not read (an outside edit
    the watcher is about to sync)."""
    try:
        return notes.links(path)
    except NotFoundError:
        return [], []


def _front_rows(front: dict[str, Any]) -> list[tuple[str, str]]:
    """The front matter as (key, text) rows: shown as data, never rendered as Markdown."""
    rows = []
    for key, value in front.items():
        if isinstance(value, list):
            text = ", ".join(str(item) for item in value)
        elif isinstance(value, dict):
            text = json.dumps(value, ensure_ascii=False, default=str)
        else:
            text = str(value)
        rows.append((str(key), text))
    return rows


def _editor(
    context: PageContext,
    request: Request,
    path: str,
    body: str,
    base_hash: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return context.render(
        request,
        "note_edit.html",
        status_code=status,
        title=f"Edit {path} · Notes · memvault",
        path=path,
        body=body,
        base_hash=base_hash,
        error=error,
    )


def _conflict(
    context: PageContext, request: Request, notes: Notes, path: str, body: str, message: str
) -> Response:
    """409: the user's text, and the file as it is now (None when it was deleted)."""
    current: Note | None
    try:
        current = notes.read(path)
    except NotFoundError:
        current = None
    return context.render(
        request,
        "note_conflict.html",
        status_code=409,
        title=f"Conflict: {path} · Notes · memvault",
        path=current.path if current else path,
        message=message,
        yours=body,
        current=current,
    )


def _new(
    context: PageContext,
    request: Request,
    path: str,
    title: str,
    body: str,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return context.render(
        request,
        "note_new.html",
        status_code=status,
        title="New note · Notes · memvault",
        path=path,
        note_title=title,
        body=body,
        error=error,
    )

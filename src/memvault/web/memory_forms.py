"""The writes of the memory page: edit, supersede, validate and forget, each a form POST.

Every one goes through :meth:`PageContext.action` (CSRF checked first) and the public
:class:`Vault`, then answers 303 to the page that shows the result with ``?done=…`` (a reload
does not post again). A browser sends a textarea's line breaks as CRLF: they are made ``\\n``
before anything is compared or stored, or every edit would change the text.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.core.records import Memory
from memvault.web.context import PageContext, form_text, redirect
from memvault.web.memory import require_own

NUMBER_ROUNDING = 1e-4  # the edit form shows numbers to 4 decimals (memory.edit_values)
ACTOR = "web"  # who a validation from this page names


def routes(context: PageContext) -> list[BaseRoute]:
    def own_memory(request: Request) -> Memory:
        return require_own(context.vault.get(request.path_params["memory_id"], touch=False))

    def edit(request: Request, form: FormData) -> Response:
        found = own_memory(request)
        changed = changes(found, form)
        if not changed:
            return redirect(f"/memories/{found.id}", done="unchanged")
        context.vault.update(found.id, **changed)
        return redirect(f"/memories/{found.id}", done="updated")

    def supersede(request: Request, form: FormData) -> Response:
        found = own_memory(request)
        content = text(form, "content")
        if content is None:
            raise InvalidInputError("the new version is empty: write its text")
        if content.strip() == found.content.strip():
            raise InvalidInputError("the new version has the same text as this one: change it")
        outcome = context.vault.revise(found.id, content)
        return redirect(f"/memories/{outcome.id}", done="superseded")

    def validate(request: Request, form: FormData) -> Response:
        memory_id = request.path_params["memory_id"]
        verdict = form_text(form, "verdict")
        if verdict is None:
            raise InvalidInputError("choose a verdict: confirm, use or refute")
        note = text(form, "note")
        context.vault.validate(memory_id, verdict, actor=ACTOR, note=note)
        return redirect(f"/memories/{inputs.memory_id(memory_id)}", done="validated")

    def forget(request: Request, form: FormData) -> Response:
        found = own_memory(request)
        if form.get("confirm") != "yes":
            raise InvalidInputError(
                "nothing was forgotten: confirm on the page /memories/ID/forget (confirm=yes)"
            )
        context.vault.forget(found.id)
        return redirect("/memories", done="forgotten")

    base = "/memories/{memory_id}"
    return [
        Route(f"{base}/edit", context.action(edit, adds=True), methods=["POST"]),
        Route(f"{base}/supersede", context.action(supersede, adds=True), methods=["POST"]),
        Route(f"{base}/validate", context.action(validate), methods=["POST"]),
        Route(f"{base}/forget", context.action(forget), methods=["POST"]),
    ]


def changes(memory: Memory, form: FormData) -> dict[str, Any]:
    """The fields of the edit form that differ from the memory (only those are written: an
    unchanged text must not drop the memory's vector)."""
    changed: dict[str, Any] = {}
    content = text(form, "content")
    if content is None and "content" in form:
        raise InvalidInputError("the text is empty: to delete the memory, forget it")
    if content is not None and content.strip() != memory.content.strip():
        changed["content"] = content
    kind = form_text(form, "kind")
    if kind is not None and kind.strip().lower() != memory.kind:
        changed["kind"] = kind
    tags = form.get("tags")
    if isinstance(tags, str):
        given = inputs.tags(inputs.tag_values(tags))
        if sorted(given) != sorted(memory.tags):
            changed["tags"] = given
    for field in ("importance", "confidence"):
        value = number(form, field)
        if value is not None and abs(value - getattr(memory, field)) >= NUMBER_ROUNDING:
            changed[field] = value
    return changed


def text(form: FormData, name: str) -> str | None:
    """A textarea's text with the browser's CRLF line breaks made ``\\n``; empty is None."""
    value = form_text(form, name)
    return None if value is None else value.replace("\r\n", "\n").replace("\r", "\n")


def number(form: FormData, name: str) -> float | None:
    value = form_text(form, name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidInputError(f"{name} must be a number between 0 and 1") from None

"""``memvault session log``: messages and costs into a session, from the command line, standard
input or a JSONL transcript.

Bad input writes nothing: every message of a file is checked by the same rules the session
layer applies before the first one is logged, so a bad line 900 does not leave 899 behind. A
file longer than one batch is logged in batches (each atomic), after that check.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from memvault.cli.memories import JsonFlag, read_text_argument
from memvault.cli.output import console, print_json
from memvault.cli.state import state
from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.core.session_records import MAX_LOG_BATCH, MessageDraft, Role
from memvault.core.times import normal_timestamp

if TYPE_CHECKING:  # for annotations only: start-up stays light
    from memvault.service.sessions import CostDraft

MESSAGE_FIELDS = {"role", "content", "tokens", "created_at"}
MAX_BATCH = MAX_LOG_BATCH
COST_FORMAT = "MODEL:IN:OUT:USD, e.g. sonnet:900:300:0.006"


def log(
    ctx: typer.Context,
    session_id: Annotated[str, typer.Argument(metavar="SESSION_ID")],
    text: Annotated[
        str | None, typer.Argument(help="The message; '-' (or nothing) reads stdin.")
    ] = None,
    role: Annotated[Role, typer.Option("--role", "-r", help="Who said it.")] = Role.USER,
    tokens: Annotated[
        int | None, typer.Option("--tokens", min=0, help="Its tokens (default: counted).")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            help="JSONL of {role, content, tokens?, created_at?} ('-': stdin); role "
            "defaults to --role.",
        ),
    ] = None,
    cost: Annotated[
        list[str] | None,
        typer.Option(
            "--cost", metavar="MODEL:IN:OUT:USD", help="A model call's cost (repeatable)."
        ),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Log a message (or a JSONL file of them) and costs to an open session."""
    costs = [parse_cost(c) for c in cost or ()]
    if file is not None:
        if text is not None:
            raise InvalidInputError("give the message as TEXT or a --file of them, not both")
        if tokens is not None:
            raise InvalidInputError("--tokens counts one message: put tokens in each JSONL line")
        drafts = read_jsonl(file, role)
    elif text is None and costs:
        drafts = []  # costs alone
    else:
        drafts = [MessageDraft(read_text_argument(text), role=role, tokens=tokens)]
    cli = state(ctx)
    sessions = cli.vault().sessions  # a session must exist: a mistyped home creates nothing
    logged: list[str] = []
    for start in range(0, max(len(drafts), 1), MAX_BATCH):
        batch = drafts[start : start + MAX_BATCH]
        made = sessions.log(session_id, batch, costs=costs if start == 0 else ())
        cli.wrote = cli.wrote or bool(made)
        logged += [m.id for m in made]
    if json_out:
        print_json(
            {"session": session_id, "logged": len(logged), "ids": logged, "costs": len(costs)}
        )
    else:
        extra = f" and {len(costs)} cost(s)" if costs else ""
        console.print(f"logged {len(logged)} message(s){extra} to {session_id}")


def parse_cost(text: str) -> CostDraft:
    """``MODEL:IN:OUT:USD``; the model may hold colons itself (``ollama:qwen3:8b:10:5:0``)."""
    parts = text.rsplit(":", 3)
    if len(parts) != 4 or not parts[0].strip():
        raise InvalidInputError(f"--cost wants {COST_FORMAT}, not {text!r}")
    model, first, second, usd = parts
    from memvault.service.sessions import CostDraft

    try:
        draft = CostDraft(model.strip(), int(first), int(second), float(usd))
    except ValueError:
        raise InvalidInputError(f"--cost wants {COST_FORMAT}, not {text!r}") from None
    inputs.count(draft.input_tokens, "--cost input tokens")
    inputs.count(draft.output_tokens, "--cost output tokens")
    inputs.money(draft.usd, "--cost usd")
    return draft


def read_jsonl(file: Path, role: Role) -> list[MessageDraft]:
    """The messages of a JSONL file (blank lines skipped), each checked, with its line number
    in any error."""
    data = sys.stdin.buffer.read() if str(file) == "-" else _read_bytes(file)
    name = "standard input" if str(file) == "-" else str(file)
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{name} is not valid UTF-8 (byte {exc.start})") from exc
    drafts = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                drafts.append(_draft(line, role))
            except InvalidInputError as exc:
                raise InvalidInputError(f"{name} line {number}: {exc}") from exc
    if not drafts:
        raise InvalidInputError(f"{name} holds no messages")
    return drafts


def _read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {file}: {exc.strerror or exc}") from exc


def _draft(line: str, role: Role) -> MessageDraft:
    """One line as a message, checked by the session layer's rules."""
    try:
        value: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"not JSON ({exc.msg})") from exc
    if not isinstance(value, dict):
        raise InvalidInputError("a message is a JSON object {role, content, tokens?}")
    unknown = sorted(set(value) - MESSAGE_FIELDS)
    if unknown:
        known = ", ".join(sorted(MESSAGE_FIELDS))
        raise InvalidInputError(f"unknown field {unknown[0]!r} (known: {known})")
    content = value.get("content")
    if not isinstance(content, str):
        raise InvalidInputError("a message needs its content as text")
    try:
        chosen = Role(str(value.get("role", role)).strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidInputError(f"role {value.get('role')!r} is not one of: {roles}") from None
    tokens = value.get("tokens")
    created = value.get("created_at")
    return MessageDraft(
        inputs.content(content),
        role=chosen,
        tokens=None if tokens is None else inputs.count(tokens, "tokens"),
        created_at=None if created is None else normal_timestamp(str(created)),
    )

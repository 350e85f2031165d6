"""``memvault session start|log|handoff|end|pause|resume|list|show|search|prune|delete``.

A session is where an agent's work happens: it starts (optionally with the context pack of its
project), logs what was said and what it cost, and ends with a handoff of where work stopped,
which the next session of the project receives in its context pack. The reading commands
(list, show, search, prune) are in :mod:`memvault.cli.session_reads`, logging in
:mod:`memvault.cli.session_log`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from memvault.cli import session_log, session_reads
from memvault.cli.context import DEFAULT_BUDGET, BudgetOption, print_pack
from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json
from memvault.cli.state import state
from memvault.core.errors import InvalidInputError
from memvault.core.session_records import Session

if TYPE_CHECKING:  # for annotations only: start-up stays light
    from memvault.service.sessions import HandoffDraft

session_app = typer.Typer(
    name="session",
    help="Agent sessions: start, log, handoff, end, pause, resume, list, show, search, prune.",
    no_args_is_help=True,
)

SessionArgument = Annotated[str, typer.Argument(metavar="SESSION_ID")]
DoneOption = Annotated[
    str | None, typer.Option("--done", help="What was done (the handoff's summary).")
]
StoppedOption = Annotated[str | None, typer.Option("--stopped-at", help="Where work stopped.")]
NextOption = Annotated[list[str] | None, typer.Option("--next", help="A next step (repeatable).")]
QuestionOption = Annotated[
    list[str] | None, typer.Option("--question", help="An open question (repeatable).")
]
TouchedOption = Annotated[
    list[str] | None,
    typer.Option("--touched", metavar="ID", help="A memory or note the work touched (repeatable)."),
]


@session_app.command("start")
def start(
    ctx: typer.Context,
    project: Annotated[str | None, typer.Option("--project", "-p")] = None,
    user: Annotated[str | None, typer.Option("--user", "-u")] = None,
    agent: Annotated[str | None, typer.Option("--agent", "-a")] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    context: Annotated[
        bool, typer.Option("--context", help="Also print the project's context pack.")
    ] = False,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="With --context: what the work is about.")
    ] = None,
    budget: BudgetOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Start a session and print its id (with --context, also what the agent needs to know)."""
    if not context and (query is not None or budget is not None):
        raise InvalidInputError("--query and --budget shape the context pack: add --context")
    vault = state(ctx).vault(create=True)
    # The pack first: a bad query or budget then starts nothing. A new session has no messages
    # or handoffs yet, so its pack is the same before and after it starts.
    pack = (
        vault.context(project=project, query=query, budget=budget or DEFAULT_BUDGET, user=user)
        if context
        else None
    )
    session = vault.sessions.start(project=project, user=user, agent=agent, title=title)
    if json_out:
        data = {"session": session.to_dict()}
        print_json(data if pack is None else {**data, "context": pack.to_dict()})
        return
    sys.stdout.write(session.id + "\n")
    if pack is not None:
        print_pack(pack, explain=False)


def handoff_draft(
    done: str | None,
    stopped_at: str | None,
    next_steps: list[str] | None,
    questions: list[str] | None,
    touched: list[str] | None,
) -> HandoffDraft | None:
    """The handoff the options describe (None when none is), refused when it lacks --done."""
    if done is None:
        if stopped_at is not None or next_steps or questions or touched:
            raise InvalidInputError("a handoff needs --done: what was done in the session")
        return None
    from memvault.service.sessions import HandoffDraft

    return HandoffDraft(
        done=done,
        stopped_at=stopped_at,
        next_steps=tuple(next_steps or ()),
        open_questions=tuple(questions or ()),
        touched=tuple(touched or ()),
    )


@session_app.command("handoff")
def handoff(
    ctx: typer.Context,
    session_id: SessionArgument,
    done: DoneOption = None,
    stopped_at: StoppedOption = None,
    next_step: NextOption = None,
    question: QuestionOption = None,
    touched: TouchedOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Write where work stopped without ending the session (a checkpoint)."""
    draft = handoff_draft(done, stopped_at, next_step, question, touched)
    if draft is None:
        raise InvalidInputError("a handoff needs --done: what was done in the session")
    made = state(ctx).vault().sessions.handoff(session_id, draft)
    if json_out:
        print_json(made.to_dict())
    else:
        console.print(f"handoff {made.id} written for session {made.session_id}")


@session_app.command("end")
def end(
    ctx: typer.Context,
    session_id: SessionArgument,
    done: DoneOption = None,
    stopped_at: StoppedOption = None,
    next_step: NextOption = None,
    question: QuestionOption = None,
    touched: TouchedOption = None,
    json_out: JsonFlag = False,
) -> None:
    """End the session, with a handoff for the next one when --done is given."""
    draft = handoff_draft(done, stopped_at, next_step, question, touched)
    sessions = state(ctx).vault().sessions
    ended = sessions.end(session_id, handoff=draft)
    written = sessions.handoffs(session_id=ended.id, limit=1) if draft is not None else []
    if json_out:
        data = {"session": ended.to_dict()}
        print_json({**data, "handoff": written[0][1].to_dict()} if written else data)
    else:
        console.print(f"ended {ended.id}" + (" with a handoff" if written else ""))


def _status_change(session: Session, verb: str, json_out: bool) -> None:
    if json_out:
        print_json(session.to_dict())
    else:
        console.print(f"{verb} {session.id}")


@session_app.command("pause")
def pause(ctx: typer.Context, session_id: SessionArgument, json_out: JsonFlag = False) -> None:
    """Pause an active session (it can be resumed, and logged to meanwhile)."""
    _status_change(state(ctx).vault().sessions.pause(session_id), "paused", json_out)


@session_app.command("resume")
def resume(ctx: typer.Context, session_id: SessionArgument, json_out: JsonFlag = False) -> None:
    """Make a paused session active again."""
    _status_change(state(ctx).vault().sessions.resume(session_id), "resumed", json_out)


@session_app.command("delete")
def delete(ctx: typer.Context, session_id: SessionArgument, json_out: JsonFlag = False) -> None:
    """Delete a session with its conversations, messages, handoffs and costs."""
    sessions = state(ctx).vault().sessions
    found = sessions.get(session_id)
    sessions.delete(found.id)
    if json_out:
        print_json({"deleted": found.id})
    else:
        console.print(f"deleted session {found.id}")


session_app.command("log")(session_log.log)
session_app.command("list")(session_reads.list_sessions)
session_app.command("show")(session_reads.show)
session_app.command("search")(session_reads.search)
session_app.command("prune")(session_reads.prune)

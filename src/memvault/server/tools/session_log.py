"""session_log: messages and costs into an open session, in one atomic batch.

A batch is checked whole before anything is written, so one bad message logs none. The reply
lists the new messages' ids as far as the response budget allows, and says how many it left out.
"""

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.core.session_records import MessageDraft
from memvault.server.budget import Budget
from memvault.server.context import CHANGE, Reply, ToolContext, reply, tool_errors
from memvault.service.sessions import CostDraft

MESSAGE_FIELDS = ("role", "content", "tokens")
COST_FIELDS = ("model", "input_tokens", "output_tokens", "usd")


def register(server: MCPServer, ctx: ToolContext) -> None:
    @server.tool(
        description="Log messages and costs to a session.",
        annotations=CHANGE,
    )
    def session_log(
        session_id: str,
        messages: Annotated[
            list[dict[str, Any]] | None, Field(description="[{role,content,tokens?}]")
        ] = None,
        costs: Annotated[
            list[dict[str, Any]] | None,
            Field(description="[{model,input_tokens,output_tokens,usd}]"),
        ] = None,
    ) -> Reply:
        with tool_errors():
            drafts = [message_draft(m, i) for i, m in enumerate(messages or ())]
            spent = [cost_draft(c, i) for i, c in enumerate(costs or ())]
            if not drafts and not spent:
                raise InvalidInputError("nothing to log: give messages, costs or both")
            made = ctx.vault.sessions.log(session_id, drafts, costs=spent)
        return reply(logged([m.id for m in made], ctx.budget))


def message_draft(value: dict[str, Any], index: int) -> MessageDraft:
    """One message, its fields checked here so that an error names which message it is."""
    where = f"messages[{index}]"
    _known(value, MESSAGE_FIELDS, where)
    content, tokens = value.get("content"), value.get("tokens")
    if not isinstance(content, str):
        raise InvalidInputError(f"{where} needs its content as text")
    try:
        inputs.content(content)
        if tokens is not None:
            inputs.count(tokens, "tokens")
    except InvalidInputError as exc:
        raise InvalidInputError(f"{where}: {exc}") from exc
    return MessageDraft(content, role=str(value.get("role", "user")), tokens=tokens)


def cost_draft(value: dict[str, Any], index: int) -> CostDraft:
    where = f"costs[{index}]"
    _known(value, COST_FIELDS, where)
    model = value.get("model")
    if not isinstance(model, str):
        raise InvalidInputError(f"{where} needs the model it was spent on, as text")
    return CostDraft(
        model=model,
        input_tokens=value.get("input_tokens", 0),
        output_tokens=value.get("output_tokens", 0),
        usd=value.get("usd", 0.0),
    )


def _known(value: dict[str, Any], fields: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise InvalidInputError(
            f"{where} has an unknown field {unknown[0]!r} (known: {', '.join(fields)})"
        )


def logged(ids: list[str], budget: Budget) -> dict[str, Any]:
    """``{logged, ids}`` with as many ids as fit (``more_ids``: how many were left out)."""

    def respond(shown: int) -> dict[str, Any]:
        data: dict[str, Any] = {"logged": len(ids), "ids": ids[:shown]}
        if shown < len(ids):
            data["more_ids"] = len(ids) - shown
        return data

    if budget.fits(respond(len(ids))):
        return respond(len(ids))
    low, high = 0, len(ids) - 1  # the largest count of ids that fits, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if budget.fits(respond(middle)):
            low = middle
        else:
            high = middle - 1
    return respond(low)

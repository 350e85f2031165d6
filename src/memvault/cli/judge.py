"""`memvault gold` (the gold queries) and `memvault judge` (a person judges what they find).

Judging is resumable by construction: every answer is on disk before the next result is shown
(see :mod:`memvault.evaluation.gold`), so quitting, Ctrl-C, a closed terminal or a kill lose at
most the result on screen. `memvault gold preview` shows what would be judged and writes
nothing; it says so, and it is a different command, so it cannot be taken for judging.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json, short
from memvault.cli.state import CliState, state
from memvault.core.errors import InvalidInputError

if TYPE_CHECKING:  # the evaluation layer loads when a gold command runs, not at start-up
    from memvault.evaluation.gold import GoldSet

gold_app = typer.Typer(name="gold", help="The gold queries a person judges.", no_args_is_help=True)
KEYS = {"y": "relevant", "n": "not_relevant", "s": "skipped"}  # key -> Verdict value
PROMPT = "relevant? [y]es [n]o [s]kip [u]ndo [q]uit > "


def _gold(cli: CliState) -> GoldSet:
    from memvault.evaluation.gold import GoldSet, gold_folder

    return GoldSet(gold_folder(cli.location))


@gold_app.command("add")
def gold_add(
    ctx: typer.Context,
    queries: Annotated[list[str], typer.Argument(help="One or more queries.")],
    json_out: JsonFlag = False,
) -> None:
    """Add gold queries (to HOME/gold/queries.yaml, which you may also edit by hand)."""
    gold = _gold(state(ctx))
    added = gold.add(queries)
    if json_out:
        print_json({"added": added, "count": len(gold.queries())})
    else:
        console.print(
            f"added {len(added)}; {len(gold.queries())} gold queries in {gold.queries_file}"
        )


@gold_app.command("import")
def gold_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A text file: one query per line.")],
    json_out: JsonFlag = False,
) -> None:
    """Add the queries of a file, one per line (blank lines and # comments skipped)."""
    try:
        lines = file.read_text("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{file} is not UTF-8 text") from exc
    queries = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    gold_add(ctx, queries, json_out)


@gold_app.command("list")
def gold_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """The gold queries, with how many of their results are judged relevant."""
    gold = _gold(state(ctx))
    relevant = gold.relevant()
    rows = [{"query": q, "relevant": len(relevant.get(q, ()))} for q in gold.queries()]
    if json_out:
        print_json({"queries": rows, "count": len(rows)})
        return
    for row in rows:
        console.print(f"{row['relevant']:3} relevant  {row['query']}")


@gold_app.command("preview")
def gold_preview(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """What `memvault judge` would show, in order. Writes nothing."""
    from memvault.evaluation.gold import pending, pool

    cli = state(ctx)
    gold = _gold(cli)
    todo = pending(pool(cli.vault(), gold.queries()), gold.answers())
    if json_out:
        items = [{"query": c.query, "id": c.memory_id, "found_by": list(c.found_by)} for c in todo]
        print_json({"preview": True, "written": False, "pending": items, "count": len(items)})
        return
    for number, candidate in enumerate(todo, start=1):
        console.print(
            f"{number:3}. {short(candidate.query, 40)}  →  {short(candidate.content, 60)}"
        )
    console.print(f"preview only: {len(todo)} results to judge; nothing was written")


def judge(ctx: typer.Context) -> None:
    """Judge the pooled results of the gold queries, one at a time; resumes where it stopped."""
    from memvault.evaluation.gold import Verdict, pending, pool

    cli = state(ctx)
    gold = _gold(cli)
    queries = gold.queries()
    if not queries:
        raise InvalidInputError('no gold queries yet: memvault gold add "a query"')
    candidates = pool(cli.vault(), queries)
    total = len(candidates)
    while todo := pending(candidates, gold.answers()):
        candidate = todo[0]
        console.print(
            f"\n[bold]{total - len(todo) + 1} of {total}[/bold]  query: {candidate.query}\n"
            f"  {short(candidate.content, 400)}\n  [dim]found by {', '.join(candidate.found_by)}"
            f" · {candidate.memory_id}[/dim]",
            highlight=False,
        )
        try:
            key = input(PROMPT).strip().lower()
        except EOFError:
            key = "q"
        if key in KEYS:
            gold.record(candidate, Verdict(KEYS[key]))
        elif key == "u":
            last = gold.last_answer()
            if last is None:
                console.print("nothing to undo")
            else:
                gold.undo(last)
                console.print(f"undone: {last.verdict.value} for {last.memory_id}")
        elif key == "q":
            done = total - len(pending(candidates, gold.answers()))
            console.print(f"stopped: {done} of {total} judged, all saved; run judge again to go on")
            return
        else:
            console.print("type y, n, s, u or q, then Enter")
    console.print(f"all {total} results judged ({gold.judgments_file})")

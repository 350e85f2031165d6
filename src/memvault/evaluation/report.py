"""Evaluation results for people: a terminal table and the Markdown of docs/benchmarks.md.

Both show the same columns in the same order as the JSON contract, so a number can be found
in any of the three by the same name.
"""

from __future__ import annotations

import re

from rich.table import Table

from memvault.evaluation.gold_scores import WEAK_BELOW, Estimate, GoldReport
from memvault.evaluation.runner import EvalReport, EvalResult

START, END = "<!-- eval:start -->", "<!-- eval:end -->"
SCORES = ("ndcg@10", "recall@1", "recall@5", "recall@10", "mrr")
TIMES = ("p50_ms", "p95_ms")


def title(report: EvalReport) -> str:
    model = f", {report.model_id}" if report.model_id else ""
    server = f", on {report.server}" if report.server else ""
    return (
        f"{report.dataset}: {report.queries:,} queries over {report.documents:,} documents"
        f"{model}{server}"
    )


def _cells(result: EvalResult) -> list[str]:
    data = result.to_dict()
    return [
        result.mode,
        result.storage,
        *(f"{data[name]:.3f}" for name in SCORES),
        *(f"{data[name]:.1f}" for name in TIMES),
    ]


def results_table(report: EvalReport) -> Table:
    # No rules and minimum widths: all nine columns fit the 80 columns rich assumes when
    # stdout is not a terminal (it drops whole columns that do not), and none is cut to "…".
    table = Table(title=title(report), box=None, pad_edge=False, header_style="bold")
    table.add_column("mode", min_width=7, no_wrap=True)
    table.add_column("storage", min_width=7, no_wrap=True)
    for name in (*SCORES, *TIMES):
        table.add_column(name, justify="right", min_width=max(len(name), 5), no_wrap=True)
    for result in report.results:
        table.add_row(*_cells(result))
    return table


def gold_table(reports: list[tuple[str, GoldReport]]) -> Table:
    """Gold-set scores, one row per (model, mode): each cell the mean and its 95% interval.

    Several reports (``reembed --dry-run``: the current model and the new one) share one table
    so that the same metric of two models sits in one column. The interval goes under the mean
    in its cell, so six metrics still fit 80 columns.
    """
    names = reports[0][1].metric_names
    table = Table(box=None, pad_edge=False, header_style="bold")
    if len(reports) > 1:
        table.add_column("model", overflow="fold", max_width=22)
    table.add_column("mode", min_width=7, no_wrap=True)
    table.add_column("N", justify="right", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right", min_width=9, no_wrap=True)
    for label, report in reports:
        for result in report.results:
            lead = [label] if len(reports) > 1 else []
            if result.error is not None:
                continue  # said under the table (``not_scored``): a message breaks the columns
            size = f"{result.queries}" + (" weak" if result.weak else "")
            cells = [_estimate(result.metrics[name]) for name in names]
            table.add_row(*lead, result.mode, size, *cells)
    return table


def gold_notes(report: GoldReport) -> list[str]:
    """What a reader of the gold table must know to read it right."""
    lines = [
        f"{report.judged} of {report.gold_queries} gold queries have a result judged relevant "
        "and are scored (N); each cell is the mean over them and, under it, its 95% bootstrap "
        "interval."
    ]
    if report.weak:
        lines.append(
            f"weak: N < {WEAK_BELOW}; one query moves a mean by 1/N, so read the intervals, "
            "not the second decimal (judge more queries with `memvault judge`)."
        )
    unjudged = {r.mode: r.unjudged for r in report.results if r.unjudged}
    counted = ", ".join(f"{n} in {mode}" for mode, n in unjudged.items()) or "none here"
    lines.append(
        f"Unjudged results count as not relevant ({counted}); skipped results are left out."
    )
    return lines


def not_scored(reports: list[tuple[str, GoldReport]]) -> list[str]:
    """One line per mode that could not run, e.g. vector search in a vault without vectors."""
    return [
        f"{label + ' ' if label else ''}{result.mode}: not scored: {result.error}"
        for label, report in reports
        for result in report.results
        if result.error is not None
    ]


def _estimate(estimate: Estimate) -> str:
    return f"{estimate.value:.3f}\n[dim]{estimate.low:.2f}-{estimate.high:.2f}[/dim]"


def markdown_table(report: EvalReport) -> str:
    head = ["mode", "storage", *SCORES, *(name.replace("_", " ") for name in TIMES)]
    lines = [
        "| " + " | ".join(head) + " |",
        "|---|---|" + "---:|" * (len(SCORES) + len(TIMES)),
    ]
    lines += ["| " + " | ".join(_cells(result)) + " |" for result in report.results]
    return "\n".join(lines)


def replace_section(document: str, section: str) -> str:
    """``document`` with the text between the eval markers replaced by ``section``.

    ``section`` must itself start with START and end with END. Without markers it is appended,
    so the rest of the file (written by ``make bench``) is never touched.
    """
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if pattern.search(document):
        updated = pattern.sub(lambda _: section, document, count=1)
    else:
        updated = document.rstrip("\n") + "\n\n" + section
    return updated.rstrip("\n") + "\n"

"""Evaluation results for people: a terminal table and the Markdown of docs/benchmarks.md.

Both show the same columns in the same order as the JSON contract, so a number can be found
in any of the three by the same name.
"""

from __future__ import annotations

import re

from rich.table import Table

from memvault.evaluation.runner import EvalReport, EvalResult

START, END = "<!-- eval:start -->", "<!-- eval:end -->"
SCORES = ("ndcg@10", "recall@1", "recall@5", "recall@10", "mrr")
TIMES = ("p50_ms", "p95_ms")


def title(report: EvalReport) -> str:
    model = f", {report.model_id}" if report.model_id else ""
    return (
        f"{report.dataset}: {report.queries:,} queries over {report.documents:,} documents{model}"
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

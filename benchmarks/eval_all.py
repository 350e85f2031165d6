"""`make eval`: search quality on SciFact and LoCoMo, printed and saved to docs/benchmarks.md.

Runs ``memvault.evaluation`` (what ``memvault eval`` runs) on both public datasets with every
search mode and, by default, every vector storage kind, then rewrites only the section between
``<!-- eval:start -->`` and ``<!-- eval:end -->`` of docs/benchmarks.md (``make bench`` owns the
rest). Document vectors are cached (``$MEMVAULT_CACHE`` or ~/.cache/memvault/embeddings): the
first run embeds SciFact's 5,183 abstracts and LoCoMo's 2,760 turns (the whole first run took
5.3 min on 2 cores with the bundled model); later runs only insert, quantise and search.

The datasets are read from ``--data`` (default ``$MEMVAULT_DATASETS`` or
/work/shared/datasets), never copied: their licence is non-commercial.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from memvault.cli.evaluate import build_embedder, default_cache_dir, progress_bar
from memvault.core.errors import MemvaultError
from memvault.embedding.factory import DEFAULT_SPEC
from memvault.evaluation import datasets, report, runner
from memvault.service.fusion import DEFAULT_FUSION, FusionMethod

HERE = Path(__file__).parent
DOC = HERE.parent / "docs" / "benchmarks.md"
START, END = report.START, report.END
DEFAULT_DATA = Path(os.environ.get("MEMVAULT_DATASETS", "/work/shared/datasets"))
RUNS = (  # (path under --data, split, what the queries are)
    ("scifact", "test", "BEIR test split: scientific claims searching 5,183 abstracts."),
    (
        "locomo/locomo-dev5.json",
        "test",
        "Questions of categories 1-4, each searching only its own conversation, whose turns are\n"
        'the memories ("Speaker: text" plus photo captions); the evidence turns are relevant.',
    ),
)
console = Console(highlight=False)


def fusion_settings() -> str:
    s = DEFAULT_FUSION
    if s.method is FusionMethod.RRF:
        return f"weighted RRF, vector weight {s.vector_weight}, k={s.rrf_k:g}, depth {s.depth}"
    return (
        f"z-score fusion, keyword weight {s.keyword_weight}, vector weight {s.vector_weight}, "
        f"{s.depth} candidates per signal"
    )


def section(reports: list[tuple[runner.EvalReport, str]], spec: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    models = sorted({r.model_id for r, _ in reports if r.model_id}) or ["none (keyword only)"]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        START,
        "## Search quality on public datasets (`make eval`)",
        "",
        f"Written by `make eval` on {when} with the `{spec}` embedder "
        f"(model {', '.join(f'`{m}`' for m in models)}); {machine}.",
        "Each collection is indexed into a fresh vault through the public API (`remember_many`,",
        "then the embedding queue is drained) and every query is one `search` call with k=10, so",
        "fusion and vector quantisation are part of the numbers. Latency is per call and includes",
        "embedding the query. Keyword search does not use vectors: its rows differ only by noise.",
        "One dataset at a time: `memvault eval PATH [--modes ...] [--storage ...] [--json]`.",
        "",
        f"Hybrid settings (`service.fusion.DEFAULT_FUSION`): {fusion_settings()}. They were",
        "chosen on SciFact's *train* claims only, never on these test queries: see",
        "`docs/fusion.md` (`benchmarks/tune_fusion.py`). No recency/importance/confidence boosts.",
        "",
    ]
    for result, about in reports:
        lines += [f"### {report.title(result)}", "", about, "", report.markdown_table(result), ""]
    lines.append(END)
    return "\n".join(lines)


def rewrite(doc: Path, section_text: str) -> None:
    current = doc.read_text("utf-8") if doc.exists() else "# Benchmarks\n"
    doc.write_text(report.replace_section(current, section_text), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="datasets folder")
    parser.add_argument("--embedder", default=DEFAULT_SPEC, help="embedder spec")
    parser.add_argument("--modes", default="keyword,vector,hybrid")
    parser.add_argument("--storage", default="float32,int8,bit")
    parser.add_argument("--cache", type=Path, default=None, help="document vector cache")
    parser.add_argument("--limit", type=int, default=None, help="first N queries (trial runs)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave the docs")
    args = parser.parse_args(argv)
    try:
        modes = runner.parse_choices(args.modes, runner.MODES, "search mode")
        storages = runner.parse_choices(args.storage, runner.STORAGES, "vector storage")
        embedder = build_embedder(args.embedder, args.cache or default_cache_dir())
        reports = []
        for relative, split, about in RUNS:
            dataset = datasets.load(args.data / relative, split=split).limited(args.limit)
            with progress_bar() as progress:
                result = runner.evaluate(
                    dataset, embedder=embedder, modes=modes, storages=storages, progress=progress
                )
            console.print(report.results_table(result))
            reports.append((result, about))
    except MemvaultError as exc:
        print(f"eval: error: {exc}", file=sys.stderr)
        return 1
    if args.limit is not None or args.no_write:
        console.print("not written to docs: a partial run (--limit) or --no-write")
        return 0
    rewrite(DOC, section(reports, args.embedder))
    console.print(f"written to {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

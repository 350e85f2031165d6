"""``memvault eval``: retrieval quality on a public benchmark, per search mode and storage kind.

(``memvault eval --gold`` is the other half: the user's own vault on its judged gold set, see
:mod:`memvault.cli.gate`; what follows is about the public datasets.)

It needs no vault of the user's: every collection is indexed into a temporary one, so the
global ``--home`` and ``--embedder`` are ignored (eval has its own ``--embedder``). ``--db URL``
(a PostgreSQL database, after ``eval`` or, as the global option, before it; eval's own wins)
puts each temporary vault in a fresh schema of that database instead of a SQLite file, to
measure the other engine; the schema is dropped afterwards. Only a ``--db`` typed on the command
line counts: ``MEMVAULT_DB`` points at the user's own vault, and a benchmark must not start
writing schemas to that server unasked.
Document vectors are cached on disk (see ``memvault.embedding.cache``) because embedding a
corpus is by far the slowest step; query vectors are not, so the latencies reported include
embedding the query, as a real search does.
Progress goes to stderr, and only on a terminal, so stdout stays clean JSON with ``--json``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from memvault.cli.output import console, print_json
from memvault.embedding.factory import DEFAULT_SPEC
from memvault.evaluation.gold_gate import DEFAULT_TOLERANCE

if TYPE_CHECKING:
    from memvault.embedding.base import Embedder
    from memvault.evaluation.runner import ProgressFn

CACHE_ENV = "MEMVAULT_CACHE"


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "memvault" / "embeddings")


def evaluate(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            help="A BEIR folder (corpus.jsonl, queries.jsonl, qrels/) or a LoCoMo JSON file."
        ),
    ] = None,
    gold: Annotated[
        bool,
        typer.Option("--gold", help="Score this vault on its judged gold set instead (the gate)."),
    ] = False,
    modes: Annotated[
        str, typer.Option("--modes", help="Search modes, comma-separated.")
    ] = "keyword,vector,hybrid",
    storage: Annotated[
        str,
        typer.Option("--storage", help="Vector storage kinds, comma-separated: float32,int8,bit."),
    ] = "float32",
    embedder: Annotated[
        str | None,
        typer.Option(
            "--embedder",
            help=f"Embedder spec (bundled, hash:384, ollama:MODEL, none); default {DEFAULT_SPEC}.",
        ),
    ] = None,
    split: Annotated[
        str, typer.Option("--split", help="BEIR qrels split: test, or train for tuning.")
    ] = "test",
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N queries (quick runs).")
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache",
            help=f"Document vector cache (default ${CACHE_ENV} or ~/.cache/memvault/embeddings).",
        ),
    ] = None,
    ks: Annotated[str, typer.Option("--k", help="--gold: recall cut-offs, e.g. 5,10,20.")] = "5,10",
    fusion: Annotated[
        str | None,
        typer.Option("--fusion", help="--gold: hybrid fusion override, e.g. keyword=1,vector=0."),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="--gold: exit 1 if a metric fell below this baseline."),
    ] = None,
    save_baseline: Annotated[
        Path | None, typer.Option("--save-baseline", help="--gold: write the scores here (JSON).")
    ] = None,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="--gold: largest drop of a metric that passes.")
    ] = DEFAULT_TOLERANCE,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Run the vaults on this PostgreSQL database (postgresql://USER@HOST/DB): a fresh "
            "schema each, dropped after. Default: temporary SQLite files.",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Measure search quality (nDCG@10, recall@k, MRR): on a public dataset, or with --gold on
    this vault's own judged queries (with --baseline, a gate for CI)."""
    if gold:
        from memvault.cli.gate import gold_eval
        from memvault.cli.state import state

        if db is not None:
            raise typer.BadParameter(
                "--gold scores the vault the global --db names: put it before eval "
                "(memvault --db URL eval --gold)",
                param_hint="--db",
            )
        _gold_only_checks(path, storage, embedder, split, limit, cache)
        gold_eval(
            state(ctx),
            modes=modes,
            ks=ks,
            fusion=fusion,
            baseline=baseline,
            save_to=save_baseline,
            tolerance=tolerance,
            json_out=json_out,
        )
        return
    gold_options = {"--fusion": fusion, "--baseline": baseline, "--save-baseline": save_baseline}
    given = [name for name, value in {**gold_options, "--k": ks != "5,10"}.items() if value]
    if given:
        raise typer.BadParameter("needs --gold", param_hint=", ".join(given))
    if path is None:
        raise typer.BadParameter("give a dataset PATH, or --gold", param_hint="PATH")
    from memvault.evaluation import datasets, report, runner

    chosen_modes = runner.parse_choices(modes, runner.MODES, "search mode")
    chosen_storages = runner.parse_choices(storage, runner.STORAGES, "vector storage")
    store = db if db is not None else _global_db(ctx)
    if store is not None:
        runner.check_store_url(store)  # before the model loads and the corpus is read
    dataset = datasets.load(path, split=split).limited(limit)
    model = build_embedder(embedder or DEFAULT_SPEC, cache or default_cache_dir())
    with progress_bar() as progress:
        result = runner.evaluate(
            dataset,
            embedder=model,
            modes=chosen_modes,
            storages=chosen_storages,
            progress=progress,
            store=store,
        )
    if json_out:
        print_json(result.to_dict())
    else:
        console.print(report.results_table(result))


def _global_db(ctx: typer.Context) -> str | None:
    """The root command's ``--db`` when it was typed (``memvault --db URL eval``), not when it
    came from ``MEMVAULT_DB`` or was left out."""
    root = ctx.find_root()
    source = root.get_parameter_source("db")  # by name: typer ships a click of its own
    if source is None or source.name != "COMMANDLINE":
        return None
    value = root.params.get("db")
    return value if isinstance(value, str) else None


def _gold_only_checks(
    path: Path | None,
    storage: str,
    embedder: str | None,
    split: str,
    limit: int | None,
    cache: Path | None,
) -> None:
    """--gold scores the vault as it is: options about a dataset make no sense with it."""
    if path is not None:
        raise typer.BadParameter("--gold scores this vault: no dataset PATH", param_hint="PATH")
    if embedder is not None:
        raise typer.BadParameter(
            "--gold scores the vault's own vectors; try another model with "
            "`memvault reembed --dry-run --embedder SPEC`",
            param_hint="--embedder",
        )
    dataset_only = {
        "--storage": storage != "float32",
        "--split": split != "test",
        "--limit": limit is not None,
        "--cache": cache is not None,
    }
    given = [name for name, set_ in dataset_only.items() if set_]
    if given:
        raise typer.BadParameter("is for a dataset, not --gold", param_hint=", ".join(given))


def build_embedder(spec: str, cache_dir: Path) -> Embedder | str:
    if spec.strip().lower() == "none":
        return "none"  # keyword only; the runner says so if a vector mode was asked for
    from memvault.embedding.cache import CachedEmbedder
    from memvault.embedding.factory import make_embedder

    # Queries stay uncached: their latency is part of what eval measures.
    return CachedEmbedder(make_embedder(spec), cache_dir, cache_queries=False)


@contextmanager
def progress_bar() -> Iterator[ProgressFn]:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    stderr = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=stderr, transient=True, disable=not stderr.is_terminal) as bar:
        task = bar.add_task("loading", total=None)

        def update(what: str, done: int, total: int) -> None:
            # escape: "[float32]" in a label is text, not rich markup
            bar.update(task, description=escape(what), completed=done, total=total or None)

        yield update

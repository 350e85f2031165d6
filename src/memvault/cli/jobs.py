"""Commands about the embedding queue and the vectors: jobs, reembed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json
from memvault.cli.progress import embedding_progress
from memvault.cli.state import state
from memvault.core.errors import InvalidInputError
from memvault.core.vector_records import JobCounts, VectorStorage
from memvault.evaluation.gold_gate import DEFAULT_TOLERANCE

if TYPE_CHECKING:  # for annotations only: start-up stays light
    from memvault.service.vault import Vault


def jobs_command(
    ctx: typer.Context,
    wait: Annotated[
        bool, typer.Option("--wait", help="Embed here until nothing is queued or running.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Queue failed jobs again first.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Embedding jobs: queued / running / done / failed counts, progress and failures."""
    vault = state(ctx).vault()
    if retry_failed:
        vault.retry_failed_jobs()
    counts = wait_with_progress(vault, quiet=quiet or json_out) if wait else vault.jobs()
    if quiet:
        return
    report = _report(vault, counts)
    if json_out:
        print_json(report)
        return
    console.print(
        f"queued {counts.queued}, running {counts.running}, done {counts.done}, "
        f"failed {counts.failed} ({report['progress']:.0%} done)"
    )
    for failure in vault.job_failures():
        console.print(
            f"  [red]failed[/red] {failure.memory_id} after {failure.attempts} tries: "
            f"{failure.error}"
        )
    for run in vault.index_runs(5):
        console.print(
            f"index {run.root}: {run.state}, {run.files_done}/{run.files_total} files, "
            f"{run.chunks} chunks" + (f" ({run.error})" if run.error else "")
        )


def wait_with_progress(vault: Vault, *, quiet: bool) -> JobCounts:
    """Embed what is queued, with a progress bar on a terminal."""
    with embedding_progress(enabled=not quiet) as update:
        return vault.wait_for_jobs(progress=update)


def reembed(
    ctx: typer.Context,
    vector_storage: Annotated[
        VectorStorage | None, typer.Option(help="Change the storage kind while at it.")
    ] = None,
    embedder: Annotated[
        str | None,
        typer.Option("--embedder", help="The model to embed with (as the global --embedder)."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Score the new model on the gold set in a shadow copy first; change nothing.",
        ),
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="With --dry-run: exit 1 if the new model scores worse."),
    ] = None,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Largest drop of a metric that still passes.")
    ] = DEFAULT_TOLERANCE,
    json_out: JsonFlag = False,
) -> None:
    """Throw away every vector and embed all memories with the current embedder (or
    --embedder). --dry-run scores the new model on the gold set in a copy and changes nothing."""
    cli = state(ctx)
    if dry_run:
        from memvault.cli.gate import reembed_dry_run

        # The vault opens with the model of its vectors; the new one goes to the shadow only.
        spec, cli.embedder = embedder or cli.embedder, None
        reembed_dry_run(
            cli,
            embedder=spec or cli.vault().vector_settings().embedder,
            storage=vector_storage,
            baseline=baseline,
            tolerance=tolerance,
            json_out=json_out,
        )
        return
    if baseline is not None:
        raise InvalidInputError("--baseline needs --dry-run (a real reembed is not scored)")
    if embedder is not None:
        cli.embedder = embedder
    vault = cli.vault()
    with embedding_progress(enabled=not json_out) as update:
        counts = vault.reembed(storage=vector_storage, progress=update)
    report = _report(vault, counts)
    if json_out:
        print_json(report)
    else:
        config = vault.vector_config()
        model = config.model_id if config else vault.vector_settings().embedder
        console.print(f"re-embedded {counts.done} memories with {model}")


def _report(vault: Vault, counts: JobCounts) -> dict[str, object]:
    config = vault.vector_config()
    finished = counts.done + counts.failed
    return {
        **counts.to_dict(),
        "progress": finished / counts.total if counts.total else 1.0,
        "embedder": vault.vector_settings().embedder,
        "vectors": config.to_dict() if config else None,
        "failures": [
            {"memory_id": f.memory_id, "attempts": f.attempts, "error": f.error}
            for f in vault.job_failures()
        ],
        "index_runs": [run.to_dict() for run in vault.index_runs(5)],
    }

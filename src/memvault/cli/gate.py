"""The gold-set gate: ``memvault eval --gold`` and ``memvault reembed --dry-run``.

Both score the user's own vault on the queries a person judged (``memvault judge``). With
``--baseline FILE`` the exit code is the verdict, for CI or before a re-embed: 0 when no metric
fell by more than the tolerance, 1 when one did (each is listed). A mistake in what was asked
(a bad ``--fusion``, a missing or garbled baseline) is a usage error, exit 2, so that a script
never takes a typo for a regression.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import typer

from memvault.cli.output import console, print_json
from memvault.cli.progress import embedding_progress
from memvault.cli.state import CliState
from memvault.core.errors import InvalidInputError
from memvault.core.vector_records import VectorStorage
from memvault.evaluation import report as tables
from memvault.evaluation.gold import GoldSet, gold_folder
from memvault.evaluation.gold_gate import (
    Baseline,
    GateResult,
    check_tolerance,
    gate,
    load_baseline,
    save_baseline,
)
from memvault.evaluation.gold_scores import GATE_MODES, GoldReport, parse_ks, score_gold
from memvault.evaluation.runner import parse_choices
from memvault.service.fusion import FusionSettings, parse_fusion

T = TypeVar("T")
SHADOW_MODES = ("vector", "hybrid")  # what a new model or storage kind changes


def usage(option: str, parse: Callable[[], T]) -> T:
    """``parse()``, its input error turned into a usage error (exit 2) naming ``option``."""
    try:
        return parse()
    except InvalidInputError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def gold_eval(
    cli: CliState,
    *,
    modes: str,
    ks: str,
    fusion: str | None,
    baseline: Path | None,
    save_to: Path | None,
    tolerance: float,
    json_out: bool,
) -> None:
    """Score the vault on its gold set; save it as a baseline, or gate it against one."""
    chosen = usage("--modes", lambda: parse_choices(modes, GATE_MODES, "search mode"))
    cutoffs = usage("--k", lambda: parse_ks(ks))
    settings = usage("--fusion", lambda: parse_fusion(fusion)) if fusion else None
    if settings is not None and "hybrid" not in chosen:
        raise typer.BadParameter(
            "changes only the hybrid mode: add hybrid to --modes", param_hint="--fusion"
        )
    held = _baseline(baseline, tolerance)
    gold = GoldSet(gold_folder(cli.location))
    scored = score_gold(cli.vault(), gold, modes=chosen, ks=cutoffs, fusion=settings)
    verdict = usage("--baseline", lambda: gate(scored, held, tolerance)) if held else None
    refused = verdict is not None and not verdict.passed
    if save_to is not None and not refused:  # a failed gate never becomes the next baseline
        save_baseline(scored, save_to)
    if json_out:
        print_json({**scored.to_dict(), "gate": verdict.to_dict() if verdict else None})
    else:
        _print([("", scored)], verdict, fusion=settings, title=f"gold set ({gold.folder})")
        if save_to is not None:
            done = "not saved: the gate failed" if refused else "saved"
            console.print(f"baseline {done} ({save_to})")
    if refused:
        raise typer.Exit(1)


def reembed_dry_run(
    cli: CliState,
    *,
    embedder: str,
    storage: VectorStorage | None,
    baseline: Path | None,
    tolerance: float,
    json_out: bool,
) -> None:
    """Score the current vectors and a shadow re-embedded with ``embedder``; change nothing."""
    from memvault.service.shadow import shadow_vault

    held = _baseline(baseline, tolerance)
    gold = GoldSet(gold_folder(cli.location))
    vault = cli.vault()
    current = score_gold(vault, gold, modes=SHADOW_MODES)
    with (
        embedding_progress(enabled=not json_out) as update,
        shadow_vault(vault, embedder=embedder, storage=storage, progress=update) as shadow,
    ):
        new = score_gold(shadow, gold, modes=SHADOW_MODES)
    verdict = usage("--baseline", lambda: gate(new, held, tolerance)) if held else None
    if json_out:
        print_json(
            {
                "dry_run": True,
                "written": False,
                "current": current.to_dict(),
                "new": {**new.to_dict(), "embedder": embedder},
                "gate": verdict.to_dict() if verdict else None,
            }
        )
    else:
        console.print(
            f"now = {_model(current)} (this vault's vectors); "
            f"new = {_model(new)} (a shadow copy, re-embedded)"
        )
        _print([("now", current), ("new", new)], verdict, fusion=None, title="")
        console.print("dry run: nothing was written to the vault (the shadow copy is deleted)")
    if verdict is not None and not verdict.passed:
        raise typer.Exit(1)


def _model(report: GoldReport) -> str:
    return f"{report.model_id} {report.storage}" if report.model_id else "no vectors"


def _baseline(path: Path | None, tolerance: float) -> Baseline | None:
    usage("--tolerance", lambda: check_tolerance(tolerance))
    if path is None:
        return None
    return usage("--baseline", lambda: load_baseline(path))


def _print(
    reports: Sequence[tuple[str, GoldReport]],
    verdict: GateResult | None,
    *,
    fusion: FusionSettings | None,
    title: str,
) -> None:
    if title:
        model = reports[0][1].model_id or "none (no vectors)"
        console.print(f"[bold]{title}[/bold]: model {model}")
    if fusion is not None:
        console.print(
            f"hybrid with fusion {fusion.method.value}: keyword {fusion.keyword_weight:g}, "
            f"vector {fusion.vector_weight:g}, depth {fusion.depth}"
        )
    console.print(tables.gold_table(list(reports)))
    for line in [*tables.not_scored(list(reports)), *tables.gold_notes(reports[-1][1])]:
        console.print(line)
    if verdict is None:
        return
    where = f"{verdict.baseline.path} (tolerance {verdict.tolerance:g})"
    if verdict.passed:
        console.print(f"gate passed against {where}: {', '.join(verdict.compared)}")
        return
    console.print(f"[red]gate FAILED[/red] against {where}:")
    for drop in verdict.drops:
        console.print(f"  {drop.describe()}")

"""The gate: today's gold-set scores against a saved baseline, metric by metric, mode by mode.

A baseline is the JSON of ``memvault eval --gold --save-baseline FILE`` (the same object as
``--json``), so it can be read, diffed and committed next to the code it guards. The gate fails
when any metric of a mode that both runs scored is lower than the baseline's by more than the
tolerance (an absolute difference: 0.02 is two points of recall), or when a mode the baseline
scored could not be scored now (vectors gone is a regression, not a pass). A rise never fails.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memvault.content.markdown.paths import atomic_write
from memvault.core.errors import InvalidInputError
from memvault.evaluation.gold_scores import GoldReport

DEFAULT_TOLERANCE = 0.02


@dataclass(frozen=True, slots=True)
class Baseline:
    path: Path
    judged: int
    model_id: str | None
    scores: dict[str, dict[str, float]]  # mode -> metric -> value


@dataclass(frozen=True, slots=True)
class Drop:
    mode: str
    metric: str
    baseline: float
    now: float | None  # None: the mode could not be scored now

    def describe(self) -> str:
        if self.now is None:
            return f"{self.mode}: not scored now"
        return (
            f"{self.mode} {self.metric}: {self.baseline:.3f} -> {self.now:.3f} "
            f"({self.now - self.baseline:+.3f})"
        )


@dataclass(frozen=True, slots=True)
class GateResult:
    baseline: Baseline
    tolerance: float
    compared: tuple[str, ...]  # the modes compared
    drops: tuple[Drop, ...]

    @property
    def passed(self) -> bool:
        return not self.drops

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": str(self.baseline.path),
            "tolerance": self.tolerance,
            "passed": self.passed,
            "compared": list(self.compared),
            "baseline_judged_queries": self.baseline.judged,
            "drops": [
                {"mode": d.mode, "metric": d.metric, "baseline": d.baseline, "now": d.now}
                for d in self.drops
            ],
        }


def save_baseline(report: GoldReport, path: Path) -> None:
    text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    atomic_write(path, text, fsync=True)


def load_baseline(path: Path) -> Baseline:
    """The baseline in ``path``; a missing, unreadable or foreign file is one clear error."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InvalidInputError(f"no baseline at {path}: make one with --save-baseline") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"baseline {path} is not readable JSON: {exc}") from None
    try:
        if data.get("gold") is not True:
            raise ValueError("not a `memvault eval --gold` result")
        scores = {
            str(r["mode"]): {str(k): _score(v["value"]) for k, v in r["metrics"].items()}
            for r in data["results"]
            if r.get("error") is None
        }
        return Baseline(path, int(data["judged_queries"]), data.get("model"), scores)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"baseline {path} is not a gold baseline: {exc}") from None


def check_tolerance(tolerance: float) -> float:
    if not (math.isfinite(tolerance) and 0 <= tolerance < 1):
        raise InvalidInputError(f"a tolerance must be within 0..1 (below 1), got {tolerance}")
    return tolerance


def gate(report: GoldReport, baseline: Baseline, tolerance: float) -> GateResult:
    """Every metric that dropped by more than ``tolerance``, for the modes run now."""
    check_tolerance(tolerance)
    now = report.scores()
    ran = [r.mode for r in report.results]
    drops: list[Drop] = []
    compared = []
    for mode in ran:
        before = baseline.scores.get(mode)
        if before is None:
            continue  # the baseline did not score this mode: nothing to hold it to
        compared.append(mode)
        after = now.get(mode)
        for metric, value in before.items():
            if after is None:
                drops.append(Drop(mode, "all", value, None))
                break
            if metric in after and after[metric] < value - tolerance - 1e-12:
                drops.append(Drop(mode, metric, value, after[metric]))
    if not compared:
        raise InvalidInputError(
            f"baseline {baseline.path} scored none of the modes run now ({', '.join(ran)})"
        )
    return GateResult(baseline, tolerance, tuple(compared), tuple(drops))


def _score(value: object) -> float:
    number = float(value)  # type: ignore[arg-type]
    if not 0 <= number <= 1:
        raise ValueError(f"score {value!r} is not within 0..1")
    return number

"""How validation events move a memory's confidence.

The rule is deliberately simple and bounded, so a person can predict it:

- ``confirm`` moves confidence 30 % of the way towards 1 (0.5 -> 0.65 -> 0.755 ...);
- ``use`` moves it 10 % of the way towards 1: being relied on without complaint is weak evidence;
- ``refute`` halves it (0.8 -> 0.4 -> 0.2 ...): one refutation outweighs several uses, and a
  refuted memory drifts towards 0 without ever reaching it, so its history stays readable.

Confidence never leaves [0, 1]. A refuted memory is not removed; supersede it with the correction.
"""

from __future__ import annotations

from memvault.core.records import Verdict

CONFIRM_STEP = 0.3
USE_STEP = 0.1
REFUTE_FACTOR = 0.5


def next_confidence(current: float, verdict: Verdict) -> float:
    if verdict is Verdict.CONFIRM:
        return current + (1.0 - current) * CONFIRM_STEP
    if verdict is Verdict.USE:
        return current + (1.0 - current) * USE_STEP
    return current * REFUTE_FACTOR

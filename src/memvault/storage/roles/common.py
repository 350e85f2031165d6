"""Types the role protocols share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from memvault.core.records import Verdict

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Matrix: TypeAlias = npt.NDArray[np.float32]  # (n, d) or (d,), float32, unit length

ConfidenceRule = Callable[[float, Verdict], float]
Ranked = tuple[str, float]  # (memory id, score): a search's hit before its record is read

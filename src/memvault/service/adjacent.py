"""Adjacent turns: the messages said next to a hit rank just under it.

In a conversation the words of a question and of its answer are often in different turns
("When did you go camping?" ... "Last week, in the mountains"), and multi-hop questions need
both. So after fusion, each of the best hits lends its neighbours in the same conversation a
share of its score, ``decay`` per turn of distance; a message keeps the better of its own score
and what its neighbours lend it. Measured on LoCoMo (docs/fusion.md): +0.035 recall@5 on the
conversations it was not chosen on. Only messages have neighbours (see storage/sqlite/adjacent.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from memvault.core.records import Signal
from memvault.service.fusion import Fused, FusionSettings

ADJACENT = "adjacent"  # the signal name a lent score is shown under


def lend_to_adjacent(
    fused: Sequence[Fused],
    adjacent: Mapping[str, Sequence[tuple[str, int]]],
    settings: FusionSettings,
    *,
    limit: int,
) -> list[Fused]:
    """``fused`` re-ranked with the scores the top hits lend to their adjacent messages.

    A message that only came in as a neighbour has the ``adjacent`` signal alone (its rank is
    the rank of the hit that lent the score); one that was a hit already keeps its signals and
    gains ``adjacent`` only when the lent score beats its own.
    """
    if settings.adjacent_decay <= 0 or not adjacent:
        return list(fused[:limit])
    own = {hit.memory_id: hit for hit in fused}
    lent: dict[str, tuple[float, int]] = {}
    for rank, hit in enumerate(fused[: settings.adjacent_top], 1):
        for near, distance in adjacent.get(hit.memory_id, ()):
            score = hit.score * settings.adjacent_decay**distance
            if score > lent.get(near, (0.0, 0))[0]:
                lent[near] = (score, rank)
    merged = [_with_lent(hit, lent.get(hit.memory_id)) for hit in fused]
    newcomers = sorted((key for key in lent if key not in own), key=lambda k: (lent[k][1], k))
    merged += [_with_lent(None, lent[key], key) for key in newcomers]
    merged.sort(key=lambda hit: -hit.score)  # stable: ties keep fusion's own order
    return merged[:limit]


def _with_lent(hit: Fused | None, lent: tuple[float, int] | None, key: str = "") -> Fused:
    if lent is None or (hit is not None and lent[0] <= hit.score):
        assert hit is not None
        return hit
    signals = dict(hit.signals) if hit is not None else {}
    signals[ADJACENT] = Signal(rank=lent[1], score=lent[0])
    return Fused(hit.memory_id if hit else key, lent[0], dict(sorted(signals.items())))

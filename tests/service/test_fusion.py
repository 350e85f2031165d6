"""Fusion: weighted reciprocal-rank fusion's arithmetic, the default z-score fusion's, what each
hit keeps, ties, and boosts.

The RRF tests name their settings explicitly (``rrf``); the tests of what every hit keeps and of
boosts run with RRF and with the default method alike.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memvault.core.records import Memory, SearchHit, Signal
from memvault.service.fusion import (
    DEFAULT_FUSION,
    NO_BOOSTS,
    Boosts,
    FusionMethod,
    FusionSettings,
    fuse_rankings,
    parse_fusion,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def memory(
    memory_id: str,
    *,
    importance: float = 0.5,
    confidence: float = 0.5,
    age_days: float = 0.0,
) -> Memory:
    created = (NOW - timedelta(days=age_days)).isoformat().replace("+00:00", "Z")
    return Memory(
        id=memory_id,
        content=f"content of {memory_id}",
        kind="fact",
        namespace="default",
        tags=(),
        importance=importance,
        confidence=confidence,
        source=None,
        metadata={},
        content_hash=memory_id,
        created_at=created,
        updated_at=created,
        accessed_at=None,
        access_count=0,
        valid_from=created,
        valid_to=None,
        superseded_by=None,
    )


def ranked(signal: str, *memories: Memory, scores: list[float] | None = None) -> list[SearchHit]:
    """Hits as a store returns them: best first, each carrying its own signal's rank and score."""
    values = scores or [10.0 - n for n in range(len(memories))]
    return [
        SearchHit(m, values[n], {signal: Signal(rank=n + 1, score=values[n])})
        for n, m in enumerate(memories)
    ]


def fuse(
    signals: dict[str, list[SearchHit]],
    settings: FusionSettings = DEFAULT_FUSION,
    *,
    limit: int,
    boosts: Boosts = NO_BOOSTS,
    now: datetime | None = None,
) -> list[SearchHit]:
    """``fuse_rankings`` over hits that carry their memories (the shape these tests build)."""
    memories = {hit.memory.id: hit.memory for hits in signals.values() for hit in hits}
    rankings = {name: [(h.memory.id, h.score) for h in hits] for name, hits in signals.items()}
    fused = fuse_rankings(
        rankings, settings, limit=limit, boosts=boosts, memories=memories, now=now
    )
    return [SearchHit(memories[f.memory_id], f.score, f.signals) for f in fused]


A, B, C, D = (memory(x) for x in "abcd")


def rrf(
    keyword_weight: float = 1.0, vector_weight: float = 0.5, rrf_k: float = 60.0
) -> FusionSettings:
    return FusionSettings(
        method=FusionMethod.RRF,
        keyword_weight=keyword_weight,
        vector_weight=vector_weight,
        rrf_k=rrf_k,
    )


def test_weighted_rrf_scores() -> None:
    fused = fuse(
        {"keyword": ranked("keyword", A, B, C), "vector": ranked("vector", C, D, A)},
        rrf(),
        limit=10,
    )
    expected = {
        "a": 1.0 / 61 + 0.5 / 63,
        "b": 1.0 / 62,
        "c": 1.0 / 63 + 0.5 / 61,
        "d": 0.5 / 62,
    }
    assert [h.memory.id for h in fused] == sorted(expected, key=lambda x: -expected[x])
    for hit in fused:
        assert hit.score == pytest.approx(expected[hit.memory.id], rel=1e-12)


def test_weights_and_k_are_honoured() -> None:
    signals = {"keyword": ranked("keyword", A, B), "vector": ranked("vector", B, A)}
    keyword_led = fuse(signals, rrf(keyword_weight=1.0, vector_weight=0.5), limit=2)
    vector_led = fuse(signals, rrf(keyword_weight=0.5, vector_weight=1.0), limit=2)
    assert [h.memory.id for h in keyword_led] == ["a", "b"]
    assert [h.memory.id for h in vector_led] == ["b", "a"]
    (hit,) = fuse({"keyword": ranked("keyword", A)}, rrf(rrf_k=1.0), limit=1)
    assert hit.score == pytest.approx(1.0 / 2)


def test_rankings_take_ranks_from_list_order() -> None:
    # The search path fuses plain (id, score) lists, best first.
    fused = fuse_rankings(
        {"keyword": [("a", 9.0), ("b", 4.0)], "vector": [("b", 0.8), ("c", 0.7)]},
        rrf(),
        limit=10,
    )
    assert [f.memory_id for f in fused] == ["b", "a", "c"]
    assert fused[0].score == pytest.approx(1.0 / 62 + 0.5 / 61)
    assert fused[0].signals == {
        "keyword": Signal(rank=2, score=4.0),
        "vector": Signal(rank=1, score=0.8),
    }


def test_default_zscore_fusion_arithmetic() -> None:
    assert DEFAULT_FUSION.method is FusionMethod.ZSCORE
    settings = DEFAULT_FUSION
    keyword = [("a", 12.0), ("b", 8.0), ("c", 4.0)]  # mean 8, deviation sqrt(32/3)
    vector = [("c", 0.9), ("d", 0.5)]  # mean 0.7, deviation 0.2
    fused = {
        f.memory_id: f.score
        for f in fuse_rankings({"keyword": keyword, "vector": vector}, settings, limit=10)
    }
    spread = (32 / 3) ** 0.5
    floor, kw, vw = settings.z_floor, settings.keyword_weight, settings.vector_weight
    expected = {
        "a": kw * max(4 / spread + floor, 0),
        "b": kw * floor,
        "c": kw * max(-4 / spread + floor, 0) + vw * (1 + floor),
        "d": vw * (-1 + floor),  # missing from keyword: nothing from it
    }
    assert fused == pytest.approx(expected)


def test_each_hit_keeps_every_signals_own_rank_and_score() -> None:
    fused = fuse(
        {
            "keyword": ranked("keyword", A, B, scores=[7.5, 3.25]),
            "vector": ranked("vector", B, scores=[0.91]),
        },
        limit=10,
    )
    by_id = {h.memory.id: h for h in fused}
    assert by_id["a"].signals == {"keyword": Signal(rank=1, score=7.5)}
    assert by_id["b"].signals == {
        "keyword": Signal(rank=2, score=3.25),
        "vector": Signal(rank=1, score=0.91),
    }
    assert by_id["b"].to_dict(explain=True)["signals"] == {
        "keyword": {"rank": 2, "score": 3.25},
        "vector": {"rank": 1, "score": 0.91},
    }
    assert by_id["b"].memory is B  # the record itself is passed through


def test_limit_cuts_after_fusing() -> None:
    fused = fuse({"keyword": ranked("keyword", A, B, C, D)}, limit=2)
    assert [h.memory.id for h in fused] == ["a", "b"]
    assert fuse({}, limit=5) == []


def test_ties_go_to_the_better_single_rank_then_the_id() -> None:
    # rrf_k = 0 and vector weight 2 give exact ties: keyword rank 1 -> 1/1, vector rank 2 -> 2/2.
    settings = rrf(keyword_weight=1.0, vector_weight=2.0, rrf_k=0.0)
    late, early = memory("z-late"), memory("a-early")
    fused = fuse(
        {"keyword": ranked("keyword", late), "vector": ranked("vector", D, early)},
        settings,
        limit=3,
    )
    # d: 2/1 = 2.0; z-late: 1/1 = 1.0 at rank 1; a-early: 2/2 = 1.0 but at rank 2.
    assert [h.memory.id for h in fused] == ["d", "z-late", "a-early"]
    assert fused[1].score == fused[2].score == 1.0

    # Same score and same best rank: the id decides, so the order never depends on the input.
    equal = rrf(keyword_weight=1.0, vector_weight=1.0)
    first = fuse({"keyword": ranked("keyword", C), "vector": ranked("vector", B)}, equal, limit=2)
    second = fuse({"vector": ranked("vector", B), "keyword": ranked("keyword", C)}, equal, limit=2)
    assert [h.memory.id for h in first] == [h.memory.id for h in second] == ["b", "c"]


# --- boosts ---------------------------------------------------------------------------------
def two_close_hits(first: Memory, second: Memory) -> dict[str, list[SearchHit]]:
    return {"keyword": ranked("keyword", first, second)}


def test_boosts_are_off_by_default() -> None:
    assert not Boosts().active
    old_unimportant = memory("old", importance=0.0, confidence=0.0, age_days=900)
    new_important = memory("new", importance=1.0, confidence=1.0, age_days=0)
    signals = two_close_hits(old_unimportant, new_important)
    for settings in (rrf(), DEFAULT_FUSION):
        fused = fuse(signals, settings, limit=2, now=NOW)
        assert [h.memory.id for h in fused] == ["old", "new"]
    assert fuse(signals, rrf(), limit=1, now=NOW)[0].score == pytest.approx(1.0 / 61)


@pytest.mark.parametrize(
    ("boosts", "first", "second"),
    [
        (
            Boosts(recency_half_life_days=7),
            memory("stale", age_days=30),
            memory("fresh", age_days=1),
        ),
        (Boosts(importance=1.0), memory("minor", importance=0.1), memory("major", importance=0.9)),
        (Boosts(confidence=1.0), memory("doubted", confidence=0.1), memory("sure", confidence=0.9)),
    ],
)
def test_each_boost_can_reorder(boosts: Boosts, first: Memory, second: Memory) -> None:
    signals = two_close_hits(first, second)
    for settings in (rrf(), DEFAULT_FUSION):
        plain = fuse(signals, settings, limit=2, now=NOW)
        boosted = fuse(signals, settings, limit=2, boosts=boosts, now=NOW)
        assert [h.memory.id for h in plain] == [first.id, second.id]
        assert [h.memory.id for h in boosted] == [second.id, first.id]
    assert boosts.active


def test_boost_arithmetic() -> None:
    week_old = memory("w", importance=0.9, confidence=0.2, age_days=14)
    signals = {"keyword": ranked("keyword", week_old)}
    boosts = Boosts(recency_half_life_days=7, importance=0.5, confidence=2.0)
    factor = 0.5 ** (14 / 7) * (1 + 0.5 * 0.4) * (1 + 2.0 * -0.3)
    for settings in (rrf(), DEFAULT_FUSION):
        (plain,) = fuse(signals, settings, limit=1, now=NOW)
        (hit,) = fuse(signals, settings, limit=1, boosts=boosts, now=NOW)
        assert hit.score == pytest.approx(plain.score * factor)
    assert fuse(signals, rrf(), limit=1, boosts=boosts, now=NOW)[0].score == pytest.approx(
        factor / 61
    )


def test_a_boost_never_makes_a_score_negative() -> None:
    (hit,) = fuse(
        {"keyword": ranked("keyword", memory("x", confidence=0.0))},
        limit=1,
        boosts=Boosts(confidence=5.0),
        now=NOW,
    )
    assert hit.score == 0.0


def test_parse_fusion_replaces_only_the_named_fields() -> None:
    from memvault.service.fusion import parse_fusion

    settings = parse_fusion("keyword=1, vector=0")
    assert (settings.keyword_weight, settings.vector_weight) == (1.0, 0.0)
    assert settings.depth == DEFAULT_FUSION.depth and settings.method is DEFAULT_FUSION.method
    assert parse_fusion("method=RRF,rrf_k=10,depth=50").method is FusionMethod.RRF
    assert parse_fusion("depth=50").depth == 50
    steps_off = parse_fusion("time=0,adjacent=0")
    assert (steps_off.time_boost, steps_off.adjacent_decay) == (0.0, 0.0)
    assert parse_fusion("adjacent_span=1,adjacent_top=3").adjacent_span == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("keyword=x", "not a number"),
        ("weight=1", "KEY=VALUE"),
        ("keyword", "KEY=VALUE"),
        ("keyword=-1", ">= 0"),
        ("vector=nan", ">= 0"),
        ("depth=0", "1..1000"),
        ("depth=2.5", "not a number"),
        ("method=mean", "zscore or rrf"),
        ("keyword=0,vector=0", "both be 0"),
        ("adjacent=1.5", "0..1"),
        ("adjacent_span=1.5", "not a number"),
        ("time=-1", ">= 0"),
    ],
)
def test_parse_fusion_names_each_mistake(text: str, message: str) -> None:
    from memvault.core.errors import InvalidInputError
    from memvault.service.fusion import parse_fusion

    with pytest.raises(InvalidInputError, match=message):
        parse_fusion(text)


def test_entity_overlap_lifts_the_hit_that_names_the_querys_entities() -> None:
    from dataclasses import replace

    from memvault.service.entity_overlap import entity_shares, query_entities

    def said(memory_id: str, content: str) -> Memory:
        at = NOW.isoformat().replace("+00:00", "Z")
        return Memory.new(memory_id, content, kind="fact", namespace="default", created_at=at)

    memories = {
        "a": said("a", "we talked about the support group last week"),
        "b": said("b", "Caroline went to the LGBTQ support group"),
    }
    wanted = query_entities("When did Caroline go to the LGBTQ support group?")
    assert wanted == {"caroline", "lgbtq"}
    shares = entity_shares(wanted, memories)
    assert shares == {"b": 1.0}
    rankings = {"keyword": [("a", 2.0), ("b", 1.0)]}
    off = fuse_rankings(rankings, limit=2, memories=memories, entities=shares)
    assert [f.memory_id for f in off] == ["a", "b"]  # the default: entity_boost 0
    on = replace(DEFAULT_FUSION, entity_boost=parse_fusion("entity=1.5").entity_boost)
    lifted = fuse_rankings(rankings, on, limit=2, memories=memories, entities=shares)
    assert [f.memory_id for f in lifted] == ["b", "a"]

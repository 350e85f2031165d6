"""Ranking steps after fusion: adjacent turns (a message said next to a hit of a past-conversation
search ranks under it) and the time window a query names."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import memvault
from memvault.core.records import MemoryDraft, Signal
from memvault.service.adjacent import ADJACENT, lend_to_adjacent
from memvault.service.fusion import DEFAULT_FUSION, Fused, FusionSettings

TURNS = [
    "Ana: Did you ever take the kids camping?",
    "Ben: Yes, last week, up in the mountains by the lake.",
    "Ana: That sounds lovely.",
    "Ben: The drive back took six hours.",
    "Ana: My sister starts a new job in Lisbon.",
    "Ben: Good for her!",
]


def test_the_answer_in_the_next_turn_is_found_through_the_question(tmp_path: Path) -> None:
    with memvault.open(tmp_path / "v.db", embedder="none", background=False) as vault:
        session = vault.sessions.start(title="chat")
        said = vault.sessions.log(session.id, TURNS)
        hits = vault.sessions.search("camping kids", k=4)
    order = [hit.memory.id for hit in hits]
    # The answer shares no word with the query: only the turn before it brings it in.
    assert order[:2] == [said[0].id, said[1].id]
    assert set(hits[1].signals) == {ADJACENT}
    assert hits[1].signals[ADJACENT].rank == 1  # lent by the first hit
    assert hits[1].score == hits[0].score * DEFAULT_FUSION.adjacent_decay
    assert said[4].id not in order  # three turns away: outside the span
    # Memories are not a conversation: a plain search is not widened.
    with memvault.open(tmp_path / "v.db", embedder="none", background=False) as vault:
        assert vault.search("camping kids") == []


def _fused(key: str, score: float) -> Fused:
    return Fused(key, score, {"keyword": Signal(rank=1, score=score)})


def test_a_lent_score_only_counts_when_it_beats_the_turns_own() -> None:
    fused = [_fused("a", 4.0), _fused("b", 2.0), _fused("c", 1.0)]
    adjacent = {"a": [("c", 1), ("x", 1), ("y", 2)], "b": [("z", 1)]}
    settings = FusionSettings(adjacent_decay=0.5, adjacent_top=1)
    out = lend_to_adjacent(fused, adjacent, settings, limit=10)
    scores = {hit.memory_id: hit.score for hit in out}
    assert scores == {"a": 4.0, "b": 2.0, "c": 2.0, "x": 2.0, "y": 1.0}
    # Ties keep fusion's order, lent-only newcomers after; b lent nothing (not in the top 1).
    assert [hit.memory_id for hit in out] == ["a", "b", "c", "x", "y"]
    assert set(out[2].signals) == {"keyword", ADJACENT}
    assert set(out[3].signals) == {ADJACENT}
    assert lend_to_adjacent(fused, adjacent, FusionSettings(adjacent_decay=0.0), limit=2) == [
        fused[0],
        fused[1],
    ]


def test_a_query_naming_a_date_ranks_what_was_saved_then_first(tmp_path: Path) -> None:
    with memvault.open(tmp_path / "v.db", embedder="none", background=False) as vault:
        vault.remember_many(
            [
                MemoryDraft("The team offsite was in Porto", created_at="2023-05-08T10:00:00Z"),
                MemoryDraft("The team offsite was in Oslo", created_at="2024-09-02T10:00:00Z"),
            ]
        )
        plain = vault.search("team offsite")
        dated = vault.search("team offsite in May 2023")
        later = vault.search("team offsite in September 2024")
        vault.fusion = replace(vault.fusion, time_boost=0.0)
        unboosted = vault.search("team offsite in May 2023")
    assert plain[0].score == plain[1].score  # the same words: nothing tells them apart
    assert "Porto" in dated[0].memory.content and dated[0].score == 2 * dated[1].score
    assert "Oslo" in later[0].memory.content
    assert unboosted[0].score == unboosted[1].score

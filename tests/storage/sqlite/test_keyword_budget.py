"""The keyword scoring budget: common words are dropped from big queries, rare ones never."""

from __future__ import annotations

import pytest

from memvault.core.records import MemoryDraft
from memvault.service.vault import Vault
from memvault.storage.sqlite import keyword


@pytest.fixture
def crowded(vault: Vault) -> dict[str, str]:
    # "common" is in every memory; "zebra" in one, "quokka" in another.
    drafts = [MemoryDraft(f"common filler text number {i}") for i in range(120)]
    vault.remember_many(drafts)
    return {
        "zebra": vault.remember("common zebra crossing notes").id,
        "quokka": vault.remember("common quokka habitat notes").id,
    }


def test_small_vaults_score_every_word(vault: Vault, crowded: dict[str, str]) -> None:
    hits = vault.search("common", k=200, mode="keyword")
    assert len(hits) == 122  # a one-word query is never pruned


def test_over_budget_the_most_common_word_is_dropped(
    vault: Vault, crowded: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword, "SCORING_BUDGET", 10)
    hits = vault.search("common zebra", k=200, mode="keyword")
    # Without the budget every memory matches "common"; with it only the rare word is scored.
    assert [h.memory.id for h in hits] == [crowded["zebra"]]


def test_rare_words_survive_the_budget_together(
    vault: Vault, crowded: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword, "SCORING_BUDGET", 10)
    hits = vault.search("zebra common quokka", k=10, mode="keyword")
    assert {h.memory.id for h in hits} == set(crowded.values())


def test_budget_keeps_the_rarest_word_even_if_it_alone_is_over(
    vault: Vault, crowded: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword, "SCORING_BUDGET", 0)
    hits = vault.search("common zebra", k=5, mode="keyword")
    assert [h.memory.id for h in hits] == [crowded["zebra"]]

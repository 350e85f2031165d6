"""The keyword scoring budget: common words are dropped from big queries, rare ones never."""

from __future__ import annotations

from pathlib import Path

import pytest

from memvault.core.records import MemoryDraft
from memvault.core.terms import parse_query
from memvault.service.vault import Vault
from memvault.storage.sqlite import keyword
from memvault.storage.sqlite.store import SqliteStore
from tests.storage.sqlite.conftest import reader, vault_over


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


# --- the document frequencies each process keeps --------------------------------------------
def test_frequencies_are_reused_until_the_vault_grows_by_a_tenth_or_time_passes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v.db"
    vault = vault_over(SqliteStore(path))
    now = [0.0]
    statistics = keyword.TermStatistics(clock=lambda: now[0])
    (term,) = parse_query("common")
    conn = reader(path)
    try:
        vault.remember_many([MemoryDraft(f"common filler {i}") for i in range(100)])
        assert statistics.term_documents(conn, term, 100) == 100
        vault.remember_many([MemoryDraft(f"common more {i}") for i in range(20)])
        assert statistics.term_documents(conn, term, 110) == 100  # grown by a tenth: cached
        assert statistics.term_documents(conn, term, 111) == 120  # more: read again
        vault.remember_many([MemoryDraft(f"common late {i}") for i in range(5)])
        now[0] += keyword.STALE_SECONDS
        assert statistics.term_documents(conn, term, 120) == 120
        now[0] += 1
        assert statistics.term_documents(conn, term, 120) == 125  # too old: read again
    finally:
        conn.close()
        vault.close()


def test_a_compound_costs_its_rarest_part_and_an_unknown_word_nothing(
    vault: Vault, crowded: dict[str, str]
) -> None:
    statistics = keyword.TermStatistics()
    conn = reader(Path(vault.location))
    try:
        (compound,) = parse_query("common_zebra")  # the phrase "common zebra" or the joined form
        assert statistics.term_documents(conn, compound, 200) == 1  # min(122, 1) + 0
        (unknown,) = parse_query("xylophone")
        assert statistics.term_documents(conn, unknown, 200) == 0
    finally:
        conn.close()


def test_one_process_drops_the_same_words_search_after_search(
    vault: Vault, crowded: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword, "SCORING_BUDGET", 10)
    for _ in range(3):  # the first search reads the frequencies, the others reuse them
        hits = vault.search("common zebra", k=200, mode="keyword")
        assert [h.memory.id for h in hits] == [crowded["zebra"]]

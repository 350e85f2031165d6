"""Search modes end to end: the bundled model finds meaning that keywords miss, hybrid carries
both signals, and a vault without vectors searches by keyword without complaint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import memvault
from memvault.core.errors import InvalidInputError
from memvault.service.fusion import Boosts, FusionSettings
from memvault.service.vault import Vault

CORPUS = [
    "Alice prefers dark mode in her code editor",
    "The production database is backed up to S3 every night at 2am",
    "We deploy with make release from the main branch",
    "Bob is allergic to peanuts, so order the vegetarian pizza",
    "The staging cluster runs on three small ARM machines",
    "Invoices are generated as PDF files on the first day of each month",
    "Use the retry decorator around calls to the payment gateway",
    "The office wifi password changes every quarter",
]

# Paraphrases sharing no word (after stopwords) with any memory.
PARAPHRASES = [
    ("which colour scheme does she like when programming", 0),
    ("nightly snapshot of prod data", 1),
    ("food restrictions for the team lunch", 3),
    ("how often are bills produced", 5),
]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Vault, list[str]]]:
    path = tmp_path_factory.mktemp("hybrid") / "v.db"
    with memvault.open(path, embedder="bundled", background=False) as vault:
        ids = [vault.remember(text).id for text in CORPUS]
        counts = vault.wait_for_jobs(timeout=60)
        assert (counts.done, counts.failed) == (len(CORPUS), 0)
        yield vault, ids


@pytest.mark.parametrize(("query", "target"), PARAPHRASES)
def test_a_paraphrase_is_found_by_meaning_not_by_keywords(
    real: tuple[Vault, list[str]], query: str, target: int
) -> None:
    vault, ids = real
    assert ids[target] not in {h.memory.id for h in vault.search(query, mode="keyword")}
    assert vault.search(query, mode="vector", k=3)[0].memory.id == ids[target]
    hybrid = vault.search(query, k=3)  # hybrid is the default
    assert hybrid[0].memory.id == ids[target]
    assert set(hybrid[0].signals) == {"vector"}


def test_vectors_are_the_bundled_models(real: tuple[Vault, list[str]]) -> None:
    vault, _ = real
    config = vault.vector_config()
    assert config is not None
    assert (config.model_id, config.dimensions) == ("all-MiniLM-L6-v2-int8", 384)


def test_hybrid_hit_carries_both_signals_for_explain(real: tuple[Vault, list[str]]) -> None:
    vault, ids = real
    hits = vault.search("database backup schedule", mode="hybrid", k=3)
    top = hits[0]
    assert top.memory.id == ids[1]
    assert set(top.signals) == {"keyword", "vector"}
    assert top.signals["keyword"].rank == top.signals["vector"].rank == 1
    assert top.score > hits[1].score
    explained = top.to_dict(explain=True)["signals"]
    assert explained["keyword"]["rank"] == 1 and explained["keyword"]["score"] > 0
    assert explained["vector"]["rank"] == 1 and 0 < explained["vector"]["score"] <= 1
    assert "signals" not in top.to_dict()
    assert all(set(h.signals) == {"vector"} for h in hits[1:])  # no keyword match there


# --- without vectors ------------------------------------------------------------------------
def test_hybrid_on_a_vault_without_vectors_is_keyword_search(tmp_path: Path) -> None:
    with memvault.open(tmp_path / "v.db", embedder="none", background=False) as vault:
        ids = [vault.remember(text).id for text in CORPUS]
        assert vault.jobs().total == 0  # nothing queued for a model that is not there
        assert vault.wait_for_jobs(timeout=5).total == 0
        assert vault.vector_config() is None
        keyword = vault.search("deploy release main branch", mode="keyword")
        hybrid = vault.search("deploy release main branch")
        assert [h.memory.id for h in hybrid] == [h.memory.id for h in keyword] == [ids[2]]
        assert set(hybrid[0].signals) == {"keyword"}
        assert vault.search("which colour scheme does she like when programming") == []


def test_vector_mode_without_an_embedder_is_a_clear_error(tmp_path: Path) -> None:
    with memvault.open(tmp_path / "v.db", embedder="none", background=False) as vault:
        vault.remember("anything at all")
        with pytest.raises(InvalidInputError, match=r"vectors turned off.*keyword search"):
            vault.search("anything", mode="vector")


def test_turning_vectors_off_on_a_vault_that_has_them_keeps_keyword_search(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v.db"
    with memvault.open(path, embedder="hash", background=False) as vault:
        made = vault.remember("we deploy with make release").id
        vault.wait_for_jobs(timeout=10)
    with memvault.open(path, embedder="none", background=False) as vault:
        assert [h.memory.id for h in vault.search("deploy")] == [made]
        with pytest.raises(InvalidInputError):
            vault.search("deploy", mode="vector")


def test_hybrid_before_the_first_vectors_exist_degrades_to_keyword(tmp_path: Path) -> None:
    with memvault.open(tmp_path / "v.db", embedder="hash", background=False) as vault:
        made = vault.remember("the release train leaves on thursdays").id
        assert vault.jobs().queued == 1 and vault.vector_config() is None
        (hit,) = vault.search("release train")
        assert hit.memory.id == made and set(hit.signals) == {"keyword"}
        assert vault.search("release train", mode="vector") == []


def test_boosts_reach_hybrid_search_and_are_off_unless_asked(tmp_path: Path) -> None:
    with memvault.open(tmp_path / "v.db", embedder="hash", background=False) as vault:
        relevant = vault.remember("deploy notes: deploy with make deploy", importance=0.0).id
        important = vault.remember("old notes that mention a deploy once", importance=1.0).id
        vault.wait_for_jobs(timeout=10)
        plain = [h.memory.id for h in vault.search("deploy notes")]
        assert plain == [relevant, important]
        boosted = vault.search("deploy notes", boosts=Boosts(importance=2.0))
        assert [h.memory.id for h in boosted] == [important, relevant]
        assert set(boosted[0].signals) == {"keyword", "vector"}


def test_a_fusion_override_applies_to_one_search_only(real: tuple[Vault, list[str]]) -> None:
    """``Vault.search(fusion=)``, which ``eval --gold --fusion`` scores: the one word the query
    shares with a memory ("office") wins by default; with the keyword half weighing nothing the
    paraphrase found by meaning comes first, and the next search is the default again."""
    vault, ids = real
    query = "which colour scheme does she like when programming in the office"
    default = [h.memory.id for h in vault.search(query, k=3)]
    assert default[0] == ids[7]  # "The office wifi password ..."
    vector_only = FusionSettings(keyword_weight=0.0, vector_weight=1.0)
    assert vault.search(query, k=3, fusion=vector_only)[0].memory.id == ids[0]  # Alice's editor
    assert [h.memory.id for h in vault.search(query, k=3)] == default  # nothing was kept

"""Whether a hit is about the query: a relevance every hit carries on one scale for all queries,
weak hits marked, a minimum to filter by, with the bundled model and without vectors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import memvault
from memvault.core.errors import InvalidInputError
from memvault.service.relevance import keyword_relevance, vector_relevance
from memvault.service.vault import Vault

# What an engineering team's vault holds: facts, decisions, preferences about its own work.
TEAM = [
    "The staging deploy runs every Friday after the integration tests pass.",
    "Postgres is backed up nightly to an S3 bucket with 30 days of retention.",
    "Alice prefers code reviews in the morning and short pull requests.",
    "We chose FastAPI over Flask for the billing service because of async support.",
    "The login page broke when the session cookie lost its SameSite attribute.",
    "Bob owns the on-call rotation and the PagerDuty schedule.",
    "Docker images are built on GitHub Actions and pushed to the registry.",
    "Customer invoices are generated on the first day of each month.",
]
UNRELATED = [
    "recipe for banana bread with walnuts",
    "who won the football world cup in 1998",
    "quantum chromodynamics on a lattice",
]
RELATED = [
    ("when do we deploy to staging", 0),
    ("how are database backups kept", 1),
    ("which web framework does billing use", 3),
]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Vault, list[str]]]:
    path = tmp_path_factory.mktemp("relevance") / "v.db"
    with memvault.open(path, embedder="bundled", background=False) as vault:
        ids = [vault.remember(text).id for text in TEAM]
        counts = vault.wait_for_jobs(timeout=60)
        assert (counts.done, counts.failed) == (len(TEAM), 0)
        yield vault, ids


@pytest.mark.parametrize("query", UNRELATED)
def test_a_query_the_vault_knows_nothing_about_gets_only_weak_hits(
    real: tuple[Vault, list[str]], query: str
) -> None:
    vault, _ = real
    hits = vault.search(query)
    assert hits  # a search still ranks something first...
    assert all(hit.weak for hit in hits)  # ...but says none of it is about the query
    assert all(hit.relevance is not None and hit.relevance < 0.5 for hit in hits)
    assert vault.search(query, min_score=0.5) == []


@pytest.mark.parametrize(("query", "target"), RELATED)
def test_a_related_query_gets_a_strong_hit_first(
    real: tuple[Vault, list[str]], query: str, target: int
) -> None:
    vault, ids = real
    hits = vault.search(query)
    assert hits[0].memory.id == ids[target]
    assert not hits[0].weak
    kept = vault.search(query, min_score=0.5)
    assert kept and kept[0].memory.id == ids[target]
    assert all(hit.relevance is not None and hit.relevance >= 0.5 for hit in kept)
    assert len(kept) < len(hits)  # the other, unrelated memories are left out


def test_relevance_is_on_one_scale_in_every_mode(real: tuple[Vault, list[str]]) -> None:
    vault, ids = real
    for mode in ("hybrid", "vector", "keyword"):
        hits = vault.search("staging deploy Friday", mode=mode, k=3)
        assert hits[0].memory.id == ids[0], mode
        assert not hits[0].weak, mode
        assert hits[0].to_dict()["weak"] is False
    # A keyword hit holding one of three words is weak evidence on its own (under half).
    (partial,) = vault.search("Friday lunch menu", mode="keyword")
    assert partial.memory.id == ids[0] and partial.weak


def test_without_vectors_relevance_comes_from_the_query_words(tmp_path: Path) -> None:
    with memvault.open(tmp_path / "v.db", embedder="none") as vault:
        ids = [vault.remember(text).id for text in TEAM]
        (full,) = vault.search("Postgres backed up nightly")
        assert full.memory.id == ids[1] and not full.weak
        # Half the words are keyword evidence enough when there is no vector to ask.
        (half,) = vault.search("Postgres football")
        assert half.memory.id == ids[1] and not half.weak
        assert all(hit.weak for hit in vault.search("nightly football scores"))
        assert vault.search("nightly football scores", min_score=0.5) == []
        assert vault.search("banana bread") == []


def test_min_score_must_be_between_0_and_1(vault: Vault) -> None:
    with pytest.raises(InvalidInputError, match="min_score"):
        vault.search("x", min_score=1.5)


def test_the_scales_put_their_thresholds_at_one_half() -> None:
    assert vector_relevance(0.30) == pytest.approx(0.5)
    assert vector_relevance(1.0) == pytest.approx(1.0)
    assert vector_relevance(0.0) == vector_relevance(-0.3) == 0.0
    assert vector_relevance(0.2) < 0.5 < vector_relevance(0.4)
    assert keyword_relevance(3, 3) == pytest.approx(0.5)
    assert keyword_relevance(2, 3) < 0.5
    assert keyword_relevance(1, 2, coverage=0.5) == pytest.approx(0.5)
    assert keyword_relevance(2, 2, coverage=0.5) == pytest.approx(1.0)
    assert keyword_relevance(0, 0) == 0.0

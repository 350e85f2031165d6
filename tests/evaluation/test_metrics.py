"""The metrics against numbers worked out by hand, so a report's numbers can be trusted."""

from __future__ import annotations

import math

import pytest

from memvault.evaluation.metrics import (
    bootstrap_interval,
    mean,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
)


def as_ranking(doc_ids: list[str]) -> list[frozenset[str]]:
    """A ranking with one document per position (the usual case)."""
    return [frozenset((doc_id,)) for doc_id in doc_ids]


RANKED = as_ranking(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"])


def test_recall_is_the_share_of_relevant_documents_in_the_top_k() -> None:
    relevant = {"b", "e", "z"}
    assert recall_at_k(RANKED, relevant, 1) == 0.0
    assert recall_at_k(RANKED, relevant, 2) == pytest.approx(1 / 3)
    assert recall_at_k(RANKED, relevant, 5) == pytest.approx(2 / 3)
    assert recall_at_k(RANKED, relevant, 10) == pytest.approx(2 / 3)
    assert recall_at_k(as_ranking([]), relevant, 10) == 0.0


def test_reciprocal_rank_of_the_first_relevant_document() -> None:
    assert reciprocal_rank(RANKED, {"a"}) == 1.0
    assert reciprocal_rank(RANKED, {"c", "b"}) == 0.5
    assert reciprocal_rank(RANKED, {"d", "k"}) == 0.25
    assert reciprocal_rank(RANKED, {"z"}) == 0.0


def test_ndcg_hand_computed() -> None:
    # relevant at ranks 2 and 4 of 3 relevant documents:
    # DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068 = 1.06161
    # IDCG = 1 + 1/log2(3) + 1/log2(4) = 1 + 0.63093 + 0.5 = 2.13093
    assert ndcg_at_k(RANKED, {"b", "d", "z"}) == pytest.approx(1.06161 / 2.13093, abs=1e-5)
    assert ndcg_at_k(RANKED, {"b", "d", "z"}) == pytest.approx(0.49819, abs=1e-5)


def test_ndcg_perfect_absent_and_beyond_k() -> None:
    assert ndcg_at_k(RANKED, {"a", "b"}) == pytest.approx(1.0)
    assert ndcg_at_k(RANKED, {"z"}) == 0.0
    assert ndcg_at_k(RANKED, {"k"}) == 0.0  # rank 11 is outside the top 10
    # one relevant document at rank 3: 1/log2(4) / 1 = 0.5
    assert ndcg_at_k(RANKED, {"c"}) == pytest.approx(0.5)
    # the ideal ranking holds at most k relevant documents
    many = {chr(ord("a") + i) for i in range(10)} | {"x", "y"}
    assert ndcg_at_k(RANKED, many) == pytest.approx(1.0)
    assert ndcg_at_k(RANKED, {"c"}, k=2) == 0.0


def test_documents_sharing_a_memory_count_at_its_rank() -> None:
    # rank 1 stands for two identical documents, rank 2 for one
    ranking = [frozenset({"x1", "x2"}), frozenset({"y"})]
    assert recall_at_k(ranking, {"x2", "y"}, 1) == 0.5
    assert recall_at_k(ranking, {"x1", "x2"}, 1) == 1.0
    assert reciprocal_rank(ranking, {"y", "x1"}) == 1.0
    # gain 1 at rank 1, 1/log2(3) at rank 2: the ideal ranking, 1.0
    assert ndcg_at_k(ranking, {"x2", "y"}) == pytest.approx(1.0)
    # two relevant at rank 1 beat the ideal of distinct documents: capped at 1, never above
    assert ndcg_at_k(ranking, {"x1", "x2"}) == 1.0
    # relevant only at rank 2 with one relevant: 1/log2(3)
    assert ndcg_at_k(ranking, {"y"}) == pytest.approx(1 / math.log2(3))


def test_no_relevant_documents_is_a_caller_error() -> None:
    with pytest.raises(ValueError):
        recall_at_k(RANKED, set(), 10)
    with pytest.raises(ValueError):
        ndcg_at_k(RANKED, set())


def test_percentile_interpolates_like_numpy() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 5.0
    # position (5 - 1) * 0.95 = 3.8: 4 + 0.8 * (5 - 4)
    assert percentile(values, 95) == pytest.approx(4.8)
    assert percentile([7.0], 95) == 7.0
    assert percentile([1.0, 2.0], 50) == 1.5
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_mean() -> None:
    assert mean([1.0, 0.0, 0.5]) == 0.5
    with pytest.raises(ValueError):
        mean([])


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_more_queries() -> None:
    few = [1.0, 0.0] * 5  # N = 10, mean 0.5
    many = [1.0, 0.0] * 50  # N = 100, same mean
    low, high = bootstrap_interval(few)
    assert low < 0.5 < high
    assert high - low > 0.4  # N = 10 cannot tell 0.3 from 0.7
    wide = high - low
    low, high = bootstrap_interval(many)
    assert low < 0.5 < high and high - low < wide / 2
    assert bootstrap_interval(few) == bootstrap_interval(few)  # fixed seed
    assert bootstrap_interval([0.25]) == (0.25, 0.25)
    with pytest.raises(ValueError):
        bootstrap_interval([])
    with pytest.raises(ValueError):
        bootstrap_interval([1.0], level=1.0)

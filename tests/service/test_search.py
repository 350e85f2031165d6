"""Keyword search as a user meets it: code-aware words, filters, and hostile query strings."""

from __future__ import annotations

import pytest

from memvault.core.records import MemoryDraft
from memvault.service.vault import Vault

CORPUS = {
    "snake": "parse_config loads the settings file",
    "camel": "the web client calls parseConfig before render",
    "kebab": "run the parse-config step in CI",
    "path": "the loader lives in src/parse_config.py",
    "version": "upgrade to v2.3.1 for the tokenizer fix",
    "accent": "the café owner prefers email",
    "stem": "we are migrating databases this quarter",
    "noise": "lunch is at noon on Fridays",
}


@pytest.fixture
def ids(vault: Vault) -> dict[str, str]:
    outcomes = vault.remember_many([MemoryDraft(text) for text in CORPUS.values()])
    return dict(zip(CORPUS, (o.id for o in outcomes), strict=True))


def found(vault: Vault, ids: dict[str, str], query: str) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[h.memory.id] for h in vault.search(query, k=20, mode="keyword")}


@pytest.mark.parametrize("part", ["parse", "config"])
def test_every_spelling_is_found_by_its_parts(vault: Vault, ids: dict[str, str], part: str) -> None:
    assert {"snake", "camel", "kebab", "path"} <= found(vault, ids, part)


@pytest.mark.parametrize(
    "whole", ["parse_config", "parseConfig", "parse-config", "ParseConfig", "PARSE_CONFIG"]
)
def test_every_spelling_finds_every_other_as_a_whole(
    vault: Vault, ids: dict[str, str], whole: str
) -> None:
    assert found(vault, ids, whole) == {"snake", "camel", "kebab", "path"}


def test_a_path_is_found_as_a_whole_and_ranked_first(vault: Vault, ids: dict[str, str]) -> None:
    hits = vault.search("src/parse_config.py", mode="keyword")
    assert hits[0].memory.id == ids["path"]


def test_a_version_is_found_whole_and_by_parts(vault: Vault, ids: dict[str, str]) -> None:
    assert found(vault, ids, "v2.3.1") == {"version"}
    assert found(vault, ids, "v2") == {"version"}
    assert found(vault, ids, "2.3.1") == {"version"}
    assert found(vault, ids, "v2.3.2") == set()  # another version is another thing


def test_diacritics_fold_both_ways(vault: Vault, ids: dict[str, str]) -> None:
    assert found(vault, ids, "cafe") == {"accent"}
    assert found(vault, ids, "CAFÉ") == {"accent"}


def test_english_stemming_matches_word_forms(vault: Vault, ids: dict[str, str]) -> None:
    assert found(vault, ids, "migration database") == {"stem"}


def test_results_are_ranked_best_first_with_scores(vault: Vault, ids: dict[str, str]) -> None:
    hits = vault.search("parse config loader src", mode="keyword")
    assert hits[0].memory.id == ids["path"]
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert [h.signals["keyword"].rank for h in hits] == list(range(1, len(hits) + 1))


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unbalanced',
        "NEAR(",
        "NEAR(parse config, 2)",
        "*",
        "pars*",
        "AND",
        "parse AND",
        "OR OR OR",
        "-config",
        "NOT",
        "(((",
        "parse)",
        "{col}: parse",
        "content: parse",
        "'; DROP TABLE memories; --",
        "SELECT * FROM memories WHERE 1=1",
        "^parse",
        "\\",
        "\x00",
        "🙂 emoji",
        "   ",
        "",
        "x" * 10_000,
    ],
)
def test_hostile_queries_never_raise(vault: Vault, ids: dict[str, str], query: str) -> None:
    hits = vault.search(query, mode="keyword")
    assert isinstance(hits, list)
    assert vault.stats().memories == len(CORPUS)


def test_operators_are_matched_as_plain_words(vault: Vault, ids: dict[str, str]) -> None:
    assert found(vault, ids, "NEAR(parse config, 2)") >= {"snake", "camel"}
    assert found(vault, ids, "-config") >= {"snake", "kebab"}


def test_filters_namespace_kind_tags_time(vault: Vault) -> None:
    a = vault.remember("deploy with make release", kind="decision", tags=["ops"]).id
    b = vault.remember("deploy notes for staging", kind="fact", namespace="team").id
    c = vault.remember("deploy failed on friday", kind="event", tags=["ops", "incident"]).id
    assert {h.memory.id for h in vault.search("deploy", mode="keyword")} == {a, b, c}
    assert [h.memory.id for h in vault.search("deploy", namespace="team", mode="keyword")] == [b]
    assert [h.memory.id for h in vault.search("deploy", kinds=["event"], mode="keyword")] == [c]
    assert {h.memory.id for h in vault.search("deploy", tags=["ops"], mode="keyword")} == {a, c}
    assert [
        h.memory.id for h in vault.search("deploy", tags=["ops", "incident"], mode="keyword")
    ] == [c]
    assert vault.search("deploy", since="2999-01-01", mode="keyword") == []
    assert len(vault.search("deploy", until="2999-01-01", mode="keyword")) == 3


def test_filters_apply_even_when_most_matches_are_filtered_out(vault: Vault) -> None:
    # 300 matching memories in one namespace, 1 in another: the rare one must still be found,
    # and k results must come back when k exist.
    vault.remember_many([MemoryDraft(f"common word entry {i}") for i in range(300)])
    rare = vault.remember("common word entry rare", namespace="rare").id
    assert [h.memory.id for h in vault.search("common", namespace="rare", mode="keyword")] == [rare]
    assert len(vault.search("common", k=250, namespace="default", mode="keyword")) == 250


def test_k_is_respected_and_validated(vault: Vault) -> None:
    vault.remember_many([MemoryDraft(f"alpha {i}") for i in range(30)])
    assert len(vault.search("alpha", k=7, mode="keyword")) == 7
    with pytest.raises(ValueError):
        vault.search("alpha", k=0, mode="keyword")

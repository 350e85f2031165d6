"""The entity extractors on real-looking text: code, paths, names at a sentence's start, and
the spellings that must meet."""

from __future__ import annotations

from pathlib import Path

import pytest

from memvault.content import entities as entities_module
from memvault.content.entities import MAX_ENTITIES, entity_key, extract_entities
from memvault.core.entity_records import EntityKind


def found(text: str, **options: object) -> dict[str, tuple[EntityKind, str]]:
    return {m.key: (m.kind, m.name) for m in extract_entities(text, **options)}  # type: ignore[arg-type]


def test_code_identifiers_paths_and_calls() -> None:
    text = (
        "parse_config() in src/memvault/core/terms.py calls loadToml and "
        "memvault.core.terms.subwords; see ./scripts/run.sh and setup.cfg."
    )
    entities = found(text)
    assert entities["parseconfig"] == (EntityKind.IDENTIFIER, "parse_config()")
    assert entities["src/memvault/core/terms.py"][0] is EntityKind.PATH
    assert entities["loadtoml"][0] is EntityKind.IDENTIFIER
    assert entities["memvault.core.terms.subwords"][0] is EntityKind.IDENTIFIER
    assert entities["scripts/run.sh"][0] is EntityKind.PATH
    assert entities["setup.cfg"][0] is EntityKind.PATH
    # A path's parts are not also identifiers or names.
    assert "terms" not in entities and "memvault" not in entities and "core.terms" not in entities


def test_urls_issues_versions_mentions_and_tags() -> None:
    text = (
        "@ana fixed #123 and acme/shop#45 (PROJ-812) for v2.3.1, released 1.0.0-rc1; "
        "docs at https://Docs.Example.com/guide/setup. #deploy #release-train, mail ana@example.com"
    )
    entities = found(text)
    assert entities["ana"] == (EntityKind.MENTION, "ana")
    assert entities["#123"][0] is EntityKind.ISSUE
    assert entities["acme/shop#45"][0] is EntityKind.ISSUE
    assert entities["proj-812"][0] is EntityKind.ISSUE
    assert entities["2.3.1"] == (EntityKind.VERSION, "v2.3.1")
    assert entities["1.0.0-rc1"][0] is EntityKind.VERSION
    assert entities["https://docs.example.com/guide/setup"][0] is EntityKind.URL
    assert entities["deploy"] == (EntityKind.TAG, "deploy")
    assert entities["releasetrain"][0] is EntityKind.TAG
    assert "example.com" not in entities  # an e-mail address is not a mention or a name
    assert not [key for key in entities if key.startswith("example")]


def test_proper_names_and_the_start_of_a_sentence() -> None:
    text = (
        "Ana prefers tea. Deployed the fix with Bob Marley in New York. Yesterday Caroline said "
        "José García's team uses PostgreSQL. The meeting moved to May. Running late again."
    )
    entities = found(text)
    for key, name in [
        ("ana", "Ana"),  # at a sentence's start, but no common word
        ("bobmarley", "Bob Marley"),
        ("newyork", "New York"),
        ("caroline", "Caroline"),  # after a common first word
        ("josegarcia", "José García"),  # possessive dropped, accents folded in the key
    ]:
        assert entities[key] == (EntityKind.NAME, name), key
    assert entities["postgresql"][1] == "PostgreSQL"
    for common in ("deployed", "yesterday", "the", "may", "running", "themeeting"):
        assert common not in entities, common


def test_names_in_a_conversation() -> None:
    text = "Melanie: Running a charity race was great! I think Caroline went to the LGBTQ group."
    entities = found(text)
    assert set(entities) == {"melanie", "caroline", "lgbtq"}


@pytest.mark.parametrize(
    "spellings",
    [
        (
            "parseConfig",
            "parse_config",
            "parse-config",
            "ParseConfig",
            "PARSE_CONFIG",
            "parseConfig()",
        ),
        ("@Ana", "Ana", "ana", "#ana"),
        ("PostgreSQL", "postgresql", "Postgresql"),
        ("v2.3.1", "2.3.1", "V2.3.1"),
        ("José", "Jose", "jose"),
        ("Vault.remember", "vault.remember"),
    ],
)
def test_spellings_meet(spellings: tuple[str, ...]) -> None:
    assert len({entity_key(spelling) for spelling in spellings}) == 1, spellings


def test_spellings_meet_when_extracted_from_two_texts() -> None:
    first = found("Ana added parseConfig to the loader")
    second = found("@ana says parse_config must stay")
    assert {"ana", "parseconfig"} <= set(first) & set(second)


def test_the_memorys_tags_are_entities_and_kinds_can_be_turned_off() -> None:
    entities = found("plain words only here", tags=("Billing", "code-review"))
    assert entities == {
        "billing": (EntityKind.TAG, "Billing"),
        "codereview": (EntityKind.TAG, "code-review"),
    }
    only_paths = found("Ana edited src/app.py with @bob", kinds=frozenset({EntityKind.PATH}))
    assert set(only_paths) == {"src/app.py"}


def test_plain_text_and_odd_input_give_nothing_or_a_bounded_list() -> None:
    assert extract_entities("") == ()
    assert extract_entities("lower case words and/or nothing else") == ()
    assert extract_entities("3.14 and 0.5 are not versions") == ()
    many = " ".join(f"name_{n}" for n in range(500))
    assert len(extract_entities(many)) == MAX_ENTITIES
    assert extract_entities("\x00\ufffd@ #  //  ()") == ()


def test_words_split_by_tabs_and_new_lines_each_give_their_own_identifiers() -> None:
    text = "fix a_b\tand c_d\nthen #ops and @ana\t#infra e_f"
    found = [(m.kind.value, m.name) for m in extract_entities(text)]
    assert found == [
        ("mention", "ana"),
        ("tag", "ops"),
        ("tag", "infra"),
        ("identifier", "a_b"),
        ("identifier", "c_d"),
        ("identifier", "e_f"),
    ]


def test_a_dotted_name_after_a_digit_is_found_alone_in_its_text() -> None:
    # Its quick test once wanted a letter before the dot, so a text with no other dotted name
    # lost it.
    assert found("the graph lives in data_level0.bin")["datalevel0.bin"][0] is EntityKind.IDENTIFIER
    assert found("call v2_client.fetch now")["v2client.fetch"][0] is EntityKind.IDENTIFIER


def test_each_extractor_searches_only_words_holding_its_hint_and_misses_nothing() -> None:
    """The write path searches a pattern only in the words holding its cheap test's match;
    that must find exactly what the pattern finds over the whole text. Checked on this
    repository's own docs and code (names, paths, identifiers, URLs, versions, issues)."""
    root = Path(__file__).resolve().parents[2]
    texts = [p.read_text() for p in sorted((root / "docs").glob("*.md"))]
    texts += [p.read_text() for p in sorted((root / "src/memvault/content").glob("*.py"))]
    texts.append("in data_level0.bin, x.y, v1.2.3-rc1, see acme/api#4 and GH-88 via @ana #ops")
    assert len(texts) > 10
    for kind, pattern, hint in entities_module._SCANS:
        for text in texts:
            whole = [m.span() for m in pattern.finditer(text)]
            by_word = [m.span() for m in entities_module._matches(pattern, hint, text)]
            assert by_word == whole, (kind, pattern.pattern)

from memvault.core.terms import MAX_QUERY_TERMS, index_aliases, parse_query, subwords


def phrases(query: str) -> list[tuple[tuple[str, ...], ...]]:
    return [term.alternatives for term in parse_query(query)]


def test_subwords_split_every_code_spelling() -> None:
    assert subwords("parse_config") == ["parse", "config"]
    assert subwords("parseConfig") == ["parse", "Config"]
    assert subwords("parse-config") == ["parse", "config"]
    assert subwords("src/parse_config.py") == ["src", "parse", "config", "py"]
    assert subwords("getHTTPResponse") == ["get", "HTTP", "Response"]
    assert subwords("v2.3.1") == ["v2", "3", "1"]


def test_aliases_add_camel_parts_and_joined_forms() -> None:
    assert index_aliases("call parseConfig now").split() == ["parse", "config", "parseconfig"]
    assert index_aliases("parse_config") == "parseconfig"
    assert index_aliases("plain words only") == ""


def test_compound_query_words_become_phrase_or_joined_alternatives() -> None:
    assert phrases("parseConfig") == [(("parse", "config"), ("parseconfig",))]
    assert phrases("parse_config") == phrases("parseConfig") == phrases("parse-config")


def test_stopwords_dropped_only_when_other_words_remain() -> None:
    assert phrases("what is the deploy command") == [(("deploy",),), (("command",),)]
    assert phrases("the") == [(("the",),)]


def test_hostile_strings_parse_to_literal_words_or_nothing() -> None:
    assert phrases('"') == []
    assert phrases("NEAR(") == [(("near",),)]
    assert phrases("***") == []
    assert phrases("") == []
    assert phrases("a AND b OR NOT c") == [(("b",),), (("c",),)]


def test_query_terms_are_capped_and_deduplicated() -> None:
    long_query = " ".join(f"word{i}" for i in range(500))
    assert len(parse_query(long_query)) == MAX_QUERY_TERMS
    assert len(parse_query("deploy deploy Deploy")) == 1

"""The search page's marks: the query's words as search reads them, everything else escaped."""

from __future__ import annotations

from markupsafe import Markup

from memvault.web.highlight import highlight, marked_spans, query_words, stem


def marks(text: str, query: str) -> list[str]:
    return [text[start:end] for start, end in marked_spans(text, query_words(query))]


def test_a_code_word_marks_every_spelling_of_it() -> None:
    text = "parse_config, parseConfig, parse-config, src/parseconfig.py and parse config"
    assert marks(text, "parseConfig") == [
        "parse_config",
        "parseConfig",
        "parse-config",
        "parseconfig",
        "parse config",
    ]


def test_a_part_of_a_code_word_marks_that_part_only() -> None:
    assert marks("call parse_config and readConfigFile", "config") == ["config", "Config"]


def test_a_phrase_needs_its_parts_in_order() -> None:
    assert marks("config parse, then parse the config", "parse_config") == []


def test_case_diacritics_and_plain_endings_are_folded() -> None:
    assert marks("CAFÉ menus", "cafe menu") == ["CAFÉ", "menus"]
    assert marks("she was running the parser", "run parse") == ["running"]
    assert stem("parsed") == stem("parsing") == stem("parse")


def test_stopwords_are_not_marked_beside_other_words() -> None:
    assert marks("the deploy of the day", "the deploy") == ["deploy"]


def test_everything_but_the_marks_is_escaped() -> None:
    out = highlight('<script>alert("x")</script> & script', query_words("script"))
    assert isinstance(out, Markup)
    assert out == (
        "&lt;<mark>script</mark>&gt;alert(&#34;x&#34;)&lt;/<mark>script</mark>&gt; &amp; "
        "<mark>script</mark>"
    )


def test_a_long_text_is_cut_around_its_first_mark() -> None:
    text = "filler " * 200 + "the needle is here " + "tail " * 200
    out = str(highlight(text, query_words("needle"), limit=200))
    assert out.startswith("…") and out.endswith("…")
    assert "<mark>needle</mark>" in out
    assert len(out) < 260


def test_a_query_without_words_marks_nothing() -> None:
    assert highlight("a <b> c", query_words("?!")) == "a &lt;b&gt; c"

from __future__ import annotations

import pickle
from itertools import product
from typing import Any

import pytest

from memvault.content.markdown.frontmatter import FrontMatterError, MarkdownDocument, parse, render
from memvault.core.errors import InvalidInputError

TRICKY_VALUES: list[Any] = [
    "plain",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "2024-01-01 10:00:00",
    "yes",
    "no",
    "on",
    "true",
    "1e3",
    "0x1F",
    "012",
    "1_000",
    ".inf",
    "null",
    "~",
    "",
    " ",
    "  leading and trailing  ",
    "line one\nline two",
    "trailing newline\n",
    "\n",
    "a\n\n\nb\n\n",
    "---",
    "...",
    "line\n---\nafter a fence line",
    "line\n...\nafter an end line",
    "# not a comment",
    "key: value",
    "- not a list",
    "'quoted' \"twice\"",
    "tab\there",
    "crlf\r\nline",
    "lone \r return",
    "héllo wörld ✓ 日本語 😀",
    "separators \u2028 \u2029 and NEL \x85 end",
    "\ufeffbom inside",
    "long " * 400,
    "long with fence " + "word " * 300 + "---",
    "=",
    "<<",
    "!not a tag",
    "&anchor",
    "*alias",
    "%directive",
    "@at",
    "`backtick",
    1,
    -7,
    3.5,
    1e20,
    True,
    False,
    None,
    [],
    {},
    ["a", "2024-01-01", 1, None, ["nested", {"deep": "yes"}]],
    {"inner": {"list": [1, 2, {"x": "null"}], "date": "2024-02-29"}},
]

TRICKY_BODIES = [
    "",
    "body\n",
    "no trailing newline",
    "\n\nstarts with blank lines\n",
    "---\nstarts with a fence\n",
    "---",
    "...\n",
    "---\nkey: value\n---\nlooks like front matter\n",
    "crlf body\r\nsecond\r\n",
    "  indented\n",
    "\ufeffa BOM in the body\n",
    "unicode ✓ 日本語\n",
]


def roundtrip(front_matter: dict[str, Any], body: str) -> MarkdownDocument:
    parsed = parse(render(front_matter, body))
    assert parsed.front_matter == front_matter
    assert parsed.body == body
    return parsed


def test_no_front_matter_is_all_body() -> None:
    text = "# Title\n\nSome text\n"
    assert parse(text) == MarkdownDocument({}, text, 1)


def test_front_matter_and_body_split_at_the_closing_fence() -> None:
    doc = parse("---\ntitle: Plan\ntags: [a, b]\n---\n# Plan\n\ntext")
    assert doc == MarkdownDocument({"title": "Plan", "tags": ["a", "b"]}, "# Plan\n\ntext", 5)


def test_dots_close_front_matter_too() -> None:
    assert parse("---\na: 1\n...\nbody\n") == MarkdownDocument({"a": 1}, "body\n", 4)


def test_dates_and_times_stay_text() -> None:
    doc = parse(
        "---\ncreated: 2024-01-01\nseen: 2024-01-01T10:00:00Z\n"
        "spaced: 2024-01-01 10:00:00\nexplicit: !!timestamp 2024-01-02\n---\n"
    )
    assert doc.front_matter == {
        "created": "2024-01-01",
        "seen": "2024-01-01T10:00:00Z",
        "spaced": "2024-01-01 10:00:00",
        "explicit": "2024-01-02",
    }


def test_other_scalars_load_as_safe_load_does() -> None:
    doc = parse("---\nn: 3\nf: 1.5\nb: true\nnothing: null\ns: '2024-01-01'\n---\n")
    assert doc.front_matter == {"n": 3, "f": 1.5, "b": True, "nothing": None, "s": "2024-01-01"}


def test_empty_or_comment_only_front_matter_is_empty() -> None:
    assert parse("---\n---\nbody") == MarkdownDocument({}, "body", 3)
    assert parse("---\n# just a comment\n---\n") == MarkdownDocument({}, "", 4)


def test_bom_and_crlf() -> None:
    doc = parse("\ufeff---\r\ntitle: x\r\n---\r\nbody\r\nmore\r\n")
    assert doc == MarkdownDocument({"title": "x"}, "body\r\nmore\r\n", 4)
    assert parse("\ufeffplain\n") == MarkdownDocument({}, "plain\n", 1)


def test_fence_must_be_the_first_line() -> None:
    text = "\n---\na: 1\n---\n"
    assert parse(text) == MarkdownDocument({}, text, 1)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("---\ntitle: x\n", 1, "never closed"),
        ("---", 1, "never closed"),
        ("---\ntitle: x\nbody without fence", 1, "never closed"),
        ("---\ntitle: ok\ntags: [a, b\nnext: 1\n---\n", 4, "not valid YAML"),
        ("---\ntitle: a: b\n---\n", 2, "not valid YAML"),
        ("---\nok: 1\nbell: \x07\n---\n", 3, "U+0007"),
        ("---\na: !!python/object:os.system x\n---\n", 2, "not valid YAML"),
        ("---\n- a\n- b\n---\n", 2, "not a list"),
        ("---\njust text\n---\n", 2, "not text"),
        ("---\ntitle: x\n1: one\n---\n", 3, "'1' is read as a number"),
        ("---\ntitle: x\n\nyes: 2\n---\n", 4, "'yes' is read as true/false"),
        ("---\n~: 1\n---\n", 2, "null"),
    ],
)
def test_errors_name_the_line_of_the_file(text: str, line: int, words: str) -> None:
    with pytest.raises(FrontMatterError) as caught:
        parse(text, source="notes/plan.md")
    error = caught.value
    assert error.line == line
    assert error.source == "notes/plan.md"
    assert words in error.reason
    assert str(error) == f"notes/plan.md:{line}: {error.reason}"
    assert "\n" not in str(error)


def test_error_without_source_and_its_kinds() -> None:
    with pytest.raises(FrontMatterError) as caught:
        parse("---\nx: [\n")
    assert str(caught.value).startswith("line 1: ")
    assert isinstance(caught.value, InvalidInputError)
    assert isinstance(caught.value, ValueError)


def test_error_survives_pickling() -> None:
    error = FrontMatterError("bad", line=3, source="a.md")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.line, copy.source, copy.reason) == ("a.md:3: bad", 3, "a.md", "bad")


def test_render_shape() -> None:
    text = render({"title": "Plan", "tags": ["a", "b"], "meta": {"k": 1}}, "# Plan\n")
    assert text == "---\ntitle: Plan\ntags:\n- a\n- b\nmeta:\n  k: 1\n---\n# Plan\n"


def test_render_keeps_key_order_and_unicode() -> None:
    text = render({"z": 1, "a": "日本語"}, "")
    assert text == "---\nz: 1\na: 日本語\n---\n"


def test_render_without_front_matter_is_the_body() -> None:
    assert render({}, "just the body\n") == "just the body\n"


def test_render_refuses_keys_that_are_not_text() -> None:
    with pytest.raises(InvalidInputError, match="keys must be text"):
        render({1: "x"}, "")  # type: ignore[dict-item]


@pytest.mark.parametrize("value", TRICKY_VALUES, ids=repr)
def test_roundtrip_of_tricky_values(value: Any) -> None:
    for body in TRICKY_BODIES:
        parsed = roundtrip({"title": "t", "value": value}, body)
        assert parsed.body_start_line == render({"title": "t", "value": value}, "").count("\n") + 1


def test_roundtrip_of_tricky_keys() -> None:
    keys = [v for v in TRICKY_VALUES if isinstance(v, str) and v]
    for key, body in product(keys, TRICKY_BODIES[:4]):
        roundtrip({key: "v"}, body)
    roundtrip(dict.fromkeys(keys, "same value"), "body")


def test_roundtrip_of_every_value_at_once() -> None:
    front_matter = {f"k{i}": value for i, value in enumerate(TRICKY_VALUES)}
    for body in TRICKY_BODIES:
        roundtrip(front_matter, body)


def test_roundtrip_of_empty_front_matter_keeps_every_body() -> None:
    for body in TRICKY_BODIES:
        roundtrip({}, body)

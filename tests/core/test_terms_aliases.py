"""The cheap "is this word plain?" test in ``index_aliases`` skips only words the full splitting
would give no aliases: the output is the same as splitting every word, on code and prose."""

from __future__ import annotations

import random
import re

from memvault.core.terms import index_aliases

# The splitting as it was before the cheap test, kept verbatim as the reference.
_COMPOUND = re.compile(r"\w+(?:[.\-/\\:@#+~']+\w+)*")
_ALNUM_RUN = re.compile(r"[^\W_]+")
_HAS_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_LETTERS_OR_DIGITS = re.compile(r"[^\W\d_]+|\d+")
_CAMEL_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")


def _camel_split(segment: str) -> list[str]:
    if segment.isascii() and _HAS_CAMEL.search(segment):
        return _CAMEL_PART.findall(segment)
    return [segment]


def reference_aliases(text: str) -> str:
    aliases: list[str] = []
    for match in _COMPOUND.finditer(text):
        runs = _ALNUM_RUN.findall(match.group())
        parts: list[str] = []
        for run in runs:
            split = _camel_split(run)
            if len(split) > 1:
                aliases.extend(p.lower() for p in split)
            parts.extend(split)
        if len(parts) > 1:
            aliases.append("".join(parts).lower())
        pieces = [p for part in parts for p in _LETTERS_OR_DIGITS.findall(part)]
        if len(pieces) > len(parts):
            aliases.extend(p.lower() for p in pieces)
    return " ".join(aliases)


WORDS = [
    "plain",
    "Title",
    "UPPER",
    "a",
    "A",
    "I",
    "snake_case",
    "_private",
    "__dunder__",
    "trailing_",
    "camelCase",
    "PascalCase",
    "HTTPServer",
    "getHTTPResponse",
    "XMLHttpRequest",
    "ABc",
    "aB",
    "iOS",
    "v1.2.3",
    "v2",
    "sha256",
    "2024",
    "3.14",
    "1e9",
    "x86_64",
    "file/paths.py",
    "src\\win\\path.c",
    "user@example.com",
    "C++",
    "C#",
    "don't",
    "O'Brien",
    "key:value",
    "a~b",
    "a+b",
    "#tag",
    "parse-config",
    "--flag",
    "café",
    "Café",
    "naïveTé",
    "straße",
    "ΑΘΗΝΑ",
    "Αθήνα",
    "москваСити",
    "東京",
    "東京2020",
    "١٢٣",
    "٣abc",
    "²",
    "x²",
    "ⅻ",
    "ǅemal",
    "İstanbul",
    "ﬁle",
    "e\u0301cole",
    "mixed_Case-Words.v2/x",
    "ALL_CAPS_CONST",
    "k8s",
    "HTML5",
]


def test_same_aliases_as_splitting_every_word() -> None:
    for word in WORDS:
        assert index_aliases(word) == reference_aliases(word), word
    text = " ".join(WORDS)
    assert index_aliases(text) == reference_aliases(text)


def test_same_aliases_on_random_strings() -> None:
    rng = random.Random(16)
    alphabet = "aAbZz09_.-/\\:@#+~' éÉß東١²ǅ\u0301İ"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert index_aliases(text) == reference_aliases(text), repr(text)

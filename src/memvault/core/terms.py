"""Code-aware words: how text is split for the keyword index and how queries are read.

Agents remember code: ``parse_config``, ``parseConfig``, ``parse-config``, ``src/parse_config.py``,
``v2.3.1``. A plain word tokenizer finds ``parse_config`` by ``parse`` but never ``parseConfig``
(one token, ``parseconfig``), and a query for ``parseConfig`` misses ``parse_config``. The field
reports that moved agent memory to SQLite lost exactly these matches.

The fix lives here, engine-agnostic, so SQLite's FTS5 and a PostgreSQL engine index the same
words. Indexing keeps the text as it is (the engine's own tokenizer splits on punctuation, folds
case and diacritics and stems) and adds an *aliases* text with what that tokenizer cannot see:
camelCase parts and the joined form of every compound. A query word becomes a group of
alternatives: the phrase of its parts, or the joined form. So every spelling finds every other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A compound: word runs glued by characters that join identifiers, paths and versions.
_COMPOUND = re.compile(r"\w+(?:[.\-/\\:@#+~']+\w+)*")
_ALNUM_RUN = re.compile(r"[^\W_]+")
_HAS_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_LETTERS_OR_DIGITS = re.compile(r"[^\W\d_]+|\d+")
_CAMEL_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")

# Words too common to help ranking; dropped from a query only when it has other words.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)

MAX_QUERY_TERMS = 64  # past this a query is a document, and OR over it costs more than it helps


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One word of a query as alternatives; each alternative is a phrase (a tuple of words)."""

    alternatives: tuple[tuple[str, ...], ...]


def _camel_split(segment: str) -> list[str]:
    if segment.isascii() and _HAS_CAMEL.search(segment):
        return _CAMEL_PART.findall(segment)
    return [segment]


def subwords(compound: str) -> list[str]:
    """``src/parseConfig.py`` -> ``['src', 'parse', 'Config', 'py']``."""
    return [compound[start:end] for start, end in subword_spans(compound)]


def compound_spans(text: str) -> list[tuple[int, int]]:
    """Where the compounds (words glued by ``_ . - /`` and the like) of ``text`` are."""
    return [match.span() for match in _COMPOUND.finditer(text)]


def subword_spans(compound: str) -> list[tuple[int, int]]:
    """Where each of :func:`subwords` sits in ``compound`` (the web page marks them)."""
    spans: list[tuple[int, int]] = []
    for run in _ALNUM_RUN.finditer(compound):
        segment = run.group()
        if segment.isascii() and _HAS_CAMEL.search(segment):
            spans += [
                (run.start() + p.start(), run.start() + p.end())
                for p in _CAMEL_PART.finditer(segment)
            ]
        else:
            spans.append(run.span())
    return spans


def _plain(word: str) -> bool:
    """True when ``word`` certainly has no aliases: all letters (so one run, no letter/digit
    boundary) and not camelCase (no case change after the first letter, or not ASCII, which
    ``_camel_split`` leaves whole), or all decimal digits. Cheap str methods, no regex: most
    words of prose are plain, and splitting every one of them was most of an insert's CPU."""
    if word.isalpha():
        return not word.isascii() or word.islower() or word.isupper() or word[1:].islower()
    return word.isdecimal()


def index_aliases(text: str) -> str:
    """Extra words to index beside ``text`` so compounds are found by parts and in any spelling."""
    aliases: list[str] = []
    for word in _COMPOUND.findall(text):
        if _plain(word):
            continue
        runs = _ALNUM_RUN.findall(word)
        parts: list[str] = []
        for run in runs:
            split = _camel_split(run)
            if len(split) > 1:
                aliases.extend(p.lower() for p in split)
            parts.extend(split)
        if len(parts) > 1:
            aliases.append("".join(parts).lower())
        # Letter/digit boundaries: `v2.3.1` is also found by `2.3.1`, `sha256` by `sha 256`.
        pieces = [p for part in parts for p in _LETTERS_OR_DIGITS.findall(part)]
        if len(pieces) > len(parts):
            aliases.extend(p.lower() for p in pieces)
    return " ".join(aliases)


def parse_query(text: str) -> tuple[QueryTerm, ...]:
    """Read any user string as query terms; never fails, may return no terms.

    Operators of the engine's query language (quotes, ``NEAR(``, ``*``, ``AND``, ``-``) are not
    interpreted: every word is matched literally, so a hostile string is only a strange query.
    """
    terms: list[QueryTerm] = []
    seen: set[tuple[tuple[str, ...], ...]] = set()
    for match in _COMPOUND.finditer(text):
        parts = [p.lower() for p in subwords(match.group())]
        if not parts:
            continue
        alternatives: tuple[tuple[str, ...], ...] = (
            ((parts[0],),) if len(parts) == 1 else (tuple(parts), ("".join(parts),))
        )
        if alternatives not in seen:
            seen.add(alternatives)
            terms.append(QueryTerm(alternatives))
    content_terms = [t for t in terms if not _is_stopword(t)]
    if content_terms:
        terms = content_terms
    return tuple(terms[:MAX_QUERY_TERMS])


def _is_stopword(term: QueryTerm) -> bool:
    first = term.alternatives[0]
    return len(first) == 1 and first[0] in STOPWORDS

"""A hit's text with the query's words in ``<mark>``, everything else escaped.

The words come from the query as search reads it (:func:`memvault.core.terms.parse_query`), so
the code-aware rule that found the hit also marks it: a query for ``parseConfig`` marks
``parse_config``, ``parse-config`` and ``parseConfig`` alike, and ``config`` marks the part of
``parse_config`` it matched. A query word of several parts is a phrase (its parts one after the
other in the text) or its joined form; a one-part word marks every part, word or compound it
equals.

Words are compared folded (case and diacritics, as the keyword index folds them) and lightly
stemmed (plural ``-s``/``-es``, ``-ed``, ``-ing``): an approximation of the index's Porter
stemmer, enough to mark ``configs`` for ``config``. A word the engine matched by a rarer rule
is simply left unmarked; the mark is a reading aid, the ranking is the engine's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape

from memvault.core.terms import compound_spans, parse_query, subword_spans

_PIECE = re.compile(r"[^\W\d_]+|\d+")
_SUFFIXES = ("ing", "ed", "es", "s")
_LONG_COMPOUND = 12  # past this many parts a compound's inner runs are not joined for matching
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class QueryWords:
    """What to mark: phrases of two or more stemmed words, and single stemmed words."""

    phrases: tuple[tuple[str, ...], ...]
    words: frozenset[str]

    @property
    def empty(self) -> bool:
        return not self.phrases and not self.words


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    stem: str


def query_words(query: str) -> QueryWords:
    """The query's words as search reads them (stopwords dropped unless they are all there is)."""
    phrases: list[tuple[str, ...]] = []
    words: set[str] = set()
    for term in parse_query(query):
        for alternative in term.alternatives:
            stems = tuple(stem(word) for word in alternative)
            if len(stems) == 1:
                words.add(stems[0])
            elif stems not in phrases:
                phrases.append(stems)
    return QueryWords(tuple(phrases), frozenset(words))


def stem(word: str) -> str:
    """``word`` folded (lower case, no diacritics) and stripped of a common English ending."""
    folded = word.lower()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFD", folded)
        folded = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    for suffix in _SUFFIXES:
        if folded.endswith(suffix) and len(folded) - len(suffix) >= 3:
            folded = folded[: -len(suffix)]
            if len(folded) > 3 and folded[-1] == folded[-2] and folded[-1] not in "lsz":
                folded = folded[:-1]  # running -> run
            break
    if len(folded) > 3 and folded.endswith("e"):
        folded = folded[:-1]  # parse, parsed, parsing -> pars
    return folded


def marked_spans(text: str, words: QueryWords) -> list[tuple[int, int]]:
    """Where the query's words are in ``text``: sorted, overlapping spans merged."""
    if words.empty:
        return []
    spans: list[tuple[int, int]] = []
    tokens: list[_Token] = []
    for start, end in compound_spans(text):
        compound = text[start:end]
        parts = [
            _Token(start + s, start + e, stem(compound[s:e])) for s, e in subword_spans(compound)
        ]
        tokens.extend(parts)
        spans.extend(_single_matches(compound, start, parts, words.words))
    for phrase in words.phrases:
        size = len(phrase)
        for first in range(len(tokens) - size + 1):
            window = tokens[first : first + size]
            if all(token.stem == word for token, word in zip(window, phrase, strict=True)):
                spans.append((window[0].start, window[-1].end))
    return _merged(spans)


def _single_matches(
    compound: str, offset: int, parts: list[_Token], words: frozenset[str]
) -> list[tuple[int, int]]:
    """Spans a one-part query word equals: a sub-word, a run of sub-words joined (the index's
    joined alias, ``parseconfig`` for ``parse_config``), or a letter or digit piece (``256``
    of ``sha256``)."""
    if not words:
        return []
    found = [(p.start, p.end) for p in parts if p.stem in words]
    if 1 < len(parts) <= _LONG_COMPOUND:
        for first in range(len(parts)):
            joined = ""
            for last in range(first, len(parts)):
                joined += compound[parts[last].start - offset : parts[last].end - offset].lower()
                if last > first and stem(joined) in words:
                    found.append((parts[first].start, parts[last].end))
    for part in parts:
        piece_text = compound[part.start - offset : part.end - offset]
        pieces = list(_PIECE.finditer(piece_text))
        if len(pieces) > 1:
            found += [
                (part.start + piece.start(), part.start + piece.end())
                for piece in pieces
                if stem(piece.group()) in words
            ]
    return found


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, words: QueryWords, *, limit: int | None = None) -> Markup:
    """``text`` escaped, the query's words in ``<mark>``. With ``limit``, a text longer than
    that is cut to a window of about ``limit`` characters around its first mark (an ellipsis
    where text was left out), so a long chunk does not bury the next hit."""
    spans = marked_spans(text, words)
    start, end = 0, len(text)
    if limit is not None and len(text) > limit:
        start, end = _window(text, spans[0][0] if spans else 0, limit)
    pieces: list[Markup] = [Markup(ELLIPSIS)] if start > 0 else []
    at = start
    for found_start, found_end in spans:
        if found_end <= start or found_start >= end:
            continue
        mark_start, mark_end = max(found_start, start), min(found_end, end)
        pieces.append(escape(text[at:mark_start]))
        pieces.append(Markup("<mark>%s</mark>") % text[mark_start:mark_end])
        at = mark_end
    pieces.append(escape(text[at:end]))
    if end < len(text):
        pieces.append(Markup(ELLIPSIS))
    return Markup("").join(pieces)


def _window(text: str, first_mark: int, limit: int) -> tuple[int, int]:
    """About ``limit`` characters from a little before ``first_mark``, cut at spaces."""
    start = max(0, first_mark - limit // 5)
    if start > 0:
        space = text.find(" ", start, first_mark)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + limit)
    if end < len(text):
        space = text.rfind(" ", start + limit // 2, end)
        end = space if space != -1 else end
    return start, end

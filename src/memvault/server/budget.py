"""Responses an agent can afford: a token budget per response, and cursors for the rest.

An agent pays for every token a tool returns. Each response is measured with a real tokenizer
(the bundled model's WordPiece vocabulary: offline, and within a few tens of percent of the
BPE tokenizers chat models use) and cut to the budget: long texts are shortened with a marker,
and a list that still does not fit stops early with a ``next_cursor`` to fetch the rest.
Cursors are opaque, and tied to the request they continue so they cannot be mixed up.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from memvault.core import inputs
from memvault.core.errors import InvalidInputError
from memvault.embedding.tokens import compact, count_tokens, cut, offsets, prefix

DEFAULT_BUDGET = 2_000  # tokens per response
MIN_BUDGET = inputs.MIN_TOKEN_BUDGET
MAX_BUDGET = inputs.MAX_TOKEN_BUDGET  # what `memvault serve --budget` allows too
TRUNCATED = " …[truncated]"
_MAX_CHARS_PER_TOKEN = 32  # far above real text (about 4): bounds the text encoded to cut


@dataclass(frozen=True, slots=True)
class Budget:
    tokens: int = DEFAULT_BUDGET

    def fits(self, data: Any) -> bool:
        return count_tokens(compact(data)) <= self.tokens

    def shorten(self, text: str, tokens: int) -> str:
        """``text`` cut to about ``tokens`` tokens (at a word boundary), marked if cut."""
        if count_tokens(text) <= tokens:
            return text
        return self.cut(text, tokens - count_tokens(TRUNCATED)) + TRUNCATED

    def cut(self, text: str, tokens: int) -> str:
        """The longest prefix of ``text`` within about ``tokens`` tokens (see
        :func:`memvault.embedding.tokens.cut`)."""
        return cut(text, tokens)

    def squeeze(
        self, text: str, build: Callable[[str], dict[str, Any]], *, marked: bool = True
    ) -> dict[str, Any]:
        """``build(text)``, or ``build`` of the longest prefix of ``text`` whose response fits.

        The response is measured whole (JSON escapes, cursors and every other field included).
        Prefixes are cut like :meth:`cut`, and marked as truncated if ``marked``. If not even a
        one-token prefix fits, that is the smallest response there is and it is returned.
        """
        response = build(text)
        if self.fits(response):
            return response
        # A prefix that fits has fewer tokens than the budget: only the head needs encoding.
        head = text[: self.tokens * _MAX_CHARS_PER_TOKEN]
        token_offsets = offsets(head)

        def piece(tokens: int) -> str:
            kept = prefix(text, token_offsets, tokens)
            return kept + TRUNCATED if marked else kept

        best, low, high = build(piece(1)), 2, len(token_offsets)
        while low <= high:
            middle = (low + high) // 2
            candidate = build(piece(middle))
            if self.fits(candidate):
                best, low = candidate, middle + 1
            else:
                high = middle - 1
        return best

    def page(
        self,
        items: Sequence[dict[str, Any]],
        *,
        text_field: str,
        envelope: Callable[[list[dict[str, Any]]], dict[str, Any]],
        more: bool,
        next_cursor: Callable[[int], str],
    ) -> dict[str, Any]:
        """The largest prefix of ``items`` that fits, long texts shortened first.

        ``envelope`` wraps a list of items into the response; ``more`` says whether items exist
        beyond ``items``; ``next_cursor(n)`` is the cursor that resumes after the first ``n``.
        The response is measured with its ``next_cursor``, which counts against the budget too.
        """

        def respond(shown: list[dict[str, Any]]) -> dict[str, Any]:
            response = envelope(shown)
            if len(shown) < len(items) or more:
                response["next_cursor"] = next_cursor(len(shown))
            return response

        fitted = list(items)
        if fitted and not self.fits(respond(fitted)):
            share = max(40, self.tokens // (2 * len(fitted)))
            fitted = [
                {**item, text_field: self.shorten(str(item[text_field]), share)}
                if isinstance(item.get(text_field), str)
                else item
                for item in fitted
            ]
        while len(fitted) > 1 and not self.fits(respond(fitted)):
            fitted.pop()
        if len(fitted) == 1 and isinstance(fitted[0].get(text_field), str):
            # One item left: its text gets all the room there is, cut only as far as it must.
            first = fitted[0]
            return self.squeeze(
                str(items[0][text_field]), lambda text: respond([{**first, text_field: text}])
            )
        return respond(fitted)


def make_cursor(offset: int, request: dict[str, Any], scope: str) -> str:
    """A cursor resuming ``request`` at ``offset``, good only in ``scope`` (the vault that
    answered: a cursor one tenant was given is refused by another's vault)."""
    payload = compact({"o": offset, "r": _fingerprint(request, scope)})
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def read_cursor(cursor: str | None, request: dict[str, Any], scope: str) -> int:
    """The offset a cursor resumes at (0 without one); a cursor of another request is refused."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset, fingerprint = int(data["o"]), str(data["r"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError("cursor is not one this server gave out") from exc
    if fingerprint != _fingerprint(request, scope) or offset < 0:
        raise InvalidInputError("cursor belongs to a different request: repeat the same arguments")
    return offset


def _fingerprint(request: dict[str, Any], scope: str) -> str:
    return hashlib.sha256(compact({"q": request, "s": scope}).encode()).hexdigest()[:12]

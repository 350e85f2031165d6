"""The response budget: real token counts, shortening, paging and cursors."""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest

from memvault.core.errors import InvalidInputError
from memvault.server.budget import (
    TRUNCATED,
    Budget,
    compact,
    count_tokens,
    make_cursor,
    read_cursor,
)

WORDS = [
    "river",
    "stone",
    "memory",
    "lattice",
    "harbour",
    "café",
    "東京",
    '"quoted"',
    "back\\slash",
    "new\nline",
    ",",
    ".",
]


def prose(words: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words))


def tokens_of(data: Any) -> int:
    return count_tokens(compact(data))


# --- count_tokens ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 1),
        ("hello world", 2),
        ("Hello, world!", 4),  # punctuation is its own token
        ("unbelievable", 1),  # a whole word in the vocabulary
        ("memvault", 4),  # an unknown word splits into WordPiece pieces
        ("   \n\n  ", 0),  # whitespace alone costs nothing
    ],
)
def test_count_tokens_known_cases(text: str, expected: int) -> None:
    assert count_tokens(text) == expected


def test_count_tokens_grows_with_text() -> None:
    assert count_tokens(" ".join(["memory"] * 50)) == 50
    short, long = prose(20), prose(200)
    assert count_tokens(long) > count_tokens(short) > 0
    # Not a character estimate: the same length of text costs different amounts.
    assert count_tokens("a " * 50) == 50
    assert count_tokens("unbelievable " * 10) == 10


def test_compact_has_no_spaces_and_keeps_unicode() -> None:
    assert compact({"a": [1, 2], "b": "café"}) == '{"a":[1,2],"b":"café"}'


# --- shorten / cut / squeeze -------------------------------------------------------------------


def test_shorten_leaves_short_text_alone() -> None:
    text = "a short fact about tea"
    assert Budget().shorten(text, 50) == text
    assert Budget().shorten(text, count_tokens(text)) == text


@pytest.mark.parametrize("limit", [8, 20, 57, 100, 333])
def test_shorten_keeps_under_the_limit_and_marks_the_cut(limit: int) -> None:
    text = prose(600, seed=limit)
    short = Budget().shorten(text, limit)
    assert short.endswith(TRUNCATED)
    assert count_tokens(short) <= limit
    assert text.startswith(short.removesuffix(TRUNCATED))
    # It does not throw away most of what it was allowed to keep.
    assert count_tokens(short) >= limit // 2


def test_shorten_cuts_at_a_word_boundary() -> None:
    text = " ".join(f"word{i}" for i in range(200))
    kept = Budget().shorten(text, 30).removesuffix(TRUNCATED)
    assert text[len(kept)] == " "  # the next character starts a new word


def test_cut_pieces_concatenate_back_to_the_text() -> None:
    budget = Budget()
    text = prose(400, seed=3)
    pieces, rest = [], text
    while rest:
        piece = budget.cut(rest, 25)
        assert piece, "every piece makes progress"
        assert count_tokens(piece) <= 25
        pieces.append(piece)
        rest = rest[len(piece) :]
    assert "".join(pieces) == text
    assert len(pieces) > 5


def test_squeeze_fits_the_whole_response_including_json_escapes() -> None:
    budget = Budget(120)
    # Newlines and quotes cost more once JSON-escaped than in the raw text.
    text = '"line"\n' * 300
    response = budget.squeeze(text, lambda t: {"id": "x", "content": t})
    assert tokens_of(response) <= 120
    assert response["content"].endswith(TRUNCATED)
    # The budget is used, not wasted: a fitting response is close to it.
    assert tokens_of(response) > 100


def test_squeeze_returns_text_that_fits_unchanged() -> None:
    response = Budget(200).squeeze("small", lambda t: {"content": t})
    assert response == {"content": "small"}


# --- page ------------------------------------------------------------------------------------


def page(
    budget: Budget, items: list[dict[str, Any]], more: bool = False
) -> tuple[dict[str, Any], list[int]]:
    asked: list[int] = []

    def cursor(n: int) -> str:
        asked.append(n)
        return make_cursor(n, {"q": "test"}, VAULT)

    response = budget.page(
        items,
        text_field="content",
        envelope=lambda shown: {"hits": shown},
        more=more,
        next_cursor=cursor,
    )
    return response, asked


def test_page_returns_everything_that_fits_without_a_cursor() -> None:
    items = [{"id": str(i), "content": f"fact {i}"} for i in range(5)]
    response, _ = page(Budget(300), items)
    assert response == {"hits": items}


def test_page_gives_a_cursor_when_more_exist_beyond_the_items() -> None:
    items = [{"id": "1", "content": "fact"}]
    response, asked = page(Budget(300), items, more=True)
    assert response["hits"] == items
    assert read_cursor(response["next_cursor"], {"q": "test"}, VAULT) == 1
    assert asked[-1] == 1


def test_page_drops_items_from_the_end_and_resumes_after_the_last_shown() -> None:
    items = [{"id": str(i), "content": prose(30, seed=i)} for i in range(30)]
    response, _ = page(Budget(300), items)
    shown = response["hits"]
    assert 1 <= len(shown) < len(items)
    assert [h["id"] for h in shown] == [str(i) for i in range(len(shown))]  # a prefix, in order
    assert read_cursor(response["next_cursor"], {"q": "test"}, VAULT) == len(shown)
    assert tokens_of(response) <= 300  # the cursor counts against the budget too


def test_page_shortens_long_texts_before_dropping_items() -> None:
    items = [{"id": str(i), "content": prose(400, seed=i)} for i in range(3)]
    response, _ = page(Budget(600), items)
    shown = response["hits"]
    assert len(shown) == 3, "three shortened texts fit where three whole ones do not"
    assert all(h["content"].endswith(TRUNCATED) for h in shown)
    assert "next_cursor" not in response
    assert tokens_of(response) <= 600


def test_page_cuts_a_single_huge_item_to_fit() -> None:
    items = [{"id": "1", "content": prose(3000)}]
    response, _ = page(Budget(200), items, more=True)
    assert [h["id"] for h in response["hits"]] == ["1"]
    assert response["hits"][0]["content"].endswith(TRUNCATED)
    assert read_cursor(response["next_cursor"], {"q": "test"}, VAULT) == 1
    assert tokens_of(response) <= 200


@pytest.mark.parametrize("budget_tokens", [200, 257, 300, 512, 1000])
def test_page_never_exceeds_the_budget(budget_tokens: int) -> None:
    rng = random.Random(budget_tokens)
    budget = Budget(budget_tokens)
    for trial in range(25):
        items = [
            {"id": f"{trial}-{i}", "content": prose(rng.randint(1, 120), seed=trial * 100 + i)}
            for i in range(rng.randint(1, 15))
        ]
        response, _ = page(budget, items, more=rng.random() < 0.5)
        assert tokens_of(response) <= budget_tokens, (trial, len(items))
        assert response["hits"], "a page always shows at least one item"


VAULT = "/home/ana/.memvault/memvault.db"


# --- cursors ---------------------------------------------------------------------------------


def test_cursor_round_trips() -> None:
    request = {"q": "tea", "m": "hybrid", "k": ["fact"], "t": None}
    for offset in (0, 1, 37, 999):
        assert read_cursor(make_cursor(offset, request, VAULT), request, VAULT) == offset


def test_no_cursor_starts_at_zero() -> None:
    assert read_cursor(None, {"q": "x"}, VAULT) == 0
    assert read_cursor("", {"q": "x"}, VAULT) == 0


def test_cursor_is_opaque_text_an_agent_can_copy() -> None:
    cursor = make_cursor(12, {"q": "tea"}, VAULT)
    assert cursor.isascii() and " " not in cursor and "=" not in cursor
    assert "tea" not in cursor


def test_cursor_of_another_vault_is_refused() -> None:
    """A hosted server's tenants: a cursor one vault gave out is refused by another's."""
    request = {"q": "tea"}
    cursor = make_cursor(10, request, "/tenants/alpha/memvault.db")
    assert read_cursor(cursor, request, "/tenants/alpha/memvault.db") == 10
    with pytest.raises(InvalidInputError, match="different request"):
        read_cursor(cursor, request, "/tenants/beta/memvault.db")


def test_cursor_of_another_request_is_refused() -> None:
    cursor = make_cursor(10, {"q": "tea"}, VAULT)
    with pytest.raises(InvalidInputError, match="different request"):
        read_cursor(cursor, {"q": "coffee"}, VAULT)


def forged(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!!",
        "éé",
        forged([1, 2]),
        forged({"o": "ten", "r": "abc"}),
        forged({"r": "abc"}),
        forged({"o": None, "r": "abc"}),
        forged(7),
    ],
)
def test_garbage_cursor_is_refused_clearly(cursor: str) -> None:
    with pytest.raises(InvalidInputError, match="cursor is not one this server gave out"):
        read_cursor(cursor, {"q": "tea"}, VAULT)


def test_forged_negative_offset_is_refused() -> None:
    good = json.loads(base64.urlsafe_b64decode(make_cursor(3, {"q": "tea"}, VAULT) + "=="))
    with pytest.raises(InvalidInputError):
        read_cursor(forged({**good, "o": -5}), {"q": "tea"}, VAULT)

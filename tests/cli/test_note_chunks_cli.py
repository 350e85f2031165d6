"""A note with a long paragraph under a heading, through ``memvault note write``: its chunks
are cut between sentences, repeat whole sentences as overlap, and none is a heading with a few
words (issue 13, item 14)."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest

from tests.cli.test_vault_cli import Cli

SENTENCE = re.compile(r"[^.]+\.")


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "home")


def sentences(count: int) -> list[str]:
    animals = ["okapi", "tapir", "quokka", "pangolin", "axolotl", "numbat", "kinkajou"]
    return [
        f"Keeper note {n}: the {animals[n % 7]} was fed at {n % 12 + 1} o'clock and rested "
        f"near the {animals[(n + 3) % 7]} enclosure without trouble."
        for n in range(count)
    ]


def runs(text: str, said: list[str]) -> tuple[int, int]:
    """``text`` as ``said[i:j]`` joined by spaces (whole sentences only); fails otherwise."""
    for first, sentence in enumerate(said):
        if text.startswith(sentence):
            for last in range(len(said), first, -1):
                if text == " ".join(said[first:last]):
                    return first, last
    raise AssertionError(f"not a run of whole sentences: {text[:60]!r} … {text[-60:]!r}")


def test_a_long_paragraph_is_cut_between_sentences_with_overlap(cli: Cli) -> None:
    said = sentences(40)  # one line of about 4,000 characters, over the 1,500 of a chunk
    body = "# Okapi care\n\n" + " ".join(said) + "\n\n## Feeding\n\nLeaves at dawn.\n"
    cli.json("note", "write", "zoo/okapi", "--content", body)
    chunks = [m["content"] for m in cli.json("list", "--chunks", "--kind", "note")["memories"]]
    assert "## Feeding\n\nLeaves at dawn." in chunks
    pieces = [c for c in chunks if "Feeding" not in c]
    assert len(pieces) >= 3
    heading = [c for c in pieces if c.startswith("# Okapi care")]
    assert len(heading) == 1  # the heading is never a chunk of its own, but kept with text
    spans = sorted(runs(c.removeprefix("# Okapi care\n\n"), said) for c in pieces)
    assert spans[0][0] == 0 and spans[-1][1] == len(said)  # every sentence is in a chunk
    for (i, j), (k, m) in pairwise(spans):
        assert j - i >= 5 and m - k >= 5  # real content: many whole sentences, no stub tail
        assert i < k < j <= m  # the next one starts with whole sentences of the one before
    assert all(len(c) <= 1500 for c in chunks)

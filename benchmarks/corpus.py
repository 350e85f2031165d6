"""Synthetic memories and queries for benchmarks: deterministic, Zipf-distributed words with
code identifiers mixed in, so keyword search sees realistic posting-list lengths."""

from __future__ import annotations

import random

SYLLABLES = tuple(
    "kalominerusatevizopadefiguhajokulamenoperisotuvawexiyo"[i : i + 2] for i in range(0, 54, 2)
)
COMMON_WORDS = 200  # the most frequent words play the part of stopwords


def vocabulary(size: int = 20_000, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class TextMaker:
    def __init__(self, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary()
        weights = [1.0 / (rank + 1) ** 1.07 for rank in range(len(self.words))]
        self.cumulative = []
        total = 0.0
        for w in weights:
            total += w
            self.cumulative.append(total)

    def word(self) -> str:
        return self.rng.choices(self.words, cum_weights=self.cumulative)[0]

    def identifier(self) -> str:
        a, b = self.word(), self.word()
        style = self.rng.randrange(3)
        return f"{a}_{b}" if style == 0 else f"{a}{b.capitalize()}" if style == 1 else f"{a}-{b}"

    def memory(self) -> str:
        n = self.rng.randint(12, 40)
        parts = [self.identifier() if self.rng.random() < 0.08 else self.word() for _ in range(n)]
        return " ".join(parts)

    def content_query(self) -> str:
        """Words as people query: outside the most frequent (which real queries drop as
        stopwords), sometimes an identifier."""
        n = self.rng.randint(2, 4)
        parts = [
            self.identifier()
            if self.rng.random() < 0.2
            else self.words[self.rng.randrange(COMMON_WORDS, len(self.words))]
            for _ in range(n)
        ]
        return " ".join(parts)

    def common_query(self) -> str:
        """Words drawn by corpus frequency, so most queries contain a very common word: the
        worst case for an OR query, which must score every document that matches."""
        return " ".join(self.word() for _ in range(self.rng.randint(2, 4)))

"""Synthetic memories with vectors shaped like sentence embeddings, and queries that match them.

Vectors: every memory belongs to a topic and a sub-topic and is a mix of a direction shared by
all (real embeddings are anisotropic), its topic's, its sub-topic's and its own noise, scaled to
unit length. A query is aimed at one memory: the same topic and sub-topic directions plus noise
that is partly the target's own. With the weights below, a random pair's cosine is ~0.1, a
sub-topic sibling's ~0.4 and a query's target's 0.6-0.8, as with MiniLM on real text.

Texts: ``corpus.TextMaker`` sentences with a few topic and sub-topic words mixed in, so the
keyword and vector signals agree about what is related. A content query takes 2-4 of its
target's own words (none of the most common ones); a common-word query is
``TextMaker.common_query``, the worst case for keyword search, with a vector aimed at a random
memory.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from corpus import COMMON_WORDS, TextMaker
from precomputed import PrecomputedEmbedder

Matrix = npt.NDArray[np.float32]

DIMENSIONS = 384  # the bundled model's width
ITEMS_PER_SUBTOPIC = 33
SUBTOPICS_PER_TOPIC = 30
# Squared weights of the shared, topic, sub-topic and own-noise directions (they sum to 1).
SHARED, TOPIC, SUBTOPIC, NOISE = 0.10, 0.12, 0.18, 0.60
TARGET_SHARE = (0.35, 0.65)  # how much of a query's noise is its target's own
TOPIC_WORDS, SUBTOPIC_WORDS = 8, 4
DATE_PHRASE = "what did we settle in May 2023 about"


@dataclass
class QuerySet:
    texts: list[str]
    vectors: Matrix  # (n, d), unit length
    targets: list[int]  # the memory each query was aimed at


@dataclass
class Corpus:
    texts: list[str]
    vectors: Matrix  # (n, d), unit length
    content: QuerySet
    common: QuerySet

    @property
    def dated(self) -> QuerySet:
        """The content queries with a date phrase in front: they take hybrid search's
        time-window path (every candidate's time is read), which plain queries never do."""
        texts = [f"{DATE_PHRASE} {text}" for text in self.content.texts]
        return QuerySet(texts, self.content.vectors, self.content.targets)

    def exact_top(self, queries: Matrix, k: int) -> npt.NDArray[np.intp]:
        """Row indices of each query's exact top ``k`` by cosine, best first (brute force)."""
        scores = queries @ self.vectors.T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        return np.take_along_axis(top, order, axis=1)


def _unit(matrix: Matrix) -> Matrix:
    out: Matrix = (matrix / np.linalg.norm(matrix, axis=-1, keepdims=True)).astype(np.float32)
    return out


def _gaussian(rng: np.random.Generator, *shape: int) -> Matrix:
    return _unit(rng.standard_normal(shape, dtype=np.float32))


def build(size: int, queries: int, *, seed: int = 5, dims: int = DIMENSIONS) -> Corpus:
    rng = np.random.default_rng(seed)
    text_rng = random.Random(seed)
    maker = TextMaker(seed=seed)
    subtopics = max(1, size // ITEMS_PER_SUBTOPIC)
    topics = max(1, subtopics // SUBTOPICS_PER_TOPIC)
    shared = _gaussian(rng, dims)
    topic_dirs = _gaussian(rng, topics, dims)
    sub_dirs = _gaussian(rng, subtopics, dims)
    sub_topic = rng.integers(0, topics, subtopics)
    sub_of = rng.integers(0, subtopics, size)
    noise = _gaussian(rng, size, dims)
    centre = _centres(shared, topic_dirs[sub_topic], sub_dirs)
    vectors = _unit(centre[sub_of] + np.sqrt(NOISE) * noise)

    content_words = maker.words[COMMON_WORDS:]
    topic_vocab = [text_rng.sample(content_words, TOPIC_WORDS) for _ in range(topics)]
    sub_vocab = [text_rng.sample(content_words, SUBTOPIC_WORDS) for _ in range(subtopics)]
    texts: list[str] = []
    seen: set[str] = set()
    for i in range(size):
        sub = int(sub_of[i])
        own = topic_vocab[int(sub_topic[sub])] + sub_vocab[sub]
        while True:
            words = maker.memory().split()
            for _ in range(text_rng.randint(2, 4)):
                words.insert(text_rng.randrange(len(words) + 1), text_rng.choice(own))
            text = " ".join(words)
            if text not in seen:
                break
        seen.add(text)
        texts.append(text)

    def aimed(targets: list[int]) -> Matrix:
        share = rng.uniform(*TARGET_SHARE, size=(len(targets), 1)).astype(np.float32)
        own_noise = share * noise[targets] + np.sqrt(1 - share**2) * _gaussian(
            rng, len(targets), dims
        )
        return _unit(centre[sub_of[targets]] + np.sqrt(NOISE) * own_noise)

    common_words = set(maker.words[:COMMON_WORDS])

    def content_query(target: int) -> str:
        words = [w for w in texts[target].split() if w not in common_words]
        return " ".join(text_rng.sample(words, min(len(words), text_rng.randint(2, 4))))

    def query_set(common: bool) -> QuerySet:
        chosen: list[int] = []
        query_texts: list[str] = []
        used: set[str] = set()
        while len(chosen) < queries:
            target = int(rng.integers(size))
            text = maker.common_query() if common else content_query(target)
            if text and text not in used:
                used.add(text)
                chosen.append(target)
                query_texts.append(text)
        return QuerySet(query_texts, aimed(chosen), chosen)

    return Corpus(texts, vectors, query_set(common=False), query_set(common=True))


def _centres(shared: Matrix, topic: Matrix, sub: Matrix) -> Matrix:
    mix = np.sqrt(SHARED) * shared + np.sqrt(TOPIC) * topic + np.sqrt(SUBTOPIC) * sub
    out: Matrix = mix.astype(np.float32)
    return out


def describe(corpus: Corpus, *, pairs: int = 20_000, seed: int = 3) -> dict[str, float]:
    """The shape of the data, for the report: median cosines of random pairs and of each
    content query's exact top-1 and 10th."""
    rng = np.random.default_rng(seed)
    n = len(corpus.texts)
    a, b = rng.integers(0, n, pairs), rng.integers(0, n, pairs)
    keep = a != b
    pair = np.einsum("ij,ij->i", corpus.vectors[a[keep]], corpus.vectors[b[keep]])
    queries = corpus.content.vectors
    top = corpus.exact_top(queries, 10)
    best = np.einsum("ij,ij->i", queries, corpus.vectors[top[:, 0]])
    tenth = np.einsum("ij,ij->i", queries, corpus.vectors[top[:, 9]])
    return {
        "pair_median": float(np.median(pair)),
        "top1_median": float(np.median(best)),
        "top10_median": float(np.median(tenth)),
    }


def embedder_for(corpus: Corpus) -> PrecomputedEmbedder:
    """The corpus's own vectors for its texts and both query sets, so a benchmark times the
    vault and never a model."""
    return PrecomputedEmbedder(
        corpus.texts,
        corpus.vectors,
        corpus.content.texts + corpus.common.texts + corpus.dated.texts,
        np.vstack([corpus.content.vectors, corpus.common.vectors, corpus.dated.vectors]),
    )

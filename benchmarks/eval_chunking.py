"""How note chunking serves search: SciFact abstracts as notes, scored per document.

Each abstract becomes the note ``# <title>\\n\\n<abstract>`` (one long line, as notes often
are), cut by ``chunk_markdown`` with the given limit; every chunk is a memory that knows its
document. A query's ranking is its hits' documents, each kept at its best chunk's rank, scored
with nDCG@10 and recall@100 on the *train* qrels (SciFact's dev queries; the test split is for
``make eval`` and never used to tune chunking). Also printed: how many chunks hold fewer than 8
words besides the heading, the kind that matches a query's words while saying nothing.

    PYTHONPATH=src python benchmarks/eval_chunking.py --modes keyword           # ~20 s
    PYTHONPATH=src python benchmarks/eval_chunking.py --modes hybrid,vector     # embeds: minutes

Issue 13 (item 14), limit 1,500, 300 dev queries, bundled MiniLM: the line cutter made 8,930
chunks (1,600 stubs), the sentence cutter 7,670 (1); nDCG@10 keyword 0.6495 → 0.6514, vector
0.6297 → 0.6564, hybrid 0.7137 → 0.7150; R@100 hybrid 0.9327 → 0.9360.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import memvault
from memvault.content.chunking import ChunkLimits, chunk_markdown
from memvault.core.records import MemoryDraft
from memvault.evaluation.metrics import ndcg_at_k, recall_at_k

STUB_WORDS = 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(os.environ.get("MEMVAULT_DATASETS", "/work/shared/datasets")) / "scifact"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--max-chars", type=int, default=1500)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--modes", default="keyword", help="comma-separated search modes")
    args = parser.parse_args()
    modes = args.modes.split(",")
    limits = ChunkLimits(max_chars=args.max_chars, overlap_chars=min(200, args.max_chars // 5))

    drafts, stubs = notes_as_chunks(args.data, limits)
    queries = {str(q["_id"]): str(q["text"]) for q in read_jsonl(args.data / "queries.jsonl")}
    relevant: dict[str, set[str]] = {}
    for line in (args.data / "qrels" / "train.tsv").read_text("utf-8").splitlines()[1:]:
        query_id, doc_id, _ = line.split("\t")
        relevant.setdefault(query_id, set()).add(doc_id)
    chosen = sorted(relevant, key=int)[: args.queries]
    print(f"limit {args.max_chars}: {len(drafts)} chunks, {stubs} with < {STUB_WORDS} words")

    embedder = "none" if modes == ["keyword"] else "bundled"
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        with memvault.open(
            Path(folder) / "chunks.db", vault=False, embedder=embedder, background=False
        ) as vault:
            vault.remember_many(drafts)
            vault.wait_for_jobs()
            for mode in modes:
                ndcg = recall = 0.0
                for query_id in chosen:
                    ranking: list[set[str]] = []
                    for hit in vault.search(queries[query_id], k=100, mode=mode):
                        doc = str(hit.memory.metadata["doc"])
                        if {doc} not in ranking:
                            ranking.append({doc})
                    ndcg += ndcg_at_k(ranking, relevant[query_id], 10)
                    recall += recall_at_k(ranking, relevant[query_id], 100)
                n = len(chosen)
                print(
                    f"{mode:>8}: nDCG@10 {ndcg / n:.4f}  R@100 {recall / n:.4f}"
                    f"  ({time.monotonic() - started:.0f} s)"
                )


def notes_as_chunks(root: Path, limits: ChunkLimits) -> tuple[list[MemoryDraft], int]:
    drafts: list[MemoryDraft] = []
    stubs = 0
    for doc in read_jsonl(root / "corpus.jsonl"):
        heading = f"# {doc['title']}"
        for chunk in chunk_markdown(f"{heading}\n\n{doc['text']}\n", limits):
            stubs += len(chunk.text.removeprefix(heading).split()) < STUB_WORDS
            drafts.append(MemoryDraft(chunk.text, kind="note", metadata={"doc": str(doc["_id"])}))
    return drafts, stubs


def read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


if __name__ == "__main__":
    main()

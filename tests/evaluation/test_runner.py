"""The runner through a real vault (ids map back through dedup, progress), and the docs section."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from memvault.evaluation.datasets import Collection, Dataset, load
from memvault.evaluation.report import END, START, replace_section
from memvault.evaluation.runner import evaluate

LOCOMO = Path(__file__).parent / "fixtures" / "locomo-tiny.json"


def test_a_memory_standing_for_duplicate_documents_retrieves_all_of_them() -> None:
    conv_b = load(LOCOMO).collections[1]
    # Without their sessions the turns are memories of their own: D1:3 has the same text as
    # D1:1, so the vault keeps one memory, returned for both ids.
    documents = tuple(replace(doc, thread=None) for doc in conv_b.documents)
    (query,) = [q for q in conv_b.queries if q.relevant == frozenset({"D1:3"})]
    only = Dataset("dup", "locomo", (Collection("conv-b", documents, (query,)),))
    (result,) = evaluate(only, embedder="none", modes=["keyword"]).results
    assert result.recall_at_1 == 1.0
    assert result.mrr == 1.0


def test_a_conversation_is_searched_as_the_messages_of_its_sessions() -> None:
    conv_b = load(LOCOMO).collections[1]
    assert {doc.thread for doc in conv_b.documents} == {"session_1"}
    # Turns are messages: the same words said twice are two turns, both found (tied), and
    # the evidence turn is among them.
    (query,) = [q for q in conv_b.queries if q.relevant == frozenset({"D1:3"})]
    only = Dataset("dup", "locomo", (Collection("conv-b", conv_b.documents, (query,)),))
    (result,) = evaluate(only, embedder="none", modes=["keyword"]).results
    assert result.recall_at_5 == 1.0
    assert result.mrr == 0.5  # D1:1, the same words said first, ties and comes first


def test_progress_reaches_every_stage() -> None:
    seen: list[tuple[str, int, int]] = []
    evaluate(
        load(LOCOMO).limited(1),
        embedder="hash:64",
        modes=["vector"],
        progress=lambda what, done, total: seen.append((what, done, total)),
    )
    finished = {what for what, done, total in seen if done == total}
    assert finished == {
        "conv-a [float32]: storing",
        "conv-a [float32]: embedding",
        "conv-a [float32]: searching",
    }
    assert all(0 <= done <= total for _, done, total in seen)


def test_the_docs_section_is_replaced_in_place_or_appended() -> None:
    first = f"{START}\nold numbers\n{END}"
    doc = f"# Benchmarks\n\nwrite latency\n\n{first}\n\nafter\n"
    new = f"{START}\nnew numbers\n{END}"
    replaced = replace_section(doc, new)
    assert replaced == f"# Benchmarks\n\nwrite latency\n\n{new}\n\nafter\n"
    assert replace_section(replaced, new) == replaced
    appended = replace_section("# Benchmarks\n\nwrite latency\n", new)
    assert appended == f"# Benchmarks\n\nwrite latency\n\n{new}\n"
    assert replace_section(appended, first).count(START) == 1


def test_the_report_names_the_model_not_the_spec() -> None:
    dataset = load(LOCOMO).limited(1)
    assert evaluate(dataset, embedder="hash:64", modes=["hybrid"]).model_id == "hash-64"
    assert evaluate(dataset, embedder="hash:64", modes=["keyword"]).model_id is None

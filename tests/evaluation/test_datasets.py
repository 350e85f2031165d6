"""Dataset loading, with the quirks the real files have (docs: /work/shared/datasets/README.md).

The tiny fixtures are hand-written in each format, so these tests run anywhere; the counts on
the real files run only where the datasets are (they are not ours to ship).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memvault.core.errors import InvalidInputError
from memvault.evaluation.datasets import Dataset, load, locomo_turn_text

FIXTURES = Path(__file__).parent / "fixtures"
BEIR = FIXTURES / "beir-tiny"
LOCOMO = FIXTURES / "locomo-tiny.json"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def by_name(dataset: Dataset) -> dict[str, dict[str, frozenset[str]]]:
    """collection -> query text -> relevant ids"""
    return {c.name: {q.text: q.relevant for q in c.queries} for c in dataset.collections}


# --- BEIR -------------------------------------------------------------------------------------
def test_beir_documents_join_title_and_text_and_skip_empty_ones() -> None:
    dataset = load(BEIR)
    assert (dataset.name, dataset.format) == ("beir-tiny", "beir")
    (collection,) = dataset.collections
    docs = {doc.id: doc.content for doc in collection.documents}
    assert list(docs) == ["d1", "d2", "3", "d4", "d5", "d7"]  # d6 is blank; 3 was a number
    assert docs["d2"] == (
        "Vitamin D Vitamin D supplements do not prevent bone fractures in healthy adults."
    )
    assert docs["3"] == "Regular exercise improves sleep quality in people with insomnia."


def test_beir_queries_come_from_the_split_with_relevant_documents_only() -> None:
    queries = {q.id: q.relevant for q in load(BEIR).collections[0].queries}
    # 4 has no qrel; 5's only qrels have score 0 or name a missing document; 6 is in train.
    # 3 also names d6, which is blank and so not in the corpus.
    assert queries == {
        "1": frozenset({"d1", "d5"}),
        "2": frozenset({"3"}),
        "3": frozenset({"d4"}),
    }
    train = load(BEIR, split="train").collections[0].queries
    assert [(q.id, q.relevant) for q in train] == [("6", frozenset({"d2"}))]


def test_beir_qrels_with_crlf_and_without_header(tmp_path: Path) -> None:
    root = tmp_path / "mini"
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text('{"_id": "a", "title": "T", "text": "x"}\n')
    (root / "queries.jsonl").write_text('{"_id": "q", "text": "x?"}\n')
    (root / "qrels" / "test.tsv").write_bytes(b"q\ta\t2\r\n\r\n")
    (query,) = load(root).collections[0].queries
    assert query.relevant == frozenset({"a"})


def test_beir_unknown_split_names_the_ones_there() -> None:
    with pytest.raises(InvalidInputError, match=r"split 'dev'.*test, train"):
        load(BEIR, split="dev")


def test_limit_keeps_the_first_queries() -> None:
    assert [q.id for q in load(BEIR).limited(2).collections[0].queries] == ["1", "2"]
    limited = load(LOCOMO).limited(5)
    assert [len(c.queries) for c in limited.collections] == [4, 1]
    assert [len(c.queries) for c in load(LOCOMO).limited(3).collections] == [3]
    assert load(LOCOMO).limited(None).query_count == 6


# --- LoCoMo -----------------------------------------------------------------------------------
def test_locomo_turns_in_session_order_with_photo_captions() -> None:
    dataset = load(LOCOMO)
    assert (dataset.name, dataset.format) == ("locomo-tiny", "locomo")
    conv = dataset.collections[0]
    assert conv.name == "conv-a"
    # session_10 comes after session_2, not after session_1
    assert [d.id for d in conv.documents] == ["D1:1", "D1:2", "D1:3", "D2:1", "D2:2", "D10:1"]
    docs = {d.id: d.content for d in conv.documents}
    assert docs["D1:1"] == "Ana: I adopted a puppy called Biscuit last week."
    assert docs["D1:3"] == "Ana: Look at this. [shares a photo of a photo of a dog on a beach]"
    # a caption without img_url still describes the photo
    assert docs["D2:2"] == "Ana: Biscuit loves swimming. [shares a photo of a photo of a wet dog]"


def test_locomo_evidence_quirks() -> None:
    queries = by_name(load(LOCOMO))
    assert queries["conv-a"] == {
        "What is the name of Ana's puppy?": frozenset({"D1:1"}),
        # "D1:2; D2:1" is two ids in one string
        "Where does Ben's violin teacher live, and when did he start?": frozenset({"D1:2", "D2:1"}),
        # "D9:99" and "D" are not turns of this conversation: dropped
        "Where did Ben play his first concert?": frozenset({"D10:1"}),
        "What did Ana's dog do at the beach?": frozenset({"D1:3", "D2:2"}),
        # skipped: category 5, no evidence, and evidence that names no turn ("D:11:26")
    }
    assert len(queries["conv-b"]) == 2


def test_locomo_ids_are_unique_per_conversation() -> None:
    ids = [q.id for c in load(LOCOMO).collections for q in c.queries]
    assert len(ids) == len(set(ids)) == 6
    assert ids[0] == "conv-a/q0"


def test_turn_text_without_caption() -> None:
    assert locomo_turn_text({"speaker": "Ana", "text": "hi", "blip_caption": ""}) == "Ana: hi"


# --- bad paths --------------------------------------------------------------------------------
def test_bad_paths_raise_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no dataset at"):
        load(tmp_path / "missing")
    with pytest.raises(InvalidInputError, match="neither a BEIR folder"):
        load(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InvalidInputError, match="not a readable JSON file"):
        load(tmp_path / "notes.txt")
    (tmp_path / "other.json").write_text(json.dumps({"a": 1}))
    with pytest.raises(InvalidInputError, match="not a LoCoMo file"):
        load(tmp_path / "other.json")
    (tmp_path / "bad" / "qrels").mkdir(parents=True)
    (tmp_path / "bad" / "corpus.jsonl").write_text("{not json\n")
    (tmp_path / "bad" / "qrels" / "test.tsv").write_text("")
    with pytest.raises(InvalidInputError, match="line 1 is not JSON"):
        load(tmp_path / "bad")
    with pytest.raises(InvalidInputError) as caught:
        load(tmp_path / "missing")
    assert "\n" not in str(caught.value)


# --- the real files, where present ------------------------------------------------------------
@pytest.mark.skipif(not (SHARED / "locomo").is_dir(), reason="LoCoMo not available here")
def test_real_locomo_counts() -> None:
    dataset = load(SHARED / "locomo" / "locomo-dev5.json")
    assert [c.name for c in dataset.collections] == [
        "conv-26",
        "conv-30",
        "conv-41",
        "conv-42",
        "conv-43",
    ]
    assert dataset.document_count == 2760
    assert dataset.query_count == 760
    # counted independently of this loader (a plain script over the JSON)
    assert [len(c.queries) for c in dataset.collections] == [150, 81, 152, 199, 178]
    assert [len(c.documents) for c in dataset.collections] == [419, 369, 663, 629, 680]
    by_conv = by_name(dataset)
    assert any(r == frozenset({"D8:6", "D9:17"}) for r in by_conv["conv-26"].values())


@pytest.mark.skipif(not (SHARED / "scifact").is_dir(), reason="SciFact not available here")
def test_real_scifact_counts() -> None:
    test = load(SHARED / "scifact")
    assert (test.document_count, test.query_count) == (5183, 300)
    assert sum(len(q.relevant) for q in test.collections[0].queries) == 339
    assert load(SHARED / "scifact", split="train").query_count == 809

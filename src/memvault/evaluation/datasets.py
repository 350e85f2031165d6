"""Public retrieval benchmarks, read into one shape: collections of documents and queries.

Two formats are understood, picked by what ``load`` finds at the path:

* a BEIR folder (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``): one collection,
  documents are ``title + " " + text`` as BEIR's dense models see them, queries are those with
  at least one relevant document in the split;
* a LoCoMo JSON file: every conversation is its own collection (a question is only ever asked
  of its own conversation), documents are its dialog turns and queries are the QA items of
  categories 1-4 with their evidence turns as the relevant documents.

The data is licensed non-commercial, so it is read from where the user keeps it and never
shipped; nothing here downloads anything. Every format problem becomes one
``InvalidInputError`` line, because the CLI shows it to a person as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from memvault.core.errors import InvalidInputError
from memvault.core.times import format_timestamp

# Categories 1-4: multi-hop, temporal, open-domain, single-hop. Category 5 is adversarial:
# its questions have no true answer, so there is nothing to retrieve.
LOCOMO_CATEGORIES = frozenset({1, 2, 3, 4})
# Evidence strings are sometimes lists in one string ("D8:6; D9:17").
_EVIDENCE_SEPARATORS = re.compile(r"[;,\s]+")
_SESSION_KEY = re.compile(r"session_(\d+)")


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    content: str
    # Set for the turns of a conversation: which of its sessions the turn was said in, and
    # who said it (the first speaker is the "user"). Such documents are stored as the
    # messages of one memvault session per conversation session, in order, as an agent
    # logging the conversation would store them.
    thread: str | None = None
    speaker: str | None = None
    said_at: str | None = None  # when the session began (LoCoMo gives its date and time)


@dataclass(frozen=True, slots=True)
class Query:
    id: str
    text: str
    relevant: frozenset[str]  # ids of the documents that answer it, never empty


@dataclass(frozen=True, slots=True)
class Collection:
    """Documents indexed together and the queries that search only them."""

    name: str
    documents: tuple[Document, ...]
    queries: tuple[Query, ...]


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    format: str  # "beir" or "locomo"
    collections: tuple[Collection, ...]

    @property
    def query_count(self) -> int:
        return sum(len(c.queries) for c in self.collections)

    @property
    def document_count(self) -> int:
        return sum(len(c.documents) for c in self.collections)

    def limited(self, limit: int | None) -> Dataset:
        """Only the first ``limit`` queries; collections left without a query are dropped."""
        if limit is None:
            return self
        kept: list[Collection] = []
        left = limit
        for collection in self.collections:
            if left <= 0:
                break
            queries = collection.queries[:left]
            left -= len(queries)
            if queries:
                kept.append(Collection(collection.name, collection.documents, queries))
        return Dataset(self.name, self.format, tuple(kept))


def load(path: str | Path, *, split: str = "test") -> Dataset:
    """Read a BEIR folder or a LoCoMo JSON file; ``split`` picks the BEIR qrels file."""
    path = Path(path).expanduser()
    if path.is_dir() and (path / "corpus.jsonl").is_file():
        return load_beir(path, split=split)
    if path.is_file():
        return load_locomo(path)
    if not path.exists():
        raise InvalidInputError(f"no dataset at {path}")
    raise InvalidInputError(
        f"{path} is neither a BEIR folder (corpus.jsonl, queries.jsonl, qrels/) "
        "nor a LoCoMo JSON file"
    )


# --- BEIR -------------------------------------------------------------------------------------
def load_beir(root: Path, *, split: str = "test") -> Dataset:
    qrels_path = root / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        found = sorted(p.stem for p in (root / "qrels").glob("*.tsv"))
        have = ", ".join(found) if found else "none"
        raise InvalidInputError(f"no qrels for split {split!r} in {root} (splits: {have})")
    documents: list[Document] = []
    for row in _jsonl(root / "corpus.jsonl"):
        # BEIR joins title and text with one space for every dense model; strip() keeps a
        # document with no title from starting with a space.
        content = f"{row.get('title') or ''} {row.get('text') or ''}".strip()
        if content:  # an empty document can be neither stored nor found
            documents.append(Document(_id(row, root / "corpus.jsonl"), content))
    known = {doc.id for doc in documents}
    relevant = _qrels(qrels_path, known)
    queries: list[Query] = []
    for row in _jsonl(root / "queries.jsonl"):
        query_id = _id(row, root / "queries.jsonl")
        text = str(row.get("text") or "").strip()
        if query_id in relevant and text:
            queries.append(Query(query_id, text, frozenset(relevant[query_id])))
    if not queries:
        raise InvalidInputError(f"{qrels_path} has no query with a relevant document in corpus")
    collection = Collection(root.name, tuple(documents), tuple(queries))
    return Dataset(root.name, "beir", (collection,))


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{path} line {number} is not JSON: {exc.msg}") from exc
        if not isinstance(row, dict):
            raise InvalidInputError(f"{path} line {number} is not a JSON object")
        yield row


def _id(row: dict[str, Any], path: Path) -> str:
    value = row.get("_id")
    if value is None or str(value).strip() == "":
        raise InvalidInputError(f"{path} has a row without an _id")
    return str(value).strip()  # some BEIR exports write ids as numbers


def _qrels(path: Path, known: set[str]) -> dict[str, set[str]]:
    """query id -> relevant document ids; scores <= 0 and unknown documents are dropped."""
    try:
        lines = path.read_text("utf-8").splitlines()  # also drops CRLF's \r
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}") from exc
    relevant: dict[str, set[str]] = {}
    for number, line in enumerate(lines, start=1):
        fields = line.strip().split("\t")
        if not fields[0] or (number == 1 and fields[0] == "query-id"):
            continue
        if len(fields) != 3:
            raise InvalidInputError(f"{path} line {number}: expected query-id, corpus-id, score")
        query_id, doc_id, score = (field.strip() for field in fields)
        try:
            graded = float(score)
        except ValueError:
            raise InvalidInputError(f"{path} line {number}: score {score!r} is no number") from None
        if graded > 0 and doc_id in known:
            relevant.setdefault(query_id, set()).add(doc_id)
    return relevant


# --- LoCoMo -----------------------------------------------------------------------------------
def load_locomo(path: Path) -> Dataset:
    try:
        samples = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"{path} is not a readable JSON file: {exc}") from exc
    if not isinstance(samples, list) or not all(
        isinstance(s, dict) and isinstance(s.get("conversation"), dict) for s in samples
    ):
        raise InvalidInputError(
            f"{path} is not a LoCoMo file (a JSON list of samples with a conversation and qa)"
        )
    collections = tuple(
        _conversation(sample, f"conv-{index}") for index, sample in enumerate(samples)
    )
    if not any(c.queries for c in collections):
        raise InvalidInputError(f"{path} has no question of categories 1-4 with evidence")
    return Dataset(path.stem, "locomo", collections)


def locomo_turn_text(turn: dict[str, Any]) -> str:
    """``Speaker: text``, plus the caption of a shared photo (many answers are in photos)."""
    content = f"{turn.get('speaker', '')}: {turn.get('text', '')}".strip()
    # Some turns carry a caption without an img_url: the caption is what tells of the photo.
    caption = str(turn.get("blip_caption") or "").strip()
    if caption:
        content += f" [shares a photo of {caption}]"
    return content


def _session_time(value: object) -> str | None:
    """LoCoMo's "1:56 pm on 8 May, 2023" as a timestamp; None when absent or unreadable."""
    try:
        return format_timestamp(datetime.strptime(str(value).strip(), "%I:%M %p on %d %B, %Y"))
    except ValueError:
        return None


def _conversation(sample: dict[str, Any], fallback: str) -> Collection:
    name = str(sample.get("sample_id") or fallback)
    conversation: dict[str, Any] = sample["conversation"]
    sessions = sorted(
        (int(match.group(1)), value)
        for key, value in conversation.items()
        if (match := _SESSION_KEY.fullmatch(key)) and isinstance(value, list)
    )
    documents: list[Document] = []
    for number, turns in sessions:
        said_at = _session_time(conversation.get(f"session_{number}_date_time"))
        for turn in turns:
            if isinstance(turn, dict) and turn.get("dia_id"):
                turn_id = str(turn["dia_id"]).strip()
                documents.append(
                    Document(
                        turn_id,
                        locomo_turn_text(turn),
                        thread=f"session_{number}",
                        speaker=str(turn.get("speaker") or ""),
                        said_at=said_at,
                    )
                )
    known = {doc.id for doc in documents}
    queries: list[Query] = []
    for index, item in enumerate(sample.get("qa") or []):
        if not isinstance(item, dict) or item.get("category") not in LOCOMO_CATEGORIES:
            continue
        question = str(item.get("question") or "").strip()
        evidence = {
            part
            for raw in item.get("evidence") or []
            for part in _EVIDENCE_SEPARATORS.split(str(raw))
            if part in known  # drops "", "D" and "D:11:26": ids the conversation lacks
        }
        if question and evidence:
            queries.append(Query(f"{name}/q{index}", question, frozenset(evidence)))
    return Collection(name, tuple(documents), tuple(queries))

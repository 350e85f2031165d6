"""A team's own gold set: queries a person wrote, and a person's judgement of what they find.

The field report's judge lost his inputs and gave up; so here nothing a person says is ever
held only in memory. The queries are a readable YAML file in the home (``gold/queries.yaml``,
edited by hand or with ``memvault gold add``); every judgement is one JSON line appended to
``gold/judgments.jsonl`` and fsynced before the next result is shown. An undo is a line too
(the file is never rewritten), so the file is the whole history and a rerun rebuilds the
state from it: what was answered is never asked again, what was undone is asked again.

Candidates are pooled from several search modes so the judge sees each result once, whichever
configuration found it; that pool is what later scores every configuration fairly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from memvault.content.markdown.paths import atomic_write
from memvault.core.errors import InvalidInputError
from memvault.core.home import database_path, folder_path
from memvault.core.records import SearchMode
from memvault.core.times import now_iso

if TYPE_CHECKING:  # for annotations only: start-up stays light
    from memvault.service.vault import Vault

POOL_MODES = (SearchMode.KEYWORD, SearchMode.VECTOR, SearchMode.HYBRID)
POOL_DEPTH = 10


class Verdict(StrEnum):
    RELEVANT = "relevant"
    NOT_RELEVANT = "not_relevant"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One result to judge: a gold query and a memory some configuration found for it."""

    query: str
    memory_id: str
    content: str
    found_by: tuple[str, ...]  # the modes that returned it


@dataclass(frozen=True, slots=True)
class Answer:
    query: str
    memory_id: str
    verdict: Verdict


def gold_folder(home_or_db: Path) -> Path:
    """``HOME/gold``, or ``FILE.db.gold`` beside a DB-only database."""
    if folder_path(home_or_db) is None:
        db = database_path(home_or_db)
        return db.with_name(f"{db.name}.gold")
    return Path(home_or_db) / "gold"


class GoldSet:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.queries_file = folder / "queries.yaml"
        self.judgments_file = folder / "judgments.jsonl"

    # --- queries ---------------------------------------------------------------------------
    def queries(self) -> list[str]:
        if not self.queries_file.exists():
            return []
        try:
            data = yaml.safe_load(self.queries_file.read_text("utf-8")) or {}
        except yaml.YAMLError as exc:
            raise InvalidInputError(f"{self.queries_file} is not valid YAML: {exc}") from exc
        items = data.get("queries", []) if isinstance(data, dict) else None
        if not isinstance(items, list) or not all(isinstance(q, str) for q in items):
            raise InvalidInputError(f"{self.queries_file}: `queries` must be a list of strings")
        return [q for q in items if q.strip()]

    def add(self, texts: Iterable[str]) -> list[str]:
        """Add queries (stripped, not yet there); returns the ones added."""
        present = self.queries()
        added = []
        for text in texts:
            query = " ".join(text.split())
            if not query:
                raise InvalidInputError("a gold query cannot be empty")
            if query not in present and query not in added:
                added.append(query)
        if added:
            self.folder.mkdir(parents=True, exist_ok=True)
            body = yaml.safe_dump(
                {"queries": [*present, *added]}, allow_unicode=True, sort_keys=False
            )
            header = "# Gold queries: one per item. Judge them with `memvault judge`.\n"
            atomic_write(self.queries_file, header + body, fsync=True)
        return added

    # --- judgements ------------------------------------------------------------------------
    def answers(self) -> dict[tuple[str, str], Verdict]:
        """The standing verdict of every judged (query, memory id), undos applied."""
        standing: dict[tuple[str, str], Verdict] = {}
        for line in self._lines():
            key = (str(line["query"]), str(line["id"]))
            if line.get("undo"):
                standing.pop(key, None)
            else:
                standing[key] = Verdict(str(line["verdict"]))
        return standing

    def last_answer(self) -> Answer | None:
        """The answer an undo takes back: the latest one still standing."""
        history: list[Answer] = []
        for line in self._lines():
            key = (str(line["query"]), str(line["id"]))
            if line.get("undo"):
                history = [a for a in history if (a.query, a.memory_id) != key]
            else:
                history.append(Answer(key[0], key[1], Verdict(str(line["verdict"]))))
        return history[-1] if history else None

    def record(self, candidate: Candidate, verdict: Verdict) -> None:
        self._append({"query": candidate.query, "id": candidate.memory_id, "verdict": verdict})

    def undo(self, answer: Answer) -> None:
        self._append({"query": answer.query, "id": answer.memory_id, "undo": True})

    def relevant(self) -> dict[str, set[str]]:
        """Per judged query, the memory ids judged relevant (what ``eval --gold`` scores)."""
        out: dict[str, set[str]] = {}
        for (query, memory_id), verdict in self.answers().items():
            if verdict is Verdict.RELEVANT:
                out.setdefault(query, set()).add(memory_id)
        return out

    def _append(self, data: dict[str, object]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps({**data, "at": now_iso()}, ensure_ascii=False) + "\n"
        with self.judgments_file.open("a", encoding="utf-8") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())  # an answer shown as taken survives a crash or a kill

    def _lines(self) -> Iterator[dict[str, object]]:
        if not self.judgments_file.exists():
            return
        with self.judgments_file.open(encoding="utf-8") as lines:
            for number, text in enumerate(lines, start=1):
                if not text.strip():
                    continue
                try:
                    data = json.loads(text)
                except ValueError:
                    if text.endswith("\n"):
                        raise InvalidInputError(
                            f"{self.judgments_file} line {number} is not JSON"
                        ) from None
                    continue  # a line cut short by a crash mid-write: never acknowledged
                yield data


def pool(vault: Vault, queries: Sequence[str], depth: int = POOL_DEPTH) -> list[Candidate]:
    """The union of every pooled mode's top ``depth`` for each query, best rank first."""
    candidates: list[Candidate] = []
    for query in queries:
        found: dict[str, tuple[int, str, list[str]]] = {}
        for mode in POOL_MODES:
            try:
                hits = vault.search(query, k=depth, mode=mode)
            except InvalidInputError:
                continue  # e.g. vector search in a vault without vectors
            for rank, hit in enumerate(hits):
                best, content, modes = found.get(hit.memory.id, (rank, hit.memory.content, []))
                found[hit.memory.id] = (min(best, rank), content, [*modes, mode.value])
        ordered = sorted(found.items(), key=lambda item: (item[1][0], item[0]))
        candidates += [
            Candidate(query, memory_id, content, tuple(modes))
            for memory_id, (_, content, modes) in ordered
        ]
    return candidates


def pending(
    candidates: Sequence[Candidate], answers: dict[tuple[str, str], Verdict]
) -> list[Candidate]:
    return [c for c in candidates if (c.query, c.memory_id) not in answers]

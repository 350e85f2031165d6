"""Import: every source record becomes a memory once, linked, resumable, with a report.

Per batch: look up the records' import links; a record never seen (or whose memory is gone)
is remembered with the source's own times, a record whose hash changed updates its memory, the
rest is left alone (``force`` re-applies everything). Links are written after the memories, so
a kill between the two is healed by the next run (the same content is found by dedup and
linked). After each batch the run's checkpoint is saved: a killed import resumes after the last
finished batch. Vectors that came with the source are kept when they are the vault's model and
width (``carry_model``), otherwise the memories are queued for embedding like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from memvault.core import inputs
from memvault.core.errors import MemvaultError
from memvault.core.ids import owner_id
from memvault.core.import_records import ImportLink, ImportRun
from memvault.importers.records import (
    Source,
    SourceBatch,
    SourceEdge,
    SourceFailure,
    SourceRecord,
    draft_of,
    duplicates_of,
    record_hash,
)

if TYPE_CHECKING:
    from memvault.importers.verify import VerifyReport
    from memvault.service.import_port import VectorTarget
    from memvault.service.vault import Vault

ImportProgress = Callable[[int, int], None]  # records done, records in the source
SAMPLE = 3


@dataclass(slots=True)
class ImportReport:
    source: str
    total: int = 0  # records the source holds
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[SourceFailure] = field(default_factory=list)
    vectors_carried: int = 0
    edges: int = 0
    resumed: bool = False
    # What the runs this one resumed had done (their counts are not this run's).
    already_done: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    sample: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # ids on several lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "total": self.total,
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "failures": [{"id": f.source_id, "reason": f.reason} for f in self.failures[:100]],
            "vectors_carried": self.vectors_carried,
            "edges": self.edges,
            "duplicates": self.duplicates[:100],
            "resumed": self.resumed,
            **({"already_done": self.already_done} if self.resumed else {}),
            "dry_run": self.dry_run,
            **({"sample": self.sample} if self.dry_run else {}),
        }


class Importer:
    """Imports sources into one vault (``namespace``: all records into this one instead of the
    source's; ``carry_model``: the model the source's vectors come from, kept if it is the
    vault's)."""

    def __init__(
        self, vault: Vault, *, namespace: str | None = None, carry_model: str | None = None
    ) -> None:
        self._vault = vault
        self._port = vault.import_port()
        self._namespace = None if namespace is None else inputs.namespace(namespace)
        self._carry_model = carry_model

    def run(
        self,
        source: Source,
        *,
        batch_size: int = 500,
        force: bool = False,
        dry_run: bool = False,
        progress: ImportProgress | None = None,
    ) -> ImportReport:
        report = ImportReport(source.name, total=source.count(), dry_run=dry_run)
        report.duplicates = duplicates_of(source)
        previous = self._port.run(source.name)
        resume = None
        if previous is not None and previous.state != "done" and not force and not dry_run:
            # A run that was killed, failed or is still marked running goes on after its
            # checkpoint; what it did is reported apart from what this run does.
            resume, report.resumed = previous.checkpoint, True
            report.already_done = _counts(previous)
        edges: list[SourceEdge] = []
        done = sum(report.already_done.values())
        owner, checkpoint = owner_id(), resume
        try:
            for batch in source.batches(batch_size=batch_size, resume=resume):
                self._apply(batch, report, force=force, dry_run=dry_run)
                edges.extend(batch.edges)
                done += len(batch.records) + len(batch.failures)
                checkpoint = batch.checkpoint
                if not dry_run:
                    self._save(report, "running", checkpoint, owner)
                if progress is not None:
                    progress(done, report.total)
            if not dry_run:
                if report.resumed and getattr(source, "has_edges", False):
                    # Batches before the checkpoint were skipped: their relations are read again.
                    edges = [e for b in source.batches(batch_size=batch_size) for e in b.edges]
                report.edges = self._relate(source.name, edges)
                self._save(report, "done", None, owner)
                self._port.written()
        except BaseException as exc:
            if not dry_run:  # the next run resumes after the last batch that finished
                self._save(report, "failed", checkpoint, owner, _reason(exc))
            raise
        return report

    # --- one batch ----------------------------------------------------------------------------
    def _apply(
        self, batch: SourceBatch, report: ImportReport, *, force: bool, dry_run: bool
    ) -> None:
        report.failed += len(batch.failures)
        report.failures.extend(batch.failures)
        records = list(batch.records)
        links = self._port.links(report.source, [r.source_id for r in records])
        alive = self._port.existing([link.memory_id for link in links.values()])
        new: list[SourceRecord] = []
        changed: list[tuple[SourceRecord, str]] = []
        for record in records:
            link = links.get(record.source_id)
            if link is None or link.memory_id not in alive:
                new.append(record)
            elif force or link.record_hash != record_hash(record):
                changed.append((record, link.memory_id))
            else:
                report.unchanged += 1
        if dry_run:
            report.imported += len(new)
            report.updated += len(changed)
            report.sample.extend(
                {"id": r.source_id, **asdict(draft_of(r, self._namespace))}
                for r in records[: max(0, SAMPLE - len(report.sample))]
            )
            return
        written: list[ImportLink] = []
        written += self._insert(new, report)
        written += self._update(changed, report)
        self._carry(records, written, report)
        self._port.save_links(written)

    def _insert(self, records: list[SourceRecord], report: ImportReport) -> list[ImportLink]:
        if not records:
            return []
        drafts = [draft_of(r, self._namespace) for r in records]
        try:
            outcomes = self._vault.remember_many(drafts)
        except MemvaultError:
            outcomes = None  # one bad record fails the whole batch: go one by one to find it
        links = []
        for i, record in enumerate(records):
            if outcomes is not None:
                memory_id = outcomes[i].id
            else:
                try:
                    memory_id = self._vault.remember_many([drafts[i]])[0].id
                except MemvaultError as exc:
                    report.failed += 1
                    report.failures.append(SourceFailure(record.source_id, str(exc)))
                    continue
            report.imported += 1
            links.append(self._link(report.source, record, memory_id))
        return links

    def _update(
        self, changed: list[tuple[SourceRecord, str]], report: ImportReport
    ) -> list[ImportLink]:
        links = []
        for record, memory_id in changed:
            draft = draft_of(record, self._namespace)
            try:
                self._vault.update(
                    memory_id,
                    content=draft.content,
                    kind=draft.kind,
                    tags=draft.tags,
                    importance=draft.importance,
                    confidence=draft.confidence,
                    metadata=draft.metadata,
                )
            except MemvaultError as exc:
                report.failed += 1
                report.failures.append(SourceFailure(record.source_id, str(exc)))
                continue
            report.updated += 1
            links.append(self._link(report.source, record, memory_id))
        return links

    def _link(self, source: str, record: SourceRecord, memory_id: str) -> ImportLink:
        vector = "embedded" if self._port.embedding else "none"
        return ImportLink(source, record.source_id, memory_id, record_hash(record), vector)

    # --- vectors that came with the source ------------------------------------------------------
    def _carry(
        self, records: list[SourceRecord], links: list[ImportLink], report: ImportReport
    ) -> None:
        target = None if self._carry_model is None else self._port.vector_target()
        if target is None or target.model_id != self._carry_model:
            return  # no vectors here, or the source's come from another model: embed here
        by_id = {r.source_id: r for r in records}
        # Only vectors of the vault's width with finite values are carried: any other record
        # is embedded here like one without a vector (verify lists it as re-embedded).
        chosen = [
            (i, link) for i, link in enumerate(links) if _carriable(by_id[link.source_id], target)
        ]
        if not chosen:
            return
        matrix = np.stack(
            [np.asarray(by_id[link.source_id].vector, np.float32) for _, link in chosen]
        )
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = (matrix / np.where(norms == 0, 1, norms)).astype(np.float32)
        report.vectors_carried += self._port.carry_vectors(
            [link.memory_id for _, link in chosen], matrix
        )
        for i, link in chosen:
            links[i] = ImportLink(
                link.source, link.source_id, link.memory_id, link.record_hash, "carried"
            )

    # --- after the records ------------------------------------------------------------------------
    def _relate(self, source: str, edges: list[SourceEdge]) -> int:
        if not edges:
            return 0
        ids = {e.source_id for e in edges} | {e.target_id for e in edges}
        links = self._port.links(source, sorted(ids))
        made = 0
        for edge in edges:
            a, b = links.get(edge.source_id), links.get(edge.target_id)
            if a is None or b is None or a.memory_id == b.memory_id:
                continue
            try:
                self._vault.relate(a.memory_id, b.memory_id, edge.relation)
            except MemvaultError:
                continue  # a relation name memvault cannot store; the records are in
            made += 1
        return made

    def _save(
        self,
        report: ImportReport,
        state: str,
        checkpoint: str | None,
        owner: str,
        error: str | None = None,
    ) -> None:
        """The run as a whole: this run's counts on top of those of the runs it resumed."""
        before = report.already_done
        self._port.save_run(
            ImportRun(
                report.source,
                state,
                checkpoint,
                before.get("imported", 0) + report.imported,
                before.get("updated", 0) + report.updated,
                before.get("unchanged", 0) + report.unchanged,
                before.get("failed", 0) + report.failed,
                owner,
                error,
            )
        )

    def verify(self, source: Source, *, sample: int = 100) -> VerifyReport:
        """Verify ``source`` against the vault; its summary is kept (the last per source), so
        the web page's operations show when each import was last verified and what it found."""
        from memvault.importers.verify import verify

        report = verify(self._vault, source, namespace=self._namespace, sample=sample)
        self._port.save_verify(report.summary())
        return report

    def status(self, source: Source) -> dict[str, Any]:
        """Source records vs imported ones, and the last run's state."""
        total = source.count()
        imported = self._port.link_count(source.name)
        run = self._port.run(source.name)
        return {
            "source": source.name,
            "source_records": total,
            "imported": imported,
            "pending": max(0, total - imported),
            "last_run": None if run is None else run.state,
            "checkpoint": None if run is None else run.checkpoint,
            "last_run_counts": None if run is None else _counts(run),
            "error": None if run is None else run.error,
        }


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    return str(exc) if isinstance(exc, MemvaultError) else f"{type(exc).__name__}: {exc}"


def _counts(run: ImportRun) -> dict[str, int]:
    return {
        "imported": run.imported,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "failed": run.failed,
    }


def _carriable(record: SourceRecord, target: VectorTarget) -> bool:
    if record.vector is None:
        return False
    vector = np.asarray(record.vector, dtype=np.float32)
    return vector.shape == (target.dimensions,) and bool(np.isfinite(vector).all())

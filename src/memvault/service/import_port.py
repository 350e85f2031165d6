"""The narrow port importers, verify and export use beyond the public :class:`Vault` API.

Moving a store in or out needs a few things an agent never does: the ledger of which source
record became which memory, vectors carried over as they are, every memory with its relations
in id order, and an exact restore that keeps ids and times. They are here, on one small class
the vault hands out (``vault.import_port()``), so the importers never hold the store itself and
the rules of a write (dedup, files, embed jobs) stay with the vault.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from memvault.content.markdown.memory_file import memory_path
from memvault.content.markdown.paths import atomic_write, note_path
from memvault.content.markdown.session_file import session_path
from memvault.core.errors import InvalidInputError
from memvault.core.file_records import FOLDER_ROOT, FileKind
from memvault.core.ids import owner_gone
from memvault.core.import_records import ImportLink, ImportRun, ImportRunEntry, VerifySummary
from memvault.core.records import DEFAULT_NAMESPACE, Memory, MemoryFilter, MemoryRecord
from memvault.core.session_records import Session, SessionRecord
from memvault.core.vector_records import VectorStorage
from memvault.folder.markdown_folder import MarkdownFolder
from memvault.service.embeddings import Embeddings
from memvault.storage.roles import Store

if TYPE_CHECKING:
    from memvault.storage.roles import Matrix

_PAGE = 1000
VERIFY_KEY = "import.verify."  # + the source's name: its last verify's summary, as JSON


@dataclass(frozen=True, slots=True)
class VectorTarget:
    """The model and width a vault's vectors have (or will have): what carried vectors must
    match, and how they are stored."""

    model_id: str
    dimensions: int
    storage: VectorStorage


class ImportPort:
    def __init__(self, store: Store, embeddings: Embeddings, folder: MarkdownFolder | None) -> None:
        self._store = store
        self._embeddings = embeddings
        self._folder = folder

    # --- the ledger ---------------------------------------------------------------------------
    def links(self, source: str, source_ids: Sequence[str]) -> dict[str, ImportLink]:
        return self._store.import_links(source, source_ids)

    def save_links(self, links: Sequence[ImportLink]) -> None:
        """Write the links, and in a vault the files of their memories (``imported_from``), so
        a rebuild from the folder brings them back: under the same pending marks as any memory
        write, so a crash in between is finished by the next process."""
        if self._folder is None or not links:
            self._store.put_import_links(links)
            return
        targets: dict[str, str | None] = {link.memory_id: None for link in links}
        with self._folder.memory_files.changing(targets):
            self._store.put_import_links(links)

    def link_count(self, source: str) -> int:
        return self._store.import_link_count(source)

    def run(self, source: str) -> ImportRun | None:
        """The source's last run; one still ``running`` whose process is gone (killed, or
        from before runs had owners) is ``interrupted``."""
        run = self._store.import_run(source)
        return None if run is None else _as_seen(run)

    def runs(self, limit: int = 100) -> list[ImportRunEntry]:
        """Every source's last run, the latest first (``interrupted`` as :meth:`run` says)."""
        return [replace(e, run=_as_seen(e.run)) for e in self._store.import_runs(limit)]

    def save_run(self, run: ImportRun) -> None:
        self._store.save_import_run(run)

    def save_verify(self, summary: VerifySummary) -> None:
        """Keep what this verify of a source found (the last one per source), for the page."""
        self._store.set_setting(VERIFY_KEY + summary.source, json.dumps(summary.to_dict()))

    def last_verify(self, source: str) -> VerifySummary | None:
        raw = self._store.get_setting(VERIFY_KEY + source)
        if raw is None:
            return None
        try:
            return VerifySummary.from_dict(json.loads(raw))
        except (ValueError, TypeError):
            return None  # written by another version: as if never verified

    def existing(self, ids: Sequence[str]) -> dict[str, Memory]:
        """The memories among ``ids`` that still exist (a linked one may have been forgotten)."""
        return self._store.memories_by_id(ids)

    # --- vectors ------------------------------------------------------------------------------
    @property
    def embedding(self) -> bool:
        """Whether the vault embeds (new memories get vectors here unless carried)."""
        return self._embeddings.enabled

    def vector_target(self) -> VectorTarget | None:
        """None with vectors off; else the stored vectors' model and width, or, before the
        first vector, the embedder's (which this loads)."""
        if not self._embeddings.enabled:
            return None
        config = self._store.vector_config()
        if config is not None:
            return VectorTarget(config.model_id, config.dimensions, config.storage)
        embedder = self._embeddings.embedder()
        return VectorTarget(embedder.model_id, embedder.dimensions, self._embeddings.storage)

    def stored_vectors(self) -> VectorTarget | None:
        """The model, width and storage of the vectors stored so far (None before the first):
        what a copy's target must match to take them."""
        config = self._store.vector_config()
        if config is None:
            return None
        return VectorTarget(config.model_id, config.dimensions, config.storage)

    def setting(self, key: str) -> str | None:
        return self._store.get_setting(key)

    def set_setting(self, key: str, value: str) -> None:
        self._store.set_setting(key, value)

    def carry_vectors(self, memory_ids: Sequence[str], matrix: Matrix) -> int:
        """Store vectors a source brought, as the vault's own (see :meth:`vector_target`)."""
        target = self.vector_target()
        if target is None:
            return 0
        return self._store.carry_vectors(
            memory_ids, model_id=target.model_id, storage=target.storage, matrix=matrix
        )

    def vectors_of(self, memory_ids: Sequence[str]) -> dict[str, Matrix]:
        return self._store.vectors_of(memory_ids)

    def written(self) -> None:
        """New embed jobs were queued: wake the worker."""
        self._embeddings.written()

    # --- export and restore -------------------------------------------------------------------
    def own_memories(self) -> Iterator[MemoryRecord]:
        """Every memory of its own (not chunks of files), by id, with relations and
        validations: the order of an export, so two exports of one vault are equal."""
        everything = MemoryFilter(include_superseded=True, include_chunks=False)
        ids: list[str] = []
        offset = 0
        while page := self._store.list_memories(everything, limit=_PAGE, offset=offset):
            ids.extend(m.id for m in page)
            offset += len(page)
        ids.sort()
        for start in range(0, len(ids), _PAGE):
            chunk = ids[start : start + _PAGE]
            records = self._store.memory_records(chunk)
            yield from (records[i] for i in chunk if i in records)

    def memory_file_path(self, memory: Memory) -> str:
        """Where the memory's file is in the folder (or would be, in a DB-only vault)."""
        state = self._store.file_of_memory(memory.id)
        return state.path if state is not None else memory_path(memory.id, memory.namespace)

    def notes(self) -> Iterator[tuple[str, str]]:
        """(path, text) of every note in the folder, by path; none in a DB-only vault."""
        if self._folder is None:
            return
        for record in self._store.list_files(FileKind.NOTE, root=FOLDER_ROOT, limit=1_000_000):
            try:
                yield record.state.path, (self._folder.root / record.state.path).read_text("utf-8")
            except OSError:
                continue  # gone since the last sync

    def sessions(self) -> Iterator[SessionRecord]:
        """Every session with its conversations, messages and handoffs, by id."""
        ids: list[str] = []
        while page := self._store.list_sessions(limit=_PAGE, offset=len(ids)):
            ids.extend(s.id for s in page)
        for session_id in sorted(ids):
            record = self._store.session_record(session_id)
            if record is not None:
                yield record

    def session_file_path(self, session: Session) -> str:
        """Where the session's file is in the folder (or would be, in a DB-only vault)."""
        return session_path(session)

    def restore_relations(self, records: Sequence[MemoryRecord]) -> None:
        """The relations, validations and supersessions of restored memories again, once every
        memory is in: restored in batches, a memory may point at one of a later batch, which
        :meth:`restore` had to leave out."""
        self._store.put_relations(records, embed=self._embeddings.enabled)
        if self._folder is not None:
            self._folder.memory_files.render([r.memory.id for r in records])

    def restore(
        self,
        records: Sequence[MemoryRecord],
        notes: Sequence[tuple[str, str]],
        sessions: Sequence[SessionRecord] = (),
    ) -> None:
        """Put exported memories (same ids, times, relations, validations), notes and sessions
        back."""
        if notes and self._folder is None:
            raise InvalidInputError("this export has notes: restore it into a home with a vault")
        errors = self._store.restore_memories(records, embed=self._embeddings.enabled)
        if errors:
            first = next(iter(errors.items()))
            raise InvalidInputError(
                f"{len(errors)} memories could not be restored: {first[0]}: {first[1]}"
            )
        embed = self._embeddings.enabled
        for session in sessions:
            namespace = session.session.project or DEFAULT_NAMESPACE
            if self._folder is None:
                self._store.put_session_record(session, namespace=namespace, embed=embed)
                continue
            with self._folder.session_files.changing(session.session):
                self._store.put_session_record(session, namespace=namespace, embed=embed)
        if self._folder is not None:
            self._folder.memory_files.render([r.memory.id for r in records])
            written = []
            for relative, text in notes:
                absolute, rel = note_path(self._folder.root, relative)
                atomic_write(absolute, text.encode("utf-8"))
                written.append(rel)
            self._folder.sync(written)
        self._embeddings.written()


def _as_seen(run: ImportRun) -> ImportRun:
    """A run still ``running`` whose process is gone (killed, or from before runs had owners)
    reads as ``interrupted``."""
    if run.state == "running" and (run.owner is None or owner_gone(run.owner)):
        return replace(run, state="interrupted")
    return run

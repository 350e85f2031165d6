"""The vault: memvault's public API and the rules that sit above storage.

This is the service layer. It validates input, assigns ids and times, applies the rules that are
product decisions (dedup by content, the confidence rule, what supersede means, what search
returns by default) and delegates persistence to a :class:`~memvault.storage.roles.Store`. The
CLI, the MCP server and the importers are thin around it; anything two of them need belongs here.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from memvault.content.entities import (
    KINDS_SETTING,
    entity_keys,
    kinds_from_setting,
    setting_of_kinds,
)
from memvault.core import inputs
from memvault.core.entity_records import EntityKind
from memvault.core.errors import InvalidInputError, NotFoundError
from memvault.core.file_records import IndexRun
from memvault.core.import_records import ImportRunEntry, VerifySummary
from memvault.core.inputs import memory_filter, new_memory
from memvault.core.records import (
    DEFAULT_KIND,
    DEFAULT_NAMESPACE,
    InsertOutcome,
    ListOrder,
    Memory,
    MemoryDraft,
    MemoryPatch,
    SearchHit,
    SearchMode,
    StoreStats,
)
from memvault.core.times import now_iso
from memvault.folder.markdown_folder import MarkdownFolder, ReindexReport
from memvault.folder.notes import Notes
from memvault.folder.sync import SyncReport
from memvault.indexing.roots import IndexRoots
from memvault.service.context_pack import ContextPacker
from memvault.service.embeddings import Embeddings
from memvault.service.fusion import NO_BOOSTS, Boosts, FusionSettings
from memvault.service.import_port import ImportPort
from memvault.service.pack_records import ContextPack
from memvault.service.preferences import Preferences
from memvault.service.search import Searcher
from memvault.service.sessions import Sessions
from memvault.service.vault_backups import VaultBackups
from memvault.service.vault_entities import VaultEntities
from memvault.service.vault_graph import VaultGraph
from memvault.service.vault_operations import VaultOperations
from memvault.service.vector_jobs import VectorJobs
from memvault.storage.roles import Store

if TYPE_CHECKING:  # loaded by the methods that use them: opening a vault stays light
    from memvault.folder.watcher import FolderWatcher
    from memvault.indexing.indexer import IndexProgress, IndexReport

FOLDER_SETTING = "vault"  # "off": this home is DB-only (``memvault init --no-vault``)


class Vault(VaultGraph, VaultEntities, VectorJobs, VaultBackups, VaultOperations):
    """One memory store. Open it with :func:`memvault.open`; close it (or use ``with``)."""

    def __init__(
        self,
        store: Store,
        *,
        embeddings: Embeddings | None = None,
        folder: Path | None = None,
    ) -> None:
        self._store = store
        # Read once: every write of this open vault runs the same extractors.
        store.use_entity_kinds(kinds_from_setting(store.get_setting(KINDS_SETTING)))
        self._embeddings = embeddings or Embeddings(store, store)
        self._searcher = Searcher(store, store, self._embeddings)
        self._folder = (
            None
            if folder is None
            else MarkdownFolder(
                store, folder, embed=self._embeddings.enabled, written=self._embeddings.written
            )
        )
        self.sessions = Sessions(store, self._embeddings, self._searcher, self._folder)
        self._packer = ContextPacker(store, self._searcher)
        self.preferences = Preferences(self)
        self._index_roots: IndexRoots | None = None  # None: index_path reads any path

    @property
    def fusion(self) -> FusionSettings:
        """How hybrid search fuses and re-ranks (``service/fusion.py``). Set it to compare
        settings (evaluation, tuning, the gold-set gate): it lasts while this vault is open."""
        return self._searcher.fusion

    @fusion.setter
    def fusion(self, settings: FusionSettings) -> None:
        self._searcher.fusion = settings

    def set_entity_kinds(self, kinds: frozenset[EntityKind]) -> None:
        """Which extractors run on the writes from now on (setting ``entities.kinds``; every
        kind by default, none turns extraction off). Memories written before keep theirs."""
        self._store.set_setting(KINDS_SETTING, setting_of_kinds(kinds))
        self._store.use_entity_kinds(kinds)

    def entity_kinds(self) -> frozenset[EntityKind]:
        return kinds_from_setting(self._store.get_setting(KINDS_SETTING))

    @property
    def location(self) -> str:
        """Where the index lives (a database file), for messages."""
        return self._store.location

    def index_files(self) -> builtins.list[Path]:
        """The files this vault's index occupies on this machine (none for a server engine):
        the index is disposable, so deleting them after :meth:`close` and reindexing the
        folder rebuilds it."""
        return self._store.local_files()

    @property
    def folder(self) -> Path | None:
        """The Markdown folder; None in DB-only mode."""
        return None if self._folder is None else self._folder.root

    @property
    def notes(self) -> Notes:
        return self._markdown_folder().notes

    def use_db_only(self) -> None:
        """From now on this home opens without its Markdown folder (``init --no-vault``)."""
        self._store.set_setting(FOLDER_SETTING, "off")

    def import_port(self) -> ImportPort:
        """What importers, verify and export need beyond this API (see :mod:`.import_port`)."""
        return ImportPort(self._store, self._embeddings, self._folder)

    def import_runs(self, limit: int = 100) -> builtins.list[ImportRunEntry]:
        """Every imported source's last run, the latest first (``memvault import``)."""
        return self.import_port().runs(limit)

    def last_verify(self, source: str) -> VerifySummary | None:
        """What the last ``memvault verify`` (or ``import --verify``) of ``source`` found."""
        return self.import_port().last_verify(source)

    def _markdown_folder(self) -> MarkdownFolder:
        if self._folder is None:
            raise InvalidInputError(
                "this vault has no Markdown folder (DB-only mode): open it by its home folder"
            )
        return self._folder

    def _changing(
        self, targets: dict[str, str | None], *, new: bool = False
    ) -> AbstractContextManager[None]:
        """Around a change of these memories: their files follow it (nothing in DB-only mode).

        A chunk of a note or an indexed file belongs to that file: changing it here would be
        undone (or duplicated) by the next sync, so it is refused. ``new`` memories (ids just
        drawn, namespaces known) need no lookup at all: this is the path of every remember.
        """
        if self._folder is None and new:
            return nullcontext()
        for memory in [] if new else self._store.memories_by_id(list(targets)).values():
            if memory.location is not None:
                raise InvalidInputError(
                    f"{memory.id} is a chunk of {memory.location.path}: change the file "
                    "instead (memvault note edit, or edit it and run memvault index again)"
                )
            if memory.session_id is not None:
                raise InvalidInputError(
                    f"{memory.id} is a message of session {memory.session_id}: messages are "
                    "kept as they were said (delete the session to remove them)"
                )
        if self._folder is None:
            return nullcontext()
        return self._folder.memory_files.changing(targets, new=new)

    # --- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        try:
            self._embeddings.close()
        finally:
            self._store.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- memories -------------------------------------------------------------------------
    def remember(
        self,
        content: str,
        *,
        kind: str = DEFAULT_KIND,
        namespace: str = DEFAULT_NAMESPACE,
        tags: Iterable[str] = (),
        importance: float = 0.5,
        confidence: float = 0.5,
        source: str | None = None,
        metadata: dict[str, Any] | None = None,
        supersedes: str | None = None,
    ) -> InsertOutcome:
        """Store a memory; the same content in the same namespace returns the existing id.

        ``supersedes`` names a memory this one replaces: it stays readable as history and
        leaves default search (see :meth:`supersede`).
        """
        draft = MemoryDraft(
            content=content,
            kind=kind,
            namespace=namespace,
            tags=tuple(tags),
            importance=importance,
            confidence=confidence,
            source=source,
            metadata=metadata or {},
        )
        if supersedes is not None:
            supersedes = inputs.memory_id(supersedes)
            self.get(supersedes, touch=False)  # an unknown id fails before anything is written
        outcome = self.remember_many([draft])[0]
        if supersedes is not None:
            self.supersede(supersedes, outcome.id)
        return outcome

    def remember_many(self, drafts: Sequence[MemoryDraft]) -> list[InsertOutcome]:
        """Store many memories in one transaction (all or none)."""
        at = now_iso()
        memories = [new_memory(draft, at) for draft in drafts]
        with self._changing({m.id: m.namespace for m in memories}, new=True):
            outcomes = self._store.insert_memories(memories, embed=self._embeddings.enabled)
        if any(outcome.created for outcome in outcomes):
            self._embeddings.written()
        return outcomes

    def get(self, memory_id: str, *, touch: bool = True) -> Memory:
        """The memory with this id; by default the read is counted as an access."""
        memory_id = inputs.memory_id(memory_id)
        memory = self._store.get_memory(memory_id, touch_at=now_iso() if touch else None)
        if memory is None:
            raise NotFoundError(f"no memory with id {memory_id}")
        return memory

    def update(
        self,
        memory_id: str,
        *,
        content: str | None = None,
        kind: str | None = None,
        tags: Iterable[str] | None = None,
        importance: float | None = None,
        confidence: float | None = None,
        source: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Memory:
        """Change fields in place (no history kept; use :meth:`revise` to keep the old text)."""
        patch = MemoryPatch(
            content=None if content is None else inputs.content(content),
            kind=None if kind is None else inputs.name(kind, "kind"),
            tags=None if tags is None else inputs.tags(tags),
            importance=None
            if importance is None
            else inputs.unit_interval(importance, "importance"),
            confidence=None
            if confidence is None
            else inputs.unit_interval(confidence, "confidence"),
            source=inputs.source(source),
            metadata=None if metadata is None else inputs.metadata(metadata),
        )
        if patch.is_empty():
            raise InvalidInputError("nothing to update: give at least one field")
        memory_id = inputs.memory_id(memory_id)
        with self._changing({memory_id: None}):
            updated = self._store.update_memory(
                memory_id, patch, now_iso(), embed=self._embeddings.enabled
            )
        if patch.content is not None:
            self._embeddings.written()
        return updated

    def forget(self, memory_id: str) -> None:
        """Delete a memory with its tags, edges and validation history."""
        memory_id = inputs.memory_id(memory_id)
        # Memories with an edge to this one list it in their files: they are rewritten too.
        targets = dict.fromkeys([memory_id, *self._store.edge_sources(memory_id)])
        with self._changing(targets):
            deleted = self._store.delete_memory(memory_id)
        if not deleted:
            raise NotFoundError(f"no memory with id {memory_id}")

    def list(
        self,
        *,
        namespace: str | None = None,
        kinds: Iterable[str] = (),
        tags: Iterable[str] = (),
        since: str | None = None,
        until: str | None = None,
        include_superseded: bool = False,
        include_chunks: bool = False,
        limit: int = 50,
        offset: int = 0,
        order: ListOrder | str = ListOrder.RECENT,
        entities: Iterable[str] = (),
    ) -> builtins.list[Memory]:
        """Memories, newest first or in another ``order`` (recent, importance, confidence,
        access); with ``include_chunks`` also the chunks of notes and indexed files (search
        always looks at those); with ``entities`` only those that mention every one (any
        spelling: ``parse_config`` finds ``parseConfig``)."""
        where = memory_filter(
            namespace, kinds, tags, since, until, include_superseded, include_chunks=include_chunks
        )
        where = replace(where, entities=entity_keys(entities))
        inputs.positive(limit, "limit", 10_000)
        inputs.count(offset, "offset")
        return self._store.list_memories(
            where, limit=limit, offset=offset, order=inputs.list_order(order)
        )

    def supersede(self, old_id: str, new_id: str) -> None:
        """Mark ``old_id`` as replaced by ``new_id``: it stays readable, out of default search."""
        old_id, new_id = inputs.memory_id(old_id), inputs.memory_id(new_id)
        with self._changing({old_id: None, new_id: None}):
            self._store.supersede(old_id, new_id, now_iso())

    def revise(self, old_id: str, content: str) -> InsertOutcome:
        """Remember corrected ``content`` for ``old_id`` and supersede the old memory with it;
        kind, namespace, tags, importance and source are the old memory's."""
        old = self.get(old_id, touch=False)
        return self.remember(
            content,
            kind=old.kind,
            namespace=old.namespace,
            tags=old.tags,
            importance=old.importance,
            source=old.source,
            supersedes=old.id,
        )

    # --- search ---------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        k: int = 10,
        namespace: str | None = None,
        kinds: Iterable[str] = (),
        tags: Iterable[str] = (),
        since: str | None = None,
        until: str | None = None,
        include_superseded: bool = False,
        mode: SearchMode | str = SearchMode.HYBRID,
        boosts: Boosts = NO_BOOSTS,
        min_score: float | None = None,
        fusion: FusionSettings | None = None,
        entities: Iterable[str] = (),
    ) -> builtins.list[SearchHit]:
        """Best matches first. Any string is a valid query; one with no words finds nothing.

        ``mode`` is hybrid (keyword and vector, fused: the default), keyword or vector. Each hit's
        ``signals`` holds every signal's own rank and score, and its ``relevance`` (0-1, the same
        scale for every query; under 0.5 the hit is ``weak``) says whether it is about the query
        at all: ``min_score`` leaves out hits below it. ``fusion`` replaces the hybrid mode's
        weights for this search only (``memvault eval --gold --fusion``). ``entities`` keeps to
        memories that mention every one of them (any spelling; docs/entities.md).
        """
        inputs.positive(k, "k", inputs.MAX_SEARCH_K)
        if min_score is not None:
            inputs.unit_interval(min_score, "min_score")
        where = memory_filter(namespace, kinds, tags, since, until, include_superseded)
        where = replace(where, entities=entity_keys(entities))
        text = inputs.utf8_text(query, "query")
        return self._searcher.search(
            text,
            where,
            k=k,
            mode=inputs.search_mode(mode),
            boosts=boosts,
            min_relevance=min_score,
            fusion=fusion,
        )

    # --- the context pack -----------------------------------------------------------------
    def context(
        self,
        *,
        project: str | None = None,
        query: str | None = None,
        budget: int = 2_000,
        user: str | None = None,
        session_id: str | None = None,
        include_running: bool = False,
    ) -> ContextPack:
        """What an agent needs at the start of a session, ranked and cut to ``budget`` tokens
        (see :mod:`memvault.service.context_pack`)."""
        return self._packer.pack(
            project=project,
            query=query,
            budget=budget,
            user=user,
            session_id=session_id,
            include_running=include_running,
        )

    # --- the Markdown folder and indexed files ----------------------------------------------
    def reindex(self, *, full: bool = True) -> ReindexReport:
        """Rebuild the index from the Markdown folder (``full`` re-reads every file)."""
        return self._markdown_folder().reindex(full=full)

    def sync(self, paths: Iterable[str] | None = None) -> SyncReport:
        """Index what changed in the folder (or in just these folder-relative paths)."""
        return self._markdown_folder().sync(paths)

    def watcher(self, on_sync: Callable[[SyncReport], None] | None = None) -> FolderWatcher:
        """A watcher that syncs outside edits of the folder once started (and embeds what they
        bring, in the background); ``on_sync`` hears every sync."""
        from memvault.folder.watcher import FolderWatcher  # watchdog: only a watching process

        def synced(report: SyncReport) -> None:
            if on_sync is not None:
                on_sync(report)
            self._embeddings.written()

        return FolderWatcher(self._markdown_folder(), on_sync=synced)

    def index_path(
        self,
        path: str | Path,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        progress: IndexProgress | None = None,
        move: bool = False,
    ) -> IndexReport:
        """Index a file or folder (Markdown, code, PDF, text): only changed files are read.
        Files indexed under another namespace need ``move``; see also :meth:`limit_indexing`."""
        folder = inputs.local_path(path, "path")  # the index roots are checked by the Indexer
        if self.folder is not None and folder.resolve().is_relative_to(self.folder.resolve()):
            raise InvalidInputError(
                f"{path} is inside the vault, which is indexed already (use memvault reindex)"
            )
        from memvault.indexing.indexer import Indexer  # the chunkers: tree-sitter, pathspec, …

        own = self.index_files()  # the database is never content
        if self.folder is not None:
            own.append(self.folder)
        report = Indexer(self._store, embed=self._embeddings.enabled).run(
            folder,
            namespace=inputs.namespace(namespace),
            progress=progress,
            exclude=own,
            roots=self._index_roots,
            move=move,
        )
        if report.chunks_added:
            self._embeddings.written()
        return report

    def limit_indexing(self, roots: IndexRoots) -> None:
        """From now on :meth:`index_path` reads only inside ``roots`` (none: it is refused).
        A server calls this once, before its clients arrive."""
        self._index_roots = roots

    def index_runs(self, limit: int = 10) -> builtins.list[IndexRun]:
        from memvault.indexing.indexer import index_runs

        return index_runs(self._store, limit)

    # --- operations -----------------------------------------------------------------------
    def stats(self) -> StoreStats:
        return self._store.stats()

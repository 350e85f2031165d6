"""``memvault demo``: the main job in one command, on the embedded default.

It builds a small vault of the kind an agent keeps (decisions, lessons, code facts, preferences),
runs searches that a plain word index gets wrong, shows the Markdown files the memories live in,
indexes memvault's own docs and source and finds answers by file and line, then deletes the
database and rebuilds it from the Markdown folder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

import memvault
from memvault.cli.output import relevance
from memvault.content.markdown.session_file import session_path
from memvault.core.records import MemoryDraft
from memvault.core.session_records import MessageDraft
from memvault.core.vector_records import JobCounts
from memvault.service.sessions import CostDraft, HandoffDraft
from memvault.service.vault import Vault

DEMO_MEMORIES = [
    MemoryDraft(
        "We chose SQLite in WAL mode over MariaDB: one file per tenant, backup is a copy.",
        kind="decision",
        tags=("storage", "architecture"),
        importance=0.9,
    ),
    MemoryDraft(
        "parse_config() in src/app/parse_config.py reads TOML and env overrides.",
        kind="fact",
        tags=("code",),
    ),
    MemoryDraft(
        "The frontend calls parseConfig() from web/src/config.ts before rendering.",
        kind="fact",
        tags=("code", "frontend"),
    ),
    MemoryDraft(
        "Release v2.3.1 fixed the FTS tokenizer so snake_case names are found by parts.",
        kind="event",
        tags=("release",),
    ),
    MemoryDraft(
        "Never run VACUUM on a database with an open connection; it blocked writers.",
        kind="lesson",
        tags=("sqlite", "ops"),
        importance=0.8,
    ),
    MemoryDraft(
        "Rodolfo prefers decisions as lettered options (A/B/C) with a recommendation.",
        kind="preference",
        tags=("people",),
    ),
    MemoryDraft(
        "MariaDB and SQLite collate differently: ORDER BY name reordered results.",
        kind="lesson",
        tags=("migration",),
    ),
    MemoryDraft(
        "ChromaDB's HNSW index was corrupted by two concurrent writers (exit 139).",
        kind="event",
        tags=("migration", "incident"),
    ),
    MemoryDraft(
        "Use the get-user-profile endpoint for the café owners' dashboard.",
        kind="fact",
        tags=("api",),
    ),
    MemoryDraft(
        "Embedding jobs are queued so writes return at once; vectors come later.",
        kind="decision",
        tags=("architecture",),
    ),
]

# (query, why, mode): code-aware words first (keyword mode shows them alone), then meaning.
DEMO_QUERIES = [
    ("parseConfig", "camelCase query finds snake_case code too", "keyword"),
    ("config", "a part of an identifier finds both spellings", "keyword"),
    ("src/app/parse_config.py", "a path is found as a whole", "keyword"),
    ("v2.3.1", "a version string", "keyword"),
    ("get_user_profile", "kebab-case stored, snake_case asked", "keyword"),
    ("cafe", "diacritics fold", "keyword"),
    ("collation ordering", "stemming: collate/ordering", "keyword"),
    ('corrupted" NEAR( AND *', "hostile FTS syntax is just words", "keyword"),
    ("which database sorted names in a different order", "meaning, few shared words", "hybrid"),
    ("vector store broke when two processes wrote at once", "meaning: the Chroma crash", "hybrid"),
    ("recipe for banana bread", "nothing about it here: every hit weak", "hybrid"),
]


def run_demo(home: Path | None = None, console: Console | None = None) -> None:
    out = console or Console(highlight=False)
    folder = home or Path(tempfile.mkdtemp(prefix="memvault-demo-"))
    out.print(f"[bold]memvault demo[/bold] — vault at {folder}")
    with memvault.open(folder, background=False) as vault:
        outcomes = vault.remember_many(DEMO_MEMORIES)
        again = vault.remember(DEMO_MEMORIES[0].content)
        out.print(
            f"remembered {sum(o.created for o in outcomes)} memories; remembering the first "
            f"again returned the same id: {again.id == outcomes[0].id}"
        )
        vault.relate(outcomes[7].id, outcomes[0].id, "derived_from")
        vault.validate(outcomes[4].id, "confirm", actor="demo")
        correction = vault.revise(
            outcomes[9].id,
            "Embedding jobs are queued in the same SQLite file and survive restarts.",
        )
        out.print(f"revised a decision: {outcomes[9].id} is now history, {correction.id} current")
        counts = vault.wait_for_jobs()
        config = vault.vector_config()
        out.print(
            f"embedded {counts.done} memories with {config.model_id if config else 'nothing'} "
            "(the job queue, drained here so the demo can search by meaning)"
        )

        for query, why, mode in DEMO_QUERIES:
            hits = vault.search(query, k=3 if mode == "keyword" else 2, mode=mode)
            table = Table(title=f"{mode} search {query!r} — {why}", title_justify="left")
            table.add_column("relevance", justify="right")
            table.add_column("signals (rank)")
            table.add_column("kind")
            table.add_column("content")
            for hit in hits:
                signals = " ".join(f"{name}#{s.rank}" for name, s in hit.signals.items())
                table.add_row(relevance(hit), signals, hit.memory.kind, hit.memory.content)
            if not hits:
                table.add_row("", "", "(no matches)")
            out.print(table)
            if not any(hit.relevance is not None and not hit.weak for hit in hits):
                out.print(f"nothing relevant to {query!r}: the vault holds nothing about it")

        stats = vault.stats()
        out.print(
            f"stats: {stats.memories} memories ({stats.current} current, {stats.superseded} "
            f"superseded), {stats.edges} edges, {stats.validation_events} validation events, "
            f"{stats.db_bytes / 1024:.0f} KiB"
        )
        out.print(f"check: {'ok' if vault.check().ok else 'FAILED'}")
        _two_sessions(vault, out)
        _show_vault_files(vault, out)
        _index_project(vault, out)
        before = [h.memory.id for h in vault.search(REBUILD_QUERY, k=5, namespace="default")]
        index_files = vault.index_files()
    _rebuild(folder, index_files, before, out)


# Questions about memvault's own code and docs, answered by file and line.
PROJECT_QUERIES = [
    "write a file atomically with a temp file and a rename",
    "what happens when the process crashes between the database commit and the file write",
    "which gitignore rules apply when indexing a folder",
    "how were the hybrid fusion weights chosen",
]
REBUILD_QUERY = "database sorted names in a different order"


def _two_sessions(vault: Vault, out: Console) -> None:
    """An agent's session ends with a handoff; the next one starts from it."""
    first = vault.sessions.start(project="memvault", agent="claude", title="Tokenizer work")
    vault.sessions.log(
        first.id,
        [
            "Why does a search for parseConfig miss parse_config?",
            MessageDraft("FTS5 splits neither form; we index code-aware aliases.", "assistant"),
        ],
        costs=[CostDraft("claude-sonnet", 1_200, 300, 0.0081)],
    )
    vault.sessions.end(
        first.id,
        handoff=HandoffDraft(
            "Aliases for snake_case and camelCase are indexed",
            "dotted.names are not split yet",
            ("split dotted.names", "re-run make eval"),
            ("should versions like v2.3.1 stay whole?",),
        ),
    )
    out.print(
        f"\n[bold]Session 1[/bold] ({first.agent}, project {first.project}) logged 2 messages "
        f"and ended with a handoff: vault/{session_path(first)}"
    )
    second = vault.sessions.start(project="memvault", agent="claude")
    pack = vault.context(
        project="memvault", query="dotted names tokenizer", budget=600, session_id=second.id
    )
    out.print(
        f"[bold]Session 2[/bold] starts from the context pack ({pack.tokens} of {pack.budget} "
        "tokens, fenced as data):"
    )
    out.print(pack.to_text(), markup=False)


def _show_vault_files(vault: Vault, out: Console) -> None:
    assert vault.folder is not None
    note = vault.notes.write(
        "decisions/storage.md",
        "# Storage\n\nWe keep agent memory in one SQLite file; see [[Backups]].\n",
        tags=["architecture"],
    )
    vault.notes.write("Backups.md", "# Backups\n\nA backup of a tenant is one file copy.\n")
    memory_files = sorted((vault.folder / "memories").rglob("*.md"))
    out.print(
        f"\n[bold]The Markdown folder[/bold] at {vault.folder}: {len(memory_files)} memory "
        f"files and notes such as {note.path}; people edit them, `memvault watch` picks edits up."
    )
    newest = max(memory_files, key=lambda p: p.stat().st_mtime_ns)
    out.print(f"[dim]{newest.relative_to(vault.folder)}:[/dim]")
    out.print(newest.read_text("utf-8").rstrip(), markup=False)
    (link,), _ = vault.notes.links(note.path)
    out.print(f"[[{link.target}]] in {note.path} resolves to {link.resolved_path}", markup=False)


def _project_folders() -> list[Path]:
    """memvault's own docs and source: the checkout's when run from it, else the package."""
    here = Path.cwd()
    if (here / "docs").is_dir() and (here / "src" / "memvault").is_dir():
        return [here / "docs", here / "src" / "memvault"]
    return [Path(memvault.__file__).parent]


def _index_project(vault: Vault, out: Console) -> None:
    out.print("\n[bold]Indexing memvault's own docs and source[/bold]")
    for folder in _project_folders():
        report = vault.index_path(folder, namespace="project")
        out.print(
            f"{folder}: {report.files} files, {report.chunks_added} chunks "
            f"(Markdown by heading, code by definition), {len(report.skipped)} skipped"
        )
    with Progress(
        TextColumn("embedding chunks"),
        BarColumn(),
        MofNCompleteColumn(),
        console=out,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def advance(counts: JobCounts) -> None:
            bar.update(task, total=counts.total, completed=counts.done + counts.failed)

        vault.wait_for_jobs(progress=advance)
    for query in PROJECT_QUERIES:
        table = Table(title=f"hybrid search {query!r}", title_justify="left")
        table.add_column("relevance", justify="right")
        table.add_column("file:lines")
        table.add_column("section / definition")
        hits = vault.search(query, k=4, namespace="project")
        # This file holds the questions themselves: it would always answer them.
        located = [h for h in hits if h.memory.location and h.memory.location.path != __file__]
        for hit in located[:3]:
            where = hit.memory.location
            assert where is not None
            path = where.path.split("/src/")[-1] if "/src/" in where.path else where.path
            table.add_row(
                relevance(hit),
                f"{path}:{where.line_start}-{where.line_end}",
                where.heading or "",
            )
        out.print(table)


def _rebuild(folder: Path, index_files: list[Path], before: list[str], out: Console) -> None:
    for path in index_files:
        path.unlink(missing_ok=True)
    out.print("\n[bold]Deleted the database[/bold]; rebuilding it from the Markdown folder")
    with memvault.open(folder, background=False) as vault:
        report = vault.reindex()
        vault.wait_for_jobs()
        after = [h.memory.id for h in vault.search(REBUILD_QUERY, k=5, namespace="default")]
        out.print(
            f"reindex: {report.memories} memories, {report.notes} notes, "
            f"{len(vault.sessions.list())} sessions, "
            f"{report.edges + report.links} edges back; the same top 5 for "
            f"{REBUILD_QUERY!r}: {after == before}; check: "
            f"{'ok' if vault.check().ok else 'FAILED'}"
        )
        out.print(
            "[dim](indexed project files are not part of the vault: `memvault index` them "
            "again)[/dim]"
        )

"""``memvault demo``: the main job in one command, on the embedded default.

It builds a small vault of the kind an agent keeps (decisions, lessons, code facts, preferences),
then runs searches that a plain word index gets wrong, and shows what memvault finds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

import memvault
from memvault.models import MemoryDraft

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
            table.add_column("score", justify="right")
            table.add_column("signals (rank)")
            table.add_column("kind")
            table.add_column("content")
            for hit in hits:
                signals = " ".join(f"{name}#{s.rank}" for name, s in hit.signals.items())
                table.add_row(f"{hit.score:.2f}", signals, hit.memory.kind, hit.memory.content)
            if not hits:
                table.add_row("", "", "(no matches)")
            out.print(table)

        stats = vault.stats()
        out.print(
            f"stats: {stats.memories} memories ({stats.current} current, {stats.superseded} "
            f"superseded), {stats.edges} edges, {stats.validation_events} validation events, "
            f"{stats.db_bytes / 1024:.0f} KiB"
        )
        out.print(f"check: {'ok' if vault.check().ok else 'FAILED'}")

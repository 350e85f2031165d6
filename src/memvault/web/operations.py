"""``/operations``: the vault at a glance, for the person who keeps it running.

What it holds and what that takes on disk; the embedding queue, live; the runs of ``memvault
index`` and of imports, each import with what its last verify found; the result of ``check``;
backups. Everything is read from the :class:`Vault` when the page loads, so with JavaScript off
the page says all of it as of the load; ``static/operations.js`` polls ``/api/jobs`` (every
second while embeddings are pending, less often while idle, so work queued by another process
shows up) and moves the numbers and the bar in place.

A check is a read, and the vault it looks at may be damaged: it must not write. So the last
check's result is kept in this server's memory (with its time), not in the vault: a restart
forgets it, and ``Run check`` makes a new one. It is kept per vault (a hosted server's tenants
each see their own check, never another's).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from memvault.core.errors import MemvaultError
from memvault.core.records import CheckReport
from memvault.core.times import now_iso
from memvault.core.vector_records import JobCounts
from memvault.service.vault import Vault
from memvault.web.context import PageContext, redirect, wants_json

FAILURES_SHOWN = 20
INDEX_RUNS_SHOWN = 10
IMPORTS_SHOWN = 50


@dataclass(frozen=True, slots=True)
class CheckRun:
    """A check's report and when it ran."""

    report: CheckReport
    at: str


class LastCheck:
    """The latest check this server ran of each vault, by its location (threads of the pool
    share it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, CheckRun] = {}

    def get(self, vault: Vault) -> CheckRun | None:
        with self._lock:
            return self._runs.get(vault.location)

    def set(self, vault: Vault, run: CheckRun) -> None:
        with self._lock:
            self._runs[vault.location] = run


def routes(context: PageContext) -> list[BaseRoute]:
    last_check = LastCheck()

    def page(request: Request) -> Response:
        vault = context.vault
        return context.render(
            request,
            "operations.html",
            title="Operations · memvault",
            notice=_notice(request, last_check.get(vault)),
            contents=contents(vault),
            queue=queue_state(vault),
            embedder=vault.vector_settings(),
            index_runs=vault.index_runs(INDEX_RUNS_SHOWN),
            imports=[
                (e, vault.last_verify(e.run.source)) for e in vault.import_runs(IMPORTS_SHOWN)
            ],
            check=last_check.get(vault),
            backups=backups(vault),
            size=size_text,
        )

    def jobs_api(request: Request) -> Response:
        return JSONResponse(queue_state(context.vault))

    def retry_failed(request: Request, form: FormData) -> Response:
        queued = context.vault.retry_failed_jobs()
        if wants_json(request):
            return JSONResponse({"retried": queued, **queue_state(context.vault)})
        return redirect("/operations", done="retried", n=str(queued))  # 0 is said too

    def run_check(request: Request, form: FormData) -> Response:
        vault = context.vault
        run = CheckRun(vault.check(), now_iso())
        last_check.set(vault, run)
        if wants_json(request):
            return JSONResponse({"at": run.at, **run.report.to_dict()})
        return redirect("/operations", done="checked")

    return [
        Route("/operations", page, methods=["GET"]),
        Route("/api/jobs", jobs_api, methods=["GET"]),
        Route("/operations/retry-failed", context.action(retry_failed), methods=["POST"]),
        Route("/operations/check", context.action(run_check), methods=["POST"]),
    ]


def queue_state(vault: Vault) -> dict[str, Any]:
    """The embedding queue as ``/api/jobs`` answers it and the page first shows it: counts,
    progress (finished jobs, done or failed, of all: the CLI's rule), failures, the worker."""
    counts = vault.jobs()
    finished = counts.done + counts.failed
    return {
        "counts": counts.to_dict(),
        "finished": finished,
        "pending": counts.pending,
        "progress": finished / counts.total if counts.total else 1.0,
        "percent": percent(counts),
        "summary": queue_summary(counts),
        "worker_running": vault.worker_running(),
        "failures": [
            {
                "job_id": f.job_id,
                "memory_id": f.memory_id,
                "attempts": f.attempts,
                "error": f.error,
                "updated_at": f.updated_at,
            }
            for f in vault.job_failures(FAILURES_SHOWN)
        ],
    }


def percent(counts: JobCounts) -> int:
    """Whole percent finished, never rounded up to 100 while a job is pending."""
    if not counts.total:
        return 100
    share = int(100 * (counts.done + counts.failed) / counts.total)
    return min(share, 99) if counts.pending else share


def queue_summary(counts: JobCounts) -> str:
    """One sentence for the status line (the script shows the server's, so both say the same)."""
    failed = f"{counts.failed} failed" if counts.failed else ""
    if counts.pending:
        return f"Embedding: {counts.pending} of {counts.total} jobs to go" + (
            f", {failed}." if failed else "."
        )
    if failed:
        return f"Nothing is waiting to be embedded; {failed}."
    return "Every memory is embedded." if counts.total else "No embedding jobs yet."


def contents(vault: Vault) -> dict[str, Any]:
    """The counts, the database's size (a server engine's tables, no files of ours) and the
    Markdown folder's size on disk (none in a DB-only vault)."""
    stats = vault.stats()
    folder = vault.folder
    return {
        "stats": stats,
        "by_kind": sorted(stats.by_kind.items(), key=lambda kv: (-kv[1], kv[0])),
        "by_namespace": sorted(stats.by_namespace.items(), key=lambda kv: (-kv[1], kv[0])),
        "location": vault.location,
        "local": bool(vault.index_files()),
        "db_total": stats.db_bytes + stats.wal_bytes,
        "folder": None if folder is None else str(folder),
        "folder_bytes": None if folder is None else folder_bytes(folder),
    }


def folder_bytes(root: Path) -> int:
    """What the files under ``root`` take (symlinks not followed, unreadable entries skipped)."""
    return sum(size for size in _file_sizes(root))


def _file_sizes(root: Path) -> Iterator[int]:
    stack = [str(root)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    yield entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue


def backups(vault: Vault) -> dict[str, Any]:
    """The schedule and the last scheduled backup; a damaged schedule is said, not raised."""
    try:
        schedule, problem = vault.backup_schedule(), None
    except MemvaultError as exc:
        schedule, problem = None, str(exc)
    return {"schedule": schedule, "problem": problem, "last": vault.last_scheduled_backup()}


def size_text(count: int) -> str:
    """Bytes for people: 980 B, 1.5 KiB, 12.3 MiB, 2.0 GiB."""
    if count < 1024:
        return f"{count} B"
    units = ("KiB", "MiB", "GiB", "TiB")
    value, unit = count / 1024, 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    return f"{value:.1f} {units[unit]}"


def _notice(request: Request, check: CheckRun | None) -> str | None:
    """What a write's ``?done=`` says on the page it lands on (an unknown value says nothing)."""
    done = request.query_params.get("done")
    if done == "retried":
        count = request.query_params.get("n", "")
        if count == "0":
            return "There were no failed jobs to retry."
        if count.isdigit():
            return f"{count} failed job{'' if count == '1' else 's'} queued again."
    if done == "checked" and check is not None:
        failed = sum(not c.ok for c in check.report.checks)
        total = len(check.report.checks)
        if failed:
            return f"Check finished: {failed} of {total} checks found problems."
        return f"Check finished: all {total} checks passed."
    return None

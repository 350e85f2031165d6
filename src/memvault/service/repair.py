"""``check`` and ``repair`` of a whole vault: the store's checks, the model, the folder.

Repair only ever rebuilds what is derived, from what is the truth: the keyword index and the
vector index (and its snapshot) from the memories, embed jobs for memories without a vector,
leases of workers that are gone, and the index from the Markdown folder. Memory files that were
damaged are rendered again from the index (the damaged copy set aside), and a memory file gone
from disk is rendered again rather than its memory forgotten: so no memory, note or validation
is lost. What is not derived (a damaged page of the file, rows pointing at missing records, a
newer schema, vectors of another model) is named with what to do, and left alone.

It plans from the numbers of one check (``CheckResult.counts``), so ``--dry-run`` shows exactly
the steps a repair would take, and it checks again afterwards to show the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from memvault.core.errors import MemvaultError
from memvault.core.records import CheckReport, CheckResult
from memvault.core.repair_records import RepairAction, RepairReport
from memvault.folder.markdown_folder import MarkdownFolder
from memvault.service.embeddings import Embeddings
from memvault.storage.roles import Store

log = logging.getLogger("memvault.repair")


def check_vault(store: Store, embeddings: Embeddings, folder: MarkdownFolder | None) -> CheckReport:
    """Every check: the store's own, whether its vectors fit the embedder, and the folder."""
    checks = [*store.check().checks, _model_check(store, embeddings)]
    if folder is not None:
        checks.append(folder.check())
    return CheckReport(tuple(checks))


def _model_check(store: Store, embeddings: Embeddings) -> CheckResult:
    config = store.vector_config()
    if config is None or not embeddings.enabled:
        return CheckResult("vector_model", True, "no vectors yet" if config is None else "off")
    try:
        model = embeddings.embedder().model_id
    except MemvaultError as exc:
        return CheckResult("vector_model", False, f"the embedder cannot be loaded: {exc}")
    ok = model == config.model_id
    detail = f"{config.model_id} ({config.dimensions}-d)"
    if not ok:
        detail = f"vectors are of {detail}, the embedder is {model}: run memvault reembed"
    return CheckResult("vector_model", ok, detail, {"dimensions": config.dimensions})


# The folder check's findings a sync puts right (see MarkdownFolder.check).
_SYNCED = (
    "files_not_indexed",
    "files_changed_since_the_last_sync",
    "memories_without_a_file",
)


@dataclass(frozen=True, slots=True)
class _Step:
    action: RepairAction  # as planned (done False)
    run: Callable[[], int] | None  # None: named only, not something repair does


class _Plan:
    """The steps planned so far, and the check's findings they are planned from."""

    def __init__(self, checks: dict[str, CheckResult]) -> None:
        self.checks = checks
        self.steps: list[_Step] = []

    def failed(self, name: str) -> bool:
        return name in self.checks and not self.checks[name].ok

    def count(self, name: str, key: str) -> int:
        return self.checks[name].counts.get(key, 0) if name in self.checks else 0

    def add(self, check: str, action: str, count: int, run: Callable[[], int] | None) -> None:
        self.steps.append(_Step(RepairAction(check, action, count, False), run))


def _named_only(plan: _Plan) -> None:
    """What is not derived: named with what to do, never changed."""
    if plan.failed("sqlite_integrity") and not plan.failed("fts_integrity"):
        plan.add(
            "sqlite_integrity",
            "not repaired: the file itself is damaged; restore a backup (memvault restore)",
            plan.count("sqlite_integrity", "problems"),
            None,
        )
    if plan.failed("foreign_keys"):
        plan.add(
            "foreign_keys",
            "not repaired: rows point at missing records, which are not "
            "derived; restore a backup if they matter",
            plan.count("foreign_keys", "orphans"),
            None,
        )
    if plan.failed("schema_version"):
        plan.add(
            "schema_version", "not repaired: the file is of a newer memvault; upgrade it", 0, None
        )
    if plan.failed("vector_model"):
        plan.add("vector_model", "not repaired: run memvault reembed", 0, None)


class Repairer:
    def __init__(self, store: Store, embeddings: Embeddings, folder: MarkdownFolder | None) -> None:
        self._store = store
        self._embeddings = embeddings
        self._folder = folder

    def repair(self, *, dry_run: bool = False) -> RepairReport:
        before = check_vault(self._store, self._embeddings, self._folder)
        steps = self._plan({c.name: c for c in before.checks})
        if dry_run:
            return RepairReport(True, tuple(s.action for s in steps), before, None)
        done: list[RepairAction] = []
        for step in steps:
            planned = step.action
            count = planned.count if step.run is None else step.run()
            done.append(RepairAction(planned.check, planned.action, count, step.run is not None))
            if step.run is not None:
                log.warning("repair: %s: %s (%d)", planned.check, planned.action, count)
        self._embeddings.written()  # jobs queued above are embedded in the background
        after = check_vault(self._store, self._embeddings, self._folder)
        return RepairReport(False, tuple(done), before, after)

    def _plan(self, checks: dict[str, CheckResult]) -> list[_Step]:
        plan = _Plan(checks)
        _named_only(plan)
        store, embed = self._store, self._embeddings.enabled
        if plan.count("jobs", "stuck"):
            plan.add(
                "jobs",
                "release jobs whose worker is gone",
                plan.count("jobs", "stuck"),
                store.release_stuck_jobs,
            )
        if plan.failed("keyword_index") or plan.failed("fts_integrity"):
            found = plan.count("keyword_index", "missing") + plan.count("keyword_index", "stray")
            plan.add(
                "keyword_index",
                "rebuild the keyword index from every memory's text",
                found or plan.count("fts_integrity", "problems"),
                store.rebuild_keyword_index,
            )
        bad = sum(plan.count("vectors", k) for k in ("stray", "non_finite", "wrong_width"))
        if bad:
            plan.add(
                "vectors",
                "delete vectors of no memory, non-finite or of the wrong width"
                + (" and queue their memories" if embed else ""),
                bad,
                lambda: store.drop_bad_vectors(requeue=embed),
            )
        if plan.failed("vault") and self._folder is not None:
            plan.steps.extend(self._folder_steps(checks["vault"]))
        if lost := plan.count("vectors", "lost"):
            plan.add(
                "vectors",
                "queue embed jobs for memories whose vector was lost"
                if embed
                else "not repaired: vectors are off (embedder none)",
                lost,
                store.queue_lost_vectors if embed else None,
            )
        if embed and (unqueued := plan.count("vectors", "without_job")):
            plan.add(
                "vectors",
                "queue embed jobs for memories with no vector and no job",
                unqueued,
                store.enqueue_missing_embeddings,
            )
        if plan.count("vector_snapshot", "rebuild"):
            plan.add(
                "vector_snapshot",
                "rebuild the vector index and write its snapshot",
                plan.count("vector_snapshot", "vectors"),
                store.rebuild_vector_snapshot,
            )
        return plan.steps

    def _folder_steps(self, vault: CheckResult) -> list[_Step]:
        folder = self._folder
        assert folder is not None
        counts = vault.counts
        steps: list[_Step] = []
        if counts.get("writes_left_unfinished"):
            steps.append(
                _Step(
                    RepairAction(
                        "vault",
                        "finish writes a stopped process left",
                        counts["writes_left_unfinished"],
                        False,
                    ),
                    folder.recover,
                )
            )
        damaged = counts.get("memory_files_damaged", 0) + counts.get(
            "indexed_files_gone_from_disk", 0
        )
        if damaged:
            steps.append(
                _Step(
                    RepairAction(
                        "vault",
                        "render damaged or missing memory files again from the index (damaged "
                        "copies set aside in .repair-<time>/)",
                        damaged,
                        False,
                    ),
                    lambda: _restore_memory_files(folder),
                )
            )
        steps.append(
            _Step(
                RepairAction(
                    "vault",
                    "sync the index with the folder (changed, new and removed notes; memories "
                    "without a file written)",
                    sum(counts.get(k, 0) for k in _SYNCED),
                    False,
                ),
                lambda: _sync(folder),
            )
        )
        return steps


def _restore_memory_files(folder: MarkdownFolder) -> int:
    paths = sorted(folder.damaged_memory_files()) + folder.memory_files_gone()
    folder.restore_memory_files(paths)
    return len(paths)


def _sync(folder: MarkdownFolder) -> int:
    report = folder.reindex(full=False)
    return report.sync.changed + report.adopted

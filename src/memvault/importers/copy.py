"""``memvault copy SRC DST``: one vault's whole content into another store, verified record by
record. Moving between engines (a SQLite file and PostgreSQL, either way) is this.

It is the export and exact restore of :mod:`.export`, streamed: the source's memories in id
order, a batch at a time, each batch restored in one transaction of the target (same ids, times,
tags, metadata, validations), then the relations and supersessions once every memory is in (a
memory may point at one of a later batch), then notes and sessions. Vectors come along when the
target stores the same model at the same width (a copy must not make anyone re-embed a million
memories); otherwise the target's own embedder makes them from its queue.

A copy that stopped (a killed process, a lost connection) is run again and goes on: a batch
whose memories, and carried vectors, are in the target already is not written again. The target
must be empty or an earlier copy of the same source, so a typo never merges two vaults.

The proof is the export itself: every source record's export line must equal the target's (the
same lines ``memvault export`` writes, which leave out access counts), every carried vector the
same direction, every note and session equal. What differs is reported, by id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from memvault.core.errors import InvalidInputError
from memvault.core.records import MemoryRecord
from memvault.importers.export import memory_line, session_line

if TYPE_CHECKING:
    from memvault.service.import_port import ImportPort
    from memvault.service.vault import Vault

BATCH = 500
COPY_SETTING = "copied_from"  # in the target: the source it is a copy of (resume, refusal)
# What a batch written by a stopped copy may differ in and still be done: access counts (never
# copied), and superseded_by, which the relations pass sets once the superseding memory is in.
_VOLATILE = {"access_count": 0, "accessed_at": None, "superseded_by": None}
SAME_DIRECTION = 0.999  # cosine of a carried vector and its original (int8/bit re-encode)
Progress = Callable[[str, int, int], None]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CopyReport:
    source: str
    target: str
    memories: int
    skipped: int  # batches found in the target already (a resumed copy)
    vectors: int  # carried over (0 when the target embeds with another model)
    notes: int
    sessions: int
    queued: int  # memories the target embeds itself
    differences: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "memories": self.memories,
            "skipped": self.skipped,
            "vectors": self.vectors,
            "notes": self.notes,
            "sessions": self.sessions,
            "queued": self.queued,
            "ok": self.ok,
            "differences": list(self.differences),
        }


def copy_vault(source: Vault, target: Vault, *, progress: Progress | None = None) -> CopyReport:
    """Copy everything of ``source`` into ``target`` and verify it; see the module docstring."""
    report = progress or (lambda _what, _done, _total: None)
    src, dst = source.import_port(), target.import_port()
    counts = source.stats()
    if target.folder is None and counts.notes:
        raise InvalidInputError(
            f"{source.location} has notes, and {target.location} has no Markdown folder for "
            "them: copy into a home (--to-home HOME with a store URL)"
        )
    _claim(source, target, dst)
    carry = _same_vectors(src, dst)
    total = counts.memories
    memories = skipped = vectors = queued = 0
    relations: list[MemoryRecord] = []
    for batch in _batches(src.own_memories(), BATCH):
        ids = [r.memory.id for r in batch]
        brought = src.vectors_of(ids) if carry else {}
        if _already_there(dst, batch, brought):
            skipped += len(batch)
        else:
            dst.restore(batch, ())
            if brought:
                vectors += _carry(dst, brought)
            queued += len(batch) - len(brought) if dst.embedding else 0
        relations += [r for r in batch if _points_elsewhere(r)]
        memories += len(batch)
        report("memories", memories, max(total, memories))
    for batch in _batches(iter(relations), BATCH):
        dst.restore_relations(batch)
    notes = list(src.notes())
    sessions = list(src.sessions())
    if notes or sessions:
        dst.restore((), notes, sessions)
    differences = verify_copy(src, dst, carried=carry, progress=report)
    return CopyReport(
        source.location,
        target.location,
        memories,
        skipped,
        vectors,
        len(notes),
        len(sessions),
        queued,
        tuple(differences),
    )


def verify_copy(
    src: ImportPort, dst: ImportPort, *, carried: bool, progress: Progress | None = None
) -> list[str]:
    """What differs between the two vaults, by id: export lines, carried vectors, notes,
    sessions. Empty: the target holds exactly what the source does. Both sides are read in id
    order, a batch at a time, so a vault of any size is verified in bounded memory."""
    report = progress or (lambda _what, _done, _total: None)
    differences: list[str] = []
    target_records = dst.own_memories()
    other = next(target_records, None)
    checked = 0
    for batch in _batches(src.own_memories(), BATCH):
        for record in batch:
            while other is not None and other.memory.id < record.memory.id:
                differences.append(f"memory {other.memory.id}: only in the target")
                other = next(target_records, None)
            if other is None or other.memory.id != record.memory.id:
                differences.append(f"memory {record.memory.id}: missing in the target")
                continue
            if memory_line(other) != memory_line(record):
                differences.append(f"memory {record.memory.id}: differs in the target")
            other = next(target_records, None)
        if carried:
            differences += _vector_differences(src, dst, [r.memory.id for r in batch])
        checked += len(batch)
        report("verified", checked, checked)
    while other is not None:
        differences.append(f"memory {other.memory.id}: only in the target")
        other = next(target_records, None)
    if dict(src.notes()) != dict(dst.notes()):
        differences.append("notes differ (paths or text)")
    mine = [session_line(s) for s in src.sessions()]
    if mine != [session_line(s) for s in dst.sessions()]:
        differences.append("sessions differ")
    return differences


def _claim(source: Vault, target: Vault, dst: ImportPort) -> None:
    """Mark the target as a copy of this source; refuse one that holds anything else."""
    if source.location == target.location:
        raise InvalidInputError(f"copy needs two different stores (both are {source.location})")
    copied_from = dst.setting(COPY_SETTING)
    if copied_from == source.location:
        return  # an earlier copy of this source: go on where it stopped
    if copied_from is not None or target.stats().memories > 0:
        raise InvalidInputError(
            f"{target.location} is not empty"
            + (f" (a copy of {copied_from})" if copied_from else "")
            + ": copy into a new store"
        )
    dst.set_setting(COPY_SETTING, source.location)


def _same_vectors(src: ImportPort, dst: ImportPort) -> bool:
    """Whether vectors can come along: the source has some, and the target stores (or will
    store) the same model at the same width."""
    mine = src.stored_vectors()
    theirs = dst.vector_target()
    return (
        mine is not None
        and theirs is not None
        and (mine.model_id, mine.dimensions) == (theirs.model_id, theirs.dimensions)
    )


def _carry(dst: ImportPort, brought: dict[str, Any]) -> int:
    import numpy as np

    ids = list(brought)
    return dst.carry_vectors(ids, np.vstack([brought[i] for i in ids]))


def _already_there(dst: ImportPort, batch: Sequence[MemoryRecord], brought: dict[str, Any]) -> bool:
    """A batch a stopped copy wrote already: every memory equal, every carried vector there."""
    have = dst.existing([r.memory.id for r in batch])
    for record in batch:
        found = have.get(record.memory.id)
        if found is None or found.to_dict() | _VOLATILE != record.memory.to_dict() | _VOLATILE:
            return False
    return not brought or set(dst.vectors_of(list(brought))) == set(brought)


def _points_elsewhere(record: MemoryRecord) -> bool:
    return bool(record.relations or record.validations or record.imports) or (
        record.memory.superseded_by is not None
    )


def _vector_differences(src: ImportPort, dst: ImportPort, ids: list[str]) -> list[str]:
    import numpy as np

    mine, theirs = src.vectors_of(ids), dst.vectors_of(ids)
    found: list[str] = []
    for memory_id, vector in mine.items():
        other = theirs.get(memory_id)
        if other is None:
            found.append(f"vector of {memory_id}: missing in the target")
            continue
        a, b = np.asarray(vector, dtype=np.float64), np.asarray(other, dtype=np.float64)
        cosine = float(a @ b / ((np.linalg.norm(a) * np.linalg.norm(b)) or 1.0))
        if cosine < SAME_DIRECTION:
            found.append(f"vector of {memory_id}: differs in the target (cosine {cosine:.4f})")
    return found


def _batches(items: Iterator[T], size: int) -> Iterator[list[T]]:
    while batch := list(islice(items, size)):
        yield batch

"""``--verify``: prove an import lost nothing, record by record, and that memvault finds it.

Checks, in order: every source record is linked to a memory that exists; each memory holds the
record's content, kind, namespace, tags and metadata; a carried vector equals the source's;
and, for a sample, a query made of the record's own most distinctive words finds it in the top
5 (self-retrieval). Where the source can search, the same queries run there too and the overlap
of the two top-10 lists is reported (parity; reported, not judged: two engines rank
differently). Verify fails on any missing or differing record, a vector mismatch, or a
self-retrieval rate below 90 %.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from memvault.core.import_records import VerifySummary
from memvault.core.records import DEFAULT_KIND, Memory
from memvault.core.times import now_iso
from memvault.core.vector_records import VectorStorage
from memvault.importers.records import Source, SourceRecord, draft_of, duplicates_of

if TYPE_CHECKING:
    from memvault.service.vault import Vault

SELF_RETRIEVAL_MIN = 0.9
EXAMPLES = 5  # mismatches a kept summary names
_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)


@dataclass(slots=True)
class VerifyReport:
    source: str
    records: int = 0
    linked: int = 0
    source_failures: int = 0
    missing: list[str] = field(default_factory=list)
    differing: list[dict[str, str]] = field(default_factory=list)
    vectors_carried: int = 0
    vector_mismatch: list[str] = field(default_factory=list)
    vectors_embedded: list[str] = field(default_factory=list)  # the source had one; re-made here
    vectors_lost: list[str] = field(default_factory=list)  # unreadable in the source; re-made
    sampled: int = 0
    found: int = 0
    not_found: list[str] = field(default_factory=list)
    parity: float | None = None  # mean overlap@10 with the source's own search
    parity_queries: int = 0
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # ids on several lines
    source_kinds: Counter[str] = field(default_factory=Counter)  # records by (mapped) kind
    vault_kinds: Counter[str] = field(default_factory=Counter)  # their memories by kind

    @property
    def self_retrieval(self) -> float:
        return self.found / self.sampled if self.sampled else 1.0

    @property
    def ok(self) -> bool:
        return (
            not self.missing
            and not self.differing
            and not self.vector_mismatch
            and self.self_retrieval >= SELF_RETRIEVAL_MIN
        )

    def summary(self) -> VerifySummary:
        """The counts and the first mismatches, stamped now: what the vault keeps of a verify."""
        examples = [
            *(f"{i}: missing in memvault" for i in self.missing[:EXAMPLES]),
            *(f"{d['id']}: {d['field']} differs" for d in self.differing[:EXAMPLES]),
            *(f"{i}: vector differs" for i in self.vector_mismatch[:EXAMPLES]),
            *(f"{i}: not found by its own words" for i in self.not_found[:EXAMPLES]),
        ]
        return VerifySummary(
            source=self.source,
            ok=self.ok,
            verified_at=now_iso(),
            records=self.records,
            linked=self.linked,
            missing=len(self.missing),
            differing=len(self.differing),
            vector_mismatch=len(self.vector_mismatch),
            vectors_carried=self.vectors_carried,
            source_failures=self.source_failures,
            sampled=self.sampled,
            found=self.found,
            parity=self.parity,
            examples=tuple(examples[:EXAMPLES]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "source": self.source,
            "records": self.records,
            "linked": self.linked,
            "kinds": {
                kind: {"source": self.source_kinds[kind], "memvault": self.vault_kinds[kind]}
                for kind in sorted(set(self.source_kinds) | set(self.vault_kinds))
            },
            "source_failures": self.source_failures,
            "duplicates": self.duplicates[:100],
            "missing": self.missing[:100],
            "differing": self.differing[:100],
            "vectors_carried": self.vectors_carried,
            "vector_mismatch": self.vector_mismatch[:100],
            "vectors_reembedded": len(self.vectors_embedded) + len(self.vectors_lost),
            "vectors_reembedded_ids": (self.vectors_embedded + self.vectors_lost)[:100],
            "vectors_lost_in_source": len(self.vectors_lost),
            "vectors_lost_ids": self.vectors_lost[:100],
            "self_retrieval": {
                "sampled": self.sampled,
                "found_in_top5": self.found,
                "rate": round(self.self_retrieval, 4),
                "not_found": self.not_found[:20],
            },
            "parity_overlap_at_10": None if self.parity is None else round(self.parity, 4),
            "parity_queries": self.parity_queries,
        }


def verify(
    vault: Vault,
    source: Source,
    *,
    namespace: str | None = None,
    sample: int = 100,
    batch_size: int = 1000,
) -> VerifyReport:
    port = vault.import_port()
    report = VerifyReport(source.name, duplicates=duplicates_of(source))
    total = max(1, source.count())
    every = max(1, math.ceil(total / max(1, sample)))
    sampled: list[tuple[SourceRecord, str]] = []
    config = vault.vector_config()
    storage = None if config is None else config.storage
    for batch in source.batches(batch_size=batch_size):
        report.source_failures += len(batch.failures)
        records = list(batch.records)
        report.records += len(records)
        links = port.links(source.name, [r.source_id for r in records])
        memories = port.existing([link.memory_id for link in links.values()])
        carried = [k.memory_id for k in links.values() if k.vector == "carried"]
        stored_vectors = port.vectors_of(carried) if carried else {}
        first = report.records - len(records)
        for position, record in enumerate(records, start=first):
            report.source_kinds[(record.kind or DEFAULT_KIND).lower()] += 1
            link = links.get(record.source_id)
            memory = memories.get(link.memory_id) if link else None
            if link is None or memory is None:
                report.missing.append(record.source_id)
                continue
            report.linked += 1
            report.vault_kinds[memory.kind] += 1
            report.differing.extend(_differences(record, memory, namespace))
            if record.vector is not None:
                if link.vector == "carried":
                    report.vectors_carried += 1
                    stored = stored_vectors.get(memory.id)
                    if not _same_vector(record.vector, stored, storage):
                        report.vector_mismatch.append(record.source_id)
                else:
                    report.vectors_embedded.append(record.source_id)
            if position % every == 0:
                sampled.append((record, memory.id))
    # A source that could not read some vectors (a damaged Chroma index) says which.
    report.vectors_lost = [str(i) for i in getattr(source, "lost_vectors", ())]
    _self_retrieval(vault, source, sampled[:sample], report, namespace)
    return report


def _differences(
    record: SourceRecord, memory: Memory, namespace: str | None
) -> list[dict[str, str]]:
    want = draft_of(record, namespace)
    found = []
    checks = {
        "content": (want.content.strip(), memory.content),
        "kind": (want.kind.lower(), memory.kind),
        "namespace": (want.namespace, memory.namespace),
        "tags": (sorted({t.strip() for t in want.tags}), sorted(memory.tags)),
        "metadata": (_plain(want.metadata), _plain(memory.metadata)),
    }
    for name, (expected, actual) in checks.items():
        if expected != actual:
            found.append(
                {
                    "id": record.source_id,
                    "field": name,
                    "source": str(expected)[:200],
                    "memvault": str(actual)[:200],
                }
            )
    return found


def _plain(data: dict[str, Any]) -> Any:
    return json.loads(json.dumps(data, sort_keys=True, default=str))


def _same_vector(source: Any, stored: Any, storage: VectorStorage | None) -> bool:
    """Equal up to what the vault's storage keeps: float32 exactly, int8 to its step, bit the
    signs."""
    if stored is None:
        return False
    a = np.asarray(source, dtype=np.float32)
    a = a / (np.linalg.norm(a) or 1.0)
    b = np.asarray(stored, dtype=np.float32)
    if a.shape != b.shape:
        return False
    if storage is VectorStorage.BIT:
        return bool(np.all((a > 0) == (b > 0)))
    tolerance = 0.02 if storage is VectorStorage.INT8 else 1e-6
    return bool(np.allclose(a, b, atol=tolerance))


def distinctive_query(text: str, common: Counter[str], words: int = 6) -> str:
    """The record's rarest words (in the sample), longest first among equals."""
    seen = list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))
    seen.sort(key=lambda w: (common[w], -len(w)))
    return " ".join(seen[:words])


def _self_retrieval(
    vault: Vault,
    source: Source,
    sampled: list[tuple[SourceRecord, str]],
    report: VerifyReport,
    namespace: str | None,
) -> None:
    common: Counter[str] = Counter()
    for record, _ in sampled:
        common.update(set(w.lower() for w in _WORD.findall(record.content)))
    overlaps = []
    for record, memory_id in sampled:
        query = distinctive_query(record.content, common)
        if not query:
            continue
        report.sampled += 1
        where = namespace or record.namespace
        hits = vault.search(query, k=10, mode="keyword", namespace=where)
        ids = [h.memory.id for h in hits]
        if memory_id in ids[:5]:
            report.found += 1
        else:
            report.not_found.append(record.source_id)
        theirs = source.search(query, 10)
        if theirs is not None:
            links = vault.import_port().links(source.name, theirs)
            mapped = [links[s].memory_id for s in theirs if s in links]
            if mapped:
                overlaps.append(len(set(mapped) & set(ids)) / min(10, len(mapped)))
    if overlaps:
        report.parity = sum(overlaps) / len(overlaps)
        report.parity_queries = len(overlaps)

"""What a vault keeps of its imports: every source's last run, and what its last verify found."""

from __future__ import annotations

from pathlib import Path

import memvault
from memvault.importers.engine import Importer
from memvault.importers.readers.jsonl import JsonlSource
from tests.importers.test_engine import links_of, record, write_jsonl


def test_the_last_verify_of_each_source_is_kept_beside_its_run(tmp_path: Path) -> None:
    notes = JsonlSource(write_jsonl(tmp_path / "notes.jsonl", [record(i) for i in range(30)]))
    other = JsonlSource(write_jsonl(tmp_path / "other.jsonl", [record(i) for i in range(40, 45)]))
    db = tmp_path / "vault.db"
    with memvault.open(db, background=False) as vault:
        Importer(vault).run(notes)
        Importer(vault).run(other)
        assert vault.last_verify(notes.name) is None  # imported, never verified
        assert Importer(vault).verify(notes).ok
        passed = vault.last_verify(notes.name)
        assert passed is not None and passed.ok
        assert (passed.records, passed.linked, passed.missing, passed.differing) == (30, 30, 0, 0)
        assert passed.sampled == 30 and passed.self_retrieval >= 0.9

        links = links_of(vault, notes.name, ["r1", "r2"])
        vault.update(links["r1"], content="tampered text")
        vault.forget(links["r2"])
        assert not Importer(vault).verify(notes).ok
    with memvault.open(db, background=False) as vault:  # kept in the vault, not the process
        failed = vault.last_verify(notes.name)
        assert failed is not None and not failed.ok
        assert (failed.missing, failed.differing, failed.linked) == (1, 1, 29)
        assert failed.examples[:2] == ("r2: missing in memvault", "r1: content differs")
        assert failed.verified_at > passed.verified_at
        assert vault.last_verify(other.name) is None  # one source's verify is not another's
        runs = vault.import_runs()
        assert [entry.run.source for entry in runs] == [other.name, notes.name]  # latest first
        assert [(e.run.state, e.run.imported) for e in runs] == [("done", 5), ("done", 30)]

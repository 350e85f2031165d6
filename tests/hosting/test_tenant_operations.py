"""``memvault tenants backup|restore|check|export`` on a real hosting folder, through the real
CLI: each tenant's operation is its own home's, one tenant's failure is reported while the
others carry on, and a restore never goes over a tenant a server has open."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx2
import pytest

from memvault.cli.app import main
from memvault.hosting.host import open_tenant
from memvault.hosting.registry import TenantRegistry
from memvault.hosting.restore_guard import restore_guard
from memvault.service.backup import backups
from tests.hosting.tenant_cli import exported, make_tenants, memvault
from tests.server.mcp_helpers import call, http_client, http_server

FACTS = {
    "acme": ["Acme ships on Tuesdays", "Acme's invoices go to finance@acme.test"],
    "globex": ["Globex deploys from the blue branch"],
    "initech": ["Initech's printer needs a restart every Friday"],
}


@pytest.fixture
def hosting(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "tenants"
    return root, make_tenants(root, FACTS)


def test_backup_all_then_restore_one_brings_its_memories_back(
    hosting: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, _ = hosting
    dest = tmp_path / "backups"
    ran = memvault("tenants", "backup", "--all", str(dest), "--json", tenants=root)
    assert ran.code == 0, ran.err
    rows = {row["name"]: row for row in ran.json()["tenants"]}
    assert set(rows) == set(FACTS) and all(row["ok"] for row in rows.values())
    for name, row in rows.items():
        assert Path(row["path"]).parent == dest / name
        assert row["counts"]["memories"] == len(FACTS[name])
        assert [entry for entry, _ in backups(dest / name)] == [Path(row["path"]).name]

    registry = TenantRegistry(root)
    with open_tenant(registry, registry.get("globex"), "hash") as vault:  # a bad day at globex
        for memory in vault.list(limit=10):
            vault.forget(memory.id)
        vault.remember("Globex deploys from whatever branch")
    backup = rows["globex"]["path"]

    refused = memvault("tenants", "restore", "globex", backup, tenants=root)
    assert refused.code == 1 and refused.err.count("\n") == 1 and "--force" in refused.err

    ran = memvault("tenants", "restore", "globex", backup, "--force", "--json", tenants=root)
    assert ran.code == 0, ran.err
    assert ran.json()["check"] == "ok" and ran.json()["home"] == str(root / "globex")
    back = memvault("tenants", "export", "globex", tenants=root)
    assert exported(back.out) == FACTS["globex"]


def test_check_all_names_the_damaged_tenant_and_passes_the_others(
    hosting: tuple[Path, dict[str, str]],
) -> None:
    root, _ = hosting
    ran = memvault("tenants", "check", "--all", tenants=root)
    assert ran.code == 0, ran.err
    assert ran.out.count("all ") == 3 and "FAIL" not in ran.out

    victim = next((root / "globex" / "vault" / "memories").rglob("*.md"))
    victim.write_bytes(victim.read_bytes()[:40])  # cut short, as a crash mid-write leaves it

    ran = memvault("tenants", "check", "--all", "--json", tenants=root)
    assert ran.code == 1
    report = ran.json()
    assert report["ok"] is False and report["failed"] == ["globex"]
    rows = {row["name"]: row for row in report["tenants"]}
    assert rows["acme"]["ok"] and rows["initech"]["ok"] and not rows["globex"]["ok"]
    vault_check = next(c for c in rows["globex"]["checks"] if c["name"] == "vault")
    assert vault_check["counts"]["memory_files_damaged"] == 1
    assert ran.err.count("\n") == 1 and "1 of 3 tenants failed" in ran.err

    text = memvault("tenants", "check", "--all", tenants=root)
    assert text.code == 1 and "FAIL globex" in text.out and victim.name in text.out
    assert "memvault: error: check: 1 of 3 tenants failed: globex" in text.err
    one = memvault("tenants", "check", "globex", "--json", tenants=root)
    assert one.code == 1 and one.json()["name"] == "globex" and one.json()["ok"] is False


def test_a_tenant_that_fails_is_reported_and_the_others_are_backed_up(
    hosting: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, _ = hosting
    dest = tmp_path / "backups"
    dest.mkdir()
    (dest / "globex").write_text("a file where globex's backups should go")
    ran = memvault("tenants", "backup", "--all", str(dest), "--json", tenants=root)
    assert ran.code == 1
    rows = {row["name"]: row for row in ran.json()["tenants"]}
    assert not rows["globex"]["ok"] and "is a file" in rows["globex"]["error"]
    assert len(backups(dest / "acme")) == 1 and len(backups(dest / "initech")) == 1
    assert "backup: 1 of 3 tenants failed: globex" in ran.err


def test_export_all_writes_one_file_per_tenant_with_only_its_memories(
    hosting: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, _ = hosting
    out = tmp_path / "exports"
    ran = memvault("tenants", "export", "--all", "--out", str(out), "--json", tenants=root)
    assert ran.code == 0, ran.err
    assert sorted(p.name for p in out.iterdir()) == [f"{name}.jsonl" for name in sorted(FACTS)]
    for name, facts in FACTS.items():
        assert exported(out / f"{name}.jsonl") == sorted(facts)
    rows = {row["name"]: row for row in ran.json()["tenants"]}
    assert rows["acme"]["memories"] == 2 and rows["acme"]["out"] == str(out / "acme.jsonl")


def test_restore_and_a_hosted_server_never_overlap(
    hosting: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, tokens = hosting
    dest = tmp_path / "backups"
    made = memvault("tenants", "backup", "acme", str(dest), "--json", tenants=root)
    assert made.code == 0, made.err
    with http_server(None, "--tenants", str(root), token=None) as base:

        async def remember(name: str, content: str) -> None:
            async with http_client(base, token=tokens[name]) as client:
                await call(client, "remember", content=content)

        anyio.run(remember, "acme", "Acme moved to Wednesdays")  # acme is open now (300 s)
        ran = memvault("tenants", "restore", "acme", made.json()["path"], "--force", tenants=root)
        assert ran.code == 1 and ran.err.count("\n") == 1
        assert "tenant acme is open in a server" in ran.err
        assert "Acme moved to Wednesdays" in exported(
            memvault("tenants", "export", "acme", tenants=root).out
        )

        with restore_guard(root / "globex", "globex"):  # as a restore of globex holds it
            refused = httpx2.post(
                f"{base}/mcp",
                headers={"Authorization": f"Bearer {tokens['globex']}"},
                json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            )
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        assert "globex is being restored" in refused.json()["error_description"]
        anyio.run(remember, "globex", "Globex is back")  # once the restore is over
    assert not list(root.glob("acme/.before-restore-*"))  # nothing was set aside
    assert "Globex is back" in exported(memvault("tenants", "export", "globex", tenants=root).out)


def test_bad_arguments_are_one_line_each(
    hosting: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = hosting
    for args, says in [
        (("tenants", "backup", "--all"), "give NAME DEST, or --all DEST"),
        (("tenants", "backup", "acme"), "give NAME DEST, or --all DEST"),
        (("tenants", "check"), "name one tenant, or pass --all"),
        (("tenants", "check", "acme", "--all"), "name one tenant, or pass --all"),
        (("tenants", "export", "--all"), "--all needs --out DIR"),
        (("tenants", "check", "nobody"), "no tenant 'nobody'"),
    ]:
        capsys.readouterr()
        code = main([*args, "--tenants", str(root)])
        err = capsys.readouterr().err
        assert code != 0 and err.count("\n") == 1 and says in err, (args, err)

"""`memvault tenants` and `serve --tenants` as an operator meets them: JSON for scripts, one
line of error and a non-zero exit for bad input, nothing lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.hosting.hosted import memvault


def tenants(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return memvault("tenants", *args, "--tenants", str(root))


def one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_add_list_quota_and_remove_through_the_cli(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    added = json.loads(tenants(root, "add", "acme", "--json").stdout)
    assert added["token"].startswith("mvt_") and Path(added["home"]).is_dir()
    db_only = json.loads(tenants(root, "add", "bulk", "--no-folder", "--json").stdout)
    assert db_only["folder"] is False
    set_quota = tenants(root, "quota", "acme", "--memories", "1000", "--rpm", "600", "--json")
    assert json.loads(set_quota.stdout)["quota"] == {
        "memories": 1000,
        "bytes": None,
        "requests_per_minute": 600,
    }
    listed = json.loads(tenants(root, "list", "--json").stdout)["tenants"]
    assert [row["name"] for row in listed] == ["acme", "bulk"]
    assert "token" not in json.dumps(listed).replace('"tokens"', "")
    assert listed[0]["quota"]["memories"] == 1000
    purged = json.loads(tenants(root, "remove", "bulk", "--purge", "--json").stdout)
    assert purged == {"removed": "bulk", "archived_to": None, "schema_kept": None}
    assert not (root / "bulk").exists()
    text = tenants(root, "list").stdout
    assert "acme" in text and "bulk" not in text


def test_bad_input_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    assert tenants(root, "add", "acme").returncode == 0
    before = (root / "tenants.json").read_bytes()
    one_line_error(tenants(root, "add", "acme"), "exists already")
    one_line_error(tenants(root, "add", "../escape"), "tenant name")
    one_line_error(tenants(root, "add", ".hidden"), "tenant name")
    one_line_error(tenants(root, "add", "Upper"), "tenant name")
    one_line_error(tenants(root, "remove", "nobody"), "no tenant 'nobody'")
    one_line_error(tenants(root, "rotate-token", "nobody"), "no tenant")
    one_line_error(tenants(root, "quota", "nobody", "--memories", "5"), "no tenant")
    assert tenants(root, "quota", "acme", "--memories", "-1").returncode != 0
    assert (root / "tenants.json").read_bytes() == before
    (root / "stray").mkdir()
    one_line_error(tenants(root, "add", "stray"), "exists but is no tenant's")
    one_line_error(tenants(tmp_path / "none", "list"), "no tenants at")
    one_line_error(memvault("tenants", "list"), "MEMVAULT_TENANTS")


def test_serve_tenants_refuses_what_does_not_fit(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    serve = ["serve", "--http", "127.0.0.1:1", "--tenants"]
    one_line_error(memvault(*serve, str(root)), "no tenants at")
    assert tenants(root, "add", "acme").returncode == 0
    token_file = tmp_path / "token"
    token_file.write_text("a-single-token-for-everyone\n")
    one_line_error(memvault(*serve, str(root), "--token-file", str(token_file)), "--tenants")
    one_line_error(memvault(*serve, str(root), "--no-auth"), "--tenants")


def test_two_admins_adding_at_once_lose_no_tenant(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from memvault.hosting.registry import TenantRegistry\n"
        "registry = TenantRegistry(Path(sys.argv[1]), create=True)\n"
        "for n in range(25):\n"
        "    registry.add(f'{sys.argv[2]}-{n}')\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(root), prefix])
        for prefix in ("left", "right")
    ]
    assert [proc.wait(120) for proc in procs] == [0, 0]
    listed = json.loads(tenants(root, "list", "--json").stdout)["tenants"]
    assert len(listed) == 50

"""Layering rules, enforced: a violation fails here before it spreads.

- Only ``memvault.storage`` may import a database binding or contain SQL (the Timo seed counted
  27 call sites of raw SQL that had to be rewritten to change engines).
- Domain modules (models, errors, ids, text, inputs, confidence, home) import no other layer.
- Storage does not import the service layer or the shells; shells do not bypass the vault.
- Embedding providers know nothing of storage, the vault or the shells.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "src" / "memvault"
DRIVERS = {"apsw", "sqlite3", "sqlite_vec", "sqlean", "pysqlite3", "psycopg", "psycopg2", "pymysql"}
SQL = re.compile(
    r"\b(SELECT\s+[\w*(].*?\bFROM\b|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|"
    r"DELETE\s+FROM\b|CREATE\s+(UNIQUE\s+)?(TABLE|INDEX|VIRTUAL\s+TABLE|TRIGGER)\b|"
    r"DROP\s+(TABLE|INDEX)\b|PRAGMA\s+\w+|BEGIN\s+(IMMEDIATE|DEFERRED|EXCLUSIVE)\b)",
    re.DOTALL,
)
DOMAIN = {"models", "errors", "ids", "text", "inputs", "confidence", "home"}
CONTENT = {"markdown", "ingest"}  # pure packages: Markdown files, chunkers, the directory walker
SERVICE = {
    "vault",
    "search",
    "fusion",
    "embeddings",
    "worker",
    "notes",
    "vault_sync",
    "vault_files",
    "mirror",
    "ingestion",
    "watcher",
    "documents",
    "memory_files",
    "vault_lock",
}
FORBIDDEN = {  # layer -> memvault modules it must not import
    "domain": {"storage", "cli", "demo", "embedding", *CONTENT, *SERVICE},
    "content": {"storage", "cli", "demo", "embedding", *SERVICE},
    "embedding": {"storage", "cli", "demo", *SERVICE},
    "storage": {"cli", "demo", *SERVICE},
    "service": {"cli", "demo", "server"},
    "cli": {"storage"},
    "server": {"storage", "cli", "demo"},  # the MCP shell, beside the CLI
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top in DOMAIN:
        return "domain"
    if top in CONTENT:
        return "content"
    if top in SERVICE:
        return "service"
    return top if top in {"storage", "cli", "embedding", "server"} else "other"


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        found.append((name, path))
    return found


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def is_storage(module: str) -> bool:
    return module == "memvault.storage" or module.startswith("memvault.storage.")


OUTSIDE_STORAGE = [(m, p) for m, p in modules() if not is_storage(m)]


def test_the_package_is_where_the_test_looks() -> None:
    names = {m for m, _ in modules()}
    assert {"memvault.service.vault", "memvault.storage.sqlite.store", "memvault.cli.app"} <= names
    assert {f"memvault.{name}" for name in SERVICE} <= names


@pytest.mark.parametrize(("module", "path"), OUTSIDE_STORAGE, ids=[m for m, _ in OUTSIDE_STORAGE])
def test_no_database_binding_outside_storage(module: str, path: Path) -> None:
    bad = {name for name in imports_of(path) if name.split(".")[0] in DRIVERS}
    assert not bad, f"{module} imports {bad}; go through memvault.storage"


@pytest.mark.parametrize(("module", "path"), OUTSIDE_STORAGE, ids=[m for m, _ in OUTSIDE_STORAGE])
def test_no_sql_outside_storage(module: str, path: Path) -> None:
    bad = [s for s in string_constants(path) if SQL.search(s)]
    assert not bad, f"{module} contains SQL: {bad[0][:80]!r}"


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _ in modules()])
def test_layers_import_downwards_only(module: str, path: Path) -> None:
    forbidden = FORBIDDEN.get(layer_of(module), set())
    bad = {
        name
        for name in imports_of(path)
        if name.startswith("memvault.") and name.split(".")[1] in forbidden
    }
    assert not bad, f"{module} ({layer_of(module)} layer) imports {bad}"


def test_the_detectors_catch_violations(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'import apsw\nQUERY = "SELECT id FROM memories WHERE x = ?"\n'
        'OTHER = "delete from memories"\n'
    )
    assert "apsw" in imports_of(sample)
    assert [s for s in string_constants(sample) if SQL.search(s)] == [
        "SELECT id FROM memories WHERE x = ?"
    ]
    assert not SQL.search("Select the best option from the list")  # prose is not SQL

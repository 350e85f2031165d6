"""The layout is the architecture, enforced: a violation fails here before it spreads.

Each top-level package of ``memvault`` is one layer, with a rank. A module may import its own
package and packages of a lower rank only; packages of the same rank (storage and embedding,
folder and indexing, server, web and evaluation) do not import each other. The package itself
(``memvault/__init__.py``) is the public API, above the importers and below the shells.

- A module in a package this map does not know fails (so a new file gets its rules from where
  it is put, and a new package must be placed in a layer on purpose).
- Only ``memvault.storage`` may import a database driver or contain SQL, apart from the readers
  of foreign stores in ``ALLOWED_SQL`` (the Timo seed counted 27 call sites of raw SQL that had
  to be rewritten to change engines).
- No import circles between packages (``graphlib`` finds them).

Each rule is a function over a source tree, so the tests at the bottom can show that it fails
on a tree made to break it.
"""

from __future__ import annotations

import ast
import functools
import graphlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

SOURCE = Path(__file__).parent.parent / "src"
API = "api"  # the rank name of memvault/__init__.py
RANKS: dict[str, int] = {
    "core": 0,  # records, errors, ids and times, input rules, confidence, code-aware terms
    "content": 1,  # Markdown and chunkers: pure text in, values out
    "storage": 2,  # the role protocols and the engines: the only SQL
    "embedding": 2,  # providers of vectors
    "folder": 3,  # the Markdown folder under its lock
    "indexing": 3,  # memvault index PATH
    "service": 4,  # Vault, search, fusion, embeddings, the worker, the import port
    "importers": 5,  # import, verify, export; readers of foreign stores
    API: 6,  # memvault.open and the public names
    "hosting": 6,  # many tenants in one server: registry, tokens, open vaults, quotas
    "server": 7,  # the MCP shell
    "evaluation": 7,  # memvault eval
    "web": 7,  # the web page beside /mcp
    "cli": 8,  # the command line (serves MCP, runs eval)
}
DRIVERS = {
    *("apsw", "sqlite3", "sqlite_vec", "sqlean", "pysqlite3"),
    *("psycopg", "psycopg2", "psycopg_pool", "pgvector", "pymysql"),
}
ALLOWED_SQL = {  # readers of other products' databases: their schema, read-only
    "memvault.importers.readers.chroma_sqlite",
    "memvault.importers.readers.mysql",
    "memvault.importers.readers.postgres",
    "memvault.importers.readers.tables",
    "memvault.importers.readers.table_records",
}
# SQL as memvault writes it (upper case), and lower-case SQL by its structure, which prose lacks.
SQL = re.compile(
    r"\b(SELECT\s+[\w*(].*?\bFROM\b|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|"
    r"DELETE\s+FROM\b|CREATE\s+(UNIQUE\s+)?(TABLE|INDEX|VIRTUAL\s+TABLE|TRIGGER)\b|"
    r"DROP\s+(TABLE|INDEX)\b|PRAGMA\s+\w+|BEGIN\s+(IMMEDIATE|DEFERRED|EXCLUSIVE)\b)",
    re.DOTALL,
)
LOWER_SQL = re.compile(
    r"\b(select\s+[\w*(,. ]+\s+from\s+\w+(\s+\w+)?\s+(where|join|order\s+by|group\s+by|limit)\b|"
    r"insert\s+(or\s+\w+\s+)?into\s+\w+\s*\(|delete\s+from\s+\w+(\s+where\b|\s*$)|"
    r"update\s+\w+\s+set\s+\w+\s*=|create\s+(virtual\s+)?table\s+\w+|pragma\s+\w+\s*[(=;]?\s*$)",
    re.DOTALL | re.IGNORECASE,
)


def is_sql(text: str) -> bool:
    return bool(SQL.search(text) or LOWER_SQL.search(text))


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. memvault.storage.sqlite.store
    path: Path
    depth: int  # folders between the source root and the file: memvault/core/ids.py is 2

    @property
    def layer(self) -> str | None:
        parts = self.name.split(".")
        if len(parts) == 1:
            return API
        if self.depth >= 2 and parts[1] in RANKS:
            return parts[1]
        return None  # a module at the top (memvault/x.py) or in an unknown package

    @property
    def unit(self) -> str:
        """What the cycle check counts as one node: a sub-package (memvault.storage.sqlite), or
        a module directly in a layer package (memvault.storage.roles), or the layer's own
        __init__ (memvault.storage)."""
        parts = self.name.split(".")
        if len(parts) >= 4 or (len(parts) == 3 and self.path.name == "__init__.py"):
            return ".".join(parts[:3])
        return self.name


def modules(root: Path = SOURCE, package: str = "memvault") -> list[Module]:
    found = []
    for path in sorted((root / package).rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        found.append(Module(name, path, len(rel.parts) - 1))
    return found


def imports_of(module: Module, known: set[str]) -> set[str]:
    """Every memvault or driver module this one imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from memvault.core import inputs` imports the module
                child = f"{node.module}.{alias.name}"
                names.add(child if child in known else node.module)
    return names


def string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


# --- the rules, each over a tree ---------------------------------------------------------------
def unknown_modules(found: list[Module]) -> list[str]:
    return [m.name for m in found if m.layer is None]


def upward_imports(found: list[Module], package: str = "memvault") -> list[str]:
    known = {m.name for m in found}
    layer_of = {m.name: m.layer for m in found}
    bad = []
    for module in found:
        if module.layer is None:
            continue
        for name in sorted(imports_of(module, known)):
            target = layer_of.get(name) or _layer_of_name(name, package)
            if target is None or target == module.layer:
                continue
            if RANKS[target] >= RANKS[module.layer]:
                bad.append(f"{module.name} ({module.layer}) imports {name} ({target})")
    return bad


def _layer_of_name(name: str, package: str) -> str | None:
    parts = name.split(".")
    if parts[0] != package:
        return None
    if len(parts) == 1:
        return API
    return parts[1] if parts[1] in RANKS else None


def sql_outside_storage(found: list[Module], package: str = "memvault") -> list[str]:
    known = {m.name for m in found}
    bad = []
    for module in found:
        if module.layer == "storage" or module.name in ALLOWED_SQL:
            continue
        drivers = {n for n in imports_of(module, known) if n.split(".")[0] in DRIVERS}
        if drivers:
            bad.append(f"{module.name} imports {sorted(drivers)}")
        statements = [s for s in string_constants(module.path) if is_sql(s)]
        if statements:
            bad.append(f"{module.name} contains SQL: {statements[0][:60]!r}")
    return bad


def package_cycles(found: list[Module]) -> list[str]:
    known = {m.name for m in found}
    unit_of = {m.name: m.unit for m in found}
    graph: dict[str, set[str]] = {m.unit: set() for m in found}
    for module in found:
        for name in imports_of(module, known):
            target = unit_of.get(name)
            if target is not None and target != module.unit:
                graph[module.unit].add(target)
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        return [" -> ".join(exc.args[1])]
    return []


# --- on memvault itself ------------------------------------------------------------------------
FOUND = modules()


def test_the_tree_is_where_the_test_looks() -> None:
    names = {m.name for m in FOUND}
    assert {"memvault", "memvault.service.vault", "memvault.storage.roles"} <= names
    assert {m.layer for m in FOUND} == set(RANKS), "every layer has modules, none is extra"


IDS = [m.name for m in FOUND]


@pytest.mark.parametrize("module", FOUND, ids=IDS)
def test_every_module_is_in_a_known_layer(module: Module) -> None:
    assert unknown_modules([module]) == [], f"put {module.name} in a package of RANKS"


@functools.cache
def upward_in_memvault() -> tuple[str, ...]:
    return tuple(upward_imports(FOUND))


@pytest.mark.parametrize("module", FOUND, ids=IDS)
def test_layers_import_downwards_only(module: Module) -> None:
    found = [line for line in upward_in_memvault() if line.startswith(f"{module.name} (")]
    assert found == []


@pytest.mark.parametrize("module", FOUND, ids=IDS)
def test_no_database_driver_or_sql_outside_storage(module: Module) -> None:
    assert sql_outside_storage([module]) == []


def test_the_allow_list_of_sql_names_only_foreign_readers_that_exist() -> None:
    known = {m.name for m in FOUND}
    assert known >= ALLOWED_SQL, "the allow-list names only modules that exist"


def test_packages_import_each_other_in_no_circle() -> None:
    assert package_cycles(FOUND) == []


# --- the rules fail on trees made to break them -------------------------------------------------
def tree(tmp_path: Path, files: dict[str, str]) -> list[Module]:
    for rel, text in {"memvault/__init__.py": "", **files}.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(tmp_path).parents:
            init = tmp_path / parent / "__init__.py"
            if parent != Path(".") and not init.exists():
                init.write_text("")
        path.write_text(text)
    return modules(tmp_path)


def test_a_module_in_an_unknown_package_or_at_the_top_fails(tmp_path: Path) -> None:
    found = tree(
        tmp_path,
        {"memvault/helpers/util.py": "", "memvault/stray.py": "", "memvault/core/ok.py": ""},
    )
    assert unknown_modules(found) == [
        "memvault.helpers",
        "memvault.helpers.util",
        "memvault.stray",
    ]


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("memvault/core/records.py", "from memvault.service.vault import Vault\n"),
        ("memvault/storage/x.py", "def f():\n    from memvault.folder import notes\n"),
        ("memvault/storage/y.py", "import memvault.embedding.base\n"),  # a peer of the same rank
        ("memvault/service/z.py", "import memvault\n"),  # the public API sits above the service
    ],
)
def test_a_lower_layer_importing_a_higher_or_a_peer_fails(
    tmp_path: Path, path: str, source: str
) -> None:
    files = {
        path: source,
        "memvault/service/vault.py": "",
        "memvault/folder/notes.py": "",
        "memvault/embedding/base.py": "",
    }
    assert len(upward_imports(tree(tmp_path, files))) == 1


def test_importing_downwards_and_within_a_layer_passes(tmp_path: Path) -> None:
    files = {
        "memvault/cli/app.py": "import memvault\nfrom memvault.service import vault\n",
        "memvault/service/vault.py": "from memvault.storage.roles import Store\n",
        "memvault/storage/roles.py": "from memvault.core import records\n",
        "memvault/core/records.py": "from memvault.core.ids import new_id\n",
        "memvault/core/ids.py": "",
    }
    assert upward_imports(tree(tmp_path, files)) == []


def test_sql_or_a_driver_outside_storage_fails_and_the_allow_list_passes(tmp_path: Path) -> None:
    files = {
        "memvault/service/a.py": 'QUERY = "SELECT id FROM memories WHERE x = ?"\n',
        "memvault/folder/b.py": "import apsw\n",
        "memvault/content/c.py": 'NOTE = "Select the best option from the list"\n',  # prose
        "memvault/importers/d.py": 'Q = "select id from memories where pk = ?"\n',  # lower case
        "memvault/storage/e.py": 'import apsw\nQ = "SELECT 1 FROM t"\n',
        "memvault/importers/readers/mysql.py": 'import pymysql\nQ = "SELECT * FROM t"\n',
    }
    assert sorted(line.split(" ")[0] for line in sql_outside_storage(tree(tmp_path, files))) == [
        "memvault.folder.b",
        "memvault.importers.d",
        "memvault.service.a",
    ]


@pytest.mark.parametrize(
    ("text", "sql"),
    [
        ("SELECT id FROM memories WHERE pk = ?", True),
        ("select m.id, m.content from memories m where m.pk = ?", True),
        ("insert into memories (id) values (?)", True),
        ("delete from jobs where state = 'done'", True),
        ("update jobs set state = 'queued'", True),
        ("create virtual table t using fts5(x)", True),
        ("Select the best option from the list", False),
        ("Delete from the list whatever is stale", False),
        ("update the notes, then set a reminder", False),
    ],
)
def test_the_sql_detector_tells_sql_from_prose(text: str, sql: bool) -> None:
    assert is_sql(text) is sql


def test_a_circle_between_packages_fails(tmp_path: Path) -> None:
    files = {
        "memvault/content/markdown/a.py": "from memvault.content.chunking import b\n",
        "memvault/content/chunking/b.py": "def f():\n    import memvault.content.markdown.a\n",
    }
    (cycle,) = package_cycles(tree(tmp_path, files))
    assert "memvault.content.markdown" in cycle and "memvault.content.chunking" in cycle
    files["memvault/content/chunking/b.py"] = ""
    assert package_cycles(tree(tmp_path / "fixed", files)) == []

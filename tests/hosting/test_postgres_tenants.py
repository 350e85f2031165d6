"""Hosted tenants on PostgreSQL: each tenant a schema of its own, reached only by its token.

One real ``memvault serve --http --tenants DIR`` process hosts two tenants on schemas of the
test server's database (named so that a careless mapping of ``-`` and ``_`` would give them one
schema) and one on SQLite beside them. Tenant A writes memories, an edge and a note; B and the
SQLite tenant see none of it by any tool, and A's cursor is refused for B. The connections the
host holds on the server stay within the small pool each open tenant gets. The registry refuses
a URL with a password, and ``tenants remove`` keeps or drops the schema as told.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from mcp import Client

from memvault.cli.app import main
from memvault.core.errors import InvalidInputError
from memvault.hosting.registry import TenantRegistry
from memvault.hosting.stores import HOSTED_POOL_MAX, tenant_schema, tenant_store
from memvault.storage import discard_store
from tests.server.mcp_helpers import call, http_client, http_server

A, B, SOLO = "acme-corp", "acme_corp", "solo"  # '-' and '_': two schemas, never one
SECRET = "zanzibar_quokka"


@dataclass(frozen=True)
class Hosted:
    base: str
    root: Path
    database: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def hosted(postgres_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosted]:
    root = tmp_path_factory.mktemp("tenants")
    registry = TenantRegistry(root, create=True)
    tokens = {
        A: registry.add(A, database=postgres_database)[1],
        B: registry.add(B, database=postgres_database)[1],
        SOLO: registry.add(SOLO)[1],
    }
    with http_server(None, "--tenants", str(root), token=None) as base:
        yield Hosted(base, root, postgres_database, tokens)


async def failing(client: Client, tool: str, **arguments: Any) -> str:
    """The error text of a tool call that must fail."""
    result = await client.call_tool(tool, arguments)
    text: str = result.content[0].text  # type: ignore[union-attr]
    assert result.is_error, f"{tool} answered {text}"
    return text


async def a_writes(client: Client) -> dict[str, Any]:
    first = await call(client, "remember", content=f"{SECRET}: the launch code is under the mat")
    second = await call(client, "remember", content=f"{SECRET}: the spare key is in the shed")
    await call(client, "relate", source=first["id"], target=second["id"])
    note = await call(client, "note_write", path="plans/secret.md", content=f"# Plan\n{SECRET}")
    return {"first": first["id"], "second": second["id"], "note": note["path"]}


def test_a_tenant_on_postgresql_sees_its_own_and_no_other_sees_any(hosted: Hosted) -> None:
    async def session() -> None:
        async with http_client(hosted.base, token=hosted.tokens[A]) as client:
            wrote = await a_writes(client)
            found = await call(client, "search", query=SECRET)
            assert {wrote["first"], wrote["second"]} <= {hit["id"] for hit in found["hits"]}
            assert "note" in {hit["kind"] for hit in found["hits"]}  # the note is indexed too
            listed = await call(client, "recent")
            assert {wrote["first"], wrote["second"]} <= {m["id"] for m in listed["memories"]}
            assert wrote["note"] in [n["path"] for n in listed["notes"]]
            got = await call(client, "get", id=wrote["first"])
            assert SECRET in got["content"]
            near = await call(client, "neighbours", id=wrote["first"])
            assert [n["id"] for n in near["neighbours"]] == [wrote["second"]]
            assert SECRET in (await call(client, "note_read", path=wrote["note"]))["body"]
            mine = await call(client, "stats")
            assert mine["memories"] >= 2
        for other in (B, SOLO):
            async with http_client(hosted.base, token=hosted.tokens[other]) as client:
                await sees_nothing_of(client, wrote)

    asyncio.run(session())


async def sees_nothing_of(client: Client, wrote: dict[str, Any]) -> None:
    assert (await call(client, "search", query=SECRET))["hits"] == []
    assert (await call(client, "search", query=SECRET, mode="keyword"))["hits"] == []
    listed = await call(client, "recent")
    assert SECRET not in json.dumps(listed)
    assert "no memory" in await failing(client, "get", id=wrote["first"])
    assert "no memory" in await failing(client, "neighbours", id=wrote["first"])
    assert "plans/secret.md" in await failing(client, "note_read", path=wrote["note"])
    notes = await call(client, "note_list")
    assert wrote["note"] not in json.dumps(notes)
    counts = await call(client, "stats")
    assert (counts["memories"], counts["notes"], counts["edges"]) == (0, 0, 0)


def test_a_cursor_of_one_tenant_is_refused_for_another(hosted: Hosted) -> None:
    async def session() -> None:
        async with http_client(hosted.base, token=hosted.tokens[A]) as client:
            for n in range(3):
                await call(client, "remember", content=f"paged_wombat number {n}")
            page = await call(client, "search", query="paged_wombat", limit=1)
            cursor = page["next_cursor"]
            again = await call(client, "search", query="paged_wombat", limit=1, cursor=cursor)
            assert again["hits"][0]["id"] != page["hits"][0]["id"]  # good for A
        for other in (B, SOLO):
            async with http_client(hosted.base, token=hosted.tokens[other]) as client:
                refused = await failing(
                    client, "search", query="paged_wombat", limit=1, cursor=cursor
                )
                assert "different request" in refused

    asyncio.run(session())


def test_each_tenant_on_postgresql_is_its_own_schema(hosted: Hosted) -> None:
    async def session() -> None:
        for name in (A, B):
            async with http_client(hosted.base, token=hosted.tokens[name]) as client:
                await call(client, "remember", content=f"owned_by {name}")

    asyncio.run(session())
    with psycopg.connect(hosted.database) as conn:
        for name in (A, B):
            rows = conn.execute(
                f'SELECT content FROM "{tenant_schema(name)}".memories WHERE content LIKE %s',
                ("owned_by %",),
            ).fetchall()
            assert rows == [(f"owned_by {name}",)]
    assert tenant_schema(A) != tenant_schema(B)
    # their homes keep the Markdown folder; the index is on the server, not in a file
    for name in (A, B):
        assert not (hosted.root / name / "memvault.db").exists()
        assert list((hosted.root / name / "vault").rglob("*.md"))
    assert (hosted.root / SOLO / "memvault.db").exists()


def test_connections_stay_within_the_small_pool_of_each_open_tenant(hosted: Hosted) -> None:
    async def busy(name: str) -> None:
        async with http_client(hosted.base, token=hosted.tokens[name]) as client:
            await asyncio.gather(
                *(call(client, "remember", content=f"crowd_{name} {n}") for n in range(12)),
                *(call(client, "search", query=f"crowd_{name}") for _ in range(12)),
            )

    async def session() -> None:
        await asyncio.gather(busy(A), busy(B))

    asyncio.run(session())
    with psycopg.connect(hosted.database) as conn:
        held = dict(
            conn.execute(
                "SELECT application_name, count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name LIKE 'memvault:t\\_%%'"
                " GROUP BY application_name"
            ).fetchall()
        )
    assert set(held) <= {f"memvault:{tenant_schema(A)}", f"memvault:{tenant_schema(B)}"}
    assert held, "the two tenants just served requests: their pools hold connections"
    assert all(1 <= count <= HOSTED_POOL_MAX for count in held.values()), held


# --- the registry and the admin command -----------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "postgresql://admin:hunter2@db.example/tenants",
        "postgresql://db.example/tenants?password=hunter2",
    ],
)
def test_the_registry_refuses_a_url_with_a_password(tmp_path: Path, url: str) -> None:
    registry = TenantRegistry(tmp_path, create=True)
    registry.add("first")
    with pytest.raises(InvalidInputError, match="PGPASSWORD"):
        registry.add("leaky", database=url)
    assert [tenant.name for tenant in registry.tenants()] == ["first"]
    assert "hunter2" not in (tmp_path / "tenants.json").read_text("utf-8")
    assert not (tmp_path / "leaky").exists()


def test_tenants_add_with_a_password_is_one_line_and_a_non_zero_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://admin:hunter2@127.0.0.1/test"
    code = main(["tenants", "add", "leaky", "--tenants", str(tmp_path), "--db", url])
    _, err = capsys.readouterr()
    assert code != 0
    assert len(err.strip().splitlines()) == 1 and "PGPASSWORD" in err and "hunter2" not in err


def test_the_schema_of_a_name_is_its_own() -> None:
    names = ["a-b", "a_b", "a__b", "a_hb", "a-hb", "ab", "a--b", "a-_b", "a_-b"]
    schemas = [tenant_schema(name) for name in names]
    assert len(set(schemas)) == len(names)
    assert all(s.startswith("t_") and s.replace("_", "").isalnum() for s in schemas)
    with pytest.raises(InvalidInputError, match="too long"):
        tenant_schema("x" * 62)
    with pytest.raises(InvalidInputError, match="schema"):
        tenant_store("a", "postgresql://h/db?schema=mine")


def test_remove_keeps_the_schema_and_purge_drops_it(
    postgres_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(tmp_path)
    for name in ("kept", "gone"):
        assert main(["tenants", "add", name, "--tenants", root, "--db", postgres_database]) == 0
        with _opened(tmp_path, name):
            pass  # the first open makes the schema and its tables
    assert {"t_kept", "t_gone"} <= schemas_in(postgres_database)
    capsys.readouterr()

    assert main(["tenants", "remove", "kept", "--tenants", root]) == 0
    assert "t_kept is kept" in capsys.readouterr().out
    assert main(["tenants", "remove", "gone", "--tenants", root, "--purge"]) == 0
    assert "dropped its schema t_gone" in capsys.readouterr().out
    present = schemas_in(postgres_database)
    assert "t_kept" in present and "t_gone" not in present

    # the kept schema is a removed tenant's: a new tenant of that name is not handed it
    code = main(["tenants", "add", "kept", "--tenants", root, "--db", postgres_database])
    assert code != 0 and "t_kept" in capsys.readouterr().err
    discard_store(f"{postgres_database}?schema=t_kept")


def _opened(root: Path, name: str) -> Any:
    from memvault.hosting.host import open_tenant

    registry = TenantRegistry(root)
    return open_tenant(registry, registry.get(name), "hash", connections=1)


def schemas_in(database: str) -> set[str]:
    with psycopg.connect(database) as conn:
        return {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace")}


def test_a_db_only_tenant_on_postgresql_keeps_nothing_in_its_home(
    postgres_database: str, tmp_path: Path
) -> None:
    registry = TenantRegistry(tmp_path, create=True)
    tenant, _ = registry.add("bare", folder=False, database=postgres_database)
    assert tenant.store == f"{postgres_database}?schema=t_bare"
    assert TenantRegistry(tmp_path).get("bare").store == tenant.store  # kept in tenants.json
    try:
        with _opened(tmp_path, "bare") as vault:
            vault.remember("only on the server")
            assert vault.folder is None
        assert list((tmp_path / "bare").iterdir()) == []
        with psycopg.connect(postgres_database) as conn:
            rows = conn.execute("SELECT content FROM t_bare.memories").fetchall()
        assert rows == [("only on the server",)]
    finally:
        registry.remove("bare", purge=True)
    assert "t_bare" not in schemas_in(postgres_database)


def test_a_name_taken_on_the_server_by_another_hosting_folder_is_refused(
    postgres_database: str, tmp_path: Path
) -> None:
    first = TenantRegistry(tmp_path / "one", create=True)
    second = TenantRegistry(tmp_path / "two", create=True)
    first.add("twin", database=postgres_database)
    assert "t_twin" in schemas_in(postgres_database)  # claimed at add, before any open
    try:
        with pytest.raises(InvalidInputError, match="t_twin is on that server already"):
            second.add("twin", database=postgres_database)
        assert second.tenants() == [] and not (tmp_path / "two" / "twin").exists()
        assert "t_twin" in schemas_in(postgres_database)  # the first one's, untouched
        # a name taken in the registry itself makes no schema on the server
        with pytest.raises(InvalidInputError, match="exists already"):
            first.add("twin", database=postgres_database)
    finally:
        first.remove("twin", purge=True)
    assert "t_twin" not in schemas_in(postgres_database)

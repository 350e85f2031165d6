"""Every MCP tool through the SDK's in-process client: memories, notes, indexing, jobs and
stats end to end, and errors that are tool errors with a clear message, not crashes."""

from __future__ import annotations

import re
from pathlib import Path

from mcp import Client

from memvault.server.app import build_server
from memvault.service.vault import Vault
from tests.server.tool_client import call, fails, run

# --- every tool through the client -----------------------------------------------------------


def test_memory_tools_work_end_to_end(vault: Vault) -> None:
    async def scenario(client: Client) -> None:
        tea = await call(
            client, "remember", content="Alice prefers green tea", kind="preference", tags=["ali"]
        )
        assert tea["created"] is True
        again = await call(client, "remember", content="Alice prefers green tea")
        assert again == {"id": tea["id"], "created": False}
        coffee = await call(client, "remember", content="Bob drinks coffee every morning")

        hits = (await call(client, "search", query="green tea"))["hits"]
        assert hits[0]["id"] == tea["id"]
        assert hits[0]["content"] == "Alice prefers green tea"
        assert isinstance(hits[0]["relevance"], float)
        assert hits[0]["tags"] == ["ali"]
        assert "next_cursor" not in (await call(client, "search", query="green tea"))

        got = await call(client, "get", id=tea["id"])
        assert got["content"] == "Alice prefers green tea"
        assert got["kind"] == "preference"
        assert got["confidence"] == 0.5

        updated = await call(client, "update", id=tea["id"], content="Alice prefers oolong tea")
        assert updated["content"] == "Alice prefers oolong tea"
        assert (await call(client, "get", id=tea["id"]))["content"] == "Alice prefers oolong tea"
        hits = (await call(client, "search", query="oolong", mode="keyword"))["hits"]
        assert [h["id"] for h in hits] == [tea["id"]]

        up = await call(client, "validate", id=tea["id"], verdict="confirm")
        assert up["before"] == 0.5 and up["confidence"] > 0.5
        down = await call(client, "validate", id=tea["id"], verdict="refute", actor="bob")
        assert down["before"] == up["confidence"] and down["confidence"] < up["confidence"]
        assert (await call(client, "get", id=tea["id"]))["confidence"] == down["confidence"]

        edge = await call(client, "relate", source=tea["id"], target=coffee["id"])
        assert edge == {"source": tea["id"], "target": coffee["id"], "relation": "relates_to"}
        out = (await call(client, "neighbours", id=tea["id"]))["neighbours"]
        assert [(n["id"], n["direction"], n["depth"]) for n in out] == [(coffee["id"], "out", 1)]
        back = (await call(client, "neighbours", id=coffee["id"]))["neighbours"]
        assert [(n["id"], n["direction"]) for n in back] == [(tea["id"], "in")]
        assert (await call(client, "neighbours", id=tea["id"], relation="contradicts")) == {
            "neighbours": []
        }

        matcha = await call(client, "remember", content="Alice prefers matcha tea now")
        assert await call(client, "supersede", old_id=tea["id"], new_id=matcha["id"]) == {
            "superseded": tea["id"],
            "by": matcha["id"],
        }
        ids = [h["id"] for h in (await call(client, "search", query="Alice prefers tea"))["hits"]]
        assert matcha["id"] in ids and tea["id"] not in ids
        old = await call(client, "get", id=tea["id"])  # still readable, as history
        assert old["superseded_by"] == matcha["id"]

        # remember can supersede in the same call
        latte = await call(
            client, "remember", content="Alice prefers lattes these days", supersedes=matcha["id"]
        )
        ids = [h["id"] for h in (await call(client, "search", query="Alice prefers"))["hits"]]
        assert latte["id"] in ids and matcha["id"] not in ids

        assert await call(client, "forget", id=coffee["id"]) == {"forgotten": coffee["id"]}
        assert "no memory" in await fails(client, "get", id=coffee["id"])
        linked = (await call(client, "neighbours", id=tea["id"]))["neighbours"]
        assert coffee["id"] not in [n["id"] for n in linked]  # its edges went with it
        assert coffee["id"] not in [
            h["id"] for h in (await call(client, "search", query="coffee morning"))["hits"]
        ]

    run(build_server(vault), scenario)


def test_note_tools_work_end_to_end(vault: Vault) -> None:
    async def scenario(client: Client) -> None:
        alpha = await call(
            client,
            "note_write",
            path="projects/alpha.md",
            content="# Alpha\n\nSee [[beta]].\n\n## Status\n\nold status\n\n## Next\n\nship it\n",
            tags=["project"],
        )
        assert alpha["path"] == "projects/alpha.md" and alpha["id"]
        await call(client, "note_write", path="beta.md", content="Beta, linked to [[alpha]].\n")

        read = await call(client, "note_read", path="projects/alpha.md")
        assert read["id"] == alpha["id"]
        assert read["body"].startswith("# Alpha\n\nSee [[beta]].")
        assert read["tags"] == ["project"]
        assert read["links"] == ["beta.md"]
        assert read["backlinks"] == ["beta.md"]
        assert "next_cursor" not in read
        assert (await call(client, "note_read", path="beta.md"))["links"] == ["projects/alpha.md"]

        async def body(path: str) -> str:
            text: str = (await call(client, "note_read", path=path))["body"]
            return text

        await call(client, "note_edit", path="beta.md", append="appended line")
        await call(client, "note_edit", path="beta.md", prepend="prepended line")
        assert await body("beta.md") == (
            "prepended line\nBeta, linked to [[alpha]].\nappended line\n"
        )
        await call(
            client,
            "note_edit",
            path="projects/alpha.md",
            section="Status",
            section_content="new status",
        )
        after = await body("projects/alpha.md")
        assert "new status" in after and "old status" not in after and "ship it" in after
        await call(client, "note_edit", path="projects/alpha.md", find="ship it", replace="done")
        assert "done" in await body("projects/alpha.md")
        await call(client, "note_edit", path="beta.md", find="line", replace="LINE", expected=2)
        assert (await body("beta.md")).count("LINE") == 2

        # The notes are searchable, as chunks that say where they come from.
        hits = (await call(client, "search", query="new status"))["hits"]
        assert any(h.get("where", "").startswith("projects/alpha.md") for h in hits)

        listed = await call(client, "note_list")
        assert sorted(n["path"] for n in listed["notes"]) == ["beta.md", "projects/alpha.md"]
        assert [
            n["path"] for n in (await call(client, "note_list", folder="projects"))["notes"]
        ] == ["projects/alpha.md"]
        assert [n["path"] for n in (await call(client, "note_list", tag="project"))["notes"]] == [
            "projects/alpha.md"
        ]

        moved = await call(client, "note_move", path="beta.md", to="archive/beta.md")
        assert moved["path"] == "archive/beta.md"
        assert "no note" in await fails(client, "note_read", path="beta.md")
        assert (await call(client, "note_read", path="projects/alpha.md"))["backlinks"] == [
            "archive/beta.md"
        ]

        assert await call(client, "note_delete", path="archive/beta.md") == {
            "deleted": "archive/beta.md"
        }
        assert "no note" in await fails(client, "note_read", path="archive/beta.md")
        listed = await call(client, "note_list")
        assert [n["path"] for n in listed["notes"]] == ["projects/alpha.md"]

    run(build_server(vault), scenario)
    assert vault.folder is not None
    assert (vault.folder / "projects" / "alpha.md").is_file()
    assert not (vault.folder / "archive" / "beta.md").exists()


def test_index_path_jobs_and_stats(vault: Vault, tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "calc.py").write_text(
        "def add(a, b):\n    return a + b\n\n\ndef multiply_numbers(a, b):\n    return a * b\n"
    )

    async def scenario(client: Client) -> None:
        report = await call(client, "index_path", path=str(code))
        assert report["files"] == 1 and report["indexed"] == 1 and report["chunks"] >= 1
        assert report["problems"] == []
        hits = (await call(client, "search", query="multiply_numbers"))["hits"]
        assert hits, "the indexed code is found"
        where = hits[0]["where"]
        match = re.fullmatch(r"(.+):(\d+)-(\d+)", where)
        assert match, where
        assert Path(match[1]).name == "calc.py"
        assert int(match[2]) <= 5 <= int(match[3])
        assert "multiply_numbers" in hits[0]["content"]

        again = await call(client, "index_path", path=str(code))
        assert again["unchanged"] == 1 and again["indexed"] == 0

        jobs = await call(client, "jobs")
        assert jobs["failed"] == 0 and jobs["failures"] == []
        assert jobs["index_runs"][0]["state"] == "done"
        assert jobs["index_runs"][0]["files"] == "1/1"

        await call(client, "remember", content="one plain fact")
        stats = await call(client, "stats")
        assert stats["check"] == "ok"
        assert (stats["memories"], stats["current"], stats["by_kind"]) == (1, 1, {"fact": 1})
        assert (stats["files"], stats["notes"]) == (1, 0) and stats["chunks"] >= 1

    run(build_server(vault), scenario)


# --- errors are tool errors, not crashes -----------------------------------------------------


def test_errors_are_tool_errors_with_a_clear_message(vault: Vault) -> None:
    async def scenario(client: Client) -> None:
        assert "no memory with id nope" in await fails(client, "get", id="nope")
        assert "no memory with id nope" in await fails(client, "forget", id="nope")
        assert "content is empty" in await fails(client, "remember", content="")
        assert "content is empty" in await fails(client, "remember", content="   ")
        assert "out of its folder" in await fails(client, "note_write", path="../x.md", content="x")
        assert "out of its folder" in await fails(client, "note_read", path="../x.md")
        await call(client, "note_write", path="n.md", content="one two two")
        message = await fails(client, "note_edit", path="n.md", find="two", replace="2")
        assert "expected 1 occurrence(s) of 'two', found 2" in message
        assert (await call(client, "note_read", path="n.md"))["body"] == "one two two\n"
        assert "cursor is not one this server gave out" in await fails(
            client, "search", query="x", cursor="garbage"
        )
        assert "greater than or equal to 1" in await fails(client, "search", query="x", limit=0)
        assert "limit" in await fails(client, "note_list", limit=0)
        assert "verdict" in await fails(client, "validate", id="nope", verdict="maybe")
        assert "query" in await fails(client, "search")  # a required argument missing
        # The server is still up and answering.
        assert (await call(client, "stats"))["check"] == "ok"

    run(build_server(vault), scenario)


def test_a_cursor_only_continues_its_own_request(vault: Vault) -> None:
    for i in range(5):
        vault.remember(f"shared fact number {i}")

    async def scenario(client: Client) -> None:
        first = await call(client, "search", query="shared fact", limit=2)
        cursor = first["next_cursor"]
        message = await fails(client, "search", query="other words", limit=2, cursor=cursor)
        assert "different request" in message
        assert "different request" in await fails(client, "note_list", cursor=cursor)
        second = await call(client, "search", query="shared fact", limit=2, cursor=cursor)
        assert {h["id"] for h in second["hits"]}.isdisjoint(h["id"] for h in first["hits"])

    run(build_server(vault), scenario)


def test_remember_superseding_an_unknown_id_is_an_error_and_stores_nothing(vault: Vault) -> None:
    async def scenario(client: Client) -> None:
        message = await fails(client, "remember", content="new host", supersedes="no-such-id")
        assert message.endswith(": no memory with id no-such-id")
        assert (await call(client, "search", query="host"))["hits"] == []

    run(build_server(vault), scenario)
    assert vault.list() == []

"""The MCP server on a PostgreSQL store, driven by the official MCP Inspector over stdio: the
same tools, unchanged, over a home's Markdown folder with its index on the server."""

from __future__ import annotations

from pathlib import Path

from memvault.server.toolsets import DEFAULT, tools_for
from tests.server.test_inspector import check_a_session, stdio_target


def test_inspector_over_stdio_on_postgresql(postgres_url: str, home: Path, tmp_path: Path) -> None:
    target = stdio_target(home)
    at = target.index("--home")
    target[at:at] = ["--db", postgres_url]  # the global option, before --home and serve
    check_a_session(target, tmp_path, tools_for(DEFAULT))

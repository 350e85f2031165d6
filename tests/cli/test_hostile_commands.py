"""Every command, fed a table of hostile values for every argument and option: each run either
works or exits non-zero with one clear line on stderr, never a traceback.

The commands and their parameters are read from the typer app, so a new command or option is
covered the day it is added. Commands that run until stopped (``serve``, ``watch``) or run a
whole job on a valid input (``demo``, ``eval``) are fed values that must be refused before they
start. The paths in the table stay inside the test's folder: the suite may run as root.
"""

from __future__ import annotations

import io
import json
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperArgument, TyperOption

import memvault
from memvault.cli.app import app, main

LONG_RUNNING = {"serve", "watch", "demo", "eval"}


def commands() -> dict[str, Any]:
    """Every leaf command by its words (``note write``), the hidden plural alias left out."""
    found: dict[str, Any] = {}

    def walk(command: Any, words: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                if not getattr(sub, "hidden", False):
                    walk(sub, [*words, name])
        else:
            found[" ".join(words)] = command

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = commands()


def takes_value(param: Any) -> bool:
    return not getattr(param, "is_flag", False) and param.name != "json_out"


TEXT = [
    "",
    " \t ",
    "x" * 100_000,
    "../../../../etc/passwd",
    "\u202e\U0001f4a5 ünïcödé",
    "\udcff",  # undecodable bytes in argv become lone surrogates
    "'; DROP TABLE memories; --",
    '"unbalanced NEAR( * OR',
]
NUMBER = ["", "-1", "nan", "1e309", "99999999999999999999999"]
BY_NAME = {  # values aimed at what a parameter of that name parses
    "since": ["2026-13-45T99:99", "yesterday"],
    "until": ["2026-13-45T99:99"],
    "metadata": ["{not json", "[1, 2]"],
    "field_map": ["{not json", "content"],
}


def hostile_values(param: Any, tmp_path: Path) -> list[str]:
    """The table for one parameter, by what it parses. Paths stay inside ``tmp_path``."""
    kind = getattr(param, "type_descriptor", None)
    annotation = getattr(kind, "annotation", str)
    if annotation in (int, float):
        return NUMBER
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return ["", "NOT-A-CHOICE"]
    if annotation is Path:
        plain = tmp_path / "plain.txt"
        plain.write_text("a file, not a folder\n")
        missing = tmp_path / "no" / "such" / "place"
        return ["", str(missing), str(plain / "under-a-file"), str(tmp_path), "\udcff"]
    return TEXT + BY_NAME.get(param.name or "", [])


@pytest.fixture
def stocked(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A home with a memory, a note, a session, a JSONL source and a folder to aim at."""
    home = tmp_path / "home"
    source = tmp_path / "source.jsonl"
    source.write_text(json.dumps({"id": "1", "content": "imported text"}) + "\n")
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "a.py").write_text("def parse_config():\n    return 1\n")
    with memvault.open(home) as vault:
        first = vault.remember("Alice prefers green tea")
        second = vault.remember("Bob drinks coffee")
        vault.notes.write("notes/plan.md", "# Plan\n\nShip it.\n")
        session = vault.sessions.start(project="memvault")
    assert main(["--home", str(home), "import", "jsonl", str(source)]) == 0  # verify agrees
    valid = {
        "memory_id": first.id,
        "source_id": first.id,
        "target_id": second.id,
        "old_id": first.id,
        "new_id": second.id,
        "session_id": session.id,
        "verdict": "confirm",
        "query": "tea",
        "text": "hello",
        "kind": "jsonl",
        "source": str(source),
        "format": "jsonl",
        "path": "notes/plan.md",
        "target": "notes/moved.md",
    }
    return home, valid


def arguments(command: str, param: Any, value: str, valid: dict[str, str]) -> list[str]:
    """The command's words, every required argument at a valid value, ``param`` at ``value``."""
    words = command.split()
    args: list[str] = []
    for other in COMMANDS[command].params:
        if not isinstance(other, TyperArgument):
            continue
        if other is param:
            args.append(value)
        elif other.required or other.name in valid:
            name = other.name or ""
            if command == "index" and name == "path":
                args.append(valid["folder"])
            elif command == "note move" and name == "source":
                args.append(valid["path"])
            else:
                args.append(valid.get(name, "x"))
    if isinstance(param, TyperOption):
        args += [param.opts[0], value]
    return [*words, *args]


def cases() -> list[tuple[str, str]]:
    return [
        (command, param.name or "")
        for command, cmd in COMMANDS.items()
        if command not in LONG_RUNNING
        for param in cmd.params
        if takes_value(param)
    ]


def one_clean_line(code: int, err: str) -> bool:
    return code != 0 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("command", sorted({command for command, _ in cases()}))
def test_hostile_values_get_one_clean_line(
    command: str,
    stocked: tuple[Path, dict[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, valid = stocked
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))  # nothing piped in
    monkeypatch.chdir(tmp_path)  # relative paths in the table land here
    valid["folder"] = str(tmp_path / "code")
    problems: list[str] = []
    for param in COMMANDS[command].params:
        if not takes_value(param):
            continue
        for value in hostile_values(param, tmp_path):
            argv = ["--home", str(home), *arguments(command, param, value, valid)]
            capsys.readouterr()
            try:
                code = main(argv)
            except BaseException as exc:  # a crash: the test reports it with the others
                problems.append(f"{param.name}={value[:30]!r}: {type(exc).__name__}: {exc}")
                continue
            err = capsys.readouterr().err
            if code != 0 and not one_clean_line(code, err):
                problems.append(f"{param.name}={value[:30]!r}: exit {code}, stderr {err[:300]!r}")
    assert not problems, f"memvault {command}:\n" + "\n".join(problems)


def test_the_table_covers_every_command_but_the_long_running() -> None:
    covered = {command for command, _ in cases()}
    assert {"remember", "search", "note write", "session log", "import", "backup"} <= covered
    assert not covered & LONG_RUNNING


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--http", "not-a-host:port"],
        ["serve", "--http", "127.0.0.1:99999999"],
        ["serve", "--budget", "-5"],
        ["serve", "--budget", "nan"],
        ["eval", "/nonexistent/dataset"],
        ["eval", "x" * 5_000],
        ["demo", "--home", "\udcff/\x7f"],
    ],
)
def test_long_running_commands_refuse_bad_values_before_starting(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--home", str(tmp_path / "home"), *argv])
    assert one_clean_line(code, capsys.readouterr().err)


def test_clean_line_rule() -> None:
    assert one_clean_line(1, "error: no memory with id 'x'\n")
    assert not one_clean_line(1, "Traceback (most recent call last):\n  File ...\n")
    assert not one_clean_line(1, "")
    assert not one_clean_line(0, "")


def test_every_hostile_value_is_something_a_shell_can_pass(tmp_path: Path) -> None:
    for command in COMMANDS.values():
        for param in command.params:
            values = hostile_values(param, tmp_path)
            assert all(isinstance(value, str) and "\x00" not in value for value in values)

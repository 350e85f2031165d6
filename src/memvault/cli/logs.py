"""The home's log file: what the server, the worker, importers, backups and repairs did.

Every command writes its ``memvault.*`` log records (``--log-level``, default info) as JSON
lines to ``HOME/logs/memvault.log``; several processes share it safely and it rotates at
5 MB, keeping 5 older files (``concurrent-log-handler`` locks around each write and rotation,
which the stdlib's handler does not). Nothing is written for a home that does not exist yet: a
mistyped ``--home`` must not create folders. Errors shown to a user stay one line on stderr;
the log has them too, with the command that met them. ``memvault logs`` reads the files back,
oldest first, and follows them across rotations.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from memvault.cli.memories import JsonFlag
from memvault.cli.state import state
from memvault.core.errors import InvalidInputError
from memvault.core.home import database_path, folder_path, log_path
from memvault.core.times import parse_timestamp

MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "off": 100}
_ROOT = logging.getLogger("memvault")
_handler: logging.Handler | None = None
_level = "info"  # the last open_log's level (move_log keeps it)
_echo: logging.Handler | None = None
_SPAN = re.compile(r"(\d+)\s*([smhd])")


def printable(text: str) -> str:
    """``text`` with lone surrogates (undecodable bytes of a path or an argument) escaped: a
    log line must stay valid UTF-8 for every reader of the file."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        data: dict[str, Any] = {
            "at": at.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": printable(record.getMessage()),
        }
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class _HomeExists(logging.Filter):
    def __init__(self, home: Path) -> None:
        super().__init__()
        self._home = home

    def filter(self, record: logging.LogRecord) -> bool:
        return self._home.exists()


def open_log(home_or_db: Path | None, level: str) -> None:
    """Send this process's memvault log records to the home's log file (replacing an earlier
    call's: the test suite runs many commands in one process). None: a server store with no
    home, which has no log file (a server's warnings still reach its stderr)."""
    global _handler, _level
    close_log()
    _level = level
    _ROOT.propagate = False  # the file (and a server's stderr) only: never a second error line
    if level == "off" or home_or_db is None:
        _handler = logging.NullHandler()
        _ROOT.addHandler(_handler)
        return
    path = log_path(home_or_db)
    _ROOT.setLevel(LEVELS[level])
    db_only = folder_path(home_or_db) is None
    handler = _LazyFile(path)
    handler.setFormatter(JsonLines())
    handler.addFilter(_HomeExists(database_path(home_or_db) if db_only else home_or_db))
    _ROOT.addHandler(handler)
    _handler = handler


def move_log(home: Path) -> None:
    """Log to ``home``'s log file from now on, at the level asked for (a hosted server logs to
    its hosting folder, ``DIR/logs/memvault.log``, not to the default home)."""
    open_log(home, _level)


def failed(line: str) -> None:
    """A command's failure, for the log (only once a log is open: a malformed command line
    fails before the options that name the home are read)."""
    if _handler is not None:
        logging.getLogger("memvault.cli").warning("command failed: %s", printable(line))


def close_log() -> None:
    global _handler, _echo
    for handler in (_handler, _echo):
        if handler is not None:
            _ROOT.removeHandler(handler)
            handler.close()
    _handler = _echo = None


def echo_warnings() -> None:
    """A server's warnings go to its stderr as well as to the file (stdout is the protocol's);
    a failed command's own line is printed by ``main`` already, so it is left out here."""
    global _echo
    if _echo is None:
        _echo = _Stderr(logging.WARNING)
        _echo.addFilter(lambda record: record.name != "memvault.cli")
        _ROOT.addHandler(_echo)


class _Stderr(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"memvault: {record.levelname} {record.getMessage()}\n")


def _rotating_file(path: Path) -> logging.Handler:
    """The multi-process rotating file handler, imported here: a command that logs nothing
    (``--help`` among them) does not pay for portalocker and friends."""
    from concurrent_log_handler import ConcurrentRotatingFileHandler

    class QuietRotatingFile(ConcurrentRotatingFileHandler):
        def handleError(self, record: logging.LogRecord) -> None:
            """As :meth:`_LazyFile.handleError`: a failed log write prints nothing."""

    return QuietRotatingFile(str(path), maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")


class _LazyFile(logging.Handler):
    """Opens the rotating file at the first record (a command that logs nothing touches no
    file), making its folder then."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._file is None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._file = _rotating_file(self._path)
                self._file.setFormatter(self.formatter or JsonLines())
            self._file.emit(record)
        except Exception:  # a log that cannot be written must never fail the command
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """Nothing: a full disk or a read-only home must not add a traceback to the one line
        the user is shown (the log is what is failing; there is nowhere to say so)."""

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(Exception):  # its last flush may meet the same full disk
                self._file.close()
            self._file = None
        super().close()


# --- memvault logs ------------------------------------------------------------------------------
def logs(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="An ISO time, or a span back from now: 30m, 2h, 7d.")
    ] = None,
    level: Annotated[str, typer.Option(help="The lowest level shown.")] = "info",
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, max=1_000_000)] = 200,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """What this home's server, workers, imports, backups and repairs did (newest last)."""
    cli = state(ctx)
    path = log_path(cli.location)
    if level not in LEVELS or level == "off":
        raise InvalidInputError(f"level must be one of debug, info, warning, error, not {level!r}")
    cutoff = _since(since)
    shown = [r for r in _records(path) if _wanted(r, LEVELS[level], cutoff)][-lines:]
    for record in shown:
        _print(record, json_out)
    if follow:
        for record in _follow(path):
            if _wanted(record, LEVELS[level], cutoff):
                _print(record, json_out)


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    span = _SPAN.fullmatch(text.strip().lower())
    if span:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[span.group(2)]
        return datetime.now(UTC) - timedelta(**{unit: int(span.group(1))})
    return parse_timestamp(text)


def _wanted(record: dict[str, Any], floor: int, cutoff: datetime | None) -> bool:
    if LEVELS.get(str(record.get("level")), 20) < floor:
        return False
    if cutoff is None:
        return True
    try:
        return parse_timestamp(str(record.get("at", ""))) >= cutoff
    except InvalidInputError:  # a line that is not ours: shown only without --since
        return False


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """Every record of the log and its rotated files, oldest first."""
    files = [Path(f"{path}.{n}") for n in range(BACKUPS, 0, -1)] + [path]
    for file in files:
        if file.exists():
            with file.open(encoding="utf-8", errors="replace") as handle:
                yield from (_parse(line) for line in handle if line.strip())


def _parse(line: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except ValueError:
        return {"message": line.rstrip("\n")}
    return data if isinstance(data, dict) else {"message": line.rstrip("\n")}


def _follow(path: Path) -> Iterator[dict[str, Any]]:
    """New lines as they are written; a rotation (the file replaced) is followed."""
    handle = path.open(encoding="utf-8", errors="replace") if path.exists() else None
    if handle is not None:
        handle.seek(0, 2)
    inode = path.stat().st_ino if path.exists() else None
    try:
        while True:
            line = handle.readline() if handle is not None else ""
            if line:
                yield _parse(line)
                continue
            time.sleep(0.3)
            now = path.stat().st_ino if path.exists() else None
            if now != inode:  # rotated or created: read the new file from its start
                if handle is not None:
                    handle.close()
                handle = path.open(encoding="utf-8", errors="replace") if now else None
                inode = now
    finally:
        if handle is not None:
            handle.close()


def _print(record: dict[str, Any], json_out: bool) -> None:
    if json_out:
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    level = str(record.get("level", "")).upper()
    head = f"{record.get('at', '?')} {level:7} {record.get('logger', '')}"
    pid = f"[{record['pid']}]" if "pid" in record else ""
    sys.stdout.write(f"{head}{pid}: {record.get('message', '')}\n")
    if "error" in record:
        sys.stdout.write(f"{record['error']}\n")

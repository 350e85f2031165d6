"""The ``memvault`` command: global options, command registration, and error handling.

Every failure a user can cause ends as one line on stderr (``memvault: error: …``) and a
non-zero exit: 2 for a malformed command line, 3 when a record does not exist, 1 otherwise.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from memvault.cli import (
    admin,
    backup,
    context,
    copying,
    entities,
    evaluate,
    files,
    graph,
    imports,
    jobs,
    judge,
    logs,
    maintenance,
    memories,
    search,
    serve,
    tenant_operations,
    ui,
)
from memvault.cli.notes import note_app
from memvault.cli.sessions import session_app
from memvault.cli.state import CliState
from memvault.cli.tenants import tenants_app
from memvault.core.errors import InvalidInputError, MemvaultError, NotFoundError
from memvault.core.home import database_path, is_url, resolve_home

app = typer.Typer(
    name="memvault",
    help="Persistent memory for AI agents, in one SQLite file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def global_options(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", envvar="MEMVAULT_HOME", help="Vault home folder (default ~/.memvault)."
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="MEMVAULT_DB",
            help="Database file (instead of a home), or a store URL: postgresql://USER@HOST/DB.",
        ),
    ] = None,
    embedder: Annotated[
        str | None,
        typer.Option(
            "--embedder",
            envvar="MEMVAULT_EMBEDDER",
            help="bundled | bundled:e5-small | ollama:MODEL | openai:MODEL | none.",
        ),
    ] = None,
    log_level: Annotated[
        str,
        typer.Option(
            "--log-level",
            envvar="MEMVAULT_LOG_LEVEL",
            help="debug | info | warning | error | off (the home's logs/memvault.log).",
        ),
    ] = "info",
) -> None:
    """--db names the database file directly (DB-only: no Markdown folder) and wins over --home /
    MEMVAULT_HOME. --db URL names a server store: DB-only, or with --home the home's Markdown
    folder (and logs) over that store."""
    if log_level.lower() not in logs.LEVELS:
        raise InvalidInputError(f"--log-level must be one of {', '.join(logs.LEVELS)}")
    if db is not None and is_url(db):
        ctx.obj = CliState(db, embedder=embedder, home=home)
        ctx.call_on_close(ctx.obj.close)
        logs.open_log(home, log_level.lower())
        return
    chosen = Path(db) if db is not None else resolve_home(home)
    ctx.obj = CliState(
        database_path(chosen), embedder=embedder, home=None if db is not None else chosen
    )
    ctx.call_on_close(ctx.obj.close)
    logs.open_log(chosen, log_level.lower())


app.command()(admin.init)
app.command()(memories.remember)
app.command()(memories.get)
app.command()(memories.update)
app.command()(memories.forget)
app.command("list")(memories.list_memories)
app.command()(search.search)
app.command()(graph.relate)
app.command()(graph.neighbours)
app.command()(entities.entities)
app.command()(entities.entity)
app.command()(graph.supersede)
app.command()(graph.validate)
app.command()(admin.stats)
app.command()(admin.check)
app.command()(maintenance.repair)
app.command()(maintenance.compact)
app.command()(backup.backup)
app.command()(backup.restore)
app.command()(logs.logs)
app.command()(judge.judge)
app.add_typer(judge.gold_app)
app.command()(admin.demo)
app.command("jobs")(jobs.jobs_command)
app.command()(jobs.reembed)
app.command("eval")(evaluate.evaluate)
app.add_typer(note_app)
app.add_typer(session_app)
app.add_typer(tenants_app)
app.add_typer(session_app, name="sessions", hidden=True)  # the plural some docs use
app.command()(context.context)
app.command()(context.costs)
app.command()(files.reindex)
app.command()(files.index)
app.command()(files.watch)
app.command()(serve.serve)
app.command()(ui.ui)
app.command("import")(imports.import_command)
app.command("verify")(imports.verify_command)
app.command("export")(imports.export_command)
app.command("copy")(copying.copy_command)
for _verb in ("backup", "restore", "check", "export"):  # the home's commands, per tenant
    tenants_app.command(_verb)(getattr(tenant_operations, _verb))


def _fail(message: str, code: int, kind: str, as_json: bool) -> int:
    """One line on stderr: text for people, or, under ``--json``, an object for scripts."""
    line = " ".join(str(message).split())
    if as_json:
        error = {"error": line, "kind": kind, "exit_code": code}
        sys.stderr.write(json.dumps(error, ensure_ascii=False) + "\n")
    else:
        sys.stderr.write(f"memvault: error: {line}\n")
    logs.failed(line)
    logs.close_log()
    return code


def _kind(exc: BaseException) -> str:
    """``NotFoundError`` → ``not_found``: a name a script can match on."""
    name = type(exc).__name__.removesuffix("Error") or "error"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def main(argv: list[str] | None = None) -> int:
    command = typer.main.get_command(app)
    for stream in (sys.stdout, sys.stderr):
        # Undecodable bytes in an argument or a file name become lone surrogates; echoing one
        # back (a path in a message) must print it escaped, not crash the command.
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure):
            reconfigure(errors="backslashreplace")
    args = sys.argv[1:] if argv is None else argv
    as_json = "--json" in args
    try:
        result = command.main(args=argv, prog_name="memvault", standalone_mode=False)
    except typer.exceptions.TyperException as exc:  # typer's own click: usage and parameter errors
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        return _fail(message, int(getattr(exc, "exit_code", 2)), "usage", as_json)
    except typer.Abort:
        return _fail("aborted", 130, "aborted", as_json)
    except NotFoundError as exc:
        return _fail(str(exc), 3, _kind(exc), as_json)
    except MemvaultError as exc:
        return _fail(str(exc), 1, _kind(exc), as_json)
    except OSError as exc:  # a path the user gave: missing, a folder, unwritable, disk full
        where = f": {exc.filename}" if exc.filename else ""
        return _fail(f"{exc.strerror or exc}{where}", 1, _kind(exc), as_json)
    except KeyboardInterrupt:
        return _fail("interrupted", 130, "interrupted", as_json)
    except BrokenPipeError:
        return 0
    logs.close_log()
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()

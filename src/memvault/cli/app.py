"""The ``memvault`` command: global options, command registration, and error handling.

Every failure a user can cause ends as one line on stderr (``memvault: error: …``) and a
non-zero exit: 2 for a malformed command line, 3 when a record does not exist, 1 otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from memvault.cli import (
    admin,
    backup,
    context,
    evaluate,
    files,
    graph,
    imports,
    jobs,
    maintenance,
    memories,
    search,
    serve,
)
from memvault.cli.notes import note_app
from memvault.cli.sessions import session_app
from memvault.cli.state import CliState
from memvault.core.errors import MemvaultError, NotFoundError
from memvault.core.home import database_path, resolve_home

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
        Path | None, typer.Option("--db", help="Database file (instead of a home).")
    ] = None,
    embedder: Annotated[
        str | None,
        typer.Option(
            "--embedder",
            envvar="MEMVAULT_EMBEDDER",
            help="bundled | bundled:e5-small | ollama:MODEL | openai:MODEL | none.",
        ),
    ] = None,
) -> None:
    """--db names the database file directly (DB-only: no Markdown folder) and wins over --home /
    MEMVAULT_HOME."""
    chosen = db if db is not None else resolve_home(home)
    ctx.obj = CliState(
        database_path(chosen), embedder=embedder, home=None if db is not None else chosen
    )
    ctx.call_on_close(ctx.obj.close)


app.command()(admin.init)
app.command()(memories.remember)
app.command()(memories.get)
app.command()(memories.update)
app.command()(memories.forget)
app.command("list")(memories.list_memories)
app.command()(search.search)
app.command()(graph.relate)
app.command()(graph.neighbours)
app.command()(graph.supersede)
app.command()(graph.validate)
app.command()(admin.stats)
app.command()(admin.check)
app.command()(maintenance.repair)
app.command()(maintenance.compact)
app.command()(backup.backup)
app.command()(backup.restore)
app.command()(admin.demo)
app.command("jobs")(jobs.jobs_command)
app.command()(jobs.reembed)
app.command("eval")(evaluate.evaluate)
app.add_typer(note_app)
app.add_typer(session_app)
app.add_typer(session_app, name="sessions", hidden=True)  # the plural some docs use
app.command()(context.context)
app.command()(context.costs)
app.command()(files.reindex)
app.command()(files.index)
app.command()(files.watch)
app.command()(serve.serve)
app.command("import")(imports.import_command)
app.command("verify")(imports.verify_command)
app.command("export")(imports.export_command)


def _fail(message: str, code: int) -> int:
    line = " ".join(str(message).split())
    sys.stderr.write(f"memvault: error: {line}\n")
    return code


def main(argv: list[str] | None = None) -> int:
    command = typer.main.get_command(app)
    for stream in (sys.stdout, sys.stderr):
        # Undecodable bytes in an argument or a file name become lone surrogates; echoing one
        # back (a path in a message) must print it escaped, not crash the command.
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure):
            reconfigure(errors="backslashreplace")
    try:
        result = command.main(args=argv, prog_name="memvault", standalone_mode=False)
    except typer.exceptions.TyperException as exc:  # typer's own click: usage and parameter errors
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        return _fail(message, int(getattr(exc, "exit_code", 2)))
    except typer.Abort:
        return _fail("aborted", 130)
    except NotFoundError as exc:
        return _fail(str(exc), 3)
    except MemvaultError as exc:
        return _fail(str(exc), 1)
    except OSError as exc:  # a path the user gave: missing, a folder, unwritable, disk full
        where = f": {exc.filename}" if exc.filename else ""
        return _fail(f"{exc.strerror or exc}{where}", 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return 0
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()

"""``memvault serve``: the MCP server, over stdio (default) or streamable HTTP with the web page
beside it."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer

from memvault.cli.logs import echo_warnings, move_log
from memvault.cli.session_reads import describe_prune
from memvault.cli.state import state
from memvault.core.errors import InvalidInputError, MemvaultError
from memvault.core.inputs import MAX_TOKEN_BUDGET, MIN_TOKEN_BUDGET
from memvault.server.toolsets import DEFAULT, tools_for

if TYPE_CHECKING:  # for annotations only: start-up stays light
    from starlette.types import ASGIApp

    from memvault.folder.watcher import FolderWatcher
    from memvault.indexing.roots import IndexRoots
    from memvault.server.http import HttpAccess
    from memvault.service.vault import Vault
    from memvault.web import WebAuth

TOKEN_ENV = "MEMVAULT_TOKEN"
log = logging.getLogger("memvault.serve")


def serve(
    ctx: typer.Context,
    http: Annotated[
        str | None,
        typer.Option("--http", metavar="HOST:PORT", help="Serve streamable HTTP at /mcp."),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(help=f"File holding the bearer token (else ${TOKEN_ENV})."),
    ] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="No token (only on a loopback address).")
    ] = False,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(help="Another Host header to accept, e.g. mem.internal:8765 (repeatable)."),
    ] = None,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(help="A browser Origin to accept, e.g. https://app.example (repeatable)."),
    ] = None,
    budget: Annotated[
        int,
        typer.Option(
            help="Token budget of one tool response.",
            min=MIN_TOKEN_BUDGET,
            max=MAX_TOKEN_BUDGET,
        ),
    ] = 2_000,
    watch: Annotated[
        bool, typer.Option(help="Index outside edits of the Markdown folder while serving.")
    ] = True,
    tools: Annotated[
        str,
        typer.Option(
            help="Tools to list: core (default: what an agent uses every session), all, or "
            "groups and names, e.g. core,graph,notes,files,sessions,admin.",
        ),
    ] = DEFAULT,
    web: Annotated[
        bool, typer.Option(help="Serve the web page at / beside /mcp (with --http).")
    ] = True,
    index_root: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="DIR",
            help="A folder index_path may read (repeatable). Default: none over HTTP, the "
            "current folder over stdio (none when that is /).",
        ),
    ] = None,
    tenants: Annotated[
        Path | None,
        typer.Option(
            "--tenants",
            metavar="DIR",
            help="Host the tenants of DIR (memvault tenants add), each by its own token.",
        ),
    ] = None,
    max_open: Annotated[
        int, typer.Option(min=1, max=100_000, help="With --tenants: most vaults kept open.")
    ] = 64,
    idle_seconds: Annotated[
        float, typer.Option(min=1, help="With --tenants: close a vault unused this long.")
    ] = 300,
    embed_threads: Annotated[
        int, typer.Option(min=1, max=64, help="With --tenants: threads embedding for all.")
    ] = 1,
) -> None:
    """Serve memvault to MCP clients (Claude Code, Claude Desktop, Cursor, …)."""
    # stdout belongs to the protocol on stdio: everything else goes to stderr.
    logging.basicConfig(level=logging.WARNING, format="memvault: %(levelname)s %(message)s")
    echo_warnings()  # memvault's own records: the log file, and warnings here too
    listed = tools_for(tools)
    roots = _index_roots(index_root, over_http=http is not None)
    if http is None:
        run_server(ctx, None, listed=listed, tools=tools, roots=roots, budget=budget, watch=watch)
        return
    from memvault.server.http import HttpAccess, is_loopback, listen

    address = _address(http)
    if tenants is not None:
        if token_file is not None or no_auth or index_root:
            raise InvalidInputError(
                "--tenants takes no --token-file, --no-auth or --index-root: each tenant has "
                "its own tokens (memvault tenants), and index_path reads no server folder"
            )
        move_log(tenants)  # DIR/logs/memvault.log: the server's, not a tenant's or ~/.memvault's
        echo_warnings()
        hosted = HostedOptions(tenants, max_open, idle_seconds, embed_threads)
        access = HttpAccess.for_address(*address, None, allow_host or (), allow_origin or ())
        endpoint = HttpEndpoint(address, access, listen(*address), web=web)
        run_hosted(endpoint, hosted, listed=listed, tools=tools, budget=budget)
        return
    token = read_token(token_file)
    if token is None and not no_auth:
        raise InvalidInputError(
            f"serving HTTP needs a bearer token: set ${TOKEN_ENV} or pass --token-file "
            "(or --no-auth on a loopback address)"
        )
    if no_auth and not is_loopback(address[0]):
        raise InvalidInputError("--no-auth is only allowed on a loopback address")
    access = HttpAccess.for_address(
        *address, None if no_auth else token, allow_host or (), allow_origin or ()
    )
    sock = listen(*address)  # before the vault opens: a port in use changes nothing
    endpoint = HttpEndpoint(address, access, sock, web=web)
    run_server(ctx, endpoint, listed=listed, tools=tools, roots=roots, budget=budget, watch=watch)


@dataclass(frozen=True)
class HttpEndpoint:
    """Where and how a server answers HTTP; ``opened`` hears the web page's base URL and its
    login (``memvault ui`` opens the browser there)."""

    address: tuple[str, int]
    access: HttpAccess
    sock: socket.socket
    web: bool = True
    opened: Callable[[str, WebAuth], None] | None = None


def run_server(
    ctx: typer.Context,
    endpoint: HttpEndpoint | None,
    *,
    listed: Sequence[ModuleType],
    tools: str,
    roots: IndexRoots,
    budget: int,
    watch: bool,
) -> None:
    """Open the vault and serve it over stdio (``endpoint`` None) or HTTP until stopped."""
    from memvault.server.app import build_server
    from memvault.server.budget import Budget

    vault = state(ctx).vault(background=True, create=True)
    vault.limit_indexing(roots)
    apply_retention(vault)
    vault.embed_in_background()  # also jobs left queued by earlier processes
    ready = threading.Event()
    server = build_server(vault, Budget(budget), listed, ready=ready)
    backups = vault.backup_timer()  # a period's backup missed while the machine was off runs now
    backups.start()
    first_sync = _FirstSync(vault, watch=watch and vault.folder is not None, ready=ready)
    try:
        if endpoint is None:
            from memvault.server.stdio import run_stdio

            _announce(f"serving MCP over stdio; {len(listed)} tools ({tools}); {roots.describe()}")
            run_stdio(server)
        else:
            from memvault.server.http import MCP_PATH, run_http

            host, port = endpoint.address
            base = f"http://{host}:{port}"
            pages = None
            if endpoint.web:
                from memvault.web import WebAuth, build_pages

                auth = WebAuth(endpoint.access.token)
                pages = build_pages(vault, auth, ready=ready)
                if endpoint.opened is not None:
                    endpoint.opened(base, auth)
            page = f"; the web page at {base}/" if endpoint.web else ""
            _announce(
                f"serving MCP at {base}{MCP_PATH}{page}; {len(listed)} tools ({tools}); "
                f"{roots.describe()}"
            )
            run_http(server, endpoint.sock, endpoint.access, pages)
    finally:
        backups.stop()
        first_sync.stop()


@dataclass(frozen=True)
class HostedOptions:
    tenants: Path
    max_open: int
    idle_seconds: float
    embed_threads: int


def run_hosted(
    endpoint: HttpEndpoint,
    options: HostedOptions,
    *,
    listed: Sequence[ModuleType],
    tools: str,
    budget: int,
) -> None:
    """Serve every tenant of a hosting folder over HTTP until stopped (``--tenants``), with the
    web page at ``/`` (each tenant logs in with its own token and sees its own vault only)."""
    from memvault.hosting.host import Host
    from memvault.hosting.registry import TenantRegistry
    from memvault.server.app import build_server
    from memvault.server.budget import Budget
    from memvault.server.http import MCP_PATH, run_http
    from memvault.server.tenants import PageTenant, TenantGate

    registry = TenantRegistry(options.tenants)
    host = Host(
        registry,
        max_open=options.max_open,
        idle_seconds=options.idle_seconds,
        embed_threads=options.embed_threads,
    )
    server = build_server(None, Budget(budget), listed, before_adding=host.check_current)
    pages: ASGIApp | None = None
    page_tenant: PageTenant | None = None  # the tenant of a page request: its session's
    if endpoint.web:
        from memvault.web import TenantAuth, build_pages

        auth = TenantAuth(registry)
        pages = build_pages(None, auth, before_adding=host.check_current)
        page_tenant = auth.page_tenant
    host.start()
    try:
        host_name, port = endpoint.address
        base = f"http://{host_name}:{port}"
        page = f"; the web page at {base}/" if endpoint.web else ""
        _announce(
            f"serving {len(registry.tenants())} tenants of {options.tenants} at "
            f"{base}{MCP_PATH}{page}; {len(listed)} tools ({tools}); at most "
            f"{options.max_open} open"
        )
        run_http(
            server,
            endpoint.sock,
            endpoint.access,
            pages,
            lambda app: TenantGate(app, host, page_tenant=page_tenant),
        )
    finally:
        host.stop()


class _FirstSync:
    """The folder's first sync, then its watcher, on a thread of their own while the client
    starts: the sync reads every file's state (0.24 s CPU at 1k memory files, seconds for a
    large folder), and the client's tools/list waited for it. Tools wait for ``ready`` (see
    ``ToolContext.vault``), so no call sees the folder before it was synced."""

    def __init__(self, vault: Vault, *, watch: bool, ready: threading.Event) -> None:
        self._vault = vault
        self._ready = ready
        self._watcher: FolderWatcher | None = None
        self._thread: threading.Thread | None = None
        if not watch:
            ready.set()
            return
        self._thread = threading.Thread(target=self._run, name="memvault-first-sync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._vault.sync()
            watcher = self._vault.watcher()
            watcher.start()
            self._watcher = watcher
        except Exception as exc:  # serving goes on, with the folder as it was last synced
            log.warning("the folder's first sync or its watcher failed: %s", exc)
        finally:
            self._ready.set()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.join()
        if self._watcher is not None:
            self._watcher.stop()


def apply_retention(vault: Vault) -> None:
    """The vault's retention rules, applied once at start (a long-lived server is where idle
    sessions pile up). What it removed is logged; a failure is logged too, and serving goes on:
    retention can wait for the next start, the agents waiting for the server cannot."""
    try:
        report = vault.sessions.prune()
    except MemvaultError as exc:
        log.warning("retention did not run: %s", exc)
        return
    if report.archived or report.deleted:
        log.warning("retention: %s", describe_prune(report))
    else:
        log.info("retention: %s", describe_prune(report))


def _index_roots(given: list[Path] | None, *, over_http: bool) -> IndexRoots:
    """The folders index_path may read. Over HTTP a client may be anyone with the token, so
    none unless named; over stdio the client is the user's own agent, started in the folder
    it works on (a desktop app that starts it in / gets none)."""
    from memvault.indexing.roots import IndexRoots

    if given:
        return IndexRoots.of(given)
    cwd = Path.cwd()
    return IndexRoots.of([] if over_http or cwd == Path(cwd.anchor) else [cwd])


def _announce(line: str) -> None:
    log.info(line)
    sys.stderr.write(f"memvault: {line}\n")
    sys.stderr.flush()


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInputError(f"--http wants HOST:PORT, e.g. 127.0.0.1:8765, not {text!r}")
    return host, int(port)


def read_token(token_file: Path | None) -> str | None:
    if token_file is not None:
        try:
            token = token_file.read_text("utf-8").strip()
        except OSError as exc:
            raise InvalidInputError(f"cannot read --token-file {token_file}: {exc}") from exc
        if not token:
            raise InvalidInputError(f"--token-file {token_file} is empty")
        return token
    return os.environ.get(TOKEN_ENV, "").strip() or None

"""``memvault ui``: the web page of this home on a loopback port, opened in the browser.

It is ``memvault serve --http 127.0.0.1:PORT`` with ``$MEMVAULT_TOKEN``, or else a fresh random
token that is never shown: the browser is sent a one-time login link instead (it works once, for
two minutes), so a link left in the history or seen over a shoulder opens nothing. With
``$MEMVAULT_TOKEN`` set, a browser can also log in with it once the link has expired.
"""

from __future__ import annotations

import secrets
import sys
import threading
import webbrowser
from typing import TYPE_CHECKING, Annotated

import typer

from memvault.cli.logs import echo_warnings
from memvault.cli.serve import HttpEndpoint, read_token, run_server
from memvault.server.toolsets import DEFAULT, tools_for

if TYPE_CHECKING:
    from memvault.web import WebAuth

HOST = "127.0.0.1"


def ui(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option(help="Port on 127.0.0.1 (0: a free one).", min=0, max=65535)
    ] = 0,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the page in the default browser.")
    ] = True,
) -> None:
    """Open the web page (search, memories, notes, graph, jobs, sessions) on this machine, with
    a one-time login link (and $MEMVAULT_TOKEN, when set)."""
    from memvault.indexing.roots import IndexRoots
    from memvault.server.http import HttpAccess, listen

    echo_warnings()
    sock = listen(HOST, port)
    chosen = int(sock.getsockname()[1])
    token = read_token(None) or secrets.token_urlsafe(24)
    access = HttpAccess.for_address(HOST, chosen, token)

    def opened(base: str, auth: WebAuth) -> None:
        link = f"{base}/login?code={auth.one_time_code()}"
        sys.stderr.write(f"memvault: the web page is at {base}/ (one-time login link: {link})\n")
        sys.stderr.flush()
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(link,), daemon=True).start()

    run_server(
        ctx,
        HttpEndpoint((HOST, chosen), access, sock, opened=opened),
        listed=tools_for(DEFAULT),
        tools=DEFAULT,
        roots=IndexRoots.of([]),
        budget=2_000,
        watch=True,
    )

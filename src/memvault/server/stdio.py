"""Serving over stdio until the client closes stdin, or SIGTERM / SIGINT arrive.

The SDK reads stdin in a blocking thread, which a signal cannot interrupt: SIGINT would hang
until stdin closed and SIGTERM would kill the process before the vault is closed. Reading a pipe
with ``anyio.wait_readable`` instead lets a signal cancel the server cleanly (an in-flight tool
call finishes first), so the vault closes and its embedding worker releases its jobs.
"""

from __future__ import annotations

import os
import signal
import stat
from collections.abc import AsyncIterator

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server


class _CancellableStdin:
    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        fd = 0
        was_blocking = os.get_blocking(fd)
        os.set_blocking(fd, False)
        buffer = b""
        try:
            while True:
                await anyio.wait_readable(fd)
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    if buffer:
                        yield buffer.decode("utf-8", "replace")
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    yield line.decode("utf-8", "replace") + "\n"
        finally:
            os.set_blocking(fd, was_blocking)


async def serve_stdio(server: MCPServer) -> None:
    mode = os.fstat(0).st_mode
    stdin = _CancellableStdin() if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) else None
    async with anyio.create_task_group() as group:

        async def stop_on_signal() -> None:
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                async for _ in signals:
                    group.cancel_scope.cancel()
                    return

        group.start_soon(stop_on_signal)
        lowlevel = server._lowlevel_server  # what MCPServer.run_stdio_async uses, with our stdin
        async with stdio_server(stdin=stdin) as (read, write):  # type: ignore[arg-type]
            await lowlevel.run(read, write, lowlevel.create_initialization_options())
        group.cancel_scope.cancel()


def run_stdio(server: MCPServer) -> None:
    anyio.run(serve_stdio, server)

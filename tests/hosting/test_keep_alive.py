"""A kept-alive connection idle past the clients' own keep-alive expiry is still served.

Found under load: uvicorn closed idle connections after 5 s, which is httpx's (the MCP SDK's
client's) own expiry, so a client reusing a connection idle for just under 5 s sometimes sent
its request as a busy server closed it, and got no answer. The server now keeps idle
connections longer than the clients do (``server/http.py``, every HTTP server, hosted or not).
"""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path

from tests.hosting.tenant_load import HEADERS, hosted, make_tenants

IDLE = 6.0  # past httpx's 5 s and uvicorn's old 5 s


def test_a_connection_idle_past_five_seconds_is_still_answered(tmp_path: Path) -> None:
    root = tmp_path / "tenants"
    (key,) = make_tenants(root, 1)
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "search", "arguments": {"query": key.marker}},
    }
    headers = {**HEADERS, "Authorization": f"Bearer {key.token}"}

    def ask(conn: http.client.HTTPConnection) -> tuple[int, bool]:
        conn.request("POST", "/mcp", body=json.dumps(call), headers=headers)
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read())["result"]["isError"]

    with hosted(root) as server:
        port = int(server.base.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            assert ask(conn) == (200, False)
            local = conn.sock.getsockname()
            time.sleep(IDLE)
            assert ask(conn) == (200, False)  # raised RemoteDisconnected before
            assert conn.sock.getsockname() == local  # on the same connection
        finally:
            conn.close()

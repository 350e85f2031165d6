"""A real HTTP server on 127.0.0.1 that plays Ollama or an OpenAI-compatible endpoint.

The remote providers are tested over real sockets (not a mocked client) so that timeouts,
refused connections and odd bodies behave as they would against a live server. Each test
scripts the replies it wants; the server records what it was sent.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What the stub answers: a status, and a JSON value or raw text, after an optional delay."""

    status: int = 200
    json_body: Any = None
    text: str | None = None
    delay: float = 0.0


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: Any


def fake_vector(text: str, dims: int) -> list[float]:
    """A deterministic, not normalised vector, so tests can check order and normalisation."""
    return [float(len(text) + i + 1) for i in range(dims)]


def ollama_ok(dims: int) -> Callable[[Request], Reply]:
    def answer(request: Request) -> Reply:
        return Reply(
            json_body={"embeddings": [fake_vector(t, dims) for t in request.body["input"]]}
        )

    return answer


def openai_ok(dims: int, *, reverse: bool = False) -> Callable[[Request], Reply]:
    def answer(request: Request) -> Reply:
        data = [
            {"object": "embedding", "index": i, "embedding": fake_vector(t, dims)}
            for i, t in enumerate(request.body["input"])
        ]
        return Reply(json_body={"object": "list", "data": data[::-1] if reverse else data})

    return answer


@dataclass
class StubServer:
    url: str
    requests: list[Request] = field(default_factory=list)
    # Called for every request; tests replace it to script the next replies.
    respond: Callable[[Request], Reply] = field(default=lambda request: Reply(status=404))


@contextmanager
def serve() -> Iterator[StubServer]:
    """Run the stub on a free port of 127.0.0.1 until the block ends."""
    state: dict[str, StubServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            request = Request(self.path, dict(self.headers), json.loads(raw or b"null"))
            server = state["server"]
            server.requests.append(request)
            reply = server.respond(request)
            time.sleep(reply.delay)
            if reply.text is not None:
                payload, kind = reply.text.encode(), "text/html"
            else:
                # allow_nan: lets a test send the NaN a broken server might produce.
                payload, kind = (
                    json.dumps(reply.json_body, allow_nan=True).encode(),
                    "application/json",
                )
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state["server"] = StubServer(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state["server"]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def norm(vector: Any) -> float:
    return math.sqrt(sum(float(x) ** 2 for x in vector))

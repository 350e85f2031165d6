"""Fixtures shared by the embedding tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.embedding.stub_server import StubServer, serve


@pytest.fixture
def stub() -> Iterator[StubServer]:
    """A stub embedding server on 127.0.0.1 (see stub_server.py), stopped after the test."""
    with serve() as server:
        yield server

"""search through the real MCP client: every hit's relevance, weak hits marked, min_score, and
"nothing relevant" said when the vault holds nothing about the query (bundled model)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client

import memvault
from memvault.server.app import build_server
from memvault.service.vault import Vault
from tests.server.tool_client import call, fails, run
from tests.service.test_relevance import TEAM


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    path: Path = tmp_path_factory.mktemp("mcp-relevance") / "v.db"
    with memvault.open(path, embedder="bundled", background=False) as vault:
        for text in TEAM:
            vault.remember(text)
        vault.wait_for_jobs(timeout=60)
        yield vault


def test_search_says_nothing_relevant_and_filters_by_min_score(real: Vault) -> None:
    async def scenario(client: Client) -> None:
        off = await call(client, "search", query="recipe for banana bread with walnuts")
        assert off["nothing_relevant"] is True
        assert off["hits"] and all(hit["weak"] is True for hit in off["hits"])
        assert all(hit["relevance"] < 0.5 for hit in off["hits"])
        assert "score" not in off["hits"][0]  # the fused score orders one search only
        none = await call(client, "search", query="banana bread", min_score=0.5)
        assert none == {"hits": [], "nothing_relevant": True}

        on = await call(client, "search", query="when do we deploy to staging")
        assert "nothing_relevant" not in on
        assert "staging deploy" in on["hits"][0]["content"]
        assert on["hits"][0]["relevance"] >= 0.5 and "weak" not in on["hits"][0]
        kept = await call(client, "search", query="when do we deploy to staging", min_score=0.5)
        assert 0 < len(kept["hits"]) < len(on["hits"])
        assert all(hit["relevance"] >= 0.5 for hit in kept["hits"])
        assert "min_score" in await fails(client, "search", query="x", min_score=2)

    run(build_server(real), scenario)

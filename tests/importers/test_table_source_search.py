"""The MariaDB and PostgreSQL table sources' full-text search (used by verify)."""

from __future__ import annotations

from memvault.importers.mapping import TableMapping
from tests.importers.conftest import Database

# --- search ------------------------------------------------------------------------------------

SEARCH_ROWS = [
    (1, "pgvector stores embeddings for similarity search"),
    (2, "the cat sat on the mat"),
    (3, "embeddings, embeddings and more embeddings everywhere"),
    (4, "unrelated words only"),
    (5, None),
]


def test_mariadb_search_uses_a_fulltext_index(mysql: Database) -> None:
    table = mysql.create("id INTEGER PRIMARY KEY, content TEXT, FULLTEXT KEY ft (content)")
    mysql.insert(table, ["id", "content"], SEARCH_ROWS)
    source = mysql.source(TableMapping(table=table, id="id", content="content"))
    assert source.search("embeddings", 5) == ["3", "1"]
    assert source.search("embeddings", 1) == ["3"]
    assert source.search("cat", 5) == ["2"]
    assert source.search("nothing-matches-this", 5) == []


def test_mariadb_without_a_fulltext_index_cannot_search(mysql: Database) -> None:
    table = mysql.create("id INTEGER PRIMARY KEY, content TEXT, title TEXT, FULLTEXT (title)")
    mysql.insert(table, ["id", "content"], SEARCH_ROWS)
    source = mysql.source(TableMapping(table=table, id="id", content="content"))
    assert source.search("embeddings", 5) is None


def test_postgresql_search_ranks_by_ts_rank(postgres: Database) -> None:
    table = postgres.create("id INTEGER PRIMARY KEY, content TEXT")
    postgres.insert(table, ["id", "content"], SEARCH_ROWS)
    source = postgres.source(TableMapping(table=table, id="id", content="content"))
    assert source.search("embeddings", 5) == ["3", "1"]
    assert source.search("embedding", 1) == ["3"]  # English stemming
    assert source.search("cats on mats", 5) == ["2"]  # every word must match
    assert source.search("the", 5) == []  # only a stopword

"""``memvault eval --db URL``: the same evaluation with every vault on PostgreSQL.

The numbers must be SQLite's (the engines are record-for-record alike), and the schemas eval
makes for its vaults must be gone afterwards, whether the run succeeded or not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

import memvault
from memvault.cli.app import main
from memvault.evaluation.runner import SCRATCH_SCHEMA, scratch_location

FIXTURES = Path(__file__).parent.parent / "evaluation" / "fixtures"
BEIR = FIXTURES / "beir-tiny"
LOCOMO = FIXTURES / "locomo-tiny.json"
QUALITY = ("ndcg@10", "recall@1", "recall@5", "recall@10", "mrr")


def eval_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    code = main([*args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def scores(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, float]]:
    return {(r["mode"], r["storage"]): {q: r[q] for q in QUALITY} for r in data["results"]}


def eval_schemas(database: str) -> list[str]:
    with psycopg.connect(database) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (SCRATCH_SCHEMA,)
        ).fetchall()
    return [row[0] for row in rows]


def test_keyword_scores_on_postgres_are_sqlite_s_and_no_schema_stays(
    capsys: pytest.CaptureFixture[str], postgres_database: str
) -> None:
    for dataset in (BEIR, LOCOMO):
        args = ("eval", str(dataset), "--modes", "keyword", "--embedder", "none")
        on_sqlite = scores(eval_json(capsys, *args))
        on_postgres = scores(eval_json(capsys, *args, "--db", postgres_database))
        assert list(on_postgres) == list(on_sqlite) == [("keyword", "float32")]
        for metric, value in on_sqlite["keyword", "float32"].items():
            assert on_postgres["keyword", "float32"][metric] == pytest.approx(value, abs=0.02)
    assert eval_schemas(postgres_database) == []


def test_every_mode_and_storage_on_postgres_through_the_global_db(
    capsys: pytest.CaptureFixture[str], postgres_database: str, tmp_path: Path
) -> None:
    """``memvault --db URL eval`` (the global option typed before the command) counts too; with
    one fixed embedder, vector and hybrid search score as on SQLite."""
    args = ("eval", str(LOCOMO), "--embedder", "hash", "--cache", str(tmp_path))
    args += ("--storage", "float32,int8")
    on_sqlite = scores(eval_json(capsys, *args))
    on_postgres = scores(eval_json(capsys, "--db", postgres_database, *args))
    assert list(on_postgres) == list(on_sqlite)
    for key, values in on_sqlite.items():
        assert on_postgres[key] == pytest.approx(values, abs=0.02), key
    assert eval_schemas(postgres_database) == []


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("x.db", "give a PostgreSQL URL"),
        ("sqlite:///x.db", "give a PostgreSQL URL"),
        ("{db}?schema=mine", "leave ?schema= out"),
    ],
)
def test_db_is_a_postgres_database_url(
    capsys: pytest.CaptureFixture[str], postgres_database: str, where: str, message: str
) -> None:
    capsys.readouterr()
    url = where.format(db=postgres_database)
    for args in (["eval", str(BEIR), "--db", url], ["--db", url, "eval", str(BEIR)]):
        code = main([*args, "--modes", "keyword", "--embedder", "none"])
        out, err = capsys.readouterr()
        assert (code, out, err.count("\n")) == (1, "", 1)
        assert message in err
    assert eval_schemas(postgres_database) == []


def test_a_failed_run_leaves_no_schema(postgres_database: str) -> None:
    """Whatever stops a run once a vault's schema is made, the schema goes, and the error that
    stopped it is the one raised."""
    with pytest.raises(RuntimeError, match="stopped"), scratch_location(postgres_database) as url:
        memvault.open(url, embedder="none", background=False).close()
        assert len(eval_schemas(postgres_database)) == 1
        raise RuntimeError("stopped")
    assert eval_schemas(postgres_database) == []


def test_the_table_says_which_database_without_its_password(
    capsys: pytest.CaptureFixture[str], postgres_database: str
) -> None:
    with_password = postgres_database.replace("postgres@", "postgres:hunter2@", 1)
    capsys.readouterr()
    code = main(
        ["eval", str(BEIR), "--modes", "keyword", "--embedder", "none", "--db", with_password]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"on {postgres_database}" in out
    assert "hunter2" not in out

"""``memvault eval`` as scripts use it: the JSON contract, clean stdout, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from memvault.cli.app import main

FIXTURES = Path(__file__).parent.parent / "evaluation" / "fixtures"
BEIR = FIXTURES / "beir-tiny"
LOCOMO = FIXTURES / "locomo-tiny.json"
RESULT_KEYS = [
    "mode",
    "storage",
    "ndcg@10",
    "recall@1",
    "recall@5",
    "recall@10",
    "mrr",
    "p50_ms",
    "p95_ms",
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["eval", *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], cache: Path, *args: str) -> dict[str, Any]:
    code, out, err = run(capsys, *args, "--embedder", "hash", "--cache", str(cache), "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)  # stdout is nothing but the JSON
    return data


def test_json_contract_on_beir(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = run_json(capsys, tmp_path / "cache", str(BEIR))
    assert list(data) == ["dataset", "queries", "results"]
    assert (data["dataset"], data["queries"]) == ("beir-tiny", 3)
    assert [(r["mode"], r["storage"]) for r in data["results"]] == [
        ("keyword", "float32"),
        ("vector", "float32"),
        ("hybrid", "float32"),
    ]
    for result in data["results"]:
        assert list(result) == RESULT_KEYS
        assert all(0.0 <= result[name] <= 1.0 for name in RESULT_KEYS[2:7])
        assert 0.0 < result["p50_ms"] <= result["p95_ms"]
    # Every fixture query shares its key words with its relevant documents; d1 and d5 are one
    # memory (same text), so query 1 finds both at rank 1.
    keyword = data["results"][0]
    assert keyword["recall@1"] == keyword["recall@10"] == keyword["ndcg@10"] == 1.0
    assert list((tmp_path / "cache").rglob("*.npz")), "document vectors were cached"


def test_locomo_every_storage_and_a_limit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ("--modes", "keyword,hybrid", "--storage", "float32,int8,bit")
    data = run_json(capsys, tmp_path, str(LOCOMO), *args)
    assert (data["dataset"], data["queries"]) == ("locomo-tiny", 6)
    assert [(r["mode"], r["storage"]) for r in data["results"]] == [
        (mode, storage) for storage in ("float32", "int8", "bit") for mode in ("keyword", "hybrid")
    ]
    assert run_json(capsys, tmp_path, str(LOCOMO), "--limit", "2")["queries"] == 2


def test_keyword_only_needs_no_embedder(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(BEIR), "--modes", "keyword", "--embedder", "none", "--json")
    assert code == 0, err
    assert [r["mode"] for r in json.loads(out)["results"]] == ["keyword"]


def test_train_split(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = run_json(capsys, tmp_path, str(BEIR), "--split", "train", "--modes", "keyword")
    assert data["queries"] == 1


def test_table_for_people(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, str(BEIR), "--embedder", "hash", "--cache", str(tmp_path))
    assert code == 0, err
    assert "ndcg@10" in out and "hybrid" in out and "beir-tiny" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("{missing}",), "no dataset at"),
        (("{tmp}",), "neither a BEIR folder"),
        ((str(BEIR), "--split", "dev"), "no qrels for split 'dev'"),
        ((str(BEIR), "--modes", "keyword,semantic"), "unknown search mode semantic"),
        ((str(BEIR), "--storage", "float16"), "unknown vector storage float16"),
        ((str(BEIR), "--embedder", "none"), "--embedder none allows only keyword search"),
        ((str(BEIR), "--embedder", "nonsense"), "unknown embedder 'nonsense'"),
    ],
)
def test_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    filled = [a.format(missing=tmp_path / "missing", tmp=tmp_path) for a in args]
    code, out, err = run(capsys, *filled, "--cache", str(tmp_path / "cache"), "--json")
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert message in json.loads(err)["error"]  # under --json, the error is JSON too

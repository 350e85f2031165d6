"""The gold-set gate through the real CLI (``main``, a real SQLite vault, real judgments on
disk): ``memvault eval --gold`` scores, intervals and the weak flag; ``--baseline`` fails a
configuration made worse (hybrid without its vector half) and passes the default; ``reembed
--dry-run`` scores a new model beside the current one and leaves the vault as it was."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import memvault
from memvault.cli.app import main
from memvault.evaluation.gold import Candidate, GoldSet, Verdict, pool

Judge = Callable[[Candidate], Verdict]


def run(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> dict[str, Any]:
    code, out, err = run(capsys, home, *args, "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def make_vault(home: Path, memories: list[str], embedder: str = "hash") -> dict[str, str]:
    """The memories, embedded; returns content -> id."""
    with memvault.open(home, embedder=embedder, background=False) as vault:
        ids = {text: vault.remember(text).id for text in memories}
        vault.wait_for_jobs()
    return ids


def judge_pool(home: Path, queries: list[str], verdict: Judge, embedder: str = "hash") -> None:
    """What `memvault judge` would do: every pooled result answered, each line fsynced."""
    gold = GoldSet(home / "gold")
    gold.add(queries)
    with memvault.open(home, embedder=embedder, background=False) as vault:
        for candidate in pool(vault, queries):
            gold.record(candidate, verdict(candidate))


def topic_home(home: Path, count: int) -> None:
    """``count`` queries, each with exactly one relevant memory (its own code word)."""
    make_vault(home, [f"note {i}: the word topic{i} and filler text" for i in range(count)])
    queries = [f"topic{i}" for i in range(count)]

    def verdict(c: Candidate) -> Verdict:
        relevant = f"the word {c.query} and" in c.content
        return Verdict.RELEVANT if relevant else Verdict.NOT_RELEVANT

    judge_pool(home, queries, verdict)


def test_json_shape_intervals_and_the_weak_flag(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    topic_home(home, 10)
    data = run_json(capsys, home, "eval", "--gold")
    assert list(data) == [
        "gold",
        "gold_queries",
        "judged_queries",
        "weak",
        "weak_below",
        "unjudged_count_as",
        "model",
        "vector_storage",
        "fusion",
        "metrics",
        "results",
        "gate",
    ]
    assert (data["judged_queries"], data["weak"], data["weak_below"]) == (10, True, 30)
    assert data["metrics"] == ["recall@5", "recall@10", "ndcg@10", "mrr"]
    assert [r["mode"] for r in data["results"]] == ["keyword", "vector", "hybrid"]
    for result in data["results"]:
        assert (result["queries"], result["weak"], result["error"]) == (10, True, None)
        for name in data["metrics"]:
            low, high = result["metrics"][name]["ci95"]
            assert low <= result["metrics"][name]["value"] <= high
    assert data["results"][0]["metrics"]["mrr"]["value"] == 1.0  # each code word is unique
    code, out, _ = run(capsys, home, "eval", "--gold")
    assert code == 0
    assert "10 weak" in out and "weak: N < 30" in out
    assert "Unjudged results count as not relevant" in out


def test_thirty_judged_queries_are_not_weak(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    topic_home(home, 30)
    data = run_json(capsys, home, "eval", "--gold", "--modes", "keyword", "--k", "1,3")
    assert (data["judged_queries"], data["weak"]) == (30, False)
    assert data["metrics"] == ["recall@1", "recall@3", "ndcg@10", "mrr"]
    assert [r["weak"] for r in data["results"]] == [False]


def test_skipped_results_are_left_out_and_unjudged_ones_count_as_not_relevant(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    make_vault(home, ["zebra", "zebra stripes on the savanna grassland", "lions hunt"])

    def verdict(c: Candidate) -> Verdict:
        if c.content == "zebra":
            return Verdict.SKIPPED
        return Verdict.RELEVANT if "stripes" in c.content else Verdict.NOT_RELEVANT

    judge_pool(home, ["zebra"], verdict)
    keyword = run_json(capsys, home, "eval", "--gold", "--modes", "keyword")["results"][0]
    # "zebra" ranks first but was skipped: the relevant result counts as the first.
    assert keyword["metrics"]["mrr"]["value"] == 1.0
    assert keyword["unjudged"] == 0
    make_vault(home, ["zebra crossing"])  # after judging: nobody said whether it is relevant
    keyword = run_json(capsys, home, "eval", "--gold", "--modes", "keyword")["results"][0]
    assert keyword["unjudged"] == 1
    assert keyword["metrics"]["mrr"]["value"] == 0.5


# Each query's relevant memory says it in other words; the distractors share the query's words
# but not its meaning. Keyword search alone ranks them first; vector search does not.
PARAPHRASES = {
    "where does the user live now": (
        "The user moved to Lisbon last spring and rents a flat there",
        [
            "We watched the band play live at the festival",
            "The live demo crashed twice in front of the user",
            "Now the build runs live on every commit",
        ],
    ),
    "what pet does the user have": (
        "The user adopted a grey kitten named Pixel",
        [
            "The pet project repository has no tests",
            "Does the user have a pet peeve about tabs",
            "The user has a standing desk",
        ],
    ),
    "which food makes the user ill": (
        "The user is allergic to peanuts and shellfish",
        [
            "The food truck parks outside on Fridays",
            "The user felt ill after the long flight",
            "Which editor the user prefers: vim",
        ],
    ),
    "what database does the team use": (
        "The team switched their storage to PostgreSQL in March",
        [
            "The database migration script has a typo",
            "What the team said about the offsite",
            "Use the staging database for tests",
        ],
    ),
    "when is the daughter's birthday": (
        "Her girl turns seven on the twelfth of May",
        [
            "The birthday cake recipe needs more sugar",
            "When is the next release",
            "The daughter of the CEO visited",
        ],
    ),
    "what car trouble did they mention": (
        "The brakes squeal and the pads need replacing before the trip",
        [
            "The car park closes at midnight",
            "Trouble with the VPN again",
            "They mention the invoice every week",
        ],
    ),
}


@pytest.fixture
def paraphrase_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEMVAULT_EMBEDDER", "bundled")
    texts = [text for relevant, others in PARAPHRASES.values() for text in [relevant, *others]]
    make_vault(home, texts, embedder="bundled")
    relevant = {query: answer for query, (answer, _) in PARAPHRASES.items()}

    def verdict(c: Candidate) -> Verdict:
        return Verdict.RELEVANT if c.content == relevant[c.query] else Verdict.NOT_RELEVANT

    judge_pool(home, list(PARAPHRASES), verdict, embedder="bundled")
    return home


def test_the_gate_fails_hybrid_without_its_vector_half(
    capsys: pytest.CaptureFixture[str], paraphrase_home: Path, tmp_path: Path
) -> None:
    home, base = paraphrase_home, tmp_path / "baseline.json"
    code, out, err = run(capsys, home, "eval", "--gold", "--save-baseline", str(base))
    assert code == 0, err
    assert f"baseline saved ({base})" in out
    saved = json.loads(base.read_text())
    assert saved["judged_queries"] == len(PARAPHRASES) and saved["fusion"] is None

    code, out, _ = run(capsys, home, "eval", "--gold", "--baseline", str(base))
    assert code == 0 and "gate passed" in out  # the default holds its own baseline

    worse = ("eval", "--gold", "--fusion", "keyword=1,vector=0", "--baseline", str(base))
    code, out, _ = run(capsys, home, *worse)
    assert code == 1
    assert "gate FAILED" in out and "hybrid mrr" in out and "hybrid ndcg@10" in out
    assert "keyword " not in out.split("gate FAILED")[1]  # only the changed mode dropped
    data = run_json(capsys, home, *worse[:4])
    hybrid = {r["mode"]: r for r in data["results"]}["hybrid"]
    before = {r["mode"]: r for r in saved["results"]}["hybrid"]
    drop = before["metrics"]["mrr"]["value"] - hybrid["metrics"]["mrr"]["value"]
    assert drop > 0.05, "the paraphrases must make the vector half matter"
    assert data["fusion"]["vector_weight"] == 0.0

    # A ratchet (--baseline and --save-baseline the same file) keeps the better baseline.
    kept = base.read_bytes()
    code, out, _ = run(capsys, home, *worse, "--save-baseline", str(base))
    assert code == 1 and "baseline not saved: the gate failed" in out
    assert base.read_bytes() == kept

    # The same drop passes under a tolerance wider than it.
    code, out, _ = run(capsys, home, *worse, "--tolerance", "0.9")
    assert code == 0 and "gate passed" in out
    gate = run_json(capsys, home, *worse, "--tolerance", "0.9")["gate"]
    assert gate["passed"] is True and gate["tolerance"] == 0.9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--fusion", "keyword=x"), "--fusion: fusion keyword='x' is not a number"),
        (("--fusion", "keyword=0,vector=0"), "cannot both be 0"),
        (("--k", "0"), "--k: cut-offs '0': each must be within 1..1000"),
        (("--modes", "fuzzy"), "unknown search mode fuzzy"),
        (("--baseline", "MISSING"), "no baseline at"),
        (("--baseline", "GARBLED"), "is not readable JSON"),
        (("--baseline", "FOREIGN"), "is not a gold baseline"),
        (("--tolerance", "2"), "--tolerance: a tolerance must be within 0..1"),
        (("--fusion", "vector=1", "--modes", "keyword"), "add hybrid to --modes"),
        (("--embedder", "hash"), "reembed --dry-run"),
        (("--limit", "3"), "is for a dataset"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    home: Path,
    tmp_path: Path,
    args: tuple[str, ...],
    message: str,
) -> None:
    topic_home(home, 3)
    (tmp_path / "garbled.json").write_text('{"gold": tr')
    (tmp_path / "foreign.json").write_text('{"dataset": "scifact", "results": []}')
    names = {"MISSING": "missing.json", "GARBLED": "garbled.json", "FOREIGN": "foreign.json"}
    args = tuple(str(tmp_path / names[a]) if a in names else a for a in args)
    code, out, err = run(capsys, home, "eval", "--gold", *args)
    assert code == 2, err
    assert out == "" and err.count("\n") == 1 and message in err


def test_no_judgments_yet_and_gold_options_without_gold(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    make_vault(home, ["a memory"])
    code, _, err = run(capsys, home, "eval", "--gold")
    assert code == 1 and "run `memvault judge` first" in err
    code, _, err = run(capsys, home, "eval", "--fusion", "keyword=1")
    assert code == 2 and "--fusion: needs --gold" in err


def database_state(home: Path) -> tuple[str, int, str | None]:
    digest = hashlib.sha256((home / "memvault.db").read_bytes()).hexdigest()
    with memvault.open(home, background=False) as vault:
        config = vault.vector_config()
        return digest, vault.stats().memories, config.model_id if config else None


def test_reembed_dry_run_scores_both_models_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path
) -> None:
    topic_home(home, 8)
    base = tmp_path / "baseline.json"
    assert run(capsys, home, "eval", "--gold", "--save-baseline", str(base))[0] == 0
    before = database_state(home)
    judgments = (home / "gold" / "judgments.jsonl").read_bytes()

    data = run_json(capsys, home, "reembed", "--dry-run", "--embedder", "hash:64")
    assert (data["dry_run"], data["written"]) == (True, False)
    assert (data["current"]["model"], data["new"]["model"]) == ("hash-384", "hash-64")
    assert data["new"]["vector_storage"] == "float32"
    data = run_json(capsys, home, "reembed", "--dry-run", "--vector-storage", "bit")
    assert (data["new"]["model"], data["new"]["vector_storage"]) == ("hash-384", "bit")
    assert [r["mode"] for r in data["new"]["results"]] == ["vector", "hybrid"]
    assert data["gate"] is None

    # One dimension: every vector is +1 or -1, so vector search cannot tell memories apart.
    code, out, _ = run(
        capsys, home, "reembed", "--dry-run", "--embedder", "hash:1", "--baseline", str(base)
    )
    assert code == 1
    assert "now = hash-384 float32 (this vault's vectors); new = hash-1 float32" in out
    assert re.search(r"^now +vector", out, re.M) and re.search(r"^new +hybrid", out, re.M)
    assert "gate FAILED" in out and "vector mrr" in out
    assert "nothing was written to the vault" in out
    assert database_state(home) == before  # same bytes, same memories, same model
    assert (home / "gold" / "judgments.jsonl").read_bytes() == judgments

    code, _, err = run(capsys, home, "reembed", "--baseline", str(base))
    assert code == 1 and "--baseline needs --dry-run" in err


def test_a_mode_the_baseline_scored_that_cannot_run_now_fails_the_gate(
    capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path
) -> None:
    topic_home(home, 3)
    base = tmp_path / "baseline.json"
    assert run(capsys, home, "eval", "--gold", "--save-baseline", str(base))[0] == 0
    capsys.readouterr()
    args = ["--home", str(home), "--embedder", "none", "eval", "--gold", "--baseline", str(base)]
    code = main(args)
    out, _ = capsys.readouterr()
    assert code == 1
    assert "vector: not scored: this vault has vectors turned off" in out
    assert "vector: not scored now" in out

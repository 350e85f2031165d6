"""Retrieval quality on public benchmarks (BEIR SciFact, LoCoMo), measured through the vault.

``memvault eval PATH`` and ``make eval`` use it; the datasets are never shipped (their licence
is non-commercial), only read from where the user keeps them.

    dataset = datasets.load("/data/scifact", split="test")
    report = runner.evaluate(dataset, embedder="hash", modes=["keyword", "hybrid"])
"""

from memvault.evaluation.datasets import Dataset, load
from memvault.evaluation.runner import EvalReport, EvalResult, evaluate

__all__ = ["Dataset", "EvalReport", "EvalResult", "evaluate", "load"]

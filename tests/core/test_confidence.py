import pytest

from memvault.core.confidence import next_confidence
from memvault.core.records import Verdict


def test_confirm_moves_thirty_percent_towards_one() -> None:
    assert next_confidence(0.5, Verdict.CONFIRM) == pytest.approx(0.65)


def test_use_is_weaker_evidence_than_confirm() -> None:
    assert 0.5 < next_confidence(0.5, Verdict.USE) < next_confidence(0.5, Verdict.CONFIRM)


def test_refute_halves() -> None:
    assert next_confidence(0.8, Verdict.REFUTE) == pytest.approx(0.4)


@pytest.mark.parametrize("verdict", list(Verdict))
def test_confidence_stays_in_unit_interval(verdict: Verdict) -> None:
    value = 0.5
    for _ in range(200):
        value = next_confidence(value, verdict)
        assert 0.0 <= value <= 1.0

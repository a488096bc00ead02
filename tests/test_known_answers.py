"""Every model's known answers, within 5 standard errors (mc_twolevel.known_answers)."""

import pytest
from conftest import SIGMAS

from mc_twolevel.known_answers import check, distance, known_answers

KNOWN = known_answers()

ROWS = {id(row[0]): row for row in check(trials=1_000_000)}


@pytest.mark.parametrize("answer", KNOWN, ids=lambda a: f"{a.model}:{a.case}:{a.output}")
def test_known_answer(answer):
    _, estimate, se, z = ROWS[id(answer)]
    assert z < SIGMAS, f"{answer.output} = {estimate:.6f} +/- {se:.2e}, claimed {answer.value:.6f}"


def test_distance_is_in_standard_errors_and_strict_for_deterministic_outputs():
    assert distance(0.51, 0.005, 0.5) == pytest.approx(2.0)
    assert distance(0.5004, 0.0, 0.5) == 0.0
    assert distance(0.52, 0.0, 0.5) == float("inf")

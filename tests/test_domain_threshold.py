"""The one definition of whether a metric passes a threshold and how a threshold reads."""

from __future__ import annotations

import pytest

from modelyard.domain.manifest import Threshold
from modelyard.domain.numbers import num


@pytest.mark.parametrize(
    "bounds,value,ok",
    [
        ({"max": 0.2}, 0.2, True),  # a bound is inclusive
        ({"max": 0.2}, 0.2000001, False),
        ({"min": 0.8}, 0.8, True),
        ({"min": 0.8}, 0.79, False),
        ({"min": 0.1, "max": 0.2}, 0.15, True),
        ({"min": 0.1, "max": 0.2}, 0.05, False),
        ({"min": 0.1, "max": 0.2}, 0.25, False),
    ],
)
def test_passes(bounds, value, ok):
    assert Threshold.model_validate(bounds).passes(value) is ok


def test_describe_states_the_numbers_as_stored():
    assert Threshold(max=0.2).describe("MAPE") == "MAPE <= 0.2"
    assert Threshold(min=5.0).describe("AUC") == "AUC >= 5"
    # no rounding: the text never states a bound the manifest does not hold
    assert Threshold(min=0.1234567, max=2.5).describe("r2") == "r2 >= 0.1234567 and r2 <= 2.5"


def test_num():
    assert [num(0.2), num(5.0), num(3), num(True), num(1e20)] == ["0.2", "5", "3", "true", "1e+20"]

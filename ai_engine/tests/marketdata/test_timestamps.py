from __future__ import annotations

import numpy as np

from ai_engine.marketdata.timestamps import epoch_divisor
from ai_engine.marketdata.validation import Problem

MS = np.array([1679529600000, 1679529660000], dtype=np.int64)


def test_milliseconds() -> None:
    assert epoch_divisor([("open_time", MS)]) == 1


def test_microseconds() -> None:
    assert epoch_divisor([("open_time", MS * 1000), ("close_time", MS * 1000 + 59_999_999)]) == 1000


def test_mixed_units_name_the_first_odd_row() -> None:
    mixed = MS.copy()
    mixed[1] *= 1000
    problem = epoch_divisor([("open_time", mixed)])
    assert isinstance(problem, Problem)
    assert problem.index == 1
    assert "mixed timestamp units" in problem.message
    assert "16 digits" in problem.message


def test_mixed_across_columns() -> None:
    problem = epoch_divisor([("open_time", MS), ("close_time", MS * 1000)])
    assert isinstance(problem, Problem)
    assert problem.index == 0
    assert "close_time" in problem.message


def test_seconds_are_not_a_unit() -> None:
    problem = epoch_divisor([("time", MS // 1000)])
    assert isinstance(problem, Problem)
    assert "neither 13-digit milliseconds nor 16-digit microseconds" in problem.message

from __future__ import annotations

import math

import pytest

from ai_engine.simexchange.clock import ReplayClock


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_manual_clock_moves_only_when_advanced() -> None:
    wall = FakeMonotonic()
    clock = ReplayClock(1_000, 10_000, 0, wall)
    wall.now += 60
    assert clock.now_ms() == 1_000
    assert clock.advance(500) == 1_500
    assert clock.is_manual
    assert not clock.runs_in_real_time


def test_real_time_clock_runs_at_speed_and_keeps_manual_jumps() -> None:
    wall = FakeMonotonic()
    clock = ReplayClock(0, 10**9, 60, wall)
    wall.now += 2  # two wall seconds at 60x: two replay minutes
    assert clock.now_ms() == 120_000
    clock.advance(1_000)
    wall.now += 0.5
    assert clock.now_ms() == 121_000 + 30_000


def test_clock_stops_at_the_end_of_the_data_and_never_goes_back() -> None:
    clock = ReplayClock(0, 5_000, math.inf)
    assert clock.advance(10_000) == 5_000
    assert clock.at_end
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="after the end"):
        ReplayClock(6_000, 5_000, 0)
    assert clock.now().year == 1970

from __future__ import annotations

import pytest

from ai_engine.simexchange.errors import BinanceError
from ai_engine.simexchange.limits import OrderCounter, RequestWeights


class Wall:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def test_weight_429_then_418_ban_then_recovery() -> None:
    wall = Wall(60_000 * 1000 + 15_000)  # 15 s into a minute
    weights = RequestWeights(limit=10, ban_seconds=120, wall_ms=wall)
    assert weights.charge("1.2.3.4", 10) == 10
    assert weights.charge("5.6.7.8", 3) == 3  # per IP
    with pytest.raises(BinanceError) as first:
        weights.charge("1.2.3.4", 1)
    assert (first.value.status, first.value.code) == (429, -1003)
    assert first.value.headers["Retry-After"] == "45"
    with pytest.raises(BinanceError) as second:
        weights.charge("1.2.3.4", 1)
    assert (second.value.status, second.value.headers["Retry-After"]) == (418, "120")
    wall.now += 60_000  # a new minute, but still banned
    with pytest.raises(BinanceError) as third:
        weights.charge("1.2.3.4", 1)
    assert third.value.status == 418
    wall.now += 61_000
    assert weights.charge("1.2.3.4", 1) == 1
    assert weights.used("1.2.3.4") == 1
    assert weights.used("never-seen") == 0


def test_weight_window_resets_each_minute_without_a_ban() -> None:
    wall = Wall(0)
    weights = RequestWeights(limit=5, ban_seconds=120, wall_ms=wall)
    with pytest.raises(BinanceError):
        weights.charge("ip", 6)
    wall.now = 60_000
    assert weights.charge("ip", 5) == 5


def test_order_counts_per_ten_seconds_and_day() -> None:
    wall = Wall(86_400_000 * 100)
    counter = OrderCounter(per_10s=2, per_day=3, wall_ms=wall)
    counter.count("acct")
    counter.count("acct")
    with pytest.raises(BinanceError) as caught:
        counter.count("acct")
    assert (caught.value.code, caught.value.status) == (-1015, 429)
    assert "2 orders per 10 SECOND" in caught.value.msg
    assert counter.headers("acct") == {"X-MBX-ORDER-COUNT-10S": "2", "X-MBX-ORDER-COUNT-1D": "2"}
    wall.now += 10_000
    counter.count("acct")
    with pytest.raises(BinanceError, match="1 DAY"):
        counter.count("acct")
    counter.count("other")

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ai_engine.marketdata import BarStore
from ai_engine.simexchange.market import BAR_MS, ReplayMarket
from ai_engine.simexchange.symbols import SPOT_SYMBOLS

FIRST_OPEN = 1_679_529_600_000  # 2023-03-23 00:00 UTC, the first stored bar


@pytest.fixture(scope="module")
def market(spot_store: Path) -> ReplayMarket:
    instruments = {name: SPOT_SYMBOLS[name].instrument for name in ("BTCUSDT", "ETHUSDT")}
    return ReplayMarket(BarStore(spot_store), instruments)


def test_bars_become_visible_only_once_closed(market: ReplayMarket) -> None:
    assert market.first_common_close() == FIRST_OPEN + BAR_MS
    assert market.closed_count("BTCUSDT", FIRST_OPEN + BAR_MS - 1) == 0
    assert market.closed_count("BTCUSDT", FIRST_OPEN + BAR_MS) == 1
    assert market.last_close() == FIRST_OPEN + 3 * 1440 * BAR_MS


def test_domain_bars_carry_exact_decimals_on_the_tick(market: ReplayMarket) -> None:
    bar = market.bar("BTCUSDT", 0)
    assert bar.open.value == Decimal("27250.97")
    assert bar.close.value == Decimal("27250.01")
    assert bar.volume.value == Decimal("92.39538")


@pytest.mark.parametrize(
    ("interval", "start", "end", "limit", "expected_opens"),
    [
        ("1m", None, None, 3, [7, 8, 9]),  # the last `limit` closed bars
        ("1m", 2, None, 3, [2, 3, 4]),  # from startTime forwards
        ("1m", None, 4, 2, [3, 4]),  # up to endTime (inclusive), backwards
        ("1m", 2, 4, 10, [2, 3, 4]),
        ("5m", None, None, 10, [0, 5]),  # only whole buckets that have closed
        ("3m", 1, None, 10, [3, 6]),
    ],
)
def test_klines_select_like_binance(
    market: ReplayMarket,
    interval: str,
    start: int | None,
    end: int | None,
    limit: int,
    expected_opens: list[int],
) -> None:
    now = FIRST_OPEN + 10 * BAR_MS  # bars 0..9 closed
    bars, step = market.klines(
        "BTCUSDT",
        interval,
        now,
        start_ms=None if start is None else FIRST_OPEN + start * BAR_MS,
        end_ms=None if end is None else FIRST_OPEN + end * BAR_MS,
        limit=limit,
    )
    assert [(int(t) - FIRST_OPEN) // BAR_MS for t in bars.open_time] == expected_opens
    assert step == int(interval[:-1]) * BAR_MS

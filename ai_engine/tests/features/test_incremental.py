"""Live updates agree with the full-history computation within the documented tolerance."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features import ALL, COMPOSITE, IncrementalFeatures, compute_features
from ai_engine.features.incremental import DEFAULT_WINDOW
from ai_engine.marketdata.frames import Bars

TOL = 1e-6  # rtol and atol: the module docstring's promise


def replay(bars: Bars, inc: IncrementalFeatures, start: int, stop: int) -> list[dict[str, float]]:
    inc.extend(bars.take(slice(0, start)))
    return [
        inc.update(
            int(bars.open_time[i]),
            float(bars.open[i]),
            float(bars.high[i]),
            float(bars.low[i]),
            float(bars.close[i]),
            float(bars.volume[i]),
            float(bars.taker_buy_volume[i]),
            int(bars.trades[i]),
        )
        for i in range(start, stop)
    ]


def assert_agrees(full: dict[str, np.ndarray], rows: list[dict[str, float]], start: int) -> None:
    for k, row in enumerate(rows):
        assert set(row) == set(full)
        for name, value in row.items():
            want = full[name][start + k]
            assert np.isclose(value, want, rtol=TOL, atol=TOL, equal_nan=True), (
                f"{name} at bar {start + k}: live {value!r}, full history {want!r}"
            )


@pytest.mark.parametrize("data", ["btc", "eth"])
def test_composite_set_agrees_over_a_day_with_the_halt(
    request: pytest.FixtureRequest, data: str
) -> None:
    bars: Bars = request.getfixturevalue(data)
    # from 2023-03-24 00:00 (bar 1440) through the halt and the zero-volume bars after it
    start, stop = 1440, 2400
    full = compute_features(bars, groups=COMPOSITE)
    rows = replay(bars, IncrementalFeatures(groups=COMPOSITE), start, stop)
    assert_agrees(full, rows, start)


def test_every_group_agrees(avax: Bars) -> None:
    start = 2000
    full = compute_features(avax, groups=ALL)
    rows = replay(avax, IncrementalFeatures(groups=ALL), start, start + 400)
    assert {"htf_rsi", "vpoc", "natr_pct", "vwap_session"} <= set(rows[0])
    assert_agrees(full, rows, start)


def test_a_too_short_window_is_measurably_off(btc: Bars) -> None:
    # the tolerance is earned by the window: 60 bars leave ADX/MACD visibly different
    start = 1440
    full = compute_features(btc, groups={"volatility"})
    rows = replay(btc, IncrementalFeatures(groups={"volatility"}, window=60), start, start + 50)
    worst = max(abs(r["adx"] - full["adx"][start + k]) for k, r in enumerate(rows))
    assert worst > 1e-3


def test_warmup_from_nothing_and_bad_input(btc: Bars) -> None:
    inc = IncrementalFeatures()
    rows = replay(btc, inc, 0, 40)
    assert np.isnan(rows[0]["rsi"])
    assert not np.isnan(rows[20]["rsi"])
    assert len(inc) == 40
    with pytest.raises(ValueError, match="not after the last one"):
        inc.update(int(btc.open_time[10]), 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 1)
    with pytest.raises(ValueError, match="shorter than the longest lookback"):
        IncrementalFeatures(window=40)  # SMA 50 alone needs 50
    assert DEFAULT_WINDOW >= 400

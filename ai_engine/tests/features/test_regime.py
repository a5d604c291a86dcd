"""Trend and volatility regimes: definitions by hand, and on real bars against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features import indicators as ind
from ai_engine.features import regime
from ai_engine.marketdata.frames import Bars


def test_trend_regime_hand_worked() -> None:
    adx = np.array([30.0, 20.0, 30.0, np.nan, 25.0])
    slope = np.array([0.1, 0.1, -0.2, 0.1, np.nan])
    got = regime.trend_regime(adx, slope, 25.0)
    assert got[:3].tolist() == [1.0, 0.0, -1.0]
    assert np.isnan(got[3:]).all()


def test_slope_hand_worked_on_real_closes(btc: Bars) -> None:
    # closes 00:00 27250.01 and 00:02 27247.97: 100 * (27247.97 / 27250.01 - 1) = -0.0074862 %
    got = regime.slope_pct(btc.close[:3], 2)
    assert got[2] == pytest.approx(100 * (27247.97 - 27250.01) / 27250.01)


def test_past_percentile_hand_worked() -> None:
    # lookback 3: at 3 the past is [1, 3, 2], all below 5 -> 1.0; at 4 the past is [3, 2, 5],
    # two below 4 -> 2/3
    got = regime.past_percentile(np.array([1.0, 3.0, 2.0, 5.0, 4.0]), 3)
    assert np.isnan(got[:3]).all()
    assert got[3:].tolist() == pytest.approx([1.0, 2 / 3])
    assert regime.volatility_regime(np.array([0.1, 0.5, 0.9, np.nan])).tolist()[:3] == [-1, 0, 1]


def test_past_percentile_on_real_natr_equals_a_plain_loop(btc: Bars) -> None:
    natr = 100 * ind.atr(btc.high, btc.low, btc.close) / btc.close
    got = regime.past_percentile(natr, 240)
    for i in (254, 255, 1000, 2150, len(natr) - 1):
        past = natr[i - 240 : i]
        want = np.nan if np.isnan(past).any() else float(np.mean(past < natr[i]))
        assert got[i] == pytest.approx(want, nan_ok=True)
    assert np.isnan(got[:254]).all()  # ATR's 14 warm-up bars + 240 past values


def test_trend_regime_on_real_bars_uses_adx_and_slope(btc: Bars) -> None:
    adx = ind.adx(btc.high, btc.low, btc.close)
    slope = regime.slope_pct(ind.ema(btc.close, 50), 5)
    got = regime.trend_regime(adx, slope)
    ok = ~np.isnan(got)
    assert set(np.unique(got[ok])) == {-1.0, 0.0, 1.0}
    assert (got[ok & (adx < 25)] == 0).all()
    assert (got[ok & (adx >= 25)] == np.sign(slope[ok & (adx >= 25)])).all()

"""Liquidity sweeps and range support/resistance on real BTCUSDT bars, worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features import levels, liquidity
from ai_engine.marketdata.frames import Bars


def test_real_bullish_sweep_hand_worked(btc: Bars) -> None:
    # 2023-03-23 01:44..01:48 (indices 104..108), then 01:49 (109), window 5:
    #   lows 27218.28 27218.28 27204.71 27206.19 27170.22 -> zone_low = 27170.22
    #   109: low 27150.51 < 27170.22, close 27171.40 > 27170.22 (wick through, closed back in)
    #   volume 99.12941 / mean(47.96239, 31.60401, 83.31628, 28.18677, 124.98013)
    #        = 99.12941 / 63.011916 = 1.5732 >= 1.5 -> bullish sweep (+1)
    got = liquidity.liquidity_sweep(btc.high, btc.low, btc.close, btc.volume, 5, 1.5)
    assert got[109] == 1.0
    assert np.flatnonzero(got[:109]).size == 0
    # the same bar with a stricter volume condition (1.6 > 1.5732) is no sweep
    strict = liquidity.liquidity_sweep(btc.high, btc.low, btc.close, btc.volume, 5, 1.6)
    assert strict[109] == 0.0
    assert set(np.unique(got)) <= {-1.0, 0.0, 1.0}


def test_hand_made_bearish_sweep() -> None:
    high = np.array([10.0, 10.0, 11.0])
    low = np.array([9.0, 9.0, 9.5])
    close = np.array([9.5, 9.5, 9.8])  # pierced 10.0, closed back below
    volume = np.array([1.0, 1.0, 3.0])
    assert liquidity.liquidity_sweep(high, low, close, volume, 2, 2.0).tolist() == [0, 0, -1]
    close_above = np.array([9.5, 9.5, 10.5])  # a breakout, not a sweep
    assert liquidity.liquidity_sweep(high, low, close_above, volume, 2, 2.0)[2] == 0.0


def test_range_levels_and_breakout_hand_worked(btc: Bars) -> None:
    # window 5 at index 6 (00:06): highs 1..5 max = 27279.98, lows 1..5 min = 27238.21;
    # close 27215.38 < 27238.21 -> breakdown (-1)
    resistance, support = levels.range_levels(btc.high, btc.low, 5)
    assert np.isnan(resistance[:5]).all()
    assert (resistance[6], support[6]) == (27279.98, 27238.21)
    assert levels.breakout(btc.close, resistance, support)[6] == -1.0
    dist = levels.distance_pct(btc.close, resistance)
    assert dist[6] == pytest.approx(100 * (27279.98 - 27215.38) / 27215.38)

"""Tick momentum on real trades and real bar closes, with hand-worked values."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features import ticks
from ai_engine.marketdata.frames import Bars, Trades


def test_on_real_trades_hand_worked(usdm_trades: Trades) -> None:
    # USD-M BTCUSDT, first 13 trades: 61807.70, then 61807.80 x7, then 61807.70 x5
    p = usdm_trades.price[:13]
    d = ticks.direction(p)
    assert d.tolist() == [0, 1, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0]
    assert ticks.persistence(d).tolist() == [0, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1]
    # window 8 at j=8: changes +1 (j=1) and -1 (j=8): 1 up of 2 = 0.5; at j=7: 1 of 1
    ratio = ticks.updown_ratio(d, 8)
    assert (ratio[7], ratio[8]) == (1.0, 0.5)
    # times (ms after ...300000): 10, 16 x5, 16, 17, 21, ...; window 10 ms at j=8 (t=21):
    # rows with t in (11, 21] among rows 0..8 = rows 1..8 = 8 -> 8 / 0.010 s = 800 per second
    v = ticks.velocity(usdm_trades.time[:13], 10)
    assert np.isnan(v[7])  # t=17: 17 - 10 = 7 is before the first trade (10)
    assert v[8] == pytest.approx(800.0)


def test_on_real_bar_closes_hand_worked(btc: Bars) -> None:
    # closes 2023-03-23 00:00..00:11 (last two digits): .01 .61 .97 .67 .13 .00 .38 .34 .57 .16 .49
    # .74 with integer parts 27250, 27247, 27247, 27257, 27276, 27275, 27215, 27237, 27222,
    # 27205, 27207, 27217 -> directions:
    d = ticks.direction(btc.close[:12])
    assert d.tolist() == [0, -1, 1, 1, 1, -1, -1, 1, -1, -1, 1, 1]
    assert ticks.persistence(d).tolist() == [0, -1, 1, 2, 3, -1, -2, 1, -1, -2, 1, 2]
    # window 5 at 00:05: -1 +1 +1 +1 -1 -> 3 ups of 5 changes
    assert ticks.updown_ratio(d, 5)[5] == pytest.approx(0.6)


def test_flat_window_and_errors() -> None:
    assert np.isnan(ticks.updown_ratio(np.zeros(4), 2)).all()
    assert ticks.persistence(np.zeros(3)).tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="window_ms"):
        ticks.velocity([1, 2], 0)

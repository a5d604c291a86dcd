"""Swings, labels, break of structure and double tops/bottoms on real BTCUSDT bars.

The first 40 bars of 2023-03-23 (k = 2, double tolerance 0.02 %), worked by hand:

* 00:05 high 27279.98 > max(00:03, 00:04) = 27276.39 and >= max(00:06, 00:07) = 27275.01:
  a swing high, confirmed at 00:07 (index 7), not before.
* 00:06 low 27215.38 < min(00:04, 00:05) = 27257.66 and <= min(00:07, 00:08) = 27215.38 (a tie
  after is allowed): swing low confirmed at index 8. 00:07 has the same low but is not a swing:
  "strictly below the k bars before" fails (27215.38 is not < 27215.38).
* index 9: close 27205.16 < last swing low 27215.38 and the close before, 27222.57, was not:
  bearish break of structure (-1). Index 14: close 27291.79 > last swing high 27279.98,
  previous close 27217.74: bullish break (+1).
* index 25 confirms the swing high 27398.79 (bar 23) > 27279.98: HH; index 27 confirms the swing
  low 27350.00 (bar 25) > the previous 27195.63 (bar 12): HL -> structure +1 from index 27.
* index 32 confirms the swing low 27344.82 (bar 30): LL, and |27344.82 - 27350.00| = 5.18 <=
  0.0002 * 27350.00 = 5.47: a double bottom. Index 34 confirms the swing high 27419.94 (bar 32)
  < 27428.69: LH (8.75 apart > 5.49: no double top) -> structure -1 (LH and LL).
"""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features import price_action as pa
from ai_engine.marketdata.frames import Bars


@pytest.fixture(scope="module")
def s(btc: Bars) -> pa.Structure:
    n = 40
    return pa.price_structure(btc.high[:n], btc.low[:n], btc.close[:n], k=2, tolerance_pct=0.02)


def test_swings_are_reported_at_their_confirmation_bar(s: pa.Structure) -> None:
    assert np.flatnonzero(~np.isnan(s.swing_high))[:3].tolist() == [7, 25, 28]
    assert s.swing_high[7] == 27279.98
    assert np.flatnonzero(~np.isnan(s.swing_low))[:2].tolist() == [8, 14]
    assert s.swing_low[8] == 27215.38
    assert np.isnan(s.last_high[6])
    assert s.last_high[7] == 27279.98
    assert s.last_low[13] == 27215.38
    assert s.last_low[14] == 27195.63


def test_labels_and_structure(s: pa.Structure) -> None:
    assert s.high_label[25] == 1.0  # HH
    assert s.low_label[27] == 1.0  # HL
    assert s.structure[26] == 0.0
    assert s.structure[27] == 1.0
    assert s.low_label[32] == -1.0  # LL
    assert s.high_label[34] == -1.0  # LH
    assert s.structure[34] == -1.0


def test_break_of_structure(s: pa.Structure) -> None:
    assert s.bos[9] == -1.0
    assert s.bos[14] == 1.0
    assert s.bos[10] == 0.0  # still below, but not a new break


def test_double_bottom_and_no_double_top(s: pa.Structure) -> None:
    assert s.double_bottom[32] == 1.0
    assert s.double_top[34] == 0.0
    assert set(np.unique(s.double_top)) <= {0.0, 1.0}


def test_hand_made_double_top() -> None:
    # highs with k=1: swing highs at 1 (10.0) and 3 (10.005), confirmed at 2 and 4
    high = np.array([9.0, 10.0, 9.5, 10.005, 9.0, 8.0])
    low = high - 1
    s = pa.price_structure(high, low, high - 0.5, k=1, tolerance_pct=0.1)
    assert s.double_top.tolist() == [0, 0, 0, 0, 1, 0]
    assert s.high_label[4] == 1.0  # 10.005 > 10.0 is still an HH


def test_no_swing_before_2k_bars() -> None:
    high = np.array([1.0, 3.0, 2.0])
    assert np.isnan(pa.swing_highs(high, k=2)).all()

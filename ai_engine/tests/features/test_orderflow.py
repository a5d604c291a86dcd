"""Order flow from klines: hand-worked values on real bars (BTCUSDT spot, AVAXUSDT USD-M)."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features import orderflow
from ai_engine.marketdata.frames import Bars


def test_delta_and_buy_ratio_hand_worked_on_real_bar(btc: Bars) -> None:
    # 2023-03-23 00:00: volume 92.39538, taker buy 31.13592
    # delta = 2 * 31.13592 - 92.39538 = -30.12354; ratio = 31.13592 / 92.39538 = 0.3369857
    delta = orderflow.kline_delta(btc.volume, btc.taker_buy_volume)
    assert delta[0] == pytest.approx(-30.12354, abs=1e-9)
    ratio = orderflow.aggressive_buy_ratio(btc.volume, btc.taker_buy_volume)
    assert ratio[0] == pytest.approx(0.3369857, abs=1e-7)
    traded = btc.volume > 0  # 2023-03-24 holds 72 zero-volume bars after the trading halt
    assert (~traded).sum() == 72
    assert ((ratio[traded] >= 0) & (ratio[traded] <= 1)).all()
    assert np.isnan(ratio[~traded]).all()


def test_volume_ratio_uses_only_the_bars_before(btc: Bars) -> None:
    # volumes 00:00..00:03: 92.39538, 91.15855, 75.92975, 60.27290
    # ratio at 00:03 (window 3) = 60.27290 / ((92.39538 + 91.15855 + 75.92975) / 3)
    #                           = 60.27290 / 86.49456 = 0.696840
    got = orderflow.volume_ratio(btc.volume, 3)
    assert np.isnan(got[:3]).all()
    assert got[3] == pytest.approx(0.696840, abs=1e-6)


def test_cumulative_delta_and_surge_hand_worked() -> None:
    delta = np.array([1.0, -2.0, 3.0, 6.0])
    np.testing.assert_array_equal(orderflow.cumulative_delta(delta), [1.0, -1.0, 2.0, 8.0])
    np.testing.assert_array_equal(orderflow.cumulative_delta(delta, 2)[1:], [-1.0, 1.0, 9.0])
    # surge at 3 = |6| / mean(|1|, |-2|, |3|) = 6 / 2 = 3
    surge = orderflow.flow_surge(delta, 3)
    assert np.isnan(surge[:3]).all()
    assert surge[3] == 3.0


def test_rolling_cvd_matches_differences_of_full_cvd_on_real_futures(avax: Bars) -> None:
    delta = orderflow.kline_delta(avax.volume, avax.taker_buy_volume)
    full = orderflow.cumulative_delta(delta)
    rolling = orderflow.cumulative_delta(delta, 20)
    np.testing.assert_allclose(rolling[20:], full[20:] - full[:-20], rtol=1e-9, atol=1e-6)


def test_zero_volume_bar_gives_nan_ratio() -> None:
    got = orderflow.aggressive_buy_ratio([0.0, 2.0], [0.0, 1.5])
    assert np.isnan(got[0])
    assert got[1] == 0.75

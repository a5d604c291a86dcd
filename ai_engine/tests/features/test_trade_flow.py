"""Order flow from real trades: signed sizes, cumulative delta, large trades, per-bar sums."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features import trade_flow
from ai_engine.marketdata import bars_from_trades
from ai_engine.marketdata.frames import Trades

# USD-M BTCUSDT trades 2024-08-08 23:55:00 (first 10 rows of the excerpt):
#   qty   0.002 0.001 0.041 0.002 0.010 0.315 0.120 0.188 0.434 0.101
#   maker True  False False False False False False False True  True   (True: taker SOLD)
SIGNED = [-0.002, 0.001, 0.041, 0.002, 0.010, 0.315, 0.120, 0.188, -0.434, -0.101]
# running sum of SIGNED:
CUM = [-0.002, -0.001, 0.040, 0.042, 0.052, 0.367, 0.487, 0.675, 0.241, 0.140]
# large trades (window 5, > 2x the mean of the 5 before):
#   j=5: mean(0.002, 0.001, 0.041, 0.002, 0.010) = 0.0112 -> 0.315 > 0.0224   True
#   j=6: mean(0.001 .. 0.315) = 0.0738 -> 0.120 > 0.1476                     False
#   j=7: mean(0.041 .. 0.120) = 0.0976 -> 0.188 > 0.1952                     False
#   j=8: mean(0.002 .. 0.188) = 0.127  -> 0.434 > 0.254                      True
#   j=9: mean(0.010 .. 0.434) = 0.2134 -> 0.101 > 0.4268                     False
LARGE = [False] * 5 + [True, False, False, True, False]


def test_signed_and_cumulative_delta_hand_worked(usdm_trades: Trades) -> None:
    q, m = usdm_trades.qty[:10], usdm_trades.is_buyer_maker[:10]
    np.testing.assert_allclose(trade_flow.signed_qty(q, m), SIGNED, atol=1e-12)
    np.testing.assert_allclose(trade_flow.trade_cumulative_delta(q, m), CUM, atol=1e-12)


def test_large_trades_hand_worked(usdm_trades: Trades) -> None:
    got = trade_flow.large_trades(usdm_trades.qty[:10], window=5, multiple=2.0)
    assert got.tolist() == LARGE


def test_bar_sums_agree_with_the_importers_trade_bars(spot_trades: Trades) -> None:
    # The marketdata package builds 1m bars from the same trades; the per-bar sums of qty and of
    # taker-buy qty must equal its volume and taker_buy_volume, and the delta 2*buy - volume.
    bars = bars_from_trades(spot_trades, "1m")
    assert len(bars) == 3
    volume = trade_flow.bar_sums(spot_trades.time, spot_trades.qty, bars.open_time, 60_000)
    signed = trade_flow.signed_qty(spot_trades.qty, spot_trades.is_buyer_maker)
    delta = trade_flow.bar_sums(spot_trades.time, signed, bars.open_time, 60_000)
    np.testing.assert_allclose(volume, bars.volume, rtol=1e-12)
    np.testing.assert_allclose(delta, 2 * bars.taker_buy_volume - bars.volume, atol=1e-9)


def test_bar_sums_drop_trades_outside_every_bar() -> None:
    # bars open at 0 and 120000 (1m each): a trade at 60000..119999 is in no bar
    got = trade_flow.bar_sums([5, 60_000, 120_001, -1], [1.0, 2.0, 4.0, 8.0], [0, 120_000], 60_000)
    np.testing.assert_array_equal(got, [1.0, 4.0])
    assert len(trade_flow.bar_sums([1], [1.0], [], 60_000)) == 0


def test_shape_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="is_buyer_maker"):
        trade_flow.signed_qty([1.0, 2.0], [True])

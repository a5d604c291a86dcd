from __future__ import annotations

import numpy as np
import pytest

from ai_engine.marketdata.frames import Trades
from ai_engine.marketdata.intervals import interval_ms
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.resampling import resample
from ai_engine.marketdata.schema import trades_of
from ai_engine.marketdata.tradebars import bars_from_trades

from .samples import SPOT_TRADES, USDM_TRADES


@pytest.fixture(scope="module")
def trades() -> Trades:
    return trades_of(parse_file(USDM_TRADES).table)


@pytest.mark.parametrize("interval", ["1s", "5s", "10s", "30s", "1m"])
def test_bars_hold_every_trade(trades: Trades, interval: str) -> None:
    bars = bars_from_trades(trades, interval)
    assert bars.trades.sum() == len(trades)
    assert bars.volume.sum() == pytest.approx(trades.qty.sum())
    assert np.all(np.diff(bars.open_time) > 0)
    assert np.all(bars.open_time % interval_ms(interval) == 0)
    assert np.all(bars.high >= np.maximum(bars.open, bars.close))
    assert np.all(bars.low <= np.minimum(bars.open, bars.close))


def test_one_second_bar_by_hand(trades: Trades) -> None:
    bars = bars_from_trades(trades, "1s")
    second = trades.time // 1000 * 1000
    first = int(second[0])
    mask = second == first
    assert bars.open_time[0] == first
    assert bars.open[0] == trades.price[mask][0]
    assert bars.close[0] == trades.price[mask][-1]
    assert bars.high[0] == trades.price[mask].max()
    assert bars.trades[0] == mask.sum()


def test_taker_buy_volume_is_where_the_buyer_was_not_the_maker(trades: Trades) -> None:
    bars = bars_from_trades(trades, "1m")
    buys = ~trades.is_buyer_maker
    assert bars.taker_buy_volume.sum() == pytest.approx(trades.qty[buys].sum())
    assert bars.taker_buy_quote_volume.sum() == pytest.approx(trades.quote_qty[buys].sum())
    assert np.all(bars.taker_buy_volume <= bars.volume + 1e-12)


def test_seconds_resample_to_the_same_minutes() -> None:
    spot = trades_of(parse_file(SPOT_TRADES).table)
    direct = bars_from_trades(spot, "1m")
    via = resample(bars_from_trades(spot, "5s"), "1m", source_interval="5s")
    np.testing.assert_array_equal(direct.open_time, via.open_time)
    np.testing.assert_array_equal(direct.close, via.close)
    np.testing.assert_allclose(direct.volume, via.volume)


def test_no_trades_no_bars() -> None:
    empty = trades_of(parse_file(SPOT_TRADES).table.slice(0, 0))
    assert len(bars_from_trades(empty, "1s")) == 0

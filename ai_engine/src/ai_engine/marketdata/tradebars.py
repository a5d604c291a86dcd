"""Bars built from trades at any interval, down to one second (ultra-short-term strategies).

Same buckets and rules as ``resample``; seconds with no trade produce no bar. Taker-buy volume
is the volume of trades whose taker bought: Binance's ``is_buyer_maker`` is True when the buyer
was the resting order, i.e. the taker SOLD, so taker buys are the rows where it is False.
"""

from __future__ import annotations

import numpy as np

from ai_engine.marketdata.frames import Bars, Trades
from ai_engine.marketdata.intervals import bucket_starts
from ai_engine.marketdata.resampling import bucket_bounds


def bars_from_trades(trades: Trades, interval: str) -> Bars:
    """OHLCV bars of ``interval`` ("1s", "5s", "1m", ...) from trades in id (time) order."""
    if len(trades) == 0:
        return Bars.empty()
    buckets = bucket_starts(trades.time, interval)
    starts = bucket_bounds(buckets)
    ends = np.append(starts[1:], len(buckets)) - 1
    taker_buy = ~trades.is_buyer_maker
    return Bars(
        open_time=buckets[starts],
        open=trades.price[starts],
        high=np.maximum.reduceat(trades.price, starts),
        low=np.minimum.reduceat(trades.price, starts),
        close=trades.price[ends],
        volume=np.add.reduceat(trades.qty, starts),
        quote_volume=np.add.reduceat(trades.quote_qty, starts),
        taker_buy_volume=np.add.reduceat(np.where(taker_buy, trades.qty, 0.0), starts),
        taker_buy_quote_volume=np.add.reduceat(np.where(taker_buy, trades.quote_qty, 0.0), starts),
        trades=np.diff(np.append(starts, len(buckets))).astype(np.int64),
    )

"""Order flow from individual trades (Binance trade dumps / ``@trade`` stream), and trades to bars.

Binance marks each trade with ``is_buyer_maker``: True means the resting order was the buyer,
so the *taker sold*. Per trade:

* signed size: ``+qty`` for a taker buy, ``-qty`` for a taker sell;
* cumulative delta: running sum of the signed sizes from the first trade;
* large trade (seed 001 "large order detection > 2x average size"): ``qty[j] > multiple *
  mean(qty[j-window .. j-1])``, the mean over the ``window`` trades *before* ``j``; False
  during the first ``window`` trades (no average yet);
* per bar: ``bar_sums`` adds any per-trade value into the bars ``[open, open + interval)`` that
  hold each trade's timestamp (trades outside every bar are dropped), e.g. the bar's delta,
  its taker-buy volume or its count of large trades.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ai_engine.features._arrays import FloatArray, as_f64, check_period, rolling_sum, shift


def signed_qty(qty: ArrayLike, is_buyer_maker: ArrayLike) -> FloatArray:
    """``+qty`` where the taker bought (``is_buyer_maker`` False), ``-qty`` where it sold."""
    q = as_f64(qty, "qty")
    maker_bought = np.asarray(is_buyer_maker, dtype=bool)
    if maker_bought.shape != q.shape:
        raise ValueError(f"is_buyer_maker: shape {maker_bought.shape}, qty: {q.shape}")
    return np.where(maker_bought, -q, q)


def trade_cumulative_delta(qty: ArrayLike, is_buyer_maker: ArrayLike) -> FloatArray:
    """Running sum of ``signed_qty`` from the first trade."""
    return np.cumsum(signed_qty(qty, is_buyer_maker))


def large_trades(qty: ArrayLike, window: int = 100, multiple: float = 2.0) -> NDArray[np.bool_]:
    """True where ``qty`` exceeds ``multiple`` times the mean size of the preceding ``window``."""
    q = as_f64(qty, "qty")
    w = check_period(window, "window")
    past_mean = shift(rolling_sum(q, w), 1) / w
    with np.errstate(invalid="ignore"):
        return np.asarray(q > multiple * past_mean)  # NaN mean (warm-up) compares False


def bar_sums(
    trade_time: ArrayLike, values: ArrayLike, bar_open_time: ArrayLike, interval_ms: int
) -> FloatArray:
    """Sum of ``values`` over the trades inside each bar ``[open, open + interval_ms)``.

    ``trade_time`` and ``bar_open_time`` are int64 ms, sorted ascending; bars without trades
    get 0. A trade belongs to the last bar opened at or before it, if that bar still covers it.
    """
    t = np.asarray(trade_time, dtype=np.int64)
    opens = np.asarray(bar_open_time, dtype=np.int64)
    vals = as_f64(values, "values")
    if t.shape != vals.shape:
        raise ValueError(f"trade_time: shape {t.shape}, values: {vals.shape}")
    check_period(interval_ms, "interval_ms")
    if len(opens) == 0:
        return np.zeros(0)
    bar = np.searchsorted(opens, t, side="right") - 1
    inside = (bar >= 0) & (t < opens[np.maximum(bar, 0)] + interval_ms)
    return np.bincount(bar[inside], weights=vals[inside], minlength=len(opens)).astype(np.float64)

"""Order flow from klines: Binance's taker-buy volume splits each bar's volume by aggressor.

* delta: ``delta = taker_buy - (volume - taker_buy) = 2*taker_buy - volume`` (base asset;
  positive = aggressive buyers dominated the bar).
* cumulative delta: ``cvd[i] = delta[0] + ... + delta[i]`` (depends on where the series
  starts), or over the last ``window`` bars only (start-independent once warm).
* aggressive-trade ratio: ``taker_buy / volume`` in ``[0, 1]``, NaN for a bar with no volume.
* flow surge (seed 004, "net order flow surge > 3x average"): ``|delta[i]|`` divided by the
  mean of ``|delta|`` over the ``window`` bars *before* ``i``; NaN for the first ``window``
  bars and when that mean is 0.
* volume ratio: ``volume[i]`` over the mean volume of the ``window`` bars before ``i``
  (seed 001 gate "volume ratio >= 1.5", seed 004 "volume > 2x 20-period average").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ai_engine.features._arrays import (
    FloatArray,
    as_f64,
    check_period,
    rolling_sum,
    same_length,
    shift,
)


def kline_delta(volume: ArrayLike, taker_buy_volume: ArrayLike) -> FloatArray:
    """``2*taker_buy - volume`` per bar."""
    v, tb = as_f64(volume, "volume"), as_f64(taker_buy_volume, "taker_buy_volume")
    same_length(volume=v, taker_buy_volume=tb)
    return 2.0 * tb - v


def cumulative_delta(delta: ArrayLike, window: int | None = None) -> FloatArray:
    """Running sum of ``delta`` from the first bar, or over the last ``window`` bars."""
    d = as_f64(delta, "delta")
    if window is None:
        return np.cumsum(d)
    return rolling_sum(d, check_period(window, "window"))


def aggressive_buy_ratio(volume: ArrayLike, taker_buy_volume: ArrayLike) -> FloatArray:
    """``taker_buy / volume`` (NaN where ``volume`` is 0)."""
    v, tb = as_f64(volume, "volume"), as_f64(taker_buy_volume, "taker_buy_volume")
    same_length(volume=v, taker_buy_volume=tb)
    out = np.full(len(v), np.nan)
    np.divide(tb, v, out=out, where=v > 0)
    return out


def ratio_to_past_mean(x: ArrayLike, window: int) -> FloatArray:
    """``x[i] / mean(x[i-window .. i-1])``: how unusual bar ``i`` is against the bars before it."""
    a = as_f64(x, "x")
    w = check_period(window, "window")
    past_mean = shift(rolling_sum(a, w), 1) / w
    out = np.full(len(a), np.nan)
    np.divide(a, past_mean, out=out, where=past_mean > 0)
    return out


def flow_surge(delta: ArrayLike, window: int = 20) -> FloatArray:
    """``|delta[i]|`` over the mean ``|delta|`` of the ``window`` bars before ``i``."""
    return ratio_to_past_mean(np.abs(as_f64(delta, "delta")), window)


def volume_ratio(volume: ArrayLike, window: int = 20) -> FloatArray:
    """``volume[i]`` over the mean volume of the ``window`` bars before ``i``."""
    return ratio_to_past_mean(volume, window)

"""Market regime: trend vs range (ADX and moving-average slope) and volatility regime (where the
current ATR stands among its own past values).

* MA slope: ``slope[i] = 100 * (ma[i] - ma[i-bars]) / ma[i-bars]``, percent over ``bars`` bars.
* trend regime: +1 (up-trend) where ``adx >= adx_threshold`` and ``slope > 0``, -1 (down-trend)
  where ``adx >= adx_threshold`` and ``slope < 0``, 0 (range) otherwise; NaN while either input
  is NaN. Seed 004's "trending vs ranging identification"; 25 is Wilder's usual threshold.
* volatility percentile: for ``x = natr`` (ATR as percent of the close, TA-Lib ``NATR``),
  ``pct[i] = #{past values < x[i]} / lookback`` with past values ``x[i-lookback .. i-1]``:
  computed on past data only, in ``[0, 1]``; NaN until ``lookback`` past values exist.
  (Inputs are assumed NaN only during their own warm-up at the start.)
* volatility regime: -1 (quiet) where ``pct < low``, +1 (volatile) where ``pct > high``,
  0 (normal) in between, NaN where ``pct`` is NaN. Defaults 0.25 / 0.75.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from ai_engine.features._arrays import FloatArray, as_f64, check_period, same_length, shift


def slope_pct(ma: ArrayLike, bars: int = 5) -> FloatArray:
    """``100 * (ma[i] - ma[i-bars]) / ma[i-bars]``."""
    m = as_f64(ma, "ma")
    before = shift(m, check_period(bars, "bars"))
    out = np.full(len(m), np.nan)
    with np.errstate(invalid="ignore"):
        np.divide(100.0 * (m - before), before, out=out, where=before > 0)
    return out


def trend_regime(adx: ArrayLike, slope: ArrayLike, adx_threshold: float = 25.0) -> FloatArray:
    """+1 up-trend, -1 down-trend, 0 range, NaN unknown (see module docstring)."""
    a, s = as_f64(adx, "adx"), as_f64(slope, "slope")
    same_length(adx=a, slope=s)
    with np.errstate(invalid="ignore"):
        out = np.where(a >= adx_threshold, np.sign(s), 0.0)
    out[np.isnan(a) | np.isnan(s)] = np.nan
    return out


def past_percentile(x: ArrayLike, lookback: int = 240) -> FloatArray:
    """Share of the ``lookback`` values before ``i`` that are below ``x[i]``."""
    v = as_f64(x, "x")
    n, w = len(v), check_period(lookback, "lookback")
    out = np.full(n, np.nan)
    if n <= w:
        return out
    past = sliding_window_view(v, w)[: n - w]  # row r = v[r .. r+w-1], the window before r+w
    current = v[w:]
    out[w:] = np.count_nonzero(past < current[:, None], axis=1) / w
    out[w:][np.isnan(current) | np.isnan(v[: n - w])] = np.nan
    return out


def volatility_regime(percentile: ArrayLike, low: float = 0.25, high: float = 0.75) -> FloatArray:
    """-1 quiet, 0 normal, +1 volatile, NaN unknown (see module docstring)."""
    p = as_f64(percentile, "percentile")
    with np.errstate(invalid="ignore"):
        out = (p > high).astype(np.float64) - (p < low).astype(np.float64)
    out[np.isnan(p)] = np.nan
    return out

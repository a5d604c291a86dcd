"""Price action: confirmed swing highs/lows, HH/HL/LH/LL labels, break of structure, double tops.

Swings (a ``k``-bar fractal with a confirmation delay, so nothing looks ahead):

* bar ``j`` is a swing high when ``high[j] > max(high[j-k .. j-1])`` and
  ``high[j] >= max(high[j+1 .. j+k])``; a swing low mirrors it with ``low`` (``<`` before,
  ``<=`` after). The swing is only *known* at bar ``i = j + k``, its confirmation bar, and
  every output below reports it there, never at ``j``. The first ``2k`` bars confirm nothing.
* ``last_high`` / ``last_low``: the level of the latest swing confirmed at or before ``i``.
* labels at each confirmation, forward-filled: ``high_label`` +1 = HH (above the previous swing
  high), -1 = LH (below), 0 = equal or no previous swing; ``low_label`` +1 = HL, -1 = LL.
* ``structure``: +1 (uptrend) when the latest labels are HH and HL, -1 (downtrend) when LH and
  LL, else 0.
* ``bos`` (break of structure): +1 on the bar whose close first rises above ``last_high``
  (``close[i] > L and close[i-1] <= L`` with ``L = last_high[i]``), -1 on the bar whose close
  first falls below ``last_low``, else 0.
* ``double_top`` / ``double_bottom``: 1.0 at the confirmation of a swing high (low) within
  ``tolerance_pct`` percent of the previous swing high (low): ``|L_m - L_{m-1}| <= tol * L_{m-1}``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ai_engine.features._arrays import (
    FloatArray,
    as_f64,
    check_period,
    ffill,
    rolling_max,
    rolling_min,
    same_length,
    shift,
)


@dataclass(frozen=True, eq=False)
class Structure:
    """Per-bar price-structure arrays (see module docstring); NaN where not yet defined."""

    swing_high: FloatArray  # level at the confirmation bar, NaN elsewhere
    swing_low: FloatArray
    last_high: FloatArray
    last_low: FloatArray
    high_label: FloatArray
    low_label: FloatArray
    structure: FloatArray
    bos: FloatArray
    double_top: FloatArray
    double_bottom: FloatArray


def swing_highs(high: ArrayLike, k: int = 3) -> FloatArray:
    """Swing-high level at each confirmation bar ``j + k``, NaN elsewhere."""
    h = as_f64(high, "high")
    check_period(k, "k")
    before = shift(rolling_max(h, k), k + 1)  # max(high[j-k .. j-1]) seen from i = j + k
    after = rolling_max(h, k)  # max(high[j+1 .. i])
    candidate = shift(h, k)
    with np.errstate(invalid="ignore"):
        hit = (candidate > before) & (candidate >= after)
    return np.where(hit, candidate, np.nan)


def swing_lows(low: ArrayLike, k: int = 3) -> FloatArray:
    """Swing-low level at each confirmation bar ``j + k``, NaN elsewhere."""
    lo = as_f64(low, "low")
    check_period(k, "k")
    before = shift(rolling_min(lo, k), k + 1)
    after = rolling_min(lo, k)
    candidate = shift(lo, k)
    with np.errstate(invalid="ignore"):
        hit = (candidate < before) & (candidate <= after)
    return np.where(hit, candidate, np.nan)


def _labels(swings: FloatArray, tolerance_pct: float) -> tuple[FloatArray, FloatArray]:
    """(+1/-1/0 label vs the previous swing, 1.0 where within tolerance) at confirmation bars."""
    at = np.flatnonzero(~np.isnan(swings))
    levels = swings[at]
    label = np.full(len(swings), np.nan)
    double = np.zeros(len(swings))
    if len(at):
        label[at[0]] = 0.0
        label[at[1:]] = np.sign(levels[1:] - levels[:-1])
        near = np.abs(levels[1:] - levels[:-1]) <= tolerance_pct / 100.0 * levels[:-1]
        double[at[1:]] = near.astype(np.float64)
    return label, double


def _first_cross(close: FloatArray, level: FloatArray, up: bool) -> FloatArray:
    prev = shift(close, 1)
    with np.errstate(invalid="ignore"):
        crossed = (close > level) & (prev <= level) if up else (close < level) & (prev >= level)
    return crossed.astype(np.float64)


def price_structure(
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    k: int = 3,
    tolerance_pct: float = 0.1,
) -> Structure:
    """Every price-structure array at once (see module docstring)."""
    h, lo, c = as_f64(high, "high"), as_f64(low, "low"), as_f64(close, "close")
    same_length(high=h, low=lo, close=c)
    sh, sl = swing_highs(h, k), swing_lows(lo, k)
    hl_at, dtop = _labels(sh, tolerance_pct)
    ll_at, dbot = _labels(sl, tolerance_pct)
    high_label, low_label = ffill(hl_at), ffill(ll_at)
    structure = np.where(
        (high_label == 1) & (low_label == 1),
        1.0,
        np.where((high_label == -1) & (low_label == -1), -1.0, 0.0),
    )
    last_high, last_low = ffill(sh), ffill(sl)
    bos = _first_cross(c, last_high, up=True) - _first_cross(c, last_low, up=False)
    return Structure(
        swing_high=sh,
        swing_low=sl,
        last_high=last_high,
        last_low=last_low,
        high_label=high_label,
        low_label=low_label,
        structure=structure,
        bos=bos,
        double_top=dtop,
        double_bottom=dbot,
    )

"""Support and resistance from the recent range, and breakouts through them (seed 004 entry
stack, "support/resistance break: clean breakout with conviction").

* ``resistance[i] = max(high[i-window .. i-1])``, ``support[i] = min(low[i-window .. i-1])``:
  the range of the ``window`` bars *before* ``i`` (so bar ``i`` can break it); NaN for the first
  ``window`` bars. Swing-based levels are ``price_action.Structure.last_high`` / ``last_low``.
* breakout: +1 where ``close[i] > resistance[i]``, -1 where ``close[i] < support[i]``, else 0.
* distance: ``100 * (level - close) / close``, percent (positive = level above the close).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ai_engine.features._arrays import FloatArray, as_f64, past_max, past_min, same_length


def range_levels(
    high: ArrayLike, low: ArrayLike, window: int = 20
) -> tuple[FloatArray, FloatArray]:
    """``(resistance, support)`` of the ``window`` bars before each bar."""
    h, lo = as_f64(high, "high"), as_f64(low, "low")
    same_length(high=h, low=lo)
    return past_max(h, window), past_min(lo, window)


def breakout(close: ArrayLike, resistance: FloatArray, support: FloatArray) -> FloatArray:
    """+1 close above resistance, -1 close below support, 0 otherwise (and during warm-up)."""
    c = as_f64(close, "close")
    same_length(close=c, resistance=resistance, support=support)
    with np.errstate(invalid="ignore"):
        return (c > resistance).astype(np.float64) - (c < support).astype(np.float64)


def distance_pct(close: ArrayLike, level: FloatArray) -> FloatArray:
    """``100 * (level - close) / close``."""
    c = as_f64(close, "close")
    same_length(close=c, level=level)
    out = np.full(len(c), np.nan)
    np.divide(100.0 * (level - c), c, out=out, where=c > 0)
    return out

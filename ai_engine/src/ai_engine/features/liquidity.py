"""Liquidity sweeps (stop hunts, seed 001 section 1.8): a spike through a liquidity zone, an
immediate reversal and a volume surge, to be faded.

Zones are the extremes of the ``window`` bars *before* bar ``i`` (where resting stops sit):
``zone_high = max(high[i-window .. i-1])``, ``zone_low = min(low[i-window .. i-1])``.

* bearish sweep (-1, fade = sell): ``high[i] > zone_high`` and ``close[i] < zone_high`` (the wick
  pierced the zone, the bar closed back below it) and ``volume_ratio[i] >= volume_multiple``;
* bullish sweep (+1, fade = buy): ``low[i] < zone_low`` and ``close[i] > zone_low`` and the same
  volume condition;
* 0 otherwise, and 0 when one bar sweeps both sides. NaN-free: warm-up bars are 0.

``volume_ratio`` is ``orderflow.volume_ratio(volume, window)``: the bar's volume over the
mean of the ``window`` bars before it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ai_engine.features._arrays import FloatArray, as_f64, past_max, past_min, same_length
from ai_engine.features.orderflow import volume_ratio


def liquidity_sweep(
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike,
    window: int = 20,
    volume_multiple: float = 1.5,
) -> FloatArray:
    """+1 bullish sweep, -1 bearish sweep, 0 none (see module docstring)."""
    h, lo, c, v = (
        as_f64(a, n)
        for a, n in ((high, "high"), (low, "low"), (close, "close"), (volume, "volume"))
    )
    same_length(high=h, low=lo, close=c, volume=v)
    zone_high, zone_low = past_max(h, window), past_min(lo, window)
    with np.errstate(invalid="ignore"):
        surge = volume_ratio(v, window) >= volume_multiple
        bear = (h > zone_high) & (c < zone_high) & surge
        bull = (lo < zone_low) & (c > zone_low) & surge
    return bull.astype(np.float64) - bear.astype(np.float64)

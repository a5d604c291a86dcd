"""Rolling volume profile: VPOC, value-area high and low over the last ``window`` bars.

At bar ``i`` the window is bars ``i-window+1 .. i``. Its price range ``[lo, hi]`` (lowest low,
highest high of the window) is cut into ``bins`` equal bins of width ``(hi - lo) / bins``;
each bar puts its whole volume in the bin holding its typical price ``(h + l + c) / 3``
(``floor((tp - lo) / width)``, the top edge counted in the last bin; bin edges are scaled by
``1 - 1e-9`` for that, a relative shift far below any price tick). This is the usual
approximation of a profile from bars; with trades the same code would bin trade prices.

* VPOC: centre of the bin with the most volume (the lowest such bin on a tie).
* value area (70 % by default): the highest-volume bins: every bin whose volume is at least
  ``t``, with ``t`` the largest threshold for which those bins hold at least ``value_area`` of
  the window's volume (bins tied at ``t`` are all in). VAH is the upper edge of the highest
  chosen bin, VAL the lower edge of the lowest. (This is the "top bins" definition; CME's rule
  instead grows outward from the VPOC. Both contain the VPOC and at least 70 % of the volume;
  they can differ when the profile has two separate peaks.)

NaN for the first ``window - 1`` bars, for a window without volume, and for a window whose
range is 0 (every price equal: VPOC = VAH = VAL = that price instead).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from ai_engine.features._arrays import (
    FloatArray,
    as_f64,
    check_period,
    rolling_max,
    rolling_min,
    same_length,
)


@dataclass(frozen=True, eq=False)
class VolumeProfile:
    vpoc: FloatArray
    vah: FloatArray
    val: FloatArray


def volume_profile(
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike,
    window: int = 60,
    bins: int = 24,
    value_area: float = 0.70,
) -> VolumeProfile:
    """Per-bar VPOC, VAH and VAL of the trailing ``window`` bars (see module docstring)."""
    h, lo, c, v = (
        as_f64(a, name)
        for a, name in ((high, "high"), (low, "low"), (close, "close"), (volume, "volume"))
    )
    n = same_length(high=h, low=lo, close=c, volume=v)
    w, b = check_period(window, "window", 2), check_period(bins, "bins", 2)
    if not 0.0 < value_area <= 1.0:
        raise ValueError(f"value_area must be in (0, 1], got {value_area}")
    vpoc, vah, val = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    if n < w:
        return VolumeProfile(vpoc, vah, val)
    tp = (h + lo + c) / 3.0
    top, bottom = rolling_max(h, w)[w - 1 :], rolling_min(lo, w)[w - 1 :]
    rows = n - w + 1
    width = (top - bottom) / b
    flat = width <= 0
    # Bin of every bar of every window, offset by row so one bincount builds all histograms.
    # The factor (1 - 1e-9) puts a price equal to the window's top in the last bin.
    scale = (b * (1.0 - 1e-9)) / np.where(flat, 1.0, top - bottom)
    offset = np.arange(rows, dtype=np.float64) * b
    idx = (sliding_window_view(tp, w) - bottom[:, None]) * scale[:, None] + offset[:, None]
    weights = sliding_window_view(v, w).ravel()
    hist = np.bincount(idx.astype(np.intp).ravel(), weights=weights, minlength=rows * b)
    hist = hist.reshape(rows, b)
    total = hist.sum(axis=1)
    poc = np.argmax(hist, axis=1)
    # Value area: the smallest volume threshold t such that the bins holding >= t together
    # hold >= value_area of the volume. With bins sorted ascending (s_0 <= ... ) and running
    # sums C_k, the bins to leave out are those with C_k <= (1 - value_area) * total.
    ascending = np.sort(hist, axis=1)
    left_out = np.count_nonzero(
        np.cumsum(ascending, axis=1) <= (1.0 - value_area) * total[:, None], axis=1
    )
    threshold = ascending.ravel()[np.arange(rows) * b + np.minimum(left_out, b - 1)]
    chosen = hist >= threshold[:, None]
    lo_bin = np.argmax(chosen, axis=1)
    hi_bin = b - 1 - np.argmax(chosen[:, ::-1], axis=1)
    ok = (total > 0) & ~flat
    vpoc[w - 1 :] = np.where(ok, bottom + (poc + 0.5) * width, np.nan)
    vah[w - 1 :] = np.where(ok, bottom + (hi_bin + 1) * width, np.nan)
    val[w - 1 :] = np.where(ok, bottom + lo_bin * width, np.nan)
    one_price = flat & (total > 0)
    for arr in (vpoc, vah, val):
        arr[w - 1 :][one_price] = bottom[one_price]
    return VolumeProfile(vpoc, vah, val)

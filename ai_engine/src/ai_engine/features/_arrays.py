"""Array helpers shared by the feature modules.

Rules: every feature takes and returns one-dimensional float64 numpy arrays of equal length,
index ``i`` is the bar that closed at ``close_time[i]``, and a value at ``i`` may use inputs
``0..i`` only (no lookahead). Undefined values (warm-up, empty windows) are NaN.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import talib
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
"""A one-dimensional float64 array, one value per bar."""


def as_f64(values: ArrayLike, name: str) -> FloatArray:
    """``values`` as a contiguous 1-D float64 array, or ``ValueError`` naming ``name``."""
    arr = np.ascontiguousarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    return arr


def same_length(**arrays: FloatArray) -> int:
    """The common length of ``arrays``, or ``ValueError`` listing every length."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays differ in length: {lengths}")
    return next(iter(lengths.values())) if lengths else 0


def check_period(period: int, name: str = "period", minimum: int = 1) -> int:
    """``period`` if it is an int at least ``minimum``, else ``ValueError``."""
    if isinstance(period, bool) or not isinstance(period, int) or period < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {period!r}")
    return period


def rolling_sum(x: FloatArray, window: int) -> FloatArray:
    """Trailing sum of the last ``window`` values: ``out[i] = x[i-window+1] + ... + x[i]``.

    NaN for ``i < window - 1``. Differences of one cumulative sum: a prefix of ``x`` gives
    bit-identical sums, and a window of exact zeros sums to exactly 0 (adding 0.0 leaves a float
    unchanged), which TA-Lib's running ``SUM`` (add the newest, subtract the oldest) does not
    guarantee: a zero-volume stretch must give NaN ratios, not noise divided by 1e-13. Rounding
    is of order ``1e-16 * |cumulative sum|``. A NaN input poisons every later window, so callers
    pass NaN-free inputs.
    """
    check_period(window, "window")
    n = len(x)
    out = np.empty(n)
    out[: window - 1] = np.nan
    if window > n:
        return out
    c = np.cumsum(x)
    out[window - 1] = c[window - 1]
    np.subtract(c[window:], c[:-window], out=out[window:])
    return out


def shift(x: FloatArray, k: int) -> FloatArray:
    """``out[i] = x[i-k]`` for ``k >= 0`` (NaN where ``i < k``): the value ``k`` bars ago."""
    if k < 0:
        raise ValueError("shift: k must be >= 0 (a negative shift would look ahead)")
    out = np.full(len(x), np.nan)
    if k == 0:
        return x.copy()
    if k < len(x):
        out[k:] = x[:-k]
    return out


def ffill_index(valid: NDArray[np.bool_]) -> NDArray[np.intp]:
    """For each row, the index of the last row ``<=`` it where ``valid`` holds, or -1."""
    idx = np.where(valid, np.arange(len(valid)), -1)
    return np.maximum.accumulate(idx) if len(idx) else idx.astype(np.intp)


def ffill(x: FloatArray) -> FloatArray:
    """``x`` with each NaN replaced by the last non-NaN value before it (NaN before the first)."""
    idx = ffill_index(~np.isnan(x))
    out = np.full(len(x), np.nan)
    seen = idx >= 0
    out[seen] = x[idx[seen]]
    return out


def past_max(x: FloatArray, window: int) -> FloatArray:
    """``max(x[i-window .. i-1])``: the highest of the ``window`` values *before* ``i``."""
    return shift(rolling_max(x, window), 1)


def past_min(x: FloatArray, window: int) -> FloatArray:
    """``min(x[i-window .. i-1])``: the lowest of the ``window`` values *before* ``i``."""
    return shift(rolling_min(x, window), 1)


def rolling_max(x: FloatArray, window: int) -> FloatArray:
    """``max(x[i-window+1 .. i])``, NaN for ``i < window - 1`` (TA-Lib ``MAX``)."""
    return _talib_window(talib.MAX, x, window)


def rolling_min(x: FloatArray, window: int) -> FloatArray:
    """``min(x[i-window+1 .. i])``, NaN for ``i < window - 1`` (TA-Lib ``MIN``)."""
    return _talib_window(talib.MIN, x, window)


def _talib_window(fn: Callable[..., FloatArray], x: FloatArray, window: int) -> FloatArray:
    check_period(window, "window")
    if window == 1:
        return x.copy()
    return fn(x, timeperiod=window)

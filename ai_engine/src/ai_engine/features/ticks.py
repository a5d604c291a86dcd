"""Tick momentum: direction of successive prices, up/down ratio, velocity and persistence.

Works on trade prices (one row per trade) and, as a bar-level proxy, on bar closes.

* direction: ``d[j] = sign(p[j] - p[j-1])`` (+1 uptick, -1 downtick, 0 unchanged); ``d[0] = 0``.
* up/down ratio: ``ups / (ups + downs)`` over the last ``window`` rows, in ``[0, 1]``; NaN for
  the first ``window - 1`` rows and for a window without any price change.
* persistence: signed length of the current run of same-direction changes: +3 = the third
  uptick in a row. Unchanged prices neither extend nor break a run (they repeat the current
  value); 0 before the first change.
* velocity: rows (trades) per second over the trailing ``window_ms``: the count of rows with
  ``time`` in ``(t - window_ms, t]`` divided by ``window_ms / 1000``; NaN until ``window_ms``
  of history exists (``t - window_ms >= time[0]``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ai_engine.features._arrays import (
    FloatArray,
    as_f64,
    check_period,
    ffill_index,
    rolling_sum,
)


def direction(price: ArrayLike) -> FloatArray:
    """``sign(p[j] - p[j-1])``, 0 for the first row."""
    p = as_f64(price, "price")
    d = np.zeros(len(p))
    if len(p) > 1:
        d[1:] = np.sign(p[1:] - p[:-1])
    return d


def updown_ratio(direction: ArrayLike, window: int) -> FloatArray:
    """Share of upticks among the price changes of the last ``window`` rows."""
    d = as_f64(direction, "direction")
    w = check_period(window, "window")
    ups = rolling_sum((d > 0).astype(np.float64), w)
    moves = rolling_sum((d != 0).astype(np.float64), w)
    out = np.full(len(d), np.nan)
    np.divide(ups, moves, out=out, where=moves > 0)
    return out


def persistence(direction: ArrayLike) -> FloatArray:
    """Signed length of the current run of same-direction changes (see module docstring)."""
    d = as_f64(direction, "direction")
    n = len(d)
    out = np.zeros(n)
    moves = np.flatnonzero(d != 0)
    if len(moves) == 0:
        return out
    md = d[moves]
    starts = np.ones(len(md), dtype=bool)
    starts[1:] = md[1:] != md[:-1]
    pos = np.arange(len(md))
    run_start = np.maximum.accumulate(np.where(starts, pos, 0))
    run = (pos - run_start + 1) * md
    # Every row shows the run as of its last change (rows before the first change stay 0).
    at_move = np.zeros(n)
    at_move[moves] = run
    last = ffill_index(d != 0)
    seen = last >= 0
    out[seen] = at_move[last[seen]]
    return out


def velocity(time_ms: ArrayLike, window_ms: int) -> FloatArray:
    """Rows per second over the trailing ``window_ms`` (see module docstring)."""
    t = np.asarray(time_ms, dtype=np.int64)
    if t.ndim != 1:
        raise ValueError(f"time_ms: expected a 1-D array, got shape {t.shape}")
    w = check_period(window_ms, "window_ms")
    out = np.full(len(t), np.nan)
    if len(t) == 0:
        return out
    first_inside = np.searchsorted(t, t - w, side="right")
    count = np.arange(1, len(t) + 1) - first_inside
    warm = (t - w) >= t[0]
    out[warm] = count[warm] / (w / 1000.0)
    return out

"""As-of alignment of event series (funding, book snapshots, higher-timeframe bars) onto bars.

The one rule: at a query time ``q`` a series shows its last event with ``time <= q``; events
stamped after ``q`` are invisible. For bars the query time is the bar's close, i.e. the last
millisecond it covers: ``open_time + interval_ms - 1`` (Binance's ``close_time``), so an event
stamped exactly at the next bar's open belongs to the next bar.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ai_engine.features._arrays import FloatArray, as_f64

IntArray = NDArray[np.int64]


def _times(values: ArrayLike, name: str) -> IntArray:
    t = np.asarray(values, dtype=np.int64)
    if t.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of int64 ms, got shape {t.shape}")
    if len(t) > 1 and bool(np.any(t[1:] < t[:-1])):
        raise ValueError(f"{name}: times must be sorted ascending")
    return t


def bar_close_ms(open_time: ArrayLike, interval_ms: int) -> IntArray:
    """The last millisecond each bar covers: ``open_time + interval_ms - 1``."""
    return _times(open_time, "open_time") + (int(interval_ms) - 1)


def asof_index(event_time: ArrayLike, query_time: ArrayLike) -> NDArray[np.intp]:
    """Index of the last event with ``time <= query``, or -1 where there is none yet."""
    events = _times(event_time, "event_time")
    queries = np.asarray(query_time, dtype=np.int64)
    return np.searchsorted(events, queries, side="right") - 1


def asof(event_time: ArrayLike, values: ArrayLike, query_time: ArrayLike) -> FloatArray:
    """``values`` of the last event at or before each query time (NaN before the first)."""
    v = as_f64(values, "values")
    idx = asof_index(event_time, query_time)
    if len(v) != len(np.asarray(event_time)):
        raise ValueError(f"values: {len(v)} values for {len(np.asarray(event_time))} events")
    out = np.full(len(idx), np.nan)
    seen = idx >= 0
    out[seen] = v[idx[seen]]
    return out

"""Multi-timeframe features without lookahead.

Rule: a higher-timeframe (HTF) bar opened at ``T`` with length ``L`` closes at ``T + L``; a base
bar opened at ``t`` with length ``l`` closes at ``t + l``. The base bar sees the HTF bar iff
``T + L <= t + l``: it had closed by the base bar's own close. So the 1m bar opened 10:04 (closing
10:05) sees the 5m bar 10:00-10:05 (made of the 1m bars 10:00..10:04, all closed by then), and
the 1m bar opened 10:03 still sees the 5m bar 09:55. Each base bar gets the values of the latest
HTF bar it sees (NaN before the first).

Buckets are aligned on UTC epoch boundaries as in ``ai_engine.marketdata.intervals`` (weeks on
Monday 00:00 UTC); ``htf_close`` reproduces the close column of ``ai_engine.marketdata.resample``
for callers that hold only arrays (``features`` may not import ``marketdata``). For full OHLCV
higher-timeframe bars, resample with ``marketdata.resample`` and pass its columns here.
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ai_engine.features._arrays import FloatArray, as_f64

_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_PATTERN = re.compile(r"^([1-9][0-9]{0,3})([smhdw])$")
_WEEK_OFFSET_MS = 4 * _UNIT_MS["d"]  # 1970-01-01 was a Thursday; Binance weeks start Monday


def interval_ms(interval: str | int) -> int:
    """``"5m"`` -> 300000; an int is taken as milliseconds already."""
    if isinstance(interval, int) and not isinstance(interval, bool):
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval}")
        return interval
    match = _PATTERN.match(str(interval))
    if match is None:
        raise ValueError(f"unknown interval {interval!r}: expected e.g. 1m, 5m, 1h, 4h, 1d, 1w")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def bucket_start(open_time: int, interval: str | int) -> int:
    """Open time of the ``interval`` bucket holding ``open_time`` (weeks start on Monday)."""
    return int(_bucket_starts(np.array([open_time], np.int64), interval)[0])


def _bucket_starts(open_time: NDArray[np.int64], interval: str | int) -> NDArray[np.int64]:
    step = interval_ms(interval)
    offset = _WEEK_OFFSET_MS if isinstance(interval, str) and interval.endswith("w") else 0
    return ((open_time - offset) // step) * step + offset


def htf_close(
    open_time: ArrayLike, close: ArrayLike, htf_interval: str | int
) -> tuple[NDArray[np.int64], FloatArray]:
    """``(htf_open_time, htf_close)``: the last close of each non-empty HTF bucket."""
    t = np.asarray(open_time, dtype=np.int64)
    c = as_f64(close, "close")
    if t.shape != c.shape:
        raise ValueError(f"open_time {t.shape} and close {c.shape} differ")
    if len(t) == 0:
        return t.copy(), c.copy()
    buckets = _bucket_starts(t, htf_interval)
    last = np.flatnonzero(np.append(buckets[1:] != buckets[:-1], True))
    return buckets[last], c[last]


def align_higher(
    bars_open_time: ArrayLike,
    htf_open_time: ArrayLike,
    htf_values: ArrayLike,
    htf_interval: str | int,
    base_interval: str | int = "1m",
) -> FloatArray:
    """``htf_values`` of the latest HTF bar closed by each base bar's close (see module doc)."""
    t = np.asarray(bars_open_time, dtype=np.int64)
    ht = np.asarray(htf_open_time, dtype=np.int64)
    hv = as_f64(htf_values, "htf_values")
    if ht.shape != hv.shape:
        raise ValueError(f"htf_open_time {ht.shape} and htf_values {hv.shape} differ")
    if len(ht) > 1 and bool(np.any(ht[1:] <= ht[:-1])):
        raise ValueError("htf_open_time must be strictly increasing")
    htf_closes = ht + interval_ms(htf_interval)
    idx = np.searchsorted(htf_closes, t + interval_ms(base_interval), side="right") - 1
    out = np.full(len(t), np.nan)
    seen = idx >= 0
    out[seen] = hv[idx[seen]]
    return out

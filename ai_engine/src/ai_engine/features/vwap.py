"""Volume-weighted average price: rolling (last ``window`` bars) and session (UTC day), with bands.

Per bar the price is the typical price ``tp = (high + low + close) / 3`` (the caller may pass
any price array instead) and the weight its base volume ``v``.

* rolling: ``vwap[i] = sum(tp*v) / sum(v)`` over bars ``i-window+1 .. i``; NaN for the first
  ``window - 1`` bars and wherever the window's volume is 0.
* session: the same sums over the bars of bar ``i``'s UTC day up to and including ``i``
  (``day = open_time // 86_400_000``); the first bar of a day starts afresh. No warm-up.
  (Computed on ``tp - tp_first_of_day`` for precision; see ``session_vwap_stats``.)
* standard-deviation bands: ``sigma = sqrt(max(sum(v*tp^2)/sum(v) - vwap^2, 0))`` (volume-
  weighted population std of ``tp`` over the same bars), bands ``vwap +/- k*sigma``.
* percent bands: ``vwap * (1 +/- pct/100)`` (seed 001: +/-0.5 %, 1 %, 2 %).
* deviation: ``100 * (close - vwap) / vwap``, in percent.

Sums are differences of cumulative sums: a prefix of the input gives bit-identical values
(no lookahead); rounding is of order ``1e-16 * |cumulative sum|``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ai_engine.features._arrays import FloatArray, as_f64, check_period, rolling_sum, same_length

DAY_MS = 86_400_000


def typical_price(high: ArrayLike, low: ArrayLike, close: ArrayLike) -> FloatArray:
    """``(high + low + close) / 3``."""
    h, lo, c = as_f64(high, "high"), as_f64(low, "low"), as_f64(close, "close")
    same_length(high=h, low=lo, close=c)
    return (h + lo + c) / 3.0


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    out = np.full(len(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def rolling_vwap(price: ArrayLike, volume: ArrayLike, window: int) -> FloatArray:
    """VWAP of the last ``window`` bars (see module docstring)."""
    p, v = as_f64(price, "price"), as_f64(volume, "volume")
    same_length(price=p, volume=v)
    w = check_period(window, "window")
    return _ratio(rolling_sum(p * v, w), rolling_sum(v, w))


def rolling_vwaps(price: ArrayLike, volume: ArrayLike, windows: Sequence[int]) -> list[FloatArray]:
    """``rolling_vwap`` for several windows from one pair of cumulative sums (same values)."""
    p, v = as_f64(price, "price"), as_f64(volume, "volume")
    n = same_length(price=p, volume=v)
    cpv, cv = np.cumsum(p * v), np.cumsum(v)
    out = []
    for window in windows:
        w = check_period(window, "window")
        spv, sv = np.full(n, np.nan), np.full(n, np.nan)
        if w <= n:
            spv[w - 1], sv[w - 1] = cpv[w - 1], cv[w - 1]
            np.subtract(cpv[w:], cpv[:-w], out=spv[w:])
            np.subtract(cv[w:], cv[:-w], out=sv[w:])
        out.append(_ratio(spv, sv))
    return out


def rolling_vwap_sigma(price: ArrayLike, volume: ArrayLike, window: int) -> FloatArray:
    """Volume-weighted standard deviation of ``price`` around the rolling VWAP."""
    p, v = as_f64(price, "price"), as_f64(volume, "volume")
    same_length(price=p, volume=v)
    w = check_period(window, "window")
    sv = rolling_sum(v, w)
    mean = _ratio(rolling_sum(p * v, w), sv)
    second = _ratio(rolling_sum(p * p * v, w), sv)
    return np.sqrt(np.maximum(second - mean * mean, 0.0))


def _session_first(open_time: ArrayLike, n: int) -> NDArray[np.intp]:
    """Index of the first bar of each bar's UTC day."""
    t = np.asarray(open_time, dtype=np.int64)
    if t.ndim != 1 or len(t) != n:
        raise ValueError(f"open_time: expected {n} values, got shape {t.shape}")
    day = t // DAY_MS
    new_day = np.ones(n, dtype=bool)
    new_day[1:] = day[1:] != day[:-1]
    return np.maximum.accumulate(np.where(new_day, np.arange(n), 0))


def _session_sums(first: NDArray[np.intp], *columns: FloatArray) -> list[FloatArray]:
    """Sums of each column over the bars of the session up to and including each bar."""
    sums = []
    for col in columns:
        c = np.cumsum(col)
        before = np.where(first > 0, c[first - 1], 0.0)
        sums.append(c - before)
    return sums


def session_vwap(open_time: ArrayLike, price: ArrayLike, volume: ArrayLike) -> FloatArray:
    """VWAP since the start of the bar's UTC day, inclusive (see module docstring)."""
    return session_vwap_stats(open_time, price, volume)[0]


def session_vwap_sigma(open_time: ArrayLike, price: ArrayLike, volume: ArrayLike) -> FloatArray:
    """Volume-weighted standard deviation of ``price`` around the session VWAP."""
    return session_vwap_stats(open_time, price, volume)[1]


def session_vwap_stats(
    open_time: ArrayLike, price: ArrayLike, volume: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """``(session_vwap, session_sigma)``.

    Sums are taken of ``d = price - ref`` with ``ref`` the session's first price (known when
    the session opens), which keeps ``E[d^2] - E[d]^2`` free of the cancellation that
    ``E[p^2] - E[p]^2`` suffers at prices around 1e4.
    """
    p, v = as_f64(price, "price"), as_f64(volume, "volume")
    same_length(price=p, volume=v)
    first = _session_first(open_time, len(p))
    ref = p[first]
    d = p - ref
    dv = d * v
    sdv, sddv, sv = _session_sums(first, dv, d * dv, v)
    mean_d = _ratio(sdv, sv)
    sigma = np.sqrt(np.maximum(_ratio(sddv, sv) - mean_d * mean_d, 0.0))
    return ref + mean_d, sigma


def sigma_bands(vwap: FloatArray, sigma: FloatArray, k: float) -> tuple[FloatArray, FloatArray]:
    """``(vwap + k*sigma, vwap - k*sigma)``."""
    return vwap + k * sigma, vwap - k * sigma


def percent_bands(vwap: FloatArray, pct: float) -> tuple[FloatArray, FloatArray]:
    """``(vwap * (1 + pct/100), vwap * (1 - pct/100))``."""
    return vwap * (1.0 + pct / 100.0), vwap * (1.0 - pct / 100.0)


def deviation_pct(close: ArrayLike, vwap: FloatArray) -> FloatArray:
    """``100 * (close - vwap) / vwap`` (NaN where ``vwap`` is NaN or 0)."""
    c = as_f64(close, "close")
    same_length(close=c, vwap=vwap)
    out = np.full(len(c), np.nan)
    np.divide(100.0 * (c - vwap), vwap, out=out, where=np.isfinite(vwap) & (vwap != 0))
    return out

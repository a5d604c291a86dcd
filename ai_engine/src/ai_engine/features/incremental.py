"""Live updates: one new closed bar for one symbol -> the latest value of every feature.

``IncrementalFeatures`` keeps the last ``window`` bars of one symbol in a buffer and, on each new
closed bar, recomputes ``compute_features`` on that trailing window and returns the last row.
Everything except the recursive indicators and the session VWAP is a function of a bounded
number of recent bars, so those values equal a full-history computation once the window covers
their lookback (``FeatureParams.warmup()``), up to the rounding of running sums (~1e-10).

Recursive indicators (TA-Lib EMA, RSI, ATR, ADX, MACD) depend on the whole history with
geometrically fading weight: an error ``e`` in the seed has shrunk to ``e * (1 - alpha)^m``
after ``m`` bars (``alpha = 2/(p+1)`` for an EMA, ``1/p`` for Wilder's averages: for EMA 30
``(29/31)^400 ~ 3e-12``; for Wilder 14 ``(13/14)^400 ~ 1e-13``; the slowest, the regime's
EMA 50, ``(49/51)^400 ~ 1e-7``). With ``DEFAULT_WINDOW = 400`` every feature agrees with the
full-history value to within ``rtol = atol = 1e-6`` (measured worst case on real BTCUSDT and
ETHUSDT 1m data, 3 days each: 7e-9 for the ``COMPOSITE`` set, 6e-8 for ``ma_slope`` in ``ALL``;
``tests/features/test_incremental.py`` checks it). Within tolerance, not bit-exact.

Two features need more history than the window, so the updater keeps their state itself
(and the volume profile and the rolling VWAPs, which read only their own last ``profile_window``
and ``max(vwap_windows)`` bars, are computed on those bars alone: same value, less work):

* session VWAP (every bar since UTC midnight, up to 1,440 1m bars): the day's running sums,
  computed exactly like ``vwap.session_vwap_stats``;
* the ``mtf`` group: the last ``HTF_WINDOW`` higher-timeframe closes (300 5m bars = 25 h,
  because the 5m EMA 21 needs ~1,000 1m bars to converge), from which the values of the latest
  higher-timeframe bar closed by the new bar's close are taken (``timeframes`` rule).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ai_engine.features._arrays import FloatArray
from ai_engine.features.composite import (
    ALL,
    COMPOSITE,
    BarColumns,
    FeatureParams,
    compute_features,
    htf_features,
)
from ai_engine.features.timeframes import bucket_start, interval_ms
from ai_engine.features.volume_profile import volume_profile
from ai_engine.features.vwap import DAY_MS, rolling_vwaps, typical_price

DEFAULT_WINDOW = 400
"""Trailing bars recomputed per update (see module docstring)."""
HTF_WINDOW = 300
"""Higher-timeframe closes kept for the ``mtf`` group."""

_FLOAT_COLUMNS = ("open", "high", "low", "close", "volume", "taker_buy_volume")


@cache
def _names_of(group: str) -> frozenset[str]:
    """The feature names ``compute_features`` gives for ``group`` (found by running it once on
    three flat bars: the names do not depend on the values)."""
    ones, t = np.ones(3), np.arange(3, dtype=np.int64) * 60_000
    flat = _Window(t, ones, ones, ones, ones, ones, ones * 0.5, np.ones(3, np.int64))
    return frozenset(compute_features(flat, groups={group}, funding_events=(t[:1], ones[:1])))


def groups_for(names: Collection[str]) -> frozenset[str]:
    """The smallest set of groups whose features include every one of ``names`` (a trained
    model's columns): the live path then computes only what the model reads. Raises
    ``ValueError`` naming a feature no group gives."""
    wanted = set(names)
    groups = frozenset(g for g in sorted(ALL) if wanted & _names_of(g))
    unknown = wanted - set().union(*(_names_of(g) for g in groups))
    if unknown:
        raise ValueError(f"features no group computes: {sorted(unknown)}")
    return groups


@dataclass(frozen=True, eq=False)
class _Window:
    """A view of the buffered bars, shaped like ``BarColumns``."""

    open_time: NDArray[np.int64]
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    taker_buy_volume: FloatArray
    trades: NDArray[np.int64]


class IncrementalFeatures:
    """The feature set of one symbol, updated bar by bar (see module docstring)."""

    def __init__(
        self,
        *,
        groups: Collection[str] = COMPOSITE,
        params: FeatureParams | None = None,
        window: int = DEFAULT_WINDOW,
        funding_events: tuple[ArrayLike, ArrayLike] | None = None,
    ) -> None:
        self.params = p = params or FeatureParams()
        self.groups = frozenset(groups)
        if self.groups - ALL:
            raise ValueError(f"unknown feature groups {sorted(self.groups - ALL)}")
        needed = p.lookback(self.groups - {"mtf"})  # mtf keeps its own history (see above)
        if window < needed:
            raise ValueError(f"window {window} is shorter than the longest lookback {needed}")
        self.window = window
        self._funding = funding_events
        self._step = interval_ms(p.interval)
        self._htf_step = interval_ms(p.htf_interval)
        cap = 2 * window  # shift the buffer back once every ``window`` bars: O(1) amortised
        self._t = np.zeros(cap, np.int64)
        self._n = np.zeros(cap, np.int64)
        self._f = {name: np.zeros(cap) for name in _FLOAT_COLUMNS}
        self._end = 0
        self._day = -1
        self._ref = self._s_dv = self._s_ddv = self._s_v = 0.0
        self._htf_open: list[int] = []
        self._htf_close: list[float] = []

    def __len__(self) -> int:
        return min(self._end, self.window)

    def extend(self, bars: BarColumns) -> dict[str, float]:
        """Feed history (closed bars in order; a day or more for an exact session VWAP and
        ``mtf``); returns the latest value of every feature, like ``update``."""
        cols = {name: np.asarray(getattr(bars, name), dtype=np.float64) for name in _FLOAT_COLUMNS}
        t = np.asarray(bars.open_time, dtype=np.int64)
        n = np.asarray(bars.trades, dtype=np.int64)
        if len(t) == 0:
            return self._latest() if self._end else {}
        self._check_after(int(t[0]))
        per_day = DAY_MS // self._step
        per_htf = max(self._htf_step // self._step, 1)
        keep = max(self.window, per_day, HTF_WINDOW * per_htf)
        for i in range(max(len(t) - keep, 0), len(t)):
            self._append(int(t[i]), {k: float(v[i]) for k, v in cols.items()}, int(n[i]))
        return self._latest()

    def update(
        self,
        open_time: int,
        open: float,
        high: float,
        low: float,
        close: float,
        volume: float,
        taker_buy_volume: float,
        trades: int,
    ) -> dict[str, float]:
        """Add one closed bar; the latest value of every feature (NaN while warming up)."""
        self._check_after(open_time)
        values = {
            "open": open,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
            "taker_buy_volume": taker_buy_volume,
        }
        self._append(open_time, values, trades)
        return self._latest()

    def _check_after(self, open_time: int) -> None:
        if self._end and open_time <= int(self._t[self._end - 1]):
            raise ValueError(
                f"bar opened at {open_time} is not after the last one ({self._t[self._end - 1]})"
            )

    def _append(self, open_time: int, values: dict[str, float], trades: int) -> None:
        if self._end == len(self._t):
            keep = self.window - 1
            self._t[:keep] = self._t[self._end - keep : self._end]
            self._n[:keep] = self._n[self._end - keep : self._end]
            for arr in self._f.values():
                arr[:keep] = arr[self._end - keep : self._end]
            self._end = keep
        i = self._end
        self._t[i], self._n[i] = open_time, trades
        for name, value in values.items():
            self._f[name][i] = value
        self._end += 1
        self._session_add(open_time, values)
        self._htf_add(open_time, values["close"])

    def _session_add(self, open_time: int, values: dict[str, float]) -> None:
        day = open_time // DAY_MS
        tp = (values["high"] + values["low"] + values["close"]) / 3.0
        if day != self._day:  # same sums as vwap.session_vwap_stats: of tp - first tp of day
            self._day, self._ref, self._s_dv, self._s_ddv, self._s_v = day, tp, 0.0, 0.0, 0.0
        d, v = tp - self._ref, values["volume"]
        self._s_dv += d * v
        self._s_ddv += d * d * v
        self._s_v += v

    def _htf_add(self, open_time: int, close: float) -> None:
        bucket = bucket_start(open_time, self.params.htf_interval)
        if self._htf_open and self._htf_open[-1] == bucket:
            self._htf_close[-1] = close
            return
        self._htf_open.append(bucket)
        self._htf_close.append(close)
        if len(self._htf_open) > 2 * HTF_WINDOW:
            del self._htf_open[:HTF_WINDOW], self._htf_close[:HTF_WINDOW]

    def _latest(self) -> dict[str, float]:
        lo = max(self._end - self.window, 0)
        view = _Window(
            open_time=self._t[lo : self._end],
            trades=self._n[lo : self._end],
            **{name: arr[lo : self._end] for name, arr in self._f.items()},
        )
        features = compute_features(
            view,
            groups=self.groups - {"mtf", "volume_profile", "vwap"},
            params=self.params,
            funding_events=self._funding,
        )
        latest = {name: float(arr[-1]) for name, arr in features.items()}
        if "vwap" in self.groups:
            latest.update(self._vwap_latest())
        if "volume_profile" in self.groups:
            # The profile of the last bar reads only the last ``profile_window`` bars: computing
            # it on that tail gives the same value for a fraction of the cost.
            tail = max(self._end - self.params.profile_window, 0)
            vp = volume_profile(
                self._f["high"][tail : self._end],
                self._f["low"][tail : self._end],
                self._f["close"][tail : self._end],
                self._f["volume"][tail : self._end],
                self.params.profile_window,
                self.params.profile_bins,
            )
            latest.update(vpoc=float(vp.vpoc[-1]), vah=float(vp.vah[-1]), val=float(vp.val[-1]))
        if "mtf" in self.groups:
            latest.update(self._mtf_latest(int(view.open_time[-1])))
        return latest

    def _vwap_latest(self) -> dict[str, float]:
        """The ``vwap`` group's values of the last bar: the rolling VWAPs from the last
        ``max(vwap_windows)`` bars (all their sums read), the session's from the running day
        sums (``vwap.session_vwap_stats``'s arithmetic)."""
        p = self.params
        lo = max(self._end - max(p.vwap_windows), 0)
        f = {name: arr[lo : self._end] for name, arr in self._f.items()}
        tp = typical_price(f["high"], f["low"], f["close"])
        close = float(f["close"][-1])
        out: dict[str, float] = {}
        rolling = rolling_vwaps(tp, f["volume"], p.vwap_windows)
        for name, values in zip(("short", "medium", "long"), rolling, strict=True):
            out[f"vwap_{name}"] = value = float(values[-1])
            out[f"vwap_{name}_dev"] = _deviation_pct(close, value)
        mean = sigma = float("nan")
        if self._s_v > 0:
            mean_d = self._s_dv / self._s_v
            mean = self._ref + mean_d
            sigma = float(np.sqrt(max(self._s_ddv / self._s_v - mean_d * mean_d, 0.0)))
        out["vwap_session"], out["vwap_session_sigma"] = mean, sigma
        out["vwap_session_dev"] = _deviation_pct(close, mean)
        return out

    def _mtf_latest(self, open_time: int) -> dict[str, float]:
        closes = np.array(self._htf_close[-HTF_WINDOW:])
        values = htf_features(closes, self.params)
        # The last HTF bar counts only once the new bar's close reaches its end.
        closed = self._htf_open[-1] + self._htf_step <= open_time + self._step
        at = len(closes) - 1 if closed else len(closes) - 2
        return {name: float(arr[at]) if at >= 0 else float("nan") for name, arr in values.items()}


def _deviation_pct(close: float, vwap: float) -> float:
    """``vwap.deviation_pct`` of one value: NaN where the VWAP is NaN or 0."""
    if not np.isfinite(vwap) or vwap == 0:
        return float("nan")
    return 100.0 * (close - vwap) / vwap

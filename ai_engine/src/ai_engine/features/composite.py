"""The composite feature set: every feature the built-in strategies read, for one symbol's bars.

``compute_features(bars)`` takes any object with the kline columns of
``ai_engine.marketdata.Bars`` (``open_time`` int64 ms, ``open/high/low/close/volume/
taker_buy_volume`` float64, ``trades``), so ``Bars`` itself fits, and returns a ``FeatureSet``:
a ``dict`` of float64 arrays, one value per bar, NaN during warm-up. Value ``i`` uses bars
``0..i`` only (the lookahead gate in the tests checks every entry).

Groups (``groups=``; the default ``COMPOSITE`` is seed 001's nine score components; ``ALL``
adds seed 002/004's). Names are stable; periods come from ``FeatureParams``:

* ``trend``: ``ema_cross_fast|mid|slow`` = ``100*(ema_a - ema_b)/ema_b`` for the EMA pairs
  3/7, 5/15, 10/30; ``ema_cross_agree`` = +1 all three > 0, -1 all < 0, else 0;
  ``sma_fast``, ``sma_slow`` (20, 50).
* ``momentum``: ``rsi`` (14), ``rsi_fast`` (5), ``macd|macd_signal|macd_hist`` (12/26/9),
  ``macd_fast|macd_fast_signal|macd_fast_hist`` (3/7/2), ``stoch_k``, ``stoch_d`` (14/3/3),
  ``roc`` (10), ``mfi`` (14), ``obv_slope`` = ``(obv[i] - obv[i-w]) / sum(volume[i-w+1..i])``
  in [-1, 1] (w = 20; start-independent, unlike raw OBV).
* ``volatility``: ``bb_upper|bb_middle|bb_lower`` (20, 2.0), ``bb_pct_b`` = ``(close-lower)/
  (upper-lower)``, ``bb_width`` = ``100*(upper-lower)/middle``, ``atr``, ``natr`` (14), ``adx``.
* ``vwap``: ``vwap_short|medium|long`` (rolling 5/15/60 bars) and ``vwap_session``, each with
  ``*_dev`` = percent deviation of the close; ``vwap_session_sigma``.
* ``orderflow``: ``delta``, ``cvd`` (rolling 20), ``buy_ratio``, ``flow_surge``, ``volume_ratio``.
* ``price_action``: ``swing_high``, ``swing_low``, ``last_swing_high``, ``last_swing_low``,
  ``high_label``, ``low_label``, ``structure``, ``bos``, ``double_top``, ``double_bottom``.
* ``liquidity``: ``sweep``.
* ``ticks`` (bar-level proxies of tick momentum): ``tick_updown`` (share of rising closes among
  the close changes of the last 20 bars), ``tick_persistence`` (run of same-direction closes),
  ``tick_velocity`` = trades per second in the bar, ``tick_velocity_ratio`` (vs the 20 before).
* ``volume_profile``: ``vpoc``, ``vah``, ``val`` (rolling 60 bars, 24 bins, 70 %).
* ``levels``: ``resistance``, ``support`` (20 bars before), ``breakout``.
* ``regime``: ``ma_slope`` (EMA 50 over 5 bars, %), ``trend_regime``, ``natr_pct``
  (past-only percentile over 240 bars), ``vol_regime``.
* ``mtf``: on ``htf_interval`` (5m) bars made from these bars and aligned by
  ``timeframes.align_higher``: ``htf_rsi`` (14), ``htf_roc`` (3), ``htf_ema_spread`` (9/21, %).
* ``funding`` (only when ``funding=(times, rates)`` is given): ``funding_rate``,
  ``funding_bias``, ``funding_extreme``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ai_engine.features import (
    funding,
    levels,
    liquidity,
    orderflow,
    price_action,
    regime,
    ticks,
    timeframes,
    volume_profile,
    vwap,
)
from ai_engine.features import indicators as ind
from ai_engine.features._arrays import FloatArray, rolling_sum, shift

FeatureSet = dict[str, FloatArray]

COMPOSITE: frozenset[str] = frozenset(
    {"trend", "momentum", "volatility", "vwap", "orderflow", "price_action", "liquidity", "ticks"}
)
ALL: frozenset[str] = COMPOSITE | {"volume_profile", "levels", "regime", "mtf", "funding"}


class BarColumns(Protocol):
    """The kline columns ``compute_features`` reads (``marketdata.Bars`` has them all)."""

    @property
    def open_time(self) -> NDArray[np.int64]: ...
    @property
    def high(self) -> NDArray[np.float64]: ...
    @property
    def low(self) -> NDArray[np.float64]: ...
    @property
    def close(self) -> NDArray[np.float64]: ...
    @property
    def volume(self) -> NDArray[np.float64]: ...
    @property
    def taker_buy_volume(self) -> NDArray[np.float64]: ...
    @property
    def trades(self) -> NDArray[np.int64]: ...


@dataclass(frozen=True)
class FeatureParams:
    """Periods of the composite set (bars of the input interval unless stated)."""

    interval: str = "1m"
    ema_pairs: tuple[tuple[int, int], ...] = ((3, 7), (5, 15), (10, 30))
    sma_fast: int = 20
    sma_slow: int = 50
    rsi: int = 14
    rsi_fast: int = 5
    macd: tuple[int, int, int] = (12, 26, 9)
    macd_fast: tuple[int, int, int] = (3, 7, 2)
    stoch: tuple[int, int, int] = (14, 3, 3)
    roc: int = 10
    mfi: int = 14
    bb_period: int = 20
    bb_nbdev: float = 2.0
    atr: int = 14
    adx: int = 14
    vwap_windows: tuple[int, int, int] = (5, 15, 60)
    flow_window: int = 20
    swing_k: int = 3
    double_tolerance_pct: float = 0.1
    sweep_volume_multiple: float = 1.5
    profile_window: int = 60
    profile_bins: int = 24
    trend_ma: int = 50
    slope_bars: int = 5
    adx_threshold: float = 25.0
    vol_lookback: int = 240
    htf_interval: str = "5m"
    htf_rsi: int = 14
    htf_roc: int = 3
    htf_ema: tuple[int, int] = (9, 21)

    def lookback(self, groups: Collection[str]) -> int:
        """Bars of history the slowest feature of ``groups`` needs before its first value."""
        htf = timeframes.interval_ms(self.htf_interval) // timeframes.interval_ms(self.interval)
        need = {
            "trend": max(self.sma_slow, *(b for _, b in self.ema_pairs)),
            "momentum": max(sum(self.macd[1:]), self.rsi, self.mfi, sum(self.stoch), self.roc) + 1,
            "volatility": max(self.bb_period, 2 * self.adx, self.atr) + 1,
            "vwap": max(self.vwap_windows),
            "orderflow": self.flow_window + 1,
            "price_action": 2 * self.swing_k + 1,
            "liquidity": self.flow_window + 1,
            "ticks": self.flow_window + 1,
            "volume_profile": self.profile_window,
            "levels": self.flow_window + 1,
            "regime": max(
                self.vol_lookback + self.atr, self.trend_ma + self.slope_bars, 2 * self.adx
            )
            + 1,
            "mtf": htf * (max(self.htf_ema[1], self.htf_rsi) + 1),
            "funding": 1,
        }
        return max((need[g] for g in groups), default=1)

    def warmup(self) -> int:
        """Bars before every feature of ``ALL`` is defined (the longest lookback)."""
        return self.lookback(ALL)


def _spread_pct(a: FloatArray, b: FloatArray) -> FloatArray:
    return 100.0 * (a - b) / b


def _sign_agree(*xs: FloatArray) -> FloatArray:
    stacked = np.stack(xs)
    with np.errstate(invalid="ignore"):
        up = np.all(stacked > 0, axis=0).astype(np.float64)
        down = np.all(stacked < 0, axis=0).astype(np.float64)
    out: FloatArray = up - down
    return out


def _trend(f: FeatureSet, c: FloatArray, p: FeatureParams) -> None:
    spreads = []
    for name, (a, b) in zip(("fast", "mid", "slow"), p.ema_pairs, strict=True):
        spreads.append(_spread_pct(ind.ema(c, a), ind.ema(c, b)))
        f[f"ema_cross_{name}"] = spreads[-1]
    f["ema_cross_agree"] = _sign_agree(*spreads)
    f["sma_fast"], f["sma_slow"] = ind.sma(c, p.sma_fast), ind.sma(c, p.sma_slow)


def _momentum(f: FeatureSet, b: BarColumns, p: FeatureParams) -> None:
    h, lo, c, v = b.high, b.low, b.close, b.volume
    f["rsi"], f["rsi_fast"] = ind.rsi(c, p.rsi), ind.rsi(c, p.rsi_fast)
    f["macd"], f["macd_signal"], f["macd_hist"] = ind.macd(c, *p.macd)
    f["macd_fast"], f["macd_fast_signal"], f["macd_fast_hist"] = ind.macd(c, *p.macd_fast)
    f["stoch_k"], f["stoch_d"] = ind.stochastic(h, lo, c, *p.stoch)
    f["roc"], f["mfi"] = ind.roc(c, p.roc), ind.mfi(h, lo, c, v, p.mfi)
    w = p.flow_window
    obv_change = ind.obv(c, v) - shift(ind.obv(c, v), w)
    vol_sum = rolling_sum(v, w)
    f["obv_slope"] = np.divide(obv_change, vol_sum, out=np.full(len(c), np.nan), where=vol_sum > 0)


def _volatility(f: FeatureSet, b: BarColumns, p: FeatureParams) -> None:
    h, lo, c = b.high, b.low, b.close
    up, mid, low = ind.bollinger(c, p.bb_period, p.bb_nbdev)
    f["bb_upper"], f["bb_middle"], f["bb_lower"] = up, mid, low
    span = up - low
    with np.errstate(invalid="ignore"):
        f["bb_pct_b"] = np.divide(c - low, span, out=np.full(len(c), np.nan), where=span > 0)
    f["bb_width"] = 100.0 * span / mid
    f["atr"] = ind.atr(h, lo, c, p.atr)
    f["natr"] = 100.0 * f["atr"] / c
    f["adx"] = ind.adx(h, lo, c, p.adx)


def _vwap(f: FeatureSet, b: BarColumns, p: FeatureParams, tp: FloatArray) -> None:
    c, v = b.close, b.volume
    rolling = vwap.rolling_vwaps(tp, v, p.vwap_windows)
    for name, values in zip(("short", "medium", "long"), rolling, strict=True):
        f[f"vwap_{name}"] = values
        f[f"vwap_{name}_dev"] = vwap.deviation_pct(c, values)
    f["vwap_session"], f["vwap_session_sigma"] = vwap.session_vwap_stats(b.open_time, tp, v)
    f["vwap_session_dev"] = vwap.deviation_pct(c, f["vwap_session"])


def _orderflow(f: FeatureSet, b: BarColumns, p: FeatureParams) -> None:
    delta = orderflow.kline_delta(b.volume, b.taker_buy_volume)
    f["delta"] = delta
    f["cvd"] = orderflow.cumulative_delta(delta, p.flow_window)
    f["buy_ratio"] = orderflow.aggressive_buy_ratio(b.volume, b.taker_buy_volume)
    f["flow_surge"] = orderflow.flow_surge(delta, p.flow_window)
    f["volume_ratio"] = orderflow.volume_ratio(b.volume, p.flow_window)


def _price_action(f: FeatureSet, b: BarColumns, p: FeatureParams) -> None:
    s = price_action.price_structure(b.high, b.low, b.close, p.swing_k, p.double_tolerance_pct)
    f["swing_high"], f["swing_low"] = s.swing_high, s.swing_low
    f["last_swing_high"], f["last_swing_low"] = s.last_high, s.last_low
    f["high_label"], f["low_label"] = s.high_label, s.low_label
    f["structure"], f["bos"] = s.structure, s.bos
    f["double_top"], f["double_bottom"] = s.double_top, s.double_bottom


def _ticks(f: FeatureSet, b: BarColumns, p: FeatureParams) -> None:
    d = ticks.direction(b.close)
    f["tick_updown"] = ticks.updown_ratio(d, p.flow_window)
    f["tick_persistence"] = ticks.persistence(d)
    seconds = timeframes.interval_ms(p.interval) / 1000.0
    f["tick_velocity"] = np.asarray(b.trades, dtype=np.float64) / seconds
    f["tick_velocity_ratio"] = orderflow.ratio_to_past_mean(f["tick_velocity"], p.flow_window)


def htf_features(htf_close: FloatArray, p: FeatureParams) -> FeatureSet:
    """The ``mtf`` group's values on the higher-timeframe closes, before alignment."""
    fast, slow = p.htf_ema
    return {
        "htf_rsi": ind.rsi(htf_close, p.htf_rsi),
        "htf_roc": ind.roc(htf_close, p.htf_roc),
        "htf_ema_spread": _spread_pct(ind.ema(htf_close, fast), ind.ema(htf_close, slow)),
    }


def _mtf(f: FeatureSet, b: BarColumns, p: FeatureParams) -> None:
    ht, hc = timeframes.htf_close(b.open_time, b.close, p.htf_interval)
    for name, arr in htf_features(hc, p).items():
        f[name] = timeframes.align_higher(b.open_time, ht, arr, p.htf_interval, p.interval)


def _regime(f: FeatureSet, b: BarColumns, p: FeatureParams) -> None:
    adx = f["adx"] if "adx" in f else ind.adx(b.high, b.low, b.close, p.adx)
    f["ma_slope"] = regime.slope_pct(ind.ema(b.close, p.trend_ma), p.slope_bars)
    f["trend_regime"] = regime.trend_regime(adx, f["ma_slope"], p.adx_threshold)
    natr = f["natr"] if "natr" in f else 100.0 * ind.atr(b.high, b.low, b.close, p.atr) / b.close
    f["natr_pct"] = regime.past_percentile(natr, p.vol_lookback)
    f["vol_regime"] = regime.volatility_regime(f["natr_pct"])


def compute_features(
    bars: BarColumns,
    *,
    groups: Collection[str] = COMPOSITE,
    params: FeatureParams | None = None,
    funding_events: tuple[ArrayLike, ArrayLike] | None = None,
) -> FeatureSet:
    """The feature arrays of ``groups`` for ``bars`` (see the module docstring for names)."""
    p = params or FeatureParams()
    unknown = set(groups) - ALL
    if unknown:
        raise ValueError(f"unknown feature groups {sorted(unknown)}; known: {sorted(ALL)}")
    f: FeatureSet = {}
    c = bars.close
    tp = vwap.typical_price(bars.high, bars.low, c)
    if "trend" in groups:
        _trend(f, c, p)
    if "momentum" in groups:
        _momentum(f, bars, p)
    if "volatility" in groups:
        _volatility(f, bars, p)
    if "vwap" in groups:
        _vwap(f, bars, p, tp)
    if "orderflow" in groups:
        _orderflow(f, bars, p)
    if "price_action" in groups:
        _price_action(f, bars, p)
    if "liquidity" in groups:
        f["sweep"] = liquidity.liquidity_sweep(
            bars.high, bars.low, c, bars.volume, p.flow_window, p.sweep_volume_multiple
        )
    if "ticks" in groups:
        _ticks(f, bars, p)
    if "volume_profile" in groups:
        vp = volume_profile.volume_profile(
            bars.high, bars.low, c, bars.volume, p.profile_window, p.profile_bins
        )
        f["vpoc"], f["vah"], f["val"] = vp.vpoc, vp.vah, vp.val
    if "levels" in groups:
        f["resistance"], f["support"] = levels.range_levels(bars.high, bars.low, p.flow_window)
        f["breakout"] = levels.breakout(c, f["resistance"], f["support"])
    if "regime" in groups:
        _regime(f, bars, p)
    if "mtf" in groups:
        _mtf(f, bars, p)
    if "funding" in groups and funding_events is not None:
        step = timeframes.interval_ms(p.interval)
        rate = funding.funding_on_bars(bars.open_time, step, *funding_events)
        f["funding_rate"] = rate
        f["funding_bias"] = funding.funding_bias(rate)
        f["funding_extreme"] = funding.funding_extreme(rate)
    return f

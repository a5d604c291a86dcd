"""Bars, signals, funding and finer bars -> the kernel's arrays.

* **Layout**: every per-bar input is the symbols' own columns laid end to end, symbol ``k``
  from ``offsets[k]`` to ``offsets[k + 1]``. One symbol: its arrays as they are (no copy).
  Per-bar inputs that are absent everywhere (no stop or target, no trailing, no tie-break,
  no slippage reference, no funding, no finer bars) are passed empty.
* **Grid**: one symbol: its own bar times. Several: the sorted union of their bar open
  times; a symbol without a bar at a grid time does nothing there (its signals wait for its
  next bar; its equity is marked at its last close).
* **Funding** (USD-M): each funding event is charged at the open of the symbol's bar whose
  interval ``[open, open + interval)`` holds its time (Binance stamps events a few ms after
  the hour: the bar of that hour), or of the next bar when it falls in a gap; rates landing
  on one bar add up; events before the first or after the last bar are dropped.
* **Finer bars**: finer bar ``j`` belongs to the coarse bar whose ``[open, open + interval)``
  holds its open time; the kernel gets, per coarse bar, the range of its finer bars.
* **Slippage reference** (``ref``): the last closed bar before each bar: its ATR or range
  (volatility), its base volume (volume, book). The first bar has none (NaN).
* **Priority** (portfolio tie-break): the deciding bar's confidence ``|score - 50| / 50``,
  only when the position cap can bind (fewer slots than symbols).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.config import SIZING_KINDS, SLIPPAGE_KINDS, BacktestConfig
from ai_engine.backtest.kernel import simulate
from ai_engine.features import atr
from ai_engine.marketdata.frames import Bars, Funding
from ai_engine.strategies.signals import Signals

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

_EMPTY_F = np.zeros(0)
_EMPTY_I = np.zeros(0, np.int64)


@dataclass(frozen=True, eq=False)
class SymbolData:
    """One symbol's inputs, checked by the engine."""

    bars: Bars
    signals: Signals
    trail: F64  # trailing distance per bar (the signals', or the config's override)
    funding: Funding | None
    finer: Bars | None


class Finer(NamedTuple):
    """Finer bars of every symbol, concatenated, and each bar's range ``[fs, fe)`` in them."""

    fine_t: I64
    fo: F64
    fh: F64
    fl: F64
    fc: F64
    fs: I64
    fe: I64


@dataclass(frozen=True, eq=False)
class KernelArrays:
    """Everything ``kernel.simulate`` takes besides the params and output buffers."""

    time: I64  # the grid
    offsets: I64  # symbol k's bars are rows offsets[k] .. offsets[k + 1] - 1
    bar_time: I64
    o: F64
    h: F64
    l: F64  # noqa: E741 - the bar's low
    c: F64
    el: Bool
    xl: Bool
    es: Bool
    xs: Bool
    stop: F64
    tp: F64
    trail: F64
    prio: F64
    ref: F64
    fund: F64
    finer: Finer

    def simulate(
        self, tp_r: F64, tp_share: F64, p: F64, equity: F64, tr_f: F64, tr_i: I64, skips: I64
    ) -> int:
        """Run ``kernel.simulate`` on these arrays (see its docstring for the outputs)."""
        f = self.finer
        return simulate(
            self.time, self.offsets, self.bar_time, self.o, self.h, self.l, self.c, self.el,
            self.xl, self.es, self.xs, self.stop, self.tp, self.trail, self.prio, self.ref,
            self.fund, f.fine_t, f.fo, f.fh, f.fl, f.fc, f.fs, f.fe, tp_r, tp_share, p,
            equity, tr_f, tr_i, skips,
        )  # fmt: skip

    @property
    def entry_signals(self) -> int:
        return int(np.count_nonzero(self.el) + np.count_nonzero(self.es))


def build(
    data: Sequence[SymbolData], config: BacktestConfig, interval_ms: int, fine_ms: int
) -> KernelArrays:
    """The kernel's arrays for ``data`` (symbols in kernel index order)."""
    times = [np.ascontiguousarray(d.bars.open_time, dtype=np.int64) for d in data]
    lengths = [len(t) for t in times]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    def joined(get: Callable[[SymbolData], npt.ArrayLike], dtype: type) -> npt.NDArray[Any]:
        parts: list[npt.NDArray[Any]] = [np.ascontiguousarray(get(d), dtype=dtype) for d in data]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def optional(get: Callable[[SymbolData], F64 | None]) -> F64:
        parts = [get(d) for d in data]
        if all(part is None for part in parts):
            return _EMPTY_F
        filled = [np.full(n, np.nan) if part is None else part for part, n in
                  zip(parts, lengths, strict=True)]  # fmt: skip
        return filled[0] if len(filled) == 1 else np.concatenate(filled)

    levels = not all(_all_nan(d.signals.stop) and _all_nan(d.signals.take_profit) for d in data)
    slip = config.slippage.kind in ("volatility", "volume", "book")
    capped = len(data) > config.max_positions
    return KernelArrays(
        time=_grid(times),
        offsets=offsets,
        bar_time=times[0] if len(times) == 1 else np.concatenate(times),
        o=joined(lambda d: d.bars.open, np.float64),
        h=joined(lambda d: d.bars.high, np.float64),
        l=joined(lambda d: d.bars.low, np.float64),
        c=joined(lambda d: d.bars.close, np.float64),
        el=joined(lambda d: d.signals.entries_long, np.bool_),
        xl=joined(lambda d: d.signals.exits_long, np.bool_),
        es=joined(lambda d: d.signals.entries_short, np.bool_),
        xs=joined(lambda d: d.signals.exits_short, np.bool_),
        stop=joined(lambda d: d.signals.stop, np.float64) if levels else _EMPTY_F,
        tp=joined(lambda d: d.signals.take_profit, np.float64) if levels else _EMPTY_F,
        trail=optional(lambda d: None if _all_nan(d.trail) else d.trail),
        prio=joined(lambda d: np.nan_to_num(d.signals.confidence), np.float64)
        if capped
        else _EMPTY_F,
        ref=optional(lambda d: slippage_reference(d.bars, config)) if slip else _EMPTY_F,
        fund=optional(
            lambda d: (
                None
                if d.funding is None or not len(d.funding)
                else funding_per_bar(d.bars.open_time, d.funding, interval_ms)
            )
        ),
        finer=_finer(data, offsets, interval_ms, fine_ms),
    )


def _all_nan(values: F64) -> bool:
    """True when no value is a number (so the kernel can be given nothing instead)."""
    return len(values) == 0 or bool(np.isnan(values).all())


def _grid(times: list[I64]) -> I64:
    """The sorted union of the symbols' bar times (each already strictly increasing)."""
    distinct = list({id(t): t for t in times}.values())
    first = distinct[0]
    if all(len(t) == len(first) and np.array_equal(t, first) for t in distinct[1:]):
        return first
    merged = np.sort(np.concatenate(distinct))
    keep = np.empty(len(merged), dtype=bool)
    keep[0] = True
    np.not_equal(merged[1:], merged[:-1], out=keep[1:])
    return merged[keep]


def funding_per_bar(open_time: I64, funding: Funding, interval_ms: int) -> F64:
    """Sum of the funding rates charged at each bar (module docstring)."""
    out = np.zeros(len(open_time))
    when = np.asarray(funding.funding_time, np.int64)
    at = np.searchsorted(open_time, when, side="right") - 1
    inside = at >= 0
    at, when = at[inside], when[inside]
    rates = np.asarray(funding.funding_rate, np.float64)[inside]
    at = np.where(when >= open_time[at] + interval_ms, at + 1, at)  # in a gap: the next bar
    keep = at < len(open_time)
    np.add.at(out, at[keep], rates[keep])
    return out


def slippage_reference(bars: Bars, config: BacktestConfig) -> F64:
    """Per bar, the slippage model's input read from the bar before (module docstring)."""
    model = config.slippage
    if model.kind == "volatility":
        if model.atr_period > 0:
            value = atr(
                np.asarray(bars.high, np.float64),
                np.asarray(bars.low, np.float64),
                np.asarray(bars.close, np.float64),
                model.atr_period,
            )
        else:
            value = np.asarray(bars.high, np.float64) - np.asarray(bars.low, np.float64)
    else:
        value = np.asarray(bars.volume, np.float64)
    out = np.full(len(value), np.nan)
    out[1:] = value[:-1]
    return out


def _finer(data: Sequence[SymbolData], offsets: I64, interval_ms: int, fine_ms: int) -> Finer:
    """Concatenated finer bars and, per bar, the range of its finer bars in them."""
    if fine_ms <= 0 or all(d.finer is None for d in data):
        return Finer(_EMPTY_I, _EMPTY_F, _EMPTY_F, _EMPTY_F, _EMPTY_F, _EMPTY_I, _EMPTY_I)
    fs = np.zeros(int(offsets[-1]), np.int64)
    fe = np.zeros(int(offsets[-1]), np.int64)
    parts: list[Bars] = []
    base = 0
    for k, d in enumerate(data):
        if d.finer is None or not len(d.finer):
            continue
        starts = np.asarray(d.bars.open_time, np.int64)
        ft = np.asarray(d.finer.open_time, np.int64)
        rows = slice(int(offsets[k]), int(offsets[k + 1]))
        fs[rows] = base + np.searchsorted(ft, starts, side="left")
        fe[rows] = base + np.searchsorted(ft, starts + interval_ms, side="left")
        parts.append(d.finer)
        base += len(ft)
    return Finer(
        fine_t=np.concatenate([np.asarray(b.open_time, np.int64) for b in parts]),
        fo=np.concatenate([np.asarray(b.open, np.float64) for b in parts]),
        fh=np.concatenate([np.asarray(b.high, np.float64) for b in parts]),
        fl=np.concatenate([np.asarray(b.low, np.float64) for b in parts]),
        fc=np.concatenate([np.asarray(b.close, np.float64) for b in parts]),
        fs=fs,
        fe=fe,
    )


def params_vector(
    config: BacktestConfig,
    interval_ms: int,
    fine_ms: int,
    max_hold_bars: int | None,
    trail_after_r: float | None,
    breakeven_after_r: float | None,
) -> F64:
    """The kernel's float parameter vector (``kernel_codes.P_*``)."""
    p = np.zeros(kc.N_PARAMS)
    s, z, e = config.slippage, config.sizing, config.exits
    p[kc.P_CASH] = config.cash
    p[kc.P_FEE_MAKER] = config.fee_maker
    p[kc.P_FEE_TAKER] = config.fee_taker
    p[kc.P_LATENCY_MS] = config.latency_ms
    p[kc.P_SIZING_KIND] = SIZING_KINDS.index(z.kind)
    p[kc.P_SIZING_VALUE] = z.value
    p[kc.P_LEVERAGE] = config.leverage
    p[kc.P_MMR] = config.maintenance_margin
    p[kc.P_FUTURES] = 1.0 if config.market == "usdm" else 0.0
    p[kc.P_MAX_POSITIONS] = config.max_positions
    p[kc.P_WORST] = 1.0 if config.intrabar == "worst" else 0.0
    p[kc.P_CLOSE_AT_END] = 1.0 if config.close_at_end else 0.0
    p[kc.P_SLIP_KIND] = SLIPPAGE_KINDS.index(s.kind)
    p[kc.P_SLIP_BPS] = s.bps
    p[kc.P_SLIP_K] = s.k
    p[kc.P_SLIP_MAX_BPS] = s.max_bps
    p[kc.P_BOOK_HALF_SPREAD_BPS] = s.half_spread_bps
    p[kc.P_BOOK_SPACING_BPS] = s.level_spacing_bps
    p[kc.P_BOOK_DEPTH_FRACTION] = s.depth_fraction
    p[kc.P_BOOK_LEVELS] = s.levels
    p[kc.P_MAX_HOLD_BARS] = max_hold_bars or 0
    p[kc.P_TRAIL_AFTER_R] = np.nan if trail_after_r is None else trail_after_r
    p[kc.P_BREAKEVEN_AFTER_R] = np.nan if breakeven_after_r is None else breakeven_after_r
    p[kc.P_INTERVAL_MS] = interval_ms
    p[kc.P_FINE_INTERVAL_MS] = fine_ms
    p[kc.P_STOP_PCT] = np.nan if e.stop_pct is None else e.stop_pct
    p[kc.P_TAKE_PROFIT_PCT] = np.nan if e.take_profit_pct is None else e.take_profit_pct
    p[kc.P_PRICE_TICK] = config.price_tick
    p[kc.P_TRAIL_ENTRY_PCT] = np.nan if e.trail_entry_pct is None else e.trail_entry_pct
    return p

"""The backtest API: a strategy (or precomputed signals) on bars -> ``BacktestResult``.

* ``run(strategy, bars, params=, config=)``: validate the config and the strategy's
  parameters, compute the signals (timed as "indicators"), simulate (timed as "simulation").
* ``run_signals(signals, bars, config)``: simulate signals computed elsewhere.
* ``run_portfolio({symbol: bars}, strategy, params, config)``: one strategy on several
  symbols sharing one cash balance and a cap of ``config.max_positions`` positions (symbols
  sorted by name: that order is the kernel's tie-break after signal confidence).

Everything that can be refused is refused before any work, with a message naming what is
wrong: the config (``BacktestConfig.validate``), empty or unordered bars, non-finite or
non-positive prices, signals of another length, funding on spot, finer bars that do not
divide the bar interval, unknown strategies and bad parameters (``StrategyParamError``).
``funding`` is a ``marketdata.Funding`` (``BarStore.load_funding``); ``finer`` are bars of a
shorter interval over the same span, used to resolve bars where a stop and a target are
both touched and to place latency-delayed fills.
"""

from __future__ import annotations

import time as clock
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.config import BacktestConfig, BacktestConfigError, check_levels
from ai_engine.backtest.kernel_inputs import SymbolData, build, params_vector
from ai_engine.backtest.result import BacktestResult, Trades
from ai_engine.features import atr
from ai_engine.marketdata.frames import Bars, Funding
from ai_engine.strategies import MarketInput, Signals, Strategy, get
from ai_engine.strategies.inputs import infer_interval_ms
from ai_engine.strategies.signals import ExitRules

StrategyRef = str | Strategy[Any]


@dataclass(frozen=True)
class _Exits:
    max_hold_bars: int | None
    trail_after_r: float | None
    breakeven_after_r: float | None
    levels: tuple[tuple[float, float], ...]


def run(
    strategy: StrategyRef,
    bars: Bars,
    *,
    params: Mapping[str, object] | None = None,
    config: BacktestConfig | None = None,
    symbol: str = "",
    funding: Funding | None = None,
    finer: Bars | None = None,
    interval_ms: int | None = None,
) -> BacktestResult:
    """Backtest ``strategy`` (a name or an instance) with ``params`` on one symbol's bars."""
    config = config or BacktestConfig()
    config.validate()
    chosen = _strategy(strategy)
    parsed = chosen.params(params)
    step = _interval(bars, interval_ms)
    _check_bars(bars, "bars")
    started = clock.perf_counter()
    market = MarketInput.from_bars(bars, step, funding=funding)
    signals = chosen.run(market, parsed)
    indicators = clock.perf_counter() - started
    result = run_signals(
        signals, bars, config, symbol=symbol, funding=funding, finer=finer, interval_ms=step
    )
    result.timings["indicators"] = indicators
    return result


def run_signals(
    signals: Signals,
    bars: Bars,
    config: BacktestConfig | None = None,
    *,
    symbol: str = "",
    funding: Funding | None = None,
    finer: Bars | None = None,
    interval_ms: int | None = None,
) -> BacktestResult:
    """Simulate precomputed ``signals`` (one value per bar of ``bars``)."""
    return _simulate(
        {symbol: (bars, signals)}, config, {symbol: funding}, {symbol: finer}, interval_ms
    )


def run_portfolio(
    inputs: Mapping[str, Bars],
    strategy: StrategyRef,
    params: Mapping[str, object] | None = None,
    config: BacktestConfig | None = None,
    *,
    funding: Mapping[str, Funding] | None = None,
    finer: Mapping[str, Bars] | None = None,
    interval_ms: int | None = None,
) -> BacktestResult:
    """Backtest one strategy on several symbols sharing cash (see the module docstring)."""
    config = config or BacktestConfig()
    config.validate()
    if not inputs:
        raise BacktestConfigError("run_portfolio needs at least one symbol")
    chosen = _strategy(strategy)
    parsed = chosen.params(params)
    funding = funding or {}
    finer = finer or {}
    unknown = sorted((set(funding) | set(finer)) - set(inputs))
    if unknown:
        raise BacktestConfigError(
            f"funding/finer bars given for symbols not in the inputs: {', '.join(unknown)}"
        )
    steps = {name: _interval(bars, interval_ms, name) for name, bars in inputs.items()}
    if len(set(steps.values())) > 1:
        raise BacktestConfigError(f"symbols have different bar intervals (ms): {steps}")
    step = next(iter(steps.values()))
    for name, bars in inputs.items():
        _check_bars(bars, name)
    started = clock.perf_counter()
    jobs = {}
    for name in sorted(inputs):
        market = MarketInput.from_bars(inputs[name], step, funding=funding.get(name))
        jobs[name] = (inputs[name], chosen.run(market, parsed))
    indicators = clock.perf_counter() - started
    result = _simulate(jobs, config, funding, finer, step)
    result.timings["indicators"] = indicators
    return result


def run_portfolio_signals(
    inputs: Mapping[str, tuple[Bars, Signals]],
    config: BacktestConfig | None = None,
    *,
    funding: Mapping[str, Funding] | None = None,
    finer: Mapping[str, Bars] | None = None,
    interval_ms: int | None = None,
) -> BacktestResult:
    """Several symbols' precomputed (bars, signals) sharing cash."""
    if not inputs:
        raise BacktestConfigError("run_portfolio_signals needs at least one symbol")
    return _simulate(inputs, config, funding or {}, finer or {}, interval_ms)


def _simulate(
    inputs: Mapping[str, tuple[Bars, Signals]],
    config: BacktestConfig | None,
    funding: Mapping[str, Funding | None],
    finer: Mapping[str, Bars | None],
    interval_ms: int | None,
) -> BacktestResult:
    config = config or BacktestConfig()
    config.validate()
    started = clock.perf_counter()
    names = sorted(inputs)
    steps = {_interval(inputs[n][0], interval_ms, n or "bars") for n in names}
    if len(steps) > 1:
        raise BacktestConfigError(f"symbols have different bar intervals (ms): {sorted(steps)}")
    step = steps.pop()
    exits = _exits(config, [inputs[n][1].exit_rules for n in names])
    fine_steps = {
        _fine_interval(finer[n], step, n or "finer bars") for n in names if finer.get(n) is not None
    }
    if len(fine_steps) > 1:
        raise BacktestConfigError(f"finer bars have different intervals (ms): {fine_steps}")
    fine_ms = fine_steps.pop() if fine_steps else 0
    data = []
    for name in names:
        bars, signals = inputs[name]
        label = name or "bars"
        _check_bars(bars, label)
        _check_signals(signals, bars, label)
        if funding.get(name) is not None and config.market != "usdm":
            raise BacktestConfigError(
                f"{label}: funding payments need market 'usdm', not {config.market!r}"
            )
        data.append(
            SymbolData(
                bars, signals, _trail(config, bars, signals), funding.get(name), finer.get(name)
            )
        )
    arrays = build(data, config, step, fine_ms)
    p = params_vector(
        config,
        step,
        fine_ms,
        exits.max_hold_bars,
        exits.trail_after_r,
        exits.breakeven_after_r,
    )
    levels = np.array(exits.levels, dtype=np.float64).reshape(-1, 2)
    capacity = arrays.entry_signals * (1 + len(levels)) + len(names) + 1
    equity = np.empty(len(arrays.time))
    tr_f = np.empty((capacity, kc.N_TF))
    tr_i = np.empty((capacity, kc.N_TI), np.int64)
    skips = np.zeros(len(kc.SKIP_NAMES), np.int64)
    tp_r = np.ascontiguousarray(levels[:, 0])
    tp_share = np.ascontiguousarray(levels[:, 1])
    n = arrays.simulate(tp_r, tp_share, p, equity, tr_f, tr_i, skips)
    result = BacktestResult(
        symbols=tuple(names),
        open_time=arrays.time,
        equity=equity,
        trades=_trades(tr_f[:n], tr_i[:n]),
        config=config,
        interval_ms=step,
        timings={"load": 0.0, "indicators": 0.0},
        skipped={name: int(skips[i]) for i, name in enumerate(kc.SKIP_NAMES)},
    )
    result.timings["simulation"] = clock.perf_counter() - started
    return result


def _trades(
    tr_f: np.ndarray[Any, np.dtype[np.float64]], tr_i: np.ndarray[Any, np.dtype[np.int64]]
) -> Trades:
    return Trades(
        symbol=tr_i[:, kc.T_SYMBOL].copy(),
        side=tr_i[:, kc.T_SIDE].copy(),
        entry_time=tr_i[:, kc.T_ENTRY_T].copy(),
        exit_time=tr_i[:, kc.T_EXIT_T].copy(),
        entry_price=tr_f[:, kc.T_ENTRY_PX].copy(),
        exit_price=tr_f[:, kc.T_EXIT_PX].copy(),
        quantity=tr_f[:, kc.T_QTY].copy(),
        entry_fee=tr_f[:, kc.T_ENTRY_FEE].copy(),
        exit_fee=tr_f[:, kc.T_EXIT_FEE].copy(),
        funding=tr_f[:, kc.T_FUNDING].copy(),
        pnl=tr_f[:, kc.T_PNL].copy(),
        entry_reason=tr_i[:, kc.T_ENTRY_REASON].copy(),
        exit_reason=tr_i[:, kc.T_EXIT_REASON].copy(),
    )


def _strategy(strategy: StrategyRef) -> Strategy[Any]:
    return get(strategy) if isinstance(strategy, str) else strategy


def _interval(bars: Bars, interval_ms: int | None, label: str = "bars") -> int:
    if interval_ms is not None:
        if interval_ms <= 0:
            raise BacktestConfigError(f"interval_ms must be positive, got {interval_ms}")
        return interval_ms
    if len(bars) < 2:
        raise BacktestConfigError(
            f"{label}: {len(bars)} bar(s): cannot infer the bar interval (need 2, or pass "
            "interval_ms)"
            if len(bars)
            else f"{label}: no bars to backtest (empty range?)"
        )
    return infer_interval_ms(np.asarray(bars.open_time, np.int64))


def _check_bars(bars: Bars, label: str) -> None:
    if not len(bars):
        raise BacktestConfigError(f"{label}: no bars to backtest (empty range?)")
    times = np.asarray(bars.open_time, np.int64)
    if len(times) > 1 and not bool(np.all(times[1:] > times[:-1])):
        row = int(np.flatnonzero(times[1:] <= times[:-1])[0]) + 1
        raise BacktestConfigError(f"{label}: bar open times must increase strictly (row {row})")
    for name in ("open", "high", "low", "close"):
        column = np.asarray(getattr(bars, name), np.float64)
        if column.min() > 0 and column.max() < np.inf:  # min is NaN when any value is
            continue
        row = int(np.flatnonzero(~((column > 0) & (column < np.inf)))[0])
        raise BacktestConfigError(
            f"{label}: {name} must be a positive finite price (row {row}: {column[row]})"
        )


def _check_signals(signals: Signals, bars: Bars, label: str) -> None:
    if len(signals) != len(bars):
        raise BacktestConfigError(
            f"{label}: signals have {len(signals)} bars, the data {len(bars)}"
        )


def _fine_interval(finer: Bars | None, step: int, label: str) -> int:
    assert finer is not None
    _check_bars(finer, label)
    fine_ms = _interval(finer, None, label)
    if fine_ms >= step or step % fine_ms:
        raise BacktestConfigError(
            f"{label}: finer bars of {fine_ms} ms must divide the bar "
            f"interval of {step} ms and be shorter"
        )
    return fine_ms


def _exits(config: BacktestConfig, rules: list[ExitRules]) -> _Exits:
    first = rules[0]
    if any(r != first for r in rules[1:]):
        raise BacktestConfigError("the symbols' signals carry different exit rules")
    e = config.exits
    levels = first.take_profit_levels if e.take_profit_levels is None else e.take_profit_levels
    check_levels(levels, "take_profit_levels")
    return _Exits(
        max_hold_bars=first.max_hold_bars if e.max_hold_bars is None else e.max_hold_bars,
        trail_after_r=first.trail_after_r if e.trail_after_r is None else e.trail_after_r,
        breakeven_after_r=(
            first.breakeven_after_r if e.breakeven_after_r is None else e.breakeven_after_r
        ),
        levels=tuple(levels),
    )


def _trail(config: BacktestConfig, bars: Bars, signals: Signals) -> np.ndarray[Any, Any]:
    e = config.exits
    close = np.asarray(bars.close, np.float64)
    if e.trail_pct is not None:
        return close * e.trail_pct / 100.0
    if e.trail_atr is not None:
        high, low = np.asarray(bars.high, np.float64), np.asarray(bars.low, np.float64)
        return e.trail_atr * atr(high, low, close, e.atr_period)
    if e.trail_entry_pct is not None:  # from the entry fill: the kernel (P_TRAIL_ENTRY_PCT)
        return np.full(len(close), np.nan)
    return signals.trail

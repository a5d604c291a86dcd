"""Walk-forward analysis: optimise on a rolling train window, trade the next test window.

Windows (seed 003 section 4.2: train 30 days, test the next 7, slide by 1 day; all three
configurable): window ``k`` trains on ``[t_k, t_k + train)`` and tests on ``[t_k + train,
t_k + train + test)``, with ``t_0`` the first bar's open and ``t_k = t_0 + k * step``; windows
are made while the whole test span lies inside the data. Times are bar open times in ms.

Per window:

1. **train**: ``optimize`` over the train bars only (the caller's ``Evaluator`` per window,
   local or fanned out over Celery); the best trial's parameters are chosen. A window with no
   feasible trial does not trade.
2. **test**: the chosen parameters' signals are computed over train + test bars (the train
   bars are the indicators' warm-up; signals at a bar use that bar and earlier ones only) and
   the test bars are simulated from the starting cash: the window's out-of-sample metrics
   and objective, for tracking degradation (train score vs test score) over time.
3. **stitch**: the out-of-sample equity is one curve. When windows overlap (step < test) each
   window trades only its first ``step`` of test time, until the next window's parameters
   take over; the last window trades its whole test span. Each such segment is simulated
   starting with the equity the previous one ended with, and a position still open at the
   end of a segment is closed at its last close (``close_at_end`` is forced on), so the
   stitched trades and equity are those of a real run that re-optimised every ``step``.

``WalkForwardResult.metrics`` are the stitched curve's (``backtest.metrics``); the walk-forward
efficiency is the mean test score over the mean train score of the windows where both are
finite (close to 1: the out-of-sample results hold up; near 0 or negative: the training
results were luck; undefined when the mean train score is not positive).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.evaluation import Objective, PreparedData, signals_for
from ai_engine.backtest.metrics import DAY_MS, Metrics, compute_metrics
from ai_engine.backtest.optimize import Evaluator, OptimizeSettings, optimize
from ai_engine.backtest.result import BacktestResult, Trades
from ai_engine.backtest.search_space import Params, SearchSpace
from ai_engine.domain.errors import DomainValueError
from ai_engine.strategies import Component, Signals


class WalkForwardError(DomainValueError):
    """Windows that cannot be made: bad lengths, or data too short for one window."""


@dataclass(frozen=True, slots=True)
class WalkForwardSettings:
    train_ms: int = 30 * DAY_MS
    test_ms: int = 7 * DAY_MS
    step_ms: int = DAY_MS

    def __post_init__(self) -> None:
        for name in ("train_ms", "test_ms", "step_ms"):
            if getattr(self, name) <= 0:
                raise WalkForwardError(f"{name} must be positive, got {getattr(self, name)}")

    def to_dict(self) -> dict[str, int]:
        return {"train_ms": self.train_ms, "test_ms": self.test_ms, "step_ms": self.step_ms}


@dataclass(frozen=True, slots=True)
class Window:
    number: int
    train_start: int
    test_start: int  # = train end
    test_end: int
    segment_end: int  # end of the part this window trades in the stitched curve

    def to_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def make_windows(start_ms: int, end_ms: int, settings: WalkForwardSettings) -> list[Window]:
    """The windows over data ``[start_ms, end_ms)`` (see the module docstring)."""
    need = settings.train_ms + settings.test_ms
    if end_ms - start_ms < need:
        raise WalkForwardError(
            f"the data spans {(end_ms - start_ms) / DAY_MS:.2f} days; one window needs "
            f"train + test = {need / DAY_MS:.2f} days"
        )
    starts = range(start_ms, end_ms - need + 1, settings.step_ms)
    out = []
    for k, t in enumerate(starts):
        test_start = t + settings.train_ms
        test_end = test_start + settings.test_ms
        last = k == len(starts) - 1
        segment_end = test_end if last else min(test_end, test_start + settings.step_ms)
        out.append(Window(k, t, test_start, test_end, segment_end))
    return out


@dataclass(frozen=True)
class WindowResult:
    window: Window
    params: Params | None  # None: no feasible trial in training, the window did not trade
    train_score: float
    test_score: float
    test_metrics: dict[str, Any]
    trials: int

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.window.to_dict(),
            "params": self.params,
            "train_score": _finite_or_none(self.train_score),
            "test_score": _finite_or_none(self.test_score),
            "test_metrics": self.test_metrics,
            "trials": self.trials,
        }


@dataclass(frozen=True)
class WalkForwardResult:
    settings: WalkForwardSettings
    objective: Objective
    windows: tuple[WindowResult, ...]
    stitched: BacktestResult
    metrics: Metrics

    @property
    def efficiency(self) -> float:
        pairs = [
            (w.train_score, w.test_score)
            for w in self.windows
            if math.isfinite(w.train_score) and math.isfinite(w.test_score)
        ]
        if not pairs:
            return math.nan
        train = float(np.mean([p[0] for p in pairs]))
        # A ratio to a losing (or zero) training score says nothing: undefined.
        return float(np.mean([p[1] for p in pairs])) / train if train > 0 else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings.to_dict(),
            "objective": self.objective.to_dict(),
            "windows": [w.to_dict() for w in self.windows],
            "efficiency": _finite_or_none(self.efficiency),
            "out_of_sample": self.metrics.to_dict(),
            "out_of_sample_trades": len(self.stitched.trades),
        }


def walk_forward(
    data: PreparedData,
    strategy: str,
    space: SearchSpace,
    objective: Objective,
    config: BacktestConfig,
    evaluator_for: Callable[[Window], Evaluator],
    settings: WalkForwardSettings = WalkForwardSettings(),
    optimize_settings: OptimizeSettings = OptimizeSettings(),
    on_window: Callable[[WindowResult, int], None] | None = None,
) -> WalkForwardResult:
    """Run the analysis of the module docstring; ``on_window(result, total)`` after each."""
    windows = make_windows(data.first_open_ms, data.end_ms, settings)
    results: list[WindowResult] = []
    segments: list[BacktestResult] = []
    equity = config.cash
    for window in windows:
        search = optimize(space, evaluator_for(window), optimize_settings, objective)
        best = search.best
        params = None if best is None else dict(best.params)
        test_score, test_metrics = math.nan, {}
        segment_config = replace(config, cash=equity, close_at_end=True)
        if params is not None:
            test = _out_of_sample(data, strategy, params, config, window, window.test_end)
            metrics = compute_metrics(test)
            test_score = objective.score(metrics)[0]
            test_metrics = metrics.to_dict()
            segment = _out_of_sample(
                data, strategy, params, segment_config, window, window.segment_end
            )
        else:
            segment = _flat(data, segment_config, window)
        segments.append(segment)
        equity = segment.final_equity
        result = WindowResult(
            window=window,
            params=params,
            train_score=best.score if best is not None else -math.inf,
            test_score=test_score,
            test_metrics=test_metrics,
            trials=len(search.trials),
        )
        results.append(result)
        if on_window is not None:
            on_window(result, len(windows))
    stitched = _stitch(segments, config)
    return WalkForwardResult(
        settings, objective, tuple(results), stitched, compute_metrics(stitched)
    )


def _out_of_sample(
    data: PreparedData,
    strategy: str,
    params: Params,
    config: BacktestConfig,
    window: Window,
    end_ms: int,
) -> BacktestResult:
    from ai_engine.backtest.engine import run_signals

    history = data.window(window.train_start, end_ms)
    signals = signals_for(history, strategy, params)
    rows = history.rows(window.test_start, end_ms)
    if rows.stop <= rows.start:
        return _flat(data, config, window)
    bars = history.bars.take(rows)
    return run_signals(
        slice_signals(signals, rows),
        bars,
        config,
        symbol=data.symbol,
        interval_ms=data.interval_ms,
    )


def _flat(data: PreparedData, config: BacktestConfig, window: Window) -> BacktestResult:
    """A segment without trading: the cash, unchanged, on the segment's bars."""
    part = data.bars.take(data.rows(window.test_start, window.segment_end))
    return BacktestResult(
        symbols=(data.symbol,),
        open_time=np.asarray(part.open_time, dtype=np.int64),
        equity=np.full(len(part), config.cash),
        trades=Trades.empty(),
        config=config,
        interval_ms=data.interval_ms,
    )


def slice_signals(signals: Signals, rows: slice) -> Signals:
    """Rows ``rows`` of every per-bar array of ``signals`` (components included)."""
    values: dict[str, Any] = {}
    for f in fields(signals):
        value = getattr(signals, f.name)
        if isinstance(value, np.ndarray):
            value = value[rows]
        values[f.name] = value
    values["components"] = tuple(
        Component(c.name, c.weight, c.value[rows], c.vote[rows], c.doc) for c in signals.components
    )
    return Signals(**values)


def _stitch(segments: list[BacktestResult], config: BacktestConfig) -> BacktestResult:
    trades = Trades(
        **{
            f.name: np.concatenate([getattr(s.trades, f.name) for s in segments])
            for f in fields(Trades)
        }
    )
    timings: dict[str, float] = {}
    for s in segments:
        for name, seconds in s.timings.items():
            timings[name] = timings.get(name, 0.0) + seconds
    return BacktestResult(
        symbols=segments[0].symbols,
        open_time=np.concatenate([s.open_time for s in segments]),
        equity=np.concatenate([s.equity for s in segments]),
        trades=trades,
        config=config,
        interval_ms=segments[0].interval_ms,
        timings=timings,
    )


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None

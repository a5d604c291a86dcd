"""One trial of a search: a parameter set backtested on prepared data and scored.

What does not depend on the parameters is done once per data set (and, on a Celery worker,
once per worker: see ``workers.cache``): the bars are loaded from the Parquet store and
converted to the strategy input (``PreparedData``). Per parameter set: the strategy's signals,
the simulation kernel, the metrics, the objective.

Objectives (``Objective``): ``sharpe``, ``sortino``, ``profit_factor`` or ``calmar`` of
``backtest.metrics``, maximised. A trial with fewer closed trades than ``min_trades``, or whose
objective is undefined (NaN: no variance, no losing trade and no winning one...), is
infeasible: its score is ``-inf`` and its ``note`` says why. A profit factor with winners and
no losers is ``+inf`` (kept: it is the best possible).

Each trial also keeps its returns per ``period_ms`` (a UTC day by default): the equity at the
close of the last bar of each period over the equity at the previous period's close (the
starting cash for the first). The overfitting statistics (``overfitting``) read these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.metrics import DAY_MS, Metrics, compute_metrics
from ai_engine.backtest.result import BacktestResult
from ai_engine.backtest.search_space import Params
from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata import Bars, BarStore
from ai_engine.marketdata.intervals import interval_ms
from ai_engine.strategies import MarketInput, Signals, Strategy, get

OBJECTIVES = ("sharpe", "sortino", "profit_factor", "calmar")
# Metrics a trial keeps (the rest are recomputed for the winner only).
KEPT_METRICS = (
    "sharpe",
    "sortino",
    "profit_factor",
    "calmar",
    "total_return",
    "max_drawdown",
    "trades",
    "win_rate",
    "fees_paid",
)


class NoDataError(DomainValueError):
    """The store has no bars for the asked symbol, interval and time range."""


@dataclass(frozen=True, slots=True)
class DataSpec:
    """Which bars a search runs on; plain values, so it travels in a Celery message."""

    symbol: str
    interval: str
    start_ms: int | None = None
    end_ms: int | None = None  # exclusive
    market: str = "spot"

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "interval": self.interval,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "market": self.market,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> DataSpec:
        return cls(**values)

    def load(self, store_dir: Path) -> PreparedData:
        """The bars from the store (``NoDataError`` when there are none)."""
        bars = BarStore(store_dir).load_bars(
            self.symbol,
            self.interval,
            _dt(self.start_ms),
            _dt(self.end_ms),
            market=MarketType(self.market),
        )
        if len(bars) == 0:
            raise NoDataError(
                f"no {self.interval} bars of {self.symbol} ({self.market}) in {self.span}"
            )
        return PreparedData.of(self.symbol, bars, interval_ms(self.interval))

    @property
    def span(self) -> str:
        start = "the beginning" if self.start_ms is None else _dt(self.start_ms).isoformat()  # type: ignore[union-attr]
        end = "the end" if self.end_ms is None else _dt(self.end_ms).isoformat()  # type: ignore[union-attr]
        return f"[{start}, {end})"


@dataclass(frozen=True, eq=False)
class PreparedData:
    """Bars, the strategy input built from them, and each strategy's parameter-independent
    work on it (``Strategy.prepare``: the composite score's features), each done once."""

    symbol: str
    bars: Bars
    market: MarketInput
    _prepared: dict[str, Any] = field(default_factory=dict, repr=False)

    def prepared_for(self, strategy: Strategy[Any]) -> Any:
        if strategy.name not in self._prepared:
            self._prepared[strategy.name] = strategy.prepare(self.market)
        return self._prepared[strategy.name]

    @classmethod
    def of(cls, symbol: str, bars: Bars, step_ms: int) -> PreparedData:
        return cls(symbol, bars, MarketInput.from_bars(bars, step_ms))

    def __len__(self) -> int:
        return len(self.bars)

    @property
    def interval_ms(self) -> int:
        return self.market.interval_ms

    @property
    def first_open_ms(self) -> int:
        return int(self.bars.open_time[0])

    @property
    def end_ms(self) -> int:
        """The last bar's close (exclusive end of the data)."""
        return int(self.bars.open_time[-1]) + self.interval_ms

    def rows(self, start_ms: int | None, end_ms: int | None) -> slice:
        """The rows whose bar opens in ``[start_ms, end_ms)``."""
        t = self.bars.open_time
        lo = 0 if start_ms is None else int(np.searchsorted(t, start_ms, side="left"))
        hi = len(t) if end_ms is None else int(np.searchsorted(t, end_ms, side="left"))
        return slice(lo, hi)

    def window(self, start_ms: int | None, end_ms: int | None) -> PreparedData:
        rows = self.rows(start_ms, end_ms)
        if rows.stop <= rows.start:
            raise NoDataError(f"no bars of {self.symbol} in the window [{start_ms}, {end_ms})")
        return PreparedData(self.symbol, self.bars.take(rows), self.market.take(rows))


@dataclass(frozen=True, slots=True)
class Objective:
    name: str = "sharpe"
    min_trades: int = 0

    def __post_init__(self) -> None:
        if self.name not in OBJECTIVES:
            raise DomainValueError(
                f"unknown objective {self.name!r}; choose one of {', '.join(OBJECTIVES)}"
            )
        if self.min_trades < 0:
            raise DomainValueError(f"min_trades must be 0 or more, got {self.min_trades}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "min_trades": self.min_trades}

    def score(self, metrics: Metrics) -> tuple[float, str]:
        """The value to maximise and, for an infeasible trial, why it is ``-inf``."""
        if metrics.trades < self.min_trades:
            return -math.inf, f"too few trades ({metrics.trades} < {self.min_trades})"
        value = float(getattr(metrics, self.name))
        if math.isnan(value):
            return -math.inf, f"{self.name} undefined"
        return value, ""


@dataclass(frozen=True, slots=True)
class Trial:
    number: int
    params: Params
    score: float
    metrics: dict[str, float | int | None] = field(default_factory=dict)
    period_returns: tuple[float, ...] = ()
    note: str = ""

    @property
    def feasible(self) -> bool:
        return self.score > -math.inf

    def to_dict(self) -> dict[str, Any]:
        """JSON values: an infeasible score is null, +inf the string "inf"."""
        return {
            "number": self.number,
            "params": dict(self.params),
            "score": _json_float(self.score),
            "metrics": dict(self.metrics),
            "period_returns": list(self.period_returns),
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Trial:
        score = values["score"]
        return cls(
            number=int(values["number"]),
            params=dict(values["params"]),
            score=-math.inf if score is None else float(score),
            metrics=dict(values["metrics"]),
            period_returns=tuple(float(x) for x in values["period_returns"]),
            note=str(values["note"]),
        )


def with_fee_rate(
    strategy: Strategy[Any], params: Mapping[str, object], config: BacktestConfig
) -> dict[str, object]:
    """``params`` with the strategy's ``fee_rate`` (its fee gate) set to the config's taker
    fee unless given: the gate then weighs the fees the simulation charges (the rule of
    ``backtest.service`` too)."""
    out = dict(params)
    if "fee_rate" not in out and any(s.name == "fee_rate" for s in strategy.param_specs()):
        out["fee_rate"] = config.fee_taker
    return out


def signals_for(data: PreparedData, strategy: str, params: Mapping[str, object]) -> Signals:
    chosen = get(strategy)
    return chosen.run(data.market, params, prepared=data.prepared_for(chosen))


def backtest(
    data: PreparedData, strategy: str, params: Mapping[str, object], config: BacktestConfig
) -> BacktestResult:
    """One backtest of ``strategy`` with ``params`` over all of ``data``."""
    from ai_engine.backtest.engine import run_signals  # numba: imported on first use

    return run_signals(
        signals_for(data, strategy, params),
        data.bars,
        config,
        symbol=data.symbol,
        interval_ms=data.interval_ms,
    )


def evaluate(
    data: PreparedData,
    strategy: str,
    batch: Sequence[tuple[int, Params]],
    config: BacktestConfig,
    objective: Objective,
    period_ms: int = DAY_MS,
) -> list[Trial]:
    """Trials of the numbered parameter sets of ``batch``, in order."""
    out = []
    for number, params in batch:
        result = backtest(data, strategy, params, config)
        metrics = compute_metrics(result)
        score, note = objective.score(metrics)
        values = metrics.to_dict()
        out.append(
            Trial(
                number=number,
                params=dict(params),
                score=score,
                metrics={name: values[name] for name in KEPT_METRICS},  # type: ignore[misc]
                period_returns=tuple(period_returns(result, period_ms).tolist()),
                note=note,
            )
        )
    return out


def period_returns(result: BacktestResult, period_ms: int = DAY_MS) -> npt.NDArray[np.float64]:
    """Returns per UTC period (see the module docstring); empty for an empty result."""
    if len(result.equity) == 0:
        return np.empty(0)
    close = np.asarray(result.open_time, dtype=np.int64) + result.interval_ms
    period = (close - 1) // period_ms  # a bar closing exactly at midnight belongs to that day
    last = np.flatnonzero(np.diff(period) != 0)
    marks = np.append(np.asarray(result.equity)[last], result.equity[-1])
    previous = np.concatenate(([result.config.cash], marks[:-1]))
    out: npt.NDArray[np.float64] = marks / previous - 1.0
    return out


def with_cash(config: BacktestConfig, cash: float) -> BacktestConfig:
    return replace(config, cash=cash)


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def _json_float(value: float) -> float | str | None:
    if math.isnan(value) or value == -math.inf:
        return None
    if value == math.inf:
        return "inf"
    return value

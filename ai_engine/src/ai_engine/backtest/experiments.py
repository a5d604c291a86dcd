"""Seed 003's experiments (section 3), on real bars, out of sample and net of fees.

**Capital scaling** (seed 003 3.2: $100, $1k, $10k, $100k): does a strategy that works with
a small account still work with a large one? The parameters are chosen on the first
``train_fraction`` of the data (by ``optimize``, or given); the rest is backtested once per
starting capital with a size-dependent impact model (by default ``slippage.kind = "book"``: a
market order walks a synthetic order book whose depth is a share of the bar's traded volume,
so a bigger order pays more per unit; ``"volume"`` scales the move with order size over bar
volume) and once without impact. Each row: the return, fees, trades, Sharpe and drawdown with
impact, and the impact cost = return without impact - return with it. Expect the cost to grow
with capital; where it eats the edge is the strategy's capacity. Not modelled: exchange
minimum order sizes and lot rounding (the kernel trades fractional quantities), queue
position, and the market's reaction beyond one bar.

**Training-data volume** (seed 003 3.1, for parameter optimisation rather than model
training): does choosing parameters on more history generalise better? The last ``test_ms``
of the data is held out; for each training length the parameters are optimised on the
``train_ms`` just before it and the winner is backtested on the held-out span. Each row: the
training length, the best in-sample score, the out-of-sample score, return, trades, and the
deflated Sharpe ratio and PBO of the in-sample search. In-sample scores that rise while
out-of-sample ones do not mean the extra history buys overfitting, not edge. Seed 003 asks
for 1-5 years of 1m data; the shared data holds 2023 (and a few 2022 months), so lengths are
days to months here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from ai_engine.backtest.config import BacktestConfig, SlippageModel
from ai_engine.backtest.evaluation import Objective, PreparedData, backtest
from ai_engine.backtest.metrics import DAY_MS, compute_metrics
from ai_engine.backtest.optimize import Evaluator, OptimizeResult, OptimizeSettings, optimize
from ai_engine.backtest.search_space import Params, SearchSpace
from ai_engine.domain.errors import DomainValueError

CAPITALS = (100.0, 1_000.0, 10_000.0, 100_000.0)
IMPACT = SlippageModel(kind="book")
TRAIN_DAYS = (7, 14, 30, 60)
TRAIN_MS = tuple(days * DAY_MS for days in TRAIN_DAYS)


class ExperimentError(DomainValueError):
    """An experiment that cannot run on the given data or settings."""


@dataclass(frozen=True)
class CapitalRow:
    capital: float
    final_equity: float
    total_return: float
    return_without_impact: float
    impact_cost: float  # return without impact - return with it
    fees_paid: float
    trades: int
    sharpe: float
    max_drawdown: float

    def to_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class CapitalScaling:
    params: Params
    test_start_ms: int
    test_end_ms: int
    impact: SlippageModel
    rows: tuple[CapitalRow, ...]
    search: OptimizeResult | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment": "capital_scaling",
            "params": self.params,
            "test_start_ms": self.test_start_ms,
            "test_end_ms": self.test_end_ms,
            "impact": asdict(self.impact),
            "rows": [r.to_dict() for r in self.rows],
            "search": None if self.search is None else self.search.to_dict(all_trials=False),
        }


def capital_scaling(
    data: PreparedData,
    strategy: str,
    config: BacktestConfig,
    *,
    params: Params | None = None,
    space: SearchSpace | None = None,
    objective: Objective | None = None,
    evaluator_for: Callable[[PreparedData], Evaluator] | None = None,
    settings: OptimizeSettings = OptimizeSettings(),
    capitals: Sequence[float] = CAPITALS,
    impact: SlippageModel = IMPACT,
    train_fraction: float = 0.5,
) -> CapitalScaling:
    """The capital-scaling table of the module docstring. Give ``params``, or a ``space``
    (with ``objective`` and ``evaluator_for(train_data)``) to choose them in sample."""
    if not capitals or any(not (c > 0 and math.isfinite(c)) for c in capitals):
        raise ExperimentError(f"capitals must be positive numbers, got {list(capitals)}")
    train, test = _split(data, train_fraction)
    search = None
    if params is None:
        search, params = _choose(train, space, objective, evaluator_for, settings)
    rows = []
    for capital in capitals:
        with_impact = compute_metrics(
            backtest(test, strategy, params, replace(config, cash=capital, slippage=impact))
        )
        without = compute_metrics(
            backtest(
                test, strategy, params, replace(config, cash=capital, slippage=SlippageModel())
            )
        )
        rows.append(
            CapitalRow(
                capital=capital,
                final_equity=with_impact.final_equity,
                total_return=with_impact.total_return,
                return_without_impact=without.total_return,
                impact_cost=without.total_return - with_impact.total_return,
                fees_paid=with_impact.fees_paid,
                trades=with_impact.trades,
                sharpe=with_impact.sharpe,
                max_drawdown=with_impact.max_drawdown,
            )
        )
    return CapitalScaling(
        params=dict(params),
        test_start_ms=test.first_open_ms,
        test_end_ms=test.end_ms,
        impact=impact,
        rows=tuple(rows),
        search=search,
    )


@dataclass(frozen=True)
class VolumeRow:
    train_days: float
    trials: int
    params: Params | None
    train_score: float
    test_score: float
    test_return: float
    test_trades: int
    deflated_sharpe: float | None
    pbo: float | None

    def to_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class DataVolume:
    test_start_ms: int
    test_end_ms: int
    rows: tuple[VolumeRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "experiment": "training_data_volume",
            "test_start_ms": self.test_start_ms,
            "test_end_ms": self.test_end_ms,
            "rows": [r.to_dict() for r in self.rows],
        }


def data_volume(
    data: PreparedData,
    strategy: str,
    config: BacktestConfig,
    space: SearchSpace,
    objective: Objective,
    evaluator_for: Callable[[PreparedData], Evaluator],
    *,
    settings: OptimizeSettings = OptimizeSettings(),
    train_ms: Sequence[int] = TRAIN_MS,
    test_ms: int = 7 * DAY_MS,
) -> DataVolume:
    """The training-data-volume table of the module docstring."""
    if not train_ms or any(t <= 0 for t in train_ms) or test_ms <= 0:
        raise ExperimentError("training lengths and the test length must be positive")
    test_start = data.end_ms - test_ms
    longest = max(train_ms)
    if test_start - longest < data.first_open_ms:
        have = (test_start - data.first_open_ms) / DAY_MS
        raise ExperimentError(
            f"the longest training span ({longest / DAY_MS:g} days) does not fit before the "
            f"test span: the data leaves {have:.2f} days"
        )
    test = data.window(test_start, data.end_ms)
    rows = []
    for length in sorted(train_ms):
        train = data.window(test_start - length, test_start)
        search = optimize(space, evaluator_for(train), settings, objective)
        best = search.best
        score, ret, trades = math.nan, math.nan, 0
        if best is not None:
            metrics = compute_metrics(backtest(test, strategy, best.params, config))
            score, ret, trades = objective.score(metrics)[0], metrics.total_return, metrics.trades
        rows.append(
            VolumeRow(
                train_days=length / DAY_MS,
                trials=len(search.trials),
                params=None if best is None else dict(best.params),
                train_score=-math.inf if best is None else best.score,
                test_score=score,
                test_return=ret,
                test_trades=trades,
                deflated_sharpe=(
                    None if search.deflated_sharpe is None else search.deflated_sharpe.probability
                ),
                pbo=None if search.pbo is None else search.pbo.pbo,
            )
        )
    return DataVolume(test_start, data.end_ms, tuple(rows))


def _split(data: PreparedData, train_fraction: float) -> tuple[PreparedData, PreparedData]:
    if not 0.0 < train_fraction < 1.0:
        raise ExperimentError(f"train_fraction must be in (0, 1), got {train_fraction}")
    cut = data.first_open_ms + int((data.end_ms - data.first_open_ms) * train_fraction)
    cut -= (cut - data.first_open_ms) % data.interval_ms  # on the bar grid
    return data.window(None, cut), data.window(cut, None)


def _choose(
    train: PreparedData,
    space: SearchSpace | None,
    objective: Objective | None,
    evaluator_for: Callable[[PreparedData], Evaluator] | None,
    settings: OptimizeSettings,
) -> tuple[OptimizeResult, Params]:
    if space is None or objective is None or evaluator_for is None:
        raise ExperimentError("give params, or a search space, an objective and an evaluator")
    search = optimize(space, evaluator_for(train), settings, objective)
    if search.best is None:
        raise ExperimentError(
            "no feasible parameter set on the training span (lower --min-trades?)"
        )
    return search, dict(search.best.params)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

"""Parameter search: grid or Optuna (seeded TPE) over a ``SearchSpace``, scored by an objective.

``optimize(space, evaluator, settings)`` asks an ``Evaluator`` to run rounds of numbered
parameter sets and keeps the best trial (highest score; the lowest trial number on ties, so
the answer does not depend on which worker finished first):

* **grid**: every consistent combination of ``space.grid(points)``, in one round (the
  evaluator cuts it into batches); combinations the strategy refuses were left out when the
  space was built and are counted in ``skipped``.
* **optuna**: ``trials`` suggestions from a TPE sampler seeded with ``seed``, asked and told in
  rounds of ``batch_size`` (the sampler sees the results of earlier rounds only). The rounds
  are the same whoever evaluates them, so a local run and a run fanned out over Celery
  workers suggest the same parameters and find the same best. A suggestion the strategy
  refuses (``fast >= slow``) is told as pruned, counted in ``skipped``, and not evaluated;
  infeasible trials (too few trades) are told ``-inf``.

Evaluators: ``LocalEvaluator`` (this process, on ``PreparedData``) here; the Celery one is
``workers.fanout.CeleryEvaluator``. Progress (``done/total`` parameter sets) goes to a
``Progress`` sink: a callback locally, a Redis hash when fanned out.

Overfitting statistics of the search (``overfitting``), over the feasible trials' returns per
period: the deflated Sharpe ratio of the best trial given all the trials' Sharpe ratios, and
the PBO by CSCV with up to 16 blocks (fewer when there are fewer than 32 periods). They are
``None`` (with a note) when there are too few trials or periods.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from ai_engine.backtest import overfitting as of
from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.evaluation import Objective, PreparedData, Trial, evaluate
from ai_engine.backtest.metrics import DAY_MS
from ai_engine.backtest.search_space import (
    DEFAULT_POINTS,
    Params,
    SearchSpace,
    SearchSpaceError,
)

Method = Literal["grid", "optuna"]
METHODS: tuple[Method, ...] = ("grid", "optuna")


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, done: int) -> None: ...


class Evaluator(Protocol):
    """Runs numbered parameter sets; returns one ``Trial`` per set, in the order given."""

    def evaluate(self, batch: Sequence[tuple[int, Params]]) -> list[Trial]: ...


@dataclass
class CallbackProgress:
    """Progress reported to ``callback(done, total)``."""

    callback: Callable[[int, int], None] | None = None
    total: int = 0
    done: int = 0

    def start(self, total: int) -> None:
        self.total, self.done = total, 0
        if self.callback:
            self.callback(self.done, self.total)

    def advance(self, done: int) -> None:
        self.done += done
        if self.callback:
            self.callback(self.done, self.total)


@dataclass
class LocalEvaluator:
    """Evaluates in this process, ``batch_size`` sets at a time (progress after each)."""

    data: PreparedData
    strategy: str
    config: BacktestConfig
    objective: Objective
    progress: Progress = field(default_factory=CallbackProgress)
    period_ms: int = DAY_MS
    batch_size: int = 16

    def evaluate(self, batch: Sequence[tuple[int, Params]]) -> list[Trial]:
        out: list[Trial] = []
        for k in range(0, len(batch), self.batch_size):
            chunk = batch[k : k + self.batch_size]
            out.extend(
                evaluate(
                    self.data, self.strategy, chunk, self.config, self.objective, self.period_ms
                )
            )
            self.progress.advance(len(chunk))
        return out


@dataclass(frozen=True, slots=True)
class OptimizeSettings:
    method: Method = "grid"
    trials: int = 100  # optuna
    seed: int = 0  # optuna
    batch_size: int = 32  # optuna: suggestions per round
    grid_points: int = DEFAULT_POINTS  # grid: values of a range given without a step

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise SearchSpaceError(f"unknown method {self.method!r}; choose grid or optuna")
        if self.trials < 1:
            raise SearchSpaceError(f"trials must be at least 1, got {self.trials}")
        if self.batch_size < 1:
            raise SearchSpaceError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.grid_points < 1:
            raise SearchSpaceError(f"grid_points must be at least 1, got {self.grid_points}")


@dataclass(frozen=True)
class OptimizeResult:
    method: Method
    space: SearchSpace
    objective: Objective
    trials: tuple[Trial, ...]  # by trial number
    skipped: int
    elapsed_s: float
    deflated_sharpe: of.DeflatedSharpe | None
    pbo: of.PBOResult | None
    notes: tuple[str, ...] = ()

    @property
    def best(self) -> Trial | None:
        """The best feasible trial (lowest number on ties), ``None`` when none is feasible."""
        feasible = [t for t in self.trials if t.feasible]
        if not feasible:
            return None
        return max(feasible, key=lambda t: (t.score, -t.number))

    @property
    def feasible(self) -> int:
        return sum(1 for t in self.trials if t.feasible)

    def top(self, n: int = 10) -> list[Trial]:
        return sorted(self.trials, key=lambda t: (-t.score, t.number))[:n]

    def to_dict(self, *, all_trials: bool = True) -> dict[str, Any]:
        best = self.best
        return {
            "method": self.method,
            "objective": self.objective.to_dict(),
            "space": self.space.to_dict(),
            "evaluated": len(self.trials),
            "feasible": self.feasible,
            "skipped": self.skipped,
            "elapsed_s": self.elapsed_s,
            "best": None if best is None else _trial_out(best),
            "deflated_sharpe": None
            if self.deflated_sharpe is None
            else self.deflated_sharpe.to_dict(),
            "pbo": None if self.pbo is None else self.pbo.to_dict(),
            "notes": list(self.notes),
            "trials": [_trial_out(t) for t in (self.trials if all_trials else self.top())],
        }


def optimize(
    space: SearchSpace,
    evaluator: Evaluator,
    settings: OptimizeSettings,
    objective: Objective,
    progress: Progress | None = None,
) -> OptimizeResult:
    """Search ``space`` (see the module docstring)."""
    started = time.perf_counter()
    sink = progress or CallbackProgress()
    if settings.method == "grid":
        trials, skipped = _grid(space, evaluator, settings, sink)
    else:
        trials, skipped = _optuna(space, evaluator, settings, sink)
    dsr, pbo, notes = overfitting_stats(trials)
    return OptimizeResult(
        method=settings.method,
        space=space,
        objective=objective,
        trials=tuple(sorted(trials, key=lambda t: t.number)),
        skipped=skipped,
        elapsed_s=time.perf_counter() - started,
        deflated_sharpe=dsr,
        pbo=pbo,
        notes=tuple(notes),
    )


def _grid(
    space: SearchSpace, evaluator: Evaluator, settings: OptimizeSettings, progress: Progress
) -> tuple[list[Trial], int]:
    grid = space.grid(settings.grid_points)
    if not grid.points:
        raise SearchSpaceError(f"no consistent parameter set in the grid: {grid.first_refusal}")
    progress.start(len(grid.points))
    return evaluator.evaluate(list(enumerate(grid.points))), grid.skipped


def _optuna(
    space: SearchSpace, evaluator: Evaluator, settings: OptimizeSettings, progress: Progress
) -> tuple[list[Trial], int]:
    import optuna
    from optuna.trial import TrialState

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=settings.seed)
    )
    distributions = _distributions(space)
    progress.start(settings.trials)
    trials: list[Trial] = []
    skipped = 0
    asked = 0
    while asked < settings.trials:
        count = min(settings.batch_size, settings.trials - asked)
        pending: list[tuple[optuna.trial.Trial, Params]] = []
        for _ in range(count):
            trial = study.ask(distributions)
            params: Params = {**space.fixed, **trial.params}
            if space.refusal(params):
                study.tell(trial, state=TrialState.PRUNED)
                skipped += 1
                progress.advance(1)
            else:
                pending.append((trial, params))
        asked += count
        results = evaluator.evaluate([(t.number, p) for t, p in pending]) if pending else []
        for (trial, _), result in zip(pending, results, strict=True):
            study.tell(trial, result.score)
        trials.extend(results)
    return trials, skipped


def _distributions(space: SearchSpace) -> dict[str, Any]:
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, Any] = {}
    for r in space.ranges:
        if r.choices:
            out[r.name] = CategoricalDistribution(list(r.choices))
            continue
        assert r.low is not None
        assert r.high is not None
        high = r.high
        if r.step is not None:  # optuna wants high - low to be a multiple of the step
            high = r.low + math.floor((r.high - r.low) / r.step + 1e-9) * r.step
        if r.spec.kind is int:
            out[r.name] = IntDistribution(int(r.low), int(high), step=int(r.step or 1))
        else:
            out[r.name] = FloatDistribution(r.low, round(high, 12), step=r.step)
    return out


def overfitting_stats(
    trials: Sequence[Trial],
) -> tuple[of.DeflatedSharpe | None, of.PBOResult | None, list[str]]:
    """DSR of the best feasible trial and PBO of the feasible trials (see the module doc)."""
    notes: list[str] = []
    feasible = [t for t in trials if t.feasible and t.period_returns]
    lengths = {len(t.period_returns) for t in feasible}
    if len(feasible) < 2 or len(lengths) != 1:
        notes.append("overfitting statistics need at least 2 feasible trials")
        return None, None, notes
    matrix = np.array([t.period_returns for t in feasible], dtype=np.float64).T  # T x N
    best = max(feasible, key=lambda t: (t.score, -t.number))
    dsr = None
    sharpes = [_sharpe(col) for col in matrix.T]
    try:
        dsr = of.deflated_sharpe_of(best.period_returns, sharpes)
    except of.OverfittingInputError as exc:
        notes.append(f"deflated Sharpe ratio: {exc}")
    pbo = None
    blocks = min(16, (len(matrix) // 2) // 2 * 2)
    try:
        pbo = of.pbo_cscv(matrix, n_blocks=blocks)
    except of.OverfittingInputError as exc:
        notes.append(f"PBO: {exc}")
    return dsr, pbo, notes


def _sharpe(returns: np.ndarray[Any, np.dtype[np.float64]]) -> float:
    sd = float(np.std(returns, ddof=1)) if len(returns) > 1 else 0.0
    return float(np.mean(returns)) / sd if sd > 0 else math.nan


def _trial_out(trial: Trial) -> dict[str, Any]:
    out = trial.to_dict()
    out.pop("period_returns")
    return out

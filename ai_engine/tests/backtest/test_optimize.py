"""Grid and Optuna search over real sample bars; spaces refused before any work."""

from __future__ import annotations

import math

import pytest

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.engine import run
from ai_engine.backtest.evaluation import Objective, PreparedData
from ai_engine.backtest.metrics import compute_metrics
from ai_engine.backtest.optimize import (
    CallbackProgress,
    LocalEvaluator,
    OptimizeSettings,
    optimize,
)
from ai_engine.backtest.search_space import SearchSpaceError, search_space
from ai_engine.domain.errors import DomainValueError

from .research_data import HOUR_MS, btc

CONFIG = BacktestConfig()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> PreparedData:
    return btc(tmp_path_factory.mktemp("store"))


@pytest.mark.parametrize(
    ("ranges", "fixed", "message"),
    [
        ({"fastt": "5:10"}, {}, "unknown parameter"),
        ({"fast": "5:10"}, {"fast": 6}, "both ranged and fixed"),
        ({"fast": "30:10"}, {}, "empty range"),
        ({"fast": "1:10"}, {}, "outside the range"),
        ({"fast": "5:10:0"}, {}, "step must be positive"),
        ({"fast": "5.5:10"}, {}, "expected an integer"),
        ({"fast": ","}, {}, "empty list of choices"),
        ({"fast": "a:b"}, {}, "must be numbers"),
        ({}, {}, "no parameter to vary"),
        # every combination breaks the strategy's own rule (fast < slow)
        ({"fast": "30:40", "slow": "10:20"}, {}, r"fast \(30\) must be below slow"),
        ({"fast": "5:10"}, {"slow": 4}, "must be below slow"),
    ],
)
def test_spaces_are_refused_before_any_work(
    ranges: dict[str, str], fixed: dict[str, object], message: str
) -> None:
    with pytest.raises(SearchSpaceError, match=message):
        search_space("ema_cross", ranges, fixed)


def test_a_boolean_takes_choices_only() -> None:
    with pytest.raises(SearchSpaceError, match="boolean"):
        search_space("composite_score", {"allow_short": "0:1"})
    space = search_space("composite_score", {"allow_short": None})
    assert space.ranges[0].values() == (False, True)


def test_grid_values_and_inconsistent_points() -> None:
    space = search_space("ema_cross", {"fast": "5:30:5", "slow": "10:30:10"})
    grid = space.grid()
    # fast 5..30 by 5 (6 values) x slow 10, 20, 30: pairs with fast < slow are 1 + 3 + 5.
    assert len(grid.points) == 9
    assert grid.skipped == 18 - 9
    assert "must be below slow" in grid.first_refusal
    assert all(p["fast"] < p["slow"] for p in grid.points)
    unstepped = search_space("ema_cross", {"fast": "2:10", "expected_move_atr": "0.1:0.5"})
    assert unstepped.ranges[0].values() == (2, 4, 6, 8, 10)
    assert unstepped.ranges[1].values() == (0.1, 0.2, 0.3, 0.4, 0.5)
    whole = search_space("ema_cross", {"slow": ""})
    assert (whole.ranges[0].low, whole.ranges[0].high) == (3, 2000)


def test_grid_search_finds_what_brute_force_finds(data: PreparedData) -> None:
    space = search_space("ema_cross", {"fast": "4:16:4", "slow": "20:60:20"})
    objective = Objective("sharpe", min_trades=2)
    seen: list[tuple[int, int]] = []
    evaluator = LocalEvaluator(
        data, "ema_cross", CONFIG, objective, CallbackProgress(lambda d, t: seen.append((d, t)))
    )
    result = optimize(space, evaluator, OptimizeSettings("grid"), objective, evaluator.progress)
    assert len(result.trials) == 12
    assert seen[0] == (0, 12)
    assert seen[-1] == (12, 12)
    # Each point backtested on its own through the public engine API.
    independent = {}
    for point in space.grid().points:
        metrics = compute_metrics(run("ema_cross", data.bars, params=point, config=CONFIG))
        independent[(point["fast"], point["slow"])] = metrics
    for trial in result.trials:
        expected = independent[(trial.params["fast"], trial.params["slow"])]
        assert trial.metrics["trades"] == expected.trades
        if expected.trades >= 2:
            assert trial.score == expected.sharpe
    best_key = max(
        (k for k, m in independent.items() if m.trades >= 2), key=lambda k: independent[k].sharpe
    )
    assert result.best is not None
    assert (result.best.params["fast"], result.best.params["slow"]) == best_key


def test_too_few_trades_make_every_trial_infeasible(data: PreparedData) -> None:
    space = search_space("ema_cross", {"fast": "5:10:5"})
    objective = Objective("profit_factor", min_trades=100_000)
    result = optimize(
        space, LocalEvaluator(data, "ema_cross", CONFIG, objective), OptimizeSettings(), objective
    )
    assert result.best is None
    assert all(not t.feasible and "too few trades" in t.note for t in result.trials)
    assert result.to_dict()["best"] is None


def test_optuna_is_seeded_and_prunes_inconsistent_suggestions(data: PreparedData) -> None:
    space = search_space("ema_cross", {"fast": "2:60", "slow": "10:80"})
    objective = Objective("sortino", min_trades=1)

    def search(seed: int) -> list[tuple[int, int]]:
        evaluator = LocalEvaluator(data, "ema_cross", CONFIG, objective)
        settings = OptimizeSettings("optuna", trials=24, seed=seed, batch_size=6)
        result = optimize(space, evaluator, settings, objective)
        assert len(result.trials) + result.skipped == 24
        assert result.best is not None
        assert result.best.score == max(t.score for t in result.trials)
        return [(t.params["fast"], t.params["slow"]) for t in result.trials]

    first = search(7)
    assert search(7) == first
    assert search(8) != first
    assert all(fast < slow for fast, slow in first)


def test_overfitting_statistics_of_a_search(data: PreparedData) -> None:
    space = search_space("ema_cross", {"fast": "3:15:3", "slow": "20:80:20"})
    objective = Objective("sharpe")
    evaluator = LocalEvaluator(data, "ema_cross", CONFIG, objective, period_ms=HOUR_MS)
    result = optimize(space, evaluator, OptimizeSettings(), objective)
    assert all(len(t.period_returns) == 71 for t in result.trials)  # 72 h, one lost to the halt
    assert result.deflated_sharpe is not None
    assert result.deflated_sharpe.n_trials == result.feasible
    assert 0.0 <= result.deflated_sharpe.probability <= 1.0
    assert result.pbo is not None
    assert result.pbo.n_blocks == 16
    assert result.pbo.n_splits == math.comb(16, 8)
    document = result.to_dict()
    assert document["pbo"]["pbo"] == result.pbo.pbo


def test_objectives_are_checked() -> None:
    with pytest.raises(DomainValueError, match="unknown objective"):
        Objective("return")
    with pytest.raises(DomainValueError, match="min_trades"):
        Objective("sharpe", -1)
    with pytest.raises(SearchSpaceError, match="unknown method"):
        OptimizeSettings("random")  # type: ignore[arg-type]

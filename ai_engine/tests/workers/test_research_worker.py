"""Optimisation and walk-forward fanned out over a real Celery worker give the local answers."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.evaluation import DataSpec, Objective
from ai_engine.backtest.optimize import LocalEvaluator, OptimizeSettings, optimize
from ai_engine.backtest.search_space import search_space
from ai_engine.backtest.walkforward import WalkForwardSettings, walk_forward
from ai_engine.workers import progress
from ai_engine.workers.app import QUEUE, WorkerSetupError, context_of, make_celery
from ai_engine.workers.fanout import CeleryEvaluator

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")

HOUR_MS = 3_600_000
START_MS = 1_679_529_600_000  # 2023-03-23T00:00:00Z
BTC = DataSpec("BTCUSDT", "1m", START_MS, START_MS + 72 * HOUR_MS)
CONFIG = BacktestConfig(fee_taker=0.0005)
OBJECTIVE = Objective("sharpe", min_trades=1)


def _fanout(app: Any, run_id: str | None = None, **kwargs: Any) -> CeleryEvaluator:
    return CeleryEvaluator(
        app, BTC, "ema_cross", CONFIG, OBJECTIVE, run_id=run_id, chunk_size=4, **kwargs
    )


def _pairs(result: Any) -> list[tuple[int, dict[str, Any], float]]:
    return [(t.number, t.params, t.score) for t in result.trials]


def test_grid_over_the_worker_equals_the_local_grid(
    celery_app: Any, worker: Any, research_store: Path, redis_url: str
) -> None:
    space = search_space("ema_cross", {"fast": "4:16:4", "slow": "20:50:10"})
    local = optimize(
        space,
        LocalEvaluator(BTC.load(research_store), "ema_cross", CONFIG, OBJECTIVE),
        OptimizeSettings("grid"),
        OBJECTIVE,
    )
    run_id = uuid.uuid4().hex
    sink = progress.RedisProgress(redis_url, run_id)
    fanned = optimize(space, _fanout(celery_app, run_id), OptimizeSettings("grid"), OBJECTIVE, sink)
    assert local.best is not None
    assert fanned.best is not None
    assert fanned.best.params == local.best.params
    assert _pairs(fanned) == _pairs(local)
    assert [t.period_returns for t in fanned.trials] == [t.period_returns for t in local.trials]
    # 16 sets in batches of 4: every batch reported, the bars loaded once by the worker.
    assert progress.read(redis_url, run_id) == (16, 16)
    assert context_of(celery_app).cache.loads == 1


def test_optuna_over_the_worker_suggests_and_finds_the_same(
    celery_app: Any, worker: Any, research_store: Path
) -> None:
    space = search_space("ema_cross", {"fast": "3:30", "slow": "10:60"})
    settings = OptimizeSettings("optuna", trials=16, seed=11, batch_size=8)
    data = BTC.load(research_store)
    local = optimize(
        space, LocalEvaluator(data, "ema_cross", CONFIG, OBJECTIVE), settings, OBJECTIVE
    )
    fanned = optimize(space, _fanout(celery_app), settings, OBJECTIVE)
    assert _pairs(fanned) == _pairs(local)
    assert fanned.best == local.best
    assert fanned.skipped == local.skipped


def test_walk_forward_over_the_worker_equals_the_local_one(
    celery_app: Any, worker: Any, research_store: Path
) -> None:
    space = search_space("ema_cross", {"fast": "4:12:4", "slow": "20:40:10"})
    wf = WalkForwardSettings(train_ms=24 * HOUR_MS, test_ms=12 * HOUR_MS, step_ms=12 * HOUR_MS)
    data = BTC.load(research_store)
    local = walk_forward(
        data,
        "ema_cross",
        space,
        OBJECTIVE,
        CONFIG,
        lambda w: LocalEvaluator(
            data.window(w.train_start, w.test_start), "ema_cross", CONFIG, OBJECTIVE
        ),
        wf,
    )
    fanned = walk_forward(
        data,
        "ema_cross",
        space,
        OBJECTIVE,
        CONFIG,
        lambda w: _fanout(celery_app, window=(w.train_start, w.test_start)),
        wf,
    )
    assert len(fanned.windows) == 4
    assert [w.params for w in fanned.windows] == [w.params for w in local.windows]
    assert fanned.metrics == local.metrics
    # One load of the series, then windows cut from it.
    assert context_of(celery_app).cache.loads == 1


def test_a_failing_batch_fails_the_round(celery_app: Any, worker: Any) -> None:
    evaluator = CeleryEvaluator(celery_app, BTC, "no_such_strategy", CONFIG, OBJECTIVE)
    with pytest.raises(Exception, match="unknown strategy 'no_such_strategy'"):
        evaluator.evaluate([(0, {"fast": 5})])


def test_the_app_needs_redis_and_routes_to_research(research_store: Path) -> None:
    from ai_engine.settings import Settings

    settings = Settings(_env_file=None, data_dir=research_store, redis_url=None)  # type: ignore[call-arg]
    with pytest.raises(WorkerSetupError, match="no Redis URL"):
        make_celery(settings)
    app = make_celery(settings, redis_url="redis://127.0.0.1:1/0")
    assert app.conf.task_default_queue == QUEUE
    assert {"research.evaluate_batch", "research.run_backtest"} <= set(app.tasks)

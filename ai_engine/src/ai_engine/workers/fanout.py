"""Fan a search out over Celery ``research`` workers: the ``Evaluator`` a coordinator uses.

``CeleryEvaluator.evaluate`` cuts the numbered parameter sets into batches of
``chunk_size``, sends one ``research.evaluate_batch`` task per batch as a Celery group (any
number of workers on any number of machines share them: more workers, sooner done) and
waits for all of them, returning the trials in the order given. Each message carries the data
spec, not the data: a worker loads the bars once and keeps them (``workers.cache``). A task
that fails makes the whole round fail with its error (no partial answers); waiting longer
than ``timeout_s`` raises ``TimeoutError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from celery import group  # type: ignore[import-untyped]

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.config_codec import config_to_dict
from ai_engine.backtest.evaluation import DataSpec, Objective, Trial
from ai_engine.backtest.metrics import DAY_MS
from ai_engine.backtest.search_space import Params


@dataclass
class CeleryEvaluator:
    app: Any
    data: DataSpec
    strategy: str
    config: BacktestConfig
    objective: Objective
    run_id: str | None = None  # progress key in Redis (``workers.progress``)
    window: tuple[int | None, int | None] = (None, None)
    period_ms: int = DAY_MS
    chunk_size: int = 16
    timeout_s: float = 3600.0

    def evaluate(self, batch: Sequence[tuple[int, Params]]) -> list[Trial]:
        if not batch:
            return []
        task = self.app.signature("research.evaluate_batch")
        jobs = [
            self.batch_job(batch[k : k + self.chunk_size])
            for k in range(0, len(batch), self.chunk_size)
        ]
        result = group(task.clone(args=(job,)) for job in jobs).apply_async()
        try:
            answers = result.get(timeout=self.timeout_s, propagate=True)
        finally:
            result.forget()
        return [Trial.from_dict(t) for answer in answers for t in answer]

    def batch_job(self, batch: Sequence[tuple[int, Params]]) -> dict[str, Any]:
        """The message of one ``research.evaluate_batch`` task."""
        return {
            "data": self.data.to_dict(),
            "window": list(self.window),
            "strategy": self.strategy,
            "config": config_to_dict(self.config),
            "objective": self.objective.to_dict(),
            "period_ms": self.period_ms,
            "batch": [[number, dict(params)] for number, params in batch],
            "run_id": self.run_id,
        }

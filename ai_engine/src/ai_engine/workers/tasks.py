"""The research tasks. Thin: decode the message, call ``backtest``, encode the answer.

* ``research.evaluate_batch(job)``: trials of a batch of numbered parameter sets (see
  ``fanout.batch_job`` for the message), on data from the worker's cache; adds the batch size
  to the run's progress in Redis when done. Returns the trials as dicts.
* ``research.run_backtest(backtest_id)``: the backtest job of that id (``backtest.jobs``); it
  re-reads the spec from PostgreSQL, so a redelivered message re-runs the same job.
"""

from __future__ import annotations

from typing import Any

from ai_engine.backtest.config_codec import config_from_dict
from ai_engine.backtest.evaluation import DataSpec, Objective, evaluate
from ai_engine.workers import progress


def register(app: Any) -> None:
    """Define the tasks on ``app`` (each app gets its own; there is no global app, and
    ``shared=False`` keeps Celery from copying them into apps made later)."""
    from ai_engine.workers.app import context_of

    @app.task(name="research.evaluate_batch", shared=False)  # type: ignore[untyped-decorator]
    def evaluate_batch(job: dict[str, Any]) -> list[dict[str, Any]]:
        context = context_of(app)
        window = job.get("window") or [None, None]
        data = context.cache.get(
            context.settings.store_dir, DataSpec.from_dict(job["data"]), (window[0], window[1])
        )
        trials = evaluate(
            data,
            job["strategy"],
            [(int(number), params) for number, params in job["batch"]],
            config_from_dict(job["config"]),
            Objective(**job["objective"]),
            int(job["period_ms"]),
        )
        if job.get("run_id"):
            progress.advance(context.redis_url, job["run_id"], len(trials))
        return [t.to_dict() for t in trials]

    @app.task(name="research.run_backtest", shared=False)  # type: ignore[untyped-decorator]
    def run_backtest(backtest_id: str) -> str:
        from ai_engine.backtest.jobs import run_job

        context = context_of(app)
        if context.database_url is None:
            raise RuntimeError("this worker has no database URL; backtest jobs need one")
        return run_job(context.database_url, context.settings.store_dir, backtest_id)

"""What the backtest routes do: check a spec, store the job, queue it on Celery, read results.

Blocking (SQLAlchemy sync sessions, the store, the broker); the routes call it in a thread.
The database engine and the Celery client are made on first use, so an API without a
database or Redis still starts (its backtest routes then answer 503, as they do when the
database is unreachable or not migrated).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ai_engine.api.database import Database, UnavailableError
from ai_engine.backtest.jobs import JobSpec, check_spec
from ai_engine.settings import Settings
from ai_engine.store import backtest_queries as q
from ai_engine.store.backtests import Backtest, BacktestTrade

__all__ = ["BacktestService", "UnavailableError"]


@dataclass
class BacktestService:
    settings: Settings
    database_url: str | None
    redis_url: str | None
    _database: Database | None = field(default=None, repr=False)
    _celery: Any = field(default=None, repr=False)

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.database_url)
        return self._database

    @property
    def store_dir(self) -> Path:
        return self.settings.store_dir

    def submit(self, **spec_fields: Any) -> uuid.UUID:
        """Check the spec (``SpecFieldError``), store the job, queue it; returns its id."""
        spec: JobSpec = check_spec(store_dir=self.store_dir, **spec_fields)
        job_id = uuid.uuid4()
        with self.database.session() as session:
            q.insert(
                session, job_id, strategy=spec.strategy, interval=spec.interval, spec=spec.to_dict()
            )
        try:
            app = self._app()
            # A connection per job, closed at once: nothing pooled outlives the request.
            with app.connection_for_write() as connection:
                app.send_task(
                    "research.run_backtest",
                    args=[str(job_id)],
                    queue="research",
                    connection=connection,
                )
        except Exception as exc:  # kombu raises several kinds; the job must not stay queued
            with self.database.session() as session:
                q.fail(session, job_id, f"could not queue the job: {exc}")
            raise UnavailableError(f"could not queue the job on Redis: {exc}") from exc
        return job_id

    def get(self, job_id: uuid.UUID, *, with_report: bool = False) -> Backtest | None:
        with self.database.session() as session:
            return q.get(session, job_id, with_report=with_report)

    def trades(self, job_id: uuid.UUID, offset: int, limit: int) -> tuple[int, list[BacktestTrade]]:
        with self.database.session() as session:
            total = q.trade_count(session, job_id)
            return total, q.trades(session, job_id, offset=offset, limit=limit)

    def close(self) -> None:
        """Release the database pool and the broker connections (tests; shutdown)."""
        if self._database is not None:
            self._database.close()
        if self._celery is not None:
            from ai_engine.workers.app import close_celery

            close_celery(self._celery)
            self._celery = None

    def _app(self) -> Any:
        if self.redis_url is None:
            raise UnavailableError("no Redis configured (TRADINGBOT_REDIS_URL or services up)")
        if self._celery is None:
            from ai_engine.workers.app import make_celery

            self._celery = make_celery(
                self.settings, redis_url=self.redis_url, database_url=self.database_url
            )
        return self._celery

"""What the backtest routes do: check a spec, store the job, queue it on Celery, read results.

Blocking (SQLAlchemy sync sessions, the store, the broker); the routes call it in a thread.
The database engine and the Celery client are made on first use, so an API without a
database or Redis still starts (its backtest routes then answer 503, as they do when the
database is unreachable or not migrated).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from ai_engine.backtest.jobs import JobSpec, check_spec
from ai_engine.settings import Settings
from ai_engine.store import backtest_queries as q
from ai_engine.store.backtests import Backtest, BacktestTrade
from ai_engine.store.db import make_engine, session_factory


class UnavailableError(RuntimeError):
    """No database or broker configured, the database unreachable or not migrated, or the
    broker refused the job."""


@contextmanager
def _database_errors() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise UnavailableError(
            "the database is unreachable or not migrated (tradingbot db upgrade): "
            f"{type(cause).__name__}"
        ) from exc


@dataclass
class BacktestService:
    settings: Settings
    database_url: str | None
    redis_url: str | None
    _engine: Engine | None = field(default=None, repr=False)
    _sessions: sessionmaker[Session] | None = field(default=None, repr=False)
    _celery: Any = field(default=None, repr=False)

    @property
    def store_dir(self) -> Path:
        return self.settings.store_dir

    def submit(self, **spec_fields: Any) -> uuid.UUID:
        """Check the spec (``SpecFieldError``), store the job, queue it; returns its id."""
        spec: JobSpec = check_spec(store_dir=self.store_dir, **spec_fields)
        sessions = self._session_factory()
        job_id = uuid.uuid4()
        with _database_errors(), sessions.begin() as session:
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
            with _database_errors(), sessions.begin() as session:
                q.fail(session, job_id, f"could not queue the job: {exc}")
            raise UnavailableError(f"could not queue the job on Redis: {exc}") from exc
        return job_id

    def get(self, job_id: uuid.UUID, *, with_report: bool = False) -> Backtest | None:
        with _database_errors(), self._session_factory()() as session:
            return q.get(session, job_id, with_report=with_report)

    def trades(self, job_id: uuid.UUID, offset: int, limit: int) -> tuple[int, list[BacktestTrade]]:
        with _database_errors(), self._session_factory()() as session:
            total = q.trade_count(session, job_id)
            return total, q.trades(session, job_id, offset=offset, limit=limit)

    def close(self) -> None:
        """Release the database pool and the broker connections (tests; shutdown)."""
        if self._engine is not None:
            self._engine.dispose()
        if self._celery is not None:
            from ai_engine.workers.app import close_celery

            close_celery(self._celery)
            self._celery = None

    def _session_factory(self) -> sessionmaker[Session]:
        if self.database_url is None:
            raise UnavailableError(
                "no database configured (TRADINGBOT_DATABASE_URL or services up)"
            )
        if self._sessions is None:
            # NullPool: a connection per request, closed after it; an API process holds
            # no idle connections (and none survive a test's database).
            self._engine = make_engine(self.database_url, poolclass=NullPool)
            self._sessions = session_factory(self._engine)
        return self._sessions

    def _app(self) -> Any:
        if self.redis_url is None:
            raise UnavailableError("no Redis configured (TRADINGBOT_REDIS_URL or services up)")
        if self._celery is None:
            from ai_engine.workers.app import make_celery

            self._celery = make_celery(
                self.settings, redis_url=self.redis_url, database_url=self.database_url
            )
        return self._celery

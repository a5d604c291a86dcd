"""The API's database access: made on first use, a connection per request, clear 503s.

An API started without a database (or with one that is down or not migrated) still serves
its other routes; the routes that need PostgreSQL answer 503 with ``UnavailableError``'s
message. ``NullPool``: a connection per request, closed after it, so an API process holds no
idle connections (and none survive a test's database).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from ai_engine.store.db import make_engine, session_factory


class UnavailableError(RuntimeError):
    """No database or broker configured, the database unreachable or not migrated, or the
    broker refused the request."""


@dataclass
class Database:
    url: str | None
    _engine: Engine | None = field(default=None, repr=False)
    _sessions: sessionmaker[Session] | None = field(default=None, repr=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose database errors become ``UnavailableError`` (commit on success)."""
        sessions = self._factory()
        with database_errors(), sessions.begin() as session:
            yield session

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine, self._sessions = None, None

    def _factory(self) -> sessionmaker[Session]:
        if self.url is None:
            raise UnavailableError(
                "no database configured (TRADINGBOT_DATABASE_URL or services up)"
            )
        if self._sessions is None:
            self._engine = make_engine(self.url, poolclass=NullPool)
            self._sessions = session_factory(self._engine)
        return self._sessions


@contextmanager
def database_errors() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise UnavailableError(
            "the database is unreachable or not migrated (tradingbot db upgrade): "
            f"{type(cause).__name__}"
        ) from exc

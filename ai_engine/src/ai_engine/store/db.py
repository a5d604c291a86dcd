"""Engines and sessions for PostgreSQL through psycopg 3 (sync and asyncio)."""

from __future__ import annotations

import re
import select
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


def normalize_url(url: str) -> str:
    """`url` with the psycopg 3 driver: plain postgresql:// would pick psycopg2 (not installed)."""
    return _SCHEME.sub("postgresql+psycopg://", url)


def make_engine(url: str, **options: Any) -> Engine:
    """A pooled sync engine whose checkout drops a connection the server has closed (local
    servers come and go under it) without a round trip: see ``_drop_closed``. SQLAlchemy's
    ``pool_pre_ping`` (a ``;`` sent on every checkout) is one more round trip on the order
    path's hot side, where a trader and an execution worker check out once per order
    (docs/execution.md, "Latency"); pass ``pool_pre_ping=True`` to have it anyway."""
    engine = create_engine(normalize_url(url), **options)
    if not options.get("pool_pre_ping"):
        event.listen(engine, "checkout", _drop_closed)
    return engine


def _drop_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Raise ``DisconnectionError`` (the pool then connects afresh, up to three times) for a
    pooled connection that is closed or whose socket is readable while it is idle: between
    queries a PostgreSQL server sends nothing unasked (no LISTEN here), so readable means it
    terminated the session (restart, ``pg_terminate_backend``, crash: the FIN or the FATAL
    message is waiting). A local ``poll`` with no wait, not a round trip. It does not see a
    silent network partition; neither would a ping before its own timeout."""
    if dbapi_connection.closed:
        raise DisconnectionError("the pooled connection is closed")
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    if poller.poll(0):
        raise DisconnectionError("the server closed the pooled connection")


def make_async_engine(url: str, **options: Any) -> AsyncEngine:
    """The asyncio variant (psycopg 3 async; needs the sqlalchemy[asyncio] extra)."""
    options.setdefault("pool_pre_ping", True)
    return create_async_engine(normalize_url(url), **options)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: rows stay readable after commit, as the trader hands them on.
    return sessionmaker(engine, expire_on_commit=False)


def async_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def ping(url: str, timeout: float = 2.0) -> bool:
    """Whether the database at `url` accepts a connection and answers SELECT 1."""
    engine = make_engine(
        url, poolclass=NullPool, connect_args={"connect_timeout": max(1, round(timeout))}
    )
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()
    return True

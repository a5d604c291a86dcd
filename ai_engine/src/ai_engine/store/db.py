"""Engines and sessions for PostgreSQL through psycopg 3 (sync and asyncio)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
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
    """A pooled sync engine. `pool_pre_ping` because local servers come and go under it."""
    options.setdefault("pool_pre_ping", True)
    return create_engine(normalize_url(url), **options)


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

"""Engine helpers: URL normalisation, ping, the asyncio engine."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.pool import NullPool

from ai_engine.infra.ports import free_port
from ai_engine.store.db import make_async_engine, make_engine, normalize_url, ping


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@h:5/d",
        "postgres://u@h:5/d",
        "postgresql+psycopg://u@h:5/d",
        "postgresql+psycopg2://u@h:5/d",
    ],
)
def test_urls_get_the_psycopg3_driver(url: str) -> None:
    assert normalize_url(url) == "postgresql+psycopg://u@h:5/d"


def test_ping_is_false_when_nothing_listens() -> None:
    assert ping(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x", timeout=1) is False


@pytest.mark.services
def test_ping_is_true_for_a_live_database(database_url: str) -> None:
    assert ping(database_url) is True


@pytest.mark.services
async def test_async_engine_reads_the_schema(database_url: str) -> None:
    engine = make_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            count = await conn.scalar(text("SELECT count(*) FROM orders"))
    finally:
        await engine.dispose()
    assert count == 0


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.services
@pytest.mark.parametrize("pre_ping", [False, True])
def test_a_pooled_connection_the_server_closed_is_replaced_at_checkout(
    database_url: str, pre_ping: bool
) -> None:
    """The pool checks a connection out without a round trip (no ``;`` per checkout) but
    still never hands out one the server terminated; a healthy one is reused."""
    engine = make_engine(database_url, pool_pre_ping=pre_ping)
    admin = make_engine(database_url, poolclass=NullPool)
    try:
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first  # reused: nothing was wrong with it
        with admin.connect() as conn:
            ended = conn.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": first})
            assert ended.scalar_one() is True
        with engine.connect() as conn:  # would raise "terminating connection" unchecked
            again = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        assert again != first
    finally:
        engine.dispose()
        admin.dispose()

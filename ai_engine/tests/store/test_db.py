"""Engine helpers: URL normalisation, ping, the asyncio engine."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ai_engine.infra.ports import free_port
from ai_engine.store.db import make_async_engine, normalize_url, ping


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

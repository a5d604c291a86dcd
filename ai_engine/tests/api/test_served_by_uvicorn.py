"""`tradingbot api` for real: a uvicorn process on a free port, spoken to over TCP."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import servers

from ai_engine.infra.local_services import ServiceUrls

from .tokens import AUTH, TOKEN


@pytest.fixture
def api_server(sample_store: Path, service_urls: ServiceUrls) -> Iterator[str]:
    with servers.engine_api(
        sample_store,
        token=TOKEN,
        database_url=service_urls.database_url,
        redis_url=service_urls.redis_url,
    ) as base:
        yield base


def test_health_and_candles_over_http(api_server: str) -> None:
    health = httpx.get(f"{api_server}/health", timeout=5)
    assert health.status_code == 200, health.text
    assert health.json()["status"] == "ok"
    url = f"{api_server}/api/v1/market/candles"
    assert httpx.get(url, params={"symbol": "BTCUSDT"}, timeout=5).status_code == 401
    candles = httpx.get(url, params={"symbol": "BTCUSDT", "limit": 5}, headers=AUTH, timeout=5)
    assert candles.status_code == 200
    assert len(candles.json()["candles"]) == 5


async def test_event_socket_over_tcp(api_server: str, service_urls: ServiceUrls) -> None:
    """A real WebSocket client gets an event published to Redis by another connection.

    In this process, after the schemathesis tests too: they once left ``Connection:
    keep-alive`` in the shared ``AUTH`` headers, and the handshake got a 404 (tokens.py)."""
    import json
    from datetime import UTC, datetime

    import websockets
    from redis.asyncio import Redis

    from ai_engine.events import EngineEvent, apublish

    url = api_server.replace("http://", "ws://") + "/api/v1/events?types=fill"
    redis = Redis.from_url(service_urls.redis_url)
    try:
        async with websockets.connect(url, additional_headers=AUTH) as ws:
            hello = json.loads(await ws.recv())
            assert hello["type"] == "subscribed"
            event = EngineEvent("fill", {"price": "42000.5"}, datetime.now(UTC), "b", "BTCUSDT")
            entry_id = await apublish(redis, event)
            got = json.loads(await asyncio.wait_for(ws.recv(), 20))
        assert (got["id"], got["data"]) == (entry_id, {"price": "42000.5"})
    finally:
        await redis.aclose()

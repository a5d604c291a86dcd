"""`tradingbot api` for real: a uvicorn process on a free port, spoken to over TCP."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ai_engine.infra.local_services import ServiceUrls
from ai_engine.infra.waiting import wait_until

from .tokens import AUTH, TOKEN


@pytest.fixture
def api_server(sample_store: Path, service_urls: ServiceUrls, free_port: int) -> Iterator[str]:
    env = {
        **os.environ,
        "TRADINGBOT_API_TOKEN": TOKEN,
        "TRADINGBOT_DATABASE_URL": service_urls.database_url,
        "TRADINGBOT_REDIS_URL": service_urls.redis_url,
        "TRADINGBOT_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "ai_engine.cli.main", "--data-dir", str(sample_store)]
    process = subprocess.Popen(
        [*command, "api", "--port", str(free_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{free_port}"

    def answering_or_dead() -> bool:
        if process.poll() is not None:
            return True
        try:
            return httpx.get(f"{base}/health", timeout=1).status_code in (200, 503)
        except httpx.TransportError:
            return False

    try:
        if not wait_until(answering_or_dead, timeout=20) or process.poll() is not None:
            process.kill()
            pytest.fail(f"API did not start: {process.communicate()[0]}")
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=10)


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
    """A real WebSocket client gets an event published to Redis by another connection."""
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
            got = json.loads(await ws.recv())
        assert (got["id"], got["data"]) == (entry_id, {"price": "42000.5"})
    finally:
        await redis.aclose()

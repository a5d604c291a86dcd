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


_WS_CLIENT = """
import asyncio, json, sys
import websockets

async def main(url, token):
    auth = {"Authorization": "Bearer " + token}
    async with websockets.connect(url, additional_headers=auth) as ws:
        print(await ws.recv(), flush=True)  # the subscription
        print(await asyncio.wait_for(ws.recv(), 20), flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def test_event_socket_over_tcp(api_server: str, service_urls: ServiceUrls) -> None:
    """A real WebSocket client (its own process: nothing of this test process's libraries in
    between) gets an event published to Redis by another connection."""
    import json
    from datetime import UTC, datetime

    from redis import Redis

    from ai_engine.events import EngineEvent, publish

    url = api_server.replace("http://", "ws://") + "/api/v1/events?types=fill"
    client = subprocess.Popen(
        [sys.executable, "-c", _WS_CLIENT, url, TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    redis = Redis.from_url(service_urls.redis_url)
    try:
        assert client.stdout is not None
        hello = json.loads(client.stdout.readline())
        assert hello["type"] == "subscribed"
        event = EngineEvent("fill", {"price": "42000.5"}, datetime.now(UTC), "b", "BTCUSDT")
        entry_id = publish(redis, event)
        got = json.loads(client.stdout.readline())
        assert (got["id"], got["data"]) == (entry_id, {"price": "42000.5"})
        assert client.wait(timeout=20) == 0
    finally:
        redis.close()
        if client.poll() is None:
            client.kill()
        client.communicate(timeout=10)

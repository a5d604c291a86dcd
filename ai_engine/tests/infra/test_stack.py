"""`tradingbot stack up|down` for real: PostgreSQL, Redis, the engine API, the worker, Rails on
puma and the relay start on free ports; Rails' /api/health sees the engine and the relay; the
proxy enforces login and roles against the real engine; an event XADDed to the engine's Redis
stream reaches an ActionCable subscriber (a `websockets` client speaking the ActionCable
protocol with the session cookie); `down` stops every process and the services.

The demo bot is left out (`--no-trader`): its runtime has tests of its own, and replaying it
here would only load the shared machine. Skipped only when Ruby is not installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect

from ai_engine.infra.processes import pid_alive
from ai_engine.infra.urls import libpq_url
from ai_engine.infra.waiting import wait_until

pytestmark = pytest.mark.skipif(
    shutil.which("ruby") is None or shutil.which("bundle") is None,
    reason="ruby/bundler not installed: `make setup` installs Debian's ruby-rails packages",
)

STREAM = "tradingbot:events"


def _cli(var_dir: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TRADINGBOT_VAR_DIR": str(var_dir),
        "TRADINGBOT_POSTGRES_PORT": "0",
        "TRADINGBOT_REDIS_PORT": "0",
    }
    for name in ("TRADINGBOT_DATABASE_URL", "TRADINGBOT_REDIS_URL", "TRADINGBOT_DATA_DIR"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "ai_engine.cli.main", "stack", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _gone(pid: int) -> bool:
    return wait_until(lambda: not pid_alive(pid), 10)


@pytest.fixture(scope="module")
def stack(service_var_dir: Callable[[], Path]) -> Iterator[dict[str, Any]]:
    var_dir = service_var_dir()
    out = var_dir / "stack-out.json"
    started = _cli(var_dir, "up", "--json", str(out), "--no-trader")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        description: dict[str, Any] = json.loads(out.read_text())
        description["_up_stdout"] = started.stdout
        yield description
    finally:
        stopped = _cli(var_dir, "down", timeout=120)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        if out.exists():
            for process in json.loads(out.read_text())["processes"]:
                assert _gone(process["pid"]), process


@contextmanager
def _login(stack: dict[str, Any], who: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack["rails_url"], timeout=10) as client:
        response = client.post("/api/session", json=stack[who])
        assert response.status_code == 200, response.text
        yield client


def test_up_prints_urls_and_credentials_and_describes_everything(stack: dict[str, Any]) -> None:
    printed = stack["_up_stdout"]
    assert stack["rails_url"] in printed
    assert stack["operator"]["email"] in printed
    assert stack["operator"]["password"] in printed
    names = [p["name"] for p in stack["processes"]]
    assert names == ["engine", "worker", "rails", "relay"]
    assert stack["trader"] is False
    assert all(pid_alive(p["pid"]) for p in stack["processes"])
    assert stack["cable_url"].startswith("ws://127.0.0.1:")


def test_rails_health_sees_engine_and_relay(stack: dict[str, Any]) -> None:
    health = httpx.get(f"{stack['rails_url']}/api/health", timeout=10).json()
    assert health["status"] == "ok", health
    assert health["engine"]["status"] == "ok"
    assert health["engine"]["latency_ms"] >= 0
    assert health["relay"]["status"] == "ok"


def test_proxy_enforces_login_and_roles_against_the_real_engine(stack: dict[str, Any]) -> None:
    anonymous = httpx.get(f"{stack['rails_url']}/api/v1/strategies", timeout=10)
    assert anonymous.status_code == 401
    with _login(stack, "viewer") as viewer:
        strategies = viewer.get("/api/v1/strategies")
        assert strategies.status_code == 200, strategies.text
        assert "ema_cross" in strategies.text
        assert stack["engine_api_token"] not in strategies.text
        assert stack["engine_api_token"] not in str(strategies.headers)
        refused = viewer.post("/api/v1/bots/demo-ema/emergency-stop", json={"reason": "test"})
        assert refused.status_code == 403
    with _login(stack, "operator") as operator:
        assert operator.get("/api/me").json()["user"]["role"] == "operator"
        # No bot runs in this stack: the engine's 404 passes through, audited as rejected.
        unknown = operator.post("/api/v1/bots/no-such-bot/pause", json={"reason": "drill"})
        assert unknown.status_code == 404, unknown.text
    with psycopg.connect(libpq_url(stack["database_url"])) as conn:
        rows = conn.execute(
            "SELECT user_email, action, target, result, http_status, params FROM control_audits"
            " ORDER BY id"
        ).fetchall()
    assert rows == [
        (stack["viewer"]["email"], "bots.emergency-stop", "demo-ema", "forbidden", 403,
         {"reason": "test"}),
        (stack["operator"]["email"], "bots.pause", "no-such-bot", "rejected", 404,
         {"reason": "drill"}),
    ]  # fmt: skip
    # The engine itself refuses the browser without the token Rails holds.
    direct = httpx.get(f"{stack['engine_url']}/api/v1/strategies", timeout=10)
    assert direct.status_code == 401


async def _subscribe(ws: ClientConnection, identifier: dict[str, str]) -> str:
    key = json.dumps(identifier)
    await ws.send(json.dumps({"command": "subscribe", "identifier": key}))
    while True:
        message = json.loads(await ws.recv(decode=True))
        if message.get("type") == "reject_subscription":
            raise AssertionError(f"subscription rejected: {identifier}")
        if message.get("type") == "confirm_subscription" and message["identifier"] == key:
            return key


async def _next_broadcast(ws: ClientConnection) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await ws.recv(decode=True))
        if "message" in message:
            return message


async def test_event_xadded_to_redis_reaches_an_actioncable_subscriber(
    stack: dict[str, Any],
) -> None:
    with _login(stack, "viewer") as viewer:
        cookie = "; ".join(f"{name}={value}" for name, value in viewer.cookies.items())
    async with connect(
        stack["cable_url"],
        subprotocols=["actioncable-v1-json"],  # type: ignore[list-item]
        origin=stack["rails_url"],
        additional_headers={"Cookie": cookie},
        open_timeout=10,
    ) as ws:
        welcome = json.loads(await ws.recv(decode=True))
        assert welcome["type"] == "welcome"
        market = await _subscribe(ws, {"channel": "MarketChannel", "symbol": "BTCUSDT"})
        system = await _subscribe(ws, {"channel": "SystemChannel"})

        events = redis.Redis.from_url(stack["redis_url"], decode_responses=True)
        data = {"interval": "1m", "open_time": 1679788680000, "close": "27468.33"}
        started = time.perf_counter()
        bar_id = events.xadd(
            STREAM,
            {"type": "bar", "bot_id": "", "symbol": "BTCUSDT",
             "ts": "2023-03-26T00:00:00.000Z", "data": json.dumps(data)},
        )  # fmt: skip
        got = await _next_broadcast(ws)
        latency_ms = (time.perf_counter() - started) * 1000
        assert got["identifier"] == market
        assert got["message"] == {
            "id": bar_id, "type": "bar", "bot_id": "", "symbol": "BTCUSDT",
            "ts": "2023-03-26T00:00:00.000Z", "data": data,
        }  # fmt: skip
        assert latency_ms < 1000, f"{latency_ms:.0f} ms from XADD to the subscriber"

        events.xadd(
            STREAM,
            {"type": "health", "bot_id": "", "symbol": "", "ts": "2023-03-26T00:00:01.000Z",
             "data": json.dumps({"component": "venue", "status": "ok", "detail": ""})},
        )  # fmt: skip
        got = await _next_broadcast(ws)
        assert got["identifier"] == system
        assert got["message"]["type"] == "health"
        events.close()


async def test_cable_refuses_a_connection_without_a_session(stack: dict[str, Any]) -> None:
    async with connect(
        stack["cable_url"],
        subprotocols=["actioncable-v1-json"],  # type: ignore[list-item]
        origin=stack["rails_url"],
        open_timeout=10,
    ) as ws:
        message = json.loads(await ws.recv(decode=True))
        assert message == {"type": "disconnect", "reason": "unauthorized", "reconnect": False}

"""Fixtures for the WebSocket side: raw `websockets` clients for protocol details, the real
python-binance 1.0.37 socket managers for what a bot actually uses.

    ws_url(base_url)          ws://host:port of a running sim
    recv_json(ws)             the next message of a raw client, parsed
    local_async_client(url)   AsyncClient whose REST and WS-API URLs point at a running sim
    socket_manager(client)    BinanceSocketManager whose stream URLs point at it
    next_data(socket)         the next python-binance message that is not an error notice

USD-M:
    async_fsim                a sim listing the BTCUSDT (real) and ETHUSDT (derived) perpetuals
    local_futures_client(url) AsyncClient whose REST and futures REST URLs point at a sim
    futures_manager(client)   BinanceSocketManager whose FSTREAM_URL points at it
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from binance import AsyncClient, BinanceSocketManager
from binance.ws.reconnecting_websocket import ReconnectingWebsocket
from websockets.asyncio.client import ClientConnection

from ai_engine.simexchange import AccountSpec, RunningSim, SimConfig, running_sim_exchange
from ai_engine.simexchange.futures.config import FuturesConfig
from simexchange.conftest import KEY, SECRET
from simexchange.futures.conftest import two_perps_store

__all__ = ["KEY", "SECRET", "two_perps_store"]


@pytest.fixture(autouse=True)
def quick_socket_exit() -> Iterator[None]:
    """python-binance's read loop notices a closing socket only when a message arrives or
    after ``ReconnectingWebsocket.TIMEOUT`` (10 s) without one. Binance never goes quiet; a
    replay on a manual clock does, so tests use a short receive timeout to close quickly."""
    with mock.patch.object(ReconnectingWebsocket, "TIMEOUT", 0.25):
        yield


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1)


async def recv_json(ws: ClientConnection, timeout: float = 5.0) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def local_async_client(base_url: str, key: str = KEY, secret: str = SECRET) -> AsyncClient:
    urls = {"API_URL": base_url + "/api", "WS_API_URL": ws_url(base_url) + "/ws-api/v3"}
    client: AsyncClient = await type("LocalAsyncClient", (AsyncClient,), urls).create(key, secret)
    return client


def socket_manager(client: AsyncClient, base_url: str) -> BinanceSocketManager:
    url = ws_url(base_url) + "/"
    cls = type("LocalSocketManager", (BinanceSocketManager,), {"STREAM_URL": url})
    manager: BinanceSocketManager = cls(client)
    return manager


async def next_data(socket: Any, timeout: float = 5.0) -> dict[str, Any]:
    """Skip python-binance's ``{"e": "error"}`` notices (it queues one per reconnect)."""
    while True:
        message: dict[str, Any] = await asyncio.wait_for(socket.recv(), timeout)
        if message.get("e") != "error":
            return message


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """``wait_until`` for tests whose server runs in their own event loop: it must not block
    the loop, so it polls with ``asyncio.sleep``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def futures_config(store: Path, start: datetime | None = None) -> SimConfig:
    return SimConfig(
        data_dir=store,
        symbols=(),
        futures=FuturesConfig(symbols=("BTCUSDT", "ETHUSDT"), wallets=((KEY, Decimal(10_000)),)),
        accounts=(AccountSpec(api_key=KEY, secret=SECRET),),
        start=start,
    )


@pytest.fixture
async def async_fsim(two_perps_store: Path) -> AsyncIterator[RunningSim]:
    async with running_sim_exchange(futures_config(two_perps_store)) as sim:
        yield sim


async def local_futures_client(base_url: str) -> AsyncClient:
    urls = {"API_URL": base_url + "/api", "FUTURES_URL": base_url + "/fapi"}
    client: AsyncClient = await type("LocalAsyncClient", (AsyncClient,), urls).create(KEY, SECRET)
    return client


def futures_manager(client: AsyncClient, base_url: str) -> BinanceSocketManager:
    """python-binance builds every USD-M socket URL from FSTREAM_URL (+ market/, public/,
    private/ and ws/ or stream?streams=)."""
    cls = type(
        "LocalSocketManager", (BinanceSocketManager,), {"FSTREAM_URL": ws_url(base_url) + "/"}
    )
    manager: BinanceSocketManager = cls(client)
    return manager

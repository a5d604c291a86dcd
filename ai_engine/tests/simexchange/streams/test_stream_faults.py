"""Connections ending on the server's side -- admin close, the 24 h age limit, slow
consumers -- and stalls; python-binance reconnects and keeps receiving."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import websockets
from binance import AsyncClient, BinanceSocketManager
from websockets.exceptions import ConnectionClosed

from ai_engine.simexchange import RunningSim

from .conftest import eventually, local_async_client, next_data, recv_json, socket_manager, ws_url


@pytest.fixture
async def client(async_sim: RunningSim) -> AsyncIterator[AsyncClient]:
    client = await local_async_client(async_sim.base_url)
    yield client
    await client.close_connection()


async def admin(sim: RunningSim, action: str, body: dict[str, Any]) -> Any:
    async with aiohttp.ClientSession() as session:
        url = f"{sim.base_url}/sim/streams/{action}"
        async with session.post(url, data=json.dumps(body)) as answer:
            assert answer.status == 200, await answer.text()
            return await answer.json()


async def reconnects_and_continues(
    sim: RunningSim, manager: BinanceSocketManager, end_it: Callable[[], Awaitable[None]]
) -> None:
    """Open a kline socket, let ``end_it`` end it on the server's side, see it come back."""
    exchange, connections = sim.exchange, sim.exchange.bus.connections
    async with manager.kline_socket("BTCUSDT") as socket:
        exchange.advance_bars(1)
        before = await next_data(socket)
        opened = connections.opened
        await end_it()
        assert await eventually(lambda: connections.opened > opened and len(connections) == 1)
        exchange.advance_bars(1)  # events of bars closed while it was away are gone, as live
        after = await next_data(socket)
    assert after["k"]["t"] == before["k"]["t"] + 60_000


async def test_python_binance_reconnects_after_an_admin_close(
    async_sim: RunningSim, client: AsyncClient
) -> None:
    async def close() -> None:
        closed = await admin(async_sim, "close", {"match": "*@kline_1m", "code": 1001})
        assert len(closed["closed"]) == 1

    await reconnects_and_continues(async_sim, socket_manager(client, async_sim.base_url), close)


async def test_python_binance_reconnects_at_the_maximum_connection_age(
    async_sim: RunningSim, client: AsyncClient
) -> None:
    async_sim.exchange.bus.configure(max_connection_age_s=1.5)  # Binance: 24 h

    async def wait() -> None:
        pass  # the server ends it by itself

    await reconnects_and_continues(async_sim, socket_manager(client, async_sim.base_url), wait)


async def test_a_stalled_connection_stays_open_and_catches_up(async_sim: RunningSim) -> None:
    exchange, loop = async_sim.exchange, asyncio.get_running_loop()
    async with websockets.connect(ws_url(async_sim.base_url) + "/ws/btcusdt@kline_1m") as ws:
        stalled = await admin(async_sim, "stall", {"seconds": 0.5, "match": "/ws/*"})
        started = loop.time()
        exchange.advance_bars(2)
        first, second = await recv_json(ws), await recv_json(ws)
        waited = loop.time() - started
    assert len(stalled["stalled"]) == 1
    assert waited >= 0.45
    assert second["k"]["t"] == first["k"]["t"] + 60_000


async def read_to_the_end(ws: websockets.ClientConnection) -> None:
    while True:
        await ws.recv()


async def test_a_consumer_that_does_not_read_is_cut_off(async_sim: RunningSim) -> None:
    exchange = async_sim.exchange
    exchange.bus.configure(slow_consumer_s=0.3, write_buffer_bytes=64 * 1024)
    streams = "/".join(f"{s}@depth20/{s}@depth/{s}@kline_1m" for s in ("btcusdt", "ethusdt"))
    url = ws_url(async_sim.base_url) + "/ws/" + streams
    async with websockets.connect(url, max_queue=1) as ws:  # reads nothing after 1 message
        (connection,) = list(exchange.bus.connections)
        exchange.advance_bars(4_000)  # ~40 MB of events: more than any socket buffer
        assert await eventually(lambda: len(exchange.bus.connections) == 0)
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(read_to_the_end(ws), 10)
    assert connection.market.cursor_ms < exchange.now_ms()  # it stopped rendering: no backlog


async def test_too_many_waiting_events_cut_a_connection_off(
    async_sim: RunningSim, client: AsyncClient
) -> None:
    bus = async_sim.exchange.bus
    bus.configure(outbox_limit=5)
    listen_key = await client.stream_get_listen_key()
    async with websockets.connect(ws_url(async_sim.base_url) + f"/ws/{listen_key}") as ws:
        await admin(async_sim, "stall", {"seconds": 10})
        for _ in range(3):  # two events each (executionReport, outboundAccountPosition)
            await client.create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008

"""Server pings: python-binance's client answers them and keeps its connection; a client that
never answers is closed once its pings have gone unanswered for the pong timeout."""

from __future__ import annotations

import asyncio

import aiohttp
import websockets
from binance import AsyncClient

from ai_engine.simexchange import RunningSim
from ai_engine.simexchange.streams.connection import Connection

from .conftest import eventually, local_async_client, next_data, socket_manager, ws_url

INTERVAL, TIMEOUT = 0.05, 0.3


async def test_python_binance_answers_pings_and_stays_connected(async_sim: RunningSim) -> None:
    bus = async_sim.exchange.bus
    bus.configure(ping_interval_s=INTERVAL, pong_timeout_s=TIMEOUT)
    client: AsyncClient = await local_async_client(async_sim.base_url)
    try:
        manager = socket_manager(client, async_sim.base_url)
        async with manager.kline_socket("BTCUSDT") as socket:
            (connection,) = list(bus.connections)
            assert isinstance(connection, Connection)
            heartbeat = connection.heartbeat
            assert heartbeat is not None
            # Many pings and well past the timeout: only answers keep it open.
            assert await eventually(lambda: heartbeat.pongs >= 10)
            async_sim.exchange.advance_bars(1)
            event = await next_data(socket)
    finally:
        await client.close_connection()
    assert event["e"] == "kline"
    assert bus.connections.opened == 1  # never dropped and reconnected


async def test_a_client_that_never_answers_is_closed(async_sim: RunningSim) -> None:
    async_sim.exchange.bus.configure(ping_interval_s=INTERVAL, pong_timeout_s=TIMEOUT)
    url = ws_url(async_sim.base_url) + "/ws/btcusdt@kline_1m"
    async with aiohttp.ClientSession() as session, session.ws_connect(url, autoping=False) as ws:
        loop = asyncio.get_running_loop()
        first = await ws.receive(timeout=5)
        pinged_at = loop.time()
        while (message := await ws.receive(timeout=5)).type is aiohttp.WSMsgType.PING:
            pass  # not answered
        closed_at = loop.time()
    assert first.type is aiohttp.WSMsgType.PING
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert (message.data, message.extra) == (1008, "pong timeout")
    assert closed_at - pinged_at >= TIMEOUT * 0.8  # not before its time


async def test_the_clients_own_pings_are_answered(async_sim: RunningSim) -> None:
    # websockets (under python-binance) pings every 20 s and drops a server that stays silent.
    url = ws_url(async_sim.base_url) + "/ws/btcusdt@kline_1m"
    async with websockets.connect(url, ping_interval=None) as ws:
        pong = await ws.ping()
        await asyncio.wait_for(pong, 5)

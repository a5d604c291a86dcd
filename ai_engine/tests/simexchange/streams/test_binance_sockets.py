"""python-binance 1.0.37's BinanceSocketManager against the sim, only its URL changed: every
market socket a spot bot uses receives Binance-shaped events as the replay moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from binance import AsyncClient, BinanceSocketManager

from ai_engine.simexchange import RunningSim

from .conftest import local_async_client, next_data, socket_manager


@pytest.fixture
async def manager(async_sim: RunningSim) -> AsyncIterator[BinanceSocketManager]:
    client: AsyncClient = await local_async_client(async_sim.base_url)
    yield socket_manager(client, async_sim.base_url)
    await client.close_connection()


Opener = Callable[[BinanceSocketManager], Any]
Check = Callable[[dict[str, Any]], bool]
SOCKETS: list[tuple[str, Opener, Check]] = [
    ("kline", lambda m: m.kline_socket("BTCUSDT", interval="1m"),
     lambda e: e["e"] == "kline" and e["k"]["x"] and e["k"]["i"] == "1m"),
    ("kline 15m", lambda m: m.kline_socket("ETHUSDT", interval="15m"),
     lambda e: e["e"] == "kline" and e["k"]["i"] == "15m" and e["s"] == "ETHUSDT"),
    ("trade", lambda m: m.trade_socket("BTCUSDT"), lambda e: e["e"] == "trade"),
    ("aggTrade", lambda m: m.aggtrade_socket("ETHUSDT"), lambda e: e["e"] == "aggTrade"),
    ("bookTicker", lambda m: m.symbol_book_ticker_socket("BTCUSDT"),
     lambda e: set(e) == {"u", "s", "b", "B", "a", "A"}),
    ("depth5", lambda m: m.depth_socket("BTCUSDT", depth=BinanceSocketManager.WEBSOCKET_DEPTH_5),
     lambda e: len(e["bids"]) == len(e["asks"]) == 5 and "lastUpdateId" in e),
    ("depth20@100ms", lambda m: m.depth_socket("ETHUSDT", depth="20", interval=100),
     lambda e: len(e["bids"]) == 20 and "lastUpdateId" in e),
    ("diff depth", lambda m: m.depth_socket("BTCUSDT"),
     lambda e: e["e"] == "depthUpdate" and e["U"] <= e["u"]),
    ("diff depth@100ms", lambda m: m.depth_socket("ETHUSDT", interval=100),
     lambda e: e["e"] == "depthUpdate" and e["s"] == "ETHUSDT"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "open_socket", "looks_right"), SOCKETS, ids=[s[0] for s in SOCKETS]
)
async def test_market_socket_receives_events(
    async_sim: RunningSim,
    manager: BinanceSocketManager,
    kind: str,
    open_socket: Callable[[BinanceSocketManager], Any],
    looks_right: Callable[[dict[str, Any]], bool],
) -> None:
    async with open_socket(manager) as socket:
        async_sim.exchange.advance_bars(2)
        events = [await next_data(socket), await next_data(socket)]
    assert all(looks_right(event) for event in events), events


async def test_multiplex_socket_wraps_each_event_with_its_stream(
    async_sim: RunningSim, manager: BinanceSocketManager
) -> None:
    streams = ["btcusdt@kline_1m", "ethusdt@bookTicker", "btcusdt@depth10"]
    async with manager.multiplex_socket(streams) as socket:
        async_sim.exchange.advance_bars(1)
        events = [await next_data(socket) for _ in range(3)]
    assert [event["stream"] for event in events] == streams
    assert events[0]["data"]["k"]["s"] == "BTCUSDT"
    assert events[1]["data"]["s"] == "ETHUSDT"

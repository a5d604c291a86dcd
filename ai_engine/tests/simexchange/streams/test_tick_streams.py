"""Market streams of a symbol replayed tick by tick, through python-binance 1.0.37's socket
managers: ``@trade`` carries the capture's trades and ids, ``@aggTrade`` groups them, diff
depth sends the recorded diffs with their real ``U``/``u``, and a client that rebuilds a book
from REST ``/depth`` plus that stream ends with the sim's best bid and ask."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any
from unittest import mock

import aiohttp
import pytest
from binance import AsyncClient, BinanceSocketManager, ThreadedWebsocketManager

from ai_engine.infra.waiting import wait_until
from ai_engine.simexchange import RunningSim, SimConfig, ThreadedSimExchange, running_sim_exchange
from simexchange.conftest import KEY, SECRET
from simexchange.tick_capture import book_at, capture, trades_between

from .conftest import eventually, local_async_client, next_data, socket_manager, ws_url

D = Decimal
SYMBOL = "BTCUSDT"
WINDOW_MS = 5_000  # how far the tests move the replay clock


@pytest.fixture
async def tick_sim(make_tick_config: Callable[..., SimConfig]) -> AsyncIterator[RunningSim]:
    async with running_sim_exchange(make_tick_config()) as running:
        yield running


@pytest.fixture
async def manager(tick_sim: RunningSim) -> AsyncIterator[BinanceSocketManager]:
    client: AsyncClient = await local_async_client(tick_sim.base_url)
    yield socket_manager(client, tick_sim.base_url)
    await client.close_connection()


async def collect(socket: Any, count: int) -> list[dict[str, Any]]:
    return [await next_data(socket) for _ in range(count)]


def diffs_between(start_ms: int, end_ms: int) -> list[Any]:
    return [d for d in capture().diffs if start_ms < d.event_ms <= end_ms]


async def subscribed(sim: RunningSim, count: int = 1) -> None:
    assert await eventually(lambda: len(sim.exchange.bus.connections) == count)


async def test_trade_socket_sends_the_captured_trades(
    tick_sim: RunningSim, manager: BinanceSocketManager
) -> None:
    start = tick_sim.exchange.now_ms()
    expected = trades_between(start, start + WINDOW_MS)
    assert len(expected) > 5
    async with manager.trade_socket(SYMBOL) as socket:
        await subscribed(tick_sim)
        tick_sim.exchange.advance(WINDOW_MS)
        events = await collect(socket, len(expected))
    assert [e["t"] for e in events] == [t.trade_id for t in expected]
    assert [(D(e["p"]), D(e["q"]), e["T"], e["m"]) for e in events] == [
        (D(t.price), D(t.qty), t.trade_ms, t.buyer_is_maker) for t in expected
    ]
    assert all(e["e"] == "trade" and e["s"] == SYMBOL and e["E"] == e["T"] for e in events)


async def test_agg_trade_socket_groups_the_captured_trades(
    tick_sim: RunningSim, manager: BinanceSocketManager
) -> None:
    start = tick_sim.exchange.now_ms()
    expected = trades_between(start, start + WINDOW_MS)
    async with manager.aggtrade_socket(SYMBOL) as socket:
        await subscribed(tick_sim)
        tick_sim.exchange.advance(WINDOW_MS)
        events = [await next_data(socket)]
        while events[-1]["l"] < expected[-1].trade_id:
            events.append(await next_data(socket))
    assert events[0]["f"] == expected[0].trade_id
    ids = [(e["f"], e["l"]) for e in events]
    assert all(nxt[0] == prev[1] + 1 for prev, nxt in itertools.pairwise(ids))
    assert sum(D(e["q"]) for e in events) == sum(D(t.qty) for t in expected)
    assert len(events) < len(expected)  # some trades share a millisecond, price and side


async def test_diff_depth_sends_the_recorded_diffs_with_their_update_ids(
    tick_sim: RunningSim, manager: BinanceSocketManager
) -> None:
    start = tick_sim.exchange.now_ms()
    expected = diffs_between(start, start + WINDOW_MS)
    assert len(expected) > 10
    async with manager.depth_socket(SYMBOL, interval=100) as socket:
        await subscribed(tick_sim)
        tick_sim.exchange.advance(WINDOW_MS)
        events = await collect(socket, len(expected))
    assert [(e["U"], e["u"], e["E"]) for e in events] == [
        (d.first_id, d.final_id, d.event_ms) for d in expected
    ]
    for event, diff in zip(events, expected, strict=True):
        assert [[D(p), D(q)] for p, q in event["b"]] == [[D(p), D(q)] for p, q in diff.bids]
        assert [[D(p), D(q)] for p, q in event["a"]] == [[D(p), D(q)] for p, q in diff.asks]


class LocalBook:
    """Binance's spot recipe: buffer diffs, take a REST snapshot, drop ``u <= lastUpdateId``,
    the first applied must straddle it, then every ``U`` is the previous ``u`` + 1."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.last: int = snapshot["lastUpdateId"]
        self.bids = {D(p): D(q) for p, q in snapshot["bids"]}
        self.asks = {D(p): D(q) for p, q in snapshot["asks"]}
        self.synced = False

    def apply(self, event: dict[str, Any]) -> None:
        if event["u"] <= self.last:
            return
        if self.synced:
            assert event["U"] == self.last + 1, "a gap in the diff stream"
        else:
            assert event["U"] <= self.last + 1 <= event["u"], "the first diff must straddle"
            self.synced = True
        for side, rows in ((self.bids, event["b"]), (self.asks, event["a"])):
            for price, quantity in rows:
                if D(quantity) == 0:
                    side.pop(D(price), None)
                else:
                    side[D(price)] = D(quantity)
        self.last = event["u"]

    def best(self) -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]:
        bid = max(self.bids)
        ask = min(self.asks)
        return (bid, self.bids[bid]), (ask, self.asks[ask])


async def rest(sim: RunningSim, path: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(sim.api_url + path) as answer:
        return await answer.json()


async def test_a_book_rebuilt_from_rest_depth_and_the_diff_stream_matches_the_sim(
    tick_sim: RunningSim, manager: BinanceSocketManager
) -> None:
    exchange = tick_sim.exchange
    start = exchange.now_ms()
    async with manager.depth_socket(SYMBOL, interval=100) as socket:
        await subscribed(tick_sim)
        exchange.advance(1_000)  # diffs arrive before the snapshot: they are buffered
        buffered = await collect(socket, len(diffs_between(start, start + 1_000)))
        local = LocalBook(await rest(tick_sim, "/v3/depth?symbol=BTCUSDT&limit=1000"))
        exchange.advance(WINDOW_MS)
        buffered += await collect(socket, len(diffs_between(start + 1_000, exchange.now_ms())))
    for event in buffered:
        local.apply(event)
    assert local.synced
    assert local.last == exchange.book_update_id(SYMBOL)
    ticker = await rest(tick_sim, "/v3/ticker/bookTicker?symbol=BTCUSDT")
    sim_best = (
        (D(ticker["bidPrice"]), D(ticker["bidQty"])),
        (D(ticker["askPrice"]), D(ticker["askQty"])),
    )
    assert local.best() == sim_best
    independent = book_at(exchange.now_ms())
    assert sim_best == (independent.top("bid", 1)[0], independent.top("ask", 1)[0])


async def test_book_ticker_and_partial_depth_follow_the_replayed_book(
    tick_sim: RunningSim, manager: BinanceSocketManager
) -> None:
    tick_sim.exchange.advance(2_000)  # a stream opened mid-replay starts from the book then
    start = tick_sim.exchange.now_ms()
    expected = diffs_between(start, start + WINDOW_MS)
    streams = ["btcusdt@bookTicker", "btcusdt@depth5"]
    async with manager.multiplex_socket(streams) as socket:
        await subscribed(tick_sim)
        tick_sim.exchange.advance(WINDOW_MS)
        events = await collect(socket, 2 * len(expected))
    tickers = [e["data"] for e in events if e["stream"] == streams[0]]
    partials = [e["data"] for e in events if e["stream"] == streams[1]]
    assert [t["u"] for t in tickers] == [p["lastUpdateId"] for p in partials]
    assert [t["u"] for t in tickers] == [d.final_id for d in expected]
    for ticker, partial, diff in zip(tickers, partials, expected, strict=True):
        book = book_at(diff.event_ms)
        assert (D(ticker["b"]), D(ticker["B"])) == book.top("bid", 1)[0]
        assert (D(ticker["a"]), D(ticker["A"])) == book.top("ask", 1)[0]
        assert [(D(p), D(q)) for p, q in partial["bids"]] == book.top("bid", 5)
        assert [(D(p), D(q)) for p, q in partial["asks"]] == book.top("ask", 5)


def test_threaded_manager_callbacks_get_the_captured_trade_ids(
    make_tick_config: Callable[..., SimConfig],
) -> None:
    received: list[dict[str, Any]] = []
    lock = threading.Lock()

    def on_message(message: dict[str, Any]) -> None:
        with lock:
            received.append(message)

    with ThreadedSimExchange(make_tick_config()) as sim:
        start = sim.call(lambda exchange: exchange.now_ms())
        expected = [t.trade_id for t in trades_between(start, start + WINDOW_MS)]
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        patches = (
            mock.patch.object(AsyncClient, "API_URL", sim.api_url),
            mock.patch.object(BinanceSocketManager, "STREAM_URL", ws_url(sim.base_url) + "/"),
        )
        with patches[0], patches[1]:
            twm = ThreadedWebsocketManager(api_key=KEY, api_secret=SECRET, loop=loop)
            twm.daemon = True
            twm.start()
            try:
                twm.start_trade_socket(callback=on_message, symbol=SYMBOL)
                assert wait_until(lambda: sim.call(lambda ex: len(ex.bus.connections)) == 1, 10)
                sim.advance(ms=WINDOW_MS)
                assert wait_until(lambda: len(received) >= len(expected), 10)
            finally:
                twm.stop()
                sim.advance(ms=1_000)  # one more event lets its listener see the stop flag
                twm.join(timeout=10)
        loop.close()
        asyncio.set_event_loop(None)
    with lock:
        assert [m["t"] for m in received[: len(expected)]] == expected

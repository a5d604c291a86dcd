"""USD-M market streams of a perpetual replayed tick by tick, through python-binance 1.0.37's
futures socket methods (only FSTREAM_URL changed): ``@trade`` and ``@aggTrade`` carry the
capture's trades and ids, ``@depth@0ms`` sends the recorded diffs with their real ``U``/``u``/
``pu``, a client that rebuilds a book from REST ``/fapi/v1/depth`` plus those diffs by Binance's
USD-M recipe ends with the sim's book, ``@bookTicker``/``@depth5`` follow the replayed book
(also for a connection opened mid-replay), and ``@markPrice@1s`` sends the recorded marks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from binance import AsyncClient, BinanceSocketManager

from ai_engine.simexchange import RunningSim, running_sim_exchange
from simexchange.futures.tick_fixtures import (
    SYMBOL,
    tick_fconfig,
    usdm_marks_store,
    usdm_tick_store,
)
from simexchange.streams.conftest import (
    futures_manager,
    local_futures_client,
    next_data,
    quick_socket_exit,
)
from simexchange.streams.test_futures_depth_sync import FuturesLocalBook
from simexchange.streams.test_tick_streams import subscribed
from simexchange.tick_capture import USDM_MARKS_SLICE, USDM_SLICE, book_at, capture, trades_between

__all__ = ["quick_socket_exit", "usdm_marks_store", "usdm_tick_store"]

D = Decimal
WINDOW_MS = 5_000  # how far the tests move the replay clock


@pytest.fixture
async def tick_sim(usdm_tick_store: Path) -> AsyncIterator[RunningSim]:
    async with running_sim_exchange(tick_fconfig(usdm_tick_store, USDM_SLICE)) as running:
        yield running


@pytest.fixture
async def manager(tick_sim: RunningSim) -> AsyncIterator[BinanceSocketManager]:
    client: AsyncClient = await local_futures_client(tick_sim.base_url)
    yield futures_manager(client, tick_sim.base_url)
    await client.close_connection()


async def collect(socket: Any, count: int) -> list[dict[str, Any]]:
    """``count`` events' payloads (python-binance's futures sockets are combined streams)."""
    events = [await next_data(socket) for _ in range(count)]
    return [event["data"] if "stream" in event else event for event in events]


def diffs_between(start_ms: int, end_ms: int, path: Path = USDM_SLICE) -> list[Any]:
    return [d for d in capture(path).diffs if start_ms < d.event_ms <= end_ms]


async def test_trade_stream_sends_the_captured_trades(
    tick_sim: RunningSim, manager: BinanceSocketManager
) -> None:
    start = tick_sim.exchange.now_ms()
    expected = trades_between(start, start + WINDOW_MS, USDM_SLICE)
    assert len(expected) > 5
    async with manager.futures_multiplex_socket(["btcusdt@trade"]) as socket:
        await subscribed(tick_sim)
        tick_sim.exchange.advance(WINDOW_MS)
        events = await collect(socket, len(expected))
    assert [e["t"] for e in events] == [t.trade_id for t in expected]
    # USD-M's shape, prices and quantities as the capture printed them (pricePrecision etc.)
    assert [(e["p"], e["q"], e["T"], e["m"]) for e in events] == [
        (t.price, t.qty, t.trade_ms, t.buyer_is_maker) for t in expected
    ]
    assert all(e["e"] == "trade" and e["X"] == "MARKET" and "M" not in e for e in events)


def groups_of(trades: list[Any]) -> list[tuple[int, int, str, Decimal]]:
    """(first id, last id, price, quantity) of runs with the same millisecond, price and taker
    side (Binance's aggregate trade, as seen on the public tape)."""
    runs: list[list[Any]] = []
    for t in trades:
        last = runs[-1][-1] if runs else None
        same = last is not None and (last.trade_ms, last.price, last.buyer_is_maker) == (
            t.trade_ms, t.price, t.buyer_is_maker,
        )  # fmt: skip
        if same:
            runs[-1].append(t)
        else:
            runs.append([t])
    return [(r[0].trade_id, r[-1].trade_id, r[0].price, sum(D(t.qty) for t in r)) for r in runs]


async def test_agg_trade_stream_groups_the_captured_trades(
    tick_sim: RunningSim, manager: BinanceSocketManager
) -> None:
    start, window = tick_sim.exchange.now_ms(), 40_000
    expected = groups_of(trades_between(start, start + window, USDM_SLICE))
    async with manager.aggtrade_futures_socket(SYMBOL) as socket:
        await subscribed(tick_sim)
        tick_sim.exchange.advance(window)
        events = await collect(socket, len(expected))
    assert [(e["f"], e["l"], e["p"], D(e["q"])) for e in events] == expected
    assert all(e["a"] == e["f"] and "M" not in e for e in events)
    assert any(f != last for f, last, _, _ in expected)  # some trades were grouped


async def test_diff_depth_sends_the_recorded_diffs_with_u_and_pu(
    tick_sim: RunningSim, manager: BinanceSocketManager
) -> None:
    start = tick_sim.exchange.now_ms()
    expected = diffs_between(start, start + WINDOW_MS)
    assert len(expected) > 10
    async with manager.futures_multiplex_socket(["btcusdt@depth@0ms"], category="public") as ws:
        await subscribed(tick_sim)
        tick_sim.exchange.advance(WINDOW_MS)
        events = await collect(ws, len(expected))
    assert [(e["U"], e["u"], e["pu"], e["E"], e["T"]) for e in events] == [
        (d.first_id, d.final_id, d.prev_final_id, d.event_ms, d.event_ms) for d in expected
    ]
    for event, diff in zip(events, expected, strict=True):
        assert [tuple(level) for level in event["b"]] == list(diff.bids)
        assert [tuple(level) for level in event["a"]] == list(diff.asks)


async def rest(sim: RunningSim, path: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(sim.base_url + path) as answer:
        return await answer.json()


async def test_a_book_rebuilt_from_rest_depth_and_the_diffs_matches_the_sim(
    tick_sim: RunningSim, manager: BinanceSocketManager
) -> None:
    exchange = tick_sim.exchange
    start = exchange.now_ms()
    async with manager.futures_multiplex_socket(["btcusdt@depth"], category="public") as socket:
        await subscribed(tick_sim)
        exchange.advance(1_000)  # diffs arrive before the snapshot: they are buffered
        buffered = await collect(socket, len(diffs_between(start, start + 1_000)))
        local = FuturesLocalBook(await rest(tick_sim, "/fapi/v1/depth?symbol=BTCUSDT&limit=1000"))
        exchange.advance(WINDOW_MS)
        buffered += await collect(socket, len(diffs_between(start + 1_000, exchange.now_ms())))
    for event in buffered:
        local.apply(event)
    assert local.synced
    assert local.last == exchange.futures.update_id(SYMBOL)
    depth = await rest(tick_sim, "/fapi/v1/depth?symbol=BTCUSDT&limit=1000")
    assert depth["lastUpdateId"] == local.last
    sim_bids = [(D(p), D(q)) for p, q in depth["bids"]]
    sim_asks = [(D(p), D(q)) for p, q in depth["asks"]]
    # The sim's book is the top SimConfig.depth_levels (100) levels of the recorded book; the
    # client's knows what that snapshot showed plus what the diffs changed since, so the two
    # agree near the top (deeper down, levels the snapshot cut off are missing locally).
    independent = book_at(exchange.now_ms(), path=USDM_SLICE)
    assert (sim_bids, sim_asks) == (independent.top("bid", 100), independent.top("ask", 100))
    top = 20
    assert sorted(local.bids.items(), reverse=True)[:top] == sim_bids[:top]
    assert sorted(local.asks.items())[:top] == sim_asks[:top]


@pytest.mark.parametrize("opened_after_ms", [0, 2_000])
async def test_book_ticker_and_partial_depth_follow_the_replayed_book(
    tick_sim: RunningSim, manager: BinanceSocketManager, opened_after_ms: int
) -> None:
    # A stream opened mid-replay starts from a copy of the replayed book (USD-M sequencing).
    tick_sim.exchange.advance(opened_after_ms)
    start = tick_sim.exchange.now_ms()
    expected = diffs_between(start, start + WINDOW_MS)
    streams = ["btcusdt@bookTicker", "btcusdt@depth5@0ms"]
    async with manager.futures_multiplex_socket(streams, category="public") as socket:
        await subscribed(tick_sim)
        tick_sim.exchange.advance(WINDOW_MS)
        events = [await next_data(socket) for _ in range(2 * len(expected))]
    tickers = [e["data"] for e in events if e["stream"] == streams[0]]
    partials = [e["data"] for e in events if e["stream"] == streams[1]]
    assert [t["u"] for t in tickers] == [p["u"] for p in partials] == [d.final_id for d in expected]
    for ticker, partial, diff in zip(tickers, partials, expected, strict=True):
        book = book_at(diff.event_ms, path=USDM_SLICE)
        assert (D(ticker["b"]), D(ticker["B"])) == book.top("bid", 1)[0]
        assert (D(ticker["a"]), D(ticker["A"])) == book.top("ask", 1)[0]
        assert ticker["E"] == ticker["T"] == diff.event_ms
        assert [(D(p), D(q)) for p, q in partial["b"]] == book.top("bid", 5)
        assert [(D(p), D(q)) for p, q in partial["a"]] == book.top("ask", 5)


async def test_mark_price_stream_sends_the_recorded_marks(usdm_marks_store: Path) -> None:
    config = tick_fconfig(usdm_marks_store, USDM_MARKS_SLICE)
    async with running_sim_exchange(config) as sim:
        client = await local_futures_client(sim.base_url)
        try:
            start = sim.exchange.now_ms()
            expected = [m for m in capture(USDM_MARKS_SLICE).marks
                        if start < m.event_ms // 1000 * 1000 <= start + WINDOW_MS]  # fmt: skip
            assert len(expected) >= 4
            manager = futures_manager(client, sim.base_url)
            async with manager.symbol_mark_price_socket(SYMBOL) as socket:
                await subscribed(sim)
                sim.exchange.advance(WINDOW_MS)
                events = await collect(socket, len(expected))
            rest_mark = await client.futures_mark_price(symbol=SYMBOL)
        finally:
            await client.close_connection()
    assert [(e["E"], e["p"]) for e in events] == [
        (m.event_ms // 1000 * 1000, m.mark) for m in expected
    ]
    assert rest_mark["markPrice"] == events[-1]["p"]


async def test_mark_price_stream_without_recorded_marks_sends_the_last_trade_price(
    tick_sim: RunningSim, manager: BinanceSocketManager
) -> None:
    start = tick_sim.exchange.now_ms()
    async with manager.symbol_mark_price_socket(SYMBOL) as socket:
        await subscribed(tick_sim)
        tick_sim.exchange.advance(WINDOW_MS)
        events = await collect(socket, WINDOW_MS // 1000)
    seconds = [start // 1000 * 1000 + 1000 * n for n in range(1, WINDOW_MS // 1000 + 1)]
    assert [e["E"] for e in events] == seconds
    assert [D(e["p"]) for e in events] == [
        D(trades_between(0, second, USDM_SLICE)[-1].price) for second in seconds
    ]


async def test_a_fill_by_a_real_trade_reaches_the_user_data_stream(
    tick_sim: RunningSim, manager: BinanceSocketManager
) -> None:
    exchange = tick_sim.exchange
    start = exchange.now_ms()
    limit = book_at(start, path=USDM_SLICE).top("ask", 1)[0][0]  # join the best ask
    through = next(
        t for t in trades_between(start, start + 600_000, USDM_SLICE) if D(t.price) > limit
    )
    client = await local_futures_client(tick_sim.base_url)
    try:
        async with manager.futures_user_socket() as socket:
            await subscribed(tick_sim)
            placed = await client.futures_create_order(
                symbol=SYMBOL, side="SELL", type="LIMIT", timeInForce="GTC", price=str(limit),
                quantity="0.002",
            )  # fmt: skip
            exchange.advance(through.trade_ms - start)
            events = [await next_data(socket)]
            while events[-1]["e"] != "ACCOUNT_UPDATE":
                events.append(await next_data(socket))
    finally:
        await client.close_connection()
    updates = [e["o"] for e in events if e["e"] == "ORDER_TRADE_UPDATE"]
    assert [(o["i"], o["x"]) for o in updates] == [
        (placed["orderId"], "NEW"), (placed["orderId"], "TRADE"),
    ]  # fmt: skip
    trade = updates[-1]
    assert (trade["m"], trade["T"], D(trade["L"])) == (True, through.trade_ms, limit)
    assert D(trade["l"]) == min(D("0.002"), D(through.qty))

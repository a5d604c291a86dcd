"""python-binance 1.0.37's USD-M socket methods against the sim, only FSTREAM_URL changed:
each opens the URL python-binance builds (``market/stream?streams=``, ``market/ws/``,
``public/stream?streams=``) and receives Binance's USD-M event shapes as the replay moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from binance import AsyncClient, BinanceSocketManager, FuturesDepthCacheManager

from ai_engine.simexchange import RunningSim

from .conftest import futures_manager, local_futures_client, next_data

Opener = Callable[[BinanceSocketManager], Any]
Check = Callable[[dict[str, Any]], bool]
MARK_FIELDS = {"e", "E", "s", "p", "i", "P", "r", "T"}
DEPTH_FIELDS = {"e", "E", "T", "s", "U", "u", "pu", "b", "a"}


def decimals(text: str) -> int:
    return len(text.partition(".")[2])


def data(event: dict[str, Any]) -> Any:
    """python-binance's futures sockets are combined streams (``stream?streams=``)."""
    return event["data"] if "stream" in event else event


SOCKETS: list[tuple[str, Opener, Check]] = [
    ("markPrice@1s", lambda m: m.symbol_mark_price_socket("BTCUSDT"),
     lambda e: e["stream"] == "btcusdt@markPrice@1s" and set(data(e)) == MARK_FIELDS),
    ("markPrice", lambda m: m.symbol_mark_price_socket("ETHUSDT", fast=False),
     lambda e: data(e)["e"] == "markPriceUpdate" and data(e)["s"] == "ETHUSDT"),
    ("!markPrice@arr", lambda m: m.all_mark_price_socket(),
     lambda e: [row["s"] for row in data(e)] == ["BTCUSDT", "ETHUSDT"]),
    ("continuousKline", lambda m: m.kline_futures_socket("BTCUSDT", interval="1m"),
     lambda e: (e["e"], e["ps"], e["ct"], e["k"]["i"]) == ("continuous_kline", "BTCUSDT",
                                                         "PERPETUAL", "1m") and "s" not in e["k"]),
    ("continuousKline 5m", lambda m: m.kline_futures_socket("ETHUSDT", interval="5m"),
     lambda e: e["e"] == "continuous_kline" and e["k"]["i"] == "5m"),
    ("aggTrade", lambda m: m.aggtrade_futures_socket("BTCUSDT"),
     lambda e: data(e)["e"] == "aggTrade" and "M" not in data(e)
     and data(e)["f"] <= data(e)["l"]),
    ("bookTicker", lambda m: m.symbol_ticker_futures_socket("BTCUSDT"),
     lambda e: set(data(e)) == {"e", "u", "E", "T", "s", "b", "B", "a", "A"}
     and decimals(data(e)["b"]) == 2 and decimals(data(e)["B"]) == 3),  # pricePrecision etc.
    ("depth10", lambda m: m.futures_depth_socket("BTCUSDT"),
     lambda e: set(data(e)) == DEPTH_FIELDS and len(data(e)["b"]) == len(data(e)["a"]) == 10),
    ("depth5", lambda m: m.futures_depth_socket("ETHUSDT", depth="5"),
     lambda e: data(e)["s"] == "ETHUSDT" and len(data(e)["b"]) == 5),
    ("multiplex kline", lambda m: m.futures_multiplex_socket(["btcusdt@kline_1m"]),
     lambda e: data(e)["e"] == "kline" and data(e)["k"]["s"] == "BTCUSDT"),
    ("multiplex diff depth", lambda m: m.futures_multiplex_socket(["btcusdt@depth@100ms"],
                                                                   category="public"),
     lambda e: set(data(e)) == DEPTH_FIELDS and data(e)["U"] == data(e)["pu"]),
]  # fmt: skip


@pytest.fixture
async def client(async_fsim: RunningSim) -> AsyncIterator[AsyncClient]:
    client = await local_futures_client(async_fsim.base_url)
    yield client
    await client.close_connection()


@pytest.mark.parametrize(
    ("kind", "open_socket", "looks_right"), SOCKETS, ids=[s[0] for s in SOCKETS]
)
async def test_futures_socket_receives_events(
    async_fsim: RunningSim,
    client: AsyncClient,
    kind: str,
    open_socket: Opener,
    looks_right: Check,
) -> None:
    async with open_socket(futures_manager(client, async_fsim.base_url)) as socket:
        async_fsim.exchange.advance_bars(2)
        events = [await next_data(socket), await next_data(socket)]
    assert all(looks_right(event) for event in events), events


async def test_mark_price_events_say_what_premium_index_says(
    async_fsim: RunningSim, client: AsyncClient
) -> None:
    exchange = async_fsim.exchange
    manager = futures_manager(client, async_fsim.base_url)
    async with manager.symbol_mark_price_socket("BTCUSDT") as socket:
        exchange.advance_bars(3)
        events = [data(await next_data(socket)) for _ in range(3)]
    rest = await client.futures_mark_price(symbol="BTCUSDT")
    last = events[-1]
    assert [event["E"] for event in events] == [exchange.now_ms() - 60_000 * n for n in (2, 1, 0)]
    assert (last["E"], last["p"], last["i"], last["P"], last["r"], last["T"]) == (
        rest["time"], rest["markPrice"], rest["indexPrice"], rest["estimatedSettlePrice"],
        rest["lastFundingRate"], rest["nextFundingTime"],
    )  # fmt: skip


async def test_continuous_klines_and_agg_trades_match_rest_klines(
    async_fsim: RunningSim, client: AsyncClient
) -> None:
    manager = futures_manager(client, async_fsim.base_url)
    streams = ["btcusdt_perpetual@continuousKline_1m", "btcusdt@aggTrade"]
    async with manager.futures_multiplex_socket(streams) as socket:
        async_fsim.exchange.advance_bars(2)
        events = [await next_data(socket) for _ in range(4)]
    rows = await client.futures_klines(symbol="BTCUSDT", interval="1m", limit=2)
    klines = [e["data"]["k"] for e in events if e["stream"] == streams[0]]
    trades = [e["data"] for e in events if e["stream"] == streams[1]]
    assert [[k["t"], k["o"], k["h"], k["l"], k["c"], k["v"], k["T"]] for k in klines] == [
        row[:7] for row in rows
    ]
    for kline, trade in zip(klines, trades, strict=True):
        assert (trade["a"], trade["f"], trade["l"]) == (
            kline["t"] // 60_000,
            kline["f"],
            kline["L"],
        )
        assert (trade["p"], trade["q"], trade["T"]) == (kline["c"], kline["v"], kline["T"])


async def test_python_binances_futures_depth_cache_shows_the_venue_book(
    async_fsim: RunningSim, client: AsyncClient
) -> None:
    manager = futures_manager(client, async_fsim.base_url)
    async with FuturesDepthCacheManager(client, "BTCUSDT", bm=manager) as cache:
        async_fsim.exchange.advance_bars(1)
        depth = await cache.recv()
    book = async_fsim.exchange.futures.engine.book("BTCUSDT")
    assert book is not None
    bids, asks = book.depth(10)
    assert depth.get_bids() == [[float(level.price), float(level.quantity)] for level in bids]
    assert depth.get_asks() == [[float(level.price), float(level.quantity)] for level in asks]

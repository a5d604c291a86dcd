"""A local order book kept from a REST snapshot plus diff-depth events, the way Binance
documents it, ends up exactly equal to the exchange's synthetic book -- across new bars and
across takers consuming levels."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
import websockets

from ai_engine.simexchange import RunningSim
from simexchange.conftest import KEY, SECRET

from .conftest import local_async_client, recv_json, ws_url

Side = dict[Decimal, Decimal]


class LocalBook:
    """Binance's "how to manage a local order book correctly", steps 4 to 7."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.last = snapshot["lastUpdateId"]
        self.bids: Side = {Decimal(p): Decimal(q) for p, q in snapshot["bids"]}
        self.asks: Side = {Decimal(p): Decimal(q) for p, q in snapshot["asks"]}
        self.synced = False

    def apply(self, event: dict[str, Any]) -> None:
        if event["u"] <= self.last:
            return  # older than the snapshot
        if self.synced:
            assert event["U"] == self.last + 1, "a gap: the book would be out of sync"
        else:
            assert event["U"] <= self.last + 1 <= event["u"], "first event must straddle"
            self.synced = True
        for side, rows in ((self.bids, event["b"]), (self.asks, event["a"])):
            for price, quantity in rows:
                if Decimal(quantity) == 0:
                    side.pop(Decimal(price), None)
                else:
                    side[Decimal(price)] = Decimal(quantity)
        self.last = event["u"]


def exchange_book(sim: RunningSim, symbol: str) -> tuple[Side, Side]:
    book = sim.exchange.engine.book(symbol)
    assert book is not None
    bids, asks = book.depth(1_000)
    return {lv.price: lv.quantity for lv in bids}, {lv.price: lv.quantity for lv in asks}


async def snapshot(sim: RunningSim) -> dict[str, Any]:
    url = sim.api_url + "/v3/depth?symbol=BTCUSDT&limit=5000"
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        body: dict[str, Any] = await answer.json()
        return body


async def test_snapshot_plus_diffs_rebuild_the_exchange_book(async_sim: RunningSim) -> None:
    exchange = async_sim.exchange
    client = await local_async_client(async_sim.base_url, KEY, SECRET)
    buffered: list[dict[str, Any]] = []
    try:
        url = ws_url(async_sim.base_url) + "/ws/btcusdt@depth@100ms"
        async with websockets.connect(url) as ws:
            exchange.advance_bars(2)  # events arrive before the snapshot: they are buffered
            buffered += [await recv_json(ws) for _ in range(2)]
            local = LocalBook(await snapshot(async_sim))
            await client.create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="3")
            exchange.advance_bars(2)
            await client.create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="1")
            buffered += [await recv_json(ws) for _ in range(4)]
    finally:
        await client.close_connection()
    for event in buffered:
        assert event["e"] == "depthUpdate"
        assert event["s"] == "BTCUSDT"
        local.apply(event)
    assert local.synced
    assert (local.bids, local.asks) == exchange_book(async_sim, "BTCUSDT")
    assert (
        local.last
        == exchange.book_update_id("BTCUSDT")
        == (await snapshot(async_sim))["lastUpdateId"]
    )


async def test_a_take_is_one_diff_event_right_after_the_previous(async_sim: RunningSim) -> None:
    exchange = async_sim.exchange
    client = await local_async_client(async_sim.base_url, KEY, SECRET)
    try:
        async with websockets.connect(ws_url(async_sim.base_url) + "/ws/btcusdt@depth") as ws:
            exchange.advance_bars(1)
            bar = await recv_json(ws)
            before = exchange_book(async_sim, "BTCUSDT")[1]
            await client.create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="3")
            take = await recv_json(ws)
    finally:
        await client.close_connection()
    assert take["U"] == take["u"] == bar["u"] + 1
    assert take["b"] == []
    after = exchange_book(async_sim, "BTCUSDT")[1]
    changed = {Decimal(p): Decimal(q) for p, q in take["a"]}
    assert changed
    assert all(after.get(p, Decimal(0)) == q for p, q in changed.items())
    assert {p for p in before if before[p] != after.get(p)} == set(changed)

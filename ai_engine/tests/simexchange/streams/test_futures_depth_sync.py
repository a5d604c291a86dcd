"""A local USD-M order book kept from a ``/fapi/v1/depth`` snapshot plus diff-depth events by
Binance's futures recipe ends up equal to the venue's book -- also when the snapshot is the
very book the stream started from, the case ``U = pu`` is there for."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import websockets

from ai_engine.simexchange import RunningSim

from .conftest import local_futures_client, recv_json, ws_url

Side = dict[Decimal, Decimal]


class FuturesLocalBook:
    """Binance USD-M "How to manage a local order book correctly", steps 4 to 7."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.last = snapshot["lastUpdateId"]
        self.bids: Side = {Decimal(p): Decimal(q) for p, q in snapshot["bids"]}
        self.asks: Side = {Decimal(p): Decimal(q) for p, q in snapshot["asks"]}
        self.synced = False

    def apply(self, event: dict[str, Any]) -> None:
        if event["u"] < self.last:
            return  # older than the snapshot
        if self.synced:
            assert event["pu"] == self.last, "pu must be the previous event's u"
        else:
            assert event["U"] <= self.last <= event["u"], "the first event must cover it"
            self.synced = True
        for side, rows in ((self.bids, event["b"]), (self.asks, event["a"])):
            for price, quantity in rows:
                if Decimal(quantity) == 0:
                    side.pop(Decimal(price), None)
                else:
                    side[Decimal(price)] = Decimal(quantity)
        self.last = event["u"]


async def snapshot(sim: RunningSim) -> dict[str, Any]:
    url = sim.base_url + "/fapi/v1/depth?symbol=BTCUSDT&limit=1000"
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        body: dict[str, Any] = await answer.json()
        return body


def venue_book(sim: RunningSim) -> tuple[Side, Side]:
    book = sim.exchange.futures.engine.book("BTCUSDT")
    assert book is not None
    bids, asks = book.depth(1_000)
    return {lv.price: lv.quantity for lv in bids}, {lv.price: lv.quantity for lv in asks}


@pytest.mark.parametrize("events_before_snapshot", [2, 0])
async def test_snapshot_plus_diffs_rebuild_the_venue_book(
    async_fsim: RunningSim, events_before_snapshot: int
) -> None:
    exchange = async_fsim.exchange
    client = await local_futures_client(async_fsim.base_url)
    buffered: list[dict[str, Any]] = []
    try:
        url = ws_url(async_fsim.base_url) + "/public/ws/btcusdt@depth@250ms"
        async with websockets.connect(url) as ws:
            exchange.advance_bars(events_before_snapshot)
            buffered += [await recv_json(ws) for _ in range(events_before_snapshot)]
            local = FuturesLocalBook(await snapshot(async_fsim))
            await client.futures_create_order(
                symbol="BTCUSDT", side="BUY", type="MARKET", quantity="1"
            )
            exchange.advance_bars(1)
            await client.futures_create_order(
                symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.5"
            )
            buffered += [await recv_json(ws) for _ in range(3)]
    finally:
        await client.close_connection()
    for event in buffered:
        assert (event["e"], event["s"], event["T"]) == ("depthUpdate", "BTCUSDT", event["E"])
        local.apply(event)
    assert local.synced
    assert (local.bids, local.asks) == venue_book(async_fsim)
    assert local.last == (await snapshot(async_fsim))["lastUpdateId"]
    takes = [event for event in buffered if event["u"] % 1_000_000]
    assert [event["u"] % 1_000_000 for event in takes] == [1, 1]  # one take per bar's book

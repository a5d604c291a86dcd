"""The user data stream against the real sim exchange (spot and USD-M): listen key, events
parsed into domain reports, keepalive, reconnect after the server drops the socket or forgets
the key; and a bad payload from a server that speaks the protocol badly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from decimal import Decimal

import aiohttp
from aiohttp import web

from ai_engine.domain import (
    MarketType,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    Quantity,
    Venue,
)
from ai_engine.execution import Accepted
from ai_engine.execution.stream_events import (
    AccountUpdate,
    OrderUpdate,
    StreamConnected,
    UnreadableEvent,
    UserEvent,
)
from ai_engine.simexchange import RunningSim
from ai_engine.venues.binance import BinanceSpotVenue, BinanceUsdmVenue
from ai_engine.venues.binance.endpoints import BinanceEndpoints
from ai_engine.venues.binance.user_stream import Backoff, UserDataStream
from ai_engine.venues.binance.user_wire import UserEventParser
from venues.conftest import PERP_BTC, SPOT_BTC, make_order

FAST = Backoff(initial_s=0.01, max_s=0.2)


class Collector:
    """Runs a stream's ``events()`` in a task and keeps what it yields."""

    def __init__(self, stream: UserDataStream) -> None:
        self.stream = stream
        self.events: list[UserEvent] = []
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Collector:
        async def pump() -> None:
            async with contextlib.aclosing(self.stream.events()) as events:
                async for event in events:
                    self.events.append(event)

        self.task = asyncio.create_task(pump())
        await self.until(lambda: self.connections >= 1)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stream.close()
        assert self.task is not None
        await asyncio.wait_for(self.task, 5)

    @property
    def connections(self) -> int:
        return sum(isinstance(e, StreamConnected) for e in self.events)

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [e for e in self.events if isinstance(e, kind)]

    async def until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.01)


def stream_of(
    venue: BinanceSpotVenue | BinanceUsdmVenue, sim: RunningSim, keepalive_s: float = 1800
) -> UserDataStream:
    endpoints = BinanceEndpoints.local(sim.base_url)
    return UserDataStream.for_venue(venue, endpoints, backoff=FAST, keepalive_s=keepalive_s)


async def close_sockets(sim: RunningSim, match: str | None = None) -> list[int]:
    body = {} if match is None else {"match": match}
    url = f"{sim.base_url}/sim/streams/close"
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as answer:
        assert answer.status == 200
        return list((await answer.json())["closed"])


async def test_spot_fill_arrives_as_an_order_update_with_its_fill(
    spot: BinanceSpotVenue, spot_sim: RunningSim
) -> None:
    async with Collector(stream_of(spot, spot_sim)) as seen:
        first = seen.events[0]
        assert isinstance(first, StreamConnected)
        assert not first.reconnect
        order = make_order("ustream-buy-1", order_type=OrderType.MARKET, quantity="0.01")
        outcome = await spot.place_order(order)
        assert isinstance(outcome, Accepted)
        await seen.until(lambda: any(u.fill for u in seen.of(OrderUpdate)))
        await seen.until(lambda: bool(seen.of(AccountUpdate)))
    updates = [u for u in seen.of(OrderUpdate) if u.report.client_order_id == "ustream-buy-1"]
    assert [u.execution for u in updates] == ["NEW", "TRADE"]
    trade = updates[-1]
    assert trade.report.status is OrderStatus.FILLED
    assert trade.report.instrument_id == SPOT_BTC
    assert trade.fill is not None
    placed = {f.trade_id: f for f in outcome.order.fills}
    assert trade.fill == placed[trade.fill.trade_id]  # the same fill as the REST answer said
    balances = seen.of(AccountUpdate)[0].balances
    assert {b.asset for b in balances} == {"BTC", "USDT"}
    assert seen.stream.unreadable == 0


async def test_usdm_order_algo_and_account_updates(
    usdm: BinanceUsdmVenue, usdm_sim: RunningSim
) -> None:
    await usdm.set_leverage(PERP_BTC, 5)
    async with Collector(stream_of(usdm, usdm_sim)) as seen:
        buy = make_order("ustream-perp-1", instrument_id=PERP_BTC, order_type=OrderType.MARKET,
                         quantity="0.01")  # fmt: skip
        assert isinstance(await usdm.place_order(buy), Accepted)
        await seen.until(lambda: any(u.fill for u in seen.of(OrderUpdate)))
        await seen.until(lambda: any(a.positions for a in seen.of(AccountUpdate)))
        stop = make_order("ustream-stop-1", instrument_id=PERP_BTC, side=OrderSide.SELL,
                          order_type=OrderType.STOP_MARKET, quantity="0.01",
                          stop_price="10000", reduce_only=True)  # fmt: skip
        assert isinstance(await usdm.place_order(stop), Accepted)
        await seen.until(lambda: any(u.report.is_conditional for u in seen.of(OrderUpdate)))
    fill = next(u.fill for u in seen.of(OrderUpdate) if u.fill is not None)
    assert fill.client_order_id == "ustream-perp-1"
    assert fill.quantity == Quantity("0.01")
    trades = await usdm.trades_since(PERP_BTC, fill.ts)
    assert fill.trade_id in {t.trade_id for t in trades}
    position = next(a for a in seen.of(AccountUpdate) if a.positions).positions[0]
    assert (position.instrument_id, position.side, position.quantity) == (
        PERP_BTC, PositionSide.LONG, Quantity("0.01"),
    )  # fmt: skip
    algo = next(u for u in seen.of(OrderUpdate) if u.report.is_conditional)
    assert algo.report.client_order_id == "ustream-stop-1"
    assert algo.report.venue_order_id.startswith("algo-")
    assert algo.report.order_type is OrderType.STOP_MARKET


async def test_reconnects_after_the_server_drops_the_socket(
    spot: BinanceSpotVenue, spot_sim: RunningSim
) -> None:
    async with Collector(stream_of(spot, spot_sim)) as seen:
        for n in range(2, 5):
            assert await close_sockets(spot_sim)
            await seen.until(lambda n=n: seen.connections >= n)  # type: ignore[misc]
        order = make_order("ustream-after-drop", order_type=OrderType.MARKET, quantity="0.01")
        assert isinstance(await spot.place_order(order), Accepted)
        await seen.until(lambda: any(u.fill for u in seen.of(OrderUpdate)))
    reconnects = [e.reconnect for e in seen.of(StreamConnected)]
    assert reconnects == [False, True, True, True]


async def test_keepalive_runs_and_a_forgotten_key_means_a_new_connection(
    spot: BinanceSpotVenue, spot_sim: RunningSim
) -> None:
    async with Collector(stream_of(spot, spot_sim, keepalive_s=0.05)) as seen:
        await seen.until(lambda: seen.stream.keepalives >= 2)
        key = await spot.start_user_stream()  # the same key: Binance hands out the valid one
        await spot.close_user_stream(key)  # the server forgets it and closes its sockets
        await seen.until(lambda: seen.connections >= 2)
        order = make_order("ustream-new-key", order_type=OrderType.MARKET, quantity="0.01")
        assert isinstance(await spot.place_order(order), Accepted)
        await seen.until(lambda: any(u.fill for u in seen.of(OrderUpdate)))


class _OneKeyVenue:
    """Only the listen-key calls of the port, for a server that is not a venue."""

    async def start_user_stream(self) -> str:
        return "k"

    async def keepalive_user_stream(self, listen_key: str) -> None:
        return None


async def test_bad_payload_is_reported_and_the_stream_goes_on() -> None:
    good = (
        '{"e":"outboundAccountPosition","E":1700000000000,"u":1700000000000,'
        '"B":[{"a":"USDT","f":"10.5","l":"0"}]}'
    )
    sent = ["not json", '{"e":"executionReport","s":"BTCUSDT"}', good]
    done = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for text in sent:
            await ws.send_str(text)
        await done.wait()
        return ws

    app = web.Application()
    app.router.add_get("/ws/k", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        stream = UserDataStream(
            _OneKeyVenue(),  # type: ignore[arg-type]
            lambda key: f"ws://127.0.0.1:{port}/ws/{key}",
            UserEventParser(Venue.SIM, MarketType.SPOT),
            backoff=FAST,
        )
        async with Collector(stream) as seen:
            await seen.until(lambda: bool(seen.of(AccountUpdate)))
            done.set()
        bad = seen.of(UnreadableEvent)
        assert len(bad) == 2
        assert "executionReport: missing field 'x'" in bad[1].error
        assert seen.of(AccountUpdate)[0].balances[0].total == Decimal("10.5")
        assert stream.unreadable == 2
    finally:
        await runner.cleanup()

"""The user stream consumer against the real sim exchange and a real PostgreSQL: fills into
the database once each, positions from the fills, and the WebSocket disconnect storm.

The orders here are placed straight through the adapter and their rows are left
``submitted``, so the user data stream (and the reconciliations its reconnects trigger) is
the only way fills reach the database: if an event lost in a disconnect were not recovered,
a fill would be missing; if a fill were booked twice, the counts would not match the venue's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from simexchange.conftest import START_BALANCES
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from venues.conftest import (  # noqa: F401 - the sim and adapter fixtures, by their names
    PERP_BTC,
    SPOT_BTC,
    make_order,
    spot,
    spot_sim,
    usdm,
    usdm_sim,
    venue_futures_store,
    venue_spot_store,
)

from ai_engine.domain import OrderSide, OrderType
from ai_engine.execution import Accepted
from ai_engine.execution.client_ids import Purpose, mint_client_order_id
from ai_engine.execution.reconciliation import ReconciliationPolicy, ReconciliationReport
from ai_engine.simexchange import RunningSim
from ai_engine.store.db import make_engine, session_factory
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.portfolio import Position as PositionRow
from ai_engine.trader.intents import ensure_instrument
from ai_engine.trader.reconcile import reconcile
from ai_engine.trader.user_stream import UserStreamConsumer
from ai_engine.venues.binance import BinanceSpotVenue, BinanceUsdmVenue
from ai_engine.venues.binance.endpoints import BinanceEndpoints
from ai_engine.venues.binance.user_stream import Backoff, UserDataStream

BOT = "stream-bot"
T0 = datetime(2023, 3, 23, tzinfo=UTC)
FAST = Backoff(initial_s=0.01, max_s=0.1)


@pytest.fixture
def sessions(database_url: str) -> Iterator[Callable[[], Session]]:
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def client_id(n: int) -> str:
    return mint_client_order_id(
        bot_id=BOT, bar_time=T0 + timedelta(minutes=n), symbol="BTCUSDT", purpose=Purpose.ENTRY
    )


async def prepare(venue: Any, sessions: Callable[[], Session], instrument_id: Any) -> int:
    [instrument] = await venue.instruments([instrument_id.symbol])
    with sessions() as session:
        return ensure_instrument(session, instrument)


def add_row(sessions: Callable[[], Session], row_id: int, cid: str, side: OrderSide,
            quantity: str) -> None:  # fmt: skip
    with sessions() as session:
        session.add(
            OrderRow(client_order_id=cid, instrument_id=row_id, bot_id=BOT, side=side.value,
                     order_type="market", status="submitted", quantity=Decimal(quantity))
        )  # fmt: skip
        session.commit()


async def close_sockets(sim: RunningSim) -> int:
    url = f"{sim.base_url}/sim/streams/close"
    async with aiohttp.ClientSession() as session, session.post(url, json={}) as answer:
        assert answer.status == 200
        return len((await answer.json())["closed"])


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


class Running:
    """A consumer on a stream, in a task; reconciles through ``trader.reconcile`` on reconnect."""

    def __init__(self, venue: Any, sim: RunningSim, sessions: Callable[[], Session],
                 instrument_id: Any) -> None:  # fmt: skip
        self.venue, self.sessions = venue, sessions
        self.reports: list[ReconciliationReport] = []

        async def on_reconnect() -> None:
            self.reports.append(await self.reconcile())

        self.instrument_id = instrument_id
        self.stream = UserDataStream.for_venue(
            venue, BinanceEndpoints.local(sim.base_url), backoff=FAST
        )
        self.consumer = UserStreamConsumer(sessions, bot_id=BOT, reconcile=on_reconnect)
        self.task: asyncio.Task[None] | None = None

    async def reconcile(self) -> ReconciliationReport:
        return await reconcile(self.venue, self.sessions, BOT, ReconciliationPolicy(),
                               instruments=[self.instrument_id])  # fmt: skip

    async def __aenter__(self) -> Running:
        self.task = asyncio.create_task(self.consumer.run(self.stream))
        await until(lambda: self.stream.connections >= 1)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stream.close()
        assert self.task is not None
        await asyncio.wait_for(self.task, 10)


def db_fills(sessions: Callable[[], Session]) -> list[tuple[str, str, Decimal, Decimal, str]]:
    with sessions() as session:
        return [
            (cid, trade, qty, fee, asset)
            for cid, trade, qty, fee, asset in session.execute(
                select(
                    OrderRow.client_order_id,
                    FillRow.venue_trade_id,
                    FillRow.qty,
                    FillRow.fee,
                    FillRow.fee_asset,
                ).join(OrderRow, FillRow.order_id == OrderRow.id)
            )
        ]


async def test_stream_fills_land_once_and_the_position_follows(
    spot: BinanceSpotVenue,  # noqa: F811 - the imported fixture
    spot_sim: RunningSim,  # noqa: F811
    sessions: Callable[[], Session],
) -> None:
    row_id = await prepare(spot, sessions, SPOT_BTC)
    async with Running(spot, spot_sim, sessions, SPOT_BTC) as running:
        for n, side in enumerate((OrderSide.BUY, OrderSide.BUY, OrderSide.SELL)):
            cid = client_id(n)
            add_row(sessions, row_id, cid, side, "0.01")
            order = make_order(cid, side=side, order_type=OrderType.MARKET, quantity="0.01")
            assert isinstance(await spot.place_order(order), Accepted)
        await until(lambda: running.consumer.fills_recorded >= 3)
    trades = await spot.trades_since(SPOT_BTC, T0 - timedelta(days=3650))
    recorded = db_fills(sessions)
    assert sorted(t for _, t, *_ in recorded) == sorted(t.trade_id for t in trades)
    with sessions() as session:
        rows = session.scalars(select(OrderRow).order_by(OrderRow.id)).all()
        assert [r.status for r in rows] == ["filled"] * 3
        position = session.scalars(select(PositionRow)).one()
    base_fees = sum((f for _, _, _, f, a in recorded if a == "BTC"), Decimal(0))
    assert position.side == "long"
    assert position.qty == Decimal("0.01") - base_fees


async def test_replayed_events_are_booked_once(
    spot: BinanceSpotVenue,  # noqa: F811 - the imported fixture
    spot_sim: RunningSim,  # noqa: F811
    sessions: Callable[[], Session],
) -> None:
    row_id = await prepare(spot, sessions, SPOT_BTC)
    seen: list[Any] = []
    async with Running(spot, spot_sim, sessions, SPOT_BTC) as running:
        original = running.consumer.handle

        async def keep(event: Any) -> None:
            seen.append(event)
            await original(event)

        running.consumer.handle = keep  # type: ignore[method-assign]
        add_row(sessions, row_id, client_id(0), OrderSide.BUY, "0.02")
        order = make_order(client_id(0), order_type=OrderType.MARKET, quantity="0.02")
        assert isinstance(await spot.place_order(order), Accepted)
        await until(lambda: running.consumer.fills_recorded >= 1)
        before = db_fills(sessions)
        for event in list(seen):  # the whole stream once more, as after a duplicate delivery
            await original(event)
    assert db_fills(sessions) == before
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(FillRow)) == len(before)


async def storm(sim: RunningSim, stop: asyncio.Event, every_s: float) -> int:
    closed = 0
    while not stop.is_set():
        closed += await close_sockets(sim)
        await asyncio.sleep(every_s)
    return closed


async def test_disconnect_storm_spot(
    spot: BinanceSpotVenue,  # noqa: F811 - the imported fixture
    spot_sim: RunningSim,  # noqa: F811
    sessions: Callable[[], Session],
) -> None:
    await disconnect_storm("spot", spot, spot_sim, sessions)


async def test_disconnect_storm_usdm(
    usdm: BinanceUsdmVenue,  # noqa: F811 - the imported fixture
    usdm_sim: RunningSim,  # noqa: F811
    sessions: Callable[[], Session],
) -> None:
    await disconnect_storm("usdm", usdm, usdm_sim, sessions)


async def disconnect_storm(
    market: str, venue: Any, sim: RunningSim, sessions: Callable[[], Session]
) -> None:
    """30 market orders filled while the server closes every user data socket every 20 ms;
    the consumer catches up by itself (reconciling after each reconnect); afterwards every
    venue fill is in the database exactly once, every order is filled, the bot's position
    equals the venue's, and a last reconciliation finds nothing."""
    instrument_id = SPOT_BTC if market == "spot" else PERP_BTC
    if market == "usdm":
        await venue.set_leverage(PERP_BTC, 5)
    row_id = await prepare(venue, sessions, instrument_id)
    orders = 30
    async with Running(venue, sim, sessions, instrument_id) as running:
        stop = asyncio.Event()
        storming = asyncio.create_task(storm(sim, stop, every_s=0.02))
        for n in range(orders):
            side = OrderSide.BUY if n % 3 != 2 else OrderSide.SELL  # net long, never short
            cid = client_id(n)
            add_row(sessions, row_id, cid, side, "0.01")
            order = make_order(cid, instrument_id=instrument_id, side=side,
                               order_type=OrderType.MARKET, quantity="0.01")  # fmt: skip
            assert isinstance(await venue.place_order(order), Accepted)
            await asyncio.sleep(0.01)
        stop.set()
        closed = await storming
        connections = running.stream.connections
        # No help from the test: the stream and the reconciliations its reconnects trigger
        # bring every fill in by themselves.
        venue_trades = len(await venue.trades_since(instrument_id, T0 - timedelta(days=3650)))
        await until(lambda: len(db_fills(sessions)) >= venue_trades)
        final = await running.reconcile()
    assert closed >= 5
    assert connections >= 5, "the storm should have forced several reconnects"
    assert running.consumer.reconciliations >= 1
    assert running.consumer.reconcile_errors == 0
    trades = await venue.trades_since(instrument_id, T0 - timedelta(days=3650))
    recorded = db_fills(sessions)
    assert len(trades) >= orders
    assert sorted(t for _, t, *_ in recorded) == sorted(t.trade_id for t in trades)  # none lost
    assert len({t for _, t, *_ in recorded}) == len(recorded)  # none twice
    by_order: dict[str, Decimal] = {}
    for cid, _, qty, _, _ in recorded:
        by_order[cid] = by_order.get(cid, Decimal(0)) + qty
    assert by_order == {client_id(n): Decimal("0.01") for n in range(orders)}
    with sessions() as session:
        statuses = {r.status for r in session.scalars(select(OrderRow))}
        position = session.scalars(select(PositionRow)).one()
    assert statuses == {"filled"}
    if market == "usdm":
        [venue_position] = await venue.positions(PERP_BTC)
        assert position.qty == venue_position.quantity.value
        assert position.side == venue_position.side.value
    else:
        base_fees = sum((f for _, _, _, f, a in recorded if a == "BTC"), Decimal(0))
        account = await venue.account()
        start_btc = dict(START_BALANCES)["BTC"]
        assert position.qty == account.balance("BTC").total - start_btc
        assert position.qty == Decimal("0.10") - base_fees
    assert final.ok
    assert final.clean

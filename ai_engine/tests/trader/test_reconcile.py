"""Reconciliation end to end: the real sim exchange (spot and USD-M), a real PostgreSQL and
Redis; both sides read, actions applied, the report recorded and published."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import redis as sync_redis
import redis.asyncio as aredis
from sqlalchemy import select
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
from ai_engine.events import EventType, read_events
from ai_engine.execution import Accepted
from ai_engine.execution.client_ids import Purpose, mint_client_order_id
from ai_engine.execution.reconciliation import (
    ClosePosition,
    MismatchKind,
    Policy,
    ReconciliationPolicy,
)
from ai_engine.store.audit import AuditEntry
from ai_engine.store.db import make_engine, session_factory
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.portfolio import Position as PositionRow
from ai_engine.trader.intents import ensure_instrument
from ai_engine.trader.reconcile import reconcile
from ai_engine.venues.binance import BinanceSpotVenue, BinanceUsdmVenue

BOT = "reconcile-bot"
T0 = datetime(2023, 3, 23, tzinfo=UTC)
D = Decimal


@pytest.fixture
def sessions(database_url: str) -> Iterator[Callable[[], Session]]:
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def cid(n: int, purpose: Purpose = Purpose.ENTRY, bot: str = BOT) -> str:
    return mint_client_order_id(
        bot_id=bot, bar_time=T0 + timedelta(minutes=n), symbol="BTCUSDT", purpose=purpose
    )


async def instrument_row(venue: Any, sessions: Callable[[], Session], symbol: str) -> int:
    [instrument] = await venue.instruments([symbol])
    with sessions() as session:
        return ensure_instrument(session, instrument)


def add_row(sessions: Callable[[], Session], row_id: int, client_id: str, status: str,
            side: str = "buy", quantity: str = "0.01") -> None:  # fmt: skip
    with sessions() as session:
        session.add(OrderRow(client_order_id=client_id, instrument_id=row_id, bot_id=BOT,
                             side=side, order_type="market", status=status,
                             quantity=D(quantity)))  # fmt: skip
        session.commit()


async def test_spot_orders_drift_missing_and_unknown(
    spot: BinanceSpotVenue,  # noqa: F811 - the imported fixture
    sessions: Callable[[], Session],
    redis_url: str,
) -> None:
    row_id = await instrument_row(spot, sessions, "BTCUSDT")
    filled_here_unknown = cid(1)  # sent, filled at the venue, the answer lost
    add_row(sessions, row_id, filled_here_unknown, "submitted")
    order = make_order(filled_here_unknown, order_type=OrderType.MARKET)
    assert isinstance(await spot.place_order(order), Accepted)
    never_arrived = cid(2)
    add_row(sessions, row_id, never_arrived, "submitted")
    stray = cid(3, Purpose.STOP_LOSS)  # ours, resting at the venue, no row (a lost record)
    resting = make_order(stray, side=OrderSide.BUY, price="1000")
    assert isinstance(await spot.place_order(resting), Accepted)
    other_bot = make_order(cid(4, bot="someone-else"), price="1000")
    assert isinstance(await spot.place_order(other_bot), Accepted)
    client = aredis.Redis.from_url(redis_url)
    try:
        report = await reconcile(
            spot, sessions, BOT, ReconciliationPolicy(unknown_orders=Policy.ADOPT),
            instruments=[SPOT_BTC], redis=client,
        )  # fmt: skip
    finally:
        await client.aclose()
    kinds = {m.subject: m.kind for m in report.mismatches}
    assert kinds == {
        filled_here_unknown: MismatchKind.STATUS_DRIFT,
        never_arrived: MismatchKind.MISSING_AT_VENUE,
        stray: MismatchKind.UNKNOWN_VENUE_ORDER,
    }
    assert report.ok
    with sessions() as session:
        rows = {r.client_order_id: r for r in session.scalars(select(OrderRow))}
        fills = session.scalars(select(FillRow)).all()
        audit = session.scalars(select(AuditEntry)).one()
    assert rows[filled_here_unknown].status == "filled"
    assert rows[filled_here_unknown].filled_qty == D("0.01")
    assert sum(f.qty for f in fills) == D("0.01")  # its fills, from trades_since
    assert rows[never_arrived].status == "expired"
    assert rows[stray].status == "accepted"  # adopted as the venue has it
    assert cid(4, bot="someone-else") not in rows
    assert audit.action == "reconciliation"
    assert audit.details["ok"] is True
    assert len(audit.details["mismatches"]) == 3
    with sync_redis.Redis.from_url(redis_url) as sync_client:
        [(_, event)] = read_events(sync_client)
    assert event.type == EventType.RECONCILIATION
    assert event.data["ok"] is True
    again = await reconcile(spot, sessions, BOT, ReconciliationPolicy(), instruments=[SPOT_BTC])
    assert again.clean  # everything settled the first time


async def test_unknown_order_closed_by_policy(
    spot: BinanceSpotVenue,  # noqa: F811
    sessions: Callable[[], Session],
) -> None:
    await instrument_row(spot, sessions, "BTCUSDT")
    stray = cid(5, Purpose.TAKE_PROFIT)
    assert isinstance(await spot.place_order(make_order(stray, price="1000")), Accepted)
    report = await reconcile(spot, sessions, BOT,
                             ReconciliationPolicy(unknown_orders=Policy.CLOSE))  # fmt: skip
    assert report.ok
    assert [o.client_order_id for o in await spot.open_orders(SPOT_BTC)] == []


async def test_balance_drift_against_the_traders_books(
    spot: BinanceSpotVenue,  # noqa: F811
    sessions: Callable[[], Session],
) -> None:
    account = await spot.account()
    usdt = account.balance("USDT").total
    books = {"USDT": usdt - 50, "BTC": account.balance("BTC").total}  # 10 is tolerated
    report = await reconcile(
        spot, sessions, BOT, ReconciliationPolicy(balances=Policy.HALT), expected_balances=books
    )
    assert [m.subject for m in report.unresolved] == ["USDT"]
    assert not report.ok


async def test_usdm_position_nobody_recorded_halts_or_is_closed_through_the_order_path(
    usdm: BinanceUsdmVenue,  # noqa: F811
    sessions: Callable[[], Session],
) -> None:
    await usdm.set_leverage(PERP_BTC, 5)
    await instrument_row(usdm, sessions, "BTCUSDT")
    manual = make_order("manual-1", instrument_id=PERP_BTC, order_type=OrderType.MARKET,
                        quantity="0.02")  # fmt: skip
    assert isinstance(await usdm.place_order(manual), Accepted)
    halted = await reconcile(usdm, sessions, BOT, ReconciliationPolicy(), instruments=[PERP_BTC])
    assert not halted.ok
    assert [m.kind for m in halted.unresolved] == [MismatchKind.POSITION_DRIFT]
    closes: list[ClosePosition] = []

    async def close(action: ClosePosition) -> None:
        closes.append(action)

    closing = await reconcile(
        usdm, sessions, BOT, ReconciliationPolicy(positions=Policy.CLOSE),
        instruments=[PERP_BTC], close_position=close,
    )  # fmt: skip
    assert closing.ok
    assert closes == [ClosePosition("BTCUSDT", OrderSide.SELL, D("0.02"))]
    without_path = await reconcile(
        usdm, sessions, BOT, ReconciliationPolicy(positions=Policy.CLOSE), instruments=[PERP_BTC]
    )
    assert not without_path.ok
    assert "no order path" in without_path.unresolved[0].reason
    adopted = await reconcile(usdm, sessions, BOT, ReconciliationPolicy(positions=Policy.ADOPT),
                              instruments=[PERP_BTC])  # fmt: skip
    assert adopted.ok
    with sessions() as session:
        position = session.scalars(select(PositionRow)).one()
    assert (position.side, position.qty) == ("long", D("0.02"))
    assert (await reconcile(usdm, sessions, BOT, ReconciliationPolicy(),
                            instruments=[PERP_BTC])).clean  # fmt: skip

"""Faults on the order path (issue 7): the venue's answer to an order placement is lost after
the order was accepted, then a placement is rate limited (429 with Retry-After). The worker
must find the order by its client id, never place it twice, wait out the 429 (an early request
would get the IP banned), and the bot's position must equal the exchange's. A redelivered
message for a finished order is answered from the database without touching the venue."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.execution.ports import ExecutionVenue
from ai_engine.store import db as store_db
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.signals import Decision
from ai_engine.trader.replay import ReplayRequest, run_replay
from ai_engine.workers.orders import OrdersConfig, execute_order

from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks
DROPS = 3


def test_dropped_order_answers_neither_duplicate_nor_lose_an_order(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    request = ReplayRequest(strategy="ema_cross", data=btc_files[:1])
    orders = {"method": "POST", "path": "/api/v3/order"}
    drop = {"action": "drop_response", **orders, "times": DROPS}
    limited = {"action": "rate_limit", **orders, "times": 1, "retryAfter": 1}
    faulty = run_replay(
        request, database_url=database_url, redis_url=redis_url, faults=[drop, limited]
    )
    clean = run_replay(request, database_url=database_url, redis_url=redis_url)
    assert faulty.faults_fired == DROPS + 1  # three answers lost, then one 429
    assert len(faulty.run.orders) > DROPS + 1
    # Each order reached the venue exactly once, and every venue order is one of ours.
    assert faulty.venue_orders == {cid: 1 for cid, _ in faulty.run.orders}
    assert {status for _, status in faulty.run.orders} == {"filled"}
    # The position and cash the bot tracked are the exchange's.
    assert faulty.venue_balances["BTC"] == faulty.holdings.base
    assert faulty.venue_balances["USDT"] == faulty.holdings.quote
    # And the run is the run without faults, trade for trade.
    keys = ("entry_time_ms", "exit_time_ms", "entry_price", "exit_price", "quantity", "pnl")
    assert [[t[k] for k in keys] for t in faulty.document["trades"]] == [
        [t[k] for k in keys] for t in clean.document["trades"]
    ]
    # The record: the fills of the orders whose answer was lost came from the query path.
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(
                select(OrderRow).where(OrderRow.run_id == faulty.run_id).order_by(OrderRow.id)
            ).all()
            assert len(rows) == len(faulty.run.orders)
            for row in rows[:DROPS]:
                fills = session.scalars(select(FillRow).where(FillRow.order_id == row.id)).all()
                assert row.status == "filled"
                assert sum(f.qty for f in fills) == row.quantity == row.filled_qty
        # A redelivered message: answered from the record, the venue is never contacted.
        answer = asyncio.run(
            execute_order(engine, OrdersConfig(_no_venue), rows[0].client_order_id)
        )
        assert answer["status"] == "filled"
        assert answer["note"] == "already final"
    finally:
        engine.dispose()


async def _no_venue() -> ExecutionVenue:
    raise AssertionError("a finished order must not reach the venue again")


def test_a_refused_signal_is_recorded_and_never_sent(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    # conservative_spot refuses an entry without a protective stop; ema_cross has none.
    request = ReplayRequest(
        strategy="ema_cross", data=btc_files[:1], risk_profile="conservative_spot"
    )
    run = run_replay(request, database_url=database_url, redis_url=redis_url)
    assert run.run.orders == []
    assert run.run.refusals > 5
    assert run.venue_orders == {}
    assert run.venue_balances["USDT"] == request.cash
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            refused = session.scalars(
                select(Decision).where(
                    Decision.bot_id == run.bot_id, Decision.outcome == "rejected"
                )
            ).all()
            assert len(refused) == run.run.refusals
            assert all("stop" in d.reason["pre_check"] for d in refused)
    finally:
        engine.dispose()

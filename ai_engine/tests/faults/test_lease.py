"""The order's lease (workers/orders.py, steps 2-3): taken, and the order marked ``submitted``,
in the statement that reads it. A delivery that finds the lease held by another marks and
sends nothing; an id with no order leaves no lease behind. Real sim, real PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from ai_engine.store import db as store_db
from ai_engine.workers.order_queue import MemoryGate
from ai_engine.workers.orders import OrdersConfig, OrdersSetupError, execute_order
from faults.conftest import LIMITS, Desk

LOCK = text("SELECT pg_try_advisory_lock(hashtext(:k))")
UNLOCK = text("SELECT pg_advisory_unlock(hashtext(:k))")


def _free(desk: Desk, cid: str) -> bool:
    """Whether another session (a connection of its own, not the pool's) can take the lease."""
    engine = store_db.make_engine(desk.database_url, poolclass=NullPool)
    try:
        with engine.connect() as other:
            got = bool(other.execute(LOCK, {"k": cid}).scalar())
            other.execute(UNLOCK, {"k": cid})
            other.commit()
            return got
    finally:
        engine.dispose()


def _execute(desk: Desk, cid: str) -> dict[str, object]:
    config = OrdersConfig(desk.connect, {LIMITS.name: LIMITS}, gate=MemoryGate())
    return asyncio.run(execute_order(desk.engine, config, cid))


def test_a_held_lease_marks_and_sends_nothing_and_a_free_one_sends_once(desk: Desk) -> None:
    cid = desk.intent("buy", "0.01")
    with desk.engine.connect() as holder:  # another delivery working on the same order
        assert holder.execute(LOCK, {"k": cid}).scalar() is True
        holder.commit()
        busy = _execute(desk, cid)
        assert busy["status"] == "initialized"  # not marked: it may not be sent by this one
        assert busy.get("retry_after_s")
        assert desk.statuses()[cid] == "initialized"
        assert cid not in desk.venue_orders()
        holder.execute(UNLOCK, {"k": cid})
        holder.commit()
    done = _execute(desk, cid)  # the redelivery, lease free
    assert done["status"] == "filled", done
    assert desk.statuses()[cid] == "filled"
    assert len(desk.venue_orders()[cid]) == 1
    assert _free(desk, cid)  # and the lease was given back


def test_an_id_without_an_order_is_an_error_and_leaves_no_lease(desk: Desk) -> None:
    missing = "fault-bot-no-such-order"
    with pytest.raises(OrdersSetupError, match="no order"):
        _execute(desk, missing)
    assert _free(desk, missing)  # the pool's connections hold no lock on it

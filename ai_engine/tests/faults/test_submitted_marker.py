"""The worker's ``submitted`` marker (workers/orders.py, step 3): durable before anything is
sent, taken when the order is read (before the checks), and put back only when this delivery
sent nothing and the venue does not hold the order."""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from sqlalchemy.orm import Session

from ai_engine.store.orders import Order as OrderRow
from ai_engine.workers.order_queue import MemoryGate
from ai_engine.workers.orders import OrdersConfig, execute_order

from .conftest import LIMITS, Desk


def _config(desk: Desk, gate: MemoryGate | None = None) -> OrdersConfig:
    return OrdersConfig(desk.connect, {LIMITS.name: LIMITS}, gate=gate or MemoryGate())


def _run(desk: Desk, cid: str, config: OrdersConfig | None = None) -> dict[str, object]:
    return asyncio.run(execute_order(desk.engine, config or _config(desk), cid))


def _mark(desk: Desk, cid: str, status: str) -> None:
    with Session(desk.engine) as session:
        session.execute(
            update(OrderRow).where(OrderRow.client_order_id == cid).values(status=status)
        )
        session.commit()


def test_a_possibly_sent_order_stays_submitted_while_its_query_cannot_be_answered(
    desk: Desk,
) -> None:
    # A dead worker marked it and may have sent it; the venue cannot be asked (the order query
    # is cut as a refused connection). The marker must survive: never "initialized" again.
    cid = desk.intent("buy", "0.01")
    _mark(desk, cid, "submitted")
    (cut,) = desk.add_faults({"action": "timeout", "method": "GET", "path": "/api/v3/order",
                              "ms": 0})  # fmt: skip
    answer = _run(desk, cid)
    assert answer.get("unreachable") is True
    assert desk.statuses()[cid] == "submitted"
    assert desk.venue_orders() == {}
    desk.remove_fault(cut)
    # Asked again, the venue has no such order: only then is it sent, once.
    assert _run(desk, cid)["status"] == "filled"
    assert {k: len(v) for k, v in desk.venue_orders().items()} == {cid: 1}
    desk.assert_books_match()


def test_an_order_deferred_by_the_back_off_is_initialized_again_and_never_sent(
    desk: Desk,
) -> None:
    gate = MemoryGate()
    gate.back_off(30.0)
    cid = desk.intent("buy", "0.01")
    answer = _run(desk, cid, _config(desk, gate))
    assert answer["note"] == "rate-limit back-off"
    assert float(str(answer["retry_after_s"])) > 0
    assert desk.statuses()[cid] == "initialized"
    assert desk.venue_orders() == {}


def test_an_order_the_risk_check_refuses_is_rejected_not_left_submitted(desk: Desk) -> None:
    cid = desk.intent("buy", "1000")  # far beyond the account: the worker's check refuses
    answer = _run(desk, cid)
    assert answer["status"] == "rejected"
    assert str(answer["note"]).startswith("risk: ")
    assert desk.statuses()[cid] == "rejected"
    assert desk.venue_orders() == {}


def test_a_new_order_whose_answer_is_lost_is_found_by_client_id_not_sent_twice(
    desk: Desk,
) -> None:
    # The marker is taken in the read's thread hop now: the UNKNOWN path still resolves by id.
    desk.add_faults({"action": "drop_response", "method": "POST", "path": "/api/v3/order",
                     "times": 1})  # fmt: skip
    cid = desk.intent("sell", "0.01")
    answer = _run(desk, cid)
    assert answer["status"] == "filled"
    assert "found by client id" in str(answer["note"])
    assert {k: len(v) for k, v in desk.venue_orders().items()} == {cid: 1}
    desk.assert_books_match()

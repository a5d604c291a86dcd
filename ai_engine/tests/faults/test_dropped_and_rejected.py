"""The worker under answers that are lost or refused, driven in-process on a warm runtime
(one client, one loop, as a worker process keeps them)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from ai_engine.execution.client_ids import Purpose, parse_client_order_id
from ai_engine.trader.intents import order_fills, replacement_of
from ai_engine.workers.order_queue import MemoryGate
from ai_engine.workers.order_runtime import VenueRuntime
from ai_engine.workers.orders import OrdersConfig, cancel_order, execute_order

from .conftest import LIMITS, Desk


def _config(desk: Desk) -> OrdersConfig:
    return OrdersConfig(desk.connect, {LIMITS.name: LIMITS}, gate=MemoryGate())


def test_answers_dropped_after_the_venue_accepted_place_nothing_twice(desk: Desk) -> None:
    desk.add_faults({"action": "drop_response", "method": "POST", "path": "/api/v3/order",
                     "times": 3})  # fmt: skip
    ids = [desk.intent("buy" if i % 2 == 0 else "sell", "0.01") for i in range(6)]
    config = _config(desk)
    runtime = VenueRuntime(config.connect)
    try:
        answers = [
            runtime.run(execute_order(desk.engine, config, cid, runtime=runtime)) for cid in ids
        ]
    finally:
        runtime.close()
    assert desk.faults_fired() == 3
    assert [a["status"] for a in answers] == ["filled"] * 6
    # The first three answers were lost: each was resolved by its client id, not re-sent.
    assert [a["note"] for a in answers[:3]] == [
        "unknown (connection failed: ServerDisconnectedError), found by client id"
    ] * 3 or all("found by client id" in str(a["note"]) for a in answers[:3])
    assert {cid: len(v) for cid, v in desk.venue_orders().items()} == dict.fromkeys(ids, 1)
    assert runtime.connects == 1  # the warm client survived the dropped answers
    desk.assert_books_match()


def test_insufficient_balance_is_retried_once_with_a_smaller_order(desk: Desk) -> None:
    # A stale reference price: the risk check passes (1.45 BTC x 20,000 < 1x equity 30,000),
    # the venue, at ~28,000, finds the 10,000 USDT short.
    too_big = desk.intent("buy", "0.45", reference_price="20000")
    answer_too_big = _run(desk, too_big)
    replacement = None
    with Session(desk.engine) as session:
        replacement = replacement_of(session, too_big)
        status, fills = order_fills(session, too_big, "signal")
    assert replacement is not None
    parts = parse_client_order_id(replacement)
    assert parts is not None
    assert parts.attempt == 1
    assert parts.purpose is Purpose.ENTRY
    statuses = desk.statuses()
    assert statuses[too_big] == "rejected"
    assert statuses[replacement] == "filled" == answer_too_big["status"] == status
    assert sum(f.qty for f in fills.fills) == Decimal("0.225")  # half
    assert set(desk.venue_orders()) == {replacement}  # the refused order never existed
    # A retry is never retried: a second refusal is final.
    assert _run(desk, replacement)["note"] == "already final"
    desk.assert_books_match()


def test_a_refusal_that_size_cannot_fix_is_recorded_and_not_retried(desk: Desk) -> None:
    desk.add_faults({"action": "reject", "method": "POST", "path": "/api/v3/order",
                     "code": -1013, "msg": "Filter failure: PRICE_FILTER", "times": 1})  # fmt: skip
    cid = desk.intent("buy", "0.01")
    answer = _run(desk, cid)
    assert answer["status"] == "rejected"
    assert "PRICE_FILTER" in str(answer["note"])
    with Session(desk.engine) as session:
        assert replacement_of(session, cid) is None
    assert desk.venue_orders() == {}
    desk.assert_books_match()


def test_limit_and_stop_orders_rest_and_cancel_by_client_id(desk: Desk) -> None:
    limit = desk.intent("buy", "0.01", order_type="limit", limit_price=Decimal(20_000))
    # The sim's spot market has no market stops (STOP_LOSS) yet: a stop-limit protects there.
    stop = desk.intent("sell", "0.01", order_type="stop_limit", stop_price=Decimal(20_000),
                       limit_price=Decimal(19_900), purpose=Purpose.STOP_LOSS)  # fmt: skip
    maker = desk.intent("sell", "0.01", order_type="limit_maker", limit_price=Decimal(40_000),
                        purpose=Purpose.TAKE_PROFIT)  # fmt: skip
    never_sent = desk.intent("buy", "0.01", order_type="limit", limit_price=Decimal(20_000),
                             purpose=Purpose.SCALE_IN)  # fmt: skip
    assert [_run(desk, cid)["status"] for cid in (limit, stop, maker)] == ["accepted"] * 3
    assert _run(desk, limit, again=True)["note"] == "found at the venue after a redelivery"
    config = _config(desk)
    import asyncio

    canceled = [
        asyncio.run(cancel_order(desk.engine, config, cid)) for cid in (limit, stop, never_sent)
    ]
    assert [c["status"] for c in canceled] == ["canceled"] * 3
    assert canceled[2]["note"] == "canceled before it was sent"
    assert _run(desk, never_sent)["note"] == "already final"  # it can no longer go out
    statuses = desk.statuses()
    assert statuses[maker] == "accepted"
    desk.assert_books_match()


def _run(desk: Desk, cid: str, *, again: bool = False) -> dict[str, object]:
    import asyncio

    return asyncio.run(execute_order(desk.engine, _config(desk), cid))


def test_an_order_the_market_cannot_express_is_rejected_before_it_is_sent(desk: Desk) -> None:
    cid = desk.intent("sell", "0.01", purpose=Purpose.EXIT, reduce_only=True)  # spot: no such
    answer = _run(desk, cid)
    assert answer["status"] == "rejected"
    assert "reduce-only" in str(answer["note"])
    assert desk.venue_orders() == {}
    desk.assert_books_match()

"""A 429 storm and a venue outage, through Celery: a real worker (solo pool, in a thread of
this process) takes ``orders.execute`` messages from Redis and retries them itself."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ai_engine.settings import Settings
from ai_engine.workers.app import close_celery, make_celery
from ai_engine.workers.in_process import orders_worker
from ai_engine.workers.order_queue import MAX_WAITING, MemoryGate
from ai_engine.workers.orders import TASK, OrdersConfig

from .conftest import LIMITS, Desk

# celery 5.7's Redis result backend calls redis-py 8's deprecated setex once per result.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")


@contextmanager
def celery_worker(desk: Desk, redis_url: str, gate: MemoryGate) -> Iterator[tuple[Any, str]]:
    queue = f"orders-{uuid.uuid4().hex[:8]}"
    app = make_celery(Settings(), redis_url=redis_url, database_url=desk.database_url)
    config = OrdersConfig(desk.connect, {LIMITS.name: LIMITS}, gate=gate)
    try:
        with orders_worker(app, config, queue=queue):
            yield app, queue
    finally:
        close_celery(app)
        _forget_pools(app)


def _forget_pools(app: Any) -> None:
    import contextlib

    from kombu import pools

    connection = app.connection_for_write()
    try:
        for group in (pools.producers, pools.connections):
            with contextlib.suppress(KeyError):
                del group[connection]
    finally:
        connection.release()


def test_a_429_storm_backs_off_per_retry_after_and_loses_nothing(
    desk: Desk, redis_url: str
) -> None:
    # Six 429s in a row, Retry-After 1 s. The sim bans (418) a client that sends again before
    # Retry-After; a banned request would not count as a fired rule.
    desk.add_faults({"action": "rate_limit", "method": "POST", "path": "/api/v3/order",
                     "retryAfter": 1, "times": 6})  # fmt: skip
    ids = [desk.intent("buy" if i % 2 == 0 else "sell", "0.01") for i in range(5)]
    gate = MemoryGate()
    started = time.monotonic()
    with celery_worker(desk, redis_url, gate) as (app, queue):
        results = [app.send_task(TASK, args=[cid], queue=queue) for cid in ids]
        answers = [r.get(timeout=120) for r in results]
    elapsed = time.monotonic() - started
    assert [a["status"] for a in answers] == ["filled"] * 5
    assert desk.faults_fired() == 6
    # Every 429 held every worker back for its Retry-After: six of them, one second each.
    assert elapsed >= 6.0
    assert {cid: len(v) for cid, v in desk.venue_orders().items()} == dict.fromkeys(ids, 1)
    desk.assert_books_match()


def test_intents_wait_while_the_venue_is_unreachable_and_go_out_when_it_returns(
    desk: Desk, redis_url: str
) -> None:
    # Every request to the venue's API is cut before it is applied (as a refused connection).
    (outage,) = desk.add_faults({"action": "timeout", "path": "/api", "ms": 0})
    soon = datetime.now(UTC) + timedelta(seconds=2)
    short_lived = desk.intent("buy", "0.01", expires_at=soon)
    waiting = [desk.intent("buy", "0.01") for _ in range(MAX_WAITING - 1)]
    one_too_many = desk.intent("buy", "0.01")
    gate = MemoryGate()
    with celery_worker(desk, redis_url, gate) as (app, queue):
        results = {cid: app.send_task(TASK, args=[cid], queue=queue)
                   for cid in [short_lived, *waiting, one_too_many]}  # fmt: skip
        # The 11th intent finds ten waiting and is refused; it never goes out.
        refused = results[one_too_many].get(timeout=60)
        assert refused["status"] == "rejected"
        assert "10 intents" in str(refused["note"])
        assert sorted(gate.waiting()) == sorted([short_lived, *waiting])
        expired = results[short_lived].get(timeout=60)  # its expiry passes during the outage
        assert expired["status"] == "expired"
        assert desk.venue_orders() == {}
        desk.remove_fault(outage)  # the venue is back
        answers = {cid: results[cid].get(timeout=120) for cid in waiting}
    assert {a["status"] for a in answers.values()} == {"filled"}
    assert gate.waiting() == []
    statuses = desk.statuses()
    assert statuses[short_lived] == "expired"
    assert statuses[one_too_many] == "rejected"
    assert {cid: len(v) for cid, v in desk.venue_orders().items()} == dict.fromkeys(waiting, 1)
    desk.assert_books_match()

"""The execution worker's pure rules: intent shapes, reject -> smaller size, the wait queue."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ai_engine.execution.client_ids import Purpose, mint_client_order_id, parse_client_order_id
from ai_engine.execution.outcomes import Rejected
from ai_engine.trader.intents import Intent, IntentError
from ai_engine.workers.order_queue import MemoryGate
from ai_engine.workers.order_resize import resize_rule, retry_client_id, smaller_quantity


def _intent(**shape: Any) -> Intent:
    base: dict[str, Any] = {
        "client_order_id": "x", "bot_id": "b", "run_id": "r", "side": "buy",
        "quantity": Decimal("0.01"), "reference_price": Decimal(27_000),
        "fee_rate": Decimal("0.001"), "risk_profile": "unrestricted",
        "decided_at": datetime(2023, 3, 23, tzinfo=UTC), "purpose": "entry",
        "reason": "signal", "starting_equity": Decimal(10_000), "why": {},
    }  # fmt: skip
    base.update(shape)
    return Intent(**base)


@pytest.mark.parametrize(
    ("shape", "field"),
    [
        ({"order_type": "iceberg"}, "order_type"),
        ({"order_type": "limit"}, "limit_price"),
        ({"order_type": "market", "limit_price": Decimal(1)}, "limit_price"),
        ({"order_type": "stop_limit", "limit_price": Decimal(1)}, "stop_price"),
        ({"order_type": "stop_market", "stop_price": Decimal(-1)}, "stop_price"),
        ({"order_type": "market", "time_in_force": "ioc"}, "time_in_force"),
        ({"order_type": "limit", "limit_price": Decimal(1), "time_in_force": "gtd"},
         "time_in_force"),
        ({"side": "hold"}, "side"),
        ({"expires_at": datetime(2030, 1, 1)}, "expires_at"),  # noqa: DTZ001 - the point
    ],
)  # fmt: skip
def test_a_bad_intent_shape_is_refused_naming_the_field(shape: dict[str, Any], field: str) -> None:
    with pytest.raises(IntentError, match=field):
        _intent(**shape).check_shape()


def test_good_shapes_pass_and_priced_orders_default_to_gtc() -> None:
    _intent().check_shape()
    stop = _intent(order_type="stop_limit", stop_price=Decimal(1), limit_price=Decimal(1))
    stop.check_shape()
    assert stop.effective_time_in_force == "gtc"
    assert _intent().effective_time_in_force is None


def test_which_refusals_a_smaller_order_may_pass() -> None:
    funds = Rejected(-2010, "Account has insufficient balance for requested action.")
    assert resize_rule(funds) == "funds"
    assert resize_rule(Rejected(-1013, "Filter failure: LOT_SIZE")) == "lot"
    assert resize_rule(Rejected(-4005, "Quantity greater than max quantity.")) == "cap"
    assert resize_rule(Rejected(-1013, "Filter failure: PRICE_FILTER")) is None
    assert resize_rule(Rejected(-2010, "Duplicate order sent.")) is None


def test_the_smaller_quantity_is_on_the_lot_grid_above_the_minimums() -> None:
    common: dict[str, Any] = {
        "price": Decimal(28_000), "fee_rate": Decimal("0.001"), "free_base": Decimal("0.3"),
        "free_quote": Decimal(10_000), "lot_step": Decimal("0.00001"),
        "min_qty": Decimal("0.00001"), "min_notional": Decimal(10),
    }  # fmt: skip
    half = smaller_quantity("funds", side="buy", quantity=Decimal("0.45"), **common)
    assert half == Decimal("0.225")
    affordable = smaller_quantity("funds", side="buy", quantity=Decimal(2), **common)
    assert affordable is not None
    assert affordable * 28_000 * Decimal("1.001") <= 10_000
    assert smaller_quantity("funds", side="sell", quantity=Decimal(1), **common) == Decimal("0.3")
    off_grid = smaller_quantity("lot", side="buy", quantity=Decimal("0.123456"), **common)
    assert off_grid == Decimal("0.12345")
    tiny = smaller_quantity("cap", side="buy", quantity=Decimal("0.0005"), **common)
    assert tiny is None  # half of it is below the minimum notional


def test_a_retry_id_is_the_next_attempt_of_the_same_order() -> None:
    first = mint_client_order_id(bot_id="bot", bar_time=datetime(2023, 3, 23, tzinfo=UTC),
                                 symbol="BTCUSDT", purpose=Purpose.ENTRY)  # fmt: skip
    retry = retry_client_id(first, "bot")
    assert retry is not None
    parts, again = parse_client_order_id(first), parse_client_order_id(retry)
    assert parts is not None
    assert again is not None
    assert (again.attempt, again.bar_time, again.purpose) == (1, parts.bar_time, parts.purpose)
    assert retry_client_id("venue-made-id", "bot") is None


def test_the_wait_queue_holds_ten_and_forgets_the_expired() -> None:
    gate = MemoryGate()
    later = time.time() + 60
    assert all(gate.wait(f"c{i}", later) for i in range(10))
    assert not gate.wait("c10", later)
    assert gate.wait("c3", later)  # already waiting: still in
    gate.done("c0")
    assert gate.wait("c10", later)
    gate.done("c1")
    assert gate.wait("short", time.time() + 0.05)  # the tenth place, for 50 ms
    assert not gate.wait("c11", later)
    time.sleep(0.1)
    assert "short" not in gate.waiting()  # expired: pruned, its place free again
    assert gate.wait("c11", later)
    gate.back_off(0.2)
    assert 0 < gate.backoff_left_s() <= 0.2


def test_the_redis_gate_is_shared_by_every_worker_on_one_redis(redis_url: str) -> None:
    from ai_engine.workers.order_queue import RedisGate

    one, other = RedisGate.from_url(redis_url, max_waiting=2), RedisGate.from_url(redis_url, 2)
    try:
        one.client.delete("tradingbot:orders:venue_wait", "tradingbot:orders:backoff_until")
        later = time.time() + 60
        assert one.wait("a", later)
        assert other.wait("b", later)
        assert not one.wait("c", later)  # two wait, seen from either process
        other.done("a")
        assert one.wait("c", later)
        assert sorted(other.waiting()) == ["b", "c"]
        one.back_off(0.5)
        assert 0.3 < other.backoff_left_s() <= 0.5
        other.back_off(0.1)  # a shorter back-off never cuts a longer one short
        assert one.backoff_left_s() > 0.3
        one.done("b")
        one.done("c")
    finally:
        one.close()
        other.close()

"""The order registry both engines file their orders and fills in."""

from __future__ import annotations

import pytest

from ai_engine.domain import OrderSide, OrderStatus
from ai_engine.matching import Execution, SimOrder
from ai_engine.matching.registry import OrderRegistry

from .factories import BTC, close_ms, limit

NOW = close_ms(0)


def accepted(order_id: int, client_order_id: str) -> SimOrder:
    request = limit(OrderSide.BUY, "19000", client_order_id=client_order_id)
    return SimOrder.accept(request, order_id, BTC, NOW)


def registry() -> OrderRegistry[SimOrder, Execution]:
    return OrderRegistry(["BTCUSDT"])


def test_open_orders_leave_the_open_index_when_they_end() -> None:
    filed = registry()
    first, second = accepted(1, "a"), accepted(2, "b")
    filed.save(first)
    filed.save(second)
    assert list(filed.open_on("BTCUSDT")) == [1, 2]
    assert filed.client_id_is_open("acct", "a")
    filed.save(first.changed(status=OrderStatus.CANCELED))
    assert list(filed.open_on("BTCUSDT")) == [2]
    assert not filed.client_id_is_open("acct", "a")
    assert [order.order_id for order in filed.orders("acct", "BTCUSDT")] == [1, 2]
    assert filed.open_orders("acct", ["BTCUSDT"]) == [second]


def test_a_reused_client_id_finds_the_latest_order() -> None:
    filed = registry()
    filed.save(accepted(1, "a").changed(status=OrderStatus.CANCELED))
    filed.save(accepted(2, "a"))
    found = filed.find("acct", "BTCUSDT", None, "a")
    assert found is not None
    assert found.order_id == 2
    assert filed.find("acct", "BTCUSDT", 1, "a") is not None
    assert filed.find("acct", "BTCUSDT", 1, "b") is None  # id and client id disagree
    assert filed.find("acct", "BTCUSDT", None, "zz") is None
    with pytest.raises(ValueError, match="need order_id"):
        filed.find("acct", "BTCUSDT", None, None)


def test_closing_an_older_order_keeps_the_newer_client_id_open() -> None:
    filed = registry()
    old = accepted(1, "a")
    filed.save(old)
    filed.save(accepted(2, "a"))
    filed.save(old.changed(status=OrderStatus.CANCELED))
    assert filed.client_id_is_open("acct", "a")

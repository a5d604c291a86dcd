from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import (
    FilterViolation,
    LiquiditySide,
    OrderFilter,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from ai_engine.matching import FeeRates, OrderRejected, RejectReason

from .factories import ACCOUNT, bar, close_ms, engine, limit, request

D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def test_passive_gtc_limit_rests_and_locks_quote() -> None:
    venue = engine()
    result = venue.submit(limit(BUY, "19000", "2"), 1)
    assert result.order.status is OrderStatus.ACCEPTED
    assert result.fills == ()
    ledger = venue.ledger(ACCOUNT)
    assert ledger.locked("USDT") == D(38000)
    assert [o.order_id for o in venue.open_orders(ACCOUNT)] == [result.order.order_id]


def test_resting_limit_fills_at_its_price_as_maker_when_traded_through() -> None:
    venue = engine(fees=FeeRates(maker=D("0.0002"), taker=D("0.001")))
    order = venue.submit(limit(BUY, "19000", "2"), close_ms(0)).order
    assert venue.on_bar("BTCUSDT", bar(1, "19500", low="19000")) == []  # touch only
    (fill,) = venue.on_bar("BTCUSDT", bar(2, "19500", low="18999.99"))
    assert (fill.price, fill.quantity, fill.liquidity) == (D(19000), D(2), LiquiditySide.MAKER)
    assert (fill.commission, fill.ts_ms) == (D("0.0004"), close_ms(2))
    filled = venue.order(ACCOUNT, "BTCUSDT", order_id=order.order_id)
    assert filled is not None
    assert filled.status is OrderStatus.FILLED
    ledger = venue.ledger(ACCOUNT)
    assert ledger.locked("USDT") == 0
    assert ledger.free("USDT") == D(1_000_000) - D(38000)
    assert ledger.free("BTC") == D(12) - D("0.0004")


def test_a_bar_that_opened_before_the_order_cannot_fill_it() -> None:
    venue = engine()
    venue.submit(limit(SELL, "20100"), close_ms(1) - 30_000)  # mid-way through bar 1
    assert venue.on_bar("BTCUSDT", bar(1, "20000", high="20200")) == []
    assert len(venue.on_bar("BTCUSDT", bar(2, "20000", high="20200"))) == 1


def test_marketable_gtc_limit_takes_then_rests_the_rest() -> None:
    venue = engine()
    result = venue.submit(limit(BUY, "20003", "3"), 1)
    assert [(f.price, f.quantity) for f in result.fills] == [(D(20001), D(1)), (D(20003), D(1))]
    assert result.order.status is OrderStatus.PARTIALLY_FILLED
    assert result.order.locked == D(20003)  # one BTC left at the limit
    assert venue.ledger(ACCOUNT).locked("USDT") == D(20003)


def test_ioc_expires_what_does_not_fill_at_once() -> None:
    venue = engine()
    result = venue.submit(limit(SELL, "19997", "3", tif=TimeInForce.IOC), 1)
    assert result.order.status is OrderStatus.EXPIRED
    assert result.order.executed_quantity == D(2)
    assert venue.ledger(ACCOUNT).locked("BTC") == 0
    assert venue.open_orders(ACCOUNT) == []


def test_fok_fills_completely_or_not_at_all() -> None:
    venue = engine()
    killed = venue.submit(limit(BUY, "20003", "3", tif=TimeInForce.FOK), 1)
    assert (killed.order.status, killed.fills) == (OrderStatus.EXPIRED, ())
    filled = venue.submit(limit(BUY, "20003", "2", tif=TimeInForce.FOK), 2)
    assert filled.order.status is OrderStatus.FILLED
    assert len(filled.fills) == 2


def test_limit_maker_that_would_take_is_rejected() -> None:
    venue = engine()
    with pytest.raises(OrderRejected) as caught:
        venue.submit(request(OrderType.LIMIT_MAKER, BUY, price="20001"), 1)
    assert caught.value.code is RejectReason.WOULD_TAKE
    resting = venue.submit(request(OrderType.LIMIT_MAKER, BUY, price="20000.99"), 1)
    assert resting.order.status is OrderStatus.ACCEPTED


def test_limit_buy_needs_the_full_amount_at_its_limit_price() -> None:
    venue = engine(usdt="20000")
    with pytest.raises(OrderRejected) as caught:
        venue.submit(limit(BUY, "20000.01"), 1)
    assert caught.value.code is RejectReason.INSUFFICIENT_BALANCE
    with pytest.raises(OrderRejected):
        venue.submit(limit(SELL, "30000", "10.00001"), 1)


@pytest.mark.parametrize(
    ("price", "quantity", "broken"),
    [
        ("20000.001", "1", OrderFilter.TICK_SIZE),
        ("20000", "0.000015", OrderFilter.LOT_STEP),
        ("1", "1", OrderFilter.MIN_NOTIONAL),
        ("20000", "0", OrderFilter.MIN_QUANTITY),
    ],
)
def test_limit_filters(price: str, quantity: str, broken: OrderFilter) -> None:
    with pytest.raises(FilterViolation) as caught:
        engine().submit(limit(BUY, price, quantity), 1)
    assert caught.value.filter is broken


def test_cancel_releases_the_lock() -> None:
    venue = engine()
    order = venue.submit(limit(SELL, "21000", "3"), 1).order
    assert venue.ledger(ACCOUNT).locked("BTC") == D(3)
    canceled = venue.cancel(ACCOUNT, "BTCUSDT", order_id=order.order_id, now_ms=5)
    assert (canceled.status, canceled.update_ms, canceled.locked) == (OrderStatus.CANCELED, 5, 0)
    assert venue.ledger(ACCOUNT).free("BTC") == D(10)
    with pytest.raises(OrderRejected) as caught:
        venue.cancel(ACCOUNT, "BTCUSDT", order_id=order.order_id, now_ms=6)
    assert caught.value.code is RejectReason.UNKNOWN_ORDER


def test_cancel_after_a_partial_fill_releases_only_the_rest() -> None:
    venue = engine()
    order = venue.submit(limit(BUY, "20001", "3"), 1).order  # 1 filled at 20001
    venue.cancel(ACCOUNT, "BTCUSDT", client_order_id=order.client_order_id, now_ms=2)
    ledger = venue.ledger(ACCOUNT)
    assert ledger.locked("USDT") == 0
    assert ledger.free("USDT") == D(1_000_000) - D(20001)


def test_client_order_ids_are_unique_among_open_orders() -> None:
    venue = engine()
    venue.submit(limit(BUY, "19000", client_order_id="mine"), 1)
    with pytest.raises(OrderRejected) as caught:
        venue.submit(limit(BUY, "19001", client_order_id="mine"), 2)
    assert caught.value.code is RejectReason.DUPLICATE_ORDER
    venue.cancel(ACCOUNT, "BTCUSDT", client_order_id="mine", now_ms=3)
    again = venue.submit(limit(BUY, "19002", client_order_id="mine"), 4).order
    found = venue.order(ACCOUNT, "BTCUSDT", client_order_id="mine")
    assert found == again  # the latest order with that id


def test_cancel_all_and_queries() -> None:
    venue = engine()
    first = venue.submit(limit(BUY, "19000"), 1).order
    second = venue.submit(limit(SELL, "21000"), 2).order
    venue.submit(request(OrderType.MARKET, BUY, quantity="0.5"), 3)
    assert [o.order_id for o in venue.cancel_all(ACCOUNT, "BTCUSDT", 4)] == [
        first.order_id,
        second.order_id,
    ]
    assert [o.status for o in venue.orders(ACCOUNT, "BTCUSDT")] == [
        OrderStatus.CANCELED,
        OrderStatus.CANCELED,
        OrderStatus.FILLED,
    ]
    assert venue.cancel_all(ACCOUNT, "BTCUSDT", 5) == []
    assert len(venue.trades(ACCOUNT, "BTCUSDT")) == 1
    assert venue.order(ACCOUNT, "BTCUSDT", order_id=99) is None
    assert venue.order(ACCOUNT, "BTCUSDT", order_id=first.order_id, client_order_id="x") is None

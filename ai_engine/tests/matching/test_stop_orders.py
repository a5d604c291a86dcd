from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ai_engine.domain import LiquiditySide, OrderSide, OrderStatus, OrderType, TimeInForce
from ai_engine.matching import OrderRejected, OrderRequest, RejectReason

from .factories import ACCOUNT, bar, close_ms, engine, request

D = Decimal
STOP_LOSS, TAKE_PROFIT = OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT


def stop_order(kind: OrderType, side: OrderSide, stop: str, price: str, **kw: Any) -> OrderRequest:
    return request(kind, side, price=price, stop=stop, **kw)


def test_stop_loss_sell_waits_untriggered_with_funds_locked() -> None:
    venue = engine()
    order = venue.submit(stop_order(STOP_LOSS, OrderSide.SELL, "19500", "19400"), 1).order
    assert (order.status, order.is_working, order.locked) == (OrderStatus.ACCEPTED, False, D(1))
    assert venue.ledger(ACCOUNT).locked("BTC") == D(1)
    assert venue.on_bar("BTCUSDT", bar(1, "19600", low="19500.01")) == []


def test_triggered_stop_takes_from_a_book_centred_on_the_stop() -> None:
    venue = engine()
    placed = venue.submit(
        stop_order(STOP_LOSS, OrderSide.SELL, "19500", "19490", quantity="1.5"), close_ms(0)
    ).order
    fills = venue.on_bar("BTCUSDT", bar(1, "19600", low="19500"))
    # Book around 19500: bids from 19499.02 (0.5 bps = 0.975 -> 0.98), 1.95 apart, 1 BTC each.
    assert [(f.price, f.quantity) for f in fills] == [
        (D("19499.02"), D(1)),
        (D("19497.07"), D("0.5")),
    ]
    assert all(f.liquidity is LiquiditySide.TAKER and f.ts_ms == close_ms(1) for f in fills)
    order = venue.order(ACCOUNT, "BTCUSDT", order_id=placed.order_id)
    assert order is not None
    assert (order.status, order.working_ms) == (OrderStatus.FILLED, close_ms(1))
    assert venue.ledger(ACCOUNT).locked("BTC") == 0


def test_triggered_stop_with_a_passive_limit_rests_until_traded_through() -> None:
    venue = engine()
    placed = venue.submit(
        stop_order(TAKE_PROFIT, OrderSide.SELL, "20500", "20600"), close_ms(0)
    ).order
    assert venue.on_bar("BTCUSDT", bar(1, "20400", high="20700")) == []  # triggers only
    order = venue.order(ACCOUNT, "BTCUSDT", order_id=placed.order_id)
    assert order is not None
    assert order.is_working
    (fill,) = venue.on_bar("BTCUSDT", bar(2, "20550", high="20600.01"))
    assert (fill.price, fill.liquidity) == (D(20600), LiquiditySide.MAKER)


def test_buy_stop_returns_the_unused_part_of_its_lock() -> None:
    venue = engine()
    venue.submit(stop_order(STOP_LOSS, OrderSide.BUY, "20500", "20600"), close_ms(0))
    (fill,) = venue.on_bar("BTCUSDT", bar(1, "20400", high="20500"))
    assert fill.price < D(20600)
    ledger = venue.ledger(ACCOUNT)
    assert ledger.locked("USDT") == 0
    assert ledger.free("USDT") == D(1_000_000) - fill.quote_quantity


def test_stop_fok_at_trigger_expires_when_the_book_is_short() -> None:
    venue = engine()
    placed = venue.submit(
        stop_order(TAKE_PROFIT, OrderSide.BUY, "19500", "19502", quantity="3", tif=TimeInForce.FOK),
        close_ms(0),
    ).order
    assert venue.on_bar("BTCUSDT", bar(1, "19600", low="19500")) == []
    order = venue.order(ACCOUNT, "BTCUSDT", order_id=placed.order_id)
    assert order is not None
    assert order.status is OrderStatus.EXPIRED
    assert venue.ledger(ACCOUNT).locked("USDT") == 0


@pytest.mark.parametrize(
    ("kind", "side", "stop"),
    [
        (STOP_LOSS, OrderSide.SELL, "20000"),
        (STOP_LOSS, OrderSide.BUY, "19999"),
        (TAKE_PROFIT, OrderSide.SELL, "19000"),
        (TAKE_PROFIT, OrderSide.BUY, "20001"),
    ],
)
def test_stops_that_would_trigger_immediately_are_rejected(
    kind: OrderType, side: OrderSide, stop: str
) -> None:
    with pytest.raises(OrderRejected) as caught:
        engine().submit(stop_order(kind, side, stop, stop), 1)
    assert caught.value.code is RejectReason.WOULD_TRIGGER_IMMEDIATELY


def test_cancel_an_untriggered_stop() -> None:
    venue = engine()
    order = venue.submit(stop_order(STOP_LOSS, OrderSide.SELL, "19000", "18900"), 1).order
    venue.cancel(ACCOUNT, "BTCUSDT", order_id=order.order_id, now_ms=2)
    assert venue.ledger(ACCOUNT).locked("BTC") == 0

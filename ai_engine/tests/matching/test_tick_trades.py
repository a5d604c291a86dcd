"""What a public trade does to resting orders (``MatchingEngine.on_trade``): limits fill as
maker when a trade prints strictly through them (at most the printed quantity), stops trigger
when a trade prints at or through the stop and then take from the current real book."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ai_engine.domain import LiquiditySide, OrderSide, OrderStatus, OrderType, TimeInForce
from ai_engine.matching import MatchingEngine, OrderRejected, OrderRequest, RejectReason

from .factories import ACCOUNT, limit, request
from .tick_factories import SYMBOL, T0_MS, tick_engine

D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL
STOP_LOSS, TAKE_PROFIT = OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT


def trade(venue: MatchingEngine, ms: int, price: str, quantity: str = "10") -> list[Any]:
    return venue.on_trade(SYMBOL, T0_MS + ms, D(price), D(quantity), False)


def status(venue: MatchingEngine, order_id: int) -> tuple[OrderStatus, Decimal]:
    order = venue.order(ACCOUNT, SYMBOL, order_id=order_id)
    assert order is not None
    return order.status, order.executed_quantity


def stop(kind: OrderType, side: OrderSide, stop_price: str, price: str, **kw: Any) -> OrderRequest:
    return request(kind, side, price=price, stop=stop_price, **kw)


# -- resting limits ----------------------------------------------------------------------------


def test_a_print_at_the_limit_does_not_fill_one_through_it_does() -> None:
    venue = tick_engine()
    placed = venue.submit(limit(BUY, "99.98", "1"), T0_MS).order
    assert trade(venue, 10, "99.98") == []  # a touch: the queue ahead of us is unknown
    (fill,) = trade(venue, 20, "99.97")
    assert (fill.price, fill.quantity, fill.liquidity) == (D("99.98"), D(1), LiquiditySide.MAKER)
    assert fill.ts_ms == T0_MS + 20
    assert status(venue, placed.order_id) == (OrderStatus.FILLED, D(1))
    assert venue.ledger(ACCOUNT).locked("USDT") == 0


def test_a_sell_limit_fills_on_a_print_above_it() -> None:
    venue = tick_engine()
    placed = venue.submit(limit(SELL, "100.05", "2"), T0_MS).order
    assert trade(venue, 10, "100.04") == []
    assert trade(venue, 11, "100.05") == []
    (fill,) = trade(venue, 12, "100.06")
    assert (fill.side, fill.price, fill.quantity) == (SELL, D("100.05"), D(2))
    assert status(venue, placed.order_id) == (OrderStatus.FILLED, D(2))


def test_a_small_print_fills_part_of_the_order_which_keeps_resting() -> None:
    venue = tick_engine()
    placed = venue.submit(limit(BUY, "99.98", "1"), T0_MS).order
    (fill,) = trade(venue, 10, "99.97", "0.3")
    assert fill.quantity == D("0.3")
    assert status(venue, placed.order_id) == (OrderStatus.PARTIALLY_FILLED, D("0.3"))
    assert venue.ledger(ACCOUNT).locked("USDT") == D("99.98") * D("0.7")
    (rest,) = trade(venue, 11, "99.96", "5")
    assert rest.quantity == D("0.7")
    assert status(venue, placed.order_id) == (OrderStatus.FILLED, D(1))


def test_one_print_is_shared_by_our_orders_in_time_priority() -> None:
    venue = tick_engine()
    first = venue.submit(limit(BUY, "99.97", "0.4"), T0_MS).order
    second = venue.submit(limit(BUY, "99.98", "0.4"), T0_MS + 1).order
    fills = trade(venue, 10, "99.96", "0.5")
    assert [(f.order_id, f.quantity) for f in fills] == [
        (first.order_id, D("0.4")),
        (second.order_id, D("0.1")),
    ]


def test_a_trade_before_the_order_arrived_does_not_reach_it() -> None:
    venue = tick_engine()
    venue.submit(limit(BUY, "99.98", "1"), T0_MS + 50)
    assert trade(venue, 10, "99.90") == []  # printed before the order was placed


def test_trades_must_come_in_time_order() -> None:
    venue = tick_engine()
    trade(venue, 10, "100.00")
    with pytest.raises(ValueError, match="before"):
        trade(venue, 9, "100.00")


# -- stops -------------------------------------------------------------------------------------


def test_stop_loss_sell_triggers_on_a_print_at_the_stop_and_takes_from_the_real_book() -> None:
    venue = tick_engine()
    placed = venue.submit(stop(STOP_LOSS, SELL, "99.99", "99.95", quantity="2"), T0_MS).order
    assert trade(venue, 10, "100.00") == []
    fills = trade(venue, 20, "99.99", "0.01")
    # The book's bids: 100.00 x 1.5, 99.99 x 0.25, 99.95 x 3 -- down to the 99.95 limit.
    assert [(f.price, f.quantity, f.liquidity) for f in fills] == [
        (D("100.00"), D("1.5"), LiquiditySide.TAKER),
        (D("99.99"), D("0.25"), LiquiditySide.TAKER),
        (D("99.95"), D("0.25"), LiquiditySide.TAKER),
    ]
    assert all(f.ts_ms == T0_MS + 20 for f in fills)
    order = venue.order(ACCOUNT, SYMBOL, order_id=placed.order_id)
    assert order is not None
    assert (order.status, order.working_ms) == (OrderStatus.FILLED, T0_MS + 20)
    assert venue.ledger(ACCOUNT).locked("BTC") == 0


def test_take_profit_buy_triggers_on_a_print_below_the_stop() -> None:
    venue = tick_engine()
    venue.submit(stop(TAKE_PROFIT, BUY, "99.90", "100.02", quantity="0.2"), T0_MS)
    assert trade(venue, 10, "99.91") == []
    (fill,) = trade(venue, 11, "99.89")
    assert (fill.price, fill.quantity, fill.liquidity) == (
        D("100.02"), D("0.2"), LiquiditySide.TAKER,
    )  # fmt: skip


def test_a_triggered_stop_limit_rests_and_the_same_print_does_not_fill_it() -> None:
    venue = tick_engine()
    placed = venue.submit(stop(TAKE_PROFIT, SELL, "100.10", "100.05"), T0_MS).order
    # 100.12 triggers it; no bid reaches 100.05, so it rests -- and although 100.12 is through
    # 100.05, the print that triggered it does not also fill it.
    assert trade(venue, 10, "100.12") == []
    order = venue.order(ACCOUNT, SYMBOL, order_id=placed.order_id)
    assert order is not None
    assert (order.is_working, order.status) == (True, OrderStatus.ACCEPTED)
    (fill,) = trade(venue, 30, "100.06")
    assert (fill.price, fill.liquidity) == (D("100.05"), LiquiditySide.MAKER)


def test_an_ioc_stop_expires_what_the_book_does_not_fill() -> None:
    venue = tick_engine()
    placed = venue.submit(
        stop(STOP_LOSS, SELL, "99.99", "99.99", quantity="2", tif=TimeInForce.IOC), T0_MS
    ).order
    fills = trade(venue, 10, "99.99")
    assert sum(f.quantity for f in fills) == D("1.75")  # 100.00 and 99.99 levels
    assert status(venue, placed.order_id) == (OrderStatus.EXPIRED, D("1.75"))
    assert venue.ledger(ACCOUNT).locked("BTC") == 0


def test_a_stop_is_refused_when_the_last_trade_already_meets_it() -> None:
    venue = tick_engine()
    trade(venue, 10, "99.50")
    with pytest.raises(OrderRejected) as refused:
        venue.submit(stop(STOP_LOSS, SELL, "99.60", "99.50"), T0_MS + 20)
    assert refused.value.code is RejectReason.WOULD_TRIGGER_IMMEDIATELY


def test_an_oco_leg_partly_filled_by_a_print_cancels_its_sibling() -> None:
    venue = tick_engine()
    legs = [
        request(OrderType.STOP_LIMIT, SELL, price="99.00", stop="99.10", quantity="1"),
        request(OrderType.LIMIT_MAKER, SELL, price="100.50", quantity="1"),
    ]
    placed = venue.submit_oco(legs, "oco-1", T0_MS)
    (fill,) = trade(venue, 10, "100.60", "0.25")
    assert fill.quantity == D("0.25")
    stop_leg, limit_leg = venue.lists.legs(placed)
    assert stop_leg.status is OrderStatus.CANCELED
    assert limit_leg.status is OrderStatus.PARTIALLY_FILLED
    assert venue.ledger(ACCOUNT).locked("BTC") == D("0.75")

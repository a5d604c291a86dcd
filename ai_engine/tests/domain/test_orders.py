from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from ai_engine.domain import (
    DomainValueError,
    InvalidOrderTransition,
    Money,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSide,
    OrderStatus,
    OrderSubmitted,
    OrderType,
    validate_client_order_id,
)
from ai_engine.domain.instrument_examples import binance_usdm_btcusdt

from .factories import at, make_fill, make_order


def fill_event(
    order: Order, quantity: str, *, trade_id: str, price: str = "100", **kw: str
) -> OrderFilled:
    fill = make_fill(
        client_order_id=order.client_order_id,
        trade_id=trade_id,
        side=order.side,
        price=price,
        quantity=quantity,
        **kw,  # type: ignore[arg-type]
    )
    return OrderFilled(client_order_id=order.client_order_id, fill=fill, ts=at(5))


def working(order: Order) -> Order:
    order = order.apply(OrderSubmitted(client_order_id=order.client_order_id, ts=at(1)))
    return order.apply(
        OrderAccepted(client_order_id=order.client_order_id, venue_order_id="V1", ts=at(2))
    )


@pytest.mark.parametrize("value", ["a", "x" * 36, "bot1:BTCUSDT/2024-03-04_001.b", "ABC-def_0.9:/"])
def test_valid_client_order_ids(value: str) -> None:
    assert validate_client_order_id(value) == value


@pytest.mark.parametrize(
    "value", ["", "x" * 37, "has space", "ümlaut", "semi;colon", "tab\t", "a+b"]
)
def test_invalid_client_order_ids(value: str) -> None:
    with pytest.raises(DomainValueError, match="client order id"):
        validate_client_order_id(value)
    with pytest.raises(DomainValueError):
        make_order(client_order_id=value)


def test_naive_created_at_is_refused() -> None:
    with pytest.raises(DomainValueError, match="naive"):
        make_order(created_at=datetime(2024, 3, 4, 14, 30))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("order_type", "price", "stop_price", "callback_rate", "complaint"),
    [
        (OrderType.LIMIT, None, None, None, "needs a limit price"),
        (OrderType.MARKET, "100", None, None, "takes no limit price"),
        (OrderType.STOP_MARKET, None, None, None, "needs a stop price"),
        (OrderType.LIMIT, "100", "99", None, "takes no stop price"),
        (OrderType.TRAILING_STOP_MARKET, None, None, None, "callback rate"),
        (OrderType.MARKET, None, None, Decimal(1), "callback rate"),
        (OrderType.TRAILING_STOP_MARKET, None, None, Decimal(0), "positive"),
    ],
)
def test_order_shape_follows_its_type(
    order_type: OrderType,
    price: str | None,
    stop_price: str | None,
    callback_rate: Decimal | None,
    complaint: str,
) -> None:
    with pytest.raises(DomainValueError, match=complaint):
        make_order(
            order_type=order_type, price=price, stop_price=stop_price, callback_rate=callback_rate
        )


@pytest.mark.parametrize(
    ("order_type", "price", "stop_price", "callback_rate"),
    [
        (OrderType.MARKET, None, None, None),
        (OrderType.LIMIT_MAKER, "100", None, None),
        (OrderType.STOP_LIMIT, "100", "101", None),
        (OrderType.TAKE_PROFIT_MARKET, None, "120", None),
        (OrderType.TRAILING_STOP_MARKET, None, None, Decimal("0.5")),
        (OrderType.TRAILING_STOP_MARKET, None, "110", Decimal("0.5")),  # with activation price
    ],
)
def test_well_shaped_orders(
    order_type: OrderType, price: str | None, stop_price: str | None, callback_rate: Decimal | None
) -> None:
    order = make_order(
        order_type=order_type, price=price, stop_price=stop_price, callback_rate=callback_rate
    )
    assert order.status is OrderStatus.INITIALIZED
    assert order.updated_at == order.created_at


def test_a_full_life_partial_then_filled() -> None:
    order = working(make_order(quantity="3"))
    assert order.status is OrderStatus.ACCEPTED
    assert order.venue_order_id == "V1"
    order = order.apply(fill_event(order, "1", trade_id="t1", price="100", fee="0.1"))
    assert order.status is OrderStatus.PARTIALLY_FILLED
    order = order.apply(fill_event(order, "2", trade_id="t2", price="101", fee="0.2"))
    assert order.status is OrderStatus.FILLED
    assert order.filled_quantity == order.quantity
    assert order.remaining_quantity.is_zero()
    assert order.filled_notional == Decimal(302)
    assert order.avg_fill_price is not None
    assert order.avg_fill_price.quantize(Decimal("1e-10")) == Decimal("100.6666666667")
    assert order.fees == (Money("0.3", "USDT"),)
    assert order.is_terminal


def test_fees_are_kept_per_asset() -> None:
    order = working(make_order(quantity="2"))
    order = order.apply(fill_event(order, "1", trade_id="t1", fee="0.001", fee_asset="BNB"))
    order = order.apply(fill_event(order, "1", trade_id="t2", fee="0.1", fee_asset="USDT"))
    assert order.fee_in("BNB") == Decimal("0.001")
    assert order.fee_in("USDT") == Decimal("0.1")
    assert order.fee_in("BTC") == 0


def test_overfill_is_refused() -> None:
    order = working(make_order(quantity="1"))
    order = order.apply(fill_event(order, "0.6", trade_id="t1"))
    with pytest.raises(InvalidOrderTransition, match="overfills"):
        order.apply(fill_event(order, "0.5", trade_id="t2"))


def test_repeated_fill_is_applied_once() -> None:
    order = working(make_order(quantity="1"))
    event = fill_event(order, "0.5", trade_id="t1")
    once = order.apply(event)
    assert once.apply(event) is once
    assert once.filled_quantity.value == Decimal("0.5")


def test_fill_must_match_side_instrument_and_venue_order() -> None:
    order = working(make_order())
    wrong_side = make_fill(side=OrderSide.SELL, trade_id="t9")
    with pytest.raises(InvalidOrderTransition, match="does not match"):
        order.apply(OrderFilled(client_order_id="ord-1", fill=wrong_side, ts=at(3)))
    wrong_market = make_fill(instrument=binance_usdm_btcusdt(), trade_id="t9")
    with pytest.raises(InvalidOrderTransition, match="does not match"):
        order.apply(OrderFilled(client_order_id="ord-1", fill=wrong_market, ts=at(3)))
    with pytest.raises(InvalidOrderTransition, match="venue order"):
        order.apply(fill_event(order, "1", trade_id="t9", venue_order_id="V2"))


def test_market_order_filled_straight_from_submitted() -> None:
    order = make_order(order_type=OrderType.MARKET, price=None)
    order = order.apply(OrderSubmitted(client_order_id="ord-1", ts=at(1)))
    order = order.apply(fill_event(order, "1", trade_id="t1", venue_order_id="V7"))
    assert order.status is OrderStatus.FILLED
    assert order.venue_order_id == "V7"


def test_fill_during_pending_cancel_keeps_the_cancel_pending() -> None:
    order = working(make_order(quantity="2"))
    order = order.apply(OrderCancelRequested(client_order_id="ord-1", ts=at(3)))
    order = order.apply(fill_event(order, "1", trade_id="t1"))
    assert order.status is OrderStatus.PENDING_CANCEL
    canceled = order.apply(OrderCanceled(client_order_id="ord-1", ts=at(6)))
    assert canceled.status is OrderStatus.CANCELED
    assert canceled.filled_quantity.value == 1  # what filled stays filled


@pytest.mark.parametrize(
    ("fill_first", "acked", "resumed"),
    [
        (False, True, OrderStatus.ACCEPTED),
        (True, True, OrderStatus.PARTIALLY_FILLED),
        (False, False, OrderStatus.SUBMITTED),
    ],
)
def test_refused_cancel_resumes_the_previous_status(
    fill_first: bool, acked: bool, resumed: OrderStatus
) -> None:
    order = make_order(quantity="2").apply(OrderSubmitted(client_order_id="ord-1", ts=at(1)))
    if acked:
        order = order.apply(OrderAccepted(client_order_id="ord-1", venue_order_id="V1", ts=at(2)))
    if fill_first:
        order = order.apply(fill_event(order, "1", trade_id="t1"))
    order = order.apply(OrderCancelRequested(client_order_id="ord-1", ts=at(3)))
    order = order.apply(OrderCancelRejected(client_order_id="ord-1", reason="-2011", ts=at(4)))
    assert order.status is resumed
    assert order.last_reason == "-2011"


def test_duplicate_ack_is_ignored_but_a_conflicting_one_is_refused() -> None:
    order = working(make_order())
    again = OrderAccepted(client_order_id="ord-1", venue_order_id="V1", ts=at(9))
    assert order.apply(again) is order
    with pytest.raises(InvalidOrderTransition):
        order.apply(OrderAccepted(client_order_id="ord-1", venue_order_id="V2", ts=at(9)))


def test_rejection_keeps_the_reason() -> None:
    order = make_order().apply(OrderSubmitted(client_order_id="ord-1", ts=at(1)))
    order = order.apply(OrderRejected(client_order_id="ord-1", reason="-2010 balance", ts=at(2)))
    assert order.status is OrderStatus.REJECTED
    assert order.last_reason == "-2010 balance"
    assert order.updated_at == at(2)


@pytest.mark.parametrize(
    "event",
    [
        OrderSubmitted(client_order_id="ord-1", ts=at(9)),
        OrderCanceled(client_order_id="ord-1", ts=at(9)),
        OrderExpired(client_order_id="ord-1", ts=at(9)),
        OrderCancelRequested(client_order_id="ord-1", ts=at(9)),
    ],
)
def test_terminal_orders_accept_nothing(event: OrderSubmitted) -> None:
    order = working(make_order()).apply(OrderCanceled(client_order_id="ord-1", ts=at(3)))
    with pytest.raises(InvalidOrderTransition, match="not allowed in canceled"):
        order.apply(event)


def test_events_for_another_order_are_refused() -> None:
    with pytest.raises(DomainValueError, match="applied to"):
        make_order().apply(OrderSubmitted(client_order_id="ord-2", ts=at(1)))

"""Random event sequences against the transition table and the quantity rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_engine.domain import (
    LEGAL_EVENTS,
    InvalidOrderTransition,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderStatus,
    OrderSubmitted,
)

from .factories import PROPERTY_SETTINGS, at, make_fill, make_order

STEP = Decimal("0.001")
EVENT_TYPES: list[type[OrderEvent]] = [
    OrderSubmitted,
    OrderAccepted,
    OrderRejected,
    OrderFilled,
    OrderCancelRequested,
    OrderCancelRejected,
    OrderCanceled,
    OrderExpired,
]


@dataclass(frozen=True)
class Action:
    kind: type[OrderEvent]  # used as drawn in "random" mode
    mode: str  # "random": any event type; "legal": one the table allows now (deeper walks)
    choice: int  # picks among the legal ones, mostly those that keep the order alive
    steps: int  # fill size in lot steps
    venue_order_id: str
    fill_has_venue_id: bool
    repeat_trade: bool  # reuse the last trade id: a fill reported twice


actions = st.builds(
    Action,
    kind=st.sampled_from(EVENT_TYPES),
    mode=st.sampled_from(["legal", "legal", "legal", "random"]),
    choice=st.integers(min_value=0, max_value=99),
    steps=st.integers(min_value=1, max_value=6),
    venue_order_id=st.sampled_from(["V1", "V2"]),
    fill_has_venue_id=st.booleans(),
    repeat_trade=st.booleans(),
)


ENDINGS = {OrderRejected, OrderCanceled, OrderExpired}


def pick_kind(order: Order, action: Action) -> type[OrderEvent]:
    legal = [kind for kind in EVENT_TYPES if kind in LEGAL_EVENTS[order.status]]
    if action.mode == "random" or not legal:
        return action.kind
    living = [kind for kind in legal if kind not in ENDINGS]
    pool = living if living and action.choice < 75 else legal
    return pool[action.choice % len(pool)]


def build_event(order: Order, action: Action, index: int) -> OrderEvent:
    common = {"client_order_id": order.client_order_id, "ts": at(index)}
    kind = pick_kind(order, action)
    if kind is OrderFilled:
        repeat = action.repeat_trade and order.trade_ids
        fill = make_fill(
            client_order_id=order.client_order_id,
            trade_id=order.trade_ids[-1] if repeat else f"t{index}",
            side=order.side,
            quantity=STEP * action.steps,
            venue_order_id=action.venue_order_id if action.fill_has_venue_id else None,
            ts=at(index),
        )
        return OrderFilled(fill=fill, **common)  # type: ignore[arg-type]
    if kind is OrderAccepted:
        return OrderAccepted(venue_order_id=action.venue_order_id, **common)  # type: ignore[arg-type]
    if kind in (OrderRejected, OrderCancelRejected):
        return kind(reason="no", **common)  # type: ignore[arg-type]
    return kind(**common)  # type: ignore[arg-type]


def venue_ids_agree(known: str | None, incoming: str | None) -> bool:
    return known is None or incoming is None or known == incoming


def expected_status(before: Order, event: OrderEvent, filled: Decimal) -> OrderStatus:
    """Where a legal event must lead, written independently of ``Order.apply``."""
    simple = {
        OrderSubmitted: OrderStatus.SUBMITTED,
        OrderRejected: OrderStatus.REJECTED,
        OrderCancelRequested: OrderStatus.PENDING_CANCEL,
        OrderCanceled: OrderStatus.CANCELED,
        OrderExpired: OrderStatus.EXPIRED,
    }
    if type(event) in simple:
        return simple[type(event)]
    if isinstance(event, OrderAccepted):
        return OrderStatus.ACCEPTED if before.status is OrderStatus.SUBMITTED else before.status
    if isinstance(event, OrderFilled):
        if filled == before.quantity.value:
            return OrderStatus.FILLED
        if before.status is OrderStatus.PENDING_CANCEL:
            return OrderStatus.PENDING_CANCEL
        return OrderStatus.PARTIALLY_FILLED
    assert isinstance(event, OrderCancelRejected)
    if filled:
        return OrderStatus.PARTIALLY_FILLED
    return OrderStatus.SUBMITTED if before.venue_order_id is None else OrderStatus.ACCEPTED


@PROPERTY_SETTINGS
@given(
    quantity_steps=st.integers(min_value=1, max_value=12),
    script=st.lists(actions, min_size=1, max_size=25),
)
def test_random_event_sequences_follow_the_table(quantity_steps: int, script: list[Action]) -> None:
    order = make_order(quantity=str(STEP * quantity_steps))
    applied_fill_total = Decimal(0)
    for index, action in enumerate(script, start=1):
        event = build_event(order, action, index)
        before = order
        if isinstance(event, OrderFilled) and event.fill.trade_id in before.trade_ids:
            assert before.apply(event) is before  # a repeated fill changes nothing
            continue
        if isinstance(event, OrderAccepted) and event.venue_order_id == before.venue_order_id:
            assert before.apply(event) is before  # a repeated ack changes nothing
            continue
        legal = type(event) in LEGAL_EVENTS[before.status]
        filled = before.filled_quantity.value
        if isinstance(event, OrderFilled):
            filled += event.fill.quantity.value
            legal = legal and filled <= before.quantity.value
            legal = legal and venue_ids_agree(before.venue_order_id, event.fill.venue_order_id)
        if isinstance(event, OrderAccepted):
            legal = legal and before.venue_order_id is None
        if not legal:
            with pytest.raises(InvalidOrderTransition):
                before.apply(event)
            continue
        order = before.apply(event)
        assert order.status is expected_status(before, event, filled)
        assert order.updated_at == event.ts
        if isinstance(event, OrderFilled):
            applied_fill_total += event.fill.quantity.value
        assert order.filled_quantity.value == applied_fill_total
        assert order.filled_quantity <= order.quantity
        assert not before.status.is_terminal  # nothing legal ever leaves a terminal status


# The table, spelled out independently: a change to the state machine must change this too.
# Columns: Submitted Accepted Rejected Filled CancelRequested CancelRejected Canceled Expired.
EXPECTED = {
    OrderStatus.INITIALIZED: "x.x...x.",
    OrderStatus.SUBMITTED: ".xxxx.xx",
    OrderStatus.ACCEPTED: "...xx.xx",
    OrderStatus.PARTIALLY_FILLED: ".x.xx.xx",
    OrderStatus.PENDING_CANCEL: ".x.x.xxx",
    OrderStatus.FILLED: "........",
    OrderStatus.CANCELED: "........",
    OrderStatus.REJECTED: "........",
    OrderStatus.EXPIRED: "........",
}


@pytest.mark.parametrize("status", list(OrderStatus))
def test_transition_table_is_the_documented_one(status: OrderStatus) -> None:
    allowed = {
        kind for kind, mark in zip(EVENT_TYPES, EXPECTED[status], strict=True) if mark == "x"
    }
    assert LEGAL_EVENTS[status] == allowed

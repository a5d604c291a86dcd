"""The order state machine as data: which event may arrive in which status.

Where an event leads is decided in ``orders.Order.apply`` (a fill leads to PARTIALLY_FILLED or
FILLED depending on quantities); *whether* it may arrive at all is this table and nothing else.
Terminal statuses accept nothing. Two repeats are tolerated before the table is consulted,
because venues report the same thing twice (REST answer and websocket): a fill whose trade id
the order already has, and an acknowledgement with the venue order id the order already has.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ai_engine.domain.enums import OrderStatus
from ai_engine.domain.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
)


def _events(*types: type[OrderEvent]) -> frozenset[type[OrderEvent]]:
    return frozenset(types)


_WORKING = _events(OrderFilled, OrderCancelRequested, OrderCanceled, OrderExpired)

LEGAL_EVENTS: Mapping[OrderStatus, frozenset[type[OrderEvent]]] = MappingProxyType(
    {
        # Not sent yet: it can be sent, refused by our own pre-trade check, or dropped.
        OrderStatus.INITIALIZED: _events(OrderSubmitted, OrderRejected, OrderCanceled),
        # Sent: a market order can come back filled in the same response as its ack.
        OrderStatus.SUBMITTED: _WORKING | _events(OrderAccepted, OrderRejected),
        OrderStatus.ACCEPTED: _WORKING,
        # A late ack (after the websocket already reported a fill) only records the venue id.
        OrderStatus.PARTIALLY_FILLED: _WORKING | _events(OrderAccepted),
        # Fills can race a cancel; the venue may refuse the cancel or report an expiry instead.
        OrderStatus.PENDING_CANCEL: _events(
            OrderAccepted, OrderFilled, OrderCancelRejected, OrderCanceled, OrderExpired
        ),
        OrderStatus.FILLED: _events(),
        OrderStatus.CANCELED: _events(),
        OrderStatus.REJECTED: _events(),
        OrderStatus.EXPIRED: _events(),
    }
)


def is_legal(status: OrderStatus, event_type: type[OrderEvent]) -> bool:
    return event_type in LEGAL_EVENTS[status]

"""Immutable domain events: what happened to orders and positions.

Events are persisted, published to Rails and replayed, so they stay plain: frozen records of
primitives and other domain values, with ``to_dict()`` for the wire. ``ts`` is when it happened
(venue time where the venue says); ``event_id`` identifies the event for idempotent storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import uuid4

from ai_engine.domain.clock import require_utc
from ai_engine.domain.errors import DomainValueError
from ai_engine.domain.fills import Fill
from ai_engine.domain.positions import Position
from ai_engine.domain.serialization import to_primitive


def new_event_id() -> str:
    return uuid4().hex


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    ts: datetime
    event_id: str = field(default_factory=new_event_id)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", require_utc(self.ts, what="event ts"))

    @property
    def event_type(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        """``{"type": "OrderFilled", "ts": "...", ...}`` with Decimals as strings."""
        body = to_primitive(self)
        assert isinstance(body, dict)
        return {"type": self.event_type, **body}


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent(Event):
    client_order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSubmitted(OrderEvent):
    """The order was sent to the venue."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAccepted(OrderEvent):
    """The venue acknowledged the order (Binance status NEW)."""

    venue_order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRejected(OrderEvent):
    """The venue, or our risk check before sending, refused the order."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilled(OrderEvent):
    """One execution; partial or final is decided by the order, not the event."""

    fill: Fill

    def __post_init__(self) -> None:
        Event.__post_init__(self)  # zero-argument super() does not work in slotted dataclasses
        if self.fill.client_order_id != self.client_order_id:
            raise DomainValueError(
                f"fill {self.fill.trade_id} belongs to {self.fill.client_order_id}, "
                f"not {self.client_order_id}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelRequested(OrderEvent):
    """We asked the venue to cancel; the order is pending cancel until it answers."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelRejected(OrderEvent):
    """The venue refused the cancel (typically: already filled or unknown)."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCanceled(OrderEvent):
    """The order is canceled; any quantity filled before stays filled."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderExpired(OrderEvent):
    """The venue expired the order (IOC/FOK remainder, post-only that would take, DAY close)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionChanged(Event):
    """The net position after a fill or a funding payment."""

    position: Position

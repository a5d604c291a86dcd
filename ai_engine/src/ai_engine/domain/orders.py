"""Orders and their lifecycle.

An ``Order`` is immutable; ``apply(event)`` returns the order after the event or raises
``InvalidOrderTransition``. Legality comes from ``order_transitions.LEGAL_EVENTS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from ai_engine.domain.clock import require_utc
from ai_engine.domain.decimals import exact, to_decimal, wide_divide
from ai_engine.domain.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from ai_engine.domain.errors import DomainValueError, InvalidOrderTransition
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
from ai_engine.domain.fills import Fill
from ai_engine.domain.instruments import InstrumentId
from ai_engine.domain.order_transitions import is_legal
from ai_engine.domain.values import Money, Price, Quantity

# Binance's rule for newClientOrderId; the strictest of our venues, so ids work everywhere.
_CLIENT_ORDER_ID = re.compile(r"[\.A-Z\:/a-z0-9_-]{1,36}")
_NONE = Quantity(0)
_SIMPLE_TARGETS = {
    OrderSubmitted: OrderStatus.SUBMITTED,
    OrderRejected: OrderStatus.REJECTED,
    OrderCancelRequested: OrderStatus.PENDING_CANCEL,
    OrderCanceled: OrderStatus.CANCELED,
    OrderExpired: OrderStatus.EXPIRED,
}


def validate_client_order_id(value: str) -> str:
    """Return ``value`` if it is 1-36 characters of ``A-Z a-z 0-9 . : / _ -``; else raise."""
    if not isinstance(value, str) or _CLIENT_ORDER_ID.fullmatch(value) is None:
        raise DomainValueError(
            f"client order id must be 1-36 characters of A-Z a-z 0-9 . : / _ -, got {value!r}"
        )
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """An order from intent to final state. Build new ones with ``Order.create``."""

    client_order_id: str  # minted by the trader before queueing; the idempotency key
    instrument_id: InstrumentId
    side: OrderSide
    order_type: OrderType
    quantity: Quantity
    created_at: datetime
    updated_at: datetime
    price: Price | None = None  # limit price
    stop_price: Price | None = None  # trigger price; activation price for trailing stops
    callback_rate: Decimal | None = None  # trailing stops: distance in percent (1 = 1%)
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    status: OrderStatus = OrderStatus.INITIALIZED
    venue_order_id: str | None = None
    filled_quantity: Quantity = _NONE
    filled_notional: Decimal = Decimal(0)  # exact sum of price * quantity over fills
    fees: tuple[Money, ...] = ()  # cumulative, one entry per fee asset
    trade_ids: tuple[str, ...] = ()  # fills already applied, to ignore repeats
    last_reason: str | None = None  # why the venue rejected the order or a cancel

    def __post_init__(self) -> None:
        validate_client_order_id(self.client_order_id)
        object.__setattr__(self, "created_at", require_utc(self.created_at, what="created_at"))
        object.__setattr__(self, "updated_at", require_utc(self.updated_at, what="updated_at"))
        if self.quantity.is_zero():
            raise DomainValueError(f"order {self.client_order_id}: quantity must be positive")
        self._check_shape()
        if self.filled_quantity > self.quantity:
            raise DomainValueError(f"order {self.client_order_id}: filled more than its quantity")
        if (self.status is OrderStatus.FILLED) != (self.filled_quantity == self.quantity):
            raise DomainValueError(f"order {self.client_order_id}: status {self.status} vs fills")

    def _check_shape(self) -> None:
        kind = self.order_type
        if kind.needs_price != (self.price is not None):
            need = "needs a" if kind.needs_price else "takes no"
            raise DomainValueError(f"{kind} order {need} limit price")
        trailing = kind is OrderType.TRAILING_STOP_MARKET
        if kind.needs_stop_price and self.stop_price is None:
            raise DomainValueError(f"{kind} order needs a stop price")
        if not (kind.needs_stop_price or trailing) and self.stop_price is not None:
            raise DomainValueError(f"{kind} order takes no stop price")
        if trailing != (self.callback_rate is not None):
            raise DomainValueError("a callback rate goes with, and only with, a trailing stop")
        if self.callback_rate is not None:
            rate = to_decimal(self.callback_rate, what="callback_rate")
            if rate <= 0:
                raise DomainValueError(f"callback rate must be positive, got {rate}")

    @classmethod
    def create(
        cls,
        *,
        client_order_id: str,
        instrument_id: InstrumentId,
        side: OrderSide,
        order_type: OrderType,
        quantity: Quantity,
        created_at: datetime,
        price: Price | None = None,
        stop_price: Price | None = None,
        callback_rate: Decimal | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
    ) -> Order:
        """A new order in INITIALIZED: persist it, then queue it, then submit it."""
        return cls(
            client_order_id=client_order_id,
            instrument_id=instrument_id,
            side=side,
            order_type=order_type,
            quantity=quantity,
            created_at=created_at,
            updated_at=created_at,
            price=price,
            stop_price=stop_price,
            callback_rate=callback_rate,
            time_in_force=time_in_force,
            reduce_only=reduce_only,
        )

    @property
    def remaining_quantity(self) -> Quantity:
        return self.quantity - self.filled_quantity

    @property
    def avg_fill_price(self) -> Decimal | None:
        """Volume-weighted fill price (64 significant digits); None before the first fill."""
        if self.filled_quantity.is_zero():
            return None
        return wide_divide(self.filled_notional, self.filled_quantity.value)

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    def fee_in(self, asset: str) -> Decimal:
        return sum((fee.amount for fee in self.fees if fee.asset == asset), Decimal(0))

    def apply(self, event: OrderEvent) -> Order:
        """The order after ``event``; raises ``InvalidOrderTransition`` if it may not happen."""
        if event.client_order_id != self.client_order_id:
            raise DomainValueError(
                f"event for {event.client_order_id} applied to {self.client_order_id}"
            )
        if self._is_repeat(event):
            return self
        if not is_legal(self.status, type(event)):
            raise InvalidOrderTransition(
                f"order {self.client_order_id}: {type(event).__name__} not allowed in {self.status}"
            )
        if isinstance(event, OrderFilled):
            return self._fill(event.fill, event.ts)
        if isinstance(event, OrderAccepted):
            return self._accept(event)
        if isinstance(event, OrderCancelRejected):
            return replace(
                self, status=self._resumed_status(), updated_at=event.ts, last_reason=event.reason
            )
        reason = event.reason if isinstance(event, OrderRejected) else self.last_reason
        target = _SIMPLE_TARGETS[type(event)]
        return replace(self, status=target, updated_at=event.ts, last_reason=reason)

    def _is_repeat(self, event: OrderEvent) -> bool:
        if isinstance(event, OrderFilled):
            return event.fill.trade_id in self.trade_ids
        if isinstance(event, OrderAccepted):
            return self.venue_order_id is not None and event.venue_order_id == self.venue_order_id
        return False

    def _accept(self, event: OrderAccepted) -> Order:
        self._check_venue_id(event.venue_order_id)
        status = OrderStatus.ACCEPTED if self.status is OrderStatus.SUBMITTED else self.status
        return replace(
            self, status=status, venue_order_id=event.venue_order_id, updated_at=event.ts
        )

    def _fill(self, fill: Fill, ts: datetime) -> Order:
        if fill.instrument_id != self.instrument_id or fill.side is not self.side:
            raise InvalidOrderTransition(
                f"fill {fill.trade_id} ({fill.side} {fill.instrument_id}) does not match order "
                f"{self.client_order_id} ({self.side} {self.instrument_id})"
            )
        if fill.venue_order_id is not None:
            self._check_venue_id(fill.venue_order_id)
        if fill.quantity > self.remaining_quantity:
            raise InvalidOrderTransition(
                f"fill {fill.trade_id} of {fill.quantity} overfills order {self.client_order_id}"
                f" ({self.filled_quantity} of {self.quantity} filled)"
            )
        filled = self.filled_quantity + fill.quantity
        if filled == self.quantity:
            status = OrderStatus.FILLED
        elif self.status is OrderStatus.PENDING_CANCEL:
            status = OrderStatus.PENDING_CANCEL  # the cancel is still on its way
        else:
            status = OrderStatus.PARTIALLY_FILLED
        with exact():
            filled_notional = self.filled_notional + fill.price.value * fill.quantity.value
        return replace(
            self,
            status=status,
            venue_order_id=self.venue_order_id or fill.venue_order_id,
            filled_quantity=filled,
            filled_notional=filled_notional,
            fees=_add_fee(self.fees, fill.fee),
            trade_ids=(*self.trade_ids, fill.trade_id),
            updated_at=ts,
        )

    def _resumed_status(self) -> OrderStatus:
        """Where a refused cancel leaves the order: as it was before the cancel was sent."""
        if not self.filled_quantity.is_zero():
            return OrderStatus.PARTIALLY_FILLED
        return OrderStatus.SUBMITTED if self.venue_order_id is None else OrderStatus.ACCEPTED

    def _check_venue_id(self, venue_order_id: str) -> None:
        if self.venue_order_id is not None and venue_order_id != self.venue_order_id:
            raise InvalidOrderTransition(
                f"order {self.client_order_id} is venue order {self.venue_order_id}, "
                f"not {venue_order_id}"
            )


def _add_fee(fees: tuple[Money, ...], fee: Money) -> tuple[Money, ...]:
    if any(existing.asset == fee.asset for existing in fees):
        return tuple(old + fee if old.asset == fee.asset else old for old in fees)
    return (*fees, fee)

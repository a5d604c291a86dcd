"""What a venue says about our orders, balances and positions, in domain types.

These are *reports*: the venue's view at one moment, parsed at the boundary by the adapter.
They are not the engine's own records. The order manager keeps its ``domain.Order`` and moves
it with events (``OrderAccepted``, ``OrderFilled`` with the report's fills or with fills from
``trades_since`` / the user data stream); reconciliation compares reports with those records.
A report never carries anything venue-shaped: no JSON, no wire enums, no epoch integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from ai_engine.domain import (
    DomainValueError,
    Fill,
    InstrumentId,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    Price,
    Quantity,
    TimeInForce,
    require_utc,
)
from ai_engine.domain.decimals import wide_divide


class MarginType(StrEnum):
    """USD-M margin mode of one symbol."""

    CROSS = "cross"
    ISOLATED = "isolated"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderReport:
    """One order as the venue reports it (placement answer, query, cancel answer, open orders).

    ``quantity`` is None only for a close-position stop (USD-M ``closePosition``: it closes
    whatever position there is when it fires). ``is_conditional`` marks an order held by the
    venue's conditional-order service (Binance USD-M algo orders); when it fires, the order it
    places is ``triggered_order_id`` and the fills belong to that order.
    ``fills`` are the executions the answer itself carried (Binance spot FULL answers); other
    fills come from ``trades_since`` or the user data stream.
    """

    client_order_id: str
    venue_order_id: str
    instrument_id: InstrumentId
    side: OrderSide
    order_type: OrderType
    status: OrderStatus
    venue_status: str  # the venue's own word, for logs and reconciliation reports
    quantity: Quantity | None
    filled_quantity: Quantity
    filled_notional: Decimal  # exact sum of price * quantity over the fills so far
    price: Price | None
    stop_price: Price | None
    time_in_force: TimeInForce
    reduce_only: bool
    close_position: bool = False
    is_conditional: bool = False
    triggered_order_id: str | None = None
    created_at: datetime
    updated_at: datetime
    fills: tuple[Fill, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_at", require_utc(self.created_at, what="created_at"))
        object.__setattr__(self, "updated_at", require_utc(self.updated_at, what="updated_at"))
        if self.quantity is None and not self.close_position:
            raise DomainValueError(f"order {self.client_order_id}: no quantity")

    @property
    def avg_fill_price(self) -> Decimal | None:
        if self.filled_quantity.is_zero():
            return None
        return wide_divide(self.filled_notional, self.filled_quantity.value)


@dataclass(frozen=True, slots=True)
class Balance:
    """One asset of an account.

    Spot: ``total`` = free + locked, ``available`` = free. USD-M: ``total`` = the wallet
    balance (realised), ``available`` = what new orders may use as margin, which includes
    unrealised P&L, so ``locked`` can be negative there.
    """

    asset: str
    total: Decimal
    available: Decimal
    unrealised_pnl: Decimal = Decimal(0)

    @property
    def locked(self) -> Decimal:
        return self.total - self.available


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    balances: tuple[Balance, ...]
    updated_at: datetime | None = None  # the venue's time of the last change, if it says

    def balance(self, asset: str) -> Balance:
        """The balance of ``asset`` (zero if the venue lists none)."""
        for balance in self.balances:
            if balance.asset == asset:
                return balance
        return Balance(asset, Decimal(0), Decimal(0))


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionReport:
    """A USD-M position (one-way mode) as the venue reports it."""

    instrument_id: InstrumentId
    side: PositionSide
    quantity: Quantity
    entry_price: Price | None
    mark_price: Price | None
    unrealised_pnl: Decimal
    liquidation_price: Price | None
    leverage: int | None
    margin_type: MarginType | None
    isolated_margin: Decimal
    updated_at: datetime | None

    @property
    def signed_quantity(self) -> Decimal:
        return -self.quantity.value if self.side is PositionSide.SHORT else self.quantity.value

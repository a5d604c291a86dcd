"""What the matching engine is asked to do and what it keeps: requests, orders, executions.

Times are integer epoch milliseconds of the *replay* clock (the market's time), UTC.
Prices and quantities are plain ``Decimal`` on the instrument's grid; zero stands for
"not set" where the venue does the same (a market order's price).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from ai_engine.domain import (
    Fill,
    Instrument,
    InstrumentId,
    LiquiditySide,
    Money,
    OrderSide,
    OrderStatus,
    OrderType,
    Price,
    Quantity,
    TimeInForce,
    from_epoch_ms,
)
from ai_engine.domain.decimals import exact

ZERO = Decimal(0)
SUPPORTED_TYPES = frozenset(
    {
        OrderType.MARKET,
        OrderType.LIMIT,
        OrderType.LIMIT_MAKER,
        OrderType.STOP_MARKET,  # Binance STOP_LOSS (spot): a market order once triggered
        OrderType.STOP_LIMIT,  # Binance STOP_LOSS_LIMIT
        OrderType.TAKE_PROFIT_LIMIT,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    """A new order as the venue received it (already parsed and typed).

    MARKET orders carry ``quantity`` or ``quote_quantity`` (spend/receive that much quote);
    every other type carries ``quantity`` and ``price``, and the stop types ``stop_price``.
    """

    account_id: str
    symbol: str
    client_order_id: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal | None = None
    quote_quantity: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC

    def __post_init__(self) -> None:
        if self.order_type not in SUPPORTED_TYPES:
            raise ValueError(f"unsupported order type {self.order_type}")
        if (self.quantity is None) == (self.quote_quantity is None):
            raise ValueError("an order needs exactly one of quantity and quote_quantity")
        if self.quote_quantity is not None and self.order_type is not OrderType.MARKET:
            raise ValueError("quote_quantity is for MARKET orders only")
        if self.order_type.needs_price != (self.price is not None):
            raise ValueError(f"{self.order_type} order: price given where it does not belong")
        if self.order_type.needs_stop_price != (self.stop_price is not None):
            raise ValueError(f"{self.order_type} order: stop price mismatch")


@dataclass(frozen=True, slots=True, kw_only=True)
class SimOrder:
    """An order at the simulated venue; replaced (never mutated) on every change."""

    account_id: str
    symbol: str
    order_id: int
    client_order_id: str
    side: OrderSide
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: Decimal  # for a quote-quantity market order: what it executed
    quote_quantity: Decimal  # the asked quote amount (zero unless a quote-quantity order)
    price: Decimal  # zero for market orders
    stop_price: Decimal  # zero unless a stop type
    status: OrderStatus  # ACCEPTED is Binance's NEW
    executed_quantity: Decimal
    cumulative_quote: Decimal
    time_ms: int
    update_ms: int
    working_ms: int | None  # when it started to work (a stop: when triggered); None before
    eligible_from_ms: int  # bars opening at or after this may fill or trigger it
    lock_asset: str
    locked: Decimal  # still locked for this order
    order_list_id: int = -1  # the OCO list it is a leg of (order_lists); -1: none

    @classmethod
    def accept(
        cls, request: OrderRequest, order_id: int, instrument: Instrument, now_ms: int
    ) -> SimOrder:
        """A newly accepted order (NEW), nothing filled or locked yet."""
        buy = request.side is OrderSide.BUY
        return cls(
            account_id=request.account_id,
            symbol=request.symbol,
            order_id=order_id,
            client_order_id=request.client_order_id,
            side=request.side,
            order_type=request.order_type,
            time_in_force=request.time_in_force,
            quantity=request.quantity if request.quantity is not None else ZERO,
            quote_quantity=request.quote_quantity or ZERO,
            price=request.price or ZERO,
            stop_price=request.stop_price or ZERO,
            status=OrderStatus.ACCEPTED,
            executed_quantity=ZERO,
            cumulative_quote=ZERO,
            time_ms=now_ms,
            update_ms=now_ms,
            working_ms=now_ms,
            eligible_from_ms=now_ms,
            lock_asset=instrument.quote_asset if buy else instrument.base_asset,
            locked=ZERO,
        )

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.executed_quantity

    @property
    def is_open(self) -> bool:
        return not self.status.is_terminal

    @property
    def is_working(self) -> bool:
        return self.working_ms is not None

    def lock_for(self, quantity: Decimal) -> Decimal:
        """What resting ``quantity`` of this order locks: price x quantity of quote for a buy
        (a market stop, which has no price: its stop price), the quantity of base for a sell."""
        with exact():
            if self.side is OrderSide.SELL:
                return quantity
            return (self.price or self.stop_price) * quantity

    def changed(self, **changes: object) -> SimOrder:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution:
    """One fill, as written to the fill log; ``seq`` is its 1-based position in that log."""

    seq: int
    ts_ms: int
    account_id: str
    symbol: str
    order_id: int
    client_order_id: str
    trade_id: int  # per symbol, from 1
    side: OrderSide
    price: Decimal
    quantity: Decimal
    quote_quantity: Decimal
    commission: Decimal
    commission_asset: str
    liquidity: LiquiditySide

    @property
    def is_maker(self) -> bool:
        return self.liquidity is LiquiditySide.MAKER

    def to_fill(self, instrument_id: InstrumentId) -> Fill:
        """The domain ``Fill`` (for positions, storage and the parity test)."""
        return Fill(
            client_order_id=self.client_order_id,
            venue_order_id=str(self.order_id),
            trade_id=str(self.trade_id),
            instrument_id=instrument_id,
            side=self.side,
            price=Price(self.price),
            quantity=Quantity(self.quantity),
            fee=Money(self.commission, self.commission_asset),
            liquidity=self.liquidity,
            ts=from_epoch_ms(self.ts_ms),
        )


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The order after submission and the fills it got on the way in (maybe none)."""

    order: SimOrder
    fills: tuple[Execution, ...]

"""The domain model: value types, enums, instruments, orders, fills, positions, events, errors.

Standard library only (a test enforces it). Import from here; the modules are an implementation
detail that may be split further.
"""

from ai_engine.domain.clock import (
    Clock,
    ManualClock,
    SystemClock,
    from_epoch_ms,
    require_utc,
    to_epoch_ms,
)
from ai_engine.domain.decimals import DecimalLike, exact, to_decimal
from ai_engine.domain.enums import (
    LiquiditySide,
    MarketType,
    OrderFilter,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    Rounding,
    TimeInForce,
    Venue,
)
from ai_engine.domain.errors import (
    BadMarketData,
    DomainValueError,
    FatalError,
    FilterViolation,
    InvalidOrderTransition,
    RejectedError,
    RetryableError,
    TradingBotError,
)
from ai_engine.domain.events import (
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    PositionChanged,
    new_event_id,
)
from ai_engine.domain.fills import Fill
from ai_engine.domain.instruments import Instrument, InstrumentId
from ai_engine.domain.market_data import Bar, BookLevel, OrderBookSnapshot, TradeTick
from ai_engine.domain.order_transitions import LEGAL_EVENTS, is_legal
from ai_engine.domain.orders import Order, validate_client_order_id
from ai_engine.domain.positions import Position
from ai_engine.domain.serialization import to_primitive
from ai_engine.domain.trading_hours import FOREX_HOURS, NYSE_REGULAR_HOURS, TradingHours
from ai_engine.domain.values import Money, Price, Quantity, notional

__all__ = [
    "FOREX_HOURS",
    "LEGAL_EVENTS",
    "NYSE_REGULAR_HOURS",
    "BadMarketData",
    "Bar",
    "BookLevel",
    "Clock",
    "DecimalLike",
    "DomainValueError",
    "Event",
    "FatalError",
    "Fill",
    "FilterViolation",
    "Instrument",
    "InstrumentId",
    "InvalidOrderTransition",
    "LiquiditySide",
    "ManualClock",
    "MarketType",
    "Money",
    "Order",
    "OrderAccepted",
    "OrderBookSnapshot",
    "OrderCancelRejected",
    "OrderCancelRequested",
    "OrderCanceled",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderFilter",
    "OrderRejected",
    "OrderSide",
    "OrderStatus",
    "OrderSubmitted",
    "OrderType",
    "Position",
    "PositionChanged",
    "PositionSide",
    "Price",
    "Quantity",
    "RejectedError",
    "RetryableError",
    "Rounding",
    "SystemClock",
    "TimeInForce",
    "TradeTick",
    "TradingBotError",
    "TradingHours",
    "Venue",
    "exact",
    "from_epoch_ms",
    "is_legal",
    "new_event_id",
    "notional",
    "require_utc",
    "to_decimal",
    "to_epoch_ms",
    "to_primitive",
    "validate_client_order_id",
]

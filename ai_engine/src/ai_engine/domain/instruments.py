"""Instruments: what can be traded where, and the grid an order must sit on.

Filter values come from the venue (Binance ``exchangeInfo``, OANDA ``instruments``, Alpaca
``assets``) and are parsed into an ``Instrument`` by the venue adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ai_engine.domain.clock import require_utc
from ai_engine.domain.decimals import (
    is_on_step,
    snap_to_step,
    tidy_step,
    to_decimal,
    wide_divide,
)
from ai_engine.domain.enums import MarketType, OrderFilter, OrderSide, Rounding, Venue
from ai_engine.domain.errors import DomainValueError, FilterViolation
from ai_engine.domain.trading_hours import TradingHours
from ai_engine.domain.values import Price, Quantity, notional


@dataclass(frozen=True, slots=True)
class InstrumentId:
    """Venue + market + symbol: Binance's spot BTCUSDT and its perpetual BTCUSDT differ."""

    venue: Venue
    market_type: MarketType
    symbol: str

    def __post_init__(self) -> None:
        if not self.symbol or self.symbol != self.symbol.strip():
            raise DomainValueError(f"bad symbol {self.symbol!r}")

    def __str__(self) -> str:
        return f"{self.venue.value}:{self.market_type.value}:{self.symbol}"

    @classmethod
    def parse(cls, text: str) -> InstrumentId:
        """Inverse of ``str()``: ``"binance:usdm:BTCUSDT"``."""
        venue, market_type, symbol = text.split(":", 2)
        return cls(Venue(venue), MarketType(market_type), symbol)


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrument:
    """A tradable instrument and its order filters.

    Quantities are in base units for spot, contracts for futures (``contract_multiplier`` base
    units each), integer units for OANDA (``lot_step`` 1) and shares for stocks (``lot_step`` 1,
    or a fraction where fractional shares are allowed). ``trading_hours`` is None for markets
    that never close.
    """

    id: InstrumentId
    base_asset: str
    quote_asset: str
    settlement_asset: str  # the asset P&L, fees and margin are booked in (quote for spot/linear)
    tick_size: Decimal
    lot_step: Decimal
    min_quantity: Decimal
    max_quantity: Decimal | None = None
    min_notional: Decimal = Decimal(0)
    contract_multiplier: Decimal = Decimal(1)
    pip_size: Decimal | None = None  # forex: the conventional "pip" (0.0001, 0.01 for JPY pairs)
    trading_hours: TradingHours | None = None

    def __post_init__(self) -> None:
        # Venues send steps as strings with trailing zeros; keep them tidy and exact.
        for name in ("tick_size", "lot_step", "contract_multiplier"):
            value = to_decimal(getattr(self, name), what=name)
            if value <= 0:
                raise DomainValueError(f"{self.id}: {name} must be positive, got {value}")
            object.__setattr__(self, name, tidy_step(value))
        for name in ("min_quantity", "min_notional"):
            value = to_decimal(getattr(self, name), what=name)
            if value < 0:
                raise DomainValueError(f"{self.id}: {name} must not be negative, got {value}")
            object.__setattr__(self, name, value)
        if self.max_quantity is not None:
            top = to_decimal(self.max_quantity, what="max_quantity")
            if top < self.min_quantity:
                raise DomainValueError(f"{self.id}: max_quantity {top} is below min_quantity")
            object.__setattr__(self, "max_quantity", top)
        if self.pip_size is not None:
            pip = to_decimal(self.pip_size, what="pip_size")
            if pip <= 0:
                raise DomainValueError(f"{self.id}: pip_size must be positive, got {pip}")
            object.__setattr__(self, "pip_size", pip)

    @property
    def symbol(self) -> str:
        return self.id.symbol

    @property
    def venue(self) -> Venue:
        return self.id.venue

    @property
    def market_type(self) -> MarketType:
        return self.id.market_type

    @property
    def allows_fractional(self) -> bool:
        """False for OANDA units and whole-share stocks: the lot step is a whole number."""
        return self.lot_step < 1

    def round_price(self, price: Price | Decimal, rounding: Rounding) -> Price:
        """Snap a price onto the tick grid; raises if it rounds to zero (below one tick)."""
        raw = price.value if isinstance(price, Price) else to_decimal(price, what="price")
        snapped = snap_to_step(raw, self.tick_size, rounding)
        if snapped <= 0:
            raise DomainValueError(f"{self.id}: price {raw} is below one tick ({self.tick_size})")
        return Price(snapped)

    def round_limit_price(self, price: Price | Decimal, side: OrderSide) -> Price:
        """Round so a limit is never more aggressive than asked: buys down, sells up."""
        return self.round_price(price, Rounding.passive(side))

    def round_quantity(self, quantity: Quantity | Decimal) -> Quantity:
        """Snap a quantity DOWN onto the lot step: never trade more than was sized."""
        raw = quantity.value if isinstance(quantity, Quantity) else to_decimal(quantity)
        return Quantity(snap_to_step(raw, self.lot_step, Rounding.DOWN))

    def notional(self, price: Price, quantity: Quantity) -> Decimal:
        return notional(price, quantity, self.contract_multiplier)

    def check_order(self, price: Price | None, quantity: Quantity) -> None:
        """Raise ``FilterViolation`` naming the first filter the order breaks.

        ``price`` is the limit price, or for market orders a reference price (last, mark); with
        None the notional check is skipped.
        """
        qty = quantity.value
        if not is_on_step(qty, self.lot_step):
            raise FilterViolation(
                OrderFilter.LOT_STEP, f"quantity {qty} is not a multiple of {self.lot_step}"
            )
        if qty <= 0 or qty < self.min_quantity:
            raise FilterViolation(
                OrderFilter.MIN_QUANTITY, f"quantity {qty} is below {self.min_quantity}"
            )
        if self.max_quantity is not None and qty > self.max_quantity:
            raise FilterViolation(
                OrderFilter.MAX_QUANTITY, f"quantity {qty} is above {self.max_quantity}"
            )
        if price is None:
            return
        if not is_on_step(price.value, self.tick_size):
            raise FilterViolation(
                OrderFilter.TICK_SIZE, f"price {price} is not a multiple of {self.tick_size}"
            )
        value = self.notional(price, quantity)
        if value < self.min_notional:
            raise FilterViolation(
                OrderFilter.MIN_NOTIONAL, f"notional {value} is below {self.min_notional}"
            )

    def is_open(self, at: datetime) -> bool:
        """Whether the market trades at ``at`` (tz-aware UTC); always True without hours."""
        at = require_utc(at, what="at")
        return self.trading_hours is None or self.trading_hours.is_open(at)

    def to_pips(self, price_distance: Decimal) -> Decimal:
        """A price distance in pips (forex): 0.0012 on EUR_USD is 12 pips."""
        return wide_divide(to_decimal(price_distance, what="price distance"), self._pip())

    def from_pips(self, pips: Decimal | int) -> Decimal:
        """A number of pips as a price distance: 15 pips on USD_JPY is 0.15."""
        return to_decimal(pips, what="pips") * self._pip()

    def _pip(self) -> Decimal:
        if self.pip_size is None:
            raise DomainValueError(f"{self.id} has no pip size")
        return self.pip_size

"""Fills: one execution (trade) of an order at the venue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ai_engine.domain.clock import require_utc
from ai_engine.domain.enums import LiquiditySide, OrderSide
from ai_engine.domain.errors import DomainValueError
from ai_engine.domain.instruments import InstrumentId
from ai_engine.domain.values import Money, Price, Quantity, notional


@dataclass(frozen=True, slots=True, kw_only=True)
class Fill:
    """One trade against our order.

    ``trade_id`` is the venue's id of the execution and is unique per instrument: it is how a fill
    reported twice (websocket and REST) is recognised. ``fee`` is positive when paid and negative
    for a maker rebate; its asset may differ from the quote (BNB, or the base asset on spot buys).
    """

    client_order_id: str
    venue_order_id: str | None
    trade_id: str
    instrument_id: InstrumentId
    side: OrderSide
    price: Price
    quantity: Quantity
    fee: Money
    liquidity: LiquiditySide
    ts: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", require_utc(self.ts, what="fill ts"))
        if not self.trade_id:
            raise DomainValueError("a fill needs the venue's trade id")
        if self.quantity.is_zero():
            raise DomainValueError(f"fill {self.trade_id} has zero quantity")

    def quote_amount(self, multiplier: Decimal = Decimal(1)) -> Decimal:
        """Exact price * quantity (* contract size): what changed hands, before fees."""
        return notional(self.price, self.quantity, multiplier)

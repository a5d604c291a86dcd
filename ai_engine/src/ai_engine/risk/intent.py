"""``OrderIntent``: the order the risk engine is asked about, and the figures derived from it.

It is what risk needs of an order, not the execution record (which adds ids and venue
details): symbol, side, quantity, the price (limit, or a reference price for market orders),
the protective stop and the expected exit ("target"), leverage, fee rates and whether it may
only reduce a position. Fee rates are fractions per side (0.001 = 0.1 %); pass the worse one
(taker) when unsure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import DomainValueError, OrderSide, PositionSide, Price, Quantity, to_decimal
from ai_engine.domain.decimals import wide_divide

_ZERO = Decimal(0)
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderIntent:
    symbol: str
    side: OrderSide
    quantity: Quantity
    price: Price  # limit price, or the reference (last / mark) price of a market order
    entry_fee_rate: Decimal
    exit_fee_rate: Decimal
    stop_price: Price | None = None
    target_price: Price | None = None
    leverage: Decimal = _ONE
    contract_multiplier: Decimal = _ONE
    reduce_only: bool = False
    signal_score: Decimal | None = None  # 0-100 (strategies' score), when the gate needs one

    def __post_init__(self) -> None:
        if not self.symbol:
            raise DomainValueError("order intent needs a symbol")
        if self.quantity.is_zero():
            raise DomainValueError(f"order intent for {self.symbol} has zero quantity")
        for name in ("entry_fee_rate", "exit_fee_rate", "leverage", "contract_multiplier"):
            object.__setattr__(self, name, to_decimal(getattr(self, name), what=name))
        if self.entry_fee_rate < 0 or self.exit_fee_rate < 0 or self.entry_fee_rate >= 1:
            raise DomainValueError(f"order intent for {self.symbol}: fee rates must be in [0, 1)")
        if self.leverage < 1 or self.contract_multiplier <= 0:
            raise DomainValueError(f"order intent for {self.symbol}: bad leverage or multiplier")
        if self.signal_score is not None:
            object.__setattr__(self, "signal_score", to_decimal(self.signal_score, what="score"))

    @property
    def position_side(self) -> PositionSide:
        """The side of the position an entry opens."""
        return PositionSide.LONG if self.side is OrderSide.BUY else PositionSide.SHORT

    @property
    def units(self) -> Decimal:
        """Quantity times the contract multiplier: base units the order trades."""
        return self.quantity.value * self.contract_multiplier

    @property
    def notional(self) -> Decimal:
        return self.units * self.price.value

    @property
    def margin(self) -> Decimal:
        return wide_divide(self.notional, self.leverage)

    @property
    def stop_distance(self) -> Decimal | None:
        """Adverse price distance from entry to stop; None without a stop or on the wrong side."""
        if self.stop_price is None:
            return None
        move = self.price.value - self.stop_price.value
        move = move if self.side is OrderSide.BUY else -move
        return move if move > 0 else None

    @property
    def target_distance(self) -> Decimal | None:
        """Favourable price distance from entry to target; None when missing or wrong side."""
        if self.target_price is None:
            return None
        move = self.target_price.value - self.price.value
        move = move if self.side is OrderSide.BUY else -move
        return move if move > 0 else None

    @property
    def entry_fee(self) -> Decimal:
        return self.notional * self.entry_fee_rate

    @property
    def loss_at_stop(self) -> Decimal:
        """What the trade loses if its stop fills at the stop price: move plus both fees.

        Without a usable stop, the whole notional plus the entry fee (the worst case for a
        long; a convention for a short).
        """
        distance = self.stop_distance
        if distance is None or self.stop_price is None:
            return self.notional + self.entry_fee
        exit_fee = self.units * self.stop_price.value * self.exit_fee_rate
        return distance * self.units + self.entry_fee + exit_fee

    @property
    def fees_to_target(self) -> Decimal | None:
        """Round-trip fees if the trade exits at its target."""
        if self.target_price is None:
            return None
        return self.entry_fee + self.units * self.target_price.value * self.exit_fee_rate

    @property
    def expected_gross_profit(self) -> Decimal | None:
        """Profit before fees at the target; None without a target on the right side."""
        distance = self.target_distance
        return None if distance is None else distance * self.units

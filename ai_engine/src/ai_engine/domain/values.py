"""Exact value types: ``Price``, ``Quantity`` and ``Money``.

Each wraps one ``Decimal`` and refuses floats at construction, so a binary float can never
slip into an order or into the books. Build them from the venue's decimal string (``Price("0.1")``)
or from an ``int``/``Decimal``. They are immutable, hashable and ordered within their own type.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain.decimals import DecimalLike, exact, to_decimal
from ai_engine.domain.errors import DomainValueError


@dataclass(frozen=True, slots=True, order=True, init=False)
class Price:
    """A strictly positive price in the quote asset per unit of base (or per contract)."""

    value: Decimal

    def __init__(self, value: DecimalLike) -> None:
        number = to_decimal(value, what="price")
        if number <= 0:
            raise DomainValueError(f"price must be positive, got {number}")
        object.__setattr__(self, "value", number)

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True, order=True, init=False)
class Quantity:
    """A non-negative amount of the base asset, contracts, units or shares.

    Zero is allowed (an order's filled quantity starts there); a side always travels separately.
    """

    value: Decimal

    def __init__(self, value: DecimalLike) -> None:
        number = to_decimal(value, what="quantity")
        if number < 0:
            raise DomainValueError(f"quantity must not be negative, got {number}")
        object.__setattr__(self, "value", number)

    @classmethod
    def zero(cls) -> Quantity:
        return cls(0)

    def is_zero(self) -> bool:
        return self.value == 0

    def __add__(self, other: Quantity) -> Quantity:
        with exact():
            return Quantity(self.value + other.value)

    def __sub__(self, other: Quantity) -> Quantity:
        # Raises through the constructor if the result would be negative: never silently clip.
        with exact():
            return Quantity(self.value - other.value)

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True, init=False)
class Money:
    """A signed amount of one asset (a fee, a balance, a P&L figure): ``Money("1.5", "USDT")``."""

    amount: Decimal
    asset: str

    def __init__(self, amount: DecimalLike, asset: str) -> None:
        if not asset or asset != asset.strip():
            raise DomainValueError(f"money needs an asset code, got {asset!r}")
        object.__setattr__(self, "amount", to_decimal(amount, what="amount"))
        object.__setattr__(self, "asset", asset)

    @classmethod
    def zero(cls, asset: str) -> Money:
        return cls(0, asset)

    def __add__(self, other: Money) -> Money:
        self._same_asset(other)
        with exact():
            return Money(self.amount + other.amount, self.asset)

    def __sub__(self, other: Money) -> Money:
        self._same_asset(other)
        with exact():
            return Money(self.amount - other.amount, self.asset)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.asset)

    def _same_asset(self, other: Money) -> None:
        if other.asset != self.asset:
            raise DomainValueError(f"cannot combine {self.asset} with {other.asset}")

    def __str__(self) -> str:
        return f"{self.amount} {self.asset}"


def notional(price: Price, quantity: Quantity, multiplier: Decimal = Decimal(1)) -> Decimal:
    """Exact value of ``quantity`` at ``price`` in the quote asset (times the contract size)."""
    with exact():
        return price.value * quantity.value * multiplier

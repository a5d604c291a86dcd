"""Reading Binance JSON: one helper per wire type, each naming what it could not read.

Binance sends decimals as strings and times as integer epoch milliseconds; both are converted
here, once. A field that is missing or malformed raises ``BadVenueAnswer`` naming the
endpoint and the field, so a protocol change shows up as a clear error instead of a wrong
number. Prices of ``0`` mean "none" in Binance's answers (a market order's price).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ai_engine.domain import (
    DomainValueError,
    FatalError,
    OrderSide,
    OrderStatus,
    Price,
    Quantity,
    TimeInForce,
    from_epoch_ms,
    to_decimal,
)

Json = Mapping[str, Any]

SIDES = {"BUY": OrderSide.BUY, "SELL": OrderSide.SELL}
SIDE_NAMES = {side: name for name, side in SIDES.items()}
STATUSES = {
    "NEW": OrderStatus.ACCEPTED,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "PENDING_CANCEL": OrderStatus.PENDING_CANCEL,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,
}
TIME_IN_FORCE = {
    "GTC": TimeInForce.GTC,
    "IOC": TimeInForce.IOC,
    "FOK": TimeInForce.FOK,
    "GTX": TimeInForce.GTX,
}
TIF_NAMES = {tif: name for name, tif in TIME_IN_FORCE.items()}


class BadVenueAnswer(FatalError):  # noqa: N818 - name shared with BadMarketData
    """An answer the adapter cannot read: a missing field, a malformed value, an unknown enum."""

    def __init__(self, message: str, *, endpoint: str) -> None:
        super().__init__(f"{endpoint}: {message}")
        self.endpoint = endpoint


class Reader:
    """Typed access to one JSON object of one endpoint's answer."""

    def __init__(self, body: object, endpoint: str) -> None:
        if not isinstance(body, Mapping):
            raise BadVenueAnswer(
                f"expected an object, got {type(body).__name__}", endpoint=endpoint
            )
        self.body: Json = body
        self.endpoint = endpoint

    def fail(self, message: str) -> BadVenueAnswer:
        return BadVenueAnswer(message, endpoint=self.endpoint)

    def raw(self, name: str) -> Any:
        if name not in self.body:
            raise self.fail(f"missing field {name!r}")
        return self.body[name]

    def has(self, name: str) -> bool:
        return self.body.get(name) not in (None, "")

    def text(self, name: str) -> str:
        value = self.raw(name)
        if not isinstance(value, str) or not value:
            raise self.fail(f"field {name!r} should be a non-empty string, got {value!r}")
        return value

    def ident(self, name: str) -> str:
        """An id Binance sends as a number or a string; kept as a string."""
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
            raise self.fail(f"field {name!r} should be an id, got {value!r}")
        return str(value)

    def integer(self, name: str) -> int:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"field {name!r} should be an integer, got {value!r}")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.body.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(f"field {name!r} should be true/false, got {value!r}")
        return value

    def decimal(self, name: str) -> Decimal:
        value = self.raw(name)
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self.fail(f"field {name!r} should be a decimal string, got {value!r}")
        try:
            return to_decimal(value, what=name)
        except DomainValueError as exc:
            raise self.fail(str(exc)) from None

    def quantity(self, name: str) -> Quantity:
        value = self.decimal(name)
        if value < 0:
            raise self.fail(f"field {name!r} is negative: {value}")
        return Quantity(value)

    def price_or_none(self, name: str) -> Price | None:
        """A price where 0 (or absent, or "") means none."""
        if not self.has(name):
            return None
        value = self.decimal(name)
        if value < 0:
            raise self.fail(f"field {name!r} is negative: {value}")
        return Price(value) if value > 0 else None

    def price(self, name: str) -> Price:
        price = self.price_or_none(name)
        if price is None:
            raise self.fail(f"field {name!r} should be a positive price")
        return price

    def time(self, name: str) -> datetime:
        return from_epoch_ms(self.integer(name))

    def time_of(self, *names: str) -> datetime:
        """The first of ``names`` present and positive (answers differ in which they carry)."""
        for name in names:
            value = self.body.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return from_epoch_ms(value)
        raise self.fail(f"none of the time fields {names} is present")

    def choice(self, name: str, table: Mapping[str, Any]) -> Any:
        value = self.raw(name)
        if value not in table:
            raise self.fail(f"unknown {name} {value!r}")
        return table[value]


def wire_decimal(value: Decimal) -> str:
    """A decimal as Binance accepts it: plain notation, no exponent, no trailing zeros.

    Trailing zeros matter on USD-M, which refuses more decimals than the symbol's precision
    (-1111) even when they are zeros."""
    return format(value.normalize(), "f")

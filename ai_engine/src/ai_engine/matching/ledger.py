"""Balances of one account: free and locked amounts per asset, exact, never negative.

Open orders lock what they may spend (a buy: limit price x remaining quantity of the quote
asset; a sell: the remaining base quantity); a fill spends from the lock or, for a taker fill
at submission, straight from the free amount.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

from ai_engine.domain import DomainValueError
from ai_engine.domain.decimals import exact
from ai_engine.matching.errors import OrderRejected, RejectReason

_ZERO = Decimal(0)


class Ledger:
    __slots__ = ("_free", "_locked")

    def __init__(self, balances: Mapping[str, Decimal] | None = None) -> None:
        self._free: dict[str, Decimal] = {}
        self._locked: dict[str, Decimal] = {}
        for asset, amount in sorted((balances or {}).items()):
            if amount < 0:
                raise DomainValueError(f"starting balance of {asset} is negative: {amount}")
            self._free[asset] = amount
            self._locked[asset] = _ZERO

    def free(self, asset: str) -> Decimal:
        return self._free.get(asset, _ZERO)

    def locked(self, asset: str) -> Decimal:
        return self._locked.get(asset, _ZERO)

    def total(self, asset: str) -> Decimal:
        with exact():
            return self.free(asset) + self.locked(asset)

    def assets(self) -> list[str]:
        """Every asset ever held, sorted (so listings are deterministic)."""
        return sorted(self._free)

    def __iter__(self) -> Iterator[tuple[str, Decimal, Decimal]]:
        """(asset, free, locked) per asset, sorted by asset."""
        for asset in self.assets():
            yield asset, self._free[asset], self._locked[asset]

    def require_free(self, asset: str, amount: Decimal) -> None:
        if self.free(asset) < amount:
            raise OrderRejected(
                RejectReason.INSUFFICIENT_BALANCE,
                f"{asset}: need {amount}, free {self.free(asset)}",
            )

    def lock(self, asset: str, amount: Decimal) -> None:
        self.require_free(asset, amount)
        with exact():
            self._free[asset] -= amount
            self._locked[asset] += amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        with exact():
            self._take(self._locked, asset, amount)
            self._free[asset] += amount

    def spend_free(self, asset: str, amount: Decimal) -> None:
        with exact():
            self._take(self._free, asset, amount)

    def spend_locked(self, asset: str, amount: Decimal) -> None:
        with exact():
            self._take(self._locked, asset, amount)

    def credit(self, asset: str, amount: Decimal) -> None:
        if amount < 0:
            raise DomainValueError(f"cannot credit a negative amount of {asset}: {amount}")
        with exact():
            self._free[asset] = self.free(asset) + amount
            self._locked.setdefault(asset, _ZERO)

    def set_balance(self, asset: str, free: Decimal) -> None:
        """Admin top-up or reset of the free amount (locks are left alone)."""
        if free < 0:
            raise DomainValueError(f"balance of {asset} must not be negative: {free}")
        self._free[asset] = free
        self._locked.setdefault(asset, _ZERO)

    @staticmethod
    def _take(book: dict[str, Decimal], asset: str, amount: Decimal) -> None:
        have = book.get(asset, _ZERO)
        if amount < 0 or have < amount:
            # A bookkeeping bug, not a user error: balances never go below zero.
            raise AssertionError(f"{asset}: cannot take {amount} from {have}")
        book[asset] = have - amount

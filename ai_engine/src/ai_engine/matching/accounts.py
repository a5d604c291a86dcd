"""The spot venue's accounts: a ledger of balances and the fee rates of each, by account id.

Opening an id twice is a caller's bug (``ValueError``); trading on an id never opened is the
venue's ``UNKNOWN_ACCOUNT``. What an order locks goes back to the ledger through ``release``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ai_engine.matching.errors import OrderRejected, RejectReason
from ai_engine.matching.ledger import Ledger
from ai_engine.matching.orders import SimOrder
from ai_engine.matching.params import FeeRates


@dataclass(slots=True)
class Account:
    ledger: Ledger
    fees: FeeRates

    def release(self, order: SimOrder) -> None:
        """Unlock what ``order`` still holds (it is ending: canceled or expired)."""
        if order.locked > 0:
            self.ledger.unlock(order.lock_asset, order.locked)


class Accounts:
    __slots__ = ("_accounts",)

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}

    def open(self, account_id: str, balances: Mapping[str, Decimal], fees: FeeRates | None) -> None:
        if account_id in self._accounts:
            raise ValueError(f"account {account_id!r} exists")
        self._accounts[account_id] = Account(Ledger(balances), fees or FeeRates())

    def __contains__(self, account_id: str) -> bool:
        return account_id in self._accounts

    def get(self, account_id: str) -> Account:
        account = self._accounts.get(account_id)
        if account is None:
            raise OrderRejected(RejectReason.UNKNOWN_ACCOUNT, account_id)
        return account

    def ledger(self, account_id: str) -> Ledger:
        return self.get(account_id).ledger

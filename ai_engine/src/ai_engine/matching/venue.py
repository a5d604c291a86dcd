"""The spot engine's state and the lookups every part of it uses: markets, accounts, the order
registry and the OCO lists.

Submission (``submission.py``), cancellation (``cancellation.py``) and what a closed bar or a
public trade does to resting orders (``resting_orders.py``) are functions over a ``Venue``, and
fills go through ``execution.py``; ``engine.py`` is the public face.
"""

from __future__ import annotations

from collections.abc import Iterable

from ai_engine.domain import Instrument
from ai_engine.matching.accounts import Accounts
from ai_engine.matching.book import Book
from ai_engine.matching.errors import OrderRejected, RejectReason
from ai_engine.matching.market import Market
from ai_engine.matching.order_lists import OrderLists
from ai_engine.matching.orders import Execution, SimOrder
from ai_engine.matching.params import BookParams
from ai_engine.matching.registry import OrderRegistry


class Venue:
    __slots__ = ("accounts", "lists", "markets", "params", "registry")

    def __init__(self, instruments: Iterable[Instrument], params: BookParams) -> None:
        self.params = params
        self.markets = {inst.symbol: Market(inst) for inst in instruments}
        self.accounts = Accounts()
        self.registry: OrderRegistry[SimOrder, Execution] = OrderRegistry(self.markets)
        self.lists = OrderLists(self.registry, self.accounts.ledger)  # OCO: linked legs, one lock

    def market(self, symbol: str) -> Market:
        market = self.markets.get(symbol)
        if market is None:
            raise OrderRejected(RejectReason.UNKNOWN_SYMBOL, symbol)
        return market

    def book(self, market: Market) -> Book:
        """The market's current book; ``NO_MARKET`` before its first closed bar (or, replaying
        ticks, before its first real book)."""
        if market.book is None:
            raise OrderRejected(RejectReason.NO_MARKET, market.symbol)
        return market.book

    def find(
        self, account_id: str, symbol: str, order_id: int | None, client_order_id: str | None
    ) -> SimOrder | None:
        """An order by id, or the latest one with that client order id."""
        self.market(symbol)
        return self.registry.find(account_id, symbol, order_id, client_order_id)

    def open_orders(self, account_id: str, symbol: str | None = None) -> list[SimOrder]:
        symbols = [symbol] if symbol is not None else list(self.markets)
        for name in symbols:
            self.market(name)
        return self.registry.open_orders(account_id, symbols)

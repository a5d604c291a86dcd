"""The matching engine: accounts, orders and fills against books built from closed bars or
replayed from real L2 levels and trades.

One instance is one venue. Each symbol is fed in time order either closed bars (``on_bar``:
the book is built from the bar) or ticks -- real books (``set_book``) and public trades
(``on_trade``) -- plus orders (``submit``/``cancel``); it never reads a clock, never draws a
random number and iterates only over insertion-ordered containers, so the same market data and
the same calls give the same fills. Callers (the simulated exchange, the backtester) own the
clock and pass times in, as epoch ms.

This is the public face; the rules live in ``book.py`` (books and what our takers leave),
``submission.py`` (order types on arrival), ``resting_orders.py`` (what a bar or a trade does to
resting orders), ``cancellation.py``, ``execution.py`` (a fill) and ``order_lists.py`` (OCO), all
over the state kept in ``venue.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from ai_engine.domain import Bar, Instrument
from ai_engine.matching import cancellation, resting_orders, submission
from ai_engine.matching.book import Book
from ai_engine.matching.ledger import Ledger
from ai_engine.matching.order_lists import OrderList, OrderLists
from ai_engine.matching.orders import Execution, OrderRequest, SimOrder, SubmitResult
from ai_engine.matching.params import BookParams, FeeRates
from ai_engine.matching.venue import Venue


class MatchingEngine:
    """A spot venue: see the module docstring and docs/sim-exchange.md for the rules."""

    def __init__(self, instruments: Iterable[Instrument], params: BookParams | None = None) -> None:
        self._venue = Venue(instruments, params or BookParams())

    @property
    def params(self) -> BookParams:
        return self._venue.params

    @property
    def lists(self) -> OrderLists:
        """The OCO lists: linked legs under one lock."""
        return self._venue.lists

    # -- accounts ------------------------------------------------------------------------

    def open_account(
        self, account_id: str, balances: Mapping[str, Decimal], fees: FeeRates | None = None
    ) -> None:
        self._venue.accounts.open(account_id, balances, fees)

    def has_account(self, account_id: str) -> bool:
        return account_id in self._venue.accounts

    def ledger(self, account_id: str) -> Ledger:
        return self._venue.accounts.get(account_id).ledger

    def fee_rates(self, account_id: str) -> FeeRates:
        return self._venue.accounts.get(account_id).fees

    # -- market --------------------------------------------------------------------------

    @property
    def symbols(self) -> list[str]:
        return list(self._venue.markets)

    def instrument(self, symbol: str) -> Instrument:
        return self._venue.market(symbol).instrument

    def book(self, symbol: str) -> Book | None:
        return self._venue.market(symbol).book

    def last_bar(self, symbol: str) -> Bar | None:
        return self._venue.market(symbol).last_bar

    def last_price(self, symbol: str) -> Decimal | None:
        """The last trade price (tick replay), else the last bar's close; None before both."""
        return self._venue.market(symbol).last_traded

    def has_resting(self, symbol: str) -> bool:
        self._venue.market(symbol)
        return bool(self._venue.registry.open_on(symbol))

    def resting(self, symbol: str) -> list[SimOrder]:
        """Open orders on ``symbol`` of every account, in order-id (time priority) order."""
        self._venue.market(symbol)
        return list(self._venue.registry.open_on(symbol).values())

    def on_bar(self, symbol: str, bar: Bar, book_mid: Decimal | None = None) -> list[Execution]:
        """``bar`` of ``symbol`` has closed: fill/trigger resting orders, then rebuild the book.

        Bars must come in time order; bars may be skipped while nothing rests on the symbol.
        Orders are visited in order-id order (time priority).
        """
        return resting_orders.on_bar(self._venue, symbol, bar, book_mid)

    def set_book(self, symbol: str, book: Book, ts_ms: int) -> None:
        """Make ``book`` (real levels: ``Book.from_levels``) the current book of ``symbol``.

        What our takers consumed from the book it replaces stays consumed where the recorded
        quantity is unchanged (``Book.carry_takes``); its reference price is the last trade.
        """
        self._venue.market(symbol).set_book(book, ts_ms)

    def on_trade(
        self,
        symbol: str,
        ts_ms: int,
        price: Decimal,
        quantity: Decimal,
        buyer_is_maker: bool,
    ) -> list[Execution]:
        """A public trade of ``symbol`` printed at ``ts_ms``: fill resting limits it went
        through (as maker, at most ``quantity`` in all), trigger stops it reached (they take
        from the current book). Trades must come in time order. ``buyer_is_maker`` (the taker
        sold) does not change the rules: a print is a print whichever side was aggressive.
        """
        del buyer_is_maker
        return resting_orders.on_trade(self._venue, symbol, ts_ms, price, quantity)

    # -- orders --------------------------------------------------------------------------

    def check(self, request: OrderRequest) -> None:
        """Validate ``request`` as ``submit`` would (filters), without trading."""
        submission.check(self._venue, request)

    def submit(self, request: OrderRequest, now_ms: int) -> SubmitResult:
        """Accept, fill and/or rest a new order; raises ``OrderRejected``/``FilterViolation``."""
        return submission.submit(self._venue, request, now_ms)

    def cancel(
        self,
        account_id: str,
        symbol: str,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
        now_ms: int,
    ) -> SimOrder:
        """Cancel an open order, releasing what it locked; ``UNKNOWN_ORDER`` if not open."""
        return cancellation.cancel(
            self._venue, account_id, symbol, order_id, client_order_id, now_ms
        )

    def cancel_all(self, account_id: str, symbol: str, now_ms: int) -> list[SimOrder]:
        """Cancel every open order of the account on ``symbol`` (order-id order)."""
        return cancellation.cancel_all(self._venue, account_id, symbol, now_ms)

    def submit_oco(
        self, legs: Sequence[OrderRequest], list_client_id: str, now_ms: int
    ) -> OrderList:
        """Place two orders as an OCO list: both rest under one lock (rules in order_lists)."""
        return submission.submit_oco(self._venue, legs, list_client_id, now_ms)

    def order(
        self,
        account_id: str,
        symbol: str,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
    ) -> SimOrder | None:
        """An order by id, or the latest one with that client order id."""
        return self._venue.find(account_id, symbol, order_id, client_order_id)

    def orders(self, account_id: str, symbol: str) -> list[SimOrder]:
        """Every order of the account on ``symbol``, open or not, by order id."""
        self._venue.market(symbol)
        return self._venue.registry.orders(account_id, symbol)

    def open_orders(self, account_id: str, symbol: str | None = None) -> list[SimOrder]:
        return self._venue.open_orders(account_id, symbol)

    def trades(self, account_id: str, symbol: str) -> list[Execution]:
        self._venue.market(symbol)
        return self._venue.registry.trades(account_id, symbol)

    @property
    def fills(self) -> Sequence[Execution]:
        """The fill log: every execution of every account, in execution order."""
        return self._venue.registry.fills

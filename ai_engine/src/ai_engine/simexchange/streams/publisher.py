"""Where the spot exchange reports order changes: user data events and book takes.

The exchange calls it at the few places orders change state: ``trading.place``/``cancel``
(requests) and ``SimExchange.sync`` (bars or replayed trades filling or triggering resting
orders, through ``on_bar``/``on_trade``); and ``SimExchange.deposit`` for balances moved from
outside trading. Payloads are built only for accounts with a user data subscriber. Takes from
a symbol replayed tick by tick are not logged for the book streams: those show the recorded
book (``tick_replay``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from decimal import Decimal

from ai_engine.domain import Bar
from ai_engine.matching import Execution, MatchingEngine, SimOrder, SubmitResult
from ai_engine.simexchange.streams.book_changes import BookChanges
from ai_engine.simexchange.streams.bus import EventBus, user_channel
from ai_engine.simexchange.streams.user_events import (
    account_position,
    balance_update,
    execution_report,
    reports,
)

MARKET = "spot"


class Publisher:
    def __init__(
        self,
        bus: EventBus,
        engine: MatchingEngine,
        books: BookChanges,
        tick_symbols: Collection[str] = (),
    ) -> None:
        self._bus = bus
        self._engine = engine
        self._books = books
        self._tick_symbols = frozenset(tick_symbols)
        self._event_id = 0  # executionReport "I": one per event, across accounts

    def order_placed(self, result: SubmitResult) -> None:
        order = result.order
        if result.fills and order.symbol not in self._tick_symbols:  # took from a bar book
            book, bar = self._engine.book(order.symbol), self._engine.last_bar(order.symbol)
            if book is not None and bar is not None:
                self._books.took(order.symbol, bar, book, order.time_ms)
        self._report(order, result.fills, new=True)

    def orders_canceled(self, orders: Iterable[SimOrder]) -> None:
        for order in orders:
            self._report(order, (), new=False)

    def balance_changed(self, api_key: str, asset: str, delta: Decimal, now_ms: int) -> None:
        """A deposit or withdrawal: ``balanceUpdate``, then the asset's new position."""
        channel = user_channel(MARKET, api_key)
        if self._bus.has_subscribers(channel):
            ledger = self._engine.ledger(api_key)
            self._bus.publish(channel, balance_update(asset, delta, now_ms))
            self._bus.publish(channel, account_position(ledger, (asset,), now_ms))

    def on_bar(self, symbol: str, bar: Bar, book_mid: Decimal | None = None) -> list[Execution]:
        """``engine.on_bar``, reporting what it did to the resting orders of watched accounts
        (fills, and stops that triggered and expired)."""
        return self._on_market(symbol, lambda: self._engine.on_bar(symbol, bar, book_mid))

    def on_trade(
        self, symbol: str, ts_ms: int, price: Decimal, quantity: Decimal, buyer_is_maker: bool
    ) -> list[Execution]:
        """``engine.on_trade`` (tick replay), reported as ``on_bar`` reports a bar."""
        return self._on_market(
            symbol,
            lambda: self._engine.on_trade(symbol, ts_ms, price, quantity, buyer_is_maker),
        )

    def _on_market(self, symbol: str, apply: Callable[[], list[Execution]]) -> list[Execution]:
        watched = []
        if self._engine.has_resting(symbol):
            watched = [
                order
                for order in self._engine.resting(symbol)
                if self._bus.has_subscribers(user_channel(MARKET, order.account_id))
            ]
        fills = apply()
        for before in watched:
            after = self._engine.order(before.account_id, symbol, order_id=before.order_id)
            if after is not None and after is not before:
                self._report(after, fills, new=False)
        return fills

    def _report(self, order: SimOrder, fills: Iterable[Execution], *, new: bool) -> None:
        channel = user_channel(MARKET, order.account_id)
        if not self._bus.has_subscribers(channel):
            return
        events = reports(order, fills, new=new)
        for report in events:
            self._event_id += 1
            self._bus.publish(channel, execution_report(report, self._event_id))
        if events:
            inst = self._engine.instrument(order.symbol)
            ledger = self._engine.ledger(order.account_id)
            assets = (inst.base_asset, inst.quote_asset)
            self._bus.publish(channel, account_position(ledger, assets, events[-1].event_ms))

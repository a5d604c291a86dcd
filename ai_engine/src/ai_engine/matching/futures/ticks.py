"""What one tick does to a perpetual replayed tick by tick: a public trade or a mark-price update.

The venue sets the symbol's real book as recorded depth arrives (``Market.set_book``) and feeds
trades and recorded mark prices in time order. A trade:

1. fills resting limits it prints strictly through, as maker at their price, at most the printed
   quantity shared in order-id order (the spot rule: ``resting_orders.TradeEvent``);
2. becomes the last price (the contract price) and the book's reference price;
3. shows its price to the algo orders that watch the contract price (CONTRACT_PRICE, and
   MARK_PRICE ones while the mark is the trade price): stops it reaches fire and take from the
   current real book, trailing stops trail it;
4. while no recorded mark price is the mark -- none was recorded, or the last one is more than
   ``MARK_STALE_MS`` (3 s) older than the trade -- it is also the mark: positions are checked
   for liquidation at it.

A recorded mark-price update becomes the mark, shows itself to MARK_PRICE algo orders and checks
liquidations at it. Orders and algo orders are reached by ticks at or after their placement.
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.matching.book import Book
from ai_engine.matching.futures import orders
from ai_engine.matching.futures.algos import process_algos
from ai_engine.matching.futures.core import Core, FuturesMarket
from ai_engine.matching.futures.liquidation import check_liquidations
from ai_engine.matching.futures.records import AlgoOrder, WorkingType
from ai_engine.matching.futures.triggers import PriceRange
from ai_engine.matching.resting_orders import TradeEvent

_CONTRACT = frozenset({WorkingType.CONTRACT_PRICE})
_BOTH = frozenset(WorkingType)
_MARK = frozenset({WorkingType.MARK_PRICE})


class TickPrices:
    """One price shown to the algo orders watching ``watched`` working types."""

    __slots__ = ("_price", "_watched", "reach_ms", "ts_ms")

    def __init__(self, ts_ms: int, price: Decimal, watched: frozenset[WorkingType]) -> None:
        self.reach_ms = self.ts_ms = ts_ms
        self._price, self._watched = price, watched

    def prices(self, algo: AlgoOrder) -> PriceRange | None:
        return (self._price, self._price) if algo.working_type in self._watched else None

    def book(self, market: FuturesMarket, trigger: Decimal, algo: AlgoOrder) -> Book | None:
        return market.book

    def order(self, waiting: dict[int, AlgoOrder]) -> list[int]:
        return list(waiting)  # one price: the order they were placed in


def on_trade(core: Core, symbol: str, ts_ms: int, price: Decimal, quantity: Decimal) -> None:
    market = core.market(symbol)
    if market.last_trade_ms is not None and ts_ms < market.last_trade_ms:
        raise ValueError(f"{symbol}: trade at {ts_ms} is before {market.last_trade_ms}")
    orders.fill_resting(core, market, TradeEvent(ts_ms, price, quantity), ts_ms)
    market.last_price, market.last_trade_ms = price, ts_ms
    if market.book is not None:
        market.book.mid = price
    sets_mark = not market.mark_is_recorded(ts_ms)
    process_algos(core, market, TickPrices(ts_ms, price, _BOTH if sets_mark else _CONTRACT))
    if sets_mark:
        check_liquidations(core, market, price, price, ts_ms)


def on_mark(core: Core, symbol: str, ts_ms: int, mark: Decimal) -> None:
    market = core.market(symbol)
    market.recorded_mark, market.recorded_mark_ms = mark, ts_ms
    process_algos(core, market, TickPrices(ts_ms, mark, _MARK))
    check_liquidations(core, market, mark, mark, ts_ms)


def watches_trades(core: Core, symbol: str) -> bool:
    """Whether a trade of ``symbol`` can change anything but the last price: an open order or
    algo order, or a position (a trade may be its mark). If not, a caller may skip trades."""
    if core.registry.open_on(symbol) or core.registry.open_algos_on(symbol):
        return True
    return core.has_position(symbol)

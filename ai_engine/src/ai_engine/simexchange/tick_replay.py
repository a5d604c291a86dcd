"""Tick-by-tick replay of the symbols whose store holds trades and L2 depth (``tick_data``), into
one venue's engine: the spot ``MatchingEngine`` (through ``SpotTicks``) or the USD-M
``FuturesEngine`` (a ``TickTarget`` itself).

As the replay clock moves, ``advance(now)`` applies every stored depth event, trade and recorded
mark price with ``time <= now``, in time order across the symbols (at the same millisecond a
symbol's trades come before its depth event -- a diff stamped E reports the book after the
trades up to E -- and its mark comes last):

- a depth event (the REST snapshot, then the diffs) goes to the symbol's ``OrderBook``
  (``marketdata.orderbook``, Binance's sequencing rules: spot, or USD-M with ``pu``); a book
  that is not in sync (before the snapshot, after a gap) shows no levels;
- a trade goes to the target's ``on_trade``: resting limits it goes through fill as maker,
  stops it reaches trigger and take from the current book. While nothing on the symbol
  watches trades (``watches_trades``), they are skipped in bulk and only the last one is
  passed on (it sets the last price);
- a recorded mark price (USD-M) goes to the target's ``on_mark``.

The engine's book of the symbol is the top ``depth_levels`` levels per side of the replayed
``OrderBook``, rebuilt lazily -- once after each ``advance`` if a depth event changed it, and
before a trade or a mark only while a stop rests on the symbol (``stops_rest``: a stop the tick
triggers takes from the book; a limit fills at its own price) -- so a replay does not build a
book per event. What our takers consumed stays consumed until the recorded quantity of that
level changes (``matching.book``). The market streams render from the stored ticks themselves
(``streams/render_ticks``, ``streams/tick_book_feed``), without our takes: the replayed
market never saw them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from ai_engine.domain import Instrument
from ai_engine.marketdata.captures import DepthSnapshot
from ai_engine.marketdata.orderbook import DiffOutcome, OrderBook
from ai_engine.matching import Book, Execution, MatchingEngine
from ai_engine.simexchange.market import to_decimal
from ai_engine.simexchange.streams.publisher import Publisher
from ai_engine.simexchange.tick_data import TickData, next_time

F = TypeVar("F")


class TickTarget(Protocol[F]):
    """The venue side of a tick replay."""

    def instrument(self, symbol: str) -> Instrument: ...
    def book(self, symbol: str) -> Book | None: ...
    def set_book(self, symbol: str, book: Book, ts_ms: int) -> None: ...
    def watches_trades(self, symbol: str) -> bool: ...
    def stops_rest(self, symbol: str) -> bool: ...
    def on_trade(
        self, symbol: str, ts_ms: int, price: Decimal, quantity: Decimal, buyer_is_maker: bool
    ) -> list[F]: ...
    def on_mark(self, symbol: str, ts_ms: int, mark: Decimal) -> list[F]: ...


class SpotTicks:
    """The spot engine as a tick target; trades go through the publisher (user data)."""

    def __init__(self, engine: MatchingEngine, publisher: Publisher) -> None:
        self._engine = engine
        self._publisher = publisher

    def instrument(self, symbol: str) -> Instrument:
        return self._engine.instrument(symbol)

    def book(self, symbol: str) -> Book | None:
        return self._engine.book(symbol)

    def set_book(self, symbol: str, book: Book, ts_ms: int) -> None:
        self._engine.set_book(symbol, book, ts_ms)

    def watches_trades(self, symbol: str) -> bool:
        return self._engine.has_resting(symbol)

    def stops_rest(self, symbol: str) -> bool:
        """Whether an untriggered stop rests on ``symbol`` (limits fill at their own price and
        need no book)."""
        if not self._engine.has_resting(symbol):
            return False
        return any(not order.is_working for order in self._engine.resting(symbol))

    def on_trade(
        self, symbol: str, ts_ms: int, price: Decimal, quantity: Decimal, buyer_is_maker: bool
    ) -> list[Execution]:
        return self._publisher.on_trade(symbol, ts_ms, price, quantity, buyer_is_maker)

    def on_mark(self, symbol: str, ts_ms: int, mark: Decimal) -> list[Execution]:
        raise ValueError(f"{symbol}: spot has no mark price")


class TickReplay(Generic[F]):
    def __init__(
        self,
        data: Mapping[str, TickData],
        target: TickTarget[F],
        *,
        depth_levels: int = 100,  # levels per side of the engine's book (SimConfig.depth_levels)
        futures: bool = False,  # USD-M: Binance's futures sequencing (pu)
    ) -> None:
        if depth_levels < 1:
            raise ValueError(f"depth_levels must be at least 1, got {depth_levels}")
        self.data = dict(data)
        self._target = target
        self._depth_levels = depth_levels
        self._l2 = {symbol: OrderBook(symbol, futures=futures) for symbol in self.data}
        self._events_done = dict.fromkeys(self.data, 0)
        self._trades_done = dict.fromkeys(self.data, 0)
        self._marks_done = dict.fromkeys(self.data, 0)
        self._book_ms = dict.fromkeys(self.data, 0)  # time of the last applied depth event
        self._dirty: set[str] = set()  # symbols whose engine book is behind their OrderBook
        self.gaps = dict.fromkeys(self.data, 0)  # depth events that did not chain

    @property
    def symbols(self) -> list[str]:
        return list(self.data)

    def _due(self, symbol: str) -> float:
        return next_time(
            self.data[symbol],
            self._events_done[symbol],
            self._trades_done[symbol],
            self._marks_done[symbol],
        )

    def next_due(self) -> float:
        """The time of the next unapplied event of any symbol (``math.inf``: none left)."""
        return min((self._due(symbol) for symbol in self.data), default=math.inf)

    def update_id(self, symbol: str) -> int:
        """The replayed book's update id (REST ``lastUpdateId``); 0 before its snapshot."""
        return self._l2[symbol].last_update_id or 0

    def l2(self, symbol: str) -> OrderBook:
        """The replayed book as recorded (without our takes)."""
        return self._l2[symbol]

    def advance(self, now_ms: int) -> list[F]:
        """Apply every event, trade and mark with time <= ``now_ms``; the fills they caused."""
        fills: list[F] = []
        while True:
            due = {symbol: self._due(symbol) for symbol in self.data}
            symbol = min(due, key=lambda s: (due[s], s), default=None)
            if symbol is None or due[symbol] > now_ms:
                break
            fills += self._step(symbol, now_ms)
        for symbol in sorted(self._dirty):
            self.ensure_book(symbol)
        return fills

    def ensure_book(self, symbol: str) -> None:
        """Bring the engine's book of ``symbol`` up to its replayed ``OrderBook``."""
        if symbol not in self._dirty:
            return
        self._dirty.discard(symbol)
        l2 = self._l2[symbol]
        if not l2.synced and self._target.book(symbol) is None:
            return  # no book yet: orders are refused as on a closed market
        levels = self._depth_levels
        bids = [(Decimal(p), Decimal(q)) for p, q in l2.top("bid", levels)]
        asks = [(Decimal(p), Decimal(q)) for p, q in l2.top("ask", levels)]
        book = Book.from_levels(bids, asks, self._target.instrument(symbol))
        self._target.set_book(symbol, book, self._book_ms[symbol])

    # -- one step ----------------------------------------------------------------------------

    def _step(self, symbol: str, now_ms: int) -> list[F]:
        data = self.data[symbol]
        done, traded, marked = (
            self._events_done[symbol], self._trades_done[symbol], self._marks_done[symbol]
        )  # fmt: skip
        event_ms = int(data.event_time[done]) if done < data.events else math.inf
        mark_ms = int(data.mark_time[marked]) if marked < data.marks else math.inf
        trades = data.trades
        if traded < len(trades) and trades.time[traded] <= min(event_ms, mark_ms):
            if not self._target.watches_trades(symbol):  # nothing to fill: only the last matters
                until = int(min(now_ms, event_ms, mark_ms))
                traded = max(traded, data.trades_until(until) - 1)
            self._trades_done[symbol] = traded + 1
            return self._trade(symbol, traded)
        if event_ms <= mark_ms:
            self._events_done[symbol] = done + 1
            self._apply_event(symbol, data, done)
            return []
        self._marks_done[symbol] = marked + 1
        self._before_tick(symbol)
        return self._target.on_mark(symbol, int(mark_ms), to_decimal(data.mark[marked]))

    def _before_tick(self, symbol: str) -> None:
        if symbol in self._dirty and self._target.stops_rest(symbol):
            self.ensure_book(symbol)  # a stop the tick triggers takes from the current book

    def _trade(self, symbol: str, index: int) -> list[F]:
        trades = self.data[symbol].trades
        self._before_tick(symbol)
        return self._target.on_trade(
            symbol,
            int(trades.time[index]),
            to_decimal(trades.price[index]),
            to_decimal(trades.qty[index]),
            bool(trades.is_buyer_maker[index]),
        )

    def _apply_event(self, symbol: str, data: TickData, k: int) -> None:
        l2, event = self._l2[symbol], data.depth_event(k)
        if isinstance(event, DepthSnapshot):
            l2.apply_snapshot(event)
        elif l2.apply_diff(event) is DiffOutcome.GAP:
            self.gaps[symbol] += 1
        self._book_ms[symbol] = int(data.event_time[k])
        self._dirty.add(symbol)

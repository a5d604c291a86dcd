"""One update-id counter per symbol, shared by REST depth and the book streams, and the log of
changes takers make to the current book.

The book of a symbol changes when a bar closes (rebuilt from that bar) and when a taker
consumes levels. Its id is ``minute x 1,000,000 + takes``: ``minute`` is the open time in
minutes of the bar the book was built from, ``takes`` the taker orders that hit it since.
So ids only grow, a bar's book has an id every stream can compute from the bar alone
(connections render bars themselves), and REST ``lastUpdateId`` equals the ``u`` of the last
event that produced the book it shows -- what a client needs to sync a local book from a
snapshot plus diff events, as Binance documents.

Takes are logged (with the levels they left) only while some connection watches that
symbol's book, and only the last ``keep`` of them: a connection that falls further behind
than that is told so (``LostChangesError``) and cut off.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import Bar, to_epoch_ms
from ai_engine.matching import Book

IDS_PER_BAR = 1_000_000
Levels = tuple[tuple[Decimal, Decimal], ...]  # (price, quantity), best first, quantity > 0


def bar_update_id(open_ms: int) -> int:
    return open_ms // 60_000 * IDS_PER_BAR


def levels_of(book: Book, limit: int = 1_000_000) -> tuple[Levels, Levels]:
    bids, asks = book.depth(limit)
    return (
        tuple((level.price, level.quantity) for level in bids),
        tuple((level.price, level.quantity) for level in asks),
    )


@dataclass(frozen=True, slots=True)
class BookChange:
    seq: int  # per symbol, from 1
    time_ms: int  # replay time of the take
    update_id: int
    bids: Levels
    asks: Levels


class LostChangesError(Exception):
    """A reader asked for changes already dropped from the log."""


class BookChanges:
    def __init__(self, on_change: Callable[[int], None], keep: int = 10_000) -> None:
        self._on_change = on_change  # wakes the connections (the bus's market_changed)
        self._keep = keep
        self._takes: dict[str, tuple[int, int]] = {}  # symbol -> (bar open ms, takes on it)
        self._log: dict[str, deque[BookChange]] = {}
        self._seq: dict[str, int] = {}
        self._watchers: dict[str, int] = {}

    def update_id(self, symbol: str, last_bar: Bar | None) -> int:
        """The id of the book built from ``last_bar`` as it is now (0 before any bar)."""
        if last_bar is None:
            return 0
        open_ms = to_epoch_ms(last_bar.open_time)
        bar_ms, takes = self._takes.get(symbol, (open_ms, 0))
        return bar_update_id(open_ms) + (takes if bar_ms == open_ms else 0)

    def took(self, symbol: str, last_bar: Bar, book: Book, now_ms: int) -> None:
        """A taker consumed levels of ``book`` (built from ``last_bar``) at replay ``now_ms``."""
        open_ms = to_epoch_ms(last_bar.open_time)
        bar_ms, takes = self._takes.get(symbol, (open_ms, 0))
        takes = takes + 1 if bar_ms == open_ms else 1
        self._takes[symbol] = (open_ms, takes)
        if not self._watchers.get(symbol):
            return
        seq = self._seq.get(symbol, 0) + 1
        self._seq[symbol] = seq
        bids, asks = levels_of(book)
        change = BookChange(seq, now_ms, bar_update_id(open_ms) + takes, bids, asks)
        self._log.setdefault(symbol, deque(maxlen=self._keep)).append(change)
        self._on_change(now_ms)

    def watch(self, symbol: str) -> int:
        """Start logging ``symbol``'s takes; returns the seq the watcher has seen."""
        self._watchers[symbol] = self._watchers.get(symbol, 0) + 1
        return self._seq.get(symbol, 0)

    def unwatch(self, symbol: str) -> None:
        left = self._watchers.get(symbol, 0) - 1
        if left > 0:
            self._watchers[symbol] = left
        else:
            self._watchers.pop(symbol, None)
            self._log.pop(symbol, None)

    def after(self, symbol: str, seq: int, until_ms: int) -> list[BookChange]:
        """Changes with seq above ``seq`` and time at most ``until_ms``, in order."""
        log = self._log.get(symbol)
        if not log or log[-1].seq <= seq:
            return []
        if log[0].seq > seq + 1:
            raise LostChangesError(symbol)
        return [c for c in log if c.seq > seq and c.time_ms <= until_ms]

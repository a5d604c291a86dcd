"""The book of one symbol as a connection's book streams see it: one state per closed bar
(rebuilt from the bar exactly as the matching engine does) and one per logged take. (A symbol
replayed tick by tick has its own feed: ``render_ticks.TickBookFeed``.)

One feed per symbol per connection, shared by its bookTicker and depth streams; it
remembers the last window it produced so they do not rebuild the same books.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ai_engine.matching import Book, BookParams
from ai_engine.simexchange.market import BAR_MS, ReplayMarket
from ai_engine.simexchange.streams.book_changes import (
    BookChanges,
    Levels,
    bar_update_id,
    levels_of,
)
from ai_engine.simexchange.streams.replay_bars import BarWindow, bar_key, change_key


@dataclass(frozen=True, slots=True)
class BookState:
    key: int  # event sort key
    time_ms: int
    update_id: int
    bids: Levels
    asks: Levels


class BookStates(Protocol):
    """What book streams read: ``BookFeed`` here, ``TickBookFeed`` for tick-replayed symbols."""

    symbol: str
    current: BookState

    def states(self, start_ms: int, end_ms: int) -> list[BookState]: ...
    def close(self) -> None: ...


class BookFeed:
    def __init__(
        self,
        symbol: str,
        market: ReplayMarket,
        params: BookParams,
        books: BookChanges,
        now: BookState,
    ) -> None:
        self.symbol = symbol
        self._market = market
        self._params = params
        self._books = books
        self._seen = books.watch(symbol)
        self.current = now  # the last state produced (where a new depth stream starts)
        self._window: tuple[int, int] | None = None
        self._states: list[BookState] = []

    def close(self) -> None:
        self._books.unwatch(self.symbol)

    def states(self, start_ms: int, end_ms: int) -> list[BookState]:
        """Book states caused by bars closed and takes made in ``(start_ms, end_ms]`` (takes
        not yet seen from earlier are included too), in event order."""
        if self._window == (start_ms, end_ms):
            return self._states
        states = self._bar_states(start_ms, end_ms)
        changes = self._books.after(self.symbol, self._seen, end_ms)
        if changes:
            self._seen = changes[-1].seq
            states += [
                BookState(change_key(c.time_ms), c.time_ms, c.update_id, c.bids, c.asks)
                for c in changes
            ]
            states.sort(key=lambda state: state.key)
        self._window, self._states = (start_ms, end_ms), states
        if states:
            self.current = states[-1]
        return states

    def _bar_states(self, start_ms: int, end_ms: int) -> list[BookState]:
        window = BarWindow.closed_between(self._market, self.symbol, start_ms, end_ms)
        instrument = self._market.instruments[self.symbol]
        states = []
        for offset, opened in enumerate(window.bars.open_time.tolist()):
            bar = self._market.bar(self.symbol, window.first + offset)
            bids, asks = levels_of(Book.from_bar(bar, instrument, self._params))
            closed = opened + BAR_MS
            states.append(BookState(bar_key(closed), closed, bar_update_id(opened), bids, asks))
        return states

"""The replayed book of a symbol replayed tick by tick, as one connection's ``@bookTicker`` and
``@depth5/10/20`` streams see it: one state per recorded depth event, with that event's update id.

Like ``BookFeed`` for bar symbols, each connection renders its own window from stored data: the
feed starts from a copy of the exchange's replayed book at subscription (its levels as a
snapshot with its update id) and then applies the stored depth events of each window
``(start, end]`` itself, so nothing is logged for it and a slow connection holds no backlog.
States carry the top ``LEVELS`` levels (partial depth shows at most 20). Our takes are not in
them: the replayed market never saw our orders.

The copy is a snapshot at the replayed book's update id ``L``, which Binance's spot rules bridge
with the next diff (``U <= L + 1 <= u``). USD-M's rules bridge a snapshot only with a diff that
covers it (``U <= L <= u``), while the next diff of a live USD-M book chains by ``pu = L`` and
starts after ``L``: so a USD-M copy whose next stored diff chains is given that diff's ``U`` as
its snapshot id (the state it starts from still shows ``L``); one whose next diff does not chain
keeps ``L`` and falls out of sync there, as the replayed book does.
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.marketdata.captures import DepthSnapshot
from ai_engine.marketdata.orderbook import OrderBook
from ai_engine.simexchange.streams.book_changes import Levels
from ai_engine.simexchange.streams.book_feed import BookState
from ai_engine.simexchange.streams.replay_bars import change_key
from ai_engine.simexchange.tick_data import TickData

LEVELS = 20
_ALL = 1 << 30  # "every level" for OrderBook.top


class TickBookFeed:
    def __init__(self, data: TickData, replayed: OrderBook, now_ms: int) -> None:
        self.symbol = data.symbol
        self._data = data
        self._book = OrderBook(data.symbol, futures=replayed.futures)
        self._next = data.events_until(now_ms)  # the first event the copy has not seen
        last = replayed.last_update_id
        if replayed.synced and last is not None:
            bids, asks = tuple(replayed.top("bid", _ALL)), tuple(replayed.top("ask", _ALL))
            snapshot_id = self._bridge(last) if replayed.futures else last
            self._book.apply_snapshot(DepthSnapshot(now_ms * 1_000_000, snapshot_id, bids, asks))
        self.current = self._state(now_ms, last or 0)  # where a new book stream starts
        self._window: tuple[int, int] | None = None
        self._states: list[BookState] = []

    def close(self) -> None:
        """Nothing to release: the feed reads stored events only."""

    def states(self, start_ms: int, end_ms: int) -> list[BookState]:
        """The book after each depth event with time in ``(start_ms, end_ms]``, in order (for
        the shared window of a connection's book streams, computed once)."""
        if self._window == (start_ms, end_ms):
            return self._states
        stop = self._data.events_until(end_ms)
        states = []
        for k in range(self._next, stop):
            event = self._data.depth_event(k)
            if isinstance(event, DepthSnapshot):
                self._book.apply_snapshot(event)
            else:
                self._book.apply_diff(event)
            if self._book.synced:
                states.append(self._state(int(self._data.event_time[k])))
        self._next = max(self._next, stop)
        self._window, self._states = (start_ms, end_ms), states
        if states:
            self.current = states[-1]
        return states

    def _bridge(self, last: int) -> int:
        """The snapshot id under which USD-M's rules apply the next stored diff (docstring)."""
        if self._next >= self._data.events:
            return last
        first, prev, snapshot = self._data.event_ids(self._next)
        return first if not snapshot and prev == last else last

    def _state(self, time_ms: int, update_id: int | None = None) -> BookState:
        book = self._book
        return BookState(
            change_key(time_ms),
            time_ms,
            update_id if update_id is not None else book.last_update_id or 0,
            _decimals(book.top("bid", LEVELS)),
            _decimals(book.top("ask", LEVELS)),
        )


def _decimals(levels: list[tuple[str, str]]) -> Levels:
    return tuple((Decimal(price), Decimal(quantity)) for price, quantity in levels)

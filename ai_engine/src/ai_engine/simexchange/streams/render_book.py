"""``@bookTicker``, ``@depth<N>`` and ``@depth`` (diff) events from a ``BookFeed``.

Each closed bar and each take sends one event (Binance sends on a timer, every 100 ms or 1 s:
replayed bars have no finer time). Update ids: see ``book_changes``. A diff event lists the
levels whose quantity changed (0 = remove) and covers ids ``U`` = previous ``u`` + 1 to ``u``;
a new book identical to the last one sends nothing and the next event's range covers it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ai_engine.simexchange.streams.book_changes import Levels
from ai_engine.simexchange.streams.book_feed import BookFeed, BookState
from ai_engine.simexchange.streams.names import Kind, MarketStream
from ai_engine.simexchange.streams.replay_bars import Events
from ai_engine.simexchange.wire import num

_ZERO = num(Decimal(0))


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _rows(levels: Levels) -> list[list[str]]:
    return [[num(price), num(quantity)] for price, quantity in levels]


class BookEvents:
    def __init__(self, stream: MarketStream, feed: BookFeed) -> None:
        self.stream = stream
        self.feed = feed
        start = feed.current
        self._last_id = start.update_id  # diff depth: the u of the book the client holds
        self._bids = dict(start.bids)
        self._asks = dict(start.asks)

    def render(self, start_ms: int, end_ms: int) -> Events:
        keys: list[int] = []
        payloads: list[bytes] = []
        for state in self.feed.states(start_ms, end_ms):
            if state.update_id <= self._last_id:
                continue  # already part of the book this stream started from
            payload = self._event(state)
            if payload is not None:
                keys.append(state.key)
                payloads.append(payload)
        return keys, payloads

    def _event(self, state: BookState) -> bytes | None:
        kind, symbol = self.stream.kind, self.stream.symbol
        if kind is Kind.BOOK_TICKER:
            self._last_id = state.update_id
            bid = state.bids[0] if state.bids else None
            ask = state.asks[0] if state.asks else None
            return _dumps({
                "u": state.update_id,
                "s": symbol,
                "b": num(bid[0]) if bid else _ZERO,
                "B": num(bid[1]) if bid else _ZERO,
                "a": num(ask[0]) if ask else _ZERO,
                "A": num(ask[1]) if ask else _ZERO,
            })  # fmt: skip
        if kind is Kind.PARTIAL_DEPTH:
            self._last_id = state.update_id
            n = self.stream.levels
            return _dumps({
                "lastUpdateId": state.update_id,
                "bids": _rows(state.bids[:n]),
                "asks": _rows(state.asks[:n]),
            })  # fmt: skip
        bids, asks = _changes(self._bids, state.bids), _changes(self._asks, state.asks)
        if not bids and not asks:
            return None  # nothing moved; the next event's U..u covers this id
        event = _dumps({
            "e": "depthUpdate",
            "E": state.time_ms,
            "s": symbol,
            "U": self._last_id + 1,
            "u": state.update_id,
            "b": bids,
            "a": asks,
        })  # fmt: skip
        self._last_id = state.update_id
        return event


def _changes(held: dict[Decimal, Decimal], new: Levels) -> list[list[str]]:
    """Rows that turn ``held`` into ``new`` (updating ``held``): changed sizes, then removals."""
    fresh = dict(new)
    rows = [[num(p), num(q)] for p, q in new if held.get(p) != q]
    rows += [[num(p), num(Decimal(0))] for p in held if p not in fresh]
    held.clear()
    held.update(fresh)
    return rows

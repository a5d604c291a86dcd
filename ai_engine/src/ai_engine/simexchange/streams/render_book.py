"""``@bookTicker``, ``@depth<N>`` and ``@depth`` (diff) events from a ``BookFeed`` (bookTicker and
partial depth of a tick-replayed symbol: from a ``TickBookFeed``).

Each closed bar and each take sends one event (Binance sends on a timer, every 100 ms or 1 s:
replayed bars have no finer time). Update ids: see ``book_changes``. A diff event lists the
levels whose quantity changed (0 = remove); a new book identical to the last one sends
nothing and the next event's range covers it.

Spot: a diff covers ids ``U`` = previous ``u`` + 1 to ``u`` (Binance's spot recipe checks
``U == previous u + 1``); partial depth is ``{lastUpdateId, bids, asks}``.

USD-M (``stream.futures``): every book event carries ``e``, ``E`` and ``T``; partial depth is a
``depthUpdate`` of the top levels; diff and partial events carry ``pu`` = the previous event's
``u``, and ``U`` = ``pu``. Binance's futures recipe needs the first event after a snapshot to
have ``U <= lastUpdateId <= u``: with ``U = pu`` that holds even when the snapshot is the very
book the stream started from (``U = pu + 1`` would leave that client unable to sync). Prices and
quantities print with the symbol's decimals, as ``/fapi`` does.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ai_engine.simexchange.streams.book_changes import Levels
from ai_engine.simexchange.streams.book_feed import BookState, BookStates
from ai_engine.simexchange.streams.names import Kind, MarketStream
from ai_engine.simexchange.streams.replay_bars import Events

_ZERO = Decimal(0)


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


class BookEvents:
    def __init__(self, stream: MarketStream, feed: BookStates, decimals: tuple[int, int]) -> None:
        self.stream = stream
        self.feed = feed
        self._price_decimals, self._qty_decimals = decimals
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

    def _price(self, value: Decimal) -> str:
        return f"{value:.{self._price_decimals}f}"

    def _qty(self, value: Decimal) -> str:
        return f"{value:.{self._qty_decimals}f}"

    def _rows(self, levels: Levels) -> list[list[str]]:
        return [[self._price(price), self._qty(quantity)] for price, quantity in levels]

    def _event(self, state: BookState) -> bytes | None:
        kind, futures = self.stream.kind, self.stream.futures
        if kind is Kind.BOOK_TICKER:
            self._last_id = state.update_id
            return _dumps(self._ticker(state))
        if kind is Kind.PARTIAL_DEPTH:
            n = self.stream.levels
            bids, asks = self._rows(state.bids[:n]), self._rows(state.asks[:n])
            if futures:
                return self._depth_update(state, bids, asks)
            self._last_id = state.update_id
            return _dumps({"lastUpdateId": state.update_id, "bids": bids, "asks": asks})
        bids, asks = self._changes(self._bids, state.bids), self._changes(self._asks, state.asks)
        if not bids and not asks:
            return None  # nothing moved; the next event's range covers this id
        return self._depth_update(state, bids, asks)

    def _ticker(self, state: BookState) -> dict[str, Any]:
        bid = state.bids[0] if state.bids else (_ZERO, _ZERO)
        ask = state.asks[0] if state.asks else (_ZERO, _ZERO)
        top = {"b": self._price(bid[0]), "B": self._qty(bid[1]),
               "a": self._price(ask[0]), "A": self._qty(ask[1])}  # fmt: skip
        symbol, update_id, time_ms = self.stream.symbol, state.update_id, state.time_ms
        if not self.stream.futures:
            return {"u": update_id, "s": symbol, **top}
        return {"e": "bookTicker", "u": update_id, "E": time_ms, "T": time_ms, "s": symbol, **top}

    def _depth_update(
        self, state: BookState, bids: list[list[str]], asks: list[list[str]]
    ) -> bytes:
        event: dict[str, Any] = {"e": "depthUpdate", "E": state.time_ms}
        if self.stream.futures:
            event.update(T=state.time_ms, s=self.stream.symbol, U=self._last_id, u=state.update_id,
                         pu=self._last_id)  # fmt: skip
        else:
            event.update(s=self.stream.symbol, U=self._last_id + 1, u=state.update_id)
        event.update(b=bids, a=asks)
        self._last_id = state.update_id
        return _dumps(event)

    def _changes(self, held: dict[Decimal, Decimal], new: Levels) -> list[list[str]]:
        """Rows that turn ``held`` into ``new`` (updating ``held``): changed sizes, then
        removals."""
        fresh = dict(new)
        rows = [[self._price(p), self._qty(q)] for p, q in new if held.get(p) != q]
        rows += [[self._price(p), self._qty(_ZERO)] for p in held if p not in fresh]
        held.clear()
        held.update(fresh)
        return rows

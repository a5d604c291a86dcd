"""The market streams of one connection, rendered from the replay on demand.

The connection keeps a cursor (replay ms): everything its streams show up to the cursor has
been sent. When the clock moves, it asks for the next window ``(cursor, end]`` and gets the
events of all its streams merged in event order: by time, bars before takes at the same
time, then subscription order. So a connection that nobody reads costs nothing, one that
reads slowly holds no backlog, and two streams of different symbols interleave by time.
A connection's streams are all of one market (its ``StreamSource``: spot or USD-M). A symbol
replayed tick by tick renders its trades and diff depth from its stored ticks
(``render_ticks``) and its bookTicker and partial depth from its own copy of the replayed book
(``tick_book_feed``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Protocol

from ai_engine.simexchange.streams.book_changes import levels_of
from ai_engine.simexchange.streams.book_feed import BookFeed, BookState, BookStates
from ai_engine.simexchange.streams.bus import EventBus
from ai_engine.simexchange.streams.names import Kind, MarketStream
from ai_engine.simexchange.streams.render_book import BookEvents
from ai_engine.simexchange.streams.render_klines import Klines
from ai_engine.simexchange.streams.render_mark_price import AllMarkPrices, MarkPrices
from ai_engine.simexchange.streams.render_ticks import TickDepth, TickMarks, TickTrades
from ai_engine.simexchange.streams.render_trades import Trades
from ai_engine.simexchange.streams.replay_bars import Events, change_key
from ai_engine.simexchange.streams.sources import StreamSource
from ai_engine.simexchange.streams.tick_book_feed import TickBookFeed


class Renderer(Protocol):
    stream: MarketStream

    def render(self, start_ms: int, end_ms: int) -> Events: ...


class MarketView:
    def __init__(self, source: StreamSource, bus: EventBus) -> None:
        self.source = source
        self._bus = bus
        self._renderers: dict[str, Renderer] = {}
        self._feeds: dict[str, BookStates] = {}
        self.cursor_ms = bus.now_ms

    def __len__(self) -> int:
        return len(self._renderers)

    def names(self) -> list[str]:
        return list(self._renderers)

    def add(self, stream: MarketStream) -> None:
        if stream.name in self._renderers:
            return
        if not self._renderers:  # a connection that starts watching now sees what comes next
            self.cursor_ms = max(self.cursor_ms, self._bus.now_ms)
        self._renderers[stream.name] = self._renderer(stream)

    def remove(self, name: str) -> None:
        renderer = self._renderers.pop(name, None)
        if renderer is None or not renderer.stream.kind.uses_book:
            return
        symbol = renderer.stream.symbol
        if not any(r.stream.kind.uses_book and r.stream.symbol == symbol for r in self):
            feed = self._feeds.pop(symbol, None)  # a tick symbol's diff depth has none
            if feed is not None:
                feed.close()

    def close(self) -> None:
        for feed in self._feeds.values():
            feed.close()
        self._feeds.clear()
        self._renderers.clear()

    def __iter__(self) -> Iterator[Renderer]:
        return iter(tuple(self._renderers.values()))

    def render(self, end_ms: int) -> tuple[list[str], list[bytes]]:
        """Events of every stream in ``(cursor, end_ms]``, merged; moves the cursor there.
        Returns (stream name per event, payloads)."""
        # Rendering allocates a tuple or two per event and makes no reference cycles, yet
        # those allocations trigger collections of the whole server heap: ~30 % of the time.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._render(end_ms)
        finally:
            if enabled:
                gc.enable()

    def _render(self, end_ms: int) -> tuple[list[str], list[bytes]]:
        start, self.cursor_ms = self.cursor_ms, end_ms
        renderers = tuple(self._renderers.values())
        if len(renderers) == 1:  # the common case, and the one "max" speed needs fast
            keys, payloads = renderers[0].render(start, end_ms)
            return [renderers[0].stream.name] * len(payloads), payloads
        merged: list[tuple[int, int, int, bytes]] = []
        for order, renderer in enumerate(renderers):
            keys, payloads = renderer.render(start, end_ms)
            merged += [
                (key, order, n, payload)
                for n, (key, payload) in enumerate(zip(keys, payloads, strict=True))
            ]
        merged.sort(key=lambda event: event[:3])
        return [renderers[e[1]].stream.name for e in merged], [e[3] for e in merged]

    def _renderer(self, stream: MarketStream) -> Renderer:
        market, kind = self.source.market, stream.kind
        ticks = self.source.ticks.get(stream.symbol)
        if ticks is not None and kind in (Kind.TRADE, Kind.AGG_TRADE):
            return TickTrades(stream, ticks, self.source.decimals(stream.symbol))
        if ticks is not None and kind is Kind.MARK_PRICE:
            tick = market.instruments[stream.symbol].tick_size
            return TickMarks(stream, ticks, self.source.funding[stream.symbol], tick)
        if ticks is not None and kind is Kind.DIFF_DEPTH:
            return TickDepth(stream, ticks, self.source.decimals(stream.symbol))
        if kind in (Kind.KLINE, Kind.CONTINUOUS_KLINE):
            return Klines(stream, market)
        if kind in (Kind.TRADE, Kind.AGG_TRADE):
            return Trades(stream, market)
        if kind is Kind.MARK_PRICE:
            return MarkPrices(stream, market, self.source.funding[stream.symbol])
        if kind is Kind.ALL_MARK_PRICE:
            return AllMarkPrices(stream, market, self.source.funding)
        feed = self._feeds.get(stream.symbol)
        if feed is None:
            feed = self._feeds[stream.symbol] = self._feed(stream.symbol)
        return BookEvents(stream, feed, self.source.decimals(stream.symbol))

    def _feed(self, symbol: str) -> BookStates:
        source = self.source
        ticks = source.ticks.get(symbol)
        if ticks is not None and source.replayed_book is not None:
            return TickBookFeed(ticks, source.replayed_book(symbol), self._bus.now_ms)
        book = source.book(symbol)
        bids, asks = levels_of(book) if book is not None else ((), ())
        now = self._bus.now_ms
        start = BookState(change_key(now), now, source.update_id(symbol), bids, asks)
        return BookFeed(symbol, source.market, source.params, source.books, start)

"""Local L2 books of a live client: a REST snapshot plus the diff-depth stream per symbol.

The sequencing rules are ``marketdata.orderbook.OrderBook``'s (Binance's documented recipe,
``pu`` chaining for USD-M). Here: when a book needs a snapshot -- a new connection (diffs were
missed while away), a gap in the update ids, a snapshot older than the diffs -- one is fetched
from REST and applied; the diffs queued behind it were received after the snapshot was asked
for, so the book catches up from them. Repeated resyncs of one symbol without reaching the
live state back off (``backoff``) so a broken feed cannot hammer the 50-weight depth call.

After each applied diff that changes the best bid or ask, a ``BookTop`` event is published.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ai_engine.domain.clock import from_epoch_ms
from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData, DomainValueError
from ai_engine.domain.market_data import BookLevel, OrderBookSnapshot
from ai_engine.domain.values import Price, Quantity
from ai_engine.marketdata.captures import DepthDiff, DepthSnapshot
from ai_engine.marketdata.live.backoff import Backoff, BackoffPolicy
from ai_engine.marketdata.live.events import BookTop, MarketEvent
from ai_engine.marketdata.live.messages import DepthMessage
from ai_engine.marketdata.live.rest import RestGateway, Sleep
from ai_engine.marketdata.live.subscriptions import StreamKind, StreamSpec
from ai_engine.marketdata.orderbook import BookState, OrderBook

log = logging.getLogger(__name__)
Top = tuple[tuple[str, str] | None, tuple[str, str] | None]


class DepthBooks:
    def __init__(
        self,
        spec: StreamSpec,
        rest: RestGateway,
        publish: Callable[[MarketEvent], Awaitable[None]],
        *,
        limit: int = 1000,
        sleep: Sleep,
        backoff: BackoffPolicy | None = None,
    ) -> None:
        self._spec = spec
        self._rest = rest
        self._publish = publish
        self._limit = limit
        self._sleep = sleep
        self._policy = backoff or BackoffPolicy(initial_s=0.5, cap_s=10.0)
        self._futures = spec.market is MarketType.USDM
        self.symbols = tuple(s.symbol for s in spec.of_kind(StreamKind.DEPTH))
        self.books: dict[str, OrderBook] = {}
        self._tops: dict[str, Top] = {}
        self._retries: dict[str, Backoff] = {s: Backoff(self._policy) for s in self.symbols}
        self.snapshots = 0
        self.resyncs = 0
        for symbol in self.symbols:
            self.books[symbol] = OrderBook(symbol, futures=self._futures)

    async def reset_all(self) -> None:
        """After a reconnect: diffs were missed, start every book again from a snapshot."""
        for symbol in self.symbols:
            self.books[symbol] = OrderBook(symbol, futures=self._futures)
            self._tops.pop(symbol, None)
            self._retries[symbol].reset()  # reconnecting has backed off already
            await self._snapshot(symbol)

    async def on_diff(self, message: DepthMessage) -> None:
        book = self.books[message.symbol]
        diff = DepthDiff(
            local_ns=message.received_ms * 1_000_000,
            event_ms=message.event_ms,
            symbol=message.symbol,
            first_id=message.first_id,
            final_id=message.final_id,
            prev_final_id=message.prev_final_id,
            bids=message.bids,
            asks=message.asks,
        )
        try:
            book.apply_diff(diff)
        except BadMarketData as exc:  # the book is unchanged; the next diff will not chain
            log.warning("%s: depth diff refused (%s)", message.symbol, exc)
        if book.state is BookState.OUT_OF_SYNC:
            self.resyncs += 1
            await self._snapshot(message.symbol)
        if book.state is BookState.LIVE:
            self._retries[message.symbol].reset()
        await self._publish_top(book, message.event_ms)

    async def _snapshot(self, symbol: str) -> None:
        retry = self._retries[symbol]
        if retry.attempt:
            await self._sleep(retry.next_delay())
        else:
            retry.attempt = 1
        answer = await self._rest.depth(symbol, self._limit)
        self.snapshots += 1
        try:
            snapshot = _snapshot_of(answer)
            self.books[symbol].apply_snapshot(snapshot)
        except (BadMarketData, KeyError, TypeError, ValueError) as exc:
            log.warning("%s: depth snapshot refused (%s): %.200s", symbol, exc, answer)

    async def _publish_top(self, book: OrderBook, event_ms: int) -> None:
        if not book.synced:
            return
        top: Top = (book.best_bid(), book.best_ask())
        if self._tops.get(book.symbol) == top:
            return
        self._tops[book.symbol] = top
        try:
            snapshot = OrderBookSnapshot(
                instrument_id=self._spec.instrument(book.symbol),
                bids=_level(top[0]),
                asks=_level(top[1]),
                ts=from_epoch_ms(event_ms),
                last_update_id=book.last_update_id,
            )
        except (BadMarketData, DomainValueError) as exc:
            log.warning("%s: local book top not usable (%s)", book.symbol, exc)
            return
        await self._publish(BookTop(snapshot))


def _snapshot_of(answer: dict[str, Any]) -> DepthSnapshot:
    def levels(rows: Any) -> tuple[tuple[str, str], ...]:
        return tuple((str(price), str(qty)) for price, qty, *_ in rows)

    last = answer["lastUpdateId"]
    if isinstance(last, bool) or not isinstance(last, int):
        raise ValueError(f"lastUpdateId is not an integer: {last!r}")
    return DepthSnapshot(
        local_ns=time.time_ns(), last_update_id=last,
        bids=levels(answer["bids"]), asks=levels(answer["asks"]),
    )  # fmt: skip


def _level(level: tuple[str, str] | None) -> tuple[BookLevel, ...]:
    if level is None:
        return ()
    return (BookLevel(Price(level[0]), Quantity(level[1])),)

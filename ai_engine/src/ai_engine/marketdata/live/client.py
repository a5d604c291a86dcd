"""The live market-data client: one market's streams over one combined connection, kept alive.

Three tasks: the ``Supervisor`` (``supervisor``) keeps a connection open and puts its
messages, after an ``Opened`` marker, on a queue; the **processor** here parses and
publishes them one at a time, in arrival order; a clock task re-measures the venue's clock
offset every ``clock_sync_interval_s``.

The processor: when a connection opens (not a planned overlap) it measures the clock offset
if due, backfills closed bars from REST from the last bar published up to now, and resyncs
the order books. A closed bar from the stream that leaves a hole behind the last one
published first fills the hole from REST. Duplicates (overlap, backfill racing the stream)
are dropped (``continuity``). So every series is published without a hole and without a
duplicate, in open-time order -- except where the venue's own history has a hole, which REST
returns empty and which therefore stays one.

A malformed message is logged (the reason and the first 300 characters) and skipped. REST
errors are retried by ``RestGateway``; a rejected request or a fatal wait (a long ban) ends
``run`` with that error, as does a handshake the venue refuses outright (unknown stream).
Messages wait in an unbounded queue while the processor is busy (a long REST retry): late,
never lost.

Times: the stats use the monotonic clock; ``received_ms`` and the clock offset the injected
wall clock (``ClockOffset.local_ms``). ``sleep`` (backoff waits only) and ``rng`` (jitter)
are injected so tests can run the backoff without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Mapping

from ai_engine.domain.clock import to_epoch_ms
from ai_engine.domain.market_data import Bar
from ai_engine.marketdata.intervals import ceil_ms
from ai_engine.marketdata.live.backoff import Backoff
from ai_engine.marketdata.live.books import DepthBooks
from ai_engine.marketdata.live.clock_offset import ClockOffset
from ai_engine.marketdata.live.config import LiveConfig, LiveStats
from ai_engine.marketdata.live.connection import Received
from ai_engine.marketdata.live.continuity import BarCursor, Seen, SequenceFilter
from ai_engine.marketdata.live.events import (
    BarClosed,
    BarSource,
    BarUpdated,
    BookTicker,
    MarketEvent,
    MarkPrice,
    TradeEvent,
)
from ai_engine.marketdata.live.messages import (
    BadMessage,
    DepthMessage,
    KlineMessage,
    MessageParser,
    bar_of,
)
from ai_engine.marketdata.live.rest import RestGateway, Sleep
from ai_engine.marketdata.live.sinks import EventSink
from ai_engine.marketdata.live.subscriptions import StreamKind, Subscription
from ai_engine.marketdata.live.supervisor import Opened, Supervisor

log = logging.getLogger(__name__)
_SHOWN = 300  # characters of a malformed message quoted in the log


class StreamClient:
    def __init__(
        self,
        config: LiveConfig,
        rest: RestGateway,
        sink: EventSink,
        *,
        clock: ClockOffset | None = None,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
        resume_from: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        """``resume_from``: (symbol, interval) -> open time of the last bar already held."""
        self.config = config
        self.rest = rest
        self.sink = sink
        self.clock = clock or ClockOffset()
        self.stats = LiveStats()
        self._sleep = sleep
        self._parser = MessageParser(config.spec)
        self._queue: asyncio.Queue[Opened | Received] = asyncio.Queue()
        self._supervisor = Supervisor(
            config, self.stats, self._queue.put_nowait,
            backoff=Backoff(config.reconnect, rng or random.Random()),
            sleep=sleep, local_ms=self.clock.local_ms,
        )  # fmt: skip
        self._synced_at: float | None = None
        self._cursors = self._make_cursors(resume_from or {})
        self._sequences = SequenceFilter()
        self.books = self._make_books()

    # -- public ------------------------------------------------------------------------------

    @property
    def clock_offset_ms(self) -> float | None:
        """Venue time minus local time, from the best recent ``/time`` round trip."""
        return self.clock.offset_ms

    def last_open_ms(self, sub: Subscription) -> int | None:
        """Open time of the last closed bar published on kline stream ``sub``."""
        return self._cursors[sub.name].last_open_ms

    def stop(self) -> None:
        self._supervisor.stop()

    async def run(self) -> None:
        """Stream until ``stop()``; raises what made it impossible to go on."""
        processor = asyncio.create_task(self._process(), name="live-processor")
        supervisor = asyncio.create_task(self._supervisor.run(), name="live-supervisor")
        clock = asyncio.create_task(self._clock_loop(), name="live-clock")
        try:
            done, _ = await asyncio.wait(
                {processor, supervisor, clock}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                task.result()  # an error ends the client
            if supervisor in done:  # stopped: publish what was already received
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._queue.join(), self.config.drain_timeout_s)
        finally:
            self._supervisor.stop()
            for task in (processor, supervisor, clock):
                task.cancel()
            await asyncio.gather(processor, supervisor, clock, return_exceptions=True)
            await self._supervisor.close_all()

    # -- clock -------------------------------------------------------------------------------

    async def _sync_clock(self) -> None:
        sample = await self.clock.measure(self.rest.server_time_ms)
        self._synced_at = time.monotonic()
        log.debug("clock offset %.1f ms (round trip %.1f ms)", sample.offset_ms, sample.rtt_ms)

    async def _clock_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.clock_sync_interval_s)
            await self._sync_clock()

    # -- processor ---------------------------------------------------------------------------

    async def _process(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if isinstance(item, Opened):
                    await self._on_opened(item)
                else:
                    await self._on_message(item)
            finally:
                self._queue.task_done()

    async def _on_opened(self, opened: Opened) -> None:
        synced = self._synced_at
        if synced is None or time.monotonic() - synced >= self.config.clock_sync_interval_s:
            await self._sync_clock()
        if opened.planned:
            return  # the old connection overlaps the new one: nothing was missed
        for sub in self.config.spec.of_kind(StreamKind.KLINE):
            start = self._cursors[sub.name].next_open_ms
            if start is not None:
                await self._backfill(sub, start, None)
        if self.books is not None:
            await self.books.reset_all()

    async def _on_message(self, item: Received) -> None:
        self.stats.messages += 1
        try:
            message = self._parser.parse(item.payload, item.received_ms)
        except BadMessage as exc:
            self.stats.malformed += 1
            shown = item.payload[:_SHOWN].decode(errors="replace")
            log.warning("skipped a malformed message on connection %d (%s): %s",
                        item.connection, exc, shown)  # fmt: skip
            return
        if isinstance(message, KlineMessage):
            await self._on_kline(message)
        elif isinstance(message, DepthMessage):
            if self.books is not None:
                await self.books.on_diff(message)
        elif isinstance(message, TradeEvent):
            key = "a" if message.aggregate else "t"
            if self._fresh(
                f"{key}:{message.tick.instrument_id.symbol}", int(message.tick.trade_id)
            ):
                await self._publish(message)
        elif isinstance(message, BookTicker):
            update = message.book.last_update_id or 0
            if self._fresh(f"b:{message.instrument_id.symbol}", update):
                await self._publish(message)
        elif isinstance(message, MarkPrice) and self._fresh(
            f"m:{message.instrument_id.symbol}", to_epoch_ms(message.ts)
        ):
            await self._publish(message)

    def _fresh(self, key: str, number: int) -> bool:
        if self._sequences.accept(key, number):
            return True
        self.stats.duplicates += 1
        return False

    async def _on_kline(self, message: KlineMessage) -> None:
        sub, bar = message.subscription, message.bar
        cursor, open_ms = self._cursors[sub.name], to_epoch_ms(bar.open_time)
        if not message.closed:
            if cursor.last_open_ms is not None and open_ms <= cursor.last_open_ms:
                self.stats.stale_updates += 1
            elif self.config.publish_updates:
                await self._publish(BarUpdated(bar, sub.interval or ""))
            return
        seen = cursor.classify(open_ms)
        if seen is Seen.HOLE and cursor.next_open_ms is not None:
            await self._backfill(sub, cursor.next_open_ms, open_ms)
            seen = cursor.classify(open_ms)
        if seen is Seen.DUPLICATE:
            self.stats.duplicates += 1
            return
        await self._publish_bar(sub, bar, open_ms, "stream")

    async def _backfill(self, sub: Subscription, start_ms: int, end_ms: int | None) -> None:
        """Publish the closed bars of ``sub`` opening in ``[start_ms, end_ms)`` from REST."""
        assert sub.interval is not None
        rows = await self.rest.klines(sub.symbol, sub.interval, start_ms, end_ms)
        self.stats.backfill_calls += 1
        server_now = self.clock.server_now_ms()
        cursor, step = self._cursors[sub.name], sub.step_ms
        instrument = self.config.spec.instrument(sub.symbol)
        for row in rows:
            try:
                bar = bar_of(instrument, step, row)
            except (BadMessage, IndexError, TypeError, ValueError) as exc:
                self.stats.malformed += 1
                log.error("%s: unusable REST kline (%s): %.300s", sub.name, exc, row)
                continue
            open_ms = to_epoch_ms(bar.open_time)
            if end_ms is not None and open_ms >= end_ms:
                break
            if open_ms + step > server_now:
                break  # Binance also answers the bar in progress
            if cursor.classify(open_ms) is Seen.DUPLICATE:
                continue
            await self._publish_bar(sub, bar, open_ms, "backfill")

    async def _publish_bar(
        self, sub: Subscription, bar: Bar, open_ms: int, source: BarSource
    ) -> None:
        self._cursors[sub.name].advance(open_ms)
        self.stats.bars_published += 1
        if source == "backfill":
            self.stats.bars_backfilled += 1
        await self._publish(BarClosed(bar, sub.interval or "", source))

    async def _publish(self, event: MarketEvent) -> None:
        await self.sink.publish(event)

    # -- setup -------------------------------------------------------------------------------

    def _make_cursors(self, resume_from: Mapping[tuple[str, str], int]) -> dict[str, BarCursor]:
        cursors: dict[str, BarCursor] = {}
        since = self.config.since_ms
        for sub in self.config.spec.of_kind(StreamKind.KLINE):
            assert sub.interval is not None
            step = sub.step_ms
            last = resume_from.get((sub.symbol, sub.interval))
            if last is None and since is not None:
                last = ceil_ms(since, sub.interval) - step  # so that `since` comes next
            cursors[sub.name] = BarCursor(step, last)
        return cursors

    def _make_books(self) -> DepthBooks | None:
        if not self.config.spec.of_kind(StreamKind.DEPTH):
            return None
        return DepthBooks(
            self.config.spec, self.rest, self._publish,
            limit=self.config.depth_limit, sleep=self._sleep,
        )  # fmt: skip

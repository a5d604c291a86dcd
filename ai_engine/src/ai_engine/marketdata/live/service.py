"""One call that streams bars into the store (and a Redis stream) until told to stop: what the
``tradingbot data stream`` command runs.

It resumes: a series already in the store continues from its last stored bar (missed bars
are backfilled from REST on connecting), a new one from ``since`` if given, else from the
first bar the stream closes. Bars are flushed to the store every ``flush_bars`` bars or
``flush_s`` seconds and when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ai_engine.domain.enums import Venue
from ai_engine.marketdata.intervals import to_ms
from ai_engine.marketdata.inventory import list_series
from ai_engine.marketdata.live.bar_store import BarStoreSink
from ai_engine.marketdata.live.client import StreamClient
from ai_engine.marketdata.live.config import LiveConfig, LiveStats
from ai_engine.marketdata.live.events import MarketEvent
from ai_engine.marketdata.live.redis_sink import RedisStreamSink
from ai_engine.marketdata.live.rest import RestGateway, make_client
from ai_engine.marketdata.live.sinks import CallbackSink, EventSink, FanOut
from ai_engine.marketdata.live.subscriptions import StreamKind, StreamSpec
from ai_engine.marketdata.series import DataKind


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamJob:
    spec: StreamSpec
    ws_url: str
    rest_url: str
    store_dir: Path
    redis_url: str | None = None
    since_ms: int | None = None
    stale_after_s: float = 30.0
    flush_bars: int = 60
    flush_s: float = 60.0


@dataclass(slots=True)
class StreamSummary:
    stats: LiveStats
    stored: int = 0  # bars added to the store
    refused: int = 0
    published: int = 0  # events sent to Redis
    clock_offset_ms: float | None = None
    resumed: dict[str, int] = field(default_factory=dict)  # series -> last stored open


def stored_last_opens(store_dir: Path, spec: StreamSpec) -> dict[tuple[str, str], int]:
    """(symbol, interval) -> open time of the last stored bar, for the spec's kline streams."""
    wanted = {(s.symbol, s.interval) for s in spec.of_kind(StreamKind.KLINE)}
    found: dict[tuple[str, str], int] = {}
    if not store_dir.exists():
        return found
    for info in list_series(store_dir):
        key = info.key
        if key.kind is not DataKind.BARS or key.venue is not Venue.BINANCE:
            continue
        pair = (key.symbol, str(key.interval))
        if key.market is spec.market and pair in wanted:
            found[pair] = to_ms(info.last)
    return found


async def stream_to_store(
    job: StreamJob,
    stop: asyncio.Event,
    *,
    on_event: Callable[[MarketEvent], None] | None = None,
) -> StreamSummary:
    """Run a client for ``job`` until ``stop`` is set; flush and close everything after."""
    resume = stored_last_opens(job.store_dir, job.spec)
    store = BarStoreSink(job.store_dir, flush_bars=job.flush_bars, flush_s=job.flush_s)
    redis = RedisStreamSink.from_url(job.redis_url) if job.redis_url else None
    sinks: list[EventSink] = [store]
    if redis is not None:
        sinks.append(redis)
    if on_event is not None:
        sinks.append(CallbackSink(on_event))
    fan = FanOut(sinks)
    rest = RestGateway(make_client(job.rest_url), job.spec.market)
    config = LiveConfig(spec=job.spec, ws_url=job.ws_url, stale_after_s=job.stale_after_s,
                        since_ms=job.since_ms)  # fmt: skip
    client = StreamClient(config, rest, fan, resume_from=resume)
    running = asyncio.create_task(client.run())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        client.stop()
        await running  # raises what ended it, if anything did
    finally:
        stopping.cancel()
        if not running.done():
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        await fan.aclose()
        await rest.close()
    return StreamSummary(
        stats=client.stats,
        stored=store.written,
        refused=store.refused,
        published=0 if redis is None else redis.sent,
        clock_offset_ms=client.clock_offset_ms,
        resumed={f"{symbol} {interval}": ms for (symbol, interval), ms in resume.items()},
    )

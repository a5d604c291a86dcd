"""Market events onto a Redis stream, for the API, Rails and anything else that follows.

Each event is one ``XADD`` to ``stream`` (default ``tradingbot:events``, the engine's event
stream) with two fields: ``type`` (``bar.closed``, ...) and ``event``, the event's JSON
object (``events.to_json``: decimals as strings, times as epoch milliseconds). Only the kinds
listed are sent (default: closed bars; trades and tickers are many per second). The stream
is capped near ``maxlen`` entries (``MAXLEN ~``): Redis holds nothing that cannot be rebuilt.

    XADD tradingbot:events MAXLEN ~ 100000 * type bar.closed event '{"type": "bar.closed",
        "instrument": "binance:spot:BTCUSDT", "symbol": "BTCUSDT", "market": "spot",
        "interval": "1m", "open_time": 1679616000000, "close_time": 1679616060000,
        "open": "28010.01000000", ..., "trades": 1234, "source": "stream"}'
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import redis.asyncio as aioredis

from ai_engine.marketdata.live.events import MarketEvent, event_type, to_json

EVENTS_STREAM = "tradingbot:events"


class RedisStreamSink:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        stream: str = EVENTS_STREAM,
        kinds: Iterable[str] = ("bar.closed",),
        maxlen: int | None = 100_000,
    ) -> None:
        self.client = client
        self.stream = stream
        self.kinds = frozenset(kinds)
        self.maxlen = maxlen
        self.sent = 0

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        stream: str = EVENTS_STREAM,
        kinds: Iterable[str] = ("bar.closed",),
        maxlen: int | None = 100_000,
    ) -> RedisStreamSink:
        client = aioredis.Redis.from_url(url)
        return cls(client, stream=stream, kinds=kinds, maxlen=maxlen)

    async def publish(self, event: MarketEvent) -> None:
        kind = event_type(event)
        if kind not in self.kinds:
            return
        body = json.dumps(to_json(event), separators=(",", ":"))
        await self.client.xadd(
            self.stream,
            {"type": kind, "event": body},
            maxlen=self.maxlen,
            approximate=True,
        )
        self.sent += 1

    async def aclose(self) -> None:
        await self.client.aclose()

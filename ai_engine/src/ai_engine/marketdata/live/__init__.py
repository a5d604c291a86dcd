"""Live Binance market data (spot and USD-M) over combined WebSocket streams.

``StreamClient`` (``client``) keeps one market's streams alive -- reconnect with backoff and
jitter, a staleness watchdog, a planned overlap before Binance's 24-hour limit, REST backfill
of missed closed bars, de-duplication, clock offset -- and hands typed events (``events``) to
an ``EventSink`` (``sinks``): in-process callbacks and queues, the Parquet store
(``bar_store.BarStoreSink``) and a Redis stream (``redis_sink.RedisStreamSink``).

    spec = StreamSpec.of(MarketType.SPOT, ["BTCUSDT", "ETHUSDT"], intervals=["1m"])
    rest = RestGateway(make_client("https://api.binance.com"), MarketType.SPOT)
    sink = FanOut([BarStoreSink(store_dir), RedisStreamSink.from_url(redis_url)])
    client = StreamClient(LiveConfig(spec=spec, ws_url=DEFAULT_WS_URLS[MarketType.SPOT]),
                          rest, sink)
    await client.run()          # until client.stop()
"""

from __future__ import annotations

from ai_engine.marketdata.live.backoff import Backoff, BackoffPolicy
from ai_engine.marketdata.live.bar_store import BarStoreSink, write_bars
from ai_engine.marketdata.live.client import StreamClient
from ai_engine.marketdata.live.clock_offset import ClockOffset
from ai_engine.marketdata.live.config import LiveConfig, LiveStats
from ai_engine.marketdata.live.connection import SocketOptions
from ai_engine.marketdata.live.events import (
    BarClosed,
    BarUpdated,
    BookTicker,
    BookTop,
    MarketEvent,
    MarkPrice,
    TradeEvent,
    to_json,
)
from ai_engine.marketdata.live.redis_sink import EVENTS_STREAM, RedisStreamSink
from ai_engine.marketdata.live.rest import RestGateway, RetryPolicy, make_client
from ai_engine.marketdata.live.sinks import CallbackSink, EventSink, FanOut, QueueSink
from ai_engine.marketdata.live.subscriptions import (
    DEFAULT_REST_URLS,
    DEFAULT_WS_URLS,
    StreamKind,
    StreamSpec,
    Subscription,
)

__all__ = [
    "DEFAULT_REST_URLS",
    "DEFAULT_WS_URLS",
    "EVENTS_STREAM",
    "Backoff",
    "BackoffPolicy",
    "BarClosed",
    "BarStoreSink",
    "BarUpdated",
    "BookTicker",
    "BookTop",
    "CallbackSink",
    "ClockOffset",
    "EventSink",
    "FanOut",
    "LiveConfig",
    "LiveStats",
    "MarkPrice",
    "MarketEvent",
    "QueueSink",
    "RedisStreamSink",
    "RestGateway",
    "RetryPolicy",
    "SocketOptions",
    "StreamClient",
    "StreamKind",
    "StreamSpec",
    "Subscription",
    "TradeEvent",
    "make_client",
    "to_json",
    "write_bars",
]

"""What a live client is told (``LiveConfig``) and what it counts (``LiveStats``)."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from ai_engine.marketdata.live.backoff import BackoffPolicy
from ai_engine.marketdata.live.connection import SocketOptions
from ai_engine.marketdata.live.subscriptions import StreamSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveConfig:
    """How one client connects and what it watches.

    ``since_ms``: bars opening at or after this are backfilled for a series with no history
    (``resume_from`` gives series their last stored bar instead). Without either, a series
    starts with the first closed bar the stream delivers.
    """

    spec: StreamSpec
    ws_url: str
    stale_after_s: float = 30.0
    max_connection_age_s: float = 23.5 * 3600.0  # Binance cuts at 24 h
    overlap_s: float = 2.0  # a planned successor must deliver and run this long before
    reconnect: BackoffPolicy = field(default_factory=BackoffPolicy)
    socket: SocketOptions = field(default_factory=SocketOptions)
    clock_sync_interval_s: float = 600.0
    since_ms: int | None = None
    publish_updates: bool = False  # also publish the bar in progress (bar.update)
    depth_limit: int = 1000  # levels of a REST depth snapshot
    drain_timeout_s: float = 5.0  # at stop: time to publish what was already received

    def __post_init__(self) -> None:
        for name in ("stale_after_s", "max_connection_age_s", "clock_sync_interval_s", "overlap_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")


@dataclass(slots=True)
class LiveStats:
    connections: int = 0  # opened successfully
    connect_failures: int = 0
    planned_reconnects: int = 0
    ends: Counter[str] = field(default_factory=Counter)  # why connections ended
    messages: int = 0
    malformed: int = 0
    duplicates: int = 0  # closed bars, trades, tickers seen twice
    stale_updates: int = 0  # updates of bars already closed
    bars_published: int = 0
    bars_backfilled: int = 0  # of those, from REST
    backfill_calls: int = 0
    delays: deque[float] = field(default_factory=lambda: deque(maxlen=1000))  # last waits

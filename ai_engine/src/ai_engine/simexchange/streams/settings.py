"""Tunables of the WebSocket side (Binance's published limits as defaults)."""

from __future__ import annotations

from dataclasses import dataclass

DAY_SECONDS = 24 * 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamSettings:
    """``EventBus.settings``; replace it (``bus.configure(...)``) to change them at run time.

    ``max_connection_age_s``: Binance drops every connection after 24 h; clients must
    reconnect. Tests set about a second to exercise that path.
    ``slow_consumer_s``: how long a connection may be unable to write (its socket buffer full)
    before it is cut off with close code 1008, instead of the server buffering without bound.
    ``outbox_limit``: pushed events (user data, order updates) queued per connection before
    the same cut-off.
    ``chunk_minutes``: replay minutes rendered per write when a connection catches up; bounds
    the memory of a catch-up and how long one connection holds the event loop.
    ``max_speed_bars``: bars the "max" clock moves per turn of the event loop (then it waits
    for market-stream connections to have sent them).
    ``write_buffer_bytes``: what a connection may have written but not yet sent before it
    waits for the socket (the high-water mark of its transport).
    ``ping_interval_s``, ``pong_timeout_s``: the server pings every connection this often and
    closes one whose pings go unanswered this long (Binance spot: 20 s and 1 min; USD-M pings
    every 3 min and waits 10). None switches pings off.
    """

    max_connection_age_s: float = DAY_SECONDS
    slow_consumer_s: float = 10.0
    outbox_limit: int = 10_000
    chunk_minutes: int = 1_000
    max_speed_bars: int = 1_000
    max_streams: int = 1_024  # per connection, as Binance
    listen_key_ttl_s: float = 3_600.0
    write_buffer_bytes: int = 4 * 1024 * 1024
    ping_interval_s: float | None = 20.0
    pong_timeout_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("max_connection_age_s", "slow_consumer_s", "listen_key_ttl_s",
                     "pong_timeout_s"):  # fmt: skip
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.ping_interval_s is not None and not self.ping_interval_s > 0:
            raise ValueError("ping_interval_s must be positive (or None: no pings)")
        for name in ("outbox_limit", "chunk_minutes", "max_speed_bars", "max_streams",
                     "write_buffer_bytes"):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

"""Fan-out of events from the exchange to WebSocket connections, and the replay clock's signal.

Publishing is synchronous and never blocks the exchange: a handler that changes state publishes
and returns. Two kinds of subscriber:

- an ``asyncio.Queue`` from ``subscribe`` (simple consumers, tests): bounded; one that falls
  that far behind is cut off (its queue receives ``OVERFLOW`` and is dropped);
- an ``Outbox`` (one per WebSocket connection) from ``attach``: it gets the event serialised
  once, as JSON bytes, and applies its own bound.

Market streams are not pushed through here: each connection renders its market streams from
the replayed bars itself (``market_view``), so a bar nobody watches costs nothing and a slow
connection holds no backlog. The exchange only tells the bus that the clock moved
(``clock_moved``); connections that watch markets wake up and catch up.

Channel names:
    user data        ``user:<market>:<api_key>`` with market ``spot`` or ``usdm``
    anything else    free-form (the bus does not interpret names)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final, Protocol

from ai_engine.simexchange.streams.listen_keys import ListenKeys
from ai_engine.simexchange.streams.registry import Connections
from ai_engine.simexchange.streams.settings import StreamSettings

Payload = Mapping[str, Any]
OVERFLOW: Final[dict[str, Any]] = {"e": "sim.overflow"}


def user_channel(market: str, api_key: str) -> str:
    return f"user:{market}:{api_key}"


def dumps(payload: Payload) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


class Outbox(Protocol):
    def push(self, channel: str, data: bytes) -> None: ...


class MarketWatcher(Protocol):
    def wake(self) -> None: ...


class EventBus:
    def __init__(self, queue_size: int = 10_000, settings: StreamSettings | None = None) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[Payload]]] = {}
        self._outboxes: dict[str, list[Outbox]] = {}
        self.settings = settings or StreamSettings()
        self.connections = Connections()
        self.listen_keys = ListenKeys(lambda: self.settings.listen_key_ttl_s)
        self.now_ms = 0  # replay time up to which market streams may show closed bars
        self._watchers: set[MarketWatcher] = set()
        self._lagging: set[MarketWatcher] = set()
        self._caught_up = asyncio.Event()
        self._caught_up.set()

    def configure(self, **changes: Any) -> StreamSettings:
        """Replace some settings (new connections see them; a typo raises TypeError)."""
        self.settings = replace(self.settings, **changes)
        return self.settings

    # -- pushed events -------------------------------------------------------------------

    def subscribe(self, channel: str) -> asyncio.Queue[Payload]:
        queue: asyncio.Queue[Payload] = asyncio.Queue(self._queue_size + 1)
        self._subscribers.setdefault(channel, set()).add(queue)
        return queue

    def unsubscribe(self, channel: str, queue: asyncio.Queue[Payload]) -> None:
        subscribers = self._subscribers.get(channel)
        if subscribers is not None:
            subscribers.discard(queue)
            if not subscribers:
                del self._subscribers[channel]

    def attach(self, channel: str, outbox: Outbox) -> None:
        self._outboxes.setdefault(channel, []).append(outbox)

    def detach(self, channel: str, outbox: Outbox) -> None:
        outboxes = self._outboxes.get(channel)
        if outboxes is not None and outbox in outboxes:
            outboxes.remove(outbox)
            if not outboxes:
                del self._outboxes[channel]

    def has_subscribers(self, channel: str) -> bool:
        """Lets producers skip building payloads nobody will read."""
        return channel in self._subscribers or channel in self._outboxes

    def publish(self, channel: str, payload: Payload) -> None:
        for queue in tuple(self._subscribers.get(channel, ())):
            if queue.qsize() >= self._queue_size:
                queue.put_nowait(OVERFLOW)  # the one slot kept free for this
                self.unsubscribe(channel, queue)
            else:
                queue.put_nowait(payload)
        outboxes = self._outboxes.get(channel)
        if outboxes:
            data = dumps(payload)
            for outbox in tuple(outboxes):
                outbox.push(channel, data)

    # -- the replay clock ----------------------------------------------------------------

    def watch_market(self, watcher: MarketWatcher) -> None:
        self._watchers.add(watcher)

    def unwatch_market(self, watcher: MarketWatcher) -> None:
        self._watchers.discard(watcher)
        self.caught_up(watcher)

    def clock_moved(self, now_ms: int) -> None:
        """Bars closed up to ``now_ms`` (called by the exchange after feeding them)."""
        if now_ms > self.now_ms:
            self.market_changed(now_ms)

    def market_changed(self, now_ms: int) -> None:
        """Something market streams show changed at replay ``now_ms`` (a bar, a take)."""
        self.now_ms = max(self.now_ms, now_ms)
        if not self._watchers:
            return
        self._lagging.update(self._watchers)
        self._caught_up.clear()
        for watcher in tuple(self._watchers):
            watcher.wake()

    def caught_up(self, watcher: MarketWatcher) -> None:
        """``watcher`` has sent everything up to ``now_ms`` (or stopped taking part)."""
        self._lagging.discard(watcher)
        if not self._lagging:
            self._caught_up.set()

    async def paced(self) -> None:
        """Wait until market-stream connections have sent what the clock has shown so far:
        the "max" clock runs as fast as its subscribers read, never buffering ahead of them."""
        await self._caught_up.wait()

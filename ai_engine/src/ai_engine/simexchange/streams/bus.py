"""Fan-out of JSON-ready events from the exchange to WebSocket subscribers.

Publishing is synchronous and never blocks the exchange: a handler that changes state publishes
and returns. Each subscriber has a bounded queue; one that falls that far behind is cut off
(its queue receives ``OVERFLOW`` and is dropped), as Binance closes a socket whose client does
not read, rather than growing memory without bound.

Channel names:
    market streams   the Binance stream name, e.g. ``btcusdt@kline_1m``, ``btcusdt@depth@100ms``
    user data        ``user:<market>:<api_key>`` with market ``spot`` or ``usdm``
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Final

Payload = Mapping[str, Any]
OVERFLOW: Final[dict[str, Any]] = {"e": "sim.overflow"}


def user_channel(market: str, api_key: str) -> str:
    return f"user:{market}:{api_key}"


class EventBus:
    def __init__(self, queue_size: int = 10_000) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[Payload]]] = {}

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

    def has_subscribers(self, channel: str) -> bool:
        """Lets producers skip building payloads nobody will read."""
        return channel in self._subscribers

    def publish(self, channel: str, payload: Payload) -> None:
        for queue in tuple(self._subscribers.get(channel, ())):
            if queue.qsize() >= self._queue_size:
                queue.put_nowait(OVERFLOW)  # the one slot kept free for this
                self.unsubscribe(channel, queue)
            else:
                queue.put_nowait(payload)

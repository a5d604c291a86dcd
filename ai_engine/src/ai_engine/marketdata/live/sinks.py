"""Where a live client's events go: the ``EventSink`` protocol and in-process sinks.

A sink receives every event the client produces, in order, from one task: ``publish`` may
await (a queue, Redis, a batched write) and so slow the client down, never reorder it. A sink
that raises does not stop the client: ``FanOut`` logs the error with the event type and
goes on to the next sink. ``aclose`` flushes whatever a sink buffers; the owner calls it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from ai_engine.marketdata.live.events import MarketEvent, event_type

log = logging.getLogger(__name__)


class EventSink(Protocol):
    async def publish(self, event: MarketEvent) -> None: ...

    async def aclose(self) -> None: ...


def _wanted(kinds: Iterable[str] | None) -> frozenset[str] | None:
    return None if kinds is None else frozenset(kinds)


class CallbackSink:
    """Calls ``callback(event)`` (a plain function or a coroutine function)."""

    def __init__(
        self,
        callback: Callable[[MarketEvent], Awaitable[None] | None],
        *,
        kinds: Iterable[str] | None = None,
    ) -> None:
        self._callback = callback
        self._kinds = _wanted(kinds)

    async def publish(self, event: MarketEvent) -> None:
        if self._kinds is None or event_type(event) in self._kinds:
            result = self._callback(event)
            if result is not None:
                await result

    async def aclose(self) -> None:
        return None


class QueueSink:
    """Puts events on an ``asyncio.Queue`` (a bounded queue slows the client when full)."""

    def __init__(
        self, queue: asyncio.Queue[MarketEvent], *, kinds: Iterable[str] | None = None
    ) -> None:
        self.queue = queue
        self._kinds = _wanted(kinds)

    async def publish(self, event: MarketEvent) -> None:
        if self._kinds is None or event_type(event) in self._kinds:
            await self.queue.put(event)

    async def aclose(self) -> None:
        return None


class FanOut:
    """Every event to every sink, in the order given; one failing sink does not stop the rest."""

    def __init__(self, sinks: Iterable[EventSink]) -> None:
        self.sinks = tuple(sinks)
        self.errors = 0

    async def publish(self, event: MarketEvent) -> None:
        for sink in self.sinks:
            try:
                await sink.publish(event)
            except Exception:
                self.errors += 1
                log.exception(
                    "sink %s failed on a %s event", type(sink).__name__, event_type(event)
                )

    async def aclose(self) -> None:
        for sink in self.sinks:
            try:
                await sink.aclose()
            except Exception:
                self.errors += 1
                log.exception("sink %s failed to close", type(sink).__name__)

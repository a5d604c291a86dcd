"""A warm venue client per worker thread: one event loop, one connection, kept between tasks.

Connecting costs a TCP/TLS handshake and a server-time request (the adapter's clock sync), so
the execution worker keeps one ``ExecutionVenue`` and the event loop it lives in for as long
as the worker runs (``OrdersConfig.warm``; ``docs/execution.md``, "Latency"). Rules:

- one ``VenueRuntime`` per thread (a Celery solo worker runs tasks in one thread; the replay's
  in-process worker in its own): an asyncio client is bound to the loop that created it;
- ``venue()`` connects lazily, once even when two coroutines of a task ask at once;
  ``forget()`` drops the client after a transport failure, so the
  next task connects afresh (the venue may have come back on a new connection);
- ``close()`` closes the client and the loop; the composition root calls
  ``OrdersConfig.close()`` when it stops the worker (an unclosed client leaks its sockets).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from ai_engine.execution.ports import ExecutionVenue

T = TypeVar("T")
ConnectVenue = Callable[[], Awaitable[ExecutionVenue]]


class VenueRuntime:
    """The loop and (lazily) the venue client of one worker thread."""

    def __init__(self, connect: ConnectVenue, *, warm: bool = True) -> None:
        self._connect, self.warm = connect, warm
        self.loop = asyncio.new_event_loop()
        self._venue: ExecutionVenue | None = None
        self._connecting = asyncio.Lock()  # one connect at a time (a task's reads overlap)
        self.connects = 0  # how many times a client was built (the benchmark reports it)

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` to completion on this runtime's loop (from its own thread)."""
        try:
            return self.loop.run_until_complete(work)
        finally:
            if not self.warm:
                self.loop.run_until_complete(self._drop())

    async def venue(self) -> ExecutionVenue:
        if self._venue is None:
            async with self._connecting:
                if self._venue is None:
                    self._venue = await self._connect()
                    self.connects += 1
        return self._venue

    async def forget(self) -> None:
        """Drop the client (after a transport failure); the next ``venue()`` reconnects."""
        await self._drop()

    async def _drop(self) -> None:
        venue, self._venue = self._venue, None
        if venue is not None:
            with contextlib.suppress(Exception):
                await venue.close()

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.run_until_complete(self._drop())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.run_until_complete(self.loop.shutdown_default_executor())  # the DB thread
        self.loop.close()


class Runtimes:
    """One ``VenueRuntime`` per thread, all closed together."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_thread: dict[int, VenueRuntime] = {}

    def get(self, connect: ConnectVenue, warm: bool) -> VenueRuntime:
        key = threading.get_ident()
        with self._lock:
            runtime = self._by_thread.get(key)
            if runtime is None or runtime.loop.is_closed():
                runtime = self._by_thread[key] = VenueRuntime(connect, warm=warm)
            return runtime

    def all(self) -> list[VenueRuntime]:
        with self._lock:
            return list(self._by_thread.values())

    def close(self) -> None:
        with self._lock:
            runtimes, self._by_thread = list(self._by_thread.values()), {}
        for runtime in runtimes:
            runtime.close()

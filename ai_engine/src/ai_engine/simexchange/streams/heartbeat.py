"""Server pings, as Binance sends them, and the cut-off of clients that stop answering.

Binance pings every connection (spot: every 20 s, closing it if no pong comes within a
minute; USD-M: every 3 min, within 10 min) whether or not the client sends anything; a client
library answers on its own. Here one task per connection pings every ``interval`` seconds and,
once a ping has gone ``timeout`` seconds without a pong since, calls ``on_timeout`` (the
connection closes). aiohttp's own ``heartbeat`` is not used: it pings only an idle reader and
gives up after half the interval, which cannot express Binance's 20 s / 60 s.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from aiohttp import web


class Heartbeat:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        interval: float,
        timeout: float,
        on_timeout: Callable[[], None],
    ) -> None:
        self._ws = ws
        self._interval = interval
        self._timeout = timeout
        self._on_timeout = on_timeout
        self._waiting_since: float | None = None  # the first ping not yet answered
        self._task: asyncio.Task[None] | None = None
        self.pongs = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ws-heartbeat")

    def ponged(self) -> None:
        """A pong arrived (any pong answers every ping before it, as in RFC 6455)."""
        self.pongs += 1
        self._waiting_since = None

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + self._interval
        while True:
            due = next_ping
            if self._waiting_since is not None:
                due = min(due, self._waiting_since + self._timeout)
            await asyncio.sleep(max(0.0, due - loop.time()))
            now = loop.time()
            if self._waiting_since is not None and now >= self._waiting_since + self._timeout:
                self._on_timeout()
                return
            if now >= next_ping:
                if self._waiting_since is None:
                    self._waiting_since = now
                next_ping = now + self._interval
                try:
                    await self._ws.ping()
                except ConnectionError:  # the connection is going away: nothing to watch
                    return

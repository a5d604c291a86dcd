"""The connection side of a live client: keep one WebSocket connection open, replace it.

``Supervisor.run`` opens a connection (failures back off exponentially with jitter), lets it
pump messages onto the client's queue, and replaces it when it ends: closed by the server,
lost, or **stale** (no message for ``stale_after_s``: the watchdog). After a connection that
delivered messages, the backoff starts over; one that ends without delivering anything
counts as a failure, so a server that keeps accepting and dropping is not hammered.

Before a connection reaches ``max_connection_age_s`` (Binance closes every connection after
24 hours) the next one is opened *first*; the old one is closed only once the new one has
delivered a message and ``overlap_s`` has passed, and it still delivers what the server had
sent before its close: the two overlap, so nothing is missed (the client drops the doubles).

Every new connection puts an ``Opened`` marker on the queue before any of its messages, so
the processor can catch up (REST backfill, book snapshots) before it reads them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ai_engine.marketdata.live.backoff import Backoff
from ai_engine.marketdata.live.config import LiveConfig, LiveStats
from ai_engine.marketdata.live.connection import (
    ConnectError,
    Connection,
    Received,
    open_connection,
)
from ai_engine.marketdata.live.rest import Sleep
from ai_engine.metrics.definitions import count_reconnect

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Opened:
    connection: int
    planned: bool  # a successor overlapping its predecessor: nothing was missed


class Supervisor:
    def __init__(
        self,
        config: LiveConfig,
        stats: LiveStats,
        put: Callable[[Opened | Received], None],
        *,
        backoff: Backoff,
        sleep: Sleep,
        local_ms: Callable[[], float],
    ) -> None:
        self.config = config
        self.stats = stats
        self._put = put
        self._backoff = backoff
        self._sleep = sleep
        self._local_ms = local_ms
        self._url = config.spec.url(config.ws_url)
        self._stop = asyncio.Event()
        self._connections: set[Connection] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._next_id = 0

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Keep a connection until ``stop()``; ``RejectedError`` if the venue refuses it."""
        current: Connection | None = None
        stop = asyncio.create_task(self._stop.wait())
        try:
            while not self._stop.is_set():
                if current is None:
                    current = await self._connect(planned=False)
                    if current is None:
                        return
                assert current.task is not None
                age_left = self.config.max_connection_age_s - current.age_s()
                await asyncio.wait(
                    {current.task, stop},
                    timeout=max(0.0, age_left),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if self._stop.is_set():
                    return
                if current.task.done():
                    ended = current.task.result()
                    self.stats.ends[ended.split(" ")[0]] += 1
                    count_reconnect("binance", "market_data")  # metrics hook
                    log.info("connection %d ended (%s) after %d messages",
                             current.id, ended, current.messages)  # fmt: skip
                    if current.messages:
                        self._backoff.reset()
                    self._retire(current)
                    current = None
                    await self._wait_backoff()
                    continue
                log.info("connection %d is %.0f s old: opening its successor first",
                         current.id, current.age_s())  # fmt: skip
                successor = await self._connect(planned=True)
                if successor is None:
                    return
                self.stats.planned_reconnects += 1
                self._retire(current, successor)
                current = successor
        finally:
            stop.cancel()

    async def close_all(self) -> None:
        for connection in list(self._connections):
            if connection.task is not None:
                connection.task.cancel()
            await connection.close()
        self._connections.clear()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    async def _connect(self, *, planned: bool) -> Connection | None:
        """Open a connection (retrying with backoff); None if stopped meanwhile."""
        while not self._stop.is_set():
            try:
                ws = await open_connection(self._url, self.config.socket)
            except ConnectError as exc:
                self.stats.connect_failures += 1
                log.warning("cannot connect to %s: %s", self._url, exc)
                await self._wait_backoff()
                continue
            self._next_id += 1
            connection = Connection(self._next_id, ws, time.monotonic())
            self._connections.add(connection)
            self.stats.connections += 1
            self._put(Opened(connection.id, planned))  # before any of its messages
            connection.task = asyncio.create_task(
                connection.pump(self._put, self.config.stale_after_s, self._local_ms),
                name=f"live-connection-{connection.id}",
            )
            return connection
        return None

    async def _wait_backoff(self) -> None:
        """Sleep the next backoff delay, or less if stopped meanwhile."""
        delay = self._backoff.next_delay()
        self.stats.delays.append(delay)
        sleeping = asyncio.ensure_future(self._sleep(delay))
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
            stopping.cancel()

    def _retire(self, connection: Connection, successor: Connection | None = None) -> None:
        """Close ``connection`` in the background; its pump drains what was already sent.
        With a ``successor``, only after the overlap (module docstring; at most 10 x)."""

        async def close() -> None:
            if successor is not None:
                earliest = time.monotonic() + self.config.overlap_s
                deadline = time.monotonic() + 10 * self.config.overlap_s
                while time.monotonic() < deadline and not (
                    successor.messages and time.monotonic() >= earliest
                ):
                    await asyncio.sleep(min(0.05, self.config.overlap_s))
            await connection.close()
            if connection.task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(connection.task, 5.0)
            self._connections.discard(connection)

        task = asyncio.create_task(close(), name=f"live-retire-{connection.id}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

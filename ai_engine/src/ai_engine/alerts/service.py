"""The alerts process: follow the event stream, send the alerts that are due, answer commands.

``AlertService`` reads ``tradingbot:events`` from where it left off (``aread_events`` blocking
``block_ms``), feeds the ``AlertEngine`` and broadcasts every due alert to the authorised chats.
On start it loads the last ``history`` of the stream for context (the win rate needs the last 20
trades, the daily loss the day's start) and primes the engine, so a restart does not re-send
alerts about old events. The time-based rules (idle, daily summary) are evaluated after every
read, at least every ``block_ms`` and at most once a second (a busy stream is read in pages of
500 entries between two evaluations). ``run_alerts`` wires it with the Telegram application
(long polling) for ``tradingbot alerts run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from ai_engine.alerts.engine import AlertEngine
from ai_engine.alerts.notifier import Notifier
from ai_engine.alerts.roundtrips import Entry
from ai_engine.events import STREAM, aread_events

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AlertService:
    def __init__(
        self,
        *,
        redis: AsyncRedis,
        engine: AlertEngine,
        notifier: Notifier,
        clock: Callable[[], datetime] = _utcnow,
        block_ms: int = 1000,
        history: timedelta = timedelta(hours=26),
        on_entries: Callable[[list[Entry]], None] | None = None,
    ) -> None:
        self.redis = redis
        self.engine = engine
        self.notifier = notifier
        self.clock = clock
        self.block_ms = block_ms
        self.history = history
        self.on_entries = on_entries
        self.last_id = "$"
        self.sent = 0
        self.evaluate_every_s = min(1.0, block_ms / 1000)
        self._evaluated = float("-inf")

    async def load_history(self) -> int:
        """Read the recent stream for context, mark what holds as sent; returns entries read."""
        start_ms = int((self.clock() - self.history).timestamp() * 1000)
        after, total = f"{start_ms}-0", 0
        while entries := await aread_events(self.redis, after, count=1000):
            self.engine.observe(entries)
            self._seen(entries)
            after, total = entries[-1][0], total + len(entries)
        held = self.engine.prime(self.clock())
        log.info("alerts: %d entries of history, %d alerts already true", total, held)
        self.last_id = after if total else "$"
        if self.last_id == "$":  # resolve "$" now, or entries between this and the next read
            newest = await self.redis.xrevrange(STREAM, count=1)
            raw = newest[0][0] if newest else "0-0"
            self.last_id = raw.decode() if isinstance(raw, bytes) else str(raw)
        return total

    def _seen(self, entries: list[Entry]) -> None:
        if self.on_entries is not None:
            self.on_entries(entries)

    async def step(self) -> int:
        """One read (blocking up to ``block_ms``) and the alerts due after it; returns sent."""
        entries = await aread_events(self.redis, self.last_id, block_ms=self.block_ms, count=500)
        if entries:
            self.last_id = entries[-1][0]
            self.engine.observe(entries)
            self._seen(entries)
        sent = 0
        if time.monotonic() - self._evaluated < self.evaluate_every_s:
            return sent  # a busy stream: evaluate at most once per interval (rules cost ~0.1 s)
        self._evaluated = time.monotonic()
        for alert in self.engine.due(self.clock()):
            sent += await self.notifier.broadcast(alert.render())
        self.sent += sent
        return sent

    async def run(self, stop: asyncio.Event) -> None:
        await self.load_history()
        while not stop.is_set():
            try:
                await self.step()
            except (RedisError, OSError) as exc:  # Redis went away: wait, then resume
                log.warning("alerts: event stream unavailable: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=2.0)

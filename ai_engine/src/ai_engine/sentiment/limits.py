"""Spending limits for Claude: a daily token budget and a request-rate limiter.

* ``TokenBudget``: tokens (input + output, from each response's ``usage``) spent per UTC day,
  against ``daily_limit``. A new UTC day starts from zero. ``exhausted()`` is checked before a
  call; a call already under way is allowed to finish, so a day can overshoot by one answer.
  Seed it with what the store says was spent today so a restart does not reset the budget.
* ``RateLimiter``: at most one request every ``60 / per_minute`` seconds (requests are spaced,
  not burst), across every task sharing it. Time and sleep are injectable for tests.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import date

from ai_engine.domain.clock import Clock
from ai_engine.domain.errors import DomainValueError


class TokenBudget:
    def __init__(self, daily_limit: int, clock: Clock, *, spent_today: int = 0) -> None:
        if daily_limit < 0:
            raise DomainValueError(f"daily token budget must be >= 0, got {daily_limit}")
        self.daily_limit = daily_limit
        self._clock = clock
        self._lock = threading.Lock()
        self._day: date = clock.now().date()
        self._spent = spent_today

    def _roll(self) -> None:
        today = self._clock.now().date()
        if today != self._day:
            self._day, self._spent = today, 0

    def spent(self) -> int:
        with self._lock:
            self._roll()
            return self._spent

    def remaining(self) -> int:
        return max(0, self.daily_limit - self.spent())

    def exhausted(self) -> bool:
        return self.remaining() <= 0

    def spend(self, tokens: int) -> None:
        with self._lock:
            self._roll()
            self._spent += max(0, tokens)

    def reason(self) -> str:
        return (
            f"daily Claude token budget used up ({self.spent()} of {self.daily_limit} tokens; "
            "resets at 00:00 UTC)"
        )


class RateLimiter:
    def __init__(
        self,
        per_minute: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_minute <= 0:
            raise DomainValueError(f"requests per minute must be > 0, got {per_minute}")
        self.interval = 60.0 / per_minute
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = float("-inf")
        # A thread lock, not an asyncio one: the limiter is shared by requests that may run on
        # different event loops (the API's thread pool, the CLI); only the booking is locked.
        self._lock = threading.Lock()

    def _book(self) -> float:
        """Reserve the next slot; how long to wait for it."""
        with self._lock:
            now = self._monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
            return start - now

    async def wait(self) -> None:
        """Return when the next request may start."""
        delay = self._book()
        if delay > 0:
            await self._sleep(delay)

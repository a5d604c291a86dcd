"""Telegram's sending limits, kept on our side: ~30 messages a second in all, one a second per chat.

``SendLimiter.acquire(chat_id)`` waits (with the injected ``sleep``) until a message to that chat
may go: at most ``per_second`` sends in any rolling second, and ``per_chat_interval`` seconds
between two sends to one chat. The clock and sleep are injected so the limits are tested exactly.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable


class SendLimiter:
    def __init__(
        self,
        *,
        per_second: int = 30,
        per_chat_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_second < 1 or per_chat_interval < 0:
            raise ValueError("per_second must be >= 1 and per_chat_interval >= 0")
        self.per_second = per_second
        self.per_chat_interval = per_chat_interval
        self._clock = clock
        self._sleep = sleep
        self._recent: deque[float] = deque()
        self._last_by_chat: dict[int, float] = {}
        self._lock = asyncio.Lock()

    def wait_for(self, chat_id: int, now: float) -> float:
        """Seconds to wait before a send to ``chat_id`` at ``now`` (0 when it may go)."""
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        wait = 0.0
        if len(self._recent) >= self.per_second:
            wait = self._recent[0] + 1.0 - now
        last = self._last_by_chat.get(chat_id)
        if last is not None:
            wait = max(wait, last + self.per_chat_interval - now)
        return max(wait, 0.0)

    async def acquire(self, chat_id: int) -> None:
        async with self._lock:
            while (wait := self.wait_for(chat_id, self._clock())) > 0:
                await self._sleep(wait)
            now = self._clock()
            self._recent.append(now)
            self._last_by_chat[chat_id] = now

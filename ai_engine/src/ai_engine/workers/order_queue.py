"""What the execution workers share about the venue's availability: the wait queue and the
rate-limit back-off (Redis, so every worker process sees the same; in memory without Redis).

- **Wait queue** (``tradingbot:orders:venue_wait``, a sorted set: client id -> expiry epoch
  seconds). While the venue is unreachable, an intent waits in it and its task is retried
  with back-off. At most ``MAX_WAITING`` (10) intents wait at once: an 11th that was never
  sent is refused (``rejected``, "queue full"). An intent whose expiry passes while it waits,
  and that was never sent, is recorded ``expired`` and never sent. Entries past their expiry
  are pruned on every look, so a worker that died leaves nothing behind for long.
- **Back-off** (``tradingbot:orders:backoff_until``, epoch ms with a matching TTL). A 429
  (or 418) sets it from the venue's ``Retry-After``; until then no worker sends anything to
  the venue (Binance bans an IP that keeps sending during a ``Retry-After``): tasks are
  retried when it ends.
- ``DEFAULT_TTL_S``: the expiry of an intent that names none, counted from when the trader
  persisted it (the ``orders`` row's ``created_at``, wall clock).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

MAX_WAITING = 10
DEFAULT_TTL_S = 60.0
WAIT_KEY = "tradingbot:orders:venue_wait"
BACKOFF_KEY = "tradingbot:orders:backoff_until"


class VenueGate(Protocol):
    def wait(self, client_order_id: str, expires_s: float) -> bool:
        """Put the intent in the wait queue; False if it is not there and the queue is full."""
        ...

    def done(self, client_order_id: str) -> None: ...

    def waiting(self) -> list[str]: ...

    def back_off(self, seconds: float) -> None:
        """Nothing goes to the venue for ``seconds`` (a later end wins)."""
        ...

    def backoff_left_s(self) -> float: ...


class MemoryGate:
    """The gate of one process (tests, and a worker without Redis)."""

    def __init__(self, max_waiting: int = MAX_WAITING) -> None:
        self.max_waiting = max_waiting
        self._lock = threading.Lock()
        self._waiting: dict[str, float] = {}
        self._until = 0.0

    def wait(self, client_order_id: str, expires_s: float) -> bool:
        now = time.time()
        with self._lock:
            self._waiting = {k: v for k, v in self._waiting.items() if v > now}
            if client_order_id not in self._waiting and len(self._waiting) >= self.max_waiting:
                return False
            self._waiting[client_order_id] = expires_s
            return True

    def done(self, client_order_id: str) -> None:
        with self._lock:
            self._waiting.pop(client_order_id, None)

    def waiting(self) -> list[str]:
        now = time.time()
        with self._lock:
            return [k for k, v in self._waiting.items() if v > now]

    def back_off(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.time() + seconds)

    def backoff_left_s(self) -> float:
        return max(0.0, self._until - time.time())


# Atomic "add unless full" (prune expired first): KEYS[1] zset, ARGV now, cid, expiry, max.
_WAIT_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
return 1
"""


class RedisGate:
    """The gate shared by every worker on one Redis (the module docstring's keys)."""

    def __init__(self, client: Any, max_waiting: int = MAX_WAITING) -> None:
        self.client, self.max_waiting = client, max_waiting
        self._script = client.register_script(_WAIT_SCRIPT)

    @classmethod
    def from_url(cls, url: str, max_waiting: int = MAX_WAITING) -> RedisGate:
        import redis

        return cls(redis.Redis.from_url(url), max_waiting)

    def wait(self, client_order_id: str, expires_s: float) -> bool:
        args = [repr(time.time()), client_order_id, repr(expires_s), str(self.max_waiting)]
        return bool(self._script(keys=[WAIT_KEY], args=args))

    def done(self, client_order_id: str) -> None:
        self.client.zrem(WAIT_KEY, client_order_id)

    def waiting(self) -> list[str]:
        found = self.client.zrangebyscore(WAIT_KEY, repr(time.time()), "+inf")
        return [x.decode() if isinstance(x, bytes) else str(x) for x in found]

    def back_off(self, seconds: float) -> None:
        until_ms = int((time.time() + seconds) * 1000)
        current = self.backoff_left_s()
        if current * 1000 >= until_ms - int(time.time() * 1000):
            return
        self.client.set(BACKOFF_KEY, str(until_ms), px=max(1, int(seconds * 1000)))

    def backoff_left_s(self) -> float:
        raw = self.client.get(BACKOFF_KEY)
        if raw is None:
            return 0.0
        return max(0.0, int(raw) / 1000 - time.time())

    def close(self) -> None:
        self.client.close()

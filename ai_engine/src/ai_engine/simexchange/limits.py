"""Binance's rate limits on wall-clock windows: request weight per IP, new orders per account.

Weight: every ``/api`` request adds its endpoint's weight to the IP's count for the current
wall-clock minute (``X-MBX-USED-WEIGHT-1M``). The request that goes over the limit gets 429
(-1003, ``Retry-After`` = seconds to the next minute); any request in the same minute after
that 429 gets the IP banned for ``ban_seconds`` and answered 418 until the ban ends. A 429
injected by a fault rule counts the same way (``rate_limited``): a request before its
``Retry-After`` has passed is banned, so a client that ignores it is caught.
Orders: new orders per account in the current 10-second and day windows
(``X-MBX-ORDER-COUNT-10S``/``-1D``); over either limit is 429 with -1015, not counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ai_engine.simexchange.errors import banned, too_many_orders, too_much_weight

MINUTE_MS = 60_000
TEN_SECONDS_MS = 10_000
DAY_MS = 86_400_000


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def _seconds_until(end_ms: int, now_ms: int) -> int:
    return max(1, -(-(end_ms - now_ms) // 1000))


@dataclass(slots=True)
class _IpState:
    minute: int = -1
    used: int = 0
    warned_minute: int = -1
    banned_until: int = 0
    quiet_until: int = 0  # an injected 429's Retry-After: any request before it is banned


class RequestWeights:
    def __init__(
        self, limit: int, ban_seconds: int, wall_ms: Callable[[], int] = wall_clock_ms
    ) -> None:
        self.limit = limit
        self.ban_ms = ban_seconds * 1000
        self._wall_ms = wall_ms
        self._ips: dict[str, _IpState] = {}

    def charge(self, ip: str, weight: int) -> int:
        """Add ``weight`` for ``ip``; returns the minute's total or raises 429/418."""
        now = self._wall_ms()
        minute = now // MINUTE_MS
        state = self._ips.get(ip)
        if state is None:
            state = self._ips[ip] = _IpState()
        if state.banned_until > now:
            raise banned(state.banned_until, _seconds_until(state.banned_until, now))
        if state.quiet_until > now:
            state.banned_until = now + self.ban_ms
            raise banned(state.banned_until, _seconds_until(state.banned_until, now))
        if state.minute != minute:
            state.minute, state.used = minute, 0
        state.used += weight
        if state.used > self.limit:
            if state.warned_minute == minute:
                state.banned_until = now + self.ban_ms
                raise banned(state.banned_until, _seconds_until(state.banned_until, now))
            state.warned_minute = minute
            raise too_much_weight(self.limit, _seconds_until((minute + 1) * MINUTE_MS, now))
        return state.used

    def rate_limited(self, ip: str, retry_after_s: int) -> None:
        """A 429 was answered to ``ip`` outside the weight count (an injected fault): any
        request before ``retry_after_s`` has passed gets the IP banned, as after a real one."""
        state = self._ips.get(ip)
        if state is None:
            state = self._ips[ip] = _IpState()
        state.quiet_until = max(state.quiet_until, self._wall_ms() + retry_after_s * 1000)

    def used(self, ip: str) -> int:
        state = self._ips.get(ip)
        if state is None or state.minute != self._wall_ms() // MINUTE_MS:
            return 0
        return state.used


class OrderCounter:
    def __init__(
        self, per_10s: int, per_day: int, wall_ms: Callable[[], int] = wall_clock_ms
    ) -> None:
        self.per_10s = per_10s
        self.per_day = per_day
        self._wall_ms = wall_ms
        self._counts: dict[str, list[int]] = {}  # account -> [10s window, count, day, count]

    def _state(self, account: str) -> list[int]:
        now = self._wall_ms()
        window, day = now // TEN_SECONDS_MS, now // DAY_MS
        state = self._counts.setdefault(account, [window, 0, day, 0])
        if state[0] != window:
            state[0], state[1] = window, 0
        if state[2] != day:
            state[2], state[3] = day, 0
        return state

    def count(self, account: str) -> None:
        """Count one new order, or raise -1015 if a window is full."""
        state = self._state(account)
        now = self._wall_ms()
        if state[1] >= self.per_10s:
            end = (state[0] + 1) * TEN_SECONDS_MS
            raise too_many_orders(self.per_10s, "10 SECOND", _seconds_until(end, now))
        if state[3] >= self.per_day:
            end = (state[2] + 1) * DAY_MS
            raise too_many_orders(self.per_day, "1 DAY", _seconds_until(end, now))
        state[1] += 1
        state[3] += 1

    def headers(self, account: str) -> dict[str, str]:
        state = self._state(account)
        return {"X-MBX-ORDER-COUNT-10S": str(state[1]), "X-MBX-ORDER-COUNT-1D": str(state[3])}

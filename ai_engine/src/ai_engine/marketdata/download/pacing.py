"""Pacing against Binance's request-weight limit, from what the server says it has counted.

Binance counts request weight per IP in windows of one wall-clock minute (server time) and
reports the running total in ``X-MBX-USED-WEIGHT-1M`` on every answer. Going over the limit
is a 429; sending anything else in that minute is a 418 ban. So, before each request of
weight ``w``, with ``used`` the last count seen in the current minute and ``limit`` the
``REQUEST_WEIGHT`` limit of exchangeInfo:

- ``used + w > stop_at x limit``: wait for the next minute (plus ``margin_s``);
- ``used > slow_from x limit``: spread what is left of the budget over what is left of the
  minute (a pause of ``seconds left / requests that still fit``);
- otherwise go at once.

A 429 or 418 blocks every request until its ``Retry-After`` has passed (``block_until``), and
a 429 from the weight limiter (it carries the weight header) marks the minute as spent.
Other clients on the same IP only show up in the counts the server returns, so a 429 can
still happen; the retry loop then honours Retry-After.
Times are server time in seconds (the caller adds its measured clock offset).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MINUTE_S = 60.0


@dataclass
class WeightPacer:
    limit: int  # REQUEST_WEIGHT per minute
    slow_from: float = 0.5
    stop_at: float = 0.9
    margin_s: float = 0.5  # after a minute boundary, for clock offset and skew
    used: int = 0  # as last reported by the server
    minute: int = -1  # the minute (server time // 60) of that report
    blocked_until: float = 0.0  # a Retry-After in force until then

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"weight limit must be positive, got {self.limit}")
        if not 0 < self.slow_from <= self.stop_at <= 1:
            raise ValueError("need 0 < slow_from <= stop_at <= 1")

    def delay(self, now: float, weight: int) -> float:
        """Seconds to wait before sending a request of ``weight`` at server time ``now``."""
        wait = max(0.0, self.blocked_until - now)
        at = now + wait
        minute = math.floor(at / MINUTE_S)
        used = self.used if minute == self.minute else 0
        budget = self.limit * self.stop_at
        if used + weight > budget and used > 0:
            return (minute + 1) * MINUTE_S + self.margin_s - now
        if used > self.limit * self.slow_from:
            left = (minute + 1) * MINUTE_S - at
            fits = max(1.0, (budget - used) / max(weight, 1))
            return wait + left / fits
        return wait

    def observe(self, now: float, used: int) -> None:
        """The server's count after an answer received at ``now``."""
        minute = math.floor(now / MINUTE_S)
        if minute == self.minute and used < self.used:
            return  # an older answer arriving late; the higher count stands
        self.minute, self.used = minute, used

    def block_until(self, until: float) -> None:
        self.blocked_until = max(self.blocked_until, until)

    def spent(self, now: float) -> None:
        """A 429 says this minute's budget is gone, whatever the counts said."""
        self.minute, self.used = math.floor(now / MINUTE_S), self.limit

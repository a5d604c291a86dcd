"""The retry policy: which failures are tried again, and how long to wait before each try.

Every failed request is classified (by the client wrapper that knows its library's exceptions)
into one ``Failure`` with an outcome:

- ``RETRY`` -- timeout, connection error, HTTP 5xx, a garbled answer: tried again after an
  exponential backoff with jitter, attempt n waiting ``d/2 + uniform(0, d/2)`` with
  ``d = min(cap, base x 2^(n-1))``; after ``max_attempts`` failures, ``RetriesExhaustedError``.
- ``RATE_LIMITED`` -- HTTP 429: nothing is sent before its ``Retry-After`` has passed; costs
  no attempt, but more than ``max_rate_limited`` in a row for one request give up.
- ``BANNED`` -- HTTP 418: the same wait if ``Retry-After`` is at most ``max_ban_wait_s``,
  else ``BannedError`` at once (Binance's bans grow from minutes to days).
- ``FATAL`` -- any other 4xx (-1121 "Invalid symbol.", -1120 bad interval...): never tried
  again, ``ExchangeRefusedError``.

The jitter comes from a ``random.Random`` the caller passes in (seed it for repeatable runs).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum


class Outcome(Enum):
    RETRY = "retry"
    RATE_LIMITED = "rate limited"
    BANNED = "banned"
    FATAL = "fatal"


@dataclass(frozen=True)
class Failure:
    """One failed attempt, as the retry loop needs it."""

    outcome: Outcome
    what: str  # for messages: "HTTP 503 (-1001 Internal error...)", "read timeout"
    status: int | None = None  # HTTP status, if an answer came
    code: int | None = None  # Binance's error code, if the answer had one
    retry_after_s: float | None = None  # the Retry-After header
    used_weight: int | None = None  # X-MBX-USED-WEIGHT-1M of the answer


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8  # tries of one request failing with RETRY outcomes
    base_s: float = 0.5
    cap_s: float = 30.0
    max_rate_limited: int = 20  # 429 answers to one request in a row before giving up
    max_ban_wait_s: float = 180.0  # a 418 asking to wait longer than this stops the download

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_rate_limited < 1:
            raise ValueError("max_attempts and max_rate_limited must be at least 1")
        if self.base_s < 0 or self.cap_s < self.base_s or self.max_ban_wait_s < 0:
            raise ValueError("need 0 <= base_s <= cap_s and max_ban_wait_s >= 0")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.cap_s, self.base_s * 2 ** (attempt - 1))
        return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


def retry_after(value: str | None) -> float | None:
    """The Retry-After header in seconds (Binance sends whole seconds); None if absent/odd."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def used_weight(value: str | None) -> int | None:
    """The X-MBX-USED-WEIGHT-1M header, or None."""
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())

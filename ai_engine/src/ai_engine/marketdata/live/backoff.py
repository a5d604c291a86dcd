"""Exponential backoff with jitter, for reconnecting and for retrying REST calls.

Attempt ``n`` (0-based) waits ``min(cap, initial * factor**n)`` scaled by a random factor in
``[1 - jitter, 1]``: the delay grows geometrically, never exceeds ``cap``, and clients that
lost the same server at the same moment do not all come back at once. The random source is
injected (``random.Random(seed)``) so a test sees exactly the delays it expects.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class BackoffPolicy:
    initial_s: float = 0.5
    factor: float = 2.0
    cap_s: float = 30.0
    jitter: float = 0.5  # 0: exact delays; 1: anywhere between 0 and the full delay

    def __post_init__(self) -> None:
        if not (self.initial_s > 0 and self.cap_s >= self.initial_s):
            raise ValueError("backoff needs 0 < initial_s <= cap_s")
        if self.factor < 1:
            raise ValueError("backoff factor must be at least 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("backoff jitter must be between 0 and 1")

    def ceiling(self, attempt: int) -> float:
        """The delay of ``attempt`` before jitter."""
        if attempt < 0:
            raise ValueError("attempt must not be negative")
        # Compare exponents, not powers: factor ** 2000 overflows a float.
        delay = self.initial_s
        for _ in range(attempt):
            delay *= self.factor
            if delay >= self.cap_s:
                return self.cap_s
        return min(delay, self.cap_s)


@dataclass(slots=True)
class Backoff:
    """Successive delays of ``policy``; ``reset()`` after a success."""

    policy: BackoffPolicy = field(default_factory=BackoffPolicy)
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = self.policy.ceiling(self.attempt)
        self.attempt += 1
        return ceiling * (1.0 - self.policy.jitter * self.rng.random())

    def reset(self) -> None:
        self.attempt = 0

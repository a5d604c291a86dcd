"""The venue's clock as seen from here: ``offset = server time - local time``.

One sample: read the local clock (t0), ask the server's time (s), read the local clock again
(t1); the server read its clock somewhere in between, best guessed at the midpoint, so
``offset = s - (t0 + t1) / 2`` with an error of at most half the round trip ``t1 - t0``.
Of the last few samples the one with the shortest round trip is the most precise, and that
one is the value exposed (``offset_ms``). Local time is injected (epoch milliseconds), so a
test can put the local clock off by a known amount and see it measured.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


def wall_ms() -> float:
    return time.time() * 1000.0


@dataclass(frozen=True, slots=True)
class OffsetSample:
    offset_ms: float
    rtt_ms: float
    local_ms: float  # local time at the midpoint


class ClockOffset:
    def __init__(self, local_ms: Callable[[], float] = wall_ms, *, keep: int = 8) -> None:
        if keep < 1:
            raise ValueError("keep at least one sample")
        self.local_ms = local_ms
        self._samples: deque[OffsetSample] = deque(maxlen=keep)

    async def measure(self, server_ms: Callable[[], Awaitable[int]]) -> OffsetSample:
        before = self.local_ms()
        server = await server_ms()
        after = self.local_ms()
        middle = (before + after) / 2.0
        sample = OffsetSample(offset_ms=server - middle, rtt_ms=after - before, local_ms=middle)
        self._samples.append(sample)
        return sample

    @property
    def best(self) -> OffsetSample | None:
        return min(self._samples, key=lambda s: s.rtt_ms) if self._samples else None

    @property
    def offset_ms(self) -> float | None:
        """Server minus local milliseconds; None before the first measurement."""
        best = self.best
        return None if best is None else best.offset_ms

    def server_now_ms(self) -> float:
        """The venue's time now (the local time while nothing was measured)."""
        return self.local_ms() + (self.offset_ms or 0.0)

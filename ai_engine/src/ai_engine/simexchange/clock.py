"""The replay clock: the exchange's market "now", moving over stored history.

Only market data and matching run on this clock. Request authentication (``timestamp``,
``recvWindow``) and ``/api/v3/time`` use the wall clock, because python-binance computes its
timestamp offset from ``/time`` and signs with wall-clock timestamps.

The clock never goes back and never passes the end of the data (the close of the last bar).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime

from ai_engine.domain import from_epoch_ms


class ReplayClock:
    """Replay time in epoch ms: ``start + elapsed wall time x speed`` plus manual advances.

    ``speed`` 0 (manual) and ``math.inf`` (max: driven by the exchange's own loop) move only
    through ``advance``.
    """

    def __init__(
        self,
        start_ms: int,
        end_ms: int,
        speed: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if end_ms < start_ms:
            raise ValueError(f"replay start {start_ms} is after the end of the data {end_ms}")
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.speed = speed
        self._monotonic = monotonic
        self._anchor_ms = start_ms
        self._anchor_wall = monotonic()

    @property
    def runs_in_real_time(self) -> bool:
        return 0 < self.speed < math.inf

    @property
    def is_manual(self) -> bool:
        return self.speed == 0

    def now_ms(self) -> int:
        if not self.runs_in_real_time:
            return self._anchor_ms
        elapsed = (self._monotonic() - self._anchor_wall) * 1000.0 * self.speed
        return min(self._anchor_ms + int(elapsed), self.end_ms)

    def now(self) -> datetime:
        """The ``domain.Clock`` protocol: replay now as a UTC datetime."""
        return from_epoch_ms(self.now_ms())

    def advance(self, ms: int) -> int:
        """Move forward by ``ms`` (clamped at the end of the data); returns the new now."""
        if ms < 0:
            raise ValueError("the replay clock does not go back")
        self._anchor_ms = min(self.now_ms() + ms, self.end_ms)
        self._anchor_wall = self._monotonic()
        return self._anchor_ms

    @property
    def at_end(self) -> bool:
        return self.now_ms() >= self.end_ms

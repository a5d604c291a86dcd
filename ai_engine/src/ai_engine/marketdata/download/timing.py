"""Time for downloads: the wall clock and sleeping, injected so tests run on a fake clock.

``now()`` is seconds since the Unix epoch (UTC, float); ``sleep()`` blocks. Every wait of the
downloaders (pacing, backoff, Retry-After) goes through ``sleep``, so a fake that advances its
clock instead makes retries instant and deterministic; the simulated exchange can be given the
same fake as its wall clock (its rate-limit minutes then follow it).
"""

from __future__ import annotations

import time
from typing import Protocol


class Timing(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemTiming:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

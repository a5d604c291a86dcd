"""Bounded polling: servers become ready or go away asynchronously, we never sleep blindly."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll `condition` until it holds (True) or `timeout` seconds pass (False).

    The interval grows gently so a fast server is seen within ~50 ms while a slow one is not
    hammered; the condition is always checked once more at the deadline.
    """
    deadline = time.monotonic() + timeout
    delay = interval
    while True:
        if condition():
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 0.5)

"""Requests for the missing ranges: fixed windows, in time order.

Klines go in windows of ``chunk_bars`` bars (1,000: the most one spot request returns), so
the number of requests is known before the first one (the progress bar's total) and a window
holding an exchange halt simply comes back short. Aggregate trades go in windows of one hour,
the longest ``startTime``/``endTime`` span Binance accepts. Funding needs no windows: a few
requests page through years of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class Window:
    start_ms: int
    end_ms: int  # exclusive

    @property
    def last_ms(self) -> int:
        """The inclusive end Binance's ``endTime`` wants."""
        return self.end_ms - 1


def windows(ranges: Iterable[tuple[int, int]], size_ms: int) -> list[Window]:
    """``ranges`` cut into consecutive windows of at most ``size_ms``."""
    if size_ms <= 0:
        raise ValueError(f"window size must be positive, got {size_ms}")
    cut: list[Window] = []
    for start, end in ranges:
        at = start
        while at < end:
            cut.append(Window(at, min(at + size_ms, end)))
            at += size_ms
    return cut

"""De-duplication and hole detection, per series.

Bars: a series remembers the open time of the last closed bar it published. A closed bar
that opens at or before it was seen already (duplicate: dropped); one that opens exactly one
interval later is next; one further on leaves a hole, which the client fills from REST
before publishing it (a real hole in the venue's data, such as Binance's spot halt of
2023-03-24 12:40-14:00 UTC, comes back empty from REST and stays a hole). An update of a bar
in progress that opens at or before the last closed bar is stale and dropped.

Trades, book tickers and mark prices: a sequence number (trade id, book update id, event
time) must grow; anything at or below the last one seen was delivered already (the overlap
of two connections during a planned reconnect).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Seen(Enum):
    FIRST = "first"  # the series had no bar yet: start here
    NEXT = "next"
    DUPLICATE = "duplicate"
    HOLE = "hole"  # bars between the last one and this one are missing


@dataclass(slots=True)
class BarCursor:
    step_ms: int
    last_open_ms: int | None = None

    def classify(self, open_ms: int) -> Seen:
        if self.last_open_ms is None:
            return Seen.FIRST
        if open_ms <= self.last_open_ms:
            return Seen.DUPLICATE
        if open_ms == self.last_open_ms + self.step_ms:
            return Seen.NEXT
        return Seen.HOLE

    @property
    def next_open_ms(self) -> int | None:
        """Where the next bar should open; None before the first bar."""
        return None if self.last_open_ms is None else self.last_open_ms + self.step_ms

    def advance(self, open_ms: int) -> None:
        self.last_open_ms = open_ms


class SequenceFilter:
    """Accepts strictly growing numbers per key."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def accept(self, key: str, number: int) -> bool:
        last = self._last.get(key)
        if last is not None and number <= last:
            return False
        self._last[key] = number
        return True

    def forget(self, key: str) -> None:
        self._last.pop(key, None)

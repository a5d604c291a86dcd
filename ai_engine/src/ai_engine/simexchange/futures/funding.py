"""Funding events of one perpetual, from the store: the real funding times and rates.

Binance settles funding every 8 hours (00:00, 08:00, 16:00 UTC); the stored times are the
exchange's own (a few ms late at times), and the venue settles each one when the replay clock
reaches it. Without stored events a symbol pays no funding (the venue logs nothing; the docs
say so). Nothing here looks ahead: callers ask only for events at or before "now".
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal

from ai_engine.marketdata import BarStore, UnknownSeries
from ai_engine.simexchange.market import to_decimal

EIGHT_HOURS_MS = 8 * 3_600_000


@dataclass(frozen=True, slots=True)
class FundingEvent:
    time_ms: int
    rate: Decimal


class FundingSchedule:
    __slots__ = ("events", "times")

    def __init__(self, events: list[FundingEvent]) -> None:
        self.events = events
        self.times = [event.time_ms for event in events]

    @classmethod
    def load(cls, store: BarStore, symbol: str) -> FundingSchedule:
        try:
            funding = store.load_funding(symbol)
        except UnknownSeries:
            return cls([])
        return cls(
            [
                FundingEvent(int(time), to_decimal(rate))
                for time, rate in zip(funding.funding_time, funding.funding_rate, strict=True)
            ]
        )

    def __len__(self) -> int:
        return len(self.events)

    def count_until(self, now_ms: int) -> int:
        """How many events happened at or before ``now_ms``."""
        return bisect.bisect_right(self.times, now_ms)

    def last(self, now_ms: int) -> FundingEvent | None:
        count = self.count_until(now_ms)
        return self.events[count - 1] if count else None

    def next_time(self, now_ms: int) -> int:
        """The next funding time after ``now_ms``: the stored one, else the next 8 h mark."""
        count = self.count_until(now_ms)
        if count < len(self.events):
            return self.times[count]
        return (now_ms // EIGHT_HOURS_MS + 1) * EIGHT_HOURS_MS

    def history(
        self, now_ms: int, start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[FundingEvent]:
        """Events up to ``now_ms`` in ``[start, end]`` (Binance: the first ``limit`` from
        ``start``, else the last ``limit`` up to ``end``)."""
        stop = self.count_until(now_ms if end_ms is None else min(now_ms, end_ms))
        first = 0 if start_ms is None else bisect.bisect_left(self.times, start_ms)
        if start_ms is None:
            return self.events[max(0, stop - limit) : stop]
        return self.events[first : min(stop, first + limit)]

"""Trading sessions for markets that close: US stocks (regular hours) and forex (24/5).

Crypto trades around the clock and has no ``TradingHours`` at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ai_engine.domain.clock import require_utc
from ai_engine.domain.errors import DomainValueError

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
WEEKDAYS = frozenset({MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY})


@dataclass(frozen=True, slots=True, kw_only=True)
class TradingHours:
    """A daily session in a named time zone, on some days of the week.

    ``open``/``close`` are local wall-clock times, so daylight saving is handled by the zone
    database. If ``close <= open`` the session runs overnight and ends on the next day; a session
    is named after the day it *opens* (``weekdays`` and ``closed_dates`` refer to that day). Forex
    is then "17:00 to 17:00 New York, opening Sunday to Thursday".
    """

    timezone: str
    open: time
    close: time
    weekdays: frozenset[int] = WEEKDAYS
    # Full-day closures (exchange holidays), by session date; the caller supplies the calendar.
    closed_dates: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise DomainValueError(f"unknown time zone {self.timezone!r}") from None
        if self.open.tzinfo is not None or self.close.tzinfo is not None:
            raise DomainValueError("session times are local wall-clock times; give them no tzinfo")
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise DomainValueError(f"weekdays must be a non-empty subset of 0..6: {self.weekdays}")

    @property
    def overnight(self) -> bool:
        return self.close <= self.open

    def is_open(self, at: datetime) -> bool:
        """Whether the session is open at ``at`` (tz-aware UTC). Open is inclusive, close not."""
        local = require_utc(at, what="at").astimezone(ZoneInfo(self.timezone))
        day, clock = local.date(), local.time()
        if not self.overnight:
            return self._trades_on(day) and self.open <= clock < self.close
        opened_today = self._trades_on(day) and clock >= self.open
        opened_yesterday = self._trades_on(day - timedelta(days=1)) and clock < self.close
        return opened_today or opened_yesterday

    def _trades_on(self, session_date: date) -> bool:
        return session_date.weekday() in self.weekdays and session_date not in self.closed_dates


NYSE_REGULAR_HOURS = TradingHours(timezone="America/New_York", open=time(9, 30), close=time(16, 0))
"""NYSE/Nasdaq regular session, 09:30-16:00 New York, Monday to Friday (no holiday calendar)."""

FOREX_HOURS = TradingHours(
    timezone="America/New_York",
    open=time(17, 0),
    close=time(17, 0),
    weekdays=frozenset({SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY}),
)
"""Spot forex: opens Sunday 17:00 New York, closes Friday 17:00 New York."""

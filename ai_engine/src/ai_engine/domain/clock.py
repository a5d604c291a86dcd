"""Time: an injected ``Clock`` and the one rule for timestamps (tz-aware, UTC).

Nothing in the domain calls ``datetime.now()``; whoever needs the time is handed a clock, so
backtests, replays and tests control it. Epochs on the wire are integer **milliseconds** (what
Binance sends); they are converted once, at the boundary, with the helpers below.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from ai_engine.domain.errors import DomainValueError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time as a tz-aware UTC datetime."""
        ...


class SystemClock:
    """The wall clock. Only composition roots (CLI, workers, API) should create one."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: for tests, backtests and replays."""

    def __init__(self, start: datetime) -> None:
        self._now = require_utc(start, what="start")

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        at = require_utc(at, what="time")
        if at < self._now:
            raise DomainValueError(f"clock cannot go back from {self._now} to {at}")
        self._now = at

    def advance(self, delta: timedelta) -> datetime:
        self.set(self._now + delta)
        return self._now


def require_utc(value: datetime, *, what: str = "timestamp") -> datetime:
    """Return ``value`` with ``tzinfo=UTC``; refuse naive datetimes and non-UTC offsets.

    A naive datetime is ambiguous and an offset other than zero is almost always a local time
    that leaked from a display layer, so both are refused rather than guessed at.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    offset = value.utcoffset()
    if offset is None:
        raise DomainValueError(f"{what} must be timezone-aware (UTC), got naive {value}")
    if offset != timedelta(0):
        raise DomainValueError(f"{what} must be in UTC, got offset {offset} in {value}")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def from_epoch_ms(ms: int) -> datetime:
    """Integer epoch milliseconds to a UTC datetime, exactly (no float seconds in between)."""
    if isinstance(ms, bool) or not isinstance(ms, int):
        raise TypeError(f"epoch milliseconds must be int, not {type(ms).__name__}")
    return _EPOCH + timedelta(milliseconds=ms)


def to_epoch_ms(at: datetime) -> int:
    """UTC datetime to integer epoch milliseconds; refuses sub-millisecond precision loss."""
    delta = require_utc(at) - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if micros % 1000:
        raise DomainValueError(f"{at} has sub-millisecond precision")
    return micros // 1000

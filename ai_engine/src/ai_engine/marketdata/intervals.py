"""Bar intervals ("1s", "5m", "4h", "1d", "1w") and conversions of the store's one time unit.

Every timestamp in the market-data store is an int64 count of milliseconds since the Unix epoch,
UTC. Bars are labelled by their open time. Buckets are aligned on UTC epoch boundaries (so "4h"
bars open at 00:00, 04:00, ... UTC and "1d" bars at midnight UTC), except weeks, which open on
Monday 00:00 UTC as on Binance.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from ai_engine.domain.errors import DomainValueError

_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_PATTERN = re.compile(r"^([1-9][0-9]{0,3})([smhdw])$")
DAY_MS = _UNIT_MS["d"]
# The epoch (1970-01-01) was a Thursday; Binance weeks start on Monday, four days later.
_WEEK_OFFSET_MS = 4 * DAY_MS
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def interval_ms(interval: str) -> int:
    """Length of ``interval`` in milliseconds; ``ValueError`` for anything else ("1mo", "5x")."""
    match = _PATTERN.match(interval)
    if match is None:
        raise DomainValueError(
            f"unknown interval {interval!r}: expected a count and a unit s, m, h, d or w "
            "(e.g. 1s, 1m, 5m, 4h, 1d, 1w)"
        )
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def is_interval(interval: str) -> bool:
    return _PATTERN.match(interval) is not None


def bucket_starts(times: npt.NDArray[np.int64], interval: str) -> npt.NDArray[np.int64]:
    """The open time of the ``interval`` bucket each timestamp falls in (vectorised floor)."""
    step = interval_ms(interval)
    offset = _WEEK_OFFSET_MS if interval.endswith("w") else 0
    return ((times - offset) // step) * step + offset


def floor_ms(ms: int, interval: str) -> int:
    """Open time of the bucket holding ``ms``."""
    return int(bucket_starts(np.array([ms], np.int64), interval)[0])


def ceil_ms(ms: int, interval: str) -> int:
    """The first bucket boundary at or after ``ms``."""
    return floor_ms(ms + interval_ms(interval) - 1, interval)


def divides_day(interval: str) -> bool:
    """True when ``interval`` buckets tile a UTC day (1s ... 1d), so alignment is checkable."""
    return DAY_MS % interval_ms(interval) == 0


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a tz-aware datetime; naive datetimes are refused."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise DomainValueError(
            f"naive datetime {moment.isoformat()} refused: pass a tz-aware UTC time"
        )
    return (moment - _EPOCH) // _ONE_MS


def to_datetime(ms: int) -> datetime:
    """The UTC datetime of an epoch-millisecond timestamp."""
    return _EPOCH + timedelta(milliseconds=int(ms))


def iso(ms: int) -> str:
    """``2023-03-24T12:40:00Z`` (milliseconds shown only when there are some)."""
    moment = to_datetime(ms)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ai_engine.domain import (
    Clock,
    DomainValueError,
    ManualClock,
    SystemClock,
    from_epoch_ms,
    require_utc,
    to_epoch_ms,
)

from .factories import T0


def test_manual_clock_moves_only_when_told() -> None:
    clock: Clock = ManualClock(T0)
    assert clock.now() == T0
    assert isinstance(clock, ManualClock)
    assert clock.advance(timedelta(seconds=90)) == T0 + timedelta(seconds=90)
    assert clock.now() == T0 + timedelta(seconds=90)
    with pytest.raises(DomainValueError, match="back"):
        clock.set(T0)


def test_system_clock_is_utc() -> None:
    assert SystemClock().now().utcoffset() == timedelta(0)


def test_require_utc_normalises_zero_offset_zones() -> None:
    london_winter = datetime(2024, 1, 8, 12, tzinfo=ZoneInfo("Europe/London"))
    assert require_utc(london_winter).tzinfo is UTC
    assert require_utc(london_winter) == datetime(2024, 1, 8, 12, tzinfo=UTC)
    with pytest.raises(DomainValueError, match="UTC"):
        require_utc(datetime(2024, 7, 8, 12, tzinfo=ZoneInfo("Europe/London")))
    with pytest.raises(DomainValueError, match="naive"):
        ManualClock(datetime(2024, 1, 8, 12))  # noqa: DTZ001 - the point of the test
    with pytest.raises(DomainValueError):
        require_utc(datetime(2024, 1, 8, 12, tzinfo=timezone(timedelta(hours=1))))


def test_epoch_milliseconds_round_trip_exactly() -> None:
    ms = 1_709_562_600_123
    at = from_epoch_ms(ms)
    assert at == datetime(2024, 3, 4, 14, 30, 0, 123_000, tzinfo=UTC)
    assert to_epoch_ms(at) == ms
    assert to_epoch_ms(from_epoch_ms(-1)) == -1
    with pytest.raises(DomainValueError, match="sub-millisecond"):
        to_epoch_ms(at + timedelta(microseconds=1))
    with pytest.raises(TypeError):
        from_epoch_ms(1.7e12)  # type: ignore[arg-type]

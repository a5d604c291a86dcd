from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from ai_engine.marketdata.intervals import (
    bucket_starts,
    ceil_ms,
    divides_day,
    interval_ms,
    iso,
    to_datetime,
    to_ms,
)

HALT_START = 1679661600000  # 2023-03-24T12:40:00Z


@pytest.mark.parametrize(
    ("interval", "ms"),
    [
        ("1s", 1000),
        ("5s", 5000),
        ("1m", 60_000),
        ("15m", 900_000),
        ("4h", 14_400_000),
        ("1d", 86_400_000),
        ("1w", 604_800_000),
    ],
)
def test_interval_ms(interval: str, ms: int) -> None:
    assert interval_ms(interval) == ms


@pytest.mark.parametrize("bad", ["1mo", "1M", "0m", "m", "5x", "", "1.5h"])
def test_unknown_intervals_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown interval"):
        interval_ms(bad)


def test_buckets_align_on_utc_epoch_boundaries() -> None:
    t = np.array([HALT_START, HALT_START + 59_999], dtype=np.int64)
    assert iso(int(bucket_starts(t, "4h")[0])) == "2023-03-24T12:00:00Z"
    assert iso(int(bucket_starts(t, "1d")[0])) == "2023-03-24T00:00:00Z"
    assert iso(int(bucket_starts(t, "15m")[1])) == "2023-03-24T12:30:00Z"


def test_weeks_open_on_monday() -> None:
    # 2023-03-24 was a Friday; its Binance week opened on Monday 2023-03-20.
    week = int(bucket_starts(np.array([HALT_START], dtype=np.int64), "1w")[0])
    assert iso(week) == "2023-03-20T00:00:00Z"
    assert to_datetime(week).weekday() == 0


def test_ceil_ms() -> None:
    assert ceil_ms(HALT_START, "1h") == HALT_START + 20 * 60_000
    assert ceil_ms(HALT_START, "1m") == HALT_START


def test_divides_day() -> None:
    assert divides_day("1m")
    assert divides_day("1d")
    assert divides_day("8h")
    assert not divides_day("7m")
    assert not divides_day("1w")


def test_to_ms_and_back() -> None:
    moment = datetime(2023, 3, 24, 12, 40, tzinfo=UTC)
    assert to_ms(moment) == HALT_START
    assert to_datetime(HALT_START) == moment
    assert to_ms(moment.astimezone(timezone(timedelta(hours=2)))) == HALT_START


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_ms(datetime(2023, 3, 24))  # noqa: DTZ001 - the point of the test


def test_iso_shows_milliseconds_only_when_present() -> None:
    assert iso(HALT_START) == "2023-03-24T12:40:00Z"
    assert iso(1679661581646) == "2023-03-24T12:39:41.646Z"

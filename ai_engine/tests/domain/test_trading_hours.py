from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ai_engine.domain import DomainValueError, TradingHours
from ai_engine.domain.instrument_examples import (
    alpaca_stock,
    binance_spot_btcusdt,
    oanda_pair,
)

NEW_YORK = ZoneInfo("America/New_York")
STOCK = alpaca_stock("AAPL")
FX = oanda_pair("EUR", "USD")


def new_york(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A New York wall-clock time, as the UTC datetime the domain insists on."""
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


@pytest.mark.parametrize(
    ("when", "is_open"),
    [
        (new_york(2024, 3, 4, 10, 0), True),  # Monday 10:00
        (new_york(2024, 3, 4, 9, 30), True),  # the open is inclusive
        (new_york(2024, 3, 4, 9, 29), False),
        (new_york(2024, 3, 4, 16, 0), False),  # the close is exclusive
        (new_york(2024, 3, 4, 16, 30), False),
        (new_york(2024, 3, 9, 12, 0), False),  # Saturday
        (new_york(2024, 3, 10, 12, 0), False),  # Sunday
        (new_york(2024, 7, 1, 10, 0), True),  # summer time: 14:00 UTC
    ],
)
def test_stock_regular_hours(when: datetime, is_open: bool) -> None:
    assert STOCK.is_open(when) is is_open


def test_stock_hours_follow_daylight_saving() -> None:
    # 14:00 UTC is 09:00 New York in winter (closed) and 10:00 in summer (open).
    assert not STOCK.is_open(datetime(2024, 1, 8, 14, 0, tzinfo=UTC))
    assert STOCK.is_open(datetime(2024, 7, 8, 14, 0, tzinfo=UTC))


def test_holidays_close_the_whole_day() -> None:
    july_4th = alpaca_stock("AAPL", holidays=frozenset({date(2024, 7, 4)}))
    assert not july_4th.is_open(new_york(2024, 7, 4, 11))
    assert july_4th.is_open(new_york(2024, 7, 5, 11))


@pytest.mark.parametrize(
    ("when", "is_open"),
    [
        (new_york(2024, 3, 8, 16, 59), True),  # Friday before the weekly close
        (new_york(2024, 3, 8, 17, 0), False),  # Friday 17:00: closed for the weekend
        (new_york(2024, 3, 9, 12, 0), False),  # Saturday
        (new_york(2024, 3, 10, 16, 59), False),  # Sunday before the open
        (new_york(2024, 3, 10, 17, 0), True),  # Sunday 17:00: the week opens
        (new_york(2024, 3, 6, 3, 0), True),  # Wednesday night
    ],
)
def test_forex_trades_24_5(when: datetime, is_open: bool) -> None:
    assert FX.is_open(when) is is_open


def test_crypto_never_closes() -> None:
    assert binance_spot_btcusdt().is_open(datetime(2024, 3, 9, 12, tzinfo=UTC))


def test_naive_and_non_utc_times_are_refused() -> None:
    with pytest.raises(DomainValueError, match="timezone-aware"):
        STOCK.is_open(datetime(2024, 3, 4, 15, 0))  # noqa: DTZ001 - the point of the test
    with pytest.raises(DomainValueError, match="UTC"):
        STOCK.is_open(datetime(2024, 3, 4, 10, 0, tzinfo=timezone(timedelta(hours=-5))))


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(DomainValueError, match="time zone"):
        TradingHours(timezone="Mars/Olympus", open=time(9), close=time(17))

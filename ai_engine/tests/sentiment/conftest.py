from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from ai_engine.domain.clock import ManualClock

from .fakes import FakeAnthropic, FakeNews, serve

NOW = datetime(2026, 11, 22, 2, 15, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def fake_news() -> Iterator[tuple[FakeNews, str]]:
    fake = FakeNews()
    with serve(fake.app()) as url:
        yield fake, url


@pytest.fixture
def fake_claude() -> Iterator[tuple[FakeAnthropic, str]]:
    fake = FakeAnthropic()
    with serve(fake.app()) as url:
        yield fake, url

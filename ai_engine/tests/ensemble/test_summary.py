"""The Claude-written summary against the fake Messages API, and its fallbacks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sentiment.fakes import API_KEY, FakeAnthropic, serve

from ai_engine.domain.clock import ManualClock
from ai_engine.ensemble import EnsembleParams, combine, explain
from ai_engine.ensemble.summary import SummaryWriter
from ai_engine.sentiment.claude import NO_KEY, Claude, connect
from ai_engine.sentiment.limits import RateLimiter, TokenBudget

CLOCK = ManualClock(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
DECISION = combine(technical_score=85.0, model_probability=None, sentiment=None,
                   params=EnsembleParams())  # fmt: skip


@pytest.fixture
def fake() -> Iterator[tuple[FakeAnthropic, str]]:
    fake = FakeAnthropic()
    with serve(fake.app()) as url:
        yield fake, url


@pytest.fixture
def claude(fake: tuple[FakeAnthropic, str]) -> Iterator[Claude]:
    made = connect(API_KEY, base_url=fake[1], budget=TokenBudget(10_000, CLOCK),
                   limiter=RateLimiter(60_000), max_retries=0, timeout_s=0.5)  # fmt: skip
    yield made
    made.close()


async def test_a_claude_paragraph_cached_per_key(
    fake: tuple[FakeAnthropic, str], claude: Claude
) -> None:
    fake[0].script(text="Bitcoin's indicators lean clearly bullish, so the ensemble says buy.")
    writer = SummaryWriter(claude)
    first = await writer.summarise(DECISION, "BTCUSDT", key=("BTCUSDT", 1))
    assert (first.source, first.error) == ("claude", None)
    assert first.text == "Bitcoin's indicators lean clearly bullish, so the ensemble says buy."
    again = await writer.summarise(DECISION, "BTCUSDT", key=("BTCUSDT", 1))
    assert again == first
    assert len(fake[0].requests) == 1
    request = fake[0].requests[0]
    assert "tools" not in request
    assert explain(DECISION, "BTCUSDT") in request["messages"][0]["content"]


@pytest.mark.parametrize(("step", "error"), [
    ({"status": 500}, "Claude answered HTTP 500"),
    ({"delay": 1.5}, "Claude request timed out"),
    ({"text": "   "}, "Claude answered no text"),
])  # fmt: skip
async def test_failures_fall_back_to_the_template(
    fake: tuple[FakeAnthropic, str], claude: Claude, step: dict[str, object], error: str
) -> None:
    fake[0].script(**step)
    summary = await SummaryWriter(claude).summarise(DECISION, "BTCUSDT", key=1)
    assert summary.source == "template"
    assert summary.text == explain(DECISION, "BTCUSDT")
    assert summary.error is not None
    assert summary.error.startswith(error)


async def test_without_a_key_the_template_and_the_reason() -> None:
    claude = connect(None, budget=TokenBudget(10, CLOCK), limiter=RateLimiter(60))
    summary = await SummaryWriter(claude).summarise(DECISION, "ETHUSDT", key=1)
    assert (summary.source, summary.error) == ("template", NO_KEY)
    assert summary.text.startswith("ETHUSDT: BUY. Combined +0.70 is at or above +0.60.")

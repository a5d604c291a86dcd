"""Claude scoring through the real anthropic SDK against the local fake Messages API."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ai_engine.domain.clock import ManualClock
from ai_engine.sentiment.articles import Article
from ai_engine.sentiment.claude import NO_KEY, Claude, connect
from ai_engine.sentiment.limits import RateLimiter, TokenBudget
from ai_engine.sentiment.prompt import PROMPTS, current_prompt, load_prompt
from ai_engine.sentiment.scoring import ClaudeScorer

from .conftest import NOW
from .fakes import API_KEY, FakeAnthropic


def article(n: int = 1, title: str = "Bitcoin ETF inflows hit a record") -> Article:
    return Article(
        source="cryptopanic",
        id=str(1000 + n),
        url=f"https://example.com/{n}",
        title=title,
        summary="Funds took in $1.2B.",
        published_at=NOW - timedelta(minutes=30),
        fetched_at=NOW - timedelta(minutes=5),
        assets=("BTC",),
    )


_OPEN: list[Claude] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def claude_for(
    url: str,
    clock: ManualClock,
    *,
    key: str | None = API_KEY,
    budget: int = 1_000_000,
    per_minute: float = 6000,
    timeout_s: float = 5.0,
) -> Claude:
    claude = connect(
        key,
        base_url=url,
        budget=TokenBudget(budget, clock),
        limiter=RateLimiter(per_minute),
        timeout_s=timeout_s,
        max_retries=0,
    )
    _OPEN.append(claude)
    return claude


async def test_a_score_from_a_forced_tool_call(
    fake_claude: tuple[FakeAnthropic, str], clock: ManualClock
) -> None:
    fake, url = fake_claude
    scorer = ClaudeScorer(claude_for(url, clock), clock)
    score = await scorer.score(article())
    assert score.status == "ok", score.error
    assert (score.sentiment, score.relevance, score.confidence) == (0.6, 0.8, 0.7)
    assert score.assets == ("BTC",)
    assert score.rationale == "2 bullish and 0 bearish cues in the title"
    assert (score.input_tokens, score.output_tokens) == (120, 40)
    assert score.scored_at == NOW
    prompt_file = PROMPTS / "news_v1.toml"
    assert score.prompt_hash == hashlib.sha256(prompt_file.read_bytes()).hexdigest()
    assert score.prompt_version == "news-v1"
    assert scorer.claude.budget.spent() == 160
    request = fake.requests[0]
    assert request["model"] == "claude-haiku-4-5"
    assert request["tool_choice"] == {"type": "tool", "name": "record_sentiment"}
    schema = request["tools"][0]["input_schema"]
    assert schema["required"] == ["sentiment", "relevance", "confidence", "assets", "rationale"]
    assert schema["properties"]["sentiment"] == {
        "type": "number", "minimum": -1, "maximum": 1,
        "description": "-1 very bearish, 0 neutral, +1 very bullish",
    }  # fmt: skip
    assert request["system"] == current_prompt().system
    assert "Title: Bitcoin ETF inflows hit a record" in request["messages"][0]["content"]
    assert fake.headers[0]["Authorization"] == f"Bearer {API_KEY}"


async def test_the_same_article_prompt_and_model_are_sent_once(
    fake_claude: tuple[FakeAnthropic, str], clock: ManualClock, tmp_path: Path
) -> None:
    fake, url = fake_claude
    claude = claude_for(url, clock)
    scorer = ClaudeScorer(claude, clock)
    first = await scorer.score(article())
    again = await scorer.score(article())
    assert again == first
    assert len(fake.requests) == 1 == claude.sent
    await scorer.score(article(2))
    assert len(fake.requests) == 2

    # Another prompt (another file, another hash) is another cache entry.
    edited = tmp_path / "news_v1b.toml"
    edited.write_bytes((PROMPTS / "news_v1.toml").read_bytes() + b"\n# edited\n")
    other = ClaudeScorer(claude, clock, prompt=load_prompt(edited), cache=scorer.cache)
    assert other.prompt.hash != scorer.prompt.hash
    await other.score(article())
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"sentiment": 1.7}, "sentiment=1.7 is outside [-1, 1]"),
        ({"relevance": -0.1}, "relevance=-0.1 is outside [0, 1]"),
        ({"confidence": "high"}, "confidence must be a number, got 'high'"),
        ({"assets": "BTC"}, "assets must be a list"),
        ({"rationale": None}, "rationale must be text"),
    ],
)
async def test_an_out_of_range_answer_is_an_error_and_neutral(
    fake_claude: tuple[FakeAnthropic, str], clock: ManualClock, answer: dict[str, object],
    problem: str,
) -> None:  # fmt: skip
    fake, url = fake_claude
    good = {"sentiment": 0.5, "relevance": 0.5, "confidence": 0.5, "assets": ["BTC"],
            "rationale": "fine"}  # fmt: skip
    fake.script(tool_input={**good, **answer})
    scorer = ClaudeScorer(claude_for(url, clock), clock)
    score = await scorer.score(article())
    assert score.status == "error"
    assert (score.sentiment, score.relevance, score.confidence) == (0.0, 0.0, 0.0)
    assert score.error is not None
    assert problem in score.error
    assert score.tokens == 160  # the call was made and paid for
    # An error is not cached: the next attempt asks again.
    assert (await scorer.score(article())).status == "ok"
    assert len(fake.requests) == 2


async def test_a_text_answer_instead_of_the_tool_is_an_error(
    fake_claude: tuple[FakeAnthropic, str], clock: ManualClock
) -> None:
    fake, url = fake_claude
    fake.script(text="I think it is bullish.")
    score = await ClaudeScorer(claude_for(url, clock), clock).score(article())
    assert score.status == "error"
    assert score.error == "model answer: no record_sentiment tool call (stop_reason end_turn)"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (500, "Claude answered HTTP 500"),
        (529, "Claude answered HTTP 529"),
        (503, "Claude answered HTTP 503"),
        (429, "Claude answered HTTP 429"),
        (400, "Claude answered HTTP 400"),
    ],
)
async def test_http_errors_give_neutral_and_a_recorded_error(
    fake_claude: tuple[FakeAnthropic, str], clock: ManualClock, status: int, expected: str
) -> None:
    fake, url = fake_claude
    fake.script(status=status)
    score = await ClaudeScorer(claude_for(url, clock), clock).score(article())
    assert score.status == "error"
    assert score.sentiment == 0.0
    assert score.confidence == 0.0
    assert score.error is not None
    assert score.error.startswith(expected)
    assert "scripted failure" in score.error


async def test_a_timeout_gives_neutral_and_a_recorded_error(
    fake_claude: tuple[FakeAnthropic, str], clock: ManualClock
) -> None:
    fake, url = fake_claude
    fake.script(delay=1.5)
    claude = claude_for(url, clock, timeout_s=0.3)
    score = await ClaudeScorer(claude, clock).score(article())
    assert (score.status, score.error) == ("error", "Claude request timed out")


async def test_an_unreachable_api_gives_neutral_and_a_recorded_error(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    claude = claude_for("http://127.0.0.1:9", clock)
    score = await ClaudeScorer(claude, clock).score(article())
    assert (score.status, score.error) == ("error", "Claude unreachable (connection error)")
    assert API_KEY not in caplog.text
    assert API_KEY not in repr(claude)


async def test_without_a_key_sentiment_is_disabled_and_nothing_is_sent(
    fake_claude: tuple[FakeAnthropic, str], clock: ManualClock
) -> None:
    fake, url = fake_claude
    claude = claude_for(url, clock, key=None)
    assert not claude.enabled
    assert claude.disabled_reason == NO_KEY
    score = await ClaudeScorer(claude, clock).score(article())
    assert (score.status, score.sentiment, score.error) == ("skipped", 0.0, NO_KEY)
    assert fake.requests == []


async def test_the_daily_token_budget(
    fake_claude: tuple[FakeAnthropic, str], clock: ManualClock
) -> None:
    fake, url = fake_claude
    claude = claude_for(url, clock, budget=300)  # each answer costs 160 tokens
    scorer = ClaudeScorer(claude, clock)
    assert (await scorer.score(article(1))).status == "ok"
    assert (await scorer.score(article(2))).status == "ok"  # 160 < 300: allowed, now 320
    over = await scorer.score(article(3))
    assert over.status == "skipped"
    assert over.error == (
        "daily Claude token budget used up (320 of 300 tokens; resets at 00:00 UTC)"
    )
    assert len(fake.requests) == 2
    clock.set(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))  # a new UTC day
    assert (await scorer.score(article(3))).status == "ok"
    assert claude.budget.spent() == 160


async def test_requests_are_spaced_by_the_rate_limit(
    fake_claude: tuple[FakeAnthropic, str], clock: ManualClock
) -> None:
    fake, url = fake_claude
    scorer = ClaudeScorer(claude_for(url, clock, per_minute=300), clock)  # one per 0.2 s
    for n in range(3):
        await scorer.score(article(n))
    gaps = [b - a for a, b in zip(fake.times, fake.times[1:], strict=False)]
    assert len(gaps) == 2
    assert all(gap >= 0.19 for gap in gaps), gaps


async def test_the_rate_limiter_books_slots_in_order() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(60, monotonic=lambda: now[0], sleep=sleep)  # one a second
    for _ in range(3):
        await limiter.wait()
    assert slept == [1.0, 1.0]
    now[0] += 5
    await limiter.wait()
    assert slept == [1.0, 1.0]  # idle long enough: no wait

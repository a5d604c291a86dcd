"""The pipeline against real PostgreSQL: fetch -> store -> score with the fake Claude -> store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine, select

from ai_engine.domain.clock import ManualClock
from ai_engine.sentiment.claude import Claude, connect
from ai_engine.sentiment.limits import RateLimiter, TokenBudget
from ai_engine.sentiment.pipeline import StoreScoreCache, fetch_news, score_pending
from ai_engine.sentiment.scoring import ClaudeScorer
from ai_engine.sentiment.sources import CoinGeckoNews, CryptoPanic, RssFeed
from ai_engine.store.db import make_engine
from ai_engine.store.sentiment import NewsArticle, SentimentRepository, SentimentScore

from .conftest import NOW
from .fakes import API_KEY, FakeAnthropic, FakeNews


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def repo(engine: Engine) -> SentimentRepository:
    return SentimentRepository(engine)


def sources(fake: FakeNews, url: str) -> list[CryptoPanic | CoinGeckoNews | RssFeed]:
    return [
        CryptoPanic(fake.token, base_url=url),
        CoinGeckoNews(base_url=url),
        RssFeed("coindesk", f"{url}/feeds/coindesk.xml"),
        RssFeed("theblock", f"{url}/feeds/theblock.xml"),
    ]


@pytest.fixture
def claude(fake_claude: tuple[FakeAnthropic, str], clock: ManualClock) -> Iterator[Claude]:
    _, url = fake_claude
    made = connect(API_KEY, base_url=url, budget=TokenBudget(100_000, clock),
                   limiter=RateLimiter(60_000), max_retries=0, timeout_s=5)  # fmt: skip
    yield made
    made.close()


async def test_fetch_store_score_store(
    fake_news: tuple[FakeNews, str],
    fake_claude: tuple[FakeAnthropic, str],
    clock: ManualClock,
    repo: SentimentRepository,
    engine: Engine,
    claude: Claude,
) -> None:
    fake, url = fake_news
    async with httpx.AsyncClient() as client:
        first = await fetch_news(sources(fake, url), client, clock, repo)
        assert (first.fetched, first.new, first.item_errors, first.source_failures) == (
            12, 12, (), ()
        )  # fmt: skip
        clock.advance(timedelta(minutes=10))
        again = await fetch_news(sources(fake, url), client, clock, repo)
    assert (again.fetched, again.new) == (12, 0)
    with engine.connect() as conn:
        fetched = set(conn.scalars(select(NewsArticle.fetched_at)))
    assert fetched == {NOW}  # the first fetch time is kept: old news never looks new

    scorer = ClaudeScorer(claude, clock, cache=StoreScoreCache(repo))
    summary = await score_pending(scorer, repo, limit=100)
    assert (summary.ok, summary.errors, summary.skipped) == (12, 0, 0)
    assert summary.tokens == 12 * 160
    assert repo.tokens_spent(NOW, NOW + timedelta(days=1)) == 12 * 160
    assert len(fake_claude[0].requests) == 12
    # Nothing left to score; a new scorer finds the stored scores (the cache survives restarts).
    assert (await score_pending(scorer, repo)).ok == 0
    cached = repo.find_score(("cryptopanic", "21874411", claude.model, scorer.prompt.hash))
    assert cached is not None
    assert cached.sentiment == 0.6
    # Another prompt hash or model: every article is pending again.
    assert len(repo.pending(claude.model, "other-hash", limit=100, max_attempts=3)) == 12
    with engine.connect() as conn:
        rows = conn.execute(select(SentimentScore)).all()
    assert len(rows) == 12
    assert {r.prompt_hash for r in rows} == {scorer.prompt.hash}
    assert all(r.scored_at == NOW + timedelta(minutes=10) for r in rows)
    assert all(r.fetched_at == NOW for r in rows)


async def test_errors_are_recorded_retried_and_capped(
    fake_news: tuple[FakeNews, str],
    fake_claude: tuple[FakeAnthropic, str],
    clock: ManualClock,
    repo: SentimentRepository,
    engine: Engine,
    claude: Claude,
) -> None:
    fake, url = fake_news
    async with httpx.AsyncClient() as client:
        await fetch_news(sources(fake, url)[3:], client, clock, repo)  # the 2 Atom entries
    fake_claude[0].responder = lambda prompt: {  # always out of range
        "sentiment": 2.0, "relevance": 1, "confidence": 1, "assets": ["SOL"], "rationale": "x"
    }  # fmt: skip
    scorer = ClaudeScorer(claude, clock, cache=StoreScoreCache(repo))
    for attempt in range(3):
        summary = await score_pending(scorer, repo, max_attempts=3)
        assert (summary.ok, summary.errors) == (0, 2), attempt
        assert all("sentiment=2.0 is outside [-1, 1]" in m for m in summary.messages)
    assert (await score_pending(scorer, repo, max_attempts=3)).errors == 0  # capped
    with engine.connect() as conn:
        errors = conn.execute(select(SentimentScore.status, SentimentScore.error)).all()
    assert len(errors) == 6
    assert {s for s, _ in errors} == {"error"}
    assert repo.sentiment_as_of("SOL", NOW + timedelta(hours=1)).count == 0  # errors weigh 0


async def test_a_used_up_budget_stops_the_run_and_records_nothing(
    fake_news: tuple[FakeNews, str],
    fake_claude: tuple[FakeAnthropic, str],
    clock: ManualClock,
    repo: SentimentRepository,
) -> None:
    fake, url = fake_news
    async with httpx.AsyncClient() as client:
        await fetch_news(sources(fake, url), client, clock, repo)
    claude = connect(API_KEY, base_url=fake_claude[1], budget=TokenBudget(400, clock),
                     limiter=RateLimiter(60_000), max_retries=0)  # fmt: skip
    try:
        summary = await score_pending(ClaudeScorer(claude, clock), repo, limit=100)
    finally:
        claude.close()
    assert (summary.ok, summary.errors, summary.skipped) == (3, 0, 1)
    assert summary.messages[-1].startswith("stopped: daily Claude token budget used up")
    assert repo.tokens_spent(NOW, NOW + timedelta(days=1)) == 480


async def test_api_failures_and_timeouts_are_recorded_as_neutral_errors(
    fake_news: tuple[FakeNews, str],
    fake_claude: tuple[FakeAnthropic, str],
    clock: ManualClock,
    repo: SentimentRepository,
    engine: Engine,
) -> None:
    fake, url = fake_news
    async with httpx.AsyncClient() as client:
        await fetch_news(sources(fake, url)[3:], client, clock, repo)  # the 2 Atom entries
    fake_claude[0].script(status=529)
    fake_claude[0].script(delay=1.0)
    claude = connect(API_KEY, base_url=fake_claude[1], budget=TokenBudget(10_000, clock),
                     limiter=RateLimiter(60_000), max_retries=0, timeout_s=0.3)  # fmt: skip
    try:
        summary = await score_pending(ClaudeScorer(claude, clock), repo)
    finally:
        claude.close()
    assert (summary.ok, summary.errors) == (0, 2)
    with engine.connect() as conn:
        rows = conn.execute(
            select(SentimentScore.status, SentimentScore.sentiment, SentimentScore.error)
            .order_by(SentimentScore.id)
        ).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("error", 0.0, "Claude answered HTTP 529: (overloaded_error) scripted failure"),
        ("error", 0.0, "Claude request timed out"),
    ]

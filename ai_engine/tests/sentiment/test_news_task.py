"""research.news_refresh: the Celery task body run for real against the local fake news sources
and the fake Anthropic server (fetch, store, score within the daily token budget), and its beat
entry, which exists only when configured."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ai_engine.settings import Settings
from ai_engine.workers.app import close_celery, make_celery
from ai_engine.workers.ml_tasks import RETRAIN
from ai_engine.workers.news_tasks import REFRESH

from .fakes import API_KEY, FakeAnthropic, FakeNews

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")


@pytest.fixture
def apps(redis_url: str, database_url: str) -> Iterator[list[Any]]:
    made: list[Any] = []
    yield made
    for app in made:
        close_celery(app)


def settings(news: FakeNews, news_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "cryptopanic_token": news.token,
        "news_feeds": {"coindesk": f"{news_url}/feeds/coindesk.xml"},
        "anthropic_api_key": None,
        "sentiment_requests_per_minute": 60_000.0,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def refresh(apps: list[Any], s: Settings, redis_url: str, database_url: str, url: str) -> Any:
    app = make_celery(s, redis_url=redis_url, database_url=database_url)
    apps.append(app)
    job = {"cryptopanic_url": url, "coingecko_url": url,
           "feeds": {"theblock": f"{url}/feeds/theblock.xml"}}  # fmt: skip
    result = app.tasks[REFRESH].apply(args=[job])
    return result.get()


def test_fetch_and_score_within_the_daily_budget(
    apps: list[Any], redis_url: str, database_url: str,
    fake_news: tuple[FakeNews, str], fake_claude: tuple[FakeAnthropic, str],
) -> None:  # fmt: skip
    news, url = fake_news
    claude, claude_url = fake_claude
    # No key: the articles are fetched and stored, scoring says why it is off.
    first = refresh(apps, settings(news, url), redis_url, database_url, url)
    assert (first["sources"], first["fetched"], first["new"]) == (4, 12, 12)
    assert first["source_failures"] == []
    assert first["scoring"] == {
        "disabled": "sentiment disabled: no Anthropic API key (set TRADINGBOT_ANTHROPIC_API_KEY)"
    }
    assert claude.requests == []
    # A key and a budget of 800 tokens a day (each answer costs 160): five scored, then stop.
    keyed = {"anthropic_api_key": API_KEY, "anthropic_base_url": claude_url}
    tight = settings(news, url, sentiment_daily_tokens=800, **keyed)
    second = refresh(apps, tight, redis_url, database_url, url)
    assert second["new"] == 0  # the same articles: stored once
    scoring = second["scoring"]
    assert (scoring["ok"], scoring["errors"], scoring["skipped"]) == (5, 0, 1)
    assert (scoring["tokens_today"], scoring["daily_limit"]) == (800, 800)
    assert "budget" in scoring["messages"][0]
    assert len(claude.requests) == 5
    # The next run the same day starts from what the database says was spent: nothing sent.
    third = refresh(apps, tight, redis_url, database_url, url)
    assert (third["scoring"]["ok"], third["scoring"]["skipped"]) == (0, 1)
    assert len(claude.requests) == 5
    # A larger budget: the rest are scored, each article once.
    roomy = settings(news, url, sentiment_daily_tokens=100_000, **keyed)
    fourth = refresh(apps, roomy, redis_url, database_url, url)
    assert (fourth["scoring"]["ok"], fourth["scoring"]["errors"]) == (7, 0)
    assert len(claude.requests) == 12
    titles = {json.dumps(r["messages"][-1]["content"]) for r in claude.requests}
    assert len(titles) == 12


def test_a_failing_source_is_reported_not_raised(
    apps: list[Any], redis_url: str, database_url: str, fake_news: tuple[FakeNews, str]
) -> None:
    news, url = fake_news
    news.statuses["/api/v1/posts/"] = 503
    out = refresh(apps, settings(news, url), redis_url, database_url, url)
    assert out["fetched"] > 0
    assert len(out["source_failures"]) == 1
    assert "503" in out["source_failures"][0]


def test_the_beat_entry_is_off_unless_configured(redis_url: str) -> None:
    off = make_celery(Settings(_env_file=None), redis_url=redis_url)  # type: ignore[call-arg]
    on = make_celery(
        Settings(_env_file=None, news_every_s=900, ml_retrain_every_s=3600),  # type: ignore[call-arg]
        redis_url=redis_url,
    )
    try:
        assert off.conf.beat_schedule == {}
        assert REFRESH in off.tasks
        entry = on.conf.beat_schedule["news-refresh"]
        assert entry == {"task": REFRESH, "schedule": 900.0, "options": {"queue": "research"}}
        assert on.conf.beat_schedule["ml-retrain"]["task"] == RETRAIN  # both, side by side
    finally:
        close_celery(off)
        close_celery(on)

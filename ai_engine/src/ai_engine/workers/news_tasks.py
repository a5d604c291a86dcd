"""The news task of the research workers: fetch the configured sources, score new articles.

* ``research.news_refresh(job=None)``: fetch every configured news source (CryptoPanic when
  ``cryptopanic_token`` is set, CoinGecko news, the RSS/Atom feeds of ``news_feeds``) and store
  the new articles (the first fetch time is kept: ``sentiment.pipeline``), then score up to
  ``news_score_limit`` stored articles that have no score for the current model and prompt,
  within the daily token budget (``sentiment_daily_tokens``, seeded with what the database says
  was spent today, so a restart or the next run never resets it; a run that reaches it stops
  with ``skipped`` and the rest waits for tomorrow). Without an Anthropic key scoring is
  disabled (the result says why) and fetching still runs. A failing source is reported in the
  result, never raised; a run with no source configured, or no database, is an error.
  Fields of ``job`` override: ``cryptopanic_url``, ``coingecko_url`` (base URLs), ``coingecko``
  (false: skip it), ``feeds`` (more ``{name: url}``), ``limit``.
* ``beat_schedule(settings)``: the Celery beat entry for it every ``settings.news_every_s``
  seconds, on the ``research`` queue; empty when that is 0 (the default, and in tests), as
  ``ml_tasks.beat_schedule``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from typing import Any

from ai_engine.settings import Settings

REFRESH = "research.news_refresh"


class NewsTaskError(RuntimeError):
    """The news task cannot run (no source configured, no database)."""


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """The beat entry of the news refresh (none when it is off)."""
    if settings.news_every_s <= 0:
        return {}
    return {
        "news-refresh": {
            "task": REFRESH,
            "schedule": float(settings.news_every_s),
            "options": {"queue": "research"},
        }
    }


def sources_of(settings: Settings, job: dict[str, Any]) -> list[Any]:
    """The configured news sources (module docstring), ``job``'s overrides applied."""
    from ai_engine.sentiment.sources import CoinGeckoNews, CryptoPanic, NewsSource, RssFeed
    from ai_engine.sentiment.sources.coingecko import BASE_URL as COINGECKO
    from ai_engine.sentiment.sources.cryptopanic import BASE_URL as CRYPTOPANIC

    sources: list[NewsSource] = []
    if settings.cryptopanic_token is not None:
        token = settings.cryptopanic_token.get_secret_value()
        sources.append(CryptoPanic(token, base_url=str(job.get("cryptopanic_url") or CRYPTOPANIC)))
    if job.get("coingecko", True):
        key = settings.coingecko_api_key
        sources.append(
            CoinGeckoNews(
                base_url=str(job.get("coingecko_url") or COINGECKO),
                api_key=key.get_secret_value() if key else None,
            )
        )
    for name, url in {**settings.news_feeds, **dict(job.get("feeds") or {})}.items():
        sources.append(RssFeed(str(name), str(url)))
    return sources


def refresh_news(
    settings: Settings, database_url: str | None, job: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The task's body (module docstring); returns what was fetched and scored."""
    import httpx

    from ai_engine.domain.clock import SystemClock
    from ai_engine.sentiment.pipeline import StoreScoreCache, fetch_news, score_pending
    from ai_engine.sentiment.scoring import ClaudeScorer
    from ai_engine.store.db import make_engine
    from ai_engine.store.sentiment import SentimentRepository

    job = job or {}
    sources = sources_of(settings, job)
    if not sources:
        raise NewsTaskError("news_refresh: no news source configured")
    if not database_url:
        raise NewsTaskError("news_refresh: no database (TRADINGBOT_DATABASE_URL)")
    clock = SystemClock()
    engine = make_engine(database_url)
    try:
        repo = SentimentRepository(engine)

        async def fetch() -> Any:
            async with httpx.AsyncClient(timeout=20.0, follow_redirects=True) as client:
                return await fetch_news(sources, client, clock, repo)

        fetched = asyncio.run(fetch())
        result: dict[str, Any] = {
            "sources": len(sources),
            "fetched": fetched.fetched,
            "new": fetched.new,
            "item_errors": list(fetched.item_errors),
            "source_failures": list(fetched.source_failures),
        }
        claude = claude_for_today(settings, repo, clock)
        if not claude.enabled:
            result["scoring"] = {"disabled": str(claude.disabled_reason)}
            return result
        try:
            scorer = ClaudeScorer(claude, clock, cache=StoreScoreCache(repo))
            limit = int(job.get("limit", settings.news_score_limit))
            scored = asyncio.run(score_pending(scorer, repo, limit=limit))
        finally:
            claude.close()
        result["scoring"] = {
            "ok": scored.ok,
            "errors": scored.errors,
            "skipped": scored.skipped,
            "tokens": scored.tokens,
            "tokens_today": claude.budget.spent(),
            "daily_limit": claude.budget.daily_limit,
            "messages": list(scored.messages),
        }
        return result
    finally:
        engine.dispose()


def register(app: Any) -> None:
    """Define the news task on ``app`` (see ``tasks.register`` for why ``shared=False``)."""
    from ai_engine.workers.app import context_of

    @app.task(name=REFRESH, shared=False)  # type: ignore[untyped-decorator]
    def news_refresh(job: dict[str, Any] | None = None) -> dict[str, Any]:
        context = context_of(app)
        return refresh_news(context.settings, context.database_url, job)


def claude_for_today(settings: Settings, repo: Any, clock: Any) -> Any:
    """The Claude client of the settings, its daily budget less the tokens the database
    recorded today (a restart does not reset it), its tokens counted in the process's metrics."""
    from ai_engine.metrics.definitions import count_claude_tokens
    from ai_engine.sentiment.claude import connect
    from ai_engine.sentiment.limits import RateLimiter, TokenBudget

    day = datetime.combine(clock.now().date(), time(0), tzinfo=UTC)
    spent = repo.tokens_spent(day, day + timedelta(days=1))
    key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
    return connect(
        key,
        budget=TokenBudget(settings.sentiment_daily_tokens, clock, spent_today=spent),
        limiter=RateLimiter(settings.sentiment_requests_per_minute),
        model=settings.sentiment_model,
        base_url=settings.anthropic_base_url,
        on_usage=count_claude_tokens,  # /metrics of this process (docs/operations.md)
    )

"""``tradingbot sentiment``: fetch news, score it with Claude, show an asset's sentiment.

    tradingbot sentiment fetch [--feed NAME=URL ...] [--cryptopanic-url URL] [--coingecko-url URL]
    tradingbot sentiment score [--limit N]
    tradingbot sentiment show BTC [--at 2026-11-22T03:00:00Z] [--limit N] [--json]

Sources: CryptoPanic when ``TRADINGBOT_CRYPTOPANIC_TOKEN`` is set, CoinGecko news, and the
feeds of ``TRADINGBOT_NEWS_FEEDS`` (JSON ``{"name": "url"}``) plus ``--feed``. Scoring needs
``TRADINGBOT_ANTHROPIC_API_KEY``; without it ``score`` says sentiment is disabled and exits 0.
Exit 1: no database, or every source failed. Keys are never printed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import typer

from ai_engine.cli.context import settings_of
from ai_engine.cli.table import echo_table
from ai_engine.settings import Settings

app = typer.Typer(
    help="News sentiment: fetch articles, score them with Claude, show the point-in-time view.",
    no_args_is_help=True,
)


@contextmanager
def _repository(settings: Settings) -> Iterator[Any]:
    from ai_engine.infra.errors import ServiceError
    from ai_engine.infra.local_services import resolve_database_url
    from ai_engine.store.db import make_engine
    from ai_engine.store.sentiment import SentimentRepository

    try:
        url = resolve_database_url(settings)
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if url is None:
        typer.echo(
            "error: no database known: run `tradingbot services up` or set TRADINGBOT_DATABASE_URL",
            err=True,
        )
        raise typer.Exit(1)
    engine = make_engine(url)
    try:
        yield SentimentRepository(engine)
    finally:
        engine.dispose()


def _feeds(values: list[str]) -> dict[str, str]:
    feeds: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name or not url.startswith(("http://", "https://")):
            raise typer.BadParameter(f"--feed wants NAME=http(s)://URL, got {value!r}")
        feeds[name] = url
    return feeds


@app.command("fetch")
def fetch_command(
    ctx: typer.Context,
    feed: list[str] = typer.Option([], "--feed", help="An RSS/Atom feed, NAME=URL (repeatable)."),
    cryptopanic_url: str | None = typer.Option(None, help="CryptoPanic base URL."),
    coingecko_url: str | None = typer.Option(None, help="CoinGecko base URL."),
    no_coingecko: bool = typer.Option(False, "--no-coingecko", help="Skip CoinGecko news."),
) -> None:
    """Fetch every configured source and store the new articles (first fetch time kept)."""
    import httpx

    from ai_engine.domain.clock import SystemClock
    from ai_engine.sentiment.pipeline import fetch_news
    from ai_engine.sentiment.sources import CoinGeckoNews, CryptoPanic, NewsSource, RssFeed
    from ai_engine.sentiment.sources.coingecko import BASE_URL as COINGECKO
    from ai_engine.sentiment.sources.cryptopanic import BASE_URL as CRYPTOPANIC

    settings = settings_of(ctx)
    sources: list[NewsSource] = []
    if settings.cryptopanic_token is not None:
        token = settings.cryptopanic_token.get_secret_value()
        sources.append(CryptoPanic(token, base_url=cryptopanic_url or CRYPTOPANIC))
    if not no_coingecko:
        key = settings.coingecko_api_key
        sources.append(CoinGeckoNews(base_url=coingecko_url or COINGECKO,
                                     api_key=key.get_secret_value() if key else None))  # fmt: skip
    for name, url in {**settings.news_feeds, **_feeds(feed)}.items():
        sources.append(RssFeed(name, url))
    if not sources:
        typer.echo("error: no news source configured", err=True)
        raise typer.Exit(1)

    async def run(repo: Any) -> Any:
        async with httpx.AsyncClient(timeout=20.0, follow_redirects=True) as client:
            return await fetch_news(sources, client, SystemClock(), repo)

    with _repository(settings) as repo:
        summary = asyncio.run(run(repo))
    typer.echo(f"fetched {summary.fetched} articles from {len(sources)} sources, {summary.new} new")
    for line in summary.item_errors:
        typer.echo(f"  bad item: {line}")
    for line in summary.source_failures:
        typer.echo(f"  source failed: {line}")
    if len(summary.source_failures) == len(sources):
        raise typer.Exit(1)


@app.command("score")
def score_command(
    ctx: typer.Context,
    limit: int = typer.Option(50, min=1, max=10_000, help="Articles to score at most."),
) -> None:
    """Score stored articles that have no score for the current model and prompt."""
    from ai_engine.domain.clock import SystemClock
    from ai_engine.sentiment.pipeline import StoreScoreCache, score_pending
    from ai_engine.sentiment.scoring import ClaudeScorer
    from ai_engine.workers.news_tasks import claude_for_today

    settings = settings_of(ctx)
    clock = SystemClock()
    with _repository(settings) as repo:
        claude = claude_for_today(settings, repo, clock)
        if not claude.enabled:
            typer.echo(str(claude.disabled_reason))
            return
        try:
            scorer = ClaudeScorer(claude, clock, cache=StoreScoreCache(repo))
            summary = asyncio.run(score_pending(scorer, repo, limit=limit))
        finally:
            claude.close()
    typer.echo(
        f"scored {summary.ok} ok, {summary.errors} errors, {summary.skipped} skipped; "
        f"{summary.tokens} tokens ({claude.budget.spent()} of {claude.budget.daily_limit} today)"
    )
    for line in summary.messages:
        typer.echo(f"  {line}")


@app.command("show")
def show_command(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help="BTC, or a symbol such as BTCUSDT."),
    at: str | None = typer.Option(None, help="Point in time, ISO-8601 UTC (default now)."),
    limit: int = typer.Option(10, min=1, max=200),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The asset's sentiment as knowable at a moment, and its newest scored articles."""
    from ai_engine.sentiment.assets import asset_of_symbol

    settings = settings_of(ctx)
    name = asset_of_symbol(asset)
    if at is None:
        moment = datetime.now(UTC)
    else:
        try:
            moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError as exc:
            raise typer.BadParameter(f"--at is not ISO-8601: {at!r}") from exc
        if moment.tzinfo is None:
            raise typer.BadParameter("--at needs a zone, e.g. 2026-11-22T03:00:00Z")
        moment = moment.astimezone(UTC)
    half_life = timedelta(hours=settings.sentiment_half_life_hours)
    lookback = timedelta(hours=settings.sentiment_lookback_hours)
    with _repository(settings) as repo:
        news = repo.sentiment_as_of(name, moment, half_life=half_life, lookback=lookback)
        recent = repo.recent(name, moment, limit=limit)
    if as_json:
        payload = {
            "asset": name,
            "as_of": moment.isoformat(),
            "value": news.value if news.has_evidence else None,
            "weight": news.weight,
            "count": news.count,
            "articles": [
                {
                    "source": s.article.source,
                    "id": s.article.id,
                    "title": s.article.title,
                    "fetched_at": s.article.fetched_at.isoformat(),
                    "scored_at": s.score.scored_at.isoformat(),
                    "status": s.score.status,
                    "sentiment": s.score.sentiment,
                    "relevance": s.score.relevance,
                    "confidence": s.score.confidence,
                    "rationale": s.score.rationale,
                    "error": s.score.error,
                }
                for s in recent
            ],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    value = f"{news.value:+.3f}" if news.has_evidence else "n/a (no scored news)"
    typer.echo(f"{name} sentiment as of {moment.isoformat()}: {value}")
    typer.echo(f"  from {news.count} articles, weight {news.weight:.3f}")
    if recent:
        echo_table(
            ["scored_at", "status", "sent", "rel", "conf", "title"],
            [
                [
                    s.score.scored_at.strftime("%Y-%m-%d %H:%M"),
                    s.score.status,
                    f"{s.score.sentiment:+.2f}",
                    f"{s.score.relevance:.2f}",
                    f"{s.score.confidence:.2f}",
                    s.article.title[:60],
                ]
                for s in recent
            ],
        )

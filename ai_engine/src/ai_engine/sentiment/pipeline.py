"""Fetch -> store -> score -> store, against a ``SentimentStore`` port (PostgreSQL implements it
in ``ai_engine.store.sentiment``; this package never imports the store).

Rules:
* Articles are stored once per (source, id): the first ``fetched_at`` is kept, so a re-fetch
  never makes old news look newly known (or newly known news look old).
* ``score_pending`` sends only articles without a successful score for the current model and
  prompt hash, and with fewer than ``max_attempts`` recorded errors; ``ok`` and ``error``
  scores are recorded, ``skipped`` ones are not (nothing was sent), and a skip ends the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import httpx

from ai_engine.domain.clock import Clock
from ai_engine.sentiment.articles import Article
from ai_engine.sentiment.scores import Score
from ai_engine.sentiment.scoring import CacheKey, ClaudeScorer
from ai_engine.sentiment.sources.base import NewsSource, fetch_all


class SentimentStore(Protocol):
    def save_articles(self, articles: Sequence[Article]) -> int:
        """Insert new articles (keep the stored ones as they are); how many were new."""
        ...

    def pending(
        self, model: str, prompt_hash: str, *, limit: int, max_attempts: int
    ) -> list[Article]: ...

    def save_score(self, score: Score) -> int: ...

    def find_score(self, key: CacheKey) -> Score | None: ...


@dataclass(frozen=True)
class FetchSummary:
    fetched: int
    new: int
    item_errors: tuple[str, ...]
    source_failures: tuple[str, ...]


@dataclass(frozen=True)
class ScoreSummary:
    ok: int
    errors: int
    skipped: int
    tokens: int
    messages: tuple[str, ...]
    scores: tuple[Score, ...]


async def fetch_news(
    sources: Sequence[NewsSource], client: httpx.AsyncClient, clock: Clock, store: SentimentStore
) -> FetchSummary:
    report = await fetch_all(sources, client, clock)
    articles = [a for parsed in report.parsed for a in parsed.articles]
    new = store.save_articles(articles)
    item_errors = tuple(str(e) for parsed in report.parsed for e in parsed.errors)
    return FetchSummary(len(articles), new, item_errors, report.failures)


class StoreScoreCache:
    """The scorer's cache backed by the store (survives restarts)."""

    def __init__(self, store: SentimentStore) -> None:
        self._store = store

    def get(self, key: CacheKey) -> Score | None:
        return self._store.find_score(key)

    def put(self, key: CacheKey, score: Score) -> None:
        pass  # the pipeline records every score itself


async def score_pending(
    scorer: ClaudeScorer, store: SentimentStore, *, limit: int = 50, max_attempts: int = 3
) -> ScoreSummary:
    articles = store.pending(
        scorer.claude.model, scorer.prompt.hash, limit=limit, max_attempts=max_attempts
    )
    ok = errors = skipped = tokens = 0
    messages: list[str] = []
    scores: list[Score] = []
    for article in articles:
        score = await scorer.score(article)
        scores.append(score)
        tokens += score.tokens
        if score.status == "skipped":
            skipped += 1
            messages.append(f"stopped: {score.error}")
            break
        store.save_score(score)
        if score.status == "ok":
            ok += 1
        else:
            errors += 1
            messages.append(f"{article.source} {article.id}: {score.error}")
    return ScoreSummary(ok, errors, skipped, tokens, tuple(messages), tuple(scores))

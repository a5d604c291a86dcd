"""News sentiment: source adapters, Claude scoring with a versioned prompt, point-in-time
aggregation. Imports only ``ai_engine.domain``, httpx and anthropic; storage is behind the
``pipeline.SentimentStore`` port (``ai_engine.store.sentiment`` implements it).

The package root exports only the light, pure parts: ``anthropic`` takes over a second to
import, so ``claude``, ``scoring``, ``pipeline`` and ``sources`` are imported by name where
they are used. See ``docs/sentiment.md`` for the sources, the prompt, the budget and the
point-in-time rule.
"""

from __future__ import annotations

from ai_engine.sentiment.aggregate import (
    HALF_LIFE,
    LOOKBACK,
    ScorePoint,
    SentimentAggregate,
    aggregate,
)
from ai_engine.sentiment.articles import Article, BadNewsItem, Parsed
from ai_engine.sentiment.assets import asset_of_symbol
from ai_engine.sentiment.scores import InvalidScore, Score

__all__ = [
    "HALF_LIFE",
    "LOOKBACK",
    "Article",
    "BadNewsItem",
    "InvalidScore",
    "Parsed",
    "Score",
    "ScorePoint",
    "SentimentAggregate",
    "aggregate",
    "asset_of_symbol",
]

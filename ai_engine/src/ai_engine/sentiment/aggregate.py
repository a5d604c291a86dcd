"""Point-in-time aggregation of scores into one sentiment value per asset and moment.

The rule (``docs/sentiment.md``): at moment ``t`` only a score that was *knowable* counts, i.e.
its article's ``fetched_at <= t`` and its own ``scored_at <= t``. The store's query applies it;
``aggregate`` applies it again, so a caller handing in other points cannot leak the future.

Formula, over the knowable, successful scores of the asset whose news is at most ``lookback``
old (age = t - min(published_at, fetched_at)):

    w_i   = relevance_i * confidence_i * 0.5 ** (age_i / half_life)
    value = sum(w_i * sentiment_i) / sum(w_i)        (0.0 when sum(w_i) == 0)

so ``value`` is in [-1, 1]; ``weight`` (= sum(w_i)) says how much evidence there is (0: none,
the ensemble then leaves sentiment out). When a store holds several scores of one article
(other models or prompt versions), the newest knowable one counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ai_engine.domain.clock import require_utc
from ai_engine.domain.errors import DomainValueError

HALF_LIFE = timedelta(hours=6)
LOOKBACK = timedelta(hours=48)


@dataclass(frozen=True)
class ScorePoint:
    score_id: int
    sentiment: float
    relevance: float
    confidence: float
    published_at: datetime
    fetched_at: datetime
    scored_at: datetime

    @property
    def knowable_at(self) -> datetime:
        return max(self.fetched_at, self.scored_at)

    @property
    def news_time(self) -> datetime:
        return min(self.published_at, self.fetched_at)


@dataclass(frozen=True)
class SentimentAggregate:
    asset: str
    at: datetime
    value: float  # -1 .. 1
    weight: float  # sum of the weights (0: no evidence)
    count: int  # scores that counted
    half_life: timedelta
    lookback: timedelta
    score_ids: tuple[int, ...] = ()  # the scores that counted (for audits and tests)
    newest_knowable_at: datetime | None = None

    @property
    def has_evidence(self) -> bool:
        return self.count > 0 and self.weight > 0


def aggregate(
    asset: str,
    points: Iterable[ScorePoint],
    at: datetime,
    *,
    half_life: timedelta = HALF_LIFE,
    lookback: timedelta = LOOKBACK,
) -> SentimentAggregate:
    at = require_utc(at, what="at")
    if half_life <= timedelta(0) or lookback <= timedelta(0):
        raise DomainValueError("half_life and lookback must be positive")
    total = weighted = 0.0
    used: list[ScorePoint] = []
    for point in points:
        if point.knowable_at > at:
            continue  # the point-in-time rule
        age = at - point.news_time
        if age > lookback:
            continue
        w = point.relevance * point.confidence * 0.5 ** (max(age, timedelta(0)) / half_life)
        total += w
        weighted += w * point.sentiment
        used.append(point)
    value = weighted / total if total > 0 else 0.0
    return SentimentAggregate(
        asset=asset,
        at=at,
        value=max(-1.0, min(1.0, value)),
        weight=total,
        count=len(used),
        half_life=half_life,
        lookback=lookback,
        score_ids=tuple(p.score_id for p in used),
        newest_knowable_at=max((p.knowable_at for p in used), default=None),
    )

"""News articles and their sentiment scores, stored point-in-time (issue 8).

Tables:
* ``news_articles``: one row per (source, external_id); ``fetched_at`` is the first time the
  engine fetched it (a re-fetch never changes it), ``published_at`` what the source claims.
* ``sentiment_scores``: one row per scoring attempt (``status`` ok or error), with the model,
  the prompt version and hash, the tokens spent and the error; ``published_at`` and
  ``fetched_at`` are copied from the article so the point-in-time filter needs no join.

The point-in-time rule: a query "as of t" sees a score only when ``fetched_at <= t`` and
``scored_at <= t`` (``SentimentRepository.points_as_of``); the aggregate is computed by
``ai_engine.sentiment.aggregate`` (formula in ``docs/sentiment.md``). ``SentimentRepository``
implements the ``ai_engine.sentiment.pipeline.SentimentStore`` port.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    CheckConstraint,
    Double,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, distinct_on, insert
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from ai_engine.sentiment.aggregate import (
    HALF_LIFE,
    LOOKBACK,
    ScorePoint,
    SentimentAggregate,
    aggregate,
)
from ai_engine.sentiment.articles import Article
from ai_engine.sentiment.scores import Score
from ai_engine.store.base import Base, id_column, one_of

SCORE_STATUSES = ("ok", "error")


class NewsArticle(Base):
    __tablename__ = "news_articles"
    __table_args__ = (
        Index(None, "source", "external_id", unique=True),
        Index(None, "fetched_at"),
    )

    id: Mapped[int] = id_column()
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(512))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime]
    fetched_at: Mapped[datetime]
    assets: Mapped[list[str]] = mapped_column(JSONB)


class SentimentScore(Base):
    __tablename__ = "sentiment_scores"
    __table_args__ = (
        one_of("status", SCORE_STATUSES),
        CheckConstraint("sentiment >= -1 AND sentiment <= 1", name="sentiment_range"),
        CheckConstraint("relevance >= 0 AND relevance <= 1", name="relevance_range"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        CheckConstraint("scored_at >= fetched_at", name="scored_after_fetch"),
        Index(None, "article_id", "model", "prompt_hash"),
        Index(None, "fetched_at"),
    )

    id: Mapped[int] = id_column()
    article_id: Mapped[int] = mapped_column(ForeignKey("news_articles.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(Text)
    sentiment: Mapped[float] = mapped_column(Double)
    relevance: Mapped[float] = mapped_column(Double)
    confidence: Mapped[float] = mapped_column(Double)
    assets: Mapped[list[str]] = mapped_column(JSONB)
    rationale: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(64))
    prompt_version: Mapped[str] = mapped_column(String(32))
    prompt_hash: Mapped[str] = mapped_column(String(64))
    input_tokens: Mapped[int] = mapped_column(Integer)
    output_tokens: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime]
    fetched_at: Mapped[datetime]
    scored_at: Mapped[datetime]


@dataclass(frozen=True)
class ScoredArticle:
    """One article with one score, for the API and the CLI."""

    article: Article
    score: Score
    score_id: int


def _article(row: NewsArticle) -> Article:
    return Article(
        source=row.source,
        id=row.external_id,
        url=row.url,
        title=row.title,
        summary=row.summary,
        published_at=row.published_at,
        fetched_at=row.fetched_at,
        assets=tuple(row.assets),
    )


def _score(row: SentimentScore, article: NewsArticle) -> Score:
    return Score(
        source=article.source,
        article_id=article.external_id,
        status="ok" if row.status == "ok" else "error",
        sentiment=row.sentiment,
        relevance=row.relevance,
        confidence=row.confidence,
        assets=tuple(row.assets),
        rationale=row.rationale,
        model=row.model,
        prompt_version=row.prompt_version,
        prompt_hash=row.prompt_hash,
        scored_at=row.scored_at,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        error=row.error,
    )


class SentimentRepository:
    """Reads and writes of the two tables (sync sessions; see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # -- writes -------------------------------------------------------------------------------

    def save_articles(self, articles: Sequence[Article]) -> int:
        """Insert the articles not stored yet (by source and id); how many were new."""
        if not articles:
            return 0
        unique = {a.key: a for a in reversed(articles)}  # the first of duplicates wins
        rows = [
            {
                "source": a.source,
                "external_id": a.id,
                "url": a.url,
                "title": a.title,
                "summary": a.summary,
                "published_at": a.published_at,
                "fetched_at": a.fetched_at,
                "assets": list(a.assets),
            }
            for a in unique.values()
        ]
        statement = (
            insert(NewsArticle)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["source", "external_id"])
            .returning(NewsArticle.id)
        )
        with self._sessions.begin() as session:
            return len(session.execute(statement).all())

    def save_score(self, score: Score) -> int:
        """Record a score (``ok`` or ``error``) of a stored article; its row id."""
        if score.status == "skipped":
            raise ValueError("a skipped score is not recorded (nothing was sent to Claude)")
        with self._sessions.begin() as session:
            article = self._article_row(session, score.source, score.article_id)
            row = SentimentScore(
                article_id=article.id,
                status=score.status,
                sentiment=score.sentiment,
                relevance=score.relevance,
                confidence=score.confidence,
                assets=list(score.assets),
                rationale=score.rationale,
                model=score.model,
                prompt_version=score.prompt_version,
                prompt_hash=score.prompt_hash,
                input_tokens=score.input_tokens,
                output_tokens=score.output_tokens,
                error=score.error,
                published_at=article.published_at,
                fetched_at=article.fetched_at,
                scored_at=score.scored_at,
            )
            session.add(row)
            session.flush()
            return row.id

    @staticmethod
    def _article_row(session: Session, source: str, external_id: str) -> NewsArticle:
        row = session.scalars(
            select(NewsArticle).where(
                NewsArticle.source == source, NewsArticle.external_id == external_id
            )
        ).one_or_none()
        if row is None:
            raise LookupError(f"no stored article {source} {external_id!r}")
        return row

    # -- the scorer's port --------------------------------------------------------------------

    def pending(
        self, model: str, prompt_hash: str, *, limit: int, max_attempts: int
    ) -> list[Article]:
        """Articles without an ok score for (model, prompt_hash), fewer than ``max_attempts``
        errors for it; newest fetched first."""
        same = and_(
            SentimentScore.article_id == NewsArticle.id,
            SentimentScore.model == model,
            SentimentScore.prompt_hash == prompt_hash,
        )
        ok = select(literal(1)).where(same, SentimentScore.status == "ok").exists()
        errors = (
            select(func.count()).where(same, SentimentScore.status == "error").scalar_subquery()
        )
        statement = (
            select(NewsArticle)
            .where(~ok, errors < max_attempts)
            .order_by(NewsArticle.fetched_at.desc(), NewsArticle.id.desc())
            .limit(limit)
        )
        with self._sessions() as session:
            return [_article(row) for row in session.scalars(statement)]

    def find_score(self, key: tuple[str, str, str, str]) -> Score | None:
        """The newest ok score of (source, article id, model, prompt hash)."""
        source, external_id, model, prompt_hash = key
        statement = (
            select(SentimentScore, NewsArticle)
            .join(NewsArticle, SentimentScore.article_id == NewsArticle.id)
            .where(
                NewsArticle.source == source,
                NewsArticle.external_id == external_id,
                SentimentScore.model == model,
                SentimentScore.prompt_hash == prompt_hash,
                SentimentScore.status == "ok",
            )
            .order_by(SentimentScore.scored_at.desc())
            .limit(1)
        )
        with self._sessions() as session:
            found = session.execute(statement).first()
            return None if found is None else _score(found[0], found[1])

    def tokens_spent(self, start: datetime, end: datetime) -> int:
        """Tokens of the scores recorded in [start, end) (seeds the daily budget)."""
        statement = select(
            func.coalesce(func.sum(SentimentScore.input_tokens + SentimentScore.output_tokens), 0)
        ).where(SentimentScore.scored_at >= start, SentimentScore.scored_at < end)
        with self._sessions() as session:
            return int(session.scalar(statement) or 0)

    # -- point-in-time reads ------------------------------------------------------------------

    def points_as_of(
        self, asset: str, at: datetime, *, lookback: timedelta = LOOKBACK
    ) -> list[ScorePoint]:
        """The newest knowable ok score of each article about ``asset`` (see module doc)."""
        news_time = func.least(SentimentScore.published_at, SentimentScore.fetched_at)
        statement = (
            select(SentimentScore)
            .where(
                SentimentScore.status == "ok",
                SentimentScore.fetched_at <= at,
                SentimentScore.scored_at <= at,
                news_time >= at - lookback,
                SentimentScore.assets.contains([asset.upper()]),
            )
            .order_by(SentimentScore.article_id, SentimentScore.scored_at.desc())
            .ext(distinct_on(SentimentScore.article_id))
        )
        with self._sessions() as session:
            return [
                ScorePoint(
                    score_id=row.id,
                    sentiment=row.sentiment,
                    relevance=row.relevance,
                    confidence=row.confidence,
                    published_at=row.published_at,
                    fetched_at=row.fetched_at,
                    scored_at=row.scored_at,
                )
                for row in session.scalars(statement)
            ]

    def sentiment_as_of(
        self,
        asset: str,
        at: datetime,
        *,
        half_life: timedelta = HALF_LIFE,
        lookback: timedelta = LOOKBACK,
    ) -> SentimentAggregate:
        """The aggregate sentiment of ``asset`` as it was knowable at ``at``."""
        points = self.points_as_of(asset, at, lookback=lookback)
        return aggregate(asset.upper(), points, at, half_life=half_life, lookback=lookback)

    def recent(self, asset: str, at: datetime, *, limit: int = 20) -> list[ScoredArticle]:
        """The newest scores (ok and error) about ``asset`` knowable at ``at``."""
        statement = (
            select(SentimentScore, NewsArticle)
            .join(NewsArticle, SentimentScore.article_id == NewsArticle.id)
            .where(
                SentimentScore.fetched_at <= at,
                SentimentScore.scored_at <= at,
                SentimentScore.assets.contains([asset.upper()]),
            )
            .order_by(SentimentScore.scored_at.desc(), SentimentScore.id.desc())
            .limit(limit)
        )
        with self._sessions() as session:
            return [
                ScoredArticle(_article(article), _score(score, article), score.id)
                for score, article in session.execute(statement)
            ]

"""News sentiment over HTTP, and the ensemble part of the signal routes.

``GET /api/v1/sentiment/{asset}`` (``BTC`` or a symbol, ``BTCUSDT``): the point-in-time
aggregate as of ``at`` (default now) and the newest scored articles knowable then, with the
model, prompt hash and tokens of each score; ``enabled``/``reason`` say whether Claude scoring
is on (no key: off, stored scores are still shown). 503 without a database.

``SentimentRuntime`` (built by ``create_app``) holds the Claude client (disabled without a key),
the budget and rate limit it shares with the summaries, the ensemble weights from the settings
and a lazily made repository. ``ensemble_for`` gives a signal's ensemble, explanation and
sentiment: sentiment as of the bar's close (never later news), the strategy's score, the served
model's probability when there is one; sentiment problems leave sentiment out with the reason,
never fail the signal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from starlette.concurrency import run_in_threadpool

from ai_engine.api.signals_schemas import (
    EnsembleOut,
    ErrorOut,
    SignalOut,
    SignalSentimentOut,
)
from ai_engine.domain.clock import Clock, require_utc
from ai_engine.domain.errors import DomainValueError
from ai_engine.ensemble import EnsembleParams, combine, explain
from ai_engine.ensemble.summary import SummaryWriter
from ai_engine.metrics.definitions import count_claude_tokens
from ai_engine.sentiment.aggregate import SentimentAggregate
from ai_engine.sentiment.assets import asset_of_symbol
from ai_engine.sentiment.claude import Claude, connect
from ai_engine.sentiment.limits import RateLimiter, TokenBudget
from ai_engine.sentiment.prompt import current_prompt
from ai_engine.settings import Settings
from ai_engine.store.db import make_engine
from ai_engine.store.sentiment import SentimentRepository

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["sentiment"])
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2999, 12, 31, tzinfo=UTC)
NO_DATABASE = "no database configured (TRADINGBOT_DATABASE_URL or services up)"


class SentimentUnavailableError(RuntimeError):
    pass


@dataclass
class SentimentRuntime:
    claude: Claude
    params: EnsembleParams
    clock: Clock
    database_url: str | None
    half_life: timedelta
    lookback: timedelta
    summaries: SummaryWriter = field(init=False)
    _repo: SentimentRepository | None = field(default=None, init=False)
    _engine: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.summaries = SummaryWriter(self.claude)

    def repo(self) -> SentimentRepository:
        if self.database_url is None:
            raise SentimentUnavailableError(NO_DATABASE)
        if self._repo is None:
            self._engine = make_engine(self.database_url, poolclass=NullPool)
            self._repo = SentimentRepository(self._engine)
            day = datetime.combine(self.clock.now().date(), time(0), tzinfo=UTC)
            try:  # a restart must not reset the day's budget
                self.claude.budget.spend(self._repo.tokens_spent(day, day + timedelta(days=1)))
            except SQLAlchemyError as exc:
                log.warning("sentiment: could not read today's token use: %s", type(exc).__name__)
        return self._repo

    def as_of(self, asset: str, at: datetime) -> SentimentAggregate:
        try:
            return self.repo().sentiment_as_of(
                asset, at, half_life=self.half_life, lookback=self.lookback
            )
        except SQLAlchemyError as exc:
            raise SentimentUnavailableError(
                f"database unavailable ({type(exc).__name__})"
            ) from None

    def close(self) -> None:
        self.claude.close()
        if self._engine is not None:
            self._engine.dispose()


def build_runtime(settings: Settings, database_url: str | None, clock: Clock) -> SentimentRuntime:
    key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else None
    claude = connect(
        key,
        budget=TokenBudget(settings.sentiment_daily_tokens, clock),
        limiter=RateLimiter(settings.sentiment_requests_per_minute),
        model=settings.sentiment_model,
        base_url=settings.anthropic_base_url,
        timeout_s=15.0,
        on_usage=count_claude_tokens,  # tokens_used in this process's /metrics
    )
    params = EnsembleParams(
        technical=settings.ensemble_weight_technical,
        model=settings.ensemble_weight_model,
        sentiment=settings.ensemble_weight_sentiment,
        threshold=settings.ensemble_threshold,
    )
    return SentimentRuntime(
        claude,
        params,
        clock,
        database_url,
        half_life=timedelta(hours=settings.sentiment_half_life_hours),
        lookback=timedelta(hours=settings.sentiment_lookback_hours),
    )


def runtime_of(request: Request) -> SentimentRuntime | None:
    runtime: SentimentRuntime | None = getattr(request.app.state, "sentiment", None)
    return runtime


# -- the signal routes' part ---------------------------------------------------------------------


@dataclass(frozen=True)
class EnsembleExtras:
    ensemble: EnsembleOut
    explanation: str
    sentiment: SignalSentimentOut


async def ensemble_for(
    runtime: SentimentRuntime,
    *,
    symbol: str,
    as_of: datetime,
    technical_score: float | None,
    model_probability: float | None,
    key: tuple[Any, ...],
    summarise: bool = True,
) -> EnsembleExtras:
    asset = asset_of_symbol(symbol)
    news: SentimentAggregate | None = None
    reason: str | None = None
    try:
        news = await run_in_threadpool(runtime.as_of, asset, as_of)
        if not news.has_evidence:
            reason = f"no scored news about {asset} knowable at {as_of.isoformat()}"
    except SentimentUnavailableError as exc:
        reason = f"sentiment unavailable: {exc}"
    if reason is not None and not runtime.claude.enabled:
        reason = f"{runtime.claude.disabled_reason}; {reason}"
    decision = combine(
        technical_score=technical_score,
        model_probability=model_probability,
        sentiment=news,
        params=runtime.params,
        sentiment_note=reason,
        technical_note="the strategy's 0-100 score",
    )
    text = explain(decision, symbol)
    if summarise:
        summary = await runtime.summaries.summarise(decision, symbol, key)
    else:
        why = runtime.claude.disabled_reason or "batch requests get the template, no summary"
        summary = SummaryWriter.template(decision, symbol, why)
    ensemble = EnsembleOut.model_validate(
        {
            "action": decision.action,
            "score": decision.score,
            "threshold": decision.threshold,
            "weights": runtime.params.weights(),
            "parts": [
                {
                    "name": p.name,
                    "value": p.value,
                    "weight": p.weight,
                    "share": p.share,
                    "raw": p.raw,
                    "note": p.note,
                }
                for p in decision.parts
            ],
            "summary": summary.text,
            "summary_source": summary.source,
            "summary_error": summary.error,
        }
    )
    sentiment = SignalSentimentOut(
        asset=asset,
        as_of=as_of,
        available=news is not None and news.has_evidence,
        reason=reason,
        value=news.value if news is not None and news.has_evidence else None,
        weight=0.0 if news is None else news.weight,
        count=0 if news is None else news.count,
    )
    return EnsembleExtras(ensemble, text, sentiment)


async def attach_ensemble(request: Request, out: SignalOut, *, summarise: bool) -> SignalOut:
    """``out`` with its ``ensemble``, ``explanation`` and ``sentiment`` (unchanged when the app
    has no sentiment runtime). The batch route passes ``summarise=False``: template only."""
    runtime = runtime_of(request)
    if runtime is None:
        return out
    probability = None if out.model is None else out.model.probability
    try:
        extras = await ensemble_for(
            runtime,
            symbol=out.symbol,
            as_of=out.as_of,
            technical_score=out.score,
            model_probability=probability,
            key=(
                out.symbol,
                out.interval,
                out.market,
                out.strategy,
                out.bar_open_time,
                probability,
            ),
            summarise=summarise,
        )
    except DomainValueError as exc:  # an input out of range: the signal stands without it
        log.warning("ensemble left out of %s: %s", out.symbol, exc)
        return out
    out.ensemble = extras.ensemble
    out.explanation = extras.explanation
    out.sentiment = extras.sentiment
    return out


# -- GET /api/v1/sentiment/{asset} ---------------------------------------------------------------


class ScoredArticleOut(BaseModel):
    source: str
    id: str
    url: str
    title: str
    published_at: datetime
    fetched_at: datetime
    scored_at: datetime
    status: str = Field(description="ok, or error (neutral, with the error).")
    sentiment: float
    relevance: float
    confidence: float
    assets: list[str]
    rationale: str
    model: str
    prompt_version: str
    prompt_hash: str
    tokens: int
    error: str | None


class SentimentOut(BaseModel):
    asset: str
    as_of: datetime = Field(description="The point in time: only news knowable then counts.")
    enabled: bool = Field(description="Whether Claude scoring is on (an API key is set).")
    reason: str | None = Field(description="Why scoring is disabled (else null).")
    value: float | None = Field(description="Aggregate -1..+1 (null: no evidence).")
    weight: float = Field(description="Sum of relevance * confidence * decay (0: no evidence).")
    count: int
    half_life_hours: float
    lookback_hours: float
    model: str
    prompt_version: str
    prompt_hash: str
    tokens_spent_today: int
    daily_token_budget: int
    articles: list[ScoredArticleOut]


@router.get(
    "/sentiment/{asset}",
    response_model=SentimentOut,
    responses={
        422: {"model": ErrorOut, "description": "Bad asset, limit or point in time."},
        503: {"model": ErrorOut, "description": "No database."},
    },
)
async def sentiment(
    request: Request,
    asset: Annotated[str, Path(pattern=r"^[A-Za-z0-9]{2,20}$", examples=["BTC", "BTCUSDT"])],
    at: Annotated[datetime | None, Query(description="Point in time (UTC); default now.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> SentimentOut:
    """The asset's point-in-time sentiment aggregate and its newest scored articles."""
    runtime = runtime_of(request)
    if runtime is None:
        raise HTTPException(status_code=503, detail="sentiment is not configured in this app")
    if at is not None and at.tzinfo is None:
        raise HTTPException(status_code=422, detail="at must carry a zone (UTC), e.g. ...Z")
    try:
        moment = runtime.clock.now() if at is None else require_utc(at.astimezone(UTC))
    except (OverflowError, ValueError):
        raise HTTPException(status_code=422, detail="at is out of range") from None
    if not _EARLIEST <= moment <= _LATEST:
        raise HTTPException(
            status_code=422, detail=f"at must be within {_EARLIEST:%Y}-{_LATEST:%Y}"
        )
    name = asset_of_symbol(asset)
    try:
        news = await run_in_threadpool(runtime.as_of, name, moment)
        recent = await run_in_threadpool(lambda: runtime.repo().recent(name, moment, limit=limit))
    except (SentimentUnavailableError, SQLAlchemyError) as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    prompt = current_prompt()
    return SentimentOut(
        asset=name,
        as_of=moment,
        enabled=runtime.claude.enabled,
        reason=runtime.claude.disabled_reason,
        value=news.value if news.has_evidence else None,
        weight=news.weight,
        count=news.count,
        half_life_hours=runtime.half_life.total_seconds() / 3600,
        lookback_hours=runtime.lookback.total_seconds() / 3600,
        model=runtime.claude.model,
        prompt_version=prompt.version,
        prompt_hash=prompt.hash,
        tokens_spent_today=runtime.claude.budget.spent(),
        daily_token_budget=runtime.claude.budget.daily_limit,
        articles=[
            ScoredArticleOut(
                source=s.article.source,
                id=s.article.id,
                url=s.article.url,
                title=s.article.title,
                published_at=s.article.published_at,
                fetched_at=s.article.fetched_at,
                scored_at=s.score.scored_at,
                status=s.score.status,
                sentiment=s.score.sentiment,
                relevance=s.score.relevance,
                confidence=s.score.confidence,
                assets=list(s.score.assets),
                rationale=s.score.rationale,
                model=s.score.model,
                prompt_version=s.score.prompt_version,
                prompt_hash=s.score.prompt_hash,
                tokens=s.score.tokens,
                error=s.score.error,
            )
            for s in recent
        ],
    )

"""Wire types of the signal and strategy routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ai_engine.domain.enums import MarketType

SYMBOL_PATTERN = r"^[A-Z0-9]{2,20}$"
INTERVAL_PATTERN = r"^[1-9][0-9]{0,3}[smhdw]$"


class ErrorOut(BaseModel):
    detail: str | list[dict[str, Any]] = Field(
        description="What is wrong: a sentence, or FastAPI's list of invalid fields."
    )


class ComponentOut(BaseModel):
    name: str
    value: float | None = Field(description="The indicator's raw value on the bar (null: none).")
    weight: float = Field(description="Weight of the component in the score.")
    vote: float | None = Field(description="-1 (fully bearish) .. +1 (fully bullish).")


class ModelInfoOut(BaseModel):
    """The served model's part in a signal (strategies that read a model only)."""

    serving: bool
    model_id: str | None
    reason: str = Field(description="What is served, or why no model serves this signal.")
    probability: float | None = Field(
        default=None, description="Calibrated P(up) of the signal's bar (null: none)."
    )


class EnsemblePartOut(BaseModel):
    name: Literal["technical", "model", "sentiment"]
    value: float | None = Field(description="-1 (bearish) .. +1 (bullish); null: left out.")
    weight: float = Field(description="The configured weight.")
    share: float = Field(description="Its share of the decision after renormalising, 0-1.")
    raw: float | None = Field(
        description="The input: score 0-100, probability 0-1 or sentiment -1..1 (null: none)."
    )
    note: str = Field(description="What the input is, or why it is left out.")


class EnsembleOut(BaseModel):
    """The explained ensemble (docs/sentiment.md): technical score, model probability and
    news sentiment with their weights; ``action`` is the ensemble's, beside the strategy's."""

    action: Literal["BUY", "SELL", "HOLD"]
    score: float = Field(description="Combined, -1 .. +1.", ge=-1, le=1)
    threshold: float = Field(description="BUY at score >= threshold, SELL at <= -threshold.")
    weights: dict[str, float]
    parts: list[EnsemblePartOut]
    summary: str = Field(description="Claude's one-paragraph summary, else the template.")
    summary_source: Literal["claude", "template"]
    summary_error: str | None = Field(
        default=None, description="Why the template was used (no key, budget, failure)."
    )


class SignalSentimentOut(BaseModel):
    asset: str
    as_of: datetime = Field(description="Point in time of the aggregate: the bar's close.")
    available: bool = Field(description="Whether scored news counted at that time.")
    reason: str | None = Field(description="Why sentiment is missing or disabled (else null).")
    value: float | None = Field(description="-1 .. +1 (null: no evidence).")
    weight: float
    count: int


class SignalOut(BaseModel):
    symbol: str
    interval: str
    market: str
    strategy: str
    params: dict[str, int | float | bool] = Field(description="The parameters used, resolved.")
    as_of: datetime = Field(description="Close time of the last closed bar (UTC).")
    bar_open_time: int = Field(description="Open time of that bar, ms since the epoch, UTC.")
    action: Literal["BUY", "SELL", "HOLD"] = Field(
        description="BUY: open a long or close a short at the next bar's open; SELL: open a "
        "short or close a long; HOLD: nothing to do."
    )
    confidence: float | None = Field(description="|score - 50| / 50, 0-1.", ge=0, le=1)
    score: float | None = Field(description="0-100, 50 neutral, above 50 bullish.", ge=0, le=100)
    components: list[ComponentOut]
    reasons: list[str] = Field(description="Why, in plain words.")
    price: float = Field(description="Close of the last closed bar.")
    stop: float | None = Field(description="Suggested stop for the entry signalled (else null).")
    take_profit: float | None = Field(description="Suggested take-profit (else null).")
    ensemble: EnsembleOut | None = Field(
        default=None, description="The ensemble's decision with every component (issue 8)."
    )
    explanation: str | None = Field(
        default=None, description="The ensemble's decision in plain words (template)."
    )
    sentiment: SignalSentimentOut | None = Field(
        default=None, description="News sentiment as of the bar's close (point-in-time)."
    )
    model: ModelInfoOut | None = Field(
        default=None,
        description="The served model: whether it serves, which, why not, and its calibrated "
        "P(up) of this bar (ml_lightgbm and composite_score with model_weight > 0 trade on it; "
        "the ensemble combines it). Null only without model serving.",
    )


class SignalBatchIn(BaseModel):
    symbols: list[str] = Field(min_length=1, max_length=100, examples=[["BTCUSDT", "ETHUSDT"]])
    interval: str = Field(default="1m", pattern=INTERVAL_PATTERN)
    strategy: str = Field(default="composite_score", max_length=64)
    market: MarketType = MarketType.SPOT
    params: dict[str, int | float | bool | str] = Field(
        default_factory=dict, description="Strategy parameters; see GET /api/v1/strategies."
    )


class SymbolError(BaseModel):
    symbol: str
    status: int = Field(description="404: no such series; 422: not a valid symbol.")
    detail: str


class SignalBatchOut(BaseModel):
    signals: list[SignalOut]
    errors: list[SymbolError]


class ParamOut(BaseModel):
    name: str
    type: Literal["int", "float", "bool"]
    default: int | float | bool
    low: float | None = Field(description="Inclusive lower bound (null: none or boolean).")
    high: float | None = Field(description="Inclusive upper bound.")
    description: str


class StrategyOut(BaseModel):
    name: str
    title: str
    plan: str = Field(description="The plan (seed and section) the strategy follows.")
    long_only: bool
    description: str
    params: list[ParamOut]


class StrategiesOut(BaseModel):
    strategies: list[StrategyOut]

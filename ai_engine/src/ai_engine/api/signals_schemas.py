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

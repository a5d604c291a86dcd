"""Wire types of the engine API (the dashboard's TypeScript types are generated from these)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Candle(BaseModel):
    time: int = Field(description="Bar open time, milliseconds since the epoch, UTC.")
    open: float
    high: float
    low: float
    close: float
    volume: float = Field(description="Base-asset volume.")
    quote_volume: float
    trades: int
    taker_buy_volume: float = Field(description="Base volume bought by takers (aggressive buys).")


class CandlesResponse(BaseModel):
    symbol: str
    interval: str
    market: str
    candles: list[Candle]


class CheckOut(BaseModel):
    ok: bool
    detail: str
    latency_ms: float


class HealthOut(BaseModel):
    status: str = Field(description="`ok` when every dependency answers, else `degraded`.")
    database: CheckOut
    redis: CheckOut
    store: CheckOut

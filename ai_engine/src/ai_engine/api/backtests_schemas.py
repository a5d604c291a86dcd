"""Wire types of the backtest routes (``POST/GET /api/v1/backtests``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from ai_engine.api.signals_schemas import INTERVAL_PATTERN
from ai_engine.domain.enums import MarketType

Status = Literal["queued", "running", "done", "failed"]


class BacktestIn(BaseModel):
    """A backtest to run: a strategy with parameters over stored bars, and the market model."""

    model_config = ConfigDict(extra="forbid")

    strategy: str = Field(max_length=64, examples=["ema_cross"])
    params: dict[str, int | float | bool | str] = Field(
        default_factory=dict,
        description="Strategy parameters (see GET /api/v1/strategies); defaults for the rest.",
        examples=[{"fast": 12, "slow": 26}],
    )
    symbol: str | None = Field(default=None, max_length=30, examples=["BTCUSDT"])
    symbols: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="Several symbols run as one portfolio sharing the cash (or give `symbol`).",
    )
    interval: str = Field(pattern=INTERVAL_PATTERN, examples=["1m"])
    start: AwareDatetime = Field(description="First bar's open (inclusive), with a UTC offset.")
    end: AwareDatetime = Field(description="Exclusive end, with a UTC offset.")
    market: MarketType = MarketType.SPOT
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="BacktestConfig fields: cash, fee_maker, fee_taker, slippage {kind, bps, "
        "k ...}, latency_ms, sizing {kind, value}, leverage, market, max_positions, intrabar, "
        "close_at_end, exits {...} (docs/backtesting.md). Defaults for the rest.",
        examples=[{"cash": 10000, "fee_taker": 0.001}],
    )

    @model_validator(mode="after")
    def _one_symbol_field(self) -> Self:
        if (self.symbol is None) == (self.symbols is None):
            raise ValueError("give exactly one of symbol or symbols")
        return self

    def symbol_list(self) -> list[str]:
        return [self.symbol] if self.symbol is not None else list(self.symbols or [])


class BacktestAccepted(BaseModel):
    id: str
    status: Status
    links: dict[str, str]


class BacktestOut(BaseModel):
    id: str
    status: Status
    progress: float = Field(ge=0, le=1, description="0..1 while it runs; 1 when done.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    spec: dict[str, Any] = Field(description="The accepted spec, normalised.")
    metrics: dict[str, Any] | None = Field(description="When done: Metrics (null: undefined).")
    summary: dict[str, Any] | None = Field(
        description="When done: final equity, bars, config, skipped entries, timings."
    )
    error: str | None
    links: dict[str, str]


class BacktestTradeOut(BaseModel):
    seq: int
    symbol: str
    side: Literal["long", "short"]
    entry_time: datetime
    exit_time: datetime
    entry_price: float
    exit_price: float
    quantity: float
    entry_fee: float
    exit_fee: float
    funding: float
    pnl: float
    entry_reason: str
    exit_reason: str


class BacktestTradesOut(BaseModel):
    id: str
    total: int
    offset: int
    trades: list[BacktestTradeOut]

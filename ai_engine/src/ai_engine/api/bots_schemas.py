"""Wire shapes of the bot, portfolio and event routes. Money, prices and quantities are strings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field


class BotLiveOut(BaseModel):
    state: str = Field(description="What the trader last reported (Redis): may lead the record.")
    mode: str
    reason: str
    risk: dict[str, Any]


class BotOut(BaseModel):
    id: str
    name: str
    mode: str = Field(description="replay | paper | testnet | live")
    venue: str
    market: str
    symbols: list[str]
    strategy: str
    params: dict[str, Any]
    risk_profile: str
    state: str = Field(description="stopped | running | paused | halted (the record)")
    state_reason: str
    heartbeat_at: datetime | None
    heartbeat_age_s: float | None
    heartbeat_stale: bool = Field(description="Running but no heartbeat for too long.")
    live: BotLiveOut | None
    updated_at: datetime


class BotsOut(BaseModel):
    bots: list[BotOut]


class CommandIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class CommandAccepted(BaseModel):
    bot_id: str
    command: str
    command_id: str = Field(description="The entry id on the bot's control stream.")
    actor: str


class OrderOut(BaseModel):
    client_order_id: str
    venue_order_id: str | None
    bot_id: str
    run_id: str | None
    symbol: str
    side: str
    order_type: str
    time_in_force: str | None
    status: str
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    filled_qty: Decimal
    avg_price: Decimal | None
    reduce_only: bool
    created_at: datetime
    updated_at: datetime


class OrdersOut(BaseModel):
    orders: list[OrderOut]


class TradeOut(BaseModel):
    id: int
    bot_id: str
    run_id: str | None
    symbol: str
    side: str
    qty: Decimal
    entry_time: datetime
    entry_price: Decimal
    exit_time: datetime
    exit_price: Decimal
    fees: Decimal
    pnl_net: Decimal
    exit_reason: str


class TradesOut(BaseModel):
    trades: list[TradeOut]


class PositionOut(BaseModel):
    bot_id: str
    symbol: str
    market: str
    side: str
    qty: Decimal
    avg_entry: Decimal
    realised_pnl: Decimal
    fees: Decimal
    funding: Decimal
    mark_price: str | None = Field(description="From the trader's latest position event.")
    unrealized_pnl: str | None
    stop_price: str | None
    take_profit: str | None
    updated_at: datetime


class PositionsOut(BaseModel):
    positions: list[PositionOut]


class AccountSnapshotOut(BaseModel):
    bot_id: str
    ts: datetime
    equity: Decimal
    cash: Decimal
    unrealised: Decimal
    drawdown: Decimal = Field(description="Fraction of the equity peak, 0..1.")


class AccountOut(BaseModel):
    accounts: list[AccountSnapshotOut]


class DailyPnlOut(BaseModel):
    date: str
    pnl: Decimal


class EquityPointOut(BaseModel):
    ts: datetime
    equity: Decimal
    drawdown: Decimal


class PnlOut(BaseModel):
    bot_id: str | None
    trades: int
    wins: int
    losses: int
    win_rate: float | None
    profit_factor: float | None
    realised_net: Decimal = Field(description="Closed trades, net of fees and funding.")
    fees: Decimal
    unrealised: Decimal
    equity: Decimal | None
    daily: list[DailyPnlOut]
    equity_curve: list[EquityPointOut] = Field(description="Only with bot_id.")

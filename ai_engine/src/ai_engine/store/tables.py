"""Every table, imported in one place so `metadata` is complete (Alembic, tests, tools)."""

from __future__ import annotations

from ai_engine.store.audit import AuditEntry
from ai_engine.store.backtests import Backtest, BacktestTrade
from ai_engine.store.base import Base
from ai_engine.store.bots import Bot
from ai_engine.store.instruments import Instrument
from ai_engine.store.orders import Fill, Order
from ai_engine.store.portfolio import EquitySnapshot, Position, Trade
from ai_engine.store.sentiment import NewsArticle, SentimentScore
from ai_engine.store.signals import Decision, Signal

metadata = Base.metadata

__all__ = [
    "AuditEntry",
    "Backtest",
    "BacktestTrade",
    "Base",
    "Bot",
    "Decision",
    "EquitySnapshot",
    "Fill",
    "Instrument",
    "NewsArticle",
    "Order",
    "Position",
    "SentimentScore",
    "Signal",
    "Trade",
    "metadata",
]

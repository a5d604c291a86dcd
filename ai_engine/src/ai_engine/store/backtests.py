"""Backtest jobs and their results: one row per job, one row per closed trade.

A job's id (a UUID) is minted when the API accepts the spec, before the job is queued, so the
Celery task takes only the id and re-reads the spec (a redelivered task re-runs the same job and
replaces its trades). ``status`` moves queued -> running -> done | failed; ``progress`` is a
fraction 0..1 the task raises as it goes. ``metrics`` is ``Metrics.to_dict()`` (NaN and
infinities as null), ``summary`` the rest of the JSON result (final equity, timings, counts),
``report_html`` the self-contained HTML report. Trade prices, quantities and money are exact
``NUMERIC`` values converted once from the kernel's float64 (``Decimal(repr(x))``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ai_engine.store.base import Base, id_column, one_of

BACKTEST_STATUSES = ("queued", "running", "done", "failed")
BACKTEST_TRADE_SIDES = ("long", "short")


class Backtest(Base):
    __tablename__ = "backtests"
    __table_args__ = (
        one_of("status", BACKTEST_STATUSES),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress_fraction"),
        Index(None, "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(Text, server_default=text("'queued'"))
    progress: Mapped[float] = mapped_column(Double, server_default=text("0"))
    strategy: Mapped[str] = mapped_column(String(64))
    interval: Mapped[str] = mapped_column(String(8))
    spec: Mapped[dict[str, Any]]  # the accepted request, normalised
    metrics: Mapped[dict[str, Any] | None]
    summary: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    report_html: Mapped[str | None] = deferred(mapped_column(Text))


class BacktestTrade(Base):
    __tablename__ = "backtest_trades"
    __table_args__ = (
        one_of("side", BACKTEST_TRADE_SIDES),
        CheckConstraint("exit_time >= entry_time", name="exit_after_entry"),
        Index(None, "backtest_id", "seq", unique=True),
    )

    id: Mapped[int] = id_column()
    backtest_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("backtests.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # order of the trade in the result
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(Text)
    entry_time: Mapped[datetime]
    exit_time: Mapped[datetime]
    entry_price: Mapped[Decimal]
    exit_price: Mapped[Decimal]
    quantity: Mapped[Decimal]
    entry_fee: Mapped[Decimal]
    exit_fee: Mapped[Decimal]
    funding: Mapped[Decimal]
    pnl: Mapped[Decimal]
    entry_reason: Mapped[str] = mapped_column(Text)
    exit_reason: Mapped[str] = mapped_column(Text)

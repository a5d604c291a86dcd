"""What the bots hold and have done: positions, closed round trips, equity over time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ai_engine.store.base import Base, id_column, one_of
from ai_engine.store.vocab import EXIT_REASONS, POSITION_SIDES, TRADE_SIDES


class Position(Base):
    """One row per bot and instrument, updated in place as fills arrive."""

    __tablename__ = "positions"
    __table_args__ = (
        UniqueConstraint("bot_id", "instrument_id"),
        one_of("side", POSITION_SIDES),
        CheckConstraint("qty >= 0", name="non_negative_qty"),
        CheckConstraint("(side = 'flat') = (qty = 0)", name="flat_iff_zero"),
    )

    id: Mapped[int] = id_column()
    bot_id: Mapped[str] = mapped_column(String(64))
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    side: Mapped[str] = mapped_column(Text)
    qty: Mapped[Decimal] = mapped_column(server_default=text("0"))  # magnitude; side says which
    avg_entry: Mapped[Decimal] = mapped_column(server_default=text("0"))
    realised_pnl: Mapped[Decimal] = mapped_column(server_default=text("0"))
    fees: Mapped[Decimal] = mapped_column(server_default=text("0"))
    funding: Mapped[Decimal] = mapped_column(server_default=text("0"))  # perpetuals only
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Trade(Base):
    """A closed round trip: entry to exit, net of fees and funding."""

    __tablename__ = "trades"
    __table_args__ = (
        one_of("side", TRADE_SIDES),
        one_of("exit_reason", EXIT_REASONS),
        CheckConstraint("qty > 0", name="positive_qty"),
        CheckConstraint("exit_time >= entry_time", name="exit_after_entry"),
        Index(None, "bot_id", "exit_time"),
        Index(None, "instrument_id"),
    )

    id: Mapped[int] = id_column()
    bot_id: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(String(64))
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    side: Mapped[str] = mapped_column(Text)
    qty: Mapped[Decimal]
    entry_time: Mapped[datetime]
    entry_price: Mapped[Decimal]
    exit_time: Mapped[datetime]
    exit_price: Mapped[Decimal]
    fees: Mapped[Decimal]
    pnl_net: Mapped[Decimal]
    exit_reason: Mapped[str] = mapped_column(Text)
    entry_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    exit_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))


class EquitySnapshot(Base):
    __tablename__ = "equity_snapshots"
    __table_args__ = (
        UniqueConstraint("bot_id", "ts"),
        CheckConstraint("drawdown >= 0 AND drawdown <= 1", name="drawdown_fraction"),
    )

    id: Mapped[int] = id_column()
    ts: Mapped[datetime]
    bot_id: Mapped[str] = mapped_column(String(64))
    equity: Mapped[Decimal]
    cash: Mapped[Decimal]
    unrealised: Mapped[Decimal]
    drawdown: Mapped[Decimal]  # fraction of the equity peak, 0..1

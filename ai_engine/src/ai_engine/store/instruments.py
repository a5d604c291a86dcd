"""Tradable instruments and the venue filters every order is rounded to."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from ai_engine.store.base import Base, id_column, one_of
from ai_engine.store.vocab import MARKETS, VENUES


class Instrument(Base):
    __tablename__ = "instruments"
    __table_args__ = (
        UniqueConstraint("venue", "market", "symbol"),
        one_of("venue", VENUES),
        one_of("market", MARKETS),
        CheckConstraint("tick_size > 0 AND lot_step > 0", name="positive_steps"),
        CheckConstraint("min_qty >= 0 AND min_notional >= 0", name="non_negative_minimums"),
    )

    id: Mapped[int] = id_column()
    venue: Mapped[str] = mapped_column(Text)
    market: Mapped[str] = mapped_column(Text)
    symbol: Mapped[str] = mapped_column(String(32))  # the venue's spelling, e.g. BTCUSDT
    base_asset: Mapped[str] = mapped_column(String(16))
    quote_asset: Mapped[str] = mapped_column(String(16))
    tick_size: Mapped[Decimal]
    lot_step: Mapped[Decimal]
    min_qty: Mapped[Decimal]
    min_notional: Mapped[Decimal]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())

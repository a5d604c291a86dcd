"""Strategy signals and what risk decided about each: the "why" behind every order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Double, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ai_engine.store.base import Base, id_column, one_of
from ai_engine.store.vocab import DECISION_OUTCOMES, SIGNAL_ACTIONS


class Signal(Base):
    __tablename__ = "signals"
    __table_args__ = (
        one_of("action", SIGNAL_ACTIONS),
        Index(None, "instrument_id", "ts"),
    )

    id: Mapped[int] = id_column()
    ts: Mapped[datetime]  # close time of the bar the signal was computed on
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    interval: Mapped[str] = mapped_column(String(8))  # bar interval, e.g. 1m, 5m, 1h
    strategy: Mapped[str] = mapped_column(String(64))
    bot_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Double)  # model/indicator output, not money: float
    reasons: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))


class Decision(Base):
    """Risk's verdict on a signal (or an exit), with the order intent it produced."""

    __tablename__ = "decisions"
    __table_args__ = (
        one_of("outcome", DECISION_OUTCOMES),
        Index(None, "signal_id"),
        Index(None, "client_order_id"),
        Index(None, "bot_id", "ts"),
    )

    id: Mapped[int] = id_column()
    ts: Mapped[datetime]
    bot_id: Mapped[str] = mapped_column(String(64))
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id"))  # None: exit manager
    outcome: Mapped[str] = mapped_column(Text)
    # Minted before the order is queued; no FK because the order row may be written later.
    client_order_id: Mapped[str | None] = mapped_column(String(36))
    order_intent: Mapped[dict[str, Any] | None]
    reason: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))

"""The bots: one row per configured bot, the record of its mode and lifecycle state.

A bot's id is its config's name (``bots/<id>.yaml``; a one-off replay is ``replay-<run id>``).
``state`` moves stopped -> running <-> paused, and any state -> halted (kill switch, breaker,
stale data, reconciliation mismatch; ``state_reason`` says which) -> running only on an explicit
start. ``heartbeat_at`` is the trader's last heartbeat (the watchdog's input). ``config`` is the
parsed bot config as JSON (never keys: credentials come from the environment). Redis keeps a
live copy of the status (``ai_engine.events.control``); this table is the record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, func, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from ai_engine.store.base import Base, one_of
from ai_engine.store.vocab import BOT_MODES, BOT_STATES, MARKETS, VENUES


class Bot(Base):
    __tablename__ = "bots"
    __table_args__ = (
        one_of("state", BOT_STATES),
        one_of("mode", BOT_MODES),
        one_of("venue", VENUES),
        one_of("market", MARKETS),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    mode: Mapped[str] = mapped_column(Text)
    venue: Mapped[str] = mapped_column(Text)
    market: Mapped[str] = mapped_column(Text)
    symbols: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    strategy: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    risk_profile: Mapped[str] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    state: Mapped[str] = mapped_column(Text, server_default=text("'stopped'"))
    state_reason: Mapped[str] = mapped_column(Text, server_default=text("''"))
    heartbeat_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


def upsert_bot(session: Session, bot_id: str, **values: Any) -> Bot:
    """Create the bot row or update the given columns (a restarted trader re-registers)."""
    row = session.get(Bot, bot_id)
    if row is None:
        row = Bot(id=bot_id, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    session.flush()
    return row


def set_state(session: Session, bot_id: str, state: str, reason: str = "") -> None:
    """Record a lifecycle change (``BOT_STATES``; the CHECK constraint refuses anything else)."""
    if state not in BOT_STATES:
        raise ValueError(f"bot state {state!r} is not one of {', '.join(BOT_STATES)}")
    session.execute(
        update(Bot)
        .where(Bot.id == bot_id)
        .values(state=state, state_reason=reason, updated_at=func.now())
    )


def beat(session: Session, bot_id: str, at: datetime) -> None:
    session.execute(update(Bot).where(Bot.id == bot_id).values(heartbeat_at=at))


def list_bots(session: Session) -> list[Bot]:
    return list(session.scalars(select(Bot).order_by(Bot.id)))

"""Who did what: every control action (start/stop bot, kill switch, limits) is written here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from ai_engine.store.base import Base, id_column


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "ts"),)

    id: Mapped[int] = id_column()
    ts: Mapped[datetime] = mapped_column(server_default=func.now())
    actor: Mapped[str] = mapped_column(String(64))  # user name, "telegram:<id>", "system"
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))

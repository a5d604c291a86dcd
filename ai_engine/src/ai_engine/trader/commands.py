"""Sending control commands to bots from the command line (``tradingbot stop``, ``tradingbot
bots``): each command written to ``audit_log`` first, then sent on the bot's control stream.

Rules (as the API's, ``api/bots_service.py``): a command is never sent unrecorded -- the audit
row is committed before the XADD; an unknown bot id is refused (named) unless it has a live
status hash (a trader that runs but whose row is not there yet). ``all`` means every bot the
record or Redis knows, stopped ones included (harmless: a trader reads only the commands sent
after its last handled one, and a stopped bot has none running).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.events import Command, ControlCommand, send_command
from ai_engine.events.control import status_key
from ai_engine.store.audit import AuditEntry
from ai_engine.store.bots import Bot

ALL = "all"


class UnknownBot(LookupError):  # noqa: N818 - what the caller named does not exist
    pass


@dataclass(frozen=True)
class Sent:
    bot_id: str
    entry_id: str


def known_bots(session: Session, redis: Redis) -> list[str]:
    """Every bot id in the ``bots`` table or with a status hash in Redis, sorted."""
    ids = set(session.scalars(select(Bot.id)))
    prefix = status_key("")
    for key in redis.scan_iter(match=f"{prefix}*", count=500):
        text = key.decode() if isinstance(key, bytes) else str(key)
        ids.add(text[len(prefix) :])
    return sorted(i for i in ids if i)


def send_control(
    session: Session, redis: Redis, targets: Sequence[str], command: Command, *,
    actor: str, reason: str, via: str = "cli", now: datetime | None = None,
) -> list[Sent]:  # fmt: skip
    """Audit and send ``command`` to each of ``targets`` (``["all"]``: every known bot)."""
    known = known_bots(session, redis)
    bot_ids = known if list(targets) == [ALL] else list(dict.fromkeys(targets))
    unknown = [b for b in bot_ids if b not in known]
    if unknown:
        listed = ", ".join(known) or "none"
        raise UnknownBot(f"no bot {', '.join(map(repr, unknown))}; known: {listed}")
    moment = now or datetime.now(UTC)
    for bot_id in bot_ids:
        details: dict[str, Any] = {"bot_id": bot_id, "reason": reason, "via": via}
        if list(targets) == [ALL]:
            details["target"] = ALL
        session.add(AuditEntry(ts=moment, actor=actor, action=f"bot.{command.value}",
                               details=details))  # fmt: skip
    session.commit()  # recorded before anything is sent
    return [
        Sent(b, send_command(redis, b, ControlCommand(command, actor, reason, moment)))
        for b in bot_ids
    ]

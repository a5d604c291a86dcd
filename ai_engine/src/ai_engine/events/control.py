"""Bot control through Redis: commands to a trader, and the trader's live status.

* **Commands** go to the stream ``tradingbot:control:<bot_id>`` (fields ``command``, ``actor``,
  ``reason``, ``ts``). The trader reads after the last id it handled; a trader that was down
  finds the commands sent meanwhile. Whoever sends a command (API, CLI, Telegram) also writes
  ``audit_log`` (PostgreSQL is the record); this module only carries it.
* **Status** is the hash ``tradingbot:bot:<bot_id>`` (``state``, ``mode``, ``reason``,
  ``heartbeat_ts`` (epoch seconds, float), ``risk`` (JSON)), written by the trader at every state
  change and heartbeat. It is a live copy of the ``bots`` row, rebuilt by the trader on start.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from ai_engine.events.model import BadEvent, format_ts, parse_ts


class Command(StrEnum):
    START = "start"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"
    EMERGENCY_STOP = "emergency_stop"

    @classmethod
    def parse(cls, raw: str) -> Command:
        """Accepts ``emergency-stop`` (the URL spelling) as well as ``emergency_stop``."""
        try:
            return cls(raw.strip().lower().replace("-", "_"))
        except ValueError:
            allowed = ", ".join(c.value for c in cls)
            raise BadEvent(f"command: {raw!r} is not one of {allowed}") from None


class BotState(StrEnum):
    STOPPED = "stopped"
    RUNNING = "running"
    PAUSED = "paused"
    HALTED = "halted"


@dataclass(frozen=True)
class ControlCommand:
    command: Command
    actor: str
    reason: str
    ts: datetime

    def to_fields(self) -> dict[str, str]:
        return {
            "command": self.command.value,
            "actor": self.actor,
            "reason": self.reason,
            "ts": format_ts(self.ts),
        }

    @classmethod
    def from_fields(cls, raw: Mapping[Any, Any]) -> ControlCommand:
        fields = {_text(k): _text(v) for k, v in raw.items()}
        if "command" not in fields or "ts" not in fields:
            raise BadEvent("control entry: needs command and ts")
        return cls(
            command=Command.parse(fields["command"]),
            actor=fields.get("actor", ""),
            reason=fields.get("reason", ""),
            ts=parse_ts(fields["ts"]),
        )


@dataclass(frozen=True)
class BotStatus:
    state: BotState
    mode: str
    reason: str = ""
    heartbeat_ts: float | None = None
    risk: Mapping[str, Any] = field(default_factory=dict)

    def to_fields(self) -> dict[str, str]:
        return {
            "state": self.state.value,
            "mode": self.mode,
            "reason": self.reason,
            "heartbeat_ts": "" if self.heartbeat_ts is None else repr(self.heartbeat_ts),
            "risk": json.dumps(dict(self.risk), default=str),
        }

    @classmethod
    def from_fields(cls, raw: Mapping[Any, Any]) -> BotStatus:
        fields = {_text(k): _text(v) for k, v in raw.items()}
        try:
            state = BotState(fields.get("state", ""))
        except ValueError:
            raise BadEvent(f"state: {fields.get('state')!r} is not a bot state") from None
        beat = fields.get("heartbeat_ts", "")
        try:
            risk = json.loads(fields.get("risk") or "{}")
            heartbeat = float(beat) if beat else None
        except ValueError as exc:
            raise BadEvent(f"bot status: {exc}") from exc
        return cls(state, fields.get("mode", ""), fields.get("reason", ""), heartbeat, risk)


def control_key(bot_id: str) -> str:
    return f"tradingbot:control:{bot_id}"


def status_key(bot_id: str) -> str:
    return f"tradingbot:bot:{bot_id}"


CONTROL_MAXLEN = 1_000


def send_command(client: Redis, bot_id: str, command: ControlCommand) -> str:
    entry = client.xadd(
        control_key(bot_id),
        command.to_fields(),  # type: ignore[arg-type]
        maxlen=CONTROL_MAXLEN,
        approximate=True,
    )
    return _text(entry)


async def asend_command(client: AsyncRedis, bot_id: str, command: ControlCommand) -> str:
    entry = await client.xadd(
        control_key(bot_id),
        command.to_fields(),  # type: ignore[arg-type]
        maxlen=CONTROL_MAXLEN,
        approximate=True,
    )
    return _text(entry)


Commands = list[tuple[str, ControlCommand]]


def read_commands(
    client: Redis, bot_id: str, after: str = "0-0", *, block_ms: int | None = None
) -> Commands:
    return _decode(client.xread({control_key(bot_id): after}, count=100, block=block_ms))


async def aread_commands(
    client: AsyncRedis, bot_id: str, after: str = "0-0", *, block_ms: int | None = None
) -> Commands:
    return _decode(await client.xread({control_key(bot_id): after}, count=100, block=block_ms))


def write_status(client: Redis, bot_id: str, status: BotStatus) -> None:
    client.hset(status_key(bot_id), mapping=status.to_fields())  # type: ignore[arg-type]


async def awrite_status(client: AsyncRedis, bot_id: str, status: BotStatus) -> None:
    await client.hset(status_key(bot_id), mapping=status.to_fields())  # type: ignore[arg-type]


def read_status(client: Redis, bot_id: str) -> BotStatus | None:
    raw = client.hgetall(status_key(bot_id))
    return BotStatus.from_fields(raw) if raw else None


async def aread_status(client: AsyncRedis, bot_id: str) -> BotStatus | None:
    raw = await client.hgetall(status_key(bot_id))
    return BotStatus.from_fields(raw) if raw else None


def _decode(reply: Any) -> Commands:
    out: Commands = []
    if not reply:
        return out
    items = reply.items() if isinstance(reply, dict) else reply
    for _key, entries in items:
        for entry_id, fields in entries:
            out.append((_text(entry_id), ControlCommand.from_fields(fields)))
    return out


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

"""One engine event: what happened (``type``), to which bot and symbol, when, and its data.

The wire form is a Redis stream entry of five string fields -- ``type``, ``bot_id`` (``""`` when
none), ``symbol`` (``""`` when none), ``ts`` (ISO-8601 UTC with milliseconds and a ``Z``) and
``data`` (a JSON object). Prices, quantities and money in ``data`` are strings (exact decimals;
``Decimal`` values are written with ``str``); counts and flags are JSON numbers and booleans.
Readers outside Python (the Rails relay, the dashboard) rely on exactly this shape
(docs/events.md). ``from_fields`` accepts ``bytes`` or ``str`` and raises ``BadEvent`` naming the
field that is missing or malformed; a reader skips such an entry and keeps going.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    BAR = "bar"
    BOOK = "book"
    SIGNAL = "signal"
    RISK = "risk"
    ORDER = "order"
    FILL = "fill"
    POSITION = "position"
    EQUITY = "equity"
    BOT = "bot"
    HEALTH = "health"
    RECONCILIATION = "reconciliation"
    VENUE_ERROR = "venue_error"


FIELDS = ("type", "bot_id", "symbol", "ts", "data")


class BadEvent(ValueError):  # noqa: N818 -- the name the contract uses (docs/events.md)
    """An entry that is not an engine event; the message names the field and what is wrong."""


def format_ts(ts: datetime) -> str:
    """``2026-11-22T03:00:00.000Z``; a naive datetime is refused (time is always UTC-aware)."""
    if ts.tzinfo is None:
        raise BadEvent("ts: naive datetime; engine times are UTC-aware")
    utc = ts.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_ts(raw: str) -> datetime:
    try:
        ts = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadEvent(f"ts: {raw!r} is not an ISO-8601 time") from exc
    if ts.tzinfo is None:
        raise BadEvent(f"ts: {raw!r} has no UTC offset")
    return ts.astimezone(UTC)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, StrEnum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable in an event")


@dataclass(frozen=True)
class EngineEvent:
    type: str
    data: Mapping[str, Any]
    ts: datetime
    bot_id: str = ""
    symbol: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)  # unknown fields seen on read

    def __post_init__(self) -> None:
        if not self.type:
            raise BadEvent("type: empty")

    def to_fields(self) -> dict[str, str]:
        return {
            "type": str(self.type),
            "bot_id": self.bot_id,
            "symbol": self.symbol,
            "ts": format_ts(self.ts),
            "data": json.dumps(dict(self.data), default=_json_default, separators=(",", ":")),
        }

    def to_json(self, entry_id: str | None = None) -> dict[str, Any]:
        """The shape sent to WebSocket clients: ``{id, type, bot_id, symbol, ts, data}``."""
        fields = self.to_fields()
        return {
            "id": entry_id,
            "type": fields["type"],
            "bot_id": self.bot_id,
            "symbol": self.symbol,
            "ts": fields["ts"],
            "data": json.loads(fields["data"]),
        }

    @classmethod
    def from_fields(cls, raw: Mapping[Any, Any]) -> EngineEvent:
        fields = {_text(k): _text(v) for k, v in raw.items()}
        for name in ("type", "ts", "data"):
            if not fields.get(name):
                raise BadEvent(f"{name}: missing")
        try:
            data = json.loads(fields["data"])
        except json.JSONDecodeError as exc:
            raise BadEvent(f"data: not JSON ({exc.msg} at {exc.pos})") from exc
        if not isinstance(data, dict):
            raise BadEvent(f"data: a JSON {type(data).__name__}, expected an object")
        return cls(
            type=fields["type"],
            data=data,
            ts=parse_ts(fields["ts"]),
            bot_id=fields.get("bot_id", ""),
            symbol=fields.get("symbol", ""),
            extra={k: v for k, v in fields.items() if k not in FIELDS},
        )


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError as exc:
            raise BadEvent(f"not UTF-8: {value[:40]!r}") from exc
    return str(value)

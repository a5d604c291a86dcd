"""The engine's event stream and bot control over Redis (docs/events.md).

``model``: the event and its wire form; ``stream``: publish and read ``tradingbot:events``;
``control``: commands to a trader and its live status. Producers and consumers import from here.
"""

from ai_engine.events.control import (
    BotState,
    BotStatus,
    Command,
    ControlCommand,
    aread_commands,
    aread_status,
    asend_command,
    awrite_status,
    read_commands,
    read_status,
    send_command,
    write_status,
)
from ai_engine.events.model import BadEvent, EngineEvent, EventType, format_ts, parse_ts
from ai_engine.events.stream import (
    MAXLEN,
    STREAM,
    apublish,
    aread_events,
    last_id,
    publish,
    read_events,
)

__all__ = [
    "MAXLEN",
    "STREAM",
    "BadEvent",
    "BotState",
    "BotStatus",
    "Command",
    "ControlCommand",
    "EngineEvent",
    "EventType",
    "apublish",
    "aread_commands",
    "aread_events",
    "aread_status",
    "asend_command",
    "awrite_status",
    "format_ts",
    "last_id",
    "parse_ts",
    "publish",
    "read_commands",
    "read_events",
    "read_status",
    "send_command",
    "write_status",
]

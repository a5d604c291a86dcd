"""The engine event stream in Redis (``tradingbot:events``): publish and read.

Producers (trader, execution worker, API) ``publish``; consumers (the API's ``WS /events``, the
Rails relay, Telegram alerts, metrics) read with ``read_events(after=<last id>)`` and resume from
the last id they handled, so a restart neither loses nor repeats entries that are still in the
stream. The stream is capped (``MAXLEN ~ 100 000``, approximate trimming: cheap); PostgreSQL is
the record, the stream only carries news of it. An entry that does not parse is skipped with a
warning naming its id (``BadEvent``): one bad producer must not stop every consumer.
"""

from __future__ import annotations

import logging
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from ai_engine.events.model import BadEvent, EngineEvent

STREAM = "tradingbot:events"
MAXLEN = 100_000
log = logging.getLogger(__name__)

Entries = list[tuple[str, EngineEvent]]


def publish(client: Redis, event: EngineEvent, stream: str = STREAM) -> str:
    """XADD the event; returns its entry id."""
    entry = client.xadd(stream, event.to_fields(), maxlen=MAXLEN, approximate=True)  # type: ignore[arg-type]
    return _text(entry)


async def apublish(client: AsyncRedis, event: EngineEvent, stream: str = STREAM) -> str:
    entry = await client.xadd(stream, event.to_fields(), maxlen=MAXLEN, approximate=True)  # type: ignore[arg-type]
    return _text(entry)


def read_events(
    client: Redis,
    after: str = "0-0",
    *,
    block_ms: int | None = None,
    count: int = 100,
    stream: str = STREAM,
) -> Entries:
    """Entries after id ``after`` (``"$"``: only new ones; with ``block_ms`` waits that long)."""
    reply = client.xread({stream: after}, count=count, block=block_ms)
    return _decode(reply)


async def aread_events(
    client: AsyncRedis,
    after: str = "0-0",
    *,
    block_ms: int | None = None,
    count: int = 100,
    stream: str = STREAM,
) -> Entries:
    reply = await client.xread({stream: after}, count=count, block=block_ms)
    return _decode(reply)


def last_id(client: Redis, stream: str = STREAM) -> str:
    """The id of the newest entry (``"0-0"`` for an empty or missing stream)."""
    newest = client.xrevrange(stream, count=1)
    return _text(newest[0][0]) if newest else "0-0"


def _decode(reply: Any) -> Entries:
    out: Entries = []
    if not reply:
        return out
    items = reply.items() if isinstance(reply, dict) else reply  # RESP3 dict / RESP2 list
    for _stream, entries in items:
        for entry_id, fields in entries:
            eid = _text(entry_id)
            try:
                out.append((eid, EngineEvent.from_fields(fields)))
            except BadEvent as exc:
                log.warning("skipping event %s: %s", eid, exc)
    return out


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

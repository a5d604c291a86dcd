"""WS /api/v1/events: the engine's event stream, live, to an authenticated client.

Authentication (any one): header ``Authorization: Bearer <token>``, query ``?token=``, or a
first text message ``{"token": "..."}`` within 5 s. A wrong or missing token closes the socket
with code 1008 (policy violation) before any event is sent.

Query parameters: ``after`` (a stream id to resume after; default ``$``: only events newer than the
subscription),
``types`` (comma-separated, e.g. ``order,fill``), ``bot_id``, ``symbol``. Each message is one
event as JSON ``{id, type, bot_id, symbol, ts, data}`` (docs/events.md); a client that
reconnects with ``after=<last id>`` misses nothing still in the stream. The first message
after authentication is ``{"type": "subscribed", "after": "<id>"}``: every event after that id
will be sent, so a client that acts once subscribed (a test, a dashboard) cannot miss one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from redis.asyncio import Redis as AsyncRedis

from ai_engine.events import STREAM, EngineEvent, aread_events

router = APIRouter(tags=["events"])

AUTH_TIMEOUT_S = 5.0
BLOCK_MS = 1_000


def _token_ok(websocket: WebSocket, offered: str | None) -> bool:
    expected: str = websocket.app.state.settings.api_token.get_secret_value()
    return offered is not None and hmac.compare_digest(offered.encode(), expected.encode())


async def _offered_token(websocket: WebSocket) -> str | None:
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if "token" in websocket.query_params:
        return websocket.query_params["token"]
    try:
        first = await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT_S)
        token = json.loads(first).get("token")
    except (TimeoutError, ValueError, AttributeError):
        return None
    return token if isinstance(token, str) else None


def _wanted(event: EngineEvent, types: set[str], bot_id: str, symbol: str) -> bool:
    return (
        (not types or event.type in types)
        and (not bot_id or event.bot_id == bot_id)
        and (not symbol or event.symbol == symbol)
    )


async def _last_id(client: AsyncRedis) -> str:
    newest = await client.xrevrange(STREAM, count=1)
    if not newest:
        return "0-0"
    entry_id = newest[0][0]
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


@router.websocket("/api/v1/events")
async def events(websocket: WebSocket) -> None:
    await websocket.accept()
    if not _token_ok(websocket, await _offered_token(websocket)):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="invalid token")
        return
    redis_url: str | None = websocket.app.state.redis_url
    if redis_url is None:
        await websocket.close(code=status.WS_1011_INTERNAL_ERROR, reason="no Redis configured")
        return
    params = websocket.query_params
    after = params.get("after", "$")
    types = {t for t in params.get("types", "").split(",") if t}
    bot_id, symbol = params.get("bot_id", ""), params.get("symbol", "")
    client = AsyncRedis.from_url(redis_url)
    try:
        if after == "$":  # pin "now" to an id, so the first blocking read cannot skip events
            after = await _last_id(client)
        await websocket.send_json({"type": "subscribed", "after": after})
        while True:
            batch = await aread_events(client, after, block_ms=BLOCK_MS)
            for entry_id, event in batch:
                after = entry_id
                if _wanted(event, types, bot_id, symbol):
                    await websocket.send_json(event.to_json(entry_id))
            if not batch:  # a quiet second: notice a client that went away
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(websocket.receive_text(), 0.001)
    except WebSocketDisconnect:
        pass
    finally:
        await client.aclose()

"""The market stream endpoints: ``/ws/<s1>/<s2>`` (raw events), ``/stream?streams=a/b``
(combined: ``{"stream": name, "data": event}``), and ``/ws/<listenKey>`` for user data.

Names in the URL are checked before the upgrade (HTTP 400 for an unknown one); more can be
added and removed on the open connection with the JSON methods (``methods``).
"""

from __future__ import annotations

import json

from aiohttp import web

from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.streams import methods
from ai_engine.simexchange.streams.connection import Connection, socket_response
from ai_engine.simexchange.streams.names import StreamNameError
from ai_engine.simexchange.streams.sources import StreamSource
from ai_engine.simexchange.streams.subscriptions import Subscription, resolve, subscribe

MAX_MESSAGE = 64 * 1024  # requests are small; Binance limits them too


def _requested(request: web.Request) -> tuple[list[str], bool]:
    """(stream names, combined) from the URL."""
    if request.path.rstrip("/").endswith("/stream"):
        streams = request.query.get("streams", "")
        return [name for name in streams.split("/") if name], True
    names = [name for name in request.match_info.get("streams", "").split("/") if name]
    if "listenKey" in request.query:  # USD-M style: /private/ws?listenKey=...
        names.append(request.query["listenKey"])
    return names, False


async def serve(
    exchange: SimExchange, source: StreamSource, request: web.Request
) -> web.StreamResponse:
    """One connection to ``source``'s market streams (and listen keys' user data)."""
    names, combined = _requested(request)
    try:
        wanted: list[Subscription] = [resolve(exchange, source, name) for name in names]
    except StreamNameError as exc:
        body = json.dumps({"code": -1121, "msg": str(exc)})
        return web.Response(status=400, text=body, content_type="application/json")
    if len(wanted) > exchange.bus.settings.max_streams:
        return web.Response(status=400, text='{"code":-1,"msg":"too many streams"}')
    ws = socket_response(MAX_MESSAGE)
    exchange.sync()  # the connection's streams start at the market's present
    connection = Connection(exchange, ws, request, combined=combined, source=source)
    for subscription in wanted:  # before the handshake: once the client is in, it is live
        subscribe(connection, subscription)
    await ws.prepare(request)
    connection.start()
    try:
        await connection.read(lambda text: methods.handle(exchange, connection, text))
    finally:
        await connection.finish()
    return ws

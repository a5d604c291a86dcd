"""Everything the WebSocket side adds to the server (``create_app`` calls ``add_routes``):

    GET    /ws, /ws/<streams>, /stream?streams=..   spot market streams, listen-key user data
    GET    /market/..., /public/...                  USD-M market streams (the same three
                                                     shapes of path under each prefix)
    GET    /private/ws?listenKey=..                  USD-M user data
    (all of these again under /fstream: Binance's futures host, for a client whose futures
    base URL must differ from its spot one)
    GET    /ws-api/v3                                WebSocket API (user data subscriptions)
    POST|PUT|DELETE /api/v3/userDataStream           listen keys (X-MBX-APIKEY, weight 2)
    GET    /sim/streams                              open connections (admin)
    POST   /sim/streams/close {"match", "code", "reason"}   close connections (admin fault)
    POST   /sim/streams/stall {"match", "seconds"}          stop sending for a while (admin)

``match`` is a glob over a connection's path and stream names (``*@kline_*``, ``/ws-api/v3``);
without it every connection is affected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from ai_engine.simexchange import errors
from ai_engine.simexchange.auth import API_KEY_HEADER
from ai_engine.simexchange.params import RawParams
from ai_engine.simexchange.spot_api import ServerState
from ai_engine.simexchange.streams import market_socket, ws_api
from ai_engine.simexchange.streams.sources import SPOT, USDM

_LISTEN_KEY_WEIGHT = 2
# Where each market's streams are served. python-binance 1.0.37 opens USD-M sockets at
# FSTREAM_URL + "market/" (klines, aggTrade, markPrice), + "public/" (bookTicker, depth) and
# + "private/ws?listenKey=" (user data), Binance's newer USD-M routing; either of the first
# two serves every USD-M market stream here.
_MARKET_PATHS = (
    ("", SPOT),
    *((f"{host}/{category}", USDM) for host in ("", "/fstream")
      for category in ("market", "public", "private")),
    ("/fstream", USDM),
)  # fmt: skip
_CLOSE_CODES = range(1000, 5000)


def add_routes(app: web.Application, key: web.AppKey[ServerState]) -> None:
    def streams(market: str) -> Handler:
        async def serve(request: web.Request) -> web.StreamResponse:
            exchange = request.app[key].exchange
            return await market_socket.serve(exchange, exchange.streams[market], request)

        return serve

    async def api(request: web.Request) -> web.StreamResponse:
        state = request.app[key]
        return await ws_api.serve(state.exchange, request, state.wall_ms)

    async def listen_key(request: web.Request) -> web.StreamResponse:
        return await _listen_key(request, request.app[key])

    async def admin(request: web.Request) -> web.StreamResponse:
        return await _admin(request, request.app[key])

    for prefix, market in _MARKET_PATHS:
        for path in ("/ws", "/ws/{streams:.+}", "/stream"):
            app.router.add_get(prefix + path, streams(market))
    app.router.add_get("/ws-api/v3", api)
    for method in ("POST", "PUT", "DELETE"):
        app.router.add_route(method, "/api/v3/userDataStream", listen_key)
    app.router.add_get("/sim/streams", admin)
    app.router.add_post("/sim/streams/{action:close|stall}", admin)

    async def close_connections(app: web.Application) -> None:
        # aiohttp waits for open handlers at shutdown, and a WebSocket handler never ends
        # by itself: say goodbye (1001) so the server stops promptly and cleanly.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(app[key].exchange.bus.connections.close_all(1001, ""), 2.0)

    app.on_shutdown.append(close_connections)


async def _listen_key(request: web.Request, state: ServerState) -> web.StreamResponse:
    ip = request.remote or "unknown"
    state.weights.charge(ip, _LISTEN_KEY_WEIGHT)
    body = await request.text() if request.body_exists else ""
    raw = RawParams(request.rel_url.raw_query_string, body)
    api_key = request.headers.get(API_KEY_HEADER)
    if not api_key:
        raise errors.bad_api_key_format()
    if state.exchange.secret(api_key) is None:
        raise errors.rejected_api_key()
    keys = state.exchange.bus.listen_keys
    if request.method == "POST":
        raw.finish()
        answer: dict[str, Any] = {"listenKey": keys.create("spot", api_key)}
    else:
        name = raw.get("listenKey")
        raw.finish()
        if name is None:
            raise errors.mandatory("listenKey")
        if keys.owner(name) != ("spot", api_key):
            raise errors.BinanceError(-1125, "This listenKey does not exist.")
        if request.method == "PUT":
            keys.keepalive(name)
        else:
            keys.close(name)
            for connection in state.exchange.bus.connections.matching(name):
                connection.request_close(1000, "listen key closed")
        answer = {}
    response = web.json_response(answer)
    response.headers["X-MBX-USED-WEIGHT-1M"] = str(state.weights.used(ip))
    return response


async def _admin(request: web.Request, state: ServerState) -> web.StreamResponse:
    connections = state.exchange.bus.connections
    if request.method == "GET":
        listed = [c.describe() for c in connections]
        return web.json_response({"opened": connections.opened, "connections": listed})
    try:
        body = json.loads(await request.text() or "{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        match = body.get("match")
        if match is not None and not isinstance(match, str):
            raise ValueError("match must be a string (a glob)")
        chosen = connections.matching(match)
        if request.match_info["action"] == "close":
            code, reason = body.get("code", 1000), body.get("reason", "")
            if not isinstance(code, int) or code not in _CLOSE_CODES:
                raise ValueError("code must be a WebSocket close code, 1000-4999")
            if not isinstance(reason, str) or len(reason.encode()) > 123:
                raise ValueError("reason must be a short string")
            for connection in chosen:
                connection.request_close(code, reason)
            return web.json_response({"closed": [c.id for c in chosen]})
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
            raise ValueError("seconds must be a positive number")
        for connection in chosen:
            connection.stall(float(seconds))
        return web.json_response({"stalled": [c.id for c in chosen]})
    except ValueError as exc:  # json.JSONDecodeError is one
        return web.json_response({"error": str(exc)}, status=400)

"""The WebSocket API (``/ws-api/v3``), as far as user data streams need it.

python-binance 1.0.37's ``BinanceSocketManager.user_socket()`` does not use listen keys: it
sends ``userDataStream.subscribe.signature`` (signed: ``apiKey``, ``timestamp``,
``signature`` = HMAC-SHA256 of the other parameters sorted by name and url-encoded) over the
client's ``WS_API_URL`` connection and reads events as
``{"subscriptionId": n, "event": {...}}``; on exit it sends ``userDataStream.unsubscribe``.

Also here: ``ping``, ``time``, and the listen-key methods ``userDataStream.start`` / ``.ping``
/ ``.stop``. Answers: ``{"id", "status": 200, "result"}`` or ``{"id", "status", "error":
{"code", "msg"}}`` with Binance's codes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from ai_engine.simexchange import errors
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.streams.bus import user_channel
from ai_engine.simexchange.streams.connection import Connection, socket_response

Params = dict[str, Any]


class _Session:
    def __init__(self, exchange: SimExchange, connection: Connection, wall_ms: Callable[[], int]):
        self.exchange = exchange
        self.connection = connection
        self.wall_ms = wall_ms
        self.subscriptions: dict[int, str] = {}  # id -> user channel
        self.next_id = 0

    def run(self, method: str, params: Params) -> Any:
        if method == "ping":
            return {}
        if method == "time":
            return {"serverTime": self.wall_ms()}
        if method == "userDataStream.subscribe.signature":
            return {"subscriptionId": self._subscribe(self._signed(params))}
        if method == "userDataStream.unsubscribe":
            self._unsubscribe(params.get("subscriptionId"))
            return {}
        keys = self.exchange.bus.listen_keys
        if method == "userDataStream.start":
            return {"listenKey": keys.create("spot", self._api_key(params))}
        if method in ("userDataStream.ping", "userDataStream.stop"):
            self._api_key(params)
            key = params.get("listenKey")
            if not isinstance(key, str):
                raise errors.mandatory("listenKey")
            done = keys.keepalive(key) if method.endswith("ping") else keys.close(key)
            if not done:
                raise errors.BinanceError(-1125, "This listenKey does not exist.")
            return {}
        raise errors.BinanceError(-1100, f"Unknown method '{method}'.")

    def _subscribe(self, api_key: str) -> int:
        channel = user_channel("spot", api_key)
        for number, known in self.subscriptions.items():
            if known == channel:
                return number
        number, self.next_id = self.next_id, self.next_id + 1
        self.subscriptions[number] = channel
        wrap = (b'{"subscriptionId":%d,"event":' % number, b"}")
        self.connection.attach(channel, f"userDataStream:{number}", wrap)
        return number

    def _unsubscribe(self, number: object) -> None:
        chosen = list(self.subscriptions) if number is None else [number]
        for key in chosen:
            channel = self.subscriptions.pop(key, None) if isinstance(key, int) else None
            if channel is None:
                raise errors.BinanceError(-2, "Invalid subscriptionId.")
            self.connection.detach(channel)

    def _api_key(self, params: Params) -> str:
        api_key = params.get("apiKey")
        if not isinstance(api_key, str) or not api_key:
            raise errors.bad_api_key_format()
        if self.exchange.secret(api_key) is None:
            raise errors.rejected_api_key()
        return api_key

    def _signed(self, params: Params) -> str:
        api_key = self._api_key(params)
        secret = self.exchange.secret(api_key)
        assert secret is not None
        signature = params.get("signature")
        timestamp, window = params.get("timestamp"), params.get("recvWindow", 5000)
        if not isinstance(signature, str) or not isinstance(timestamp, int):
            raise errors.mandatory("signature" if not isinstance(signature, str) else "timestamp")
        if not isinstance(window, int) or not 0 < window <= 60_000:
            raise errors.bad_recv_window()
        rest = sorted((k, v) for k, v in params.items() if k != "signature")
        payloads = (urlencode(rest), "&".join(f"{k}={v}" for k, v in rest))
        if not any(_matches(secret, payload, signature) for payload in payloads):
            raise errors.bad_signature()
        now = self.wall_ms()
        if timestamp > now + 1000:
            raise errors.ahead_of_server()
        if now - timestamp > window:
            raise errors.outside_recv_window()
        return api_key


def _matches(secret: bytes, payload: str, signature: str) -> bool:
    good = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(good, signature.lower())


def _answer(session: _Session, text: str) -> bytes:
    request_id: Any = None
    try:
        try:
            request = json.loads(text)
        except ValueError:
            raise errors.BinanceError(-1100, "Malformed request.") from None  # not JSON
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            raise errors.mandatory("method")
        request_id = request.get("id")
        params = request.get("params", {})
        if not isinstance(params, dict):
            raise errors.BinanceError(-1104, "Not all sent parameters were read.")
        body: dict[str, Any] = {
            "id": request_id,
            "status": 200,
            "result": session.run(request["method"], params),
        }
    except errors.BinanceError as exc:
        body = {"id": request_id, "status": exc.status, "error": exc.body()}
    return json.dumps(body, separators=(",", ":")).encode()


async def serve(
    exchange: SimExchange, request: web.Request, wall_ms: Callable[[], int]
) -> web.StreamResponse:
    ws = socket_response(64 * 1024)
    connection = Connection(exchange, ws, request, combined=False)
    session = _Session(exchange, connection, wall_ms)
    await ws.prepare(request)
    connection.start()
    try:
        await connection.read(lambda text: connection.reply(_answer(session, text)))
    finally:
        await connection.finish()
    return ws

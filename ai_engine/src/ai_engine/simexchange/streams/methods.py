"""The live subscription protocol of market stream connections (Binance's JSON methods).

    {"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 1}  -> {"result": null, "id": 1}
    UNSUBSCRIBE (same), LIST_SUBSCRIPTIONS -> {"result": [...], "id": n},
    SET_PROPERTY ["combined", true], GET_PROPERTY ["combined"]

Errors answer ``{"error": {"code": n, "msg": "..."}, "id": id}`` with Binance's codes: 0
unknown property, 1 invalid value type, 2 invalid request, 3 invalid JSON.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ai_engine.simexchange.streams.names import StreamNameError
from ai_engine.simexchange.streams.subscriptions import resolve, subscribe

if TYPE_CHECKING:
    from ai_engine.simexchange.exchange import SimExchange
    from ai_engine.simexchange.streams.connection import Connection


class MethodError(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def _answer(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def handle(exchange: SimExchange, connection: Connection, text: str) -> None:
    """Run one request and queue its answer on ``connection``."""
    request_id: Any = None
    try:
        try:
            request = json.loads(text)
        except ValueError:
            raise MethodError(3, "Invalid JSON: expected value at line 1 column 1") from None
        if not isinstance(request, dict):
            raise MethodError(2, "Invalid request: expected an object")
        request_id = request.get("id")
        if request_id is not None and (
            isinstance(request_id, bool) or not isinstance(request_id, int | str)
        ):
            raise MethodError(2, "Invalid request: request ID must be an unsigned integer")
        result = _run(exchange, connection, request)
        connection.reply(_answer({"result": result, "id": request_id}))
    except MethodError as exc:
        error = {"code": exc.code, "msg": exc.msg}
        connection.reply(_answer({"error": error, "id": request_id}))


def _run(exchange: SimExchange, connection: Connection, request: dict[str, Any]) -> Any:
    method = request.get("method")
    if method is None:
        raise MethodError(2, "Invalid request: missing field `method`")
    params = request.get("params", [])
    if not isinstance(params, list):
        raise MethodError(2, "Invalid request: params must be an array")
    if method == "SUBSCRIBE":
        subscriptions = [resolve_or_fail(exchange, connection, name) for name in _names(params)]
        if len(connection.names()) + len(subscriptions) > connection.settings.max_streams:
            raise MethodError(2, "Invalid request: too many streams")
        for subscription in subscriptions:
            subscribe(connection, subscription)
        return None
    if method == "UNSUBSCRIBE":
        for name in _names(params):
            connection.remove(name)
        return None
    if method == "LIST_SUBSCRIPTIONS":
        return connection.names()
    if method in ("SET_PROPERTY", "GET_PROPERTY"):
        return _property(connection, method, params)
    raise MethodError(
        2,
        f"Invalid request: unknown variant `{method}`, expected one of `SUBSCRIBE`, "
        "`UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`",
    )


def resolve_or_fail(exchange: SimExchange, connection: Connection, name: str) -> Any:
    try:
        return resolve(exchange, connection.market.source, name)
    except StreamNameError as exc:
        raise MethodError(2, f"Invalid request: {exc}") from None


def _names(params: list[Any]) -> list[str]:
    if not all(isinstance(name, str) for name in params):
        raise MethodError(1, "Invalid value type: expected a string")
    return list(params)


def _property(connection: Connection, method: str, params: list[Any]) -> Any:
    if not params or params[0] != "combined":
        raise MethodError(0, "Unknown property")
    if method == "GET_PROPERTY":
        return connection.combined
    if len(params) != 2 or not isinstance(params[1], bool):
        raise MethodError(1, "Invalid value type: expected Boolean")
    connection.set_combined(params[1])
    return None

"""Mounting the ``/fapi`` endpoints on the aiohttp application (``app.create_app`` calls this).

Signed and public endpoints go through the spot request path (``app.route``: weight, HMAC
authentication, parsing, the unread-parameter check, a clock sync, the handler). The listen-key
endpoints need only the ``X-MBX-APIKEY`` header (Binance's USER_STREAM security): ``keyed``
binds the header's key to the call after checking that it names an account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from ai_engine.simexchange import errors
from ai_engine.simexchange.auth import API_KEY_HEADER
from ai_engine.simexchange.futures import api_account, api_market, api_trade, api_trades
from ai_engine.simexchange.spot_api import Call, Endpoint

Route = Callable[[Endpoint[Any]], Handler]
ENDPOINTS: tuple[Endpoint[Any], ...] = (
    *api_market.ENDPOINTS,
    *api_trades.ENDPOINTS,
    *api_trade.ENDPOINTS,
    *api_account.ENDPOINTS,
)


def add_routes(app: web.Application, route: Route) -> None:
    for endpoint in ENDPOINTS:
        app.router.add_route(endpoint.method, endpoint.path, route(endpoint))
    for endpoint in api_account.KEYED:
        app.router.add_route(endpoint.method, endpoint.path, keyed(endpoint, route))


def keyed(endpoint: Endpoint[Any], route: Route) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        api_key = request.headers.get(API_KEY_HEADER, "")
        bound = replace(endpoint, handle=partial(_as_owner, endpoint.handle, api_key))
        return await route(bound)(request)

    return handle


def _as_owner(handle: Callable[[Call, Any], Any], api_key: str, call: Call, args: Any) -> Any:
    if not api_key:
        raise errors.bad_api_key_format()
    if call.exchange.secret(api_key) is None:
        raise errors.rejected_api_key()
    return handle(Call(call.state, api_key), args)

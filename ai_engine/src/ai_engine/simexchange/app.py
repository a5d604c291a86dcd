"""The aiohttp application: Binance spot REST under ``/api``, the admin API under ``/sim``.

Middlewares, outermost first: ``guard`` (any unexpected exception becomes Binance's 500/-1000,
logged), then ``faults.middleware`` (the rules posted to ``/sim/faults``; inert without any),
then the caller's ``extra_middlewares``, then the routes. Every handler runs to completion
without awaiting in between state changes, so one event loop needs no locks; an order-entry
request of an account with order latency awaits its due time before it starts (``latency``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import suppress
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ai_engine.simexchange import (
    admin,
    commission_api,
    errors,
    faults,
    latency,
    order_lists,
    trades_api,
)
from ai_engine.simexchange.auth import authenticate
from ai_engine.simexchange.config import SimConfig
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.futures.routes import add_routes as add_futures_routes
from ai_engine.simexchange.limits import OrderCounter, RequestWeights, wall_clock_ms
from ai_engine.simexchange.market import BAR_MS
from ai_engine.simexchange.params import RawParams
from ai_engine.simexchange.spot_api import ENDPOINTS, Call, Endpoint, Reply, ServerState
from ai_engine.simexchange.streams.routes import add_routes as add_stream_routes

log = logging.getLogger(__name__)

STATE = web.AppKey("sim_state", ServerState)
WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def error_response(error: errors.BinanceError) -> web.Response:
    return json_response(error.body(), error.status, dict(error.headers))


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Nothing unexpected escapes as a bare 500: log it, answer Binance's -1000."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except errors.BinanceError as exc:
        return error_response(exc)
    except Exception:
        log.exception("unexpected error in %s %s", request.method, request.path_qs)
        return error_response(errors.internal())


def route(endpoint: Endpoint[Any]) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE]
        body = await request.read() if request.body_exists else b""
        ip = request.remote or "unknown"
        try:
            call, run = prepare(state, endpoint, request, body, ip)
            delays = request.app[latency.LATENCY]
            response = await delays.deliver(
                state.exchange, endpoint.method, endpoint.path, call.api_key, run
            )
        except errors.BinanceError as exc:
            response = error_response(exc)
        response.headers[WEIGHT_HEADER] = str(state.weights.used(ip))
        return response

    return handle


def dispatch(
    state: ServerState, endpoint: Endpoint[Any], request: web.Request, body: bytes, ip: str
) -> web.Response:
    return prepare(state, endpoint, request, body, ip)[1]()


def prepare(
    state: ServerState, endpoint: Endpoint[Any], request: web.Request, body: bytes, ip: str
) -> tuple[Call, Callable[[], web.Response]]:
    """Weight, authentication and parsing now; the returned ``run`` syncs the clock and runs
    the handler (at once, or after the order latency)."""
    raw = RawParams(request.rel_url.raw_query_string, body.decode("utf-8", "replace"))
    state.weights.charge(ip, endpoint.weight(raw))
    api_key = ""
    if endpoint.signed:
        secret_of = state.exchange.secret
        api_key = authenticate(raw, request.headers, secret_of, state.wall_ms())
    call = Call(state, api_key)
    args = endpoint.parse(raw, call)
    raw.finish()

    def run() -> web.Response:
        state.exchange.sync()
        result = endpoint.handle(call, args)
        if isinstance(result, Reply):
            return json_response(result.body, headers=result.headers)
        return json_response(result)

    return call, run


def create_app(
    config: SimConfig,
    *,
    exchange: SimExchange | None = None,
    wall_ms: Callable[[], int] = wall_clock_ms,
    extra_middlewares: Iterable[Middleware] = (),
) -> web.Application:
    """The server for ``config`` (or for an already built ``exchange``)."""
    exchange = exchange or SimExchange(config)
    state = ServerState(
        exchange=exchange,
        weights=RequestWeights(config.weight_limit, config.ban_seconds, wall_ms),
        orders=OrderCounter(config.orders_per_10s, config.orders_per_day, wall_ms),
        wall_ms=wall_ms,
    )
    app = web.Application(middlewares=[guard, faults.middleware, *extra_middlewares])
    app[STATE] = state
    latency.install(app, config)  # order latency; none by default
    for endpoint in (
        *ENDPOINTS,
        *order_lists.ENDPOINTS,
        *trades_api.ENDPOINTS,
        *commission_api.ENDPOINTS,
    ):
        app.router.add_route(endpoint.method, endpoint.path, route(endpoint))
    add_futures_routes(app, route)  # /fapi: USD-M perpetuals
    admin.add_routes(app, STATE)
    add_stream_routes(app, STATE)  # WebSocket streams, WS-API, listen keys, /sim/streams
    faults.install(app, state.weights)  # /sim/faults; no rule, no fault
    app.cleanup_ctx.append(_clock_driver)
    return app


async def _clock_driver(app: web.Application) -> AsyncIterator[None]:
    """Keep a running clock's bars processed even when no request comes in."""
    exchange = app[STATE].exchange
    task = None
    if not exchange.clock.is_manual:
        task = asyncio.create_task(_drive(exchange))
    yield
    if task is not None:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _drive(exchange: SimExchange) -> None:
    clock = exchange.clock
    while not clock.at_end:
        try:
            if clock.runs_in_real_time:
                exchange.sync()
            else:  # "max": a batch of bars per turn, as fast as stream subscribers read them
                exchange.advance(BAR_MS * exchange.bus.settings.max_speed_bars)
                await exchange.bus.paced()
        except Exception:  # a bug: say so loudly, keep the server answering
            log.exception("replay clock step failed")
            await asyncio.sleep(1)
        await asyncio.sleep(exchange.config.tick_seconds if clock.runs_in_real_time else 0)
    exchange.sync()

"""The admin API under ``/sim``: JSON, no authentication -- bind the server to localhost.

POST /sim/accounts          {"apiKey", "secretKey", "balances": {"USDT": "10000"},
                             "makerFee": "0.001", "takerFee": "0.001", "vipTier": 3,
                             "bnbDiscount": true, "futuresBnb": "1.5",
                             "latencyMs": 50, "latencyJitterMs": 10}   -> 201
                            (all but the keys optional; rules in config.py and latency.py)
GET  /sim/accounts/{key}    balances, fee rates, latency and open orders
POST /sim/latency           {"ms": 50, "jitterMs": 10[, "apiKey": KEY]}: the exchange's order
                            latency, or one account's ("ms": null with apiKey: back to the
                            exchange's)
GET  /sim/latency           the exchange's latency and how many requests wait on theirs
POST /sim/accounts/{key}/deposit  {"asset": "BTC", "amount": "0.5"}: a deposit (negative: a
                            withdrawal from the free balance, refused below zero), with
                            balanceUpdate and outboundAccountPosition on the user stream
POST /sim/clock/advance     ms=N or bars=N (query string or JSON body)
GET  /sim/clock             replay now, start, end, speed
GET  /sim/fills             the fill log, newline-delimited JSON, in execution order
                            (``?since=SEQ`` for the entries after SEQ; ``?market=usdm``: the
                            USD-M perpetuals' log, same shape, its own sequence)
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from aiohttp import web

from ai_engine.domain import DomainValueError
from ai_engine.marketdata.intervals import iso
from ai_engine.matching import FeeRates
from ai_engine.matching.fee_tiers import MAX_TIER, spot_rates
from ai_engine.simexchange import wire, wire_orders
from ai_engine.simexchange.config import AccountSpec, LatencySpec, parse_balance
from ai_engine.simexchange.latency import LATENCY, OrderLatency
from ai_engine.simexchange.spot_api import ServerState

_MAX_ADVANCE_MS = 10 * 365 * 86_400_000


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def add_routes(app: web.Application, key: web.AppKey[ServerState]) -> None:
    def wrap(handler: Any) -> Any:
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                result: web.StreamResponse = await handler(request, request.app[key])
                return result
            except AdminError as exc:
                return web.json_response({"error": exc.message}, status=exc.status)

        return run

    app.router.add_post("/sim/accounts", wrap(create_account))
    app.router.add_get("/sim/accounts/{key}", wrap(show_account))
    app.router.add_post("/sim/accounts/{key}/deposit", wrap(deposit))
    app.router.add_post("/sim/clock/advance", wrap(advance_clock))
    app.router.add_post("/sim/latency", wrap(set_latency))
    app.router.add_get("/sim/latency", wrap(show_latency))
    app.router.add_get("/sim/clock", wrap(show_clock))
    app.router.add_get("/sim/fills", wrap(fills))


async def _json_body(request: web.Request) -> dict[str, Any]:
    text = await request.text()
    if not text.strip():
        return {}
    try:
        body = json.loads(text)
    except ValueError:
        raise AdminError(400, "body is not JSON") from None
    if not isinstance(body, dict):
        raise AdminError(400, "body must be a JSON object")
    return body


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise AdminError(400, f"{what}: give a decimal string, not {value!r}")
    try:
        return parse_balance(str(value))
    except ValueError as exc:
        raise AdminError(400, f"{what}: {exc}") from None


async def create_account(request: web.Request, state: ServerState) -> web.StreamResponse:
    body = await _json_body(request)
    api_key, secret = body.get("apiKey"), body.get("secretKey")
    if not isinstance(api_key, str) or not api_key or not isinstance(secret, str) or not secret:
        raise AdminError(400, "apiKey and secretKey (non-empty strings) are required")
    balances = body.get("balances") or {}
    if not isinstance(balances, dict):
        raise AdminError(400, "balances must be an object of asset: amount")
    pairs = tuple(
        (str(asset).upper(), _decimal(amount, f"balance of {asset}"))
        for asset, amount in balances.items()
    )
    tier = _tier(body.get("vipTier"))
    fees = None
    if "makerFee" in body or "takerFee" in body:
        default = state.exchange.config.fees if tier is None else spot_rates(tier)
        maker = _decimal(body.get("makerFee", str(default.maker)), "makerFee")
        taker = _decimal(body.get("takerFee", str(default.taker)), "takerFee")
        try:
            fees = FeeRates(maker=maker, taker=taker)
        except DomainValueError as exc:
            raise AdminError(400, str(exc)) from None
    bnb = body.get("bnbDiscount", False)
    if not isinstance(bnb, bool):
        raise AdminError(400, f"bnbDiscount must be true or false, not {bnb!r}")
    futures_bnb = _decimal(body.get("futuresBnb", "0"), "futuresBnb")
    latency = None
    if "latencyMs" in body or "latencyJitterMs" in body:
        latency = _latency(body.get("latencyMs", 0), body.get("latencyJitterMs", 0))
    spec = AccountSpec(
        api_key=api_key, secret=secret, balances=pairs, fees=fees, vip_tier=tier,
        bnb_discount=bnb, futures_bnb=futures_bnb, latency=latency,
    )  # fmt: skip
    try:
        state.exchange.add_account(spec)
    except ValueError as exc:
        raise AdminError(409, str(exc)) from None
    request.app[LATENCY].set(api_key, latency)
    return web.json_response(_account_view(request, state, api_key), status=201)


def _tier(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIER:
        raise AdminError(
            400, f"vipTier must be a whole number 0 (Regular) to {MAX_TIER}, not {value!r}"
        )
    return value


def _latency(ms: object, jitter: object) -> LatencySpec:
    try:
        return LatencySpec(_ms(ms, "latencyMs"), _ms(jitter, "latencyJitterMs"))
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None


def _ms(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdminError(400, f"{name} must be a whole number of ms, not {value!r}")
    return value


async def set_latency(request: web.Request, state: ServerState) -> web.StreamResponse:
    body = await _json_body(request)
    delays: OrderLatency = request.app[LATENCY]
    api_key = body.get("apiKey")
    if api_key is not None and (
        not isinstance(api_key, str) or state.exchange.secret(api_key) is None
    ):
        raise AdminError(404, f"no account with API key {api_key!r}")
    if api_key is not None and "ms" in body and body["ms"] is None:
        delays.set(api_key, None)  # back to the exchange's latency
    else:
        spec = _latency(body.get("ms", 0), body.get("jitterMs", 0))
        if api_key is None:
            delays.default = spec
        else:
            delays.set(api_key, spec)
    view: dict[str, Any] = {"default": _latency_view(delays.default)}
    if api_key is not None:
        view |= {"apiKey": api_key, "account": _latency_view(delays.of(api_key))}
    return web.json_response(view)


async def show_latency(request: web.Request, state: ServerState) -> web.StreamResponse:
    delays = request.app[LATENCY]
    return web.json_response({"default": _latency_view(delays.default), "waiting": delays.waiting})


def _latency_view(spec: LatencySpec) -> dict[str, int]:
    return {"ms": spec.ms, "jitterMs": spec.jitter_ms}


async def show_account(request: web.Request, state: ServerState) -> web.StreamResponse:
    api_key = request.match_info["key"]
    if state.exchange.secret(api_key) is None:
        raise AdminError(404, f"no account with API key {api_key!r}")
    state.exchange.sync()
    return web.json_response(_account_view(request, state, api_key))


async def deposit(request: web.Request, state: ServerState) -> web.StreamResponse:
    api_key = request.match_info["key"]
    if state.exchange.secret(api_key) is None:
        raise AdminError(404, f"no account with API key {api_key!r}")
    body = await _json_body(request)
    asset = body.get("asset")
    if not isinstance(asset, str) or not asset.isalnum() or not asset.isascii():
        raise AdminError(400, "asset must be an asset name such as BTC")
    amount: object = body.get("amount")
    withdrawal = isinstance(amount, str) and amount.strip().startswith("-")
    if isinstance(amount, str) and withdrawal:
        amount = amount.strip()[1:]
    value = _decimal(amount, "amount")
    if value == 0:
        raise AdminError(400, "amount must not be zero")
    state.exchange.sync()  # the event carries the replay time it happens at
    try:
        state.exchange.deposit(api_key, asset.upper(), -value if withdrawal else value)
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    return web.json_response(_account_view(request, state, api_key))


def _account_view(request: web.Request, state: ServerState, api_key: str) -> dict[str, Any]:
    engine = state.exchange.engine
    fees = engine.fee_rates(api_key)
    futures = state.exchange.futures.engine.account(api_key)
    return {
        "apiKey": api_key,
        "makerFee": str(fees.maker),
        "takerFee": str(fees.taker),
        "bnbDiscount": fees.pays_in_bnb,
        "futures": {
            "makerFee": str(futures.fees.maker),
            "takerFee": str(futures.fees.taker),
            "bnb": wire.num(futures.bnb),
        },
        "latency": _latency_view(request.app[LATENCY].of(api_key)),
        "balances": [
            {"asset": asset, "free": wire.num(free), "locked": wire.num(locked)}
            for asset, free, locked in engine.ledger(api_key)
        ],
        "openOrders": [wire_orders.order_status(o) for o in state.exchange.open_orders(api_key)],
    }


async def advance_clock(request: web.Request, state: ServerState) -> web.StreamResponse:
    values: dict[str, Any] = dict(request.query)
    if not values:
        values = await _json_body(request)
    ms, bars = values.get("ms"), values.get("bars")
    if (ms is None) == (bars is None):
        raise AdminError(400, "send exactly one of ms and bars")
    amount = _count(ms if ms is not None else bars, "ms" if ms is not None else "bars")
    exchange, delays = state.exchange, request.app[LATENCY]  # waiting orders go in on the way
    if bars is not None:
        new_fills = delays.advance_bars(exchange, min(amount, _MAX_ADVANCE_MS // 60_000))
    else:
        new_fills = delays.advance(exchange, min(amount, _MAX_ADVANCE_MS))
    return web.json_response({**_clock_view(state), "newFills": len(new_fills)})


def _count(value: object, what: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise AdminError(400, f"{what} must be a whole number, got {value!r}") from None
    if number < 0:
        raise AdminError(400, f"{what} must not be negative (the clock does not go back)")
    return number


async def show_clock(request: web.Request, state: ServerState) -> web.StreamResponse:
    state.exchange.sync()
    return web.json_response(_clock_view(state))


def _clock_view(state: ServerState) -> dict[str, Any]:
    exchange = state.exchange
    clock = exchange.clock
    now = clock.now_ms()
    speed = clock.speed
    return {
        "now": now,
        "nowIso": iso(now),
        "start": clock.start_ms,
        "end": clock.end_ms,
        "atEnd": clock.at_end,
        "speed": "max" if speed == float("inf") else speed,
        "manual": clock.is_manual,
        "lastClosedBar": {symbol: _last_bar(state, symbol) for symbol in exchange.specs},
        "fills": len(exchange.engine.fills),
    }


def _last_bar(state: ServerState, symbol: str) -> str | None:
    """Open time of the symbol's last closed bar (the market's current bar)."""
    bar = state.exchange.engine.last_bar(symbol)
    return None if bar is None else bar.open_time.isoformat()


async def fills(request: web.Request, state: ServerState) -> web.StreamResponse:
    since = _count(request.query.get("since", "0"), "since")
    market = request.query.get("market", "spot")
    if market not in ("spot", "usdm"):
        raise AdminError(400, f"market must be spot or usdm, got {market!r}")
    state.exchange.sync()
    engine = state.exchange.futures.engine if market == "usdm" else state.exchange.engine
    log = engine.fills[since:]
    lines = "".join(
        json.dumps(wire_orders.fill_log_entry(fill), sort_keys=True, separators=(",", ":")) + "\n"
        for fill in log
    )
    return web.Response(text=lines, content_type="application/x-ndjson")

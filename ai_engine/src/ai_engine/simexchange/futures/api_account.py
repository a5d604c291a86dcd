"""The signed ``/fapi`` account endpoints (leverage, margin type, account, balance, positions,
income) and the listen-key endpoints of the user data stream.

python-binance 1.0.37 calls ``/fapi/v2/account``, ``/fapi/v3/balance`` and
``/fapi/v3/positionRisk``; the other version of each is served too (``version=`` in the call).
Listen keys need the API key header only (Binance's USER_STREAM security); they live in the
event bus's key registry, where the WebSocket side looks them up.
"""

from __future__ import annotations

from typing import Any

from ai_engine.matching.futures import MarginType, PositionRisk
from ai_engine.simexchange import params
from ai_engine.simexchange.futures import params as fparams
from ai_engine.simexchange.futures import wire_account, wire_orders
from ai_engine.simexchange.futures.api_market import venue
from ai_engine.simexchange.futures.errors import futures_errors, invalid_listen_key
from ai_engine.simexchange.futures.symbols import FuturesSymbolSpec
from ai_engine.simexchange.futures.venue import USER_MARKET, FuturesVenue
from ai_engine.simexchange.params import RawParams
from ai_engine.simexchange.spot_api import Call, Endpoint, fixed

SUCCESS = {"code": 200, "msg": "success"}


def _nothing(raw: RawParams, call: Call) -> None:
    return None


def _leverage_args(raw: RawParams, call: Call) -> tuple[str, int]:
    return fparams.leverage(raw, venue(call).specs)


def _leverage(call: Call, args: tuple[str, int]) -> Any:
    symbol, value = args
    futures = venue(call)
    with futures_errors():
        most = futures.engine.set_leverage(call.api_key, symbol, value, futures.now_ms())
    futures.publish(call.exchange.bus)
    return wire_account.leverage(symbol, value, most)


def _margin_type_args(raw: RawParams, call: Call) -> tuple[str, MarginType]:
    return fparams.margin_type(raw, venue(call).specs)


def _margin_type(call: Call, args: tuple[str, MarginType]) -> Any:
    symbol, kind = args
    futures = venue(call)
    with futures_errors():
        futures.engine.set_margin_type(call.api_key, symbol, kind, futures.now_ms())
    futures.publish(call.exchange.bus)
    return dict(SUCCESS)


def _risks(
    futures: FuturesVenue, api_key: str, symbols: list[str]
) -> list[tuple[FuturesSymbolSpec, PositionRisk]]:
    return [(futures.spec(s), futures.engine.position_risk(api_key, s)) for s in symbols]


def _active(futures: FuturesVenue, api_key: str, symbol: str) -> bool:
    """v3 answers list only symbols with a position or open orders."""
    state = futures.engine.settings(api_key, symbol)
    return state.quantity != 0 or bool(futures.engine.open_orders(api_key, symbol))


def _symbol_filter(raw: RawParams, call: Call) -> str | None:
    return params.optional_symbol(raw, venue(call).specs)


def _position_v3(call: Call, symbol: str | None) -> Any:
    futures = venue(call)
    names = [symbol] if symbol else list(futures.specs)
    names = [name for name in names if _active(futures, call.api_key, name)]
    fees = futures.engine.account(call.api_key).fees
    return [
        wire_account.position_v3(spec, risk, fees)
        for spec, risk in _risks(futures, call.api_key, names)
    ]


def _position_v2(call: Call, symbol: str | None) -> Any:
    futures = venue(call)
    names = [symbol] if symbol else list(futures.specs)
    fees = futures.engine.account(call.api_key).fees
    return [
        wire_account.position_v2(spec, risk, fees)
        for spec, risk in _risks(futures, call.api_key, names)
    ]


def _account_v2(call: Call, _: None) -> Any:
    futures = venue(call)
    account = futures.engine.account(call.api_key)
    risks = _risks(futures, call.api_key, list(futures.specs))
    return wire_account.account_v2(account, futures.engine.margin(call.api_key), risks)


def _account_v3(call: Call, _: None) -> Any:
    futures = venue(call)
    account = futures.engine.account(call.api_key)
    names = [s for s in futures.specs if _active(futures, call.api_key, s)]
    risks = _risks(futures, call.api_key, names)
    return wire_account.account_v3(account, futures.engine.margin(call.api_key), risks)


def _balance(call: Call, _: None) -> Any:
    futures = venue(call)
    account = futures.engine.account(call.api_key)
    alias = f"Sim{futures.uid(call.api_key):X}"
    return wire_account.balance(account, futures.engine.margin(call.api_key), alias)


def _income_args(raw: RawParams, call: Call) -> fparams.History:
    return fparams.income(raw, venue(call).specs)


def _income(call: Call, query: fparams.History) -> Any:
    entries = venue(call).engine.incomes(call.api_key)
    if query.symbol is not None:
        entries = [e for e in entries if e.symbol == query.symbol]
    if query.income_type is not None:
        entries = [e for e in entries if e.income_type.value.upper() == query.income_type]
    start = query.start_ms if query.start_ms is not None else -(2**63)
    end = query.end_ms if query.end_ms is not None else 2**63
    entries = [e for e in entries if start <= e.time_ms <= end]
    entries = entries[: query.limit] if query.start_ms is not None else entries[-query.limit :]
    return [wire_orders.income(entry) for entry in entries]


# -- listen keys (API key only) ----------------------------------------------------------------


def _listen_key_arg(raw: RawParams, call: Call) -> str | None:
    return raw.get("listenKey")


def _new_listen_key(call: Call, _: str | None) -> Any:
    return {"listenKey": call.exchange.bus.listen_keys.create(USER_MARKET, call.api_key)}


def _keepalive(call: Call, key: str | None) -> Any:
    keys = call.exchange.bus.listen_keys
    if key is None:  # Binance accepts a keepalive without the key: the account's key
        key = keys.create(USER_MARKET, call.api_key)
    owner = keys.owner(key)
    if owner != (USER_MARKET, call.api_key) or not keys.keepalive(key):
        raise invalid_listen_key()
    return {"listenKey": key}


def _close_listen_key(call: Call, key: str | None) -> Any:
    keys = call.exchange.bus.listen_keys
    if key is not None:
        if keys.owner(key) != (USER_MARKET, call.api_key):
            raise invalid_listen_key()
        keys.close(key)
    return {}


ENDPOINTS: tuple[Endpoint[Any], ...] = (
    Endpoint("POST", "/fapi/v1/leverage", fixed(1), _leverage_args, _leverage, signed=True),
    Endpoint("POST", "/fapi/v1/marginType", fixed(1), _margin_type_args, _margin_type, signed=True),
    Endpoint("GET", "/fapi/v2/positionRisk", fixed(5), _symbol_filter, _position_v2, signed=True),
    Endpoint("GET", "/fapi/v3/positionRisk", fixed(5), _symbol_filter, _position_v3, signed=True),
    Endpoint("GET", "/fapi/v2/account", fixed(5), _nothing, _account_v2, signed=True),
    Endpoint("GET", "/fapi/v3/account", fixed(5), _nothing, _account_v3, signed=True),
    Endpoint("GET", "/fapi/v2/balance", fixed(5), _nothing, _balance, signed=True),
    Endpoint("GET", "/fapi/v3/balance", fixed(5), _nothing, _balance, signed=True),
    Endpoint("GET", "/fapi/v1/income", fixed(30), _income_args, _income, signed=True),
)  # fmt: skip

# USER_STREAM security: the X-MBX-APIKEY header, no signature (``routes.keyed``).
KEYED: tuple[Endpoint[Any], ...] = (
    Endpoint("POST", "/fapi/v1/listenKey", fixed(1), _listen_key_arg, _new_listen_key),
    Endpoint("PUT", "/fapi/v1/listenKey", fixed(1), _listen_key_arg, _keepalive),
    Endpoint("DELETE", "/fapi/v1/listenKey", fixed(1), _listen_key_arg, _close_listen_key),
)

"""The parsing boundary: raw query/body strings in, typed request records out.

Everything a client sends passes through here, and only here, before a handler sees it:
numbers become ``Decimal``/``int``, enums become domain enums, and anything malformed raises
the ``BinanceError`` Binance would answer (-1100 illegal characters, -1101 duplicates,
-1102 missing, -1104 unread extras, -1106 not required, -1111 precision, -1115..-1121).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar
from urllib.parse import unquote_plus

from ai_engine.domain import OrderSide, OrderType, TimeInForce
from ai_engine.matching import OrderRequest
from ai_engine.simexchange import errors
from ai_engine.simexchange.symbols import ASSET_PRECISION

_NUMBER = re.compile(r"([0-9]{1,20})(\.([0-9]{1,20}))?")
_INTEGER = re.compile(r"-?[0-9]{1,20}")
_SYMBOL = re.compile(r"[A-Z0-9\-_.]{1,20}")
_CLIENT_ID = re.compile(r"[\.A-Z\:/a-z0-9_-]{1,36}")
_MAX_PARAMS = 64
_INT64 = 2**63 - 1
SYMBOLS_RANGE = r'^\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\]$'

T = TypeVar("T")
SIDES = {"BUY": OrderSide.BUY, "SELL": OrderSide.SELL}
ORDER_TYPES = {
    "MARKET": OrderType.MARKET,
    "LIMIT": OrderType.LIMIT,
    "LIMIT_MAKER": OrderType.LIMIT_MAKER,
    "STOP_LOSS": OrderType.STOP_MARKET,
    "STOP_LOSS_LIMIT": OrderType.STOP_LIMIT,
    "TAKE_PROFIT_LIMIT": OrderType.TAKE_PROFIT_LIMIT,
}
TIME_IN_FORCE = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK}
RESPONSE_TYPES = ("ACK", "RESULT", "FULL")
INTERVALS = (
    "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w",
)  # fmt: skip
# Binance order parameters accepted and ignored (no effect in a one-user simulation).
_IGNORED_ORDER_PARAMS = ("strategyId", "strategyType", "selfTradePreventionMode")


class RawParams:
    """The parameters of one request (query string, then form body), each at most once.

    ``get`` marks a parameter read; ``finish`` raises -1104 if any was sent but never read.
    """

    __slots__ = ("_read", "body", "query", "values")

    def __init__(self, query: str, body: str) -> None:
        self.query = query
        self.body = body
        self.values: dict[str, str] = {}
        self._read: set[str] = set()
        for part in (query, body):
            if part:
                for name, value in _pairs(part):
                    if name in self.values:
                        raise errors.duplicate_param()
                    self.values[name] = value
        if len(self.values) > _MAX_PARAMS:
            raise errors.too_many_params()

    def get(self, name: str) -> str | None:
        """The value of ``name``; None when absent or empty (Binance: "empty/null")."""
        self._read.add(name)
        value = self.values.get(name)
        return value if value else None

    def has(self, name: str) -> bool:
        return bool(self.values.get(name))

    def finish(self) -> None:
        unread = [name for name in self.values if name not in self._read]
        if unread:
            raise errors.unread_params(len(self.values) - len(unread), len(self.values))


def _pairs(text: str) -> list[tuple[str, str]]:
    """``a=1&b=x%20y`` as [(a, 1), (b, x y)]: ``parse_qsl`` with blanks kept, faster on the
    common case of nothing to decode (the order hot path)."""
    fields = text.split("&")
    if len(fields) > _MAX_PARAMS:
        raise errors.too_many_params()
    pairs = []
    for field in fields:
        if not field:
            continue
        name, _, value = field.partition("=")
        if "%" in field or "+" in field:
            name, value = unquote_plus(name), unquote_plus(value)
        pairs.append((name, value))
    return pairs


# -- fields ----------------------------------------------------------------------------------


def text(raw: RawParams, name: str) -> str:
    value = raw.get(name)
    if value is None:
        raise errors.mandatory(name)
    return value


def symbol(raw: RawParams, known: Collection[str], name: str = "symbol") -> str:
    value = text(raw, name)
    return check_symbol(value, known, name)


def optional_symbol(raw: RawParams, known: Collection[str]) -> str | None:
    return symbol(raw, known) if raw.has("symbol") else None


def check_symbol(value: str, known: Collection[str], name: str = "symbol") -> str:
    if _SYMBOL.fullmatch(value) is None:
        raise errors.illegal_chars(name, errors.SYMBOL_RANGE)
    if value not in known:
        raise errors.invalid_symbol()
    return value


def symbols_list(raw: RawParams, known: Collection[str]) -> tuple[str, ...] | None:
    """``symbol=X`` or ``symbols=["X","Y"]``; None when neither is sent."""
    single, many = raw.get("symbol"), raw.get("symbols")
    if single is not None and many is not None:
        raise errors.BinanceError(-1102, "Param 'symbol' and 'symbols' cannot be sent together.")
    if single is not None:
        return (check_symbol(single, known),)
    if many is None:
        return None
    try:
        names = json.loads(many)
    except ValueError:
        raise errors.illegal_chars("symbols", SYMBOLS_RANGE) from None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise errors.illegal_chars("symbols", SYMBOLS_RANGE)
    if len(set(names)) != len(names):
        raise errors.BinanceError(-1101, "Duplicate values for a parameter detected.")
    return tuple(check_symbol(n, known, "symbols") for n in names)


@dataclass(frozen=True, slots=True)
class SymbolsQuery:
    """Which symbols a ticker asks for: ``names`` None = all; ``single`` = by ``symbol``."""

    names: tuple[str, ...] | None
    single: bool


def symbols_query(raw: RawParams, known: Collection[str]) -> SymbolsQuery:
    single = raw.has("symbol")
    return SymbolsQuery(symbols_list(raw, known), single)


def decimal(raw: RawParams, name: str, *, required: bool = False) -> Decimal | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise errors.mandatory(name)
        return None
    match = _NUMBER.fullmatch(value)
    if match is None:
        raise errors.illegal_chars(name, errors.NUMBER_RANGE)
    fraction = match.group(3) or ""
    if len(fraction.rstrip("0")) > ASSET_PRECISION:
        raise errors.bad_precision()
    return Decimal(value)


def integer(raw: RawParams, name: str, *, required: bool = False) -> int | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise errors.mandatory(name)
        return None
    if _INTEGER.fullmatch(value) is None or abs(int(value)) > _INT64:
        raise errors.illegal_chars(name, errors.INTEGER_RANGE)
    return int(value)


def limit(raw: RawParams, default: int, maximum: int) -> int:
    value = integer(raw, "limit")
    if value is None:
        return default
    if value < 1:
        raise errors.BinanceError(-1130, "Data sent for parameter 'limit' is not valid.")
    return min(value, maximum)


def choice(raw: RawParams, name: str, options: dict[str, T], error: errors.BinanceError) -> T:
    value = text(raw, name)
    if value not in options:
        raise error
    return options[value]


def client_id(raw: RawParams, name: str) -> str | None:
    value = raw.get(name)
    if value is not None and _CLIENT_ID.fullmatch(value) is None:
        raise errors.illegal_chars(name, errors.CLIENT_ID_RANGE)
    return value


def flag(raw: RawParams, name: str) -> bool | None:
    value = raw.get(name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise errors.illegal_chars(name, "true, false")
    return value.lower() == "true"


# -- requests --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signed:
    timestamp: int
    recv_window: int
    signature: str


def signed(raw: RawParams) -> Signed:
    timestamp = integer(raw, "timestamp", required=True)
    window = integer(raw, "recvWindow")
    signature = text(raw, "signature")
    assert timestamp is not None
    if window is not None and not 0 < window <= 60_000:
        raise errors.bad_recv_window()
    return Signed(timestamp, 5000 if window is None else window, signature)


@dataclass(frozen=True, slots=True)
class KlinesQuery:
    symbol: str
    interval: str
    start_ms: int | None
    end_ms: int | None
    limit: int


def klines(raw: RawParams, known: Collection[str]) -> KlinesQuery:
    name = symbol(raw, known)
    interval = text(raw, "interval")
    if interval not in INTERVALS:
        raise errors.invalid_interval()
    start, end = integer(raw, "startTime"), integer(raw, "endTime")
    if start is not None and end is not None and start > end:
        raise errors.BinanceError(-1023, "Start time is greater than end time.")
    return KlinesQuery(name, interval, start, end, limit(raw, 500, 1000))


@dataclass(frozen=True, slots=True)
class DepthQuery:
    symbol: str
    limit: int


def depth(raw: RawParams, known: Collection[str]) -> DepthQuery:
    return DepthQuery(symbol(raw, known), limit(raw, 100, 5000))


def depth_weight(raw: RawParams) -> int:
    """Binance's depth weights by limit: 1-100: 5, 101-500: 25, 501-1000: 50, more: 250."""
    value = raw.values.get("limit", "")
    size = int(value) if value.isdigit() and len(value) < 10 else 100
    return 5 if size <= 100 else 25 if size <= 500 else 50 if size <= 1000 else 250


@dataclass(frozen=True, slots=True)
class NewOrder:
    order: OrderRequest
    response_type: str


def new_order(
    raw: RawParams, known: Collection[str], account_id: str, make_id: Callable[[], str]
) -> NewOrder:
    name = symbol(raw, known)
    side = choice(raw, "side", SIDES, errors.invalid_side())
    kind = choice(raw, "type", ORDER_TYPES, errors.invalid_order_type())
    wants = _order_fields(kind)
    for field in ("timeInForce", "price", "stopPrice", "quoteOrderQty"):
        if field not in wants and raw.has(field):
            raise errors.not_required(field)
    tif = TimeInForce.GTC
    if "timeInForce" in wants:
        tif = choice(raw, "timeInForce", TIME_IN_FORCE, errors.invalid_tif())
    quantity = decimal(raw, "quantity", required=kind is not OrderType.MARKET)
    quote = decimal(raw, "quoteOrderQty") if kind is OrderType.MARKET else None
    if kind is OrderType.MARKET:
        if quantity is None and quote is None:
            raise errors.one_of("quantity", "quoteOrderQty")
        if quantity is not None and quote is not None:
            raise errors.not_required("quoteOrderQty")
    price = decimal(raw, "price", required=True) if "price" in wants else None
    stop = decimal(raw, "stopPrice", required=True) if "stopPrice" in wants else None
    checks = (("quantity", quantity), ("quantity", quote), ("price", price), ("price", stop))
    for what, value in checks:
        if value is not None and value == 0:
            raise errors.invalid_value(what)
    response = raw.get("newOrderRespType")
    if response is not None and response not in RESPONSE_TYPES:
        raise errors.illegal_chars("newOrderRespType", ", ".join(RESPONSE_TYPES))
    default_response = "FULL" if kind in (OrderType.MARKET, OrderType.LIMIT) else "ACK"
    for ignored in _IGNORED_ORDER_PARAMS:
        raw.get(ignored)
    order = OrderRequest(
        account_id=account_id,
        symbol=name,
        client_order_id=client_id(raw, "newClientOrderId") or make_id(),
        side=side,
        order_type=kind,
        quantity=quantity,
        quote_quantity=quote,
        price=price,
        stop_price=stop,
        time_in_force=tif,
    )
    return NewOrder(order, response or default_response)


def _order_fields(kind: OrderType) -> frozenset[str]:
    if kind is OrderType.MARKET:
        return frozenset({"quoteOrderQty"})
    if kind is OrderType.LIMIT_MAKER:
        return frozenset({"price"})
    if kind is OrderType.LIMIT:
        return frozenset({"timeInForce", "price"})
    if kind is OrderType.STOP_MARKET:  # STOP_LOSS: a market order once triggered
        return frozenset({"stopPrice"})
    return frozenset({"timeInForce", "price", "stopPrice"})


@dataclass(frozen=True, slots=True)
class OrderRef:
    symbol: str
    order_id: int | None
    client_order_id: str | None


def order_ref(raw: RawParams, known: Collection[str]) -> OrderRef:
    name = symbol(raw, known)
    order_id = integer(raw, "orderId")
    original = raw.get("origClientOrderId")
    if order_id is None and original is None:
        raise errors.one_of("origClientOrderId", "orderId")
    return OrderRef(name, order_id, original)


@dataclass(frozen=True, slots=True)
class CancelOrder:
    ref: OrderRef
    new_client_order_id: str | None


def cancel_order(raw: RawParams, known: Collection[str]) -> CancelOrder:
    ref = order_ref(raw, known)
    raw.get("cancelRestrictions")
    return CancelOrder(ref, client_id(raw, "newClientOrderId"))


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """allOrders and myTrades: a symbol and Binance's paging parameters."""

    symbol: str
    order_id: int | None
    start_ms: int | None
    end_ms: int | None
    from_id: int | None
    limit: int


def history(raw: RawParams, known: Collection[str], *, trades: bool) -> HistoryQuery:
    name = symbol(raw, known)
    order_id = integer(raw, "orderId")
    start, end = integer(raw, "startTime"), integer(raw, "endTime")
    from_id = integer(raw, "fromId") if trades else None
    if start is not None and end is not None and start > end:
        raise errors.BinanceError(-1023, "Start time is greater than end time.")
    return HistoryQuery(name, order_id, start, end, from_id, limit(raw, 500, 1000))


@dataclass(frozen=True, slots=True)
class AccountQuery:
    omit_zero_balances: bool


def account(raw: RawParams) -> AccountQuery:
    return AccountQuery(bool(flag(raw, "omitZeroBalances")))

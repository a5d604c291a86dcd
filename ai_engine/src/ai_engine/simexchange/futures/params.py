"""Parsing of the ``/fapi`` trading parameters: raw strings in, typed requests out.

Built on the spot parsing boundary (``simexchange.params``: -1100 illegal characters, -1101
duplicates, -1102 missing, -1104 unread extras, -1106 not required); the futures rules on top:
precision per symbol (-1111), quantity/price zero (-4003/-4001), one-way mode only (-4061),
conditional types only on the algo endpoint (-4120), callbackRate 0.1..5 (-1130).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import OrderType, TimeInForce
from ai_engine.matching.futures import AlgoRequest, FuturesOrderRequest, MarginType, WorkingType
from ai_engine.simexchange import errors, params
from ai_engine.simexchange.futures import errors as ferrors
from ai_engine.simexchange.futures.symbols import FuturesSymbolSpec
from ai_engine.simexchange.params import RawParams

SIDES = params.SIDES
ORDER_TYPES = {"MARKET": OrderType.MARKET, "LIMIT": OrderType.LIMIT}
ALGO_TYPES = {
    "STOP_MARKET": OrderType.STOP_MARKET,
    "TAKE_PROFIT_MARKET": OrderType.TAKE_PROFIT_MARKET,
    "TRAILING_STOP_MARKET": OrderType.TRAILING_STOP_MARKET,
}
CONDITIONAL = ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")
TIME_IN_FORCE = {
    "GTC": TimeInForce.GTC,
    "IOC": TimeInForce.IOC,
    "FOK": TimeInForce.FOK,
    "GTX": TimeInForce.GTX,
}
WORKING_TYPES = {"CONTRACT_PRICE": WorkingType.CONTRACT_PRICE, "MARK_PRICE": WorkingType.MARK_PRICE}
MARGIN_TYPES = {"ISOLATED": MarginType.ISOLATED, "CROSSED": MarginType.CROSSED}
RESPONSE_TYPES = ("ACK", "RESULT")
_MIN_CALLBACK, _MAX_CALLBACK = Decimal("0.1"), Decimal(5)
# Accepted and ignored: no effect in this simulation (see docs/sim-exchange.md).
_IGNORED = ("priceProtect", "priceMatch", "selfTradePreventionMode", "goodTillDate")

Specs = dict[str, FuturesSymbolSpec]


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def amount(raw: RawParams, name: str, decimals: int, *, required: bool = False) -> Decimal | None:
    """A decimal parameter with at most ``decimals`` places (-1111) and not zero."""
    value = params.decimal(raw, name, required=required)
    if value is None:
        return None
    if _decimals(value) > decimals:
        raise errors.bad_precision()
    if value == 0:
        if name == "quantity":
            raise ferrors.quantity_not_positive()
        raise ferrors.price_not_positive()
    return value


def _one_way(raw: RawParams) -> None:
    side = raw.get("positionSide")
    if side is not None and side != "BOTH":
        raise errors.BinanceError(-4061, "Order's position side does not match user's setting.")


def _ignore(raw: RawParams, *names: str) -> None:
    for name in (*_IGNORED, *names):
        raw.get(name)


def _refuse(raw: RawParams, *names: str) -> None:
    for name in names:
        if raw.has(name):
            raise errors.not_required(name)


def _response_type(raw: RawParams) -> str:
    value = raw.get("newOrderRespType")
    if value is not None and value not in RESPONSE_TYPES:
        raise errors.BinanceError(-1136, "Invalid newOrderRespType.")
    return value or "ACK"


@dataclass(frozen=True, slots=True)
class NewOrder:
    order: FuturesOrderRequest
    response_type: str


def new_order(
    raw: RawParams, specs: Specs, account_id: str, make_id: Callable[[], str]
) -> NewOrder:
    name = params.symbol(raw, specs)
    spec = specs[name]
    side = params.choice(raw, "side", SIDES, errors.invalid_side())
    kind_name = params.text(raw, "type")
    if kind_name in CONDITIONAL:
        raise ferrors.not_on_algo_endpoint()
    if kind_name not in ORDER_TYPES:
        raise errors.invalid_order_type()
    kind = ORDER_TYPES[kind_name]
    _one_way(raw)
    _refuse(raw, "stopPrice", "closePosition", "activationPrice", "callbackRate")
    if kind is OrderType.MARKET:
        _refuse(raw, "price", "timeInForce")
        tif, price = TimeInForce.GTC, None
    else:
        tif = params.choice(raw, "timeInForce", TIME_IN_FORCE, errors.invalid_tif())
        price = amount(raw, "price", spec.price_precision, required=True)
        _check_price_range(spec, price)
    quantity = amount(raw, "quantity", spec.quantity_precision, required=True)
    assert quantity is not None
    if kind is OrderType.MARKET and quantity > spec.market_max_quantity:
        raise ferrors.market_quantity_above_max()  # MARKET_LOT_SIZE
    reduce_only = bool(params.flag(raw, "reduceOnly"))
    raw.get("workingType")
    _ignore(raw)
    response = _response_type(raw)
    order = FuturesOrderRequest(
        account_id=account_id,
        symbol=name,
        client_order_id=params.client_id(raw, "newClientOrderId") or make_id(),
        side=side,
        order_type=kind,
        quantity=quantity,
        price=price,
        time_in_force=tif,
        reduce_only=reduce_only,
    )
    return NewOrder(order, response)


def _check_price_range(spec: FuturesSymbolSpec, price: Decimal | None) -> None:
    if price is not None and price < spec.min_price:
        raise ferrors.price_below_min()
    if price is not None and price > spec.max_price:
        raise ferrors.price_above_max()


def new_algo(
    raw: RawParams, specs: Specs, account_id: str, make_id: Callable[[], str]
) -> AlgoRequest:
    algo_type = params.text(raw, "algoType")
    if algo_type != "CONDITIONAL":
        raise errors.illegal_chars("algoType", "CONDITIONAL")
    name = params.symbol(raw, specs)
    spec = specs[name]
    side = params.choice(raw, "side", SIDES, errors.invalid_side())
    kind = params.choice(raw, "type", ALGO_TYPES, errors.invalid_order_type())
    _one_way(raw)
    _refuse(raw, "price")
    tif = TIME_IN_FORCE.get(raw.get("timeInForce") or "GTC")
    if tif is None:
        raise errors.invalid_tif()
    close_position = bool(params.flag(raw, "closePosition"))
    quantity = amount(raw, "quantity", spec.quantity_precision)
    if close_position and quantity is not None:
        raise ferrors.quantity_with_close_position()
    if not close_position and quantity is None:
        raise errors.mandatory("quantity")
    trailing = kind is OrderType.TRAILING_STOP_MARKET
    trigger = None
    if trailing:
        _refuse(raw, "triggerPrice", "closePosition")
    else:
        trigger = amount(raw, "triggerPrice", spec.price_precision, required=True)
        _check_price_range(spec, trigger)
        _refuse(raw, "activatePrice", "activationPrice", "callbackRate")
    activate = callback = None
    if trailing:
        activate = _activation(raw, spec)
        callback = params.decimal(raw, "callbackRate", required=True)
        if callback is None or not _MIN_CALLBACK <= callback <= _MAX_CALLBACK:
            raise ferrors.invalid_parameter("callbackRate")
    working = WORKING_TYPES.get(raw.get("workingType") or "CONTRACT_PRICE")
    if working is None:
        raise errors.BinanceError(-4031, "Invalid parameter working type")
    reduce_only = bool(params.flag(raw, "reduceOnly"))
    _ignore(raw)
    _response_type(raw)
    return AlgoRequest(
        account_id=account_id,
        symbol=name,
        client_algo_id=params.client_id(raw, "clientAlgoId") or make_id(),
        side=side,
        order_type=kind,
        quantity=quantity,
        trigger_price=trigger,
        working_type=working,
        reduce_only=reduce_only,
        close_position=close_position,
        activate_price=activate,
        callback_rate=callback,
        time_in_force=tif,
    )


def _activation(raw: RawParams, spec: FuturesSymbolSpec) -> Decimal | None:
    """``activatePrice`` (the algo endpoint's name) or ``activationPrice`` (the old order
    endpoint's, which python-binance forwards unchanged)."""
    new = amount(raw, "activatePrice", spec.price_precision)
    old = amount(raw, "activationPrice", spec.price_precision)
    if new is not None and old is not None:
        raise errors.not_required("activationPrice")
    return new if new is not None else old


def _id_or_client(raw: RawParams, id_name: str, client_name: str) -> tuple[int | None, str | None]:
    """The id and the client id naming an order; at least one must be given."""
    ident = params.integer(raw, id_name)
    client = raw.get(client_name)
    if ident is None and client is None:
        raise errors.one_of(id_name, client_name)
    return ident, client


@dataclass(frozen=True, slots=True)
class OrderRef:
    symbol: str
    order_id: int | None
    client_id: str | None


def order_ref(raw: RawParams, known: Collection[str]) -> OrderRef:
    name = params.symbol(raw, known)
    return OrderRef(name, *_id_or_client(raw, "orderId", "origClientOrderId"))


@dataclass(frozen=True, slots=True)
class AlgoRef:
    symbol: str | None
    algo_id: int | None
    client_id: str | None


def algo_ref(raw: RawParams, known: Collection[str]) -> AlgoRef:
    name = params.optional_symbol(raw, known)
    return AlgoRef(name, *_id_or_client(raw, "algoId", "clientAlgoId"))


@dataclass(frozen=True, slots=True)
class History:
    """allOrders, allAlgoOrders, userTrades, income: filters and Binance's paging."""

    symbol: str | None
    from_id: int | None
    start_ms: int | None
    end_ms: int | None
    limit: int
    income_type: str | None = None


def history(
    raw: RawParams,
    known: Collection[str],
    *,
    id_name: str,
    default: int,
    maximum: int,
    symbol_required: bool = True,
) -> History:
    name = params.symbol(raw, known) if symbol_required else params.optional_symbol(raw, known)
    from_id = params.integer(raw, id_name) if id_name else None
    start, end = params.integer(raw, "startTime"), params.integer(raw, "endTime")
    if start is not None and end is not None and start > end:
        raise errors.BinanceError(-1023, "Start time is greater than end time.")
    return History(name, from_id, start, end, params.limit(raw, default, maximum))


def income(raw: RawParams, known: Collection[str]) -> History:
    kind = raw.get("incomeType")
    raw.get("page")
    query = history(raw, known, id_name="", default=100, maximum=1000, symbol_required=False)
    return History(query.symbol, None, query.start_ms, query.end_ms, query.limit, income_type=kind)


def leverage(raw: RawParams, known: Collection[str]) -> tuple[str, int]:
    name = params.symbol(raw, known)
    value = params.integer(raw, "leverage", required=True)
    assert value is not None
    return name, value


def margin_type(raw: RawParams, known: Collection[str]) -> tuple[str, MarginType]:
    name = params.symbol(raw, known)
    value = params.text(raw, "marginType")
    if value not in MARGIN_TYPES:
        raise ferrors.invalid_parameter("marginType")
    return name, MARGIN_TYPES[value]


def countdown(raw: RawParams, known: Collection[str]) -> tuple[str, int]:
    name = params.symbol(raw, known)
    value = params.integer(raw, "countdownTime", required=True)
    assert value is not None
    if value < 0:
        raise ferrors.invalid_parameter("countdownTime")
    return name, value

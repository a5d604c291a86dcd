"""Parsing of the order-list (OCO) endpoints: raw parameters in, typed requests out.

Two spellings of a new OCO reach the same ``NewOco``:

- ``POST /api/v3/orderList/oco`` (what python-binance 1.0.37's ``create_oco_order`` calls):
  ``aboveType``/``belowType`` with ``abovePrice``, ``aboveStopPrice``, ``aboveTimeInForce``,
  ``aboveClientOrderId`` and the same for ``below``;
- ``POST /api/v3/order/oco`` (the legacy endpoint): ``price`` (the LIMIT_MAKER leg),
  ``stopPrice``, ``stopLimitPrice``, ``stopLimitTimeInForce``, ``limitClientOrderId``,
  ``stopClientOrderId``.

The "above" leg is the one whose price level (a LIMIT_MAKER's price, a stop's stop price) is
above the market: for a SELL the take-profit side, for a BUY the stop-loss side.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import OrderSide, OrderType, TimeInForce
from ai_engine.matching import OrderRequest
from ai_engine.simexchange import errors, params
from ai_engine.simexchange.params import RawParams

_LEG_TYPES = {
    "LIMIT_MAKER": OrderType.LIMIT_MAKER,
    "STOP_LOSS_LIMIT": OrderType.STOP_LIMIT,
    "TAKE_PROFIT_LIMIT": OrderType.TAKE_PROFIT_LIMIT,
}
_BINANCE_ONLY = ("STOP_LOSS", "TAKE_PROFIT")  # market stops: Binance has them, we do not yet
_IGNORED = ("selfTradePreventionMode",)


@dataclass(frozen=True, slots=True)
class Leg:
    order_type: OrderType
    price: Decimal
    stop_price: Decimal | None
    time_in_force: TimeInForce
    client_order_id: str | None

    @property
    def level(self) -> Decimal:
        """Where the leg waits: a stop's trigger, a LIMIT_MAKER's price."""
        return self.stop_price if self.stop_price is not None else self.price

    @property
    def is_stop_loss(self) -> bool:
        return self.order_type is OrderType.STOP_LIMIT


@dataclass(frozen=True, slots=True)
class NewOco:
    symbol: str
    side: OrderSide
    quantity: Decimal
    list_client_id: str | None
    above: Leg
    below: Leg

    def requests(self, account_id: str, make_id: Callable[[], str]) -> list[OrderRequest]:
        """The two legs as engine requests, the stop-loss leg first (it gets the lower id)."""
        stop_loss, other = (self.above, self.below)
        if not stop_loss.is_stop_loss:
            stop_loss, other = other, stop_loss
        return [
            OrderRequest(
                account_id=account_id,
                symbol=self.symbol,
                client_order_id=leg.client_order_id or make_id(),
                side=self.side,
                order_type=leg.order_type,
                quantity=self.quantity,
                price=leg.price,
                stop_price=leg.stop_price,
                time_in_force=leg.time_in_force,
            )
            for leg in (stop_loss, other)
        ]


def new_oco(raw: RawParams, known: Collection[str]) -> NewOco:
    """``POST /api/v3/orderList/oco``."""
    symbol, side, quantity, list_id = _common(raw, known)
    above, below = _leg(raw, "above"), _leg(raw, "below")
    _read_ignored(raw, ("aboveStrategyId", "aboveStrategyType"))
    _read_ignored(raw, ("belowStrategyId", "belowStrategyType"))
    return _checked(NewOco(symbol, side, quantity, list_id, above, below))


def legacy_oco(raw: RawParams, known: Collection[str]) -> NewOco:
    """``POST /api/v3/order/oco``: a LIMIT_MAKER at ``price`` and a STOP_LOSS_LIMIT."""
    symbol, side, quantity, list_id = _common(raw, known)
    limit = Leg(
        OrderType.LIMIT_MAKER,
        _price(raw, "price"),
        None,
        TimeInForce.GTC,
        params.client_id(raw, "limitClientOrderId"),
    )
    stop_limit = raw.get("stopLimitPrice")
    if stop_limit is None:
        raise errors.invalid_order_type()  # a STOP_LOSS (market) leg: not supported yet
    stop = Leg(
        OrderType.STOP_LIMIT,
        _price(raw, "stopLimitPrice"),
        _price(raw, "stopPrice"),
        params.choice(raw, "stopLimitTimeInForce", params.TIME_IN_FORCE, errors.invalid_tif()),
        params.client_id(raw, "stopClientOrderId"),
    )
    _read_ignored(raw, ("limitStrategyId", "limitStrategyType"))
    _read_ignored(raw, ("stopStrategyId", "stopStrategyType"))
    above, below = (limit, stop) if side is OrderSide.SELL else (stop, limit)
    return _checked(NewOco(symbol, side, quantity, list_id, above, below))


def response_type(raw: RawParams) -> str:
    value = raw.get("newOrderRespType")
    if value is not None and value not in params.RESPONSE_TYPES:
        raise errors.illegal_chars("newOrderRespType", ", ".join(params.RESPONSE_TYPES))
    return value or "FULL"


def _common(raw: RawParams, known: Collection[str]) -> tuple[str, OrderSide, Decimal, str | None]:
    symbol = params.symbol(raw, known)
    side = params.choice(raw, "side", params.SIDES, errors.invalid_side())
    quantity = params.decimal(raw, "quantity", required=True)
    assert quantity is not None
    if quantity == 0:
        raise errors.invalid_value("quantity")
    _read_ignored(raw, _IGNORED)
    return symbol, side, quantity, params.client_id(raw, "listClientOrderId")


def _leg(raw: RawParams, prefix: str) -> Leg:
    name = params.text(raw, f"{prefix}Type")
    if name in _BINANCE_ONLY or name not in _LEG_TYPES:
        raise errors.invalid_order_type()
    kind = _LEG_TYPES[name]
    price = _price(raw, f"{prefix}Price")
    if kind is OrderType.LIMIT_MAKER:
        for extra in (f"{prefix}StopPrice", f"{prefix}TimeInForce"):
            if raw.has(extra):
                raise errors.not_required(extra)
        stop, tif = None, TimeInForce.GTC
    else:
        stop = _price(raw, f"{prefix}StopPrice")
        tif = params.choice(raw, f"{prefix}TimeInForce", params.TIME_IN_FORCE, errors.invalid_tif())
    return Leg(kind, price, stop, tif, params.client_id(raw, f"{prefix}ClientOrderId"))


def _checked(oco: NewOco) -> NewOco:
    """One stop-loss leg, on the side where a stop-loss waits; the other leg opposite."""
    stop_loss_above = oco.side is OrderSide.BUY
    expected_stop_loss = oco.above if stop_loss_above else oco.below
    other = oco.below if stop_loss_above else oco.above
    if not expected_stop_loss.is_stop_loss or other.is_stop_loss:
        raise errors.invalid_order_type()
    return oco


def _price(raw: RawParams, name: str) -> Decimal:
    value = params.decimal(raw, name, required=True)
    assert value is not None
    if value == 0:
        raise errors.invalid_value("price")
    return value


def _read_ignored(raw: RawParams, names: tuple[str, ...]) -> None:
    for name in names:
        raw.get(name)


@dataclass(frozen=True, slots=True)
class ListRef:
    list_id: int | None
    list_client_id: str | None


def list_ref(raw: RawParams, client_id_name: str) -> ListRef:
    """``orderListId`` or the list's client id (``origClientOrderId`` on GET,
    ``listClientOrderId`` on DELETE)."""
    list_id = params.integer(raw, "orderListId")
    client = raw.get(client_id_name)
    if list_id is None and client is None:
        raise errors.one_of("orderListId", client_id_name)
    return ListRef(list_id, client)


@dataclass(frozen=True, slots=True)
class CancelList:
    symbol: str
    ref: ListRef
    new_client_order_id: str | None


def cancel_list(raw: RawParams, known: Collection[str]) -> CancelList:
    symbol = params.symbol(raw, known)
    ref = list_ref(raw, "listClientOrderId")
    return CancelList(symbol, ref, params.client_id(raw, "newClientOrderId"))


@dataclass(frozen=True, slots=True)
class ListHistory:
    from_id: int | None
    start_ms: int | None
    end_ms: int | None
    limit: int


def list_history(raw: RawParams) -> ListHistory:
    from_id = params.integer(raw, "fromId")
    start, end = params.integer(raw, "startTime"), params.integer(raw, "endTime")
    if from_id is not None and (start is not None or end is not None):
        raise errors.BinanceError(
            -1106, "Parameter 'startTime' sent when not required."
        )  # Binance: fromId excludes a time range
    if start is not None and end is not None and start > end:
        raise errors.BinanceError(-1023, "Start time is greater than end time.")
    return ListHistory(from_id, start, end, params.limit(raw, 500, 1000))

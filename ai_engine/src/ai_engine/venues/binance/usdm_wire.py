"""Binance USD-M (``/fapi``) orders, algo orders, fills, balances and positions.

Regular orders (``/fapi/v1/order``): MARKET, LIMIT (GTC/IOC/FOK/GTX), LIMIT_MAKER -> LIMIT GTX;
sent with ``newOrderRespType=RESULT`` (Binance's default ACK would not say whether a market
order filled). Conditional orders go to the algo service (``/fapi/v1/algoOrder``, python-binance
``futures_create_algo_order``), with ``clientAlgoId`` = our client order id: STOP_MARKET,
TAKE_PROFIT_MARKET, TRAILING_STOP_MARKET (``callbackRate``; ``stop_price`` = activation price),
STOP_LIMIT -> STOP, TAKE_PROFIT_LIMIT -> TAKE_PROFIT. An algo order's venue id is
``algo-<algoId>`` (its own id space); when it fires, the order it places is reported as
``triggered_order_id`` and the fills belong to that order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ai_engine.domain import (
    Fill,
    InstrumentId,
    LiquiditySide,
    Money,
    Order,
    OrderStatus,
    OrderType,
    PositionSide,
    Quantity,
    TimeInForce,
)
from ai_engine.execution import (
    AccountSnapshot,
    Balance,
    MarginType,
    OrderReport,
    PositionReport,
    UnsupportedOrder,
)
from ai_engine.venues.binance.wire import (
    SIDE_NAMES,
    SIDES,
    STATUSES,
    TIF_NAMES,
    TIME_IN_FORCE,
    Reader,
    wire_decimal,
)

REGULAR_TYPES = {"MARKET": OrderType.MARKET, "LIMIT": OrderType.LIMIT}
CONDITIONAL_NAMES = {
    OrderType.STOP_MARKET: "STOP_MARKET",
    OrderType.TAKE_PROFIT_MARKET: "TAKE_PROFIT_MARKET",
    OrderType.TRAILING_STOP_MARKET: "TRAILING_STOP_MARKET",
    OrderType.STOP_LIMIT: "STOP",
    OrderType.TAKE_PROFIT_LIMIT: "TAKE_PROFIT",
}
CONDITIONAL_TYPES = {name: kind for kind, name in CONDITIONAL_NAMES.items()}
ALGO_STATUSES = {
    "NEW": OrderStatus.ACCEPTED,
    "TRIGGERED": OrderStatus.ACCEPTED,  # fired: the order it placed is working
    "FINISHED": OrderStatus.FILLED,  # fired and its order is done: see triggered_order_id
    "CANCELED": OrderStatus.CANCELED,
    "EXPIRED": OrderStatus.EXPIRED,
    "REJECTED": OrderStatus.REJECTED,
}
ALGO_PREFIX = "algo-"
CLOSE_POSITION_TYPES = frozenset({OrderType.STOP_MARKET, OrderType.TAKE_PROFIT_MARKET})
MARGIN_TYPE_NAMES = {MarginType.CROSS: "CROSSED", MarginType.ISOLATED: "ISOLATED"}
_USDM_TIF = frozenset({TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.GTX})


def is_conditional(order: Order) -> bool:
    return order.order_type in CONDITIONAL_NAMES


def order_params(order: Order) -> dict[str, Any]:
    """``futures_create_order`` keyword arguments of a regular order."""
    params: dict[str, Any] = {
        "symbol": order.instrument_id.symbol,
        "side": SIDE_NAMES[order.side],
        "quantity": wire_decimal(order.quantity.value),
        "newClientOrderId": order.client_order_id,
        "newOrderRespType": "RESULT",
    }
    if order.order_type is OrderType.MARKET:
        params["type"] = "MARKET"
    elif order.order_type in (OrderType.LIMIT, OrderType.LIMIT_MAKER):
        assert order.price is not None  # the domain Order guarantees it
        tif = TimeInForce.GTX if order.order_type is OrderType.LIMIT_MAKER else order.time_in_force
        params.update(type="LIMIT", price=wire_decimal(order.price.value), timeInForce=_tif(tif))
    else:
        raise UnsupportedOrder(f"{order.order_type} is a conditional (algo) order on USD-M")
    if order.reduce_only:
        params["reduceOnly"] = "true"
    return params


def algo_params(order: Order, *, close_position: bool = False) -> dict[str, Any]:
    """``futures_create_algo_order`` keyword arguments of a conditional order."""
    if order.order_type not in CONDITIONAL_NAMES:
        raise UnsupportedOrder(f"{order.order_type} is not a conditional order")
    params: dict[str, Any] = {
        "symbol": order.instrument_id.symbol,
        "side": SIDE_NAMES[order.side],
        "type": CONDITIONAL_NAMES[order.order_type],
        "clientAlgoId": order.client_order_id,
    }
    if close_position:
        if order.order_type not in CLOSE_POSITION_TYPES:
            raise UnsupportedOrder("close-position is for stop/take-profit market orders only")
        params["closePosition"] = "true"
    else:
        params["quantity"] = wire_decimal(order.quantity.value)
        if order.reduce_only:
            params["reduceOnly"] = "true"
    if order.order_type is OrderType.TRAILING_STOP_MARKET:
        assert order.callback_rate is not None
        params["callbackRate"] = wire_decimal(order.callback_rate)
        if order.stop_price is not None:
            params["activatePrice"] = wire_decimal(order.stop_price.value)
    else:
        assert order.stop_price is not None
        params["triggerPrice"] = wire_decimal(order.stop_price.value)
    if order.price is not None:
        params.update(price=wire_decimal(order.price.value), timeInForce=_tif(order.time_in_force))
    return params


def _tif(tif: TimeInForce) -> str:
    if tif not in _USDM_TIF:
        raise UnsupportedOrder(f"USD-M has no {tif} time in force")
    return TIF_NAMES[tif]


def order_report(body: object, instrument_id: InstrumentId, endpoint: str) -> OrderReport:
    """A regular order answer (RESULT placement, query, cancel, open orders)."""
    r = Reader(body, endpoint)
    return OrderReport(
        client_order_id=r.text("clientOrderId"),
        venue_order_id=r.ident("orderId"),
        instrument_id=instrument_id,
        side=r.choice("side", SIDES),
        order_type=r.choice("type", {**REGULAR_TYPES, **CONDITIONAL_TYPES}),
        status=r.choice("status", STATUSES),
        venue_status=r.text("status"),
        quantity=r.quantity("origQty"),
        filled_quantity=r.quantity("executedQty"),
        filled_notional=r.decimal("cumQuote"),
        price=r.price_or_none("price"),
        stop_price=r.price_or_none("stopPrice"),
        time_in_force=r.choice("timeInForce", TIME_IN_FORCE),
        reduce_only=r.flag("reduceOnly"),
        close_position=r.flag("closePosition"),
        created_at=r.time_of("time", "updateTime"),
        updated_at=r.time_of("updateTime", "time"),
    )


def algo_report(body: object, instrument_id: InstrumentId, endpoint: str) -> OrderReport:
    """An algo order answer (placement, query, open algo orders)."""
    r = Reader(body, endpoint)
    close = r.flag("closePosition")
    quantity = r.quantity("quantity")
    fired = r.ident("actualOrderId") if r.has("actualOrderId") else None
    kind: OrderType = r.choice("orderType", CONDITIONAL_TYPES)
    trailing = kind is OrderType.TRAILING_STOP_MARKET
    return OrderReport(
        client_order_id=r.text("clientAlgoId"),
        venue_order_id=ALGO_PREFIX + r.ident("algoId"),
        instrument_id=instrument_id,
        side=r.choice("side", SIDES),
        order_type=kind,
        status=r.choice("algoStatus", ALGO_STATUSES),
        venue_status=r.text("algoStatus"),
        quantity=None if close and quantity.is_zero() else quantity,
        filled_quantity=Quantity(0),
        filled_notional=Decimal(0),
        price=r.price_or_none("price"),
        stop_price=r.price_or_none("activatePrice" if trailing else "triggerPrice"),
        time_in_force=r.choice("timeInForce", TIME_IN_FORCE),
        reduce_only=r.flag("reduceOnly"),
        close_position=close,
        is_conditional=True,
        triggered_order_id=fired,
        created_at=r.time_of("createTime", "updateTime"),
        updated_at=r.time_of("updateTime", "createTime"),
    )


def trade_fill(body: object, instrument_id: InstrumentId, client_id: str) -> Fill:
    """One ``userTrades`` entry (the caller found the client id of its ``orderId``)."""
    t = Reader(body, "userTrades")
    return Fill(
        client_order_id=client_id,
        venue_order_id=t.ident("orderId"),
        trade_id=t.ident("id"),
        instrument_id=instrument_id,
        side=t.choice("side", SIDES),
        price=t.price("price"),
        quantity=t.quantity("qty"),
        fee=Money(t.decimal("commission"), t.text("commissionAsset")),
        liquidity=LiquiditySide.MAKER if t.flag("maker") else LiquiditySide.TAKER,
        ts=t.time("time"),
    )


def balances(body: object) -> AccountSnapshot:
    """``/fapi/v3/balance``: wallet balance, available balance and unrealised P&L per asset."""
    if not isinstance(body, list):
        raise Reader({}, "balance").fail("expected a list")
    found = []
    latest = None
    for row in body:
        b = Reader(row, "balance")
        total, unrealised = b.decimal("balance"), b.decimal("crossUnPnl")
        if total or unrealised:
            found.append(Balance(b.text("asset"), total, b.decimal("availableBalance"), unrealised))
        if b.has("updateTime") and b.integer("updateTime") > 0:
            seen = b.time("updateTime")
            latest = seen if latest is None or seen > latest else latest
    return AccountSnapshot(tuple(found), latest)


def position_report(
    body: object, instrument_id: InstrumentId, settings: dict[str, tuple[int, MarginType]]
) -> PositionReport | None:
    """A ``positionRisk`` (v3) row; None when flat. ``settings``: leverage and margin type per
    symbol, from the account answer (v3 rows do not carry them)."""
    r = Reader(body, "positionRisk")
    amount = r.decimal("positionAmt")
    if amount == 0:
        return None
    leverage, margin = settings.get(instrument_id.symbol, (None, None))
    return PositionReport(
        instrument_id=instrument_id,
        side=PositionSide.LONG if amount > 0 else PositionSide.SHORT,
        quantity=Quantity(abs(amount)),
        entry_price=r.price_or_none("entryPrice"),
        mark_price=r.price_or_none("markPrice"),
        unrealised_pnl=r.decimal("unRealizedProfit"),
        liquidation_price=r.price_or_none("liquidationPrice"),
        leverage=leverage,
        margin_type=margin,
        isolated_margin=r.decimal("isolatedMargin") if r.has("isolatedMargin") else Decimal(0),
        updated_at=r.time("updateTime")
        if r.has("updateTime") and r.integer("updateTime")
        else None,
    )


def position_settings(body: object) -> dict[str, tuple[int, MarginType]]:
    """Leverage and margin type per symbol from ``/fapi/v2/account`` ``positions``."""
    a = Reader(body, "account")
    rows = a.raw("positions")
    if not isinstance(rows, list):
        raise a.fail("'positions' should be a list")
    found = {}
    for row in rows:
        p = Reader(row, "account positions")
        margin = MarginType.ISOLATED if p.flag("isolated") else MarginType.CROSS
        found[p.text("symbol")] = (int(p.decimal("leverage")), margin)
    return found

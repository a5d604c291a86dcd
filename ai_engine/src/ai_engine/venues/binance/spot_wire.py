"""Binance spot (``/api/v3``) orders, fills and balances: domain types in, domain types out.

Order types: MARKET, LIMIT (GTC/IOC/FOK), LIMIT_MAKER, STOP_MARKET -> STOP_LOSS,
STOP_LIMIT -> STOP_LOSS_LIMIT, TAKE_PROFIT_MARKET -> TAKE_PROFIT, TAKE_PROFIT_LIMIT. Spot has
no trailing stop of this shape, no post-only time in force and no reduce-only: those raise
``UnsupportedOrder`` before anything is sent. Orders go out with ``newOrderRespType=FULL`` so
the answer carries the fills made at placement; those are taker fills by construction (an
arriving order takes), timed at ``transactTime``.
"""

from __future__ import annotations

from typing import Any

from ai_engine.domain import (
    Fill,
    InstrumentId,
    LiquiditySide,
    Money,
    Order,
    OrderSide,
    OrderType,
    TimeInForce,
)
from ai_engine.execution import AccountSnapshot, Balance, OrderReport, UnsupportedOrder
from ai_engine.venues.binance.wire import (
    SIDE_NAMES,
    SIDES,
    STATUSES,
    TIF_NAMES,
    TIME_IN_FORCE,
    Reader,
    wire_decimal,
)

TYPE_NAMES = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.LIMIT_MAKER: "LIMIT_MAKER",
    OrderType.STOP_MARKET: "STOP_LOSS",
    OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT",
    OrderType.TAKE_PROFIT_MARKET: "TAKE_PROFIT",
    OrderType.TAKE_PROFIT_LIMIT: "TAKE_PROFIT_LIMIT",
}
TYPES = {name: kind for kind, name in TYPE_NAMES.items()}
_WITH_TIF = frozenset({OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT})
_SPOT_TIF = frozenset({TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK})


def order_params(order: Order) -> dict[str, Any]:
    """``create_order`` keyword arguments for ``order`` (its client id included)."""
    if order.order_type not in TYPE_NAMES:
        raise UnsupportedOrder(f"spot has no {order.order_type} orders")
    if order.reduce_only:
        raise UnsupportedOrder("spot orders cannot be reduce-only")
    params: dict[str, Any] = {
        "symbol": order.instrument_id.symbol,
        "side": SIDE_NAMES[order.side],
        "type": TYPE_NAMES[order.order_type],
        "quantity": wire_decimal(order.quantity.value),
        "newClientOrderId": order.client_order_id,
        "newOrderRespType": "FULL",
    }
    if order.price is not None:
        params["price"] = wire_decimal(order.price.value)
    if order.stop_price is not None:
        params["stopPrice"] = wire_decimal(order.stop_price.value)
    if order.order_type in _WITH_TIF:
        if order.time_in_force not in _SPOT_TIF:
            raise UnsupportedOrder(f"spot has no {order.time_in_force} time in force")
        params["timeInForce"] = TIF_NAMES[order.time_in_force]
    return params


def order_report(
    body: object, instrument_id: InstrumentId, endpoint: str, sent: Order | None = None
) -> OrderReport:
    """An order answer (FULL placement, query, cancel, open orders) as an ``OrderReport``.

    A cancel answer's ``clientOrderId`` is the cancel request's id; the order's own is
    ``origClientOrderId``, which is therefore preferred."""
    r = Reader(body, endpoint)
    client_id = (
        r.text("origClientOrderId") if r.has("origClientOrderId") else r.text("clientOrderId")
    )
    venue_id = r.ident("orderId")
    side: OrderSide = r.choice("side", SIDES)
    order_type: OrderType = r.choice("type", TYPES)
    stop = r.price_or_none("stopPrice")
    if stop is None and sent is not None:
        stop = sent.stop_price  # FULL answers do not repeat the stop price
    created = r.time_of("time", "transactTime", "workingTime")
    fills = tuple(
        _placement_fill(fill, client_id, venue_id, instrument_id, side, r)
        for fill in r.body.get("fills") or ()
    )
    return OrderReport(
        client_order_id=client_id,
        venue_order_id=venue_id,
        instrument_id=instrument_id,
        side=side,
        order_type=order_type,
        status=r.choice("status", STATUSES),
        venue_status=r.text("status"),
        quantity=r.quantity("origQty"),
        filled_quantity=r.quantity("executedQty"),
        filled_notional=r.decimal("cummulativeQuoteQty"),
        price=r.price_or_none("price"),
        stop_price=stop,
        time_in_force=r.choice("timeInForce", TIME_IN_FORCE),
        reduce_only=False,
        created_at=created,
        updated_at=r.time_of("updateTime", "transactTime", "workingTime", "time"),
        fills=fills,
    )


def _placement_fill(
    body: object,
    client_id: str,
    venue_id: str,
    instrument_id: InstrumentId,
    side: OrderSide,
    order: Reader,
) -> Fill:
    f = Reader(body, f"{order.endpoint} fills")
    return Fill(
        client_order_id=client_id,
        venue_order_id=venue_id,
        trade_id=f.ident("tradeId"),
        instrument_id=instrument_id,
        side=side,
        price=f.price("price"),
        quantity=f.quantity("qty"),
        fee=Money(f.decimal("commission"), f.text("commissionAsset")),
        liquidity=LiquiditySide.TAKER,
        ts=order.time("transactTime"),
    )


def trade_fill(body: object, instrument_id: InstrumentId, client_id: str) -> Fill:
    """One ``myTrades`` entry (the caller found the client id of its ``orderId``)."""
    t = Reader(body, "myTrades")
    return Fill(
        client_order_id=client_id,
        venue_order_id=t.ident("orderId"),
        trade_id=t.ident("id"),
        instrument_id=instrument_id,
        side=OrderSide.BUY if t.flag("isBuyer") else OrderSide.SELL,
        price=t.price("price"),
        quantity=t.quantity("qty"),
        fee=Money(t.decimal("commission"), t.text("commissionAsset")),
        liquidity=LiquiditySide.MAKER if t.flag("isMaker") else LiquiditySide.TAKER,
        ts=t.time("time"),
    )


def account_snapshot(body: object) -> AccountSnapshot:
    a = Reader(body, "account")
    rows = a.raw("balances")
    if not isinstance(rows, list):
        raise a.fail("'balances' should be a list")
    balances = []
    for row in rows:
        b = Reader(row, "account balances")
        free, locked = b.decimal("free"), b.decimal("locked")
        if free or locked:
            balances.append(Balance(b.text("asset"), free + locked, free))
    updated = a.time("updateTime") if a.has("updateTime") and a.integer("updateTime") > 0 else None
    return AccountSnapshot(tuple(balances), updated)

"""Binance's JSON shapes for orders, fills, trades and the account (spot REST).

Order and trade times are REPLAY times (when it happened in the replayed market).
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import OrderSide, OrderStatus, OrderType, TimeInForce
from ai_engine.matching import Execution, FeeRates, Ledger, SimOrder
from ai_engine.matching.futures.records import FuturesTrade
from ai_engine.simexchange.wire import Json, num

STATUS = {
    OrderStatus.ACCEPTED: "NEW",
    OrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED",
    OrderStatus.FILLED: "FILLED",
    OrderStatus.CANCELED: "CANCELED",
    OrderStatus.EXPIRED: "EXPIRED",
    OrderStatus.REJECTED: "REJECTED",
}
TYPE = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.LIMIT_MAKER: "LIMIT_MAKER",
    OrderType.STOP_MARKET: "STOP_LOSS",
    OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT",
    OrderType.TAKE_PROFIT_LIMIT: "TAKE_PROFIT_LIMIT",
}
SIDE = {OrderSide.BUY: "BUY", OrderSide.SELL: "SELL"}
TIF = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}
_STOPS = (OrderType.STOP_MARKET, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT)


# -- orders ----------------------------------------------------------------------------------


def order_ack(order: SimOrder) -> Json:
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": order.client_order_id,
        "transactTime": order.time_ms,
    }


def order_result(order: SimOrder) -> Json:
    return {
        **order_ack(order),
        **_order_terms(order),
        "workingTime": _working(order),
        "selfTradePreventionMode": "NONE",
    }


def order_full(order: SimOrder, fills: tuple[Execution, ...]) -> Json:
    return {**order_result(order), "fills": [fill_entry(fill) for fill in fills]}


def fill_entry(fill: Execution) -> Json:
    return {
        "price": num(fill.price),
        "qty": num(fill.quantity),
        "commission": num(fill.commission),
        "commissionAsset": fill.commission_asset,
        "tradeId": fill.trade_id,
    }


def order_status(order: SimOrder) -> Json:
    """GET order / openOrders / allOrders entry."""
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": order.client_order_id,
        "price": num(order.price),
        "origQty": num(order.quantity),
        "executedQty": num(order.executed_quantity),
        "cummulativeQuoteQty": num(order.cumulative_quote),
        "status": STATUS[order.status],
        "timeInForce": TIF[order.time_in_force],
        "type": TYPE[order.order_type],
        "side": SIDE[order.side],
        "stopPrice": num(order.stop_price),
        "icebergQty": num(Decimal(0)),
        "time": order.time_ms,
        "updateTime": order.update_ms,
        "isWorking": order.is_working,
        "workingTime": _working(order),
        "origQuoteOrderQty": num(order.quote_quantity),
        "selfTradePreventionMode": "NONE",
    }


def canceled(order: SimOrder, cancel_id: str, now_ms: int) -> Json:
    return {
        "symbol": order.symbol,
        "origClientOrderId": order.client_order_id,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": cancel_id,
        "transactTime": now_ms,
        **_order_terms(order),
        "selfTradePreventionMode": "NONE",
    }


def _order_terms(order: SimOrder) -> Json:
    """Price, quantities, state and kind, in the order the new-order and cancel replies list them
    (``stopPrice`` only for stop orders)."""
    body: Json = {
        "price": num(order.price),
        "origQty": num(order.quantity),
        "executedQty": num(order.executed_quantity),
        "origQuoteOrderQty": num(order.quote_quantity),
        "cummulativeQuoteQty": num(order.cumulative_quote),
        "status": STATUS[order.status],
        "timeInForce": TIF[order.time_in_force],
        "type": TYPE[order.order_type],
        "side": SIDE[order.side],
    }
    if order.order_type in _STOPS:
        body["stopPrice"] = num(order.stop_price)
    return body


def _working(order: SimOrder) -> int:
    return -1 if order.working_ms is None else order.working_ms


# -- account ---------------------------------------------------------------------------------


def account(ledger: Ledger, fees: FeeRates, update_ms: int, uid: int, *, omit_zero: bool) -> Json:
    balances = [
        {"asset": asset, "free": num(free), "locked": num(locked)}
        for asset, free, locked in ledger
        if not (omit_zero and free == 0 and locked == 0)
    ]
    return {
        "makerCommission": _bips(fees.maker),
        "takerCommission": _bips(fees.taker),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": num(fees.maker),
            "taker": num(fees.taker),
            "buyer": num(Decimal(0)),
            "seller": num(Decimal(0)),
        },
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": update_ms,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": uid,
    }


def _bips(rate: Decimal) -> int:
    """Binance's legacy integer commission field: the rate in hundredths of a percent."""
    return int(rate * 10_000)


def my_trade(fill: Execution) -> Json:
    return {
        "symbol": fill.symbol,
        "id": fill.trade_id,
        "orderId": fill.order_id,
        "orderListId": -1,
        "price": num(fill.price),
        "qty": num(fill.quantity),
        "quoteQty": num(fill.quote_quantity),
        "commission": num(fill.commission),
        "commissionAsset": fill.commission_asset,
        "time": fill.ts_ms,
        "isBuyer": fill.side is OrderSide.BUY,
        "isMaker": fill.is_maker,
        "isBestMatch": True,
    }


def fill_log_entry(fill: Execution | FuturesTrade) -> Json:
    """One line of ``GET /sim/fills`` (keys sorted when dumped): a spot execution or a USD-M
    trade (``?market=usdm``), in the same shape."""
    return {
        "seq": fill.seq,
        "time": fill.ts_ms,
        "account": fill.account_id,
        "symbol": fill.symbol,
        "orderId": fill.order_id,
        "clientOrderId": fill.client_order_id,
        "tradeId": fill.trade_id,
        "side": SIDE[fill.side],
        "price": num(fill.price),
        "qty": num(fill.quantity),
        "quoteQty": num(fill.quote_quantity),
        "commission": num(fill.commission),
        "commissionAsset": fill.commission_asset,
        "isMaker": fill.is_maker,
    }

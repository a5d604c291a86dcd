"""Binance's USD-M JSON shapes for orders, algo orders, trades and income.

Order and trade times are REPLAY times. ``avgPrice`` and ``cumQuote`` print with 5 decimals
as ``fapi`` does for BTCUSDT; prices and quantities with the symbol's precisions.
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import OrderSide, OrderStatus, OrderType, TimeInForce
from ai_engine.matching.futures import (
    AlgoOrder,
    AlgoStatus,
    FuturesOrder,
    FuturesTrade,
    Income,
    WorkingType,
)
from ai_engine.simexchange.futures.symbols import FuturesSymbolSpec
from ai_engine.simexchange.futures.wire_market import fixed, price, qty, usd
from ai_engine.simexchange.wire import Json

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
    OrderType.STOP_MARKET: "STOP_MARKET",
    OrderType.TAKE_PROFIT_MARKET: "TAKE_PROFIT_MARKET",
    OrderType.TRAILING_STOP_MARKET: "TRAILING_STOP_MARKET",
}
SIDE = {OrderSide.BUY: "BUY", OrderSide.SELL: "SELL"}
TIF = {
    TimeInForce.GTC: "GTC",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
    TimeInForce.GTX: "GTX",
}
WORKING = {WorkingType.CONTRACT_PRICE: "CONTRACT_PRICE", WorkingType.MARK_PRICE: "MARK_PRICE"}
ALGO_STATUS = {
    AlgoStatus.NEW: "NEW",
    AlgoStatus.TRIGGERED: "TRIGGERED",
    AlgoStatus.FINISHED: "FINISHED",
    AlgoStatus.CANCELED: "CANCELED",
    AlgoStatus.EXPIRED: "EXPIRED",
}


def avg(value: Decimal) -> str:
    return fixed(value, 5)


def _common(spec: FuturesSymbolSpec, order: FuturesOrder) -> Json:
    body: Json = {
        "orderId": order.order_id,
        "symbol": order.symbol,
        "status": STATUS[order.status],
        "clientOrderId": order.client_order_id,
        "price": price(spec, order.price),
        "avgPrice": avg(order.avg_price),
        "origQty": qty(spec, order.quantity),
        "executedQty": qty(spec, order.executed_quantity),
    }
    return body


def _tail(spec: FuturesSymbolSpec, order: FuturesOrder) -> Json:
    body: Json = {
        "timeInForce": TIF[order.time_in_force],
        "type": TYPE[order.order_type],
        "reduceOnly": order.reduce_only,
        "closePosition": order.close_position,
        "side": SIDE[order.side],
        "positionSide": "BOTH",
        "stopPrice": price(spec, order.stop_price),
        "workingType": WORKING[order.working_type],
        "priceProtect": False,
        "origType": TYPE[order.orig_type],
    }
    if order.orig_type is OrderType.TRAILING_STOP_MARKET:
        body["activatePrice"] = price(spec, order.activate_price)
        body["priceRate"] = fixed(order.price_rate, 1)
    body.update(priceMatch="NONE", selfTradePreventionMode="NONE", goodTillDate=0)
    return body


def order_response(spec: FuturesSymbolSpec, order: FuturesOrder) -> Json:
    """POST/DELETE ``/fapi/v1/order``: the order after the request."""
    return {
        **_common(spec, order),
        "cumQty": qty(spec, order.executed_quantity),
        "cumQuote": avg(order.cumulative_quote),
        **_tail(spec, order),
        "updateTime": order.update_ms,
    }


def order_status(spec: FuturesSymbolSpec, order: FuturesOrder) -> Json:
    """GET ``/fapi/v1/order``, ``openOrders``, ``allOrders`` entries."""
    return {
        **_common(spec, order),
        "cumQuote": avg(order.cumulative_quote),
        **_tail(spec, order),
        "time": order.time_ms,
        "updateTime": order.update_ms,
    }


def algo_order(spec: FuturesSymbolSpec, algo: AlgoOrder, *, query: bool = False) -> Json:
    """``/fapi/v1/algoOrder`` answers; ``query`` adds what a GET shows of the fired order."""
    body: Json = {
        "algoId": algo.algo_id,
        "clientAlgoId": algo.client_algo_id,
        "algoType": "CONDITIONAL",
        "orderType": TYPE[algo.order_type],
        "symbol": algo.symbol,
        "side": SIDE[algo.side],
        "positionSide": "BOTH",
        "timeInForce": TIF[algo.time_in_force],
        "quantity": qty(spec, algo.quantity),
        "algoStatus": ALGO_STATUS[algo.status],
    }
    if query:
        fired = algo.actual_order_id is not None
        body["actualOrderId"] = str(algo.actual_order_id) if fired else ""
        body["actualPrice"] = price(spec, algo.actual_price)
        if fired:
            body["actualType"] = "MARKET"
            body["actualQty"] = qty(spec, algo.actual_quantity)
    body.update(
        {
            "triggerPrice": price(spec, algo.trigger_price),
            "price": price(spec, Decimal(0)),
            "icebergQuantity": None,
            "selfTradePreventionMode": "NONE",
            "workingType": WORKING[algo.working_type],
            "priceMatch": "NONE",
            "closePosition": algo.close_position,
            "priceProtect": False,
            "reduceOnly": algo.reduce_only,
            "activatePrice": price(spec, algo.activate_price) if algo.activate_price else "",
            "callbackRate": fixed(algo.callback_rate, 1) if algo.callback_rate else "",
            "createTime": algo.create_ms,
            "updateTime": algo.update_ms,
            "triggerTime": algo.trigger_ms,
            "goodTillDate": 0,
        }
    )
    return body


def algo_canceled(algo: AlgoOrder) -> Json:
    return {
        "algoId": algo.algo_id,
        "clientAlgoId": algo.client_algo_id,
        "code": "200",
        "msg": "success",
    }


def user_trade(spec: FuturesSymbolSpec, trade: FuturesTrade) -> Json:
    return {
        "buyer": trade.side is OrderSide.BUY,
        "commission": usd(trade.commission),
        "commissionAsset": trade.commission_asset,
        "id": trade.trade_id,
        "maker": trade.is_maker,
        "orderId": trade.order_id,
        "price": price(spec, trade.price),
        "qty": qty(spec, trade.quantity),
        "quoteQty": usd(trade.quote_quantity),
        "realizedPnl": usd(trade.realised_pnl),
        "side": SIDE[trade.side],
        "positionSide": "BOTH",
        "symbol": trade.symbol,
        "time": trade.ts_ms,
    }


def income(entry: Income) -> Json:
    return {
        "symbol": entry.symbol,
        "incomeType": entry.income_type.value.upper(),
        "income": usd(entry.amount),
        "asset": entry.asset,
        "info": entry.info or ("TRADE" if entry.trade_id is not None else ""),
        "time": entry.time_ms,
        "tranId": entry.tran_id,
        "tradeId": "" if entry.trade_id is None else str(entry.trade_id),
    }

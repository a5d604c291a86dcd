"""Binance's JSON shapes for order lists (OCO): the list status, its orders, its reports.

``transactionTime`` is the replay time of the list's last change (placement, the fill or
trigger that finished it, or its cancel), like the order times of ``wire_orders``.
"""

from __future__ import annotations

from ai_engine.matching import SimOrder
from ai_engine.matching.order_lists import OrderList
from ai_engine.simexchange import wire_orders
from ai_engine.simexchange.wire import Json


def status(order_list: OrderList, legs: list[SimOrder]) -> Json:
    """GET orderList / allOrderList / openOrderList entry."""
    done = order_list.done
    return {
        "orderListId": order_list.list_id,
        "contingencyType": "OCO",
        "listStatusType": "ALL_DONE" if done else "EXEC_STARTED",
        "listOrderStatus": "ALL_DONE" if done else "EXECUTING",
        "listClientOrderId": order_list.list_client_id,
        "transactionTime": order_list.update_ms,
        "symbol": order_list.symbol,
        "orders": [
            {"symbol": leg.symbol, "orderId": leg.order_id, "clientOrderId": leg.client_order_id}
            for leg in legs
        ],
    }


def placed(order_list: OrderList, legs: list[SimOrder]) -> Json:
    """The answer to a new OCO: the list and one report per leg (RESULT shape)."""
    return {
        **status(order_list, legs),
        "orderReports": [wire_orders.order_result(leg) for leg in legs],
    }


def canceled(order_list: OrderList, legs: list[SimOrder], cancel_ids: list[str]) -> Json:
    reports = [
        wire_orders.canceled(leg, cancel_id, order_list.update_ms)
        for leg, cancel_id in zip(legs, cancel_ids, strict=True)
    ]
    return {**status(order_list, legs), "orderReports": reports}

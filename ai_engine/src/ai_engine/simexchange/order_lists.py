"""The order-list endpoints (spot OCO): place, query, list and cancel.

POST   /api/v3/orderList/oco   new OCO (above/below legs; python-binance's create_oco_order)
POST   /api/v3/order/oco       new OCO, legacy spelling (price / stopPrice / stopLimitPrice)
GET    /api/v3/orderList       one list by orderListId or origClientOrderId
DELETE /api/v3/orderList       cancel a list (both legs) by orderListId or listClientOrderId
GET    /api/v3/allOrderList    lists by fromId or time range
GET    /api/v3/openOrderList   lists still executing

The engine side (one lock, the first leg to fire cancels the other) is
``ai_engine.matching.order_lists``; the parsing is ``order_list_params``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ai_engine.matching import SubmitResult
from ai_engine.matching.order_lists import OrderList
from ai_engine.simexchange import errors, order_list_params, order_list_wire, trading
from ai_engine.simexchange.order_list_params import CancelList, ListHistory, ListRef, NewOco
from ai_engine.simexchange.params import RawParams
from ai_engine.simexchange.spot_api import Call, Endpoint, Reply, fixed

_PRICES_WRONG = "The relationship of the prices for the orders is not correct."


def _no_such_list(code: int) -> errors.BinanceError:
    return errors.BinanceError(code, "Order list does not exist.")


def _new_args(
    parse: Callable[[RawParams, Any], NewOco],
) -> Callable[[RawParams, Call], tuple[NewOco, str]]:
    def parse_call(raw: RawParams, call: Call) -> tuple[NewOco, str]:
        return parse(raw, call.exchange.specs), order_list_params.response_type(raw)

    return parse_call


def _place(call: Call, args: tuple[NewOco, str]) -> Reply:
    oco, _ = args  # every response type gets the reports: what clients read
    exchange = call.exchange
    for _leg in range(2):  # Binance counts both orders of the list
        call.state.orders.count(call.api_key)
    last = exchange.last_price(oco.symbol)
    if last is not None and not oco.above.level > last > oco.below.level:
        raise errors.order_rejected(_PRICES_WRONG)
    legs = oco.requests(call.api_key, exchange.new_client_order_id)
    for leg in legs:
        trading.test(exchange, leg)  # the symbol table's filters, with Binance's codes
    list_client_id = oco.list_client_id or exchange.new_client_order_id()
    with trading.binance_errors():
        order_list = exchange.engine.submit_oco(legs, list_client_id, exchange.now_ms())
    placed = exchange.engine.lists.legs(order_list)
    for order in placed:
        exchange.events.order_placed(SubmitResult(order, ()))  # user data streams
    return Reply(
        order_list_wire.placed(order_list, placed), call.state.orders.headers(call.api_key)
    )


def _find(call: Call, ref: ListRef, code: int) -> OrderList:
    lists = call.exchange.engine.lists
    found: OrderList | None
    if ref.list_id is not None:
        found = lists.get(call.api_key, ref.list_id)
        if found is not None and ref.list_client_id not in (None, found.list_client_id):
            found = None
    else:
        assert ref.list_client_id is not None
        found = lists.by_client_id(call.api_key, ref.list_client_id)
    if found is None:
        raise _no_such_list(code)
    return found


def _get_args(raw: RawParams, call: Call) -> ListRef:
    return order_list_params.list_ref(raw, "origClientOrderId")


def _get(call: Call, ref: ListRef) -> Any:
    order_list = _find(call, ref, -2013)
    return order_list_wire.status(order_list, call.exchange.engine.lists.legs(order_list))


def _cancel_args(raw: RawParams, call: Call) -> CancelList:
    return order_list_params.cancel_list(raw, call.exchange.specs)


def _cancel(call: Call, request: CancelList) -> Any:
    exchange = call.exchange
    order_list = _find(call, request.ref, -2011)
    if order_list.done or order_list.symbol != request.symbol:
        raise _no_such_list(-2011)
    first = order_list.order_ids[0]
    with trading.binance_errors():
        exchange.engine.cancel(
            call.api_key, order_list.symbol, order_id=first, now_ms=exchange.now_ms()
        )
    lists = exchange.engine.lists
    done = lists.get(call.api_key, order_list.list_id)
    assert done is not None
    legs = lists.legs(done)
    exchange.events.orders_canceled(legs)
    ids = [request.new_client_order_id or exchange.new_client_order_id() for _ in legs]
    return order_list_wire.canceled(done, legs, ids)


def _history_args(raw: RawParams, call: Call) -> ListHistory:
    return order_list_params.list_history(raw)


def _all(call: Call, query: ListHistory) -> Any:
    lists = call.exchange.engine.lists
    found = lists.of_account(call.api_key)
    if query.from_id is not None:
        found = [lst for lst in found if lst.list_id >= query.from_id][: query.limit]
    else:
        start = query.start_ms if query.start_ms is not None else -(2**63)
        end = query.end_ms if query.end_ms is not None else 2**63
        found = [lst for lst in found if start <= lst.time_ms <= end]
        found = found[-query.limit :] if query.start_ms is None else found[: query.limit]
    return [order_list_wire.status(lst, lists.legs(lst)) for lst in found]


def _nothing(raw: RawParams, call: Call) -> None:
    return None


def _open(call: Call, _: None) -> Any:
    lists = call.exchange.engine.lists
    return [
        order_list_wire.status(lst, lists.legs(lst))
        for lst in lists.of_account(call.api_key)
        if not lst.done
    ]


ENDPOINTS: tuple[Endpoint[Any], ...] = (
    Endpoint("POST", "/api/v3/orderList/oco", fixed(1), _new_args(order_list_params.new_oco),
             _place, signed=True),
    Endpoint("POST", "/api/v3/order/oco", fixed(1), _new_args(order_list_params.legacy_oco),
             _place, signed=True),
    Endpoint("GET", "/api/v3/orderList", fixed(4), _get_args, _get, signed=True),
    Endpoint("DELETE", "/api/v3/orderList", fixed(1), _cancel_args, _cancel, signed=True),
    Endpoint("GET", "/api/v3/allOrderList", fixed(20), _history_args, _all, signed=True),
    Endpoint("GET", "/api/v3/openOrderList", fixed(6), _nothing, _open, signed=True),
)  # fmt: skip

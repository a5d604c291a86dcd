"""The signed ``/fapi`` order endpoints: regular orders, algo (conditional) orders, trades and
the dead-man switch. Paths and versions are what python-binance 1.0.37 calls.

A change of orders publishes the user data events at once (``FuturesVenue.publish``).
``newOrderRespType`` ACK (the default, as on Binance) answers the order as accepted -- NEW,
nothing executed yet -- even when it filled at once; RESULT answers its state after matching.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ai_engine.domain import OrderStatus
from ai_engine.matching.futures import AlgoOrder, AlgoRequest, FuturesOrder
from ai_engine.matching.futures.records import ZERO
from ai_engine.simexchange import params
from ai_engine.simexchange.futures import params as fparams
from ai_engine.simexchange.futures import wire_orders
from ai_engine.simexchange.futures.api_market import venue
from ai_engine.simexchange.futures.errors import futures_errors, no_such_order, unknown_order
from ai_engine.simexchange.futures.venue import FuturesVenue
from ai_engine.simexchange.params import RawParams
from ai_engine.simexchange.spot_api import Call, Endpoint, Reply, by_symbol, fixed

T = TypeVar("T")
DONE = {"code": 200, "msg": "The operation of cancel all open order is done."}


def _order_count(call: Call) -> dict[str, str]:
    key = "usdm:" + call.api_key  # futures orders count apart from spot ones
    call.state.orders.count(key)
    return call.state.orders.headers(key)


def _in_window(items: list[T], time_of: Callable[[T], int], query: fparams.History) -> list[T]:
    start = query.start_ms if query.start_ms is not None else -(2**63)
    end = query.end_ms if query.end_ms is not None else 2**63
    chosen = [item for item in items if start <= time_of(item) <= end]
    if query.start_ms is None:
        return chosen[-query.limit :]  # the latest, oldest first
    return chosen[: query.limit]


def _page(
    items: list[T], id_of: Callable[[T], int], time_of: Callable[[T], int], query: fparams.History
) -> list[T]:
    """Binance's history paging: from ``fromId`` on when given, else the time window."""
    if query.from_id is not None:
        return [item for item in items if id_of(item) >= query.from_id][: query.limit]
    return _in_window(items, time_of, query)


# -- regular orders ----------------------------------------------------------------------------


def _new_order_args(raw: RawParams, call: Call) -> fparams.NewOrder:
    futures = venue(call)
    return fparams.new_order(raw, futures.specs, call.api_key, call.exchange.new_client_order_id)


def _new_order(call: Call, new: fparams.NewOrder) -> Reply:
    headers = _order_count(call)
    futures = venue(call)
    request = new.order
    with futures_errors(futures.spec(request.symbol).instrument):
        result = futures.engine.submit(request, futures.now_ms())
    futures.order_placed(result)
    futures.publish(call.exchange.bus)
    order = result.order
    if new.response_type == "ACK":
        order = order.changed(
            status=OrderStatus.ACCEPTED,
            executed_quantity=ZERO,
            cumulative_quote=ZERO,
            update_ms=order.time_ms,
        )
    return Reply(wire_orders.order_response(futures.spec(request.symbol), order), headers)


def _test_order(call: Call, new: fparams.NewOrder) -> Any:
    """``POST /fapi/v1/order/test``: every check of a new order, no trading."""
    futures = venue(call)
    with futures_errors(futures.spec(new.order.symbol).instrument):
        futures.engine.check(new.order)
    return {}


def _order_ref(raw: RawParams, call: Call) -> fparams.OrderRef:
    return fparams.order_ref(raw, venue(call).specs)


def _get_order(call: Call, ref: fparams.OrderRef) -> Any:
    futures = venue(call)
    found = futures.engine.order(
        call.api_key, ref.symbol, order_id=ref.order_id, client_order_id=ref.client_id
    )
    if found is None:
        raise no_such_order()
    return wire_orders.order_status(futures.spec(ref.symbol), found)


def _cancel_order(call: Call, ref: fparams.OrderRef) -> Any:
    futures = venue(call)
    with futures_errors():
        canceled = futures.engine.cancel(
            call.api_key, ref.symbol, order_id=ref.order_id, client_order_id=ref.client_id,
            now_ms=futures.now_ms(),
        )  # fmt: skip
    futures.publish(call.exchange.bus)
    return wire_orders.order_response(futures.spec(ref.symbol), canceled)


def _symbol(raw: RawParams, call: Call) -> str:
    return params.symbol(raw, venue(call).specs)


def _optional_symbol(raw: RawParams, call: Call) -> str | None:
    return params.optional_symbol(raw, venue(call).specs)


def _statuses(futures: FuturesVenue, orders: list[FuturesOrder]) -> list[Any]:
    return [wire_orders.order_status(futures.spec(o.symbol), o) for o in orders]


def _open_orders(call: Call, symbol: str | None) -> Any:
    futures = venue(call)
    return _statuses(futures, futures.engine.open_orders(call.api_key, symbol))


def _all_orders_args(raw: RawParams, call: Call) -> fparams.History:
    return fparams.history(raw, venue(call).specs, id_name="orderId", default=500, maximum=1000)


def _all_orders(call: Call, query: fparams.History) -> Any:
    futures = venue(call)
    assert query.symbol is not None
    orders = futures.engine.orders(call.api_key, query.symbol)
    return _statuses(futures, _page(orders, lambda o: o.order_id, lambda o: o.time_ms, query))


def _cancel_all(call: Call, symbol: str) -> Any:
    futures = venue(call)
    futures.engine.cancel_all(call.api_key, symbol, futures.now_ms())
    futures.publish(call.exchange.bus)
    return dict(DONE)


def _countdown_args(raw: RawParams, call: Call) -> tuple[str, int]:
    return fparams.countdown(raw, venue(call).specs)


def _countdown(call: Call, args: tuple[str, int]) -> Any:
    symbol, length = args
    venue(call).countdown(call.api_key, symbol, length)
    return {"symbol": symbol, "countdownTime": str(length)}


def _trades_args(raw: RawParams, call: Call) -> tuple[fparams.History, int | None]:
    order_id = params.integer(raw, "orderId")
    query = fparams.history(raw, venue(call).specs, id_name="fromId", default=500, maximum=1000)
    return query, order_id


def _user_trades(call: Call, args: tuple[fparams.History, int | None]) -> Any:
    query, order_id = args
    futures = venue(call)
    assert query.symbol is not None
    trades = futures.engine.trades(call.api_key, query.symbol)
    if order_id is not None:
        trades = [t for t in trades if t.order_id == order_id]
    trades = _page(trades, lambda t: t.trade_id, lambda t: t.ts_ms, query)
    spec = futures.spec(query.symbol)
    return [wire_orders.user_trade(spec, trade) for trade in trades]


# -- algo orders -------------------------------------------------------------------------------


def _new_algo_args(raw: RawParams, call: Call) -> AlgoRequest:
    futures = venue(call)
    return fparams.new_algo(raw, futures.specs, call.api_key, call.exchange.new_client_order_id)


def _new_algo(call: Call, request: AlgoRequest) -> Reply:
    headers = _order_count(call)
    futures = venue(call)
    with futures_errors(futures.spec(request.symbol).instrument):
        algo = futures.engine.submit_algo(request, futures.now_ms())
    futures.publish(call.exchange.bus)
    return Reply(wire_orders.algo_order(futures.spec(algo.symbol), algo), headers)


def _algo_ref(raw: RawParams, call: Call) -> fparams.AlgoRef:
    return fparams.algo_ref(raw, venue(call).specs)


def _find_algo(call: Call, ref: fparams.AlgoRef) -> AlgoOrder | None:
    futures = venue(call)
    for symbol in [ref.symbol] if ref.symbol else list(futures.specs):
        found = futures.engine.algo(
            call.api_key, symbol, algo_id=ref.algo_id, client_algo_id=ref.client_id
        )
        if found is not None:
            return found
    return None


def _get_algo(call: Call, ref: fparams.AlgoRef) -> Any:
    found = _find_algo(call, ref)
    if found is None:
        raise no_such_order()
    return wire_orders.algo_order(venue(call).spec(found.symbol), found, query=True)


def _cancel_algo(call: Call, ref: fparams.AlgoRef) -> Any:
    found = _find_algo(call, ref)
    if found is None or not found.is_open:
        raise unknown_order()
    futures = venue(call)
    with futures_errors():
        canceled = futures.engine.cancel_algo(
            call.api_key, found.symbol, algo_id=found.algo_id, now_ms=futures.now_ms()
        )
    futures.publish(call.exchange.bus)
    return wire_orders.algo_canceled(canceled)


def _open_algos_args(raw: RawParams, call: Call) -> str | None:
    raw.get("algoType")
    return _optional_symbol(raw, call)


def _algo_rows(futures: FuturesVenue, algos: list[AlgoOrder]) -> list[Any]:
    return [wire_orders.algo_order(futures.spec(a.symbol), a, query=True) for a in algos]


def _open_algos(call: Call, symbol: str | None) -> Any:
    futures = venue(call)
    return _algo_rows(futures, futures.engine.open_algos(call.api_key, symbol))


def _all_algos_args(raw: RawParams, call: Call) -> fparams.History:
    return fparams.history(raw, venue(call).specs, id_name="algoId", default=100, maximum=100)


def _all_algos(call: Call, query: fparams.History) -> Any:
    futures = venue(call)
    assert query.symbol is not None
    algos = futures.engine.algos(call.api_key, query.symbol)
    return _algo_rows(futures, _page(algos, lambda a: a.algo_id, lambda a: a.create_ms, query))


def _cancel_all_algos(call: Call, symbol: str) -> Any:
    futures = venue(call)
    futures.engine.cancel_all_algos(call.api_key, symbol, futures.now_ms())
    futures.publish(call.exchange.bus)
    return dict(DONE)


def signed(
    method: str,
    path: str,
    weight: Callable[[RawParams], int],
    parse: Callable[[RawParams, Call], Any],
    handle: Callable[[Call, Any], Any],
) -> Endpoint[Any]:
    return Endpoint(method, path, weight, parse, handle, signed=True)


ENDPOINTS: tuple[Endpoint[Any], ...] = (
    signed("POST", "/fapi/v1/order", fixed(0), _new_order_args, _new_order),
    signed("POST", "/fapi/v1/order/test", fixed(0), _new_order_args, _test_order),
    signed("GET", "/fapi/v1/order", fixed(1), _order_ref, _get_order),
    signed("DELETE", "/fapi/v1/order", fixed(1), _order_ref, _cancel_order),
    signed("GET", "/fapi/v1/openOrders", by_symbol(1, 40), _optional_symbol, _open_orders),
    signed("GET", "/fapi/v1/allOrders", fixed(5), _all_orders_args, _all_orders),
    signed("DELETE", "/fapi/v1/allOpenOrders", fixed(1), _symbol, _cancel_all),
    signed("POST", "/fapi/v1/countdownCancelAll", fixed(10), _countdown_args, _countdown),
    signed("GET", "/fapi/v1/userTrades", fixed(5), _trades_args, _user_trades),
    signed("POST", "/fapi/v1/algoOrder", fixed(0), _new_algo_args, _new_algo),
    signed("GET", "/fapi/v1/algoOrder", fixed(1), _algo_ref, _get_algo),
    signed("DELETE", "/fapi/v1/algoOrder", fixed(1), _algo_ref, _cancel_algo),
    signed("GET", "/fapi/v1/openAlgoOrders", by_symbol(1, 40), _open_algos_args, _open_algos),
    signed("GET", "/fapi/v1/allAlgoOrders", fixed(5), _all_algos_args, _all_algos),
    signed("DELETE", "/fapi/v1/algoOpenOrders", fixed(1), _symbol, _cancel_all_algos),
)  # fmt: skip

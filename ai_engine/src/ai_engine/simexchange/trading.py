"""Order services for the signed endpoints: Binance's symbol-table checks, then the matching
engine, with its refusals translated into Binance's codes and messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from ai_engine.domain import FilterViolation, OrderFilter, OrderType
from ai_engine.matching import (
    Execution,
    OrderRejected,
    OrderRequest,
    RejectReason,
    SimOrder,
    SubmitResult,
)
from ai_engine.simexchange import errors
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.params import HistoryQuery, OrderRef

T = TypeVar("T")

_FILTER_NAMES = {
    OrderFilter.TICK_SIZE: "PRICE_FILTER",
    OrderFilter.LOT_STEP: "LOT_SIZE",
    OrderFilter.MIN_QUANTITY: "LOT_SIZE",
    OrderFilter.MAX_QUANTITY: "LOT_SIZE",
    OrderFilter.MIN_NOTIONAL: "NOTIONAL",
}
_REJECTIONS: dict[RejectReason, Callable[[], errors.BinanceError]] = {
    RejectReason.UNKNOWN_SYMBOL: errors.invalid_symbol,
    RejectReason.UNKNOWN_ACCOUNT: errors.rejected_api_key,
    RejectReason.NO_MARKET: lambda: errors.order_rejected("Market is closed."),
    RejectReason.DUPLICATE_ORDER: lambda: errors.order_rejected("Duplicate order sent."),
    RejectReason.INSUFFICIENT_BALANCE: lambda: errors.order_rejected(
        "Account has insufficient balance for requested action."
    ),
    RejectReason.WOULD_TAKE: lambda: errors.order_rejected(
        "Order would immediately match and take."
    ),
    RejectReason.WOULD_TRIGGER_IMMEDIATELY: lambda: errors.order_rejected(
        "Order would trigger immediately."
    ),
    RejectReason.UNKNOWN_ORDER: errors.unknown_order_cancel,
}


@contextmanager
def binance_errors() -> Iterator[None]:
    """Re-raise the matching engine's refusals as the ``BinanceError`` Binance would send."""
    try:
        yield
    except FilterViolation as exc:
        raise errors.filter_failure(_FILTER_NAMES[exc.filter]) from None
    except OrderRejected as exc:
        raise _REJECTIONS[exc.code]() from None


def _check_table(exchange: SimExchange, request: OrderRequest) -> None:
    """The filters of the symbol table that the domain instrument does not carry."""
    spec = exchange.specs[request.symbol]
    for value in (request.price, request.stop_price):
        if value is not None and not spec.min_price <= value <= spec.max_price:
            raise errors.filter_failure("PRICE_FILTER")
    quantity = request.quantity if request.order_type is OrderType.MARKET else None
    if quantity is not None and quantity > spec.market_max_quantity:
        raise errors.filter_failure("MARKET_LOT_SIZE")


def place(exchange: SimExchange, request: OrderRequest) -> SubmitResult:
    _check_table(exchange, request)
    with binance_errors():
        result = exchange.engine.submit(request, exchange.now_ms())
    exchange.events.order_placed(result)  # user data stream, depth streams
    return result


def test(exchange: SimExchange, request: OrderRequest) -> None:
    _check_table(exchange, request)
    with binance_errors():
        exchange.engine.check(request)


def find(exchange: SimExchange, api_key: str, ref: OrderRef) -> SimOrder:
    order = exchange.engine.order(
        api_key, ref.symbol, order_id=ref.order_id, client_order_id=ref.client_order_id
    )
    if order is None:
        raise errors.no_such_order()
    return order


def cancel(exchange: SimExchange, api_key: str, ref: OrderRef) -> SimOrder:
    with binance_errors():
        canceled = exchange.engine.cancel(
            api_key,
            ref.symbol,
            order_id=ref.order_id,
            client_order_id=ref.client_order_id,
            now_ms=exchange.now_ms(),
        )
    exchange.events.orders_canceled([canceled, *exchange.engine.lists.siblings(canceled)])
    return canceled


def cancel_all(exchange: SimExchange, api_key: str, symbol: str) -> list[SimOrder]:
    done = exchange.engine.cancel_all(api_key, symbol, exchange.now_ms())
    exchange.events.orders_canceled(done)
    if not done:
        raise errors.unknown_order_cancel()  # what Binance answers when nothing is open
    return done


def all_orders(exchange: SimExchange, api_key: str, query: HistoryQuery) -> list[SimOrder]:
    orders = exchange.engine.orders(api_key, query.symbol)
    if query.order_id is not None:
        orders = [o for o in orders if o.order_id >= query.order_id]
    else:
        orders = _in_range(orders, lambda o: o.time_ms, query)
        if query.start_ms is None and query.end_ms is None:
            return orders[-query.limit :]
    return orders[: query.limit]


def my_trades(exchange: SimExchange, api_key: str, query: HistoryQuery) -> list[Execution]:
    trades = exchange.engine.trades(api_key, query.symbol)
    if query.order_id is not None:
        trades = [t for t in trades if t.order_id == query.order_id]
    if query.from_id is not None:
        return [t for t in trades if t.trade_id >= query.from_id][: query.limit]
    trades = _in_range(trades, lambda t: t.ts_ms, query)
    if query.start_ms is None and query.end_ms is None:
        return trades[-query.limit :]
    return trades[: query.limit]


def _in_range(items: list[T], time_of: Callable[[T], int], query: HistoryQuery) -> list[T]:
    start = query.start_ms if query.start_ms is not None else -(2**63)
    end = query.end_ms if query.end_ms is not None else 2**63
    return [item for item in items if start <= time_of(item) <= end]

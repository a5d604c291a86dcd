"""The spot REST endpoints (``/api/v3/...``): one table row per endpoint.

Each row names its weight, whether it is signed, a parser (``params``: raw strings to typed
records) and a handler (typed record to Binance's JSON). ``app.dispatch`` runs a row: weight,
authentication, parsing, the unread-parameter check, a clock sync, the handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from ai_engine.simexchange import errors, params, trading, wire, wire_orders
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.limits import OrderCounter, RequestWeights
from ai_engine.simexchange.params import RawParams

A = TypeVar("A")


@dataclass(slots=True)
class ServerState:
    """What the handlers share: the exchange, the rate limiters and the wall clock."""

    exchange: SimExchange
    weights: RequestWeights
    orders: OrderCounter
    wall_ms: Callable[[], int]


@dataclass(frozen=True, slots=True)
class Call:
    state: ServerState
    api_key: str  # empty for public endpoints

    @property
    def exchange(self) -> SimExchange:
        return self.state.exchange


@dataclass(frozen=True, slots=True)
class Reply:
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Endpoint(Generic[A]):
    method: str
    path: str
    weight: Callable[[RawParams], int]
    parse: Callable[[RawParams, Call], A]
    handle: Callable[[Call, A], Any]
    signed: bool = False


def fixed(weight: int) -> Callable[[RawParams], int]:
    return lambda raw: weight


def by_symbol(one: int, every: int) -> Callable[[RawParams], int]:
    return lambda raw: one if raw.values.get("symbol") or raw.values.get("symbols") else every


def _nothing(raw: RawParams, call: Call) -> None:
    return None


# -- market data -----------------------------------------------------------------------------


def _exchange_info_args(raw: RawParams, call: Call) -> tuple[str, ...] | None:
    for ignored in ("permissions", "showPermissionSets", "symbolStatus"):
        raw.get(ignored)
    return params.symbols_list(raw, call.exchange.specs)


def _exchange_info(call: Call, names: tuple[str, ...] | None) -> Any:
    config = call.exchange.config
    specs = [call.exchange.specs[name] for name in (names or call.exchange.specs)]
    limits = wire.rate_limits(config.weight_limit, config.orders_per_10s, config.orders_per_day)
    return wire.exchange_info(specs, call.state.wall_ms(), limits)


def _klines_args(raw: RawParams, call: Call) -> params.KlinesQuery:
    return params.klines(raw, call.exchange.specs)


def _depth_args(raw: RawParams, call: Call) -> params.DepthQuery:
    return params.depth(raw, call.exchange.specs)


def _klines(call: Call, query: params.KlinesQuery) -> Any:
    bars, step = call.exchange.market.klines(
        query.symbol,
        query.interval,
        call.exchange.now_ms(),
        start_ms=query.start_ms,
        end_ms=query.end_ms,
        limit=query.limit,
    )
    return wire.kline_rows(bars, step)


def _depth(call: Call, query: params.DepthQuery) -> Any:
    exchange = call.exchange
    book = exchange.engine.book(query.symbol)
    if book is None:
        return {"lastUpdateId": 0, "bids": [], "asks": []}
    return wire.depth(book, query.limit, exchange.book_update_id(query.symbol))


def _ticker_args(raw: RawParams, call: Call) -> params.SymbolsQuery:
    return params.symbols_query(raw, call.exchange.specs)


def _one_or_all(query: params.SymbolsQuery, rows: list[Any]) -> Any:
    """``symbol=X`` answers one object; ``symbols=[...]`` or no symbol, a list."""
    return rows[0] if query.single else rows


def _listed(call: Call, query: params.SymbolsQuery) -> list[str]:
    return list(query.names) if query.names is not None else list(call.exchange.specs)


def _price(call: Call, names: params.SymbolsQuery) -> Any:
    rows = [
        wire.price_ticker(name, call.exchange.last_price(name) or Decimal(0))
        for name in _listed(call, names)
    ]
    return _one_or_all(names, rows)


def _book_ticker(call: Call, names: params.SymbolsQuery) -> Any:
    rows = []
    for name in _listed(call, names):
        book = call.exchange.engine.book(name)
        rows.append(wire.book_ticker(name, book) if book else wire.empty_book_ticker(name))
    return _one_or_all(names, rows)


def _ticker_24hr_args(raw: RawParams, call: Call) -> params.SymbolsQuery:
    kind = raw.get("type")
    if kind not in (None, "FULL"):
        raise errors.illegal_chars("type", "FULL")
    return _ticker_args(raw, call)


def _ticker_24hr_weight(raw: RawParams) -> int:
    many = raw.values.get("symbols")
    if raw.values.get("symbol"):
        return 2
    if many:
        count = many.count(",") + 1
        return 2 if count <= 20 else 40 if count <= 100 else 80
    return 80


def _ticker_24hr(call: Call, names: params.SymbolsQuery) -> Any:
    exchange = call.exchange
    rows = []
    for name in _listed(call, names):
        window = exchange.market.closed(name, exchange.now_ms(), last=1441)
        book = exchange.engine.book(name)
        if len(window) == 0 or book is None:
            rows.append(wire.empty_ticker_24hr(name))
            continue
        previous = float(window.close[0]) if len(window) == 1441 else None
        if len(window) == 1441:
            window = window.take(slice(1, None))
        rows.append(wire.ticker_24hr(name, window, previous, book))
    return _one_or_all(names, rows)


# -- trading ---------------------------------------------------------------------------------


def _new_order_args(raw: RawParams, call: Call) -> params.NewOrder:
    exchange = call.exchange
    return params.new_order(raw, exchange.specs, call.api_key, exchange.new_client_order_id)


def _new_order(call: Call, new: params.NewOrder) -> Reply:
    call.state.orders.count(call.api_key)
    headers = call.state.orders.headers(call.api_key)
    result = trading.place(call.exchange, new.order)
    if new.response_type == "ACK":
        return Reply(wire_orders.order_ack(result.order), headers)
    if new.response_type == "RESULT":
        return Reply(wire_orders.order_result(result.order), headers)
    return Reply(wire_orders.order_full(result.order, result.fills), headers)


def _test_order_args(raw: RawParams, call: Call) -> params.NewOrder:
    raw.get("computeCommissionRates")
    return _new_order_args(raw, call)


def _test_order(call: Call, new: params.NewOrder) -> Any:
    trading.test(call.exchange, new.order)
    return {}


def _order_ref(raw: RawParams, call: Call) -> params.OrderRef:
    return params.order_ref(raw, call.exchange.specs)


def _get_order(call: Call, ref: params.OrderRef) -> Any:
    return wire_orders.order_status(trading.find(call.exchange, call.api_key, ref))


def _cancel_args(raw: RawParams, call: Call) -> params.CancelOrder:
    return params.cancel_order(raw, call.exchange.specs)


def _cancel(call: Call, request: params.CancelOrder) -> Any:
    exchange = call.exchange
    order = trading.cancel(exchange, call.api_key, request.ref)
    cancel_id = request.new_client_order_id or exchange.new_client_order_id()
    return wire_orders.canceled(order, cancel_id, exchange.now_ms())


def _symbol_arg(raw: RawParams, call: Call) -> str:
    return params.symbol(raw, call.exchange.specs)


def _optional_symbol(raw: RawParams, call: Call) -> str | None:
    return params.optional_symbol(raw, call.exchange.specs)


def _cancel_all(call: Call, symbol: str) -> Any:
    exchange = call.exchange
    now = exchange.now_ms()
    return [
        wire_orders.canceled(order, exchange.new_client_order_id(), now)
        for order in trading.cancel_all(exchange, call.api_key, symbol)
    ]


def _open_orders(call: Call, symbol: str | None) -> Any:
    return [
        wire_orders.order_status(order) for order in call.exchange.open_orders(call.api_key, symbol)
    ]


def _history_args(trades: bool) -> Callable[[RawParams, Call], params.HistoryQuery]:
    return lambda raw, call: params.history(raw, call.exchange.specs, trades=trades)


def _all_orders(call: Call, query: params.HistoryQuery) -> Any:
    return [
        wire_orders.order_status(o) for o in trading.all_orders(call.exchange, call.api_key, query)
    ]


def _my_trades(call: Call, query: params.HistoryQuery) -> Any:
    return [wire_orders.my_trade(t) for t in trading.my_trades(call.exchange, call.api_key, query)]


def _account_args(raw: RawParams, call: Call) -> params.AccountQuery:
    return params.account(raw)


def _account(call: Call, query: params.AccountQuery) -> Any:
    exchange = call.exchange
    return wire_orders.account(
        exchange.engine.ledger(call.api_key),
        exchange.engine.fee_rates(call.api_key),
        exchange.now_ms(),
        exchange.uid(call.api_key),
        omit_zero=query.omit_zero_balances,
    )


def _time(call: Call, _: None) -> Any:
    return {"serverTime": call.state.wall_ms()}


ENDPOINTS: tuple[Endpoint[Any], ...] = (
    Endpoint("GET", "/api/v3/ping", fixed(1), _nothing, lambda call, _: {}),
    Endpoint("GET", "/api/v3/time", fixed(1), _nothing, _time),
    Endpoint("GET", "/api/v3/exchangeInfo", fixed(20), _exchange_info_args, _exchange_info),
    Endpoint("GET", "/api/v3/klines", fixed(2), _klines_args, _klines),
    Endpoint("GET", "/api/v3/depth", params.depth_weight, _depth_args, _depth),
    Endpoint("GET", "/api/v3/ticker/price", by_symbol(2, 4), _ticker_args, _price),
    Endpoint("GET", "/api/v3/ticker/bookTicker", by_symbol(2, 4), _ticker_args, _book_ticker),
    Endpoint("GET", "/api/v3/ticker/24hr", _ticker_24hr_weight, _ticker_24hr_args, _ticker_24hr),
    Endpoint("POST", "/api/v3/order", fixed(1), _new_order_args, _new_order, signed=True),
    Endpoint("POST", "/api/v3/order/test", fixed(1), _test_order_args, _test_order, signed=True),
    Endpoint("GET", "/api/v3/order", fixed(4), _order_ref, _get_order, signed=True),
    Endpoint("DELETE", "/api/v3/order", fixed(1), _cancel_args, _cancel, signed=True),
    Endpoint(
        "GET", "/api/v3/openOrders", by_symbol(6, 80), _optional_symbol, _open_orders,
        signed=True,
    ),
    Endpoint("DELETE", "/api/v3/openOrders", fixed(1), _symbol_arg, _cancel_all, signed=True),
    Endpoint("GET", "/api/v3/allOrders", fixed(20), _history_args(False), _all_orders, signed=True),
    Endpoint("GET", "/api/v3/account", fixed(20), _account_args, _account, signed=True),
    Endpoint("GET", "/api/v3/myTrades", fixed(20), _history_args(True), _my_trades, signed=True),
)  # fmt: skip

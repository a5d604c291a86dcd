"""Regular futures orders (MARKET, LIMIT GTC/IOC/FOK/GTX): placement, cancel, resting fills.

Matching is the spot fill model's: takers walk the current book level by level (the synthetic
book of the last closed bar, or the real book of a symbol replayed by ticks); resting limits
fill as maker at their price when a later event trades through them -- completely on a bar, at
most the printed quantity on a public trade (``resting_orders.TradeEvent``, shared with spot).

reduceOnly: refused (-2022) when it cannot reduce the position at placement; at every fill it
is cut to what still reduces, and whatever would add to the position expires instead. So a
reduce-only order never increases |position|.
GTX (post-only): refused when it would take. FOK: expires unfilled unless the book fills it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from ai_engine.domain import Bar, LiquiditySide, OrderStatus, OrderType, TimeInForce
from ai_engine.matching.book import NO_TAKES, TakePlan
from ai_engine.matching.futures.account import money
from ai_engine.matching.futures.checks import check_band, check_filters, check_margin
from ai_engine.matching.futures.core import Core, FuturesMarket
from ai_engine.matching.futures.errors import FuturesReject, FuturesRejected
from ai_engine.matching.futures.events import ExecutionType, OrderEvent
from ai_engine.matching.futures.execution import close_out, execute, take
from ai_engine.matching.futures.records import (
    ZERO,
    FuturesOrder,
    FuturesOrderRequest,
    FuturesSubmitResult,
)
from ai_engine.matching.rules import trades_through

_TAKES_ONLY = (TimeInForce.IOC, TimeInForce.FOK)


def validate(core: Core, request: FuturesOrderRequest) -> None:
    """Every check ``submit`` makes before it trades (filters, band, reduce-only, margin)."""
    _prepare(core, request)


def _prepare(core: Core, request: FuturesOrderRequest) -> TakePlan:
    market = core.market(request.symbol)
    account = core.account(request.account_id)
    if core.registry.client_id_is_open(request.account_id, request.client_order_id):
        raise FuturesRejected(FuturesReject.DUPLICATE_ORDER, request.client_order_id)
    book = core.book(market)
    inst, side = market.instrument, request.side
    state = account.state(inst)
    check_filters(
        inst, request.quantity, request.price, book.mid, exempt_notional=request.reduce_only
    )
    if request.price is not None:
        check_band(side, request.price, core.mark_of(request.symbol), core.price_band)
    quantity = request.quantity
    if request.reduce_only:
        quantity = min(quantity, state.reducible(side))
        if quantity == 0:
            raise FuturesRejected(FuturesReject.REDUCE_ONLY_REJECTED, request.client_order_id)
    if request.order_type is OrderType.MARKET:
        plan = book.plan(side, quantity=quantity)
        worst = plan.takes[-1].price if plan.takes else book.mid
        if not request.reduce_only:
            fee = money(plan.quote * account.fees.taker)
            check_margin(core, account, state, market.brackets, side, quantity, worst, fee)
        return plan
    assert request.price is not None
    marketable = book.is_marketable(side, request.price)
    if request.time_in_force is TimeInForce.GTX and marketable:
        raise FuturesRejected(FuturesReject.POST_ONLY_REJECTED, request.client_order_id)
    if not request.reduce_only:
        check_margin(core, account, state, market.brackets, side, quantity, request.price)
    if not marketable:
        return NO_TAKES
    return book.plan(side, quantity=quantity, limit=request.price)


def submit(core: Core, request: FuturesOrderRequest, now_ms: int) -> FuturesSubmitResult:
    plan = _prepare(core, request)
    market = core.market(request.symbol)
    account = core.account(request.account_id)
    order = FuturesOrder(
        account_id=request.account_id,
        symbol=request.symbol,
        order_id=market.next_order_id,
        client_order_id=request.client_order_id,
        side=request.side,
        order_type=request.order_type,
        orig_type=request.order_type,
        time_in_force=request.time_in_force,
        quantity=request.quantity,
        price=request.price or ZERO,
        stop_price=ZERO,
        reduce_only=request.reduce_only,
        close_position=False,
        status=OrderStatus.ACCEPTED,
        executed_quantity=ZERO,
        cumulative_quote=ZERO,
        realised_pnl=ZERO,
        time_ms=now_ms,
        update_ms=now_ms,
        eligible_from_ms=now_ms,
    )
    market.next_order_id += 1
    core.emit(OrderEvent(now_ms, order, ExecutionType.NEW))
    if request.time_in_force is TimeInForce.FOK and not plan.complete:
        plan = NO_TAKES
    order, trades = take(core, market, account, core.book(market), order, plan, now_ms)
    if order.remaining == 0:
        core.registry.save(order)
    elif order.order_type is OrderType.MARKET or order.time_in_force in _TAKES_ONLY:
        order = close_out(core, order, OrderStatus.EXPIRED, now_ms)
    elif request.reduce_only and account.state(market.instrument).reducible(order.side) == 0:
        order = close_out(core, order, OrderStatus.EXPIRED, now_ms)  # the rest would add
    else:
        core.registry.save(order)  # rests (GTC, GTX)
    return FuturesSubmitResult(order, tuple(trades))


def cancel(
    core: Core,
    account_id: str,
    symbol: str,
    order_id: int | None,
    client_order_id: str | None,
    now_ms: int,
) -> FuturesOrder:
    core.market(symbol)
    order = core.registry.find(account_id, symbol, order_id, client_order_id)
    if order is None or not order.is_open:
        raise FuturesRejected(FuturesReject.UNKNOWN_ORDER, f"{symbol} {order_id or ''}")
    return close_out(core, order, OrderStatus.CANCELED, now_ms)


class Print(Protocol):
    """A market event as resting limits see it: a closed bar or one public trade."""

    def reaches(self, order: FuturesOrder) -> bool: ...
    def maker_quantity(self, order: FuturesOrder) -> Decimal:
        """How much of ``order`` the event fills (zero: none); reserves it."""
        ...


class BarPrint:
    """A closed bar: it reaches orders placed by its open and fills whole what it trades
    through (``rules.trades_through``)."""

    __slots__ = ("_bar", "_open_ms")

    def __init__(self, bar: Bar, open_ms: int) -> None:
        self._bar, self._open_ms = bar, open_ms

    def reaches(self, order: FuturesOrder) -> bool:
        return self._open_ms >= order.eligible_from_ms

    def maker_quantity(self, order: FuturesOrder) -> Decimal:
        return order.remaining if trades_through(order.side, order.price, self._bar) else ZERO


def fill_resting(core: Core, market: FuturesMarket, event: Print, ts_ms: int) -> None:
    """Fill, as maker at their price, what ``event`` gives the resting orders (id order)."""
    resting = core.registry.open_on(market.symbol)
    for order_id in list(resting):
        order = resting.get(order_id)
        if order is None or not event.reaches(order):
            continue
        quantity = event.maker_quantity(order)
        if quantity == 0:
            continue
        account = core.account(order.account_id)
        state = account.state(market.instrument)
        if order.reduce_only:
            quantity = min(quantity, state.reducible(order.side))
        if quantity > 0:
            order, _ = execute(
                core, market, account, order, order.price, quantity, ts_ms,
                liquidity=LiquiditySide.MAKER,
            )  # fmt: skip
        if order.remaining > 0 and order.reduce_only and state.reducible(order.side) == 0:
            close_out(core, order, OrderStatus.EXPIRED, ts_ms)  # nothing left to reduce
        else:
            core.registry.save(order)

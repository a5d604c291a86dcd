"""New spot orders: validation, then what each order type does on arrival.

- MARKET takes what it can from the current book (built from the last bar, or real levels)
  and the rest expires; a quote-quantity order spends (buy) or receives (sell) up to that much
  quote.
- LIMIT takes what is marketable up to its price, then rests (GTC) or expires (IOC; a FOK
  expires unfilled unless the book fills it completely).
- LIMIT_MAKER rests, or is refused (``WOULD_TAKE``) if it would take.
- STOP_MARKET (Binance's spot STOP_LOSS), STOP_LIMIT and TAKE_PROFIT_LIMIT rest untriggered
  under a lock, or are refused
  (``WOULD_TRIGGER_IMMEDIATELY``) if they would trigger at once against the book's reference
  price (the last bar's close, or the last trade replaying ticks); ``resting_orders.py`` fires
  them.
- An OCO places two legs under one lock (``order_lists.py``); nothing fills on entry.
"""

from __future__ import annotations

from collections.abc import Sequence

from ai_engine.domain import (
    FilterViolation,
    OrderFilter,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from ai_engine.domain.decimals import exact
from ai_engine.matching.accounts import Account
from ai_engine.matching.book import NO_TAKES, Book
from ai_engine.matching.errors import OrderRejected, RejectReason
from ai_engine.matching.execution import take
from ai_engine.matching.filters import check_filters
from ai_engine.matching.market import Market
from ai_engine.matching.order_lists import OrderList
from ai_engine.matching.orders import Execution, OrderRequest, SimOrder, SubmitResult
from ai_engine.matching.rules import triggers_immediately
from ai_engine.matching.venue import Venue

_STOPS = frozenset({OrderType.STOP_MARKET, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT})


def check(venue: Venue, request: OrderRequest) -> None:
    """Validate ``request`` as ``submit`` would (filters), without trading."""
    market = venue.market(request.symbol)
    venue.accounts.get(request.account_id)
    check_filters(market.instrument, request, venue.book(market).mid)


def submit(venue: Venue, request: OrderRequest, now_ms: int) -> SubmitResult:
    """Accept, fill and/or rest a new order; raises ``OrderRejected``/``FilterViolation``."""
    market = venue.market(request.symbol)
    account = venue.accounts.get(request.account_id)
    if venue.registry.client_id_is_open(request.account_id, request.client_order_id):
        raise OrderRejected(RejectReason.DUPLICATE_ORDER, request.client_order_id)
    book = venue.book(market)
    check_filters(market.instrument, request, book.mid)
    order = SimOrder.accept(request, market.next_order_id, market.instrument, now_ms)
    if request.order_type is OrderType.MARKET:
        order, fills = _market_order(venue, market, account, book, order, request)
    elif request.order_type in _STOPS:
        order, fills = _stop_order(account, book, order), []
    else:
        order, fills = _limit_order(venue, market, account, book, order)
    market.next_order_id += 1
    venue.registry.save(order)
    return SubmitResult(order, tuple(fills))


def submit_oco(
    venue: Venue, legs: Sequence[OrderRequest], list_client_id: str, now_ms: int
) -> OrderList:
    """Place two orders as an OCO list: both rest under one lock (rules in order_lists)."""
    market = venue.market(legs[0].symbol)
    for leg in legs:
        check(venue, leg)
        if venue.registry.client_id_is_open(leg.account_id, leg.client_order_id):
            raise OrderRejected(RejectReason.DUPLICATE_ORDER, leg.client_order_id)
    first, inst = market.next_order_id, market.instrument
    orders = [SimOrder.accept(leg, first + i, inst, now_ms) for i, leg in enumerate(legs)]
    placed = venue.lists.open(orders, venue.book(market), list_client_id, now_ms)
    market.next_order_id += len(orders)
    return placed


def _market_order(
    venue: Venue,
    market: Market,
    account: Account,
    book: Book,
    order: SimOrder,
    request: OrderRequest,
) -> tuple[SimOrder, list[Execution]]:
    inst, side = market.instrument, order.side
    if request.quote_quantity is not None:
        plan = book.plan(side, quote=request.quote_quantity)
        if plan.takes and plan.quantity < inst.min_quantity:
            raise FilterViolation(
                OrderFilter.MIN_QUANTITY, f"{plan.quantity} is below {inst.min_quantity}"
            )
        order = order.changed(quantity=plan.quantity)
    else:
        plan = book.plan(side, quantity=order.quantity)
    if side is OrderSide.BUY:
        account.ledger.require_free(inst.quote_asset, plan.quote)
    else:
        account.ledger.require_free(inst.base_asset, plan.quantity)
    order, fills = take(venue, market, account, book, order, plan, order.time_ms)
    done = plan.complete and bool(plan.takes)
    return order.changed(status=OrderStatus.FILLED if done else OrderStatus.EXPIRED), fills


def _limit_order(
    venue: Venue, market: Market, account: Account, book: Book, order: SimOrder
) -> tuple[SimOrder, list[Execution]]:
    marketable = book.is_marketable(order.side, order.price)
    if order.order_type is OrderType.LIMIT_MAKER and marketable:
        raise OrderRejected(RejectReason.WOULD_TAKE, f"{order.side} at {order.price}")
    account.ledger.require_free(order.lock_asset, order.lock_for(order.quantity))
    plan = NO_TAKES
    if marketable:
        plan = book.plan(order.side, quantity=order.quantity, limit=order.price)
    if order.time_in_force is TimeInForce.FOK and not plan.complete:
        return order.changed(status=OrderStatus.EXPIRED), []
    order, fills = take(venue, market, account, book, order, plan, order.time_ms)
    return _after_taking(account, order), fills


def _stop_order(account: Account, book: Book, order: SimOrder) -> SimOrder:
    if triggers_immediately(order.order_type, order.side, order.stop_price, book.mid):
        raise OrderRejected(RejectReason.WOULD_TRIGGER_IMMEDIATELY, f"stop {order.stop_price}")
    amount = order.lock_for(order.quantity)
    account.ledger.lock(order.lock_asset, amount)
    return order.changed(locked=amount, working_ms=None)


def _after_taking(account: Account, order: SimOrder) -> SimOrder:
    """Settle what is left of a limit order after its taker part: fill, rest or expire."""
    remaining = order.remaining
    if remaining == 0:
        return order.changed(status=OrderStatus.FILLED)
    if order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
        return order.changed(status=OrderStatus.EXPIRED)
    amount = order.lock_for(remaining)
    account.ledger.lock(order.lock_asset, amount)
    with exact():
        return order.changed(locked=order.locked + amount)

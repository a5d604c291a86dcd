"""Canceling spot orders: the order ends CANCELED and what it locked goes back to the free
balance. An OCO leg takes its list with it (``OrderLists.cancel``: both legs, one lock)."""

from __future__ import annotations

from ai_engine.domain import OrderStatus
from ai_engine.matching.errors import OrderRejected, RejectReason
from ai_engine.matching.orders import ZERO, SimOrder
from ai_engine.matching.venue import Venue


def cancel(
    venue: Venue,
    account_id: str,
    symbol: str,
    order_id: int | None,
    client_order_id: str | None,
    now_ms: int,
) -> SimOrder:
    """Cancel an open order, releasing what it locked; ``UNKNOWN_ORDER`` if not open."""
    order = venue.find(account_id, symbol, order_id, client_order_id)
    if order is None or not order.is_open:
        raise OrderRejected(RejectReason.UNKNOWN_ORDER, f"{symbol} {order_id or ''}")
    if venue.lists.is_linked(order):
        return venue.lists.cancel(order, now_ms)  # the whole OCO, its one lock released once
    venue.accounts.get(account_id).release(order)
    canceled = order.changed(status=OrderStatus.CANCELED, locked=ZERO, update_ms=now_ms)
    venue.registry.save(canceled)
    return canceled


def cancel_all(venue: Venue, account_id: str, symbol: str, now_ms: int) -> list[SimOrder]:
    """Cancel every open order of the account on ``symbol`` (order-id order)."""
    ids = {order.order_id for order in venue.open_orders(account_id, symbol)}
    for order_id in sorted(ids):
        if order_id in venue.registry.open_on(symbol):  # an OCO leg goes with its sibling
            cancel(venue, account_id, symbol, order_id, None, now_ms)
    return [order for order in venue.registry.orders(account_id, symbol) if order.order_id in ids]

"""What a closed bar does to the orders resting on its symbol, visited in order-id order (time
priority); an order is reached only by bars opening at or after its ``eligible_from_ms`` (its
placement, or for a triggered stop the close of the triggering bar):

- a working limit the bar trades through (``rules.trades_through``) fills completely, as maker,
  at its own price, paid from its lock;
- an untriggered stop whose price the bar reached (``rules.stop_triggered``) triggers: it takes
  as a limit from a book built from this bar around the stop price, then rests, or expires if
  IOC/FOK (a FOK takes nothing unless that book fills it completely).

An OCO leg that fires first cancels its sibling (``OrderLists.fired``). Then the bar becomes the
market's last bar and its book the current one.
"""

from __future__ import annotations

from ai_engine.domain import Bar, LiquiditySide, OrderStatus, TimeInForce
from ai_engine.matching.book import NO_TAKES, SyntheticBook
from ai_engine.matching.execution import execute, take
from ai_engine.matching.market import Market
from ai_engine.matching.orders import ZERO, Execution, SimOrder
from ai_engine.matching.rules import stop_triggered, trades_through
from ai_engine.matching.venue import Venue


def on_bar(venue: Venue, symbol: str, bar: Bar) -> list[Execution]:
    """Fill/trigger the resting orders ``bar`` reaches, then rebuild the book from it."""
    market = venue.market(symbol)
    open_ms, close_ms = market.bar_times(bar)
    fills: list[Execution] = []
    resting = venue.registry.open_on(symbol)
    for order_id in list(resting):
        order = resting.get(order_id)
        if order is None or open_ms < order.eligible_from_ms:
            continue
        if not order.is_working:
            if stop_triggered(order.order_type, order.side, order.stop_price, bar):
                venue.lists.fired(order, close_ms)
                fills += _trigger(venue, market, order, bar, close_ms)
        elif trades_through(order.side, order.price, bar):
            venue.lists.fired(order, close_ms)
            fills += _fill_resting(venue, market, order, close_ms)
    market.last_bar, market.last_open_ms = bar, open_ms
    market.book = SyntheticBook.from_bar(bar, market.instrument, venue.params)
    return fills


def _trigger(venue: Venue, market: Market, order: SimOrder, bar: Bar, ts: int) -> list[Execution]:
    """A stop fired in ``bar``: take from a book centred on the stop, then rest or expire."""
    account = venue.accounts.get(order.account_id)
    order = order.changed(working_ms=ts, eligible_from_ms=ts, update_ms=ts)
    book = SyntheticBook.from_bar(bar, market.instrument, venue.params, mid=order.stop_price)
    plan = NO_TAKES
    if book.is_marketable(order.side, order.price):
        plan = book.plan(order.side, quantity=order.remaining, limit=order.price)
    if order.time_in_force is TimeInForce.FOK and not plan.complete:
        plan = NO_TAKES
    order, fills = take(venue, market, account, book, order, plan, ts, from_lock=True)
    if order.remaining == 0:
        order = order.changed(status=OrderStatus.FILLED)
    elif order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
        account.release(order)
        order = order.changed(status=OrderStatus.EXPIRED, locked=ZERO)
    venue.registry.save(order)
    return fills


def _fill_resting(venue: Venue, market: Market, order: SimOrder, ts: int) -> list[Execution]:
    account = venue.accounts.get(order.account_id)
    order, fill = execute(
        venue, market, account, order, order.price, order.remaining, ts,
        liquidity=LiquiditySide.MAKER, from_lock=True,
    )  # fmt: skip
    venue.registry.save(order.changed(status=OrderStatus.FILLED))
    return [fill]

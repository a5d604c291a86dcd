"""What a market event -- a closed bar or one public trade -- does to the orders resting on its
symbol. One routine (``visit``) walks them in order-id order (time priority); the event says
which orders it reaches and how:

- a working limit the event trades through fills as maker at its own price, paid from its
  lock. A bar (``rules.trades_through``: low < buy price, high > sell price) fills the whole
  remaining quantity; a trade (``rules.trade_goes_through``: printed strictly below a buy,
  above a sell) fills at most the quantity it printed, shared among our orders in visiting
  order, so a small print never fills a large order (partial fills; the order keeps resting);
- an untriggered stop whose price the event reached (bar: its range, ``rules.stop_triggered``;
  trade: its price at or through the stop, ``rules.triggers_immediately``) triggers: it takes as a
  limit -- from a book built from the bar around the stop price (around the bar's open when
  the bar opened at or through the stop: a gap, ``rules.stop_fill_reference``), or from the
  market's current (real) book for a trade -- then rests, or expires if IOC/FOK (a FOK takes
  nothing unless that book fills it completely). A market stop (STOP_MARKET, Binance's spot
  STOP_LOSS) releases its lock and takes from that book as a market order: no limit, what the
  book cannot fill (or the free balance cannot pay) expires.

An order is reached only by events at or after its ``eligible_from_ms`` (a bar: opening then
or later; a trade: printed then or later); a stop that triggers becomes eligible from the
triggering event's time, and is not visited again by that same event. An OCO leg that fires
first (fills, even partly, or triggers) cancels its sibling (``OrderLists.fired``). After a bar,
the bar becomes the market's last bar and its book the current one; after a trade, its price
becomes the last price.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from ai_engine.domain import Bar, LiquiditySide, OrderSide, OrderStatus, OrderType, TimeInForce
from ai_engine.matching.book import NO_TAKES, Book
from ai_engine.matching.execution import execute, take
from ai_engine.matching.market import Market
from ai_engine.matching.orders import ZERO, Execution, SimOrder
from ai_engine.matching.rules import (
    stop_fill_reference,
    stop_triggered,
    trade_goes_through,
    trades_through,
    triggers_immediately,
)
from ai_engine.matching.venue import Venue


class MarketEvent(Protocol):
    """One event of the replayed market, as the resting orders see it."""

    ts_ms: int  # fills and triggers carry this time

    def reaches(self, order: SimOrder) -> bool: ...
    def triggers(self, order: SimOrder) -> bool: ...
    def maker_quantity(self, order: SimOrder) -> Decimal:
        """How much of working ``order`` this event fills (zero: none); reserves it."""
        ...

    def stop_book(self, market: Market, order: SimOrder) -> Book | None: ...


class Resting(Protocol):
    """What a trade print reads of a resting limit: a spot ``SimOrder``, or a futures order
    (``futures/orders.fill_resting`` visits its resting limits with the same ``TradeEvent``)."""

    @property
    def side(self) -> OrderSide: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def remaining(self) -> Decimal: ...
    @property
    def eligible_from_ms(self) -> int: ...


class BarEvent:
    __slots__ = ("_bar", "_open_ms", "_params", "ts_ms")

    def __init__(self, bar: Bar, open_ms: int, close_ms: int, venue: Venue) -> None:
        self._bar, self._open_ms, self.ts_ms = bar, open_ms, close_ms
        self._params = venue.params

    def reaches(self, order: SimOrder) -> bool:
        return self._open_ms >= order.eligible_from_ms

    def triggers(self, order: SimOrder) -> bool:
        return stop_triggered(order.order_type, order.side, order.stop_price, self._bar)

    def maker_quantity(self, order: SimOrder) -> Decimal:
        return order.remaining if trades_through(order.side, order.price, self._bar) else ZERO

    def stop_book(self, market: Market, order: SimOrder) -> Book:
        centre = stop_fill_reference(order.order_type, order.side, order.stop_price, self._bar)
        return Book.from_bar(self._bar, market.instrument, self._params, mid=centre)


class TradeEvent:
    __slots__ = ("_left", "_price", "ts_ms")

    def __init__(self, ts_ms: int, price: Decimal, quantity: Decimal) -> None:
        self.ts_ms, self._price = ts_ms, price
        self._left = quantity  # what the print can still fill of our orders

    def reaches(self, order: Resting) -> bool:
        return self.ts_ms >= order.eligible_from_ms

    def triggers(self, order: SimOrder) -> bool:
        # the rule that refuses a stop on arrival: the last price is at or through the stop
        return triggers_immediately(order.order_type, order.side, order.stop_price, self._price)

    def maker_quantity(self, order: Resting) -> Decimal:
        if self._left <= 0 or not trade_goes_through(order.side, order.price, self._price):
            return ZERO
        quantity = min(order.remaining, self._left)
        self._left -= quantity
        return quantity

    def stop_book(self, market: Market, order: SimOrder) -> Book | None:
        return market.book


def on_bar(venue: Venue, symbol: str, bar: Bar, book_mid: Decimal | None = None) -> list[Execution]:
    """Fill/trigger the resting orders ``bar`` reaches, then rebuild the book from it (centred
    on ``book_mid`` when given: the next bar's open, ``SimConfig.book_at_next_open``)."""
    market = venue.market(symbol)
    open_ms, close_ms = market.bar_times(bar)
    fills = visit(venue, market, BarEvent(bar, open_ms, close_ms, venue))
    market.last_bar, market.last_open_ms = bar, open_ms
    market.book = Book.from_bar(bar, market.instrument, venue.params, mid=book_mid)
    market.last_price = None  # the bar book's mid (the close, or book_mid) is the last price
    return fills


def on_trade(
    venue: Venue, symbol: str, ts_ms: int, price: Decimal, quantity: Decimal
) -> list[Execution]:
    """A public trade printed: fill/trigger the resting orders it reaches; it is the last
    price from now on (the current book's reference price too)."""
    market = venue.market(symbol)
    if market.last_trade_ms is not None and ts_ms < market.last_trade_ms:
        raise ValueError(f"{symbol}: trade at {ts_ms} is before {market.last_trade_ms}")
    fills = visit(venue, market, TradeEvent(ts_ms, price, quantity))
    market.last_price, market.last_trade_ms = price, ts_ms
    if market.book is not None:
        market.book.mid = price
    return fills


def visit(venue: Venue, market: Market, event: MarketEvent) -> list[Execution]:
    """Apply ``event`` to the open orders of ``market``, in order-id order."""
    fills: list[Execution] = []
    resting = venue.registry.open_on(market.symbol)
    for order_id in list(resting):
        order = resting.get(order_id)
        if order is None or not event.reaches(order):
            continue
        if not order.is_working:
            if event.triggers(order):
                venue.lists.fired(order, event.ts_ms)
                book = event.stop_book(market, order)
                fills += _trigger(venue, market, order, book, event.ts_ms)
        else:
            quantity = event.maker_quantity(order)
            if quantity > 0:
                venue.lists.fired(order, event.ts_ms)
                fills.append(_fill_resting(venue, market, order, quantity, event.ts_ms))
    return fills


def _trigger(
    venue: Venue, market: Market, order: SimOrder, book: Book | None, ts: int
) -> list[Execution]:
    """A stop fired: take from ``book`` up to its limit, then rest or expire."""
    if order.order_type is OrderType.STOP_MARKET:
        return _trigger_market(venue, market, order, book, ts)
    account = venue.accounts.get(order.account_id)
    order = order.changed(working_ms=ts, eligible_from_ms=ts, update_ms=ts)
    plan = NO_TAKES
    if book is not None and book.is_marketable(order.side, order.price):
        plan = book.plan(order.side, quantity=order.remaining, limit=order.price)
    if order.time_in_force is TimeInForce.FOK and not plan.complete:
        plan = NO_TAKES
    fills: list[Execution] = []
    if book is not None:
        order, fills = take(venue, market, account, book, order, plan, ts, from_lock=True)
    if order.remaining == 0:
        order = order.changed(status=OrderStatus.FILLED)
    elif order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
        account.release(order)
        order = order.changed(status=OrderStatus.EXPIRED, locked=ZERO)
    venue.registry.save(order)
    return fills


def _trigger_market(
    venue: Venue, market: Market, order: SimOrder, book: Book | None, ts: int
) -> list[Execution]:
    """A market stop fired: a market order for what remains, paid from the free balance
    (its lock released first); the unfilled rest expires."""
    account = venue.accounts.get(order.account_id)
    account.release(order)
    order = order.changed(working_ms=ts, eligible_from_ms=ts, update_ms=ts, locked=ZERO)
    fills: list[Execution] = []
    if book is not None:
        plan = book.plan(order.side, quantity=order.remaining)
        inst = market.instrument
        need, asset = (
            (plan.quote, inst.quote_asset)
            if order.side is OrderSide.BUY
            else (plan.quantity, inst.base_asset)
        )
        if plan.takes and account.ledger.free(asset) >= need:
            order, fills = take(venue, market, account, book, order, plan, ts)
    status = OrderStatus.FILLED if order.remaining == 0 else OrderStatus.EXPIRED
    venue.registry.save(order.changed(status=status))
    return fills


def _fill_resting(
    venue: Venue, market: Market, order: SimOrder, quantity: Decimal, ts: int
) -> Execution:
    account = venue.accounts.get(order.account_id)
    order, fill = execute(
        venue, market, account, order, order.price, quantity, ts,
        liquidity=LiquiditySide.MAKER, from_lock=True,
    )  # fmt: skip
    if order.remaining == 0:
        order = order.changed(status=OrderStatus.FILLED)
    venue.registry.save(order)
    return fill

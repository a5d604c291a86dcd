"""Conditional (algo) orders: STOP_MARKET, TAKE_PROFIT_MARKET, TRAILING_STOP_MARKET.

They wait outside the book (``triggers.py`` says when they fire). When one fires it places a
MARKET order -- Binance's ``actualOrderId`` -- that takes from the book of the firing event
(``PriceEvent.book``): on bars a book built around the trigger price from the firing bar's
volume -- around the bar's open when a stop or take profit opened at or through its trigger
(a gap) -- as the spot engine's stop rule; on ticks the current real book; then the algo order is
FINISHED. Its quantity is the order's, or with ``closePosition`` the whole position, cut with
``reduceOnly`` to what still reduces; if nothing is left to do, or the opening part lacks
margin at that moment, it EXPIRES without an order.

Which fires first (``PriceEvent.order``): on ticks, the order they were placed in (the price
path is known: one price at a time). A bar shows a range, not its path, so its rule is the
backtest's (``backtest/kernel_positions.py``, intrabar ``worst``): what the bar's open is
already through fires first (the open is the bar's first trade), then stops and trailing
stops, then take profits -- a stop and a take profit of one position both inside one bar
close it at the stop, the adverse case -- each group in placement order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from ai_engine.domain import Bar, OrderStatus, OrderType
from ai_engine.matching.book import Book
from ai_engine.matching.futures.checks import check_filters, check_margin
from ai_engine.matching.futures.core import Core, FuturesMarket
from ai_engine.matching.futures.errors import FuturesReject, FuturesRejected
from ai_engine.matching.futures.events import AlgoEvent, ExecutionType, OrderEvent
from ai_engine.matching.futures.execution import close_out, take
from ai_engine.matching.futures.records import (
    ZERO,
    AlgoOrder,
    AlgoRequest,
    AlgoStatus,
    FuturesOrder,
    WorkingType,
)
from ai_engine.matching.futures.triggers import (
    PriceRange,
    activation_is_passed,
    bar_range,
    fires_at_once,
    stop_fires,
    trail,
)


def submit_algo(core: Core, request: AlgoRequest, now_ms: int) -> AlgoOrder:
    market = core.market(request.symbol)
    core.account(request.account_id)
    if core.registry.algo_client_is_open(
        request.account_id, request.symbol, request.client_algo_id
    ):
        raise FuturesRejected(FuturesReject.DUPLICATE_ORDER, request.client_algo_id)
    last = market.price_of(request.working_type)  # the price the order watches
    if last is None:
        raise FuturesRejected(FuturesReject.NO_MARKET, request.symbol)
    reference = request.trigger_price or request.activate_price or last
    check_filters(
        market.instrument,
        request.quantity,
        request.trigger_price or request.activate_price,
        reference,
        exempt_notional=request.reduce_only or request.close_position,
    )
    trailing = request.order_type is OrderType.TRAILING_STOP_MARKET
    if request.trigger_price is not None and fires_at_once(
        request.order_type, request.side, request.trigger_price, last
    ):
        raise FuturesRejected(FuturesReject.WOULD_TRIGGER_IMMEDIATELY, str(request.trigger_price))
    activate = request.activate_price
    if activate is not None and activation_is_passed(request.side, activate, last):
        raise FuturesRejected(FuturesReject.WOULD_TRIGGER_IMMEDIATELY, f"activation {activate}")
    algo = AlgoOrder(
        algo_id=core.next_algo_id,
        account_id=request.account_id,
        symbol=request.symbol,
        client_algo_id=request.client_algo_id,
        side=request.side,
        order_type=request.order_type,
        time_in_force=request.time_in_force,
        quantity=request.quantity or ZERO,
        trigger_price=request.trigger_price or ZERO,
        working_type=request.working_type,
        reduce_only=request.reduce_only,
        close_position=request.close_position,
        activate_price=activate or ZERO,
        callback_rate=request.callback_rate or ZERO,
        status=AlgoStatus.NEW,
        create_ms=now_ms,
        update_ms=now_ms,
        eligible_from_ms=now_ms,
        # Without an activation price a trailing stop starts at once, from the last price.
        activated=trailing and activate is None,
        extreme=last if trailing and activate is None else ZERO,
    )
    core.next_algo_id += 1
    _file(core, algo, now_ms)
    return algo


def cancel_algo(
    core: Core,
    account_id: str,
    symbol: str,
    algo_id: int | None,
    client_algo_id: str | None,
    now_ms: int,
) -> AlgoOrder:
    core.market(symbol)
    algo = core.registry.find_algo(account_id, symbol, algo_id, client_algo_id)
    if algo is None or not algo.is_open:
        raise FuturesRejected(FuturesReject.UNKNOWN_ORDER, f"{symbol} algo {algo_id or ''}")
    canceled = algo.changed(status=AlgoStatus.CANCELED, update_ms=now_ms)
    _file(core, canceled, now_ms)
    return canceled


class PriceEvent(Protocol):
    """One market event as the waiting algo orders see it: a closed bar or one tick."""

    reach_ms: int  # orders placed after this are not reached (a bar: its open; a tick: its time)
    ts_ms: int  # what fires carries this time

    def prices(self, algo: AlgoOrder) -> PriceRange | None:
        """The prices the event shows ``algo`` (None: nothing it watches)."""
        ...

    def book(self, market: FuturesMarket, trigger: Decimal, algo: AlgoOrder) -> Book | None:
        """The book ``algo``, fired at ``trigger``, takes from."""
        ...

    def order(self, waiting: dict[int, AlgoOrder]) -> list[int]:
        """The ids of ``waiting`` in the order they are looked at (module docstring)."""
        ...


class BarPrices:
    __slots__ = ("_bar", "_core", "reach_ms", "ts_ms")

    def __init__(self, core: Core, bar: Bar, open_ms: int, close_ms: int) -> None:
        self._core, self._bar, self.reach_ms, self.ts_ms = core, bar, open_ms, close_ms

    def prices(self, algo: AlgoOrder) -> PriceRange:
        return bar_range(algo, self._bar)

    def book(self, market: FuturesMarket, trigger: Decimal, algo: AlgoOrder) -> Book:
        mid, opened = trigger, self._bar.open.value
        gap = (
            algo.order_type is not OrderType.TRAILING_STOP_MARKET
            and algo.working_type is not WorkingType.MARK_PRICE
            and fires_at_once(algo.order_type, algo.side, trigger, opened)
        )
        if gap:  # the bar's first trade was already through the trigger
            mid = opened
        return Book.from_bar(self._bar, market.instrument, self._core.params, mid=mid)

    def order(self, waiting: dict[int, AlgoOrder]) -> list[int]:
        opened = self._bar.open.value

        def rank(algo_id: int) -> tuple[int, int, int]:
            algo = waiting[algo_id]
            stop = algo.order_type is not OrderType.TAKE_PROFIT_MARKET
            at_open = (
                algo.order_type is not OrderType.TRAILING_STOP_MARKET
                and algo.working_type is not WorkingType.MARK_PRICE
                and fires_at_once(algo.order_type, algo.side, algo.trigger_price, opened)
            )
            return (0 if at_open else 1, 0 if stop else 1, algo_id)

        return sorted(waiting, key=rank)


def process_algos(core: Core, market: FuturesMarket, event: PriceEvent) -> None:
    """Trail, and fire what ``event`` triggers, in the event's order (module docstring)."""
    waiting = core.registry.open_algos_on(market.symbol)
    tick = market.instrument.tick_size
    for algo_id in event.order(waiting):
        algo = waiting.get(algo_id)
        if algo is None or event.reach_ms < algo.eligible_from_ms:
            continue
        prices = event.prices(algo)
        if prices is None:
            continue
        if algo.order_type is OrderType.TRAILING_STOP_MARKET:
            moved, trigger = trail(algo, prices, tick)
            if trigger is None:
                if moved is not algo:
                    core.registry.save_algo(moved)
                continue
        elif stop_fires(algo, prices):
            trigger = algo.trigger_price
        else:
            continue
        _fire(core, market, algo, event.book(market, trigger, algo), trigger, event.ts_ms)


def _fire(
    core: Core,
    market: FuturesMarket,
    algo: AlgoOrder,
    book: Book | None,
    trigger: Decimal,
    ts: int,
) -> None:
    account = core.account(algo.account_id)
    state = account.state(market.instrument)
    reducing = algo.close_position or algo.reduce_only
    quantity = algo.quantity
    if algo.close_position:
        quantity = state.reducible(algo.side)
    elif algo.reduce_only:
        quantity = min(quantity, state.reducible(algo.side))
    fired = algo.changed(trigger_price=trigger, trigger_ms=ts, update_ms=ts)
    plan = book.plan(algo.side, quantity=quantity) if quantity > 0 and book is not None else None
    if plan is not None and not reducing:
        worst = plan.takes[-1].price if plan.takes else trigger
        try:
            check_margin(core, account, state, market.brackets, algo.side, quantity, worst)
        except FuturesRejected:
            plan = None
    if plan is None or book is None:
        _file(core, fired.changed(status=AlgoStatus.EXPIRED), ts)
        return
    child = _child_order(market, fired, quantity, ts)
    market.next_order_id += 1
    fired = fired.changed(status=AlgoStatus.TRIGGERED, actual_order_id=child.order_id)
    _file(core, fired, ts)
    core.emit(OrderEvent(ts, child, ExecutionType.NEW))
    child, _ = take(core, market, account, book, child, plan, ts)
    if child.remaining > 0:
        child = close_out(core, child, OrderStatus.EXPIRED, ts)
    else:
        core.registry.save(child)
    done = fired.changed(
        status=AlgoStatus.FINISHED,
        actual_price=child.avg_price,
        actual_quantity=child.executed_quantity,
    )
    _file(core, done, ts)


def _child_order(
    market: FuturesMarket, algo: AlgoOrder, quantity: Decimal, ts: int
) -> FuturesOrder:
    return FuturesOrder(
        account_id=algo.account_id,
        symbol=algo.symbol,
        order_id=market.next_order_id,
        client_order_id=algo.client_algo_id,
        side=algo.side,
        order_type=OrderType.MARKET,
        orig_type=algo.order_type,
        time_in_force=algo.time_in_force,
        quantity=quantity,
        price=ZERO,
        stop_price=algo.trigger_price,
        reduce_only=algo.reduce_only or algo.close_position,
        close_position=algo.close_position,
        status=OrderStatus.ACCEPTED,
        executed_quantity=ZERO,
        cumulative_quote=ZERO,
        realised_pnl=ZERO,
        time_ms=ts,
        update_ms=ts,
        eligible_from_ms=ts,
        working_type=algo.working_type,
        activate_price=algo.activate_price,
        price_rate=algo.callback_rate,
    )


def _file(core: Core, algo: AlgoOrder, ts: int) -> None:
    core.registry.save_algo(algo)
    core.emit(AlgoEvent(ts, algo))

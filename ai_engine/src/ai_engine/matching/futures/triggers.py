"""When a conditional (algo) order fires, as pure functions of the order and the range of prices
one market event showed it: a closed bar, or one tick (a public trade, a mark-price update).

STOP_MARKET        buy fires when the price rises to the trigger, sell when it falls to it
TAKE_PROFIT_MARKET buy fires when the price falls to the trigger, sell when it rises to it
(the spot engine's stop-loss / take-profit rules; touching is enough)

``workingType`` CONTRACT_PRICE watches the traded price, MARK_PRICE the mark price. A bar shows a
CONTRACT_PRICE order its range (low, high) and a MARK_PRICE order its close (on bars the mark is
the close, so only the close can fire it). A tick shows one price, low = high: a trade shows it
to CONTRACT_PRICE orders, a mark-price update to MARK_PRICE orders (``ticks.py``).

TRAILING_STOP_MARKET (callback rate c in percent) tracks the extreme price since activation:
a sell the highest, a buy the lowest. It is activated at placement, or, with an activation
price, by the first event that reaches it (a sell: high >= activation; a buy: low <= it). Each
later event first tests the trigger against the extreme so far, then moves the extreme:

    sell: trigger = extreme x (1 - c/100), rounded down to the tick; fires when low <= trigger
    buy:  trigger = extreme x (1 + c/100), rounded up to the tick;   fires when high >= trigger

Testing before moving is the no-look-ahead choice: inside one bar we do not know whether the
new high came before the low, so a bar never fires on an extreme it set itself (a tick is one
price, so for ticks the order does not matter).
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import Bar, OrderSide, OrderType, Rounding
from ai_engine.domain.decimals import exact, snap_to_step
from ai_engine.matching.futures.records import AlgoOrder, WorkingType
from ai_engine.matching.rules import triggers_immediately

_HUNDRED = Decimal(100)
PriceRange = tuple[Decimal, Decimal]  # (low, high) an event showed


def _spot_kind(order_type: OrderType) -> OrderType:
    """The spot rule with the same trigger direction (STOP_MARKET fires like STOP_LIMIT)."""
    return (
        OrderType.STOP_LIMIT if order_type is OrderType.STOP_MARKET else OrderType.TAKE_PROFIT_LIMIT
    )


def fires_at_once(order_type: OrderType, side: OrderSide, trigger: Decimal, last: Decimal) -> bool:
    """Whether a stop/take-profit would fire against the current price (Binance: -2021)."""
    return triggers_immediately(_spot_kind(order_type), side, trigger, last)


def activation_is_passed(side: OrderSide, activate: Decimal, last: Decimal) -> bool:
    """A trailing stop's activation price must lie ahead of the price (Binance: -2021)."""
    return activate <= last if side is OrderSide.SELL else activate >= last


def bar_range(algo: AlgoOrder, bar: Bar) -> PriceRange:
    """The prices ``bar`` shows ``algo``: its close to a MARK_PRICE order, else its range."""
    if algo.working_type is WorkingType.MARK_PRICE:
        return bar.close.value, bar.close.value
    return bar.low.value, bar.high.value


def stop_fires(algo: AlgoOrder, prices: PriceRange) -> bool:
    """Whether a STOP_MARKET/TAKE_PROFIT_MARKET fires on an event that showed ``prices``
    (a rule met at either end of the range is met by the range)."""
    kind, low, high = _spot_kind(algo.order_type), *prices
    return triggers_immediately(kind, algo.side, algo.trigger_price, low) or triggers_immediately(
        kind, algo.side, algo.trigger_price, high
    )


def trailing_trigger(algo: AlgoOrder, tick: Decimal) -> Decimal:
    """The price at which an activated trailing stop fires, from its extreme so far."""
    with exact():
        rate = algo.callback_rate / _HUNDRED
        if algo.side is OrderSide.SELL:
            return snap_to_step(algo.extreme * (1 - rate), tick, Rounding.DOWN)
        return snap_to_step(algo.extreme * (1 + rate), tick, Rounding.UP)


def trail(algo: AlgoOrder, prices: PriceRange, tick: Decimal) -> tuple[AlgoOrder, Decimal | None]:
    """(the order after an event that showed ``prices``, the trigger price if it fired)."""
    low, high = prices
    sell = algo.side is OrderSide.SELL
    if not algo.activated:
        reached = high >= algo.activate_price if sell else low <= algo.activate_price
        if not reached:
            return algo, None
        return algo.changed(activated=True, extreme=high if sell else low), None
    trigger = trailing_trigger(algo, tick)
    if (low <= trigger) if sell else (high >= trigger):
        return algo, trigger
    extreme = max(algo.extreme, high) if sell else min(algo.extreme, low)
    return algo.changed(extreme=extreme), None

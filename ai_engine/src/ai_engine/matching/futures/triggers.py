"""When a conditional (algo) order fires, as pure functions of the order and one closed bar.

STOP_MARKET        buy fires when the price rises to the trigger, sell when it falls to it
TAKE_PROFIT_MARKET buy fires when the price falls to the trigger, sell when it rises to it
(the spot engine's stop-loss / take-profit rules; touching is enough)

``workingType`` CONTRACT_PRICE watches the bar's range (high/low); MARK_PRICE watches the mark,
which in this simulation is the bar's close, so only the close can fire it.

TRAILING_STOP_MARKET (callback rate c in percent) tracks the extreme price since activation:
a sell the highest, a buy the lowest. It is activated at placement, or, with an activation
price, by the first bar that reaches it (a sell: high >= activation; a buy: low <= it). Each
later bar first tests the trigger against the extreme so far, then moves the extreme:

    sell: trigger = extreme x (1 - c/100), rounded down to the tick; fires when low <= trigger
    buy:  trigger = extreme x (1 + c/100), rounded up to the tick;   fires when high >= trigger

Testing before moving is the no-look-ahead choice: inside one bar we do not know whether the
new high came before the low, so a bar never fires on an extreme it set itself.
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import Bar, OrderSide, OrderType, Rounding
from ai_engine.domain.decimals import exact, snap_to_step
from ai_engine.matching.futures.records import AlgoOrder, WorkingType
from ai_engine.matching.rules import stop_triggered, triggers_immediately

_HUNDRED = Decimal(100)


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


def stop_fires(algo: AlgoOrder, bar: Bar) -> bool:
    kind = _spot_kind(algo.order_type)
    if algo.working_type is WorkingType.MARK_PRICE:
        return triggers_immediately(kind, algo.side, algo.trigger_price, bar.close.value)
    return stop_triggered(kind, algo.side, algo.trigger_price, bar)


def _range(algo: AlgoOrder, bar: Bar) -> tuple[Decimal, Decimal]:
    if algo.working_type is WorkingType.MARK_PRICE:
        return bar.close.value, bar.close.value
    return bar.low.value, bar.high.value


def trailing_trigger(algo: AlgoOrder, tick: Decimal) -> Decimal:
    """The price at which an activated trailing stop fires, from its extreme so far."""
    with exact():
        rate = algo.callback_rate / _HUNDRED
        if algo.side is OrderSide.SELL:
            return snap_to_step(algo.extreme * (1 - rate), tick, Rounding.DOWN)
        return snap_to_step(algo.extreme * (1 + rate), tick, Rounding.UP)


def trail(algo: AlgoOrder, bar: Bar, tick: Decimal) -> tuple[AlgoOrder, Decimal | None]:
    """(the order after ``bar``, the trigger price if it fired in ``bar``)."""
    low, high = _range(algo, bar)
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

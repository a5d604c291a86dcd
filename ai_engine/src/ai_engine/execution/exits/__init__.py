"""The exit manager: protective stop, take profits, trailing, breakeven, time stop, signal
reversal and flash-crash exits of one position. Pure: no I/O, no clock (time comes in with
each event), ``Decimal`` prices; imports the domain and ``execution.client_ids`` only.

Interface (the trader codes against this)::

    from ai_engine.execution.exits import Distance, ExitManager, ExitPlan, TakeProfitLevel

    plan = ExitPlan(
        stop=Distance.percent("0.01"),                       # or Distance.atr("2")
        take_profits=(TakeProfitLevel(Distance.r(1), D("0.25")),      # seed 004: 25 % at 1R,
                      TakeProfitLevel(Distance.r(2), D("0.25")),      # 25 % at 2R,
                      TakeProfitLevel(Distance.r(3), D("0.25"))),     # 25 % at 3R
        trailing=TrailingStop(activation=Distance.r(2), distance=Distance.atr(1)),
        breakeven=Breakeven(trigger=Distance.r(1)),
        time_stop=TimeStop(bars=30),                         # or duration=timedelta(minutes=30)
        exit_on_reversal=True, reversal_min_score=None,
        flash_crash=FlashCrash(),                            # > 5 % within 1 minute
        maker_fee_rate=D("0.0002"), taker_fee_rate=D("0.0004"),
        reduce_only_venue=True,                              # USD-M; False on spot
    )
    exits = ExitManager(plan, instrument)                    # or ExitManager(plan, inst, state)
    actions = exits.on_entry_filled(side=PositionSide.LONG, price=Price(avg), quantity=qty,
                                    fee=entry_fee_in_quote, ts=fill_ts, anchor=signal_bar_time,
                                    atr=atr_or_None, stop_price=strategy_stop_or_None)
    actions = exits.on_bar(ts=bar_close_time, high=Price(h), low=Price(l), close=Price(c),
                           atr=atr_or_None, volume=volume_or_None)
    actions = exits.on_tick(ts=ts, price=Price(p))           # flash crash (> 5 % in 1 min)
    actions = exits.on_fill(tag=tag, quantity=qty, price=Price(p), ts=ts)   # any exit's fill
    actions = exits.on_signal(side=OrderSide.SELL, score=D(75), ts=ts)      # reversal
    actions = exits.on_exit_failed(tag=tag, detail="venue said ...")        # rejected/expired
    exits.state                                              # ExitState (immutable) or None

    plan = plan_from_mapping(bot_config.exits, maker_fee_rate=..., taker_fee_rate=...,
                             reduce_only_venue=market == "usdm")   # errors name the key
    saved = state_to_primitive(exits.state)                  # JSON-ready; after a restart:
    exits = ExitManager(plan, instrument, state_from_primitive(saved))

``exit_order(action, bot_id=, anchor=state.anchor, instrument_id=, created_at=,
reduce_only=plan.reduce_only_venue)`` gives the domain ``Order`` an action asks for (None for a
``CancelExit``), its client id minted from the tag.

Every call returns ``list[ExitAction]`` to execute **in order** (``actions`` explains the
order per venue): ``PlaceStop``, ``MoveStop`` (cancel + replace), ``PlaceTakeProfit``,
``CancelExit``, ``MarketExit``. Each carries ``tag`` (``ExitTag``: purpose + attempt) from
which the trader mints the client id, ``tag.client_order_id(bot_id=, anchor=state.anchor,
symbol=)``, and ``reason`` (an ``ExitReason``: the ``trades.exit_reason`` vocabulary) with
``detail`` in words. The trader maps a client id back to its tag with
``ExitTag.of_client_order_id(client_id)`` (None for a non-exit id).

Rules:

- **The first action of ``on_entry_filled`` is ``PlaceStop``** (exchange-side STOP_MARKET on
  the closing side, reduce-only where the venue has it), at the entry's ``stop_price`` or the
  plan's ``stop`` distance, rounded one tick *towards* the entry (never a looser stop than
  sized). Further entry fills of the same position (a partial entry completing) re-size it.
- **The stop only moves in the protective direction** (up for a long, down for a short) and
  always covers the remaining quantity less the market exits in flight. A take-profit fill
  (``on_fill``) shrinks it; a market exit the venue refused (``on_exit_failed``) gives the
  quantity back to it; a stop the venue refuses becomes a market exit.
- **Take profits** rest as orders on reduce-only venues (LIMIT when the maker fee is the
  cheaper, else TAKE_PROFIT_MARKET), placed right after the stop; on spot they are watched on
  each bar (high/low) and sent as market exits after the stop has been shrunk. The last level
  of a plan whose fractions add up to 1 takes whatever remains; a level below the
  instrument's minimum quantity (or notional, on spot) is dropped.
- **Breakeven**: once the best price is ``trigger`` in profit, the stop moves to the price at
  which closing at the taker rate returns the entry cost and entry fee. **Trailing**: once the
  best price is ``activation`` in profit, the stop follows ``distance`` behind it (one tick at
  least per move); if a bar's close is already past the trailing level, a market exit.
  Neither moves a stop to or past the bar's close (the venue would refuse a stop that
  triggers at once); the move is tried again on the next bar.
- **Time stop**, **signal reversal** (a signal on the closing side, with
  ``score >= reversal_min_score`` when set) and **flash crash** (``on_tick``: the price moved
  more than ``move`` within ``window``, either way) close the whole remaining quantity at
  market and cancel the resting exits.
- **A close-out the venue did not fill** (time stop, reversal, trailing, a refused stop, flash
  crash: a market exit that expired in an empty book or was refused) puts the stop back and
  waits (``state.retry``, ``ExitRetry``): the next attempt after 1, 2, 4, 8, 16, 16 ... new bars
  (a bar later than the last counted), and only on a bar that traded (``on_bar(volume=)``: 0
  waits, None is unknown). Meanwhile the bar rules and reversal signals are off (the close-out
  is decided) and the stop rests untouched. Every attempt is a new order (a new tag). A spot
  take profit sent at market is not retried (the level is dropped; the stop covers it).
- **Exit quantities never exceed the position**; a fill the state cannot place (unknown tag,
  more than remains) raises ``ExitStateError``: reconcile with the venue.
- The state is checked against its invariants (``state.violations``) after every call.
"""

from ai_engine.execution.exits.actions import (
    CancelExit,
    ExitAction,
    ExitReason,
    ExitTag,
    MarketExit,
    MoveStop,
    PlaceStop,
    PlaceTakeProfit,
)
from ai_engine.execution.exits.config import ExitConfigError, plan_from_mapping
from ai_engine.execution.exits.manager import ExitManager
from ai_engine.execution.exits.persist import state_from_primitive, state_to_primitive
from ai_engine.execution.exits.plan import (
    Breakeven,
    Distance,
    DistanceUnit,
    ExitPlan,
    FlashCrash,
    TakeProfitLevel,
    TimeStop,
    TrailingStop,
)
from ai_engine.execution.exits.state import (
    ExitRetry,
    ExitState,
    ExitStateError,
    LiveStop,
    PendingExit,
    TakeProfitSlot,
    violations,
)
from ai_engine.execution.exits.to_orders import exit_order

__all__ = [
    "Breakeven",
    "CancelExit",
    "Distance",
    "DistanceUnit",
    "ExitAction",
    "ExitConfigError",
    "ExitManager",
    "ExitPlan",
    "ExitReason",
    "ExitRetry",
    "ExitState",
    "ExitStateError",
    "ExitTag",
    "FlashCrash",
    "LiveStop",
    "MarketExit",
    "MoveStop",
    "PendingExit",
    "PlaceStop",
    "PlaceTakeProfit",
    "TakeProfitLevel",
    "TakeProfitSlot",
    "TimeStop",
    "TrailingStop",
    "exit_order",
    "plan_from_mapping",
    "state_from_primitive",
    "state_to_primitive",
    "violations",
]

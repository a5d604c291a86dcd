"""``ExitState``: one position as the exit manager sees it, and the invariants it keeps.

Immutable; every call of ``ExitManager`` replaces it. It holds what the manager needs to
decide the next step and to recognise the orders it asked for: the live protective stop,
each take-profit level (resting, watched, filled or dropped), the market exits in flight and
the tags of orders it has retired (canceled or replaced), whose late fills still count.

Invariants (``violations`` lists what is broken; the manager checks them after every step
and the property tests after every event):

- an open position has **exactly one live protective stop** covering its remaining quantity
  less what market exits in flight are closing (``stop + in flight == remaining``); none only
  while market exits in flight cover all of it;
- a closed position has no live stop, no resting take profit and nothing in flight;
- resting take profits never add up to more than the remaining quantity;
- a close-out waiting for its retry (``retry``, see ``ExitRetry``) only while open.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from ai_engine.domain import FatalError, PositionSide, Price, Quantity
from ai_engine.execution.client_ids import Purpose
from ai_engine.execution.exits.actions import ExitReason, ExitTag

_NONE = Quantity(0)


class ExitStateError(FatalError):
    """A report the exit manager cannot square with its state (a fill of an order it never
    asked for, more filled than the position holds): reconcile with the venue."""


@dataclass(frozen=True, slots=True)
class LiveStop:
    tag: ExitTag
    quantity: Quantity
    stop_price: Price


@dataclass(frozen=True, slots=True)
class TakeProfitSlot:
    """One take-profit level. ``tag`` is its resting order (reduce-only venues) or None while
    watched; ``done`` once it has filled, been sent as a market exit, or was dropped."""

    level: int
    price: Price
    quantity: Quantity  # planned (resting: as placed)
    tag: ExitTag | None = None
    filled: Quantity = _NONE
    done: bool = False

    @property
    def resting(self) -> bool:
        return self.tag is not None and not self.done

    @property
    def open_quantity(self) -> Quantity:
        return self.quantity - self.filled if self.resting else Quantity(0)


@dataclass(frozen=True, slots=True)
class PendingExit:
    """A market exit sent and not yet filled in full."""

    tag: ExitTag
    quantity: Quantity  # still to fill
    reason: ExitReason


RETRY_CAP_BARS = 16  # the longest wait between two attempts of a close-out at market


def retry_wait(failures: int) -> int:
    """The new bars to wait after ``failures`` failed attempts in a row: 1, 2, 4, ... 16."""
    return min(1 << (max(failures, 1) - 1), RETRY_CAP_BARS)


@dataclass(frozen=True, slots=True)
class ExitRetry:
    """A close-out at market (time stop, reversal, trailing, a refused stop, flash crash) the
    venue did not fill (it expired in an empty book, or was refused): the protective stop is
    back and rests untouched while the close-out waits ``wait`` more new bars (a bar later
    than ``seen``), then it is tried again on a bar that traded."""

    reason: ExitReason
    purpose: Purpose
    detail: str  # why the close-out was decided (the first attempt's words)
    failures: int  # attempts that failed in a row
    wait: int  # new bars still to wait (0: due)
    seen: datetime | None  # the last bar counted


@dataclass(frozen=True, slots=True, kw_only=True)
class ExitState:
    symbol: str
    side: PositionSide  # LONG or SHORT
    anchor: datetime  # the entry's signal bar: the bar field of every exit's client id
    opened_at: datetime
    entry_price: Decimal  # average fill price of the entry
    entry_quantity: Quantity  # everything entered
    entry_fee: Decimal  # entry fees in the settlement asset
    remaining: Quantity
    initial_risk: Decimal  # |entry - initial stop|: one R
    atr: Decimal | None  # at entry
    best_price: Decimal  # highest (long) / lowest (short) price since entry
    bars_held: int = 0
    stop_price: Price  # the protective level, also while no stop order rests
    stop: LiveStop | None = None
    take_profits: tuple[TakeProfitSlot, ...] = ()
    pending: tuple[PendingExit, ...] = ()
    retired: tuple[tuple[ExitTag, ExitReason], ...] = ()
    breakeven_done: bool = False
    trailing_active: bool = False
    attempts: tuple[tuple[Purpose, int], ...] = ()  # next attempt number per purpose
    lows: tuple[tuple[datetime, Decimal], ...] = ()  # flash-crash window (monotonic queues)
    highs: tuple[tuple[datetime, Decimal], ...] = ()
    closed: bool = False
    close_reason: ExitReason | None = None
    last_bar: datetime | None = None  # the close time of the last bar seen
    retry: ExitRetry | None = None  # a failed close-out waiting for its next attempt

    @property
    def is_open(self) -> bool:
        return not self.closed

    @property
    def is_long(self) -> bool:
        return self.side is PositionSide.LONG

    @property
    def in_flight(self) -> Quantity:
        return sum((p.quantity for p in self.pending), Quantity(0))

    @property
    def resting_take_profit(self) -> Quantity:
        return sum((slot.open_quantity for slot in self.take_profits), Quantity(0))

    def next_tag(self, purpose: Purpose) -> tuple[ExitState, ExitTag]:
        counts = dict(self.attempts)
        attempt = counts.get(purpose, 0)
        tag = ExitTag(purpose, attempt)  # raises past the last attempt
        counts[purpose] = attempt + 1
        return replace(self, attempts=tuple(sorted(counts.items()))), tag


def violations(state: ExitState) -> list[str]:
    """The invariants ``state`` breaks (empty when it is sound)."""
    found: list[str] = []
    if state.remaining > state.entry_quantity:
        found.append(f"remaining {state.remaining} above the entry's {state.entry_quantity}")
    stop_qty = state.stop.quantity if state.stop is not None else Quantity(0)
    if state.closed:
        if not state.remaining.is_zero():
            found.append(f"closed with {state.remaining} remaining")
        if state.stop is not None or state.pending or state.resting_take_profit.value > 0:
            found.append("closed with exit orders still live")
        if state.retry is not None:
            found.append("closed with a close-out waiting for its retry")
        return found
    if state.remaining.is_zero():
        found.append("open with nothing remaining")
    if state.stop is not None and stop_qty.is_zero():
        found.append("a live stop for zero quantity")
    if stop_qty + state.in_flight != state.remaining:
        found.append(
            f"stop {stop_qty} + in flight {state.in_flight} != remaining {state.remaining}"
        )
    if state.resting_take_profit > state.remaining:
        found.append(
            f"resting take profits {state.resting_take_profit} above remaining {state.remaining}"
        )
    return found


def check(state: ExitState) -> ExitState:
    """``state`` if it keeps every invariant; else ``ExitStateError`` naming what broke."""
    broken = violations(state)
    if broken:
        raise ExitStateError(f"exit state of {state.symbol}: " + "; ".join(broken))
    return state

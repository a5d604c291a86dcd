"""The USD-M rules of the trader loop: which orders a bar's signals make, and an entry's size.

Both are the backtest's, so a replay trades what ``tradingbot backtest`` with market ``usdm``
trades (docs/execution.md, "Parity"):

- ``decide`` is ``backtest.kernel_rules.decide`` for one position: a long closes on its exit
  flag, a short on its own; an entry flag of one side only (not both) opens that side when flat,
  or after the exit of the same bar, and an entry against the open position closes it first (a
  reversal: the exit, then the entry, as two orders).
- ``entry_quantity`` is the all-equity sizing of ``backtest.kernel_entries.size_for``:
  ``quantity = cash / (price x (1 + MARGIN_RESERVE) x (1/leverage + fee))``, floored to the lot
  step (the venue trades whole lots; the backtest the exact fraction, inside
  ``drift.QTY_REL_TOL``), with ``price`` the decision bar's close. The fill is the next bar's
  open, which the backtest sizes at and the trader cannot know: that close or a few ticks away
  (at most 1.7 bps on the vendored ETHUSDT perpetual, 0.6 on BTCUSDT). Sized at the close to
  the last lot, an entry whose fill is above the close asks the venue for more initial margin
  and fee than the wallet holds, and the venue refuses it (``-2019 Margin is insufficient``:
  the replay then misses the backtest's trade -- it did on ETHUSDT, where a lot is 0.001 of a
  ~100 ETH position and leaves no slack). ``MARGIN_RESERVE`` (5 bps) keeps that much of the
  margin back: quantities 0.05 % below the backtest's at most (plus the lot), well inside
  ``drift.QTY_REL_TOL``; a gap of more than 5 bps between a close and the next open can still
  be refused.
- ``funding_hook`` is the loop's ``funding`` hook: the funding the venue booked on the
  instrument (its income history) from ``since`` on, each payment once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MARGIN_RESERVE = Decimal("0.0005")  # the fill may be above the close (module docstring)


@dataclass(frozen=True, slots=True)
class Decision:
    close: bool  # close the open position (reduce-only) first
    enter: int  # then open: 1 long, -1 short, 0 nothing


def decide(
    side: int, entry_long: bool, exit_long: bool, entry_short: bool, exit_short: bool
) -> Decision:
    """The orders a bar's flags make with the position on ``side`` (1, -1, 0)."""
    close = (side > 0 and exit_long) or (side < 0 and exit_short)
    want = 1 if entry_long and not entry_short else -1 if entry_short and not entry_long else 0
    enter = 0
    if want:
        if side == -want:
            close, enter = True, want
        elif side == 0 or close:
            enter = want
    return Decision(close=bool(close and side != 0), enter=enter)


def entry_quantity(
    cash: Decimal, price: Decimal, leverage: int, fee: Decimal, lot_step: Decimal
) -> Decimal:
    """The quantity an entry opens with ``cash`` of margin and fee (module docstring)."""
    if cash <= 0 or price <= 0:
        return Decimal(0)
    raw = cash / (price * (1 + MARGIN_RESERVE) * (Decimal(1) / leverage + fee))
    return (raw / lot_step).to_integral_value(rounding=ROUND_DOWN) * lot_step


def funding_hook(
    venue: Any, instrument_id: Any, since: datetime = EPOCH
) -> Callable[[], Awaitable[list[Decimal]]]:
    """The funding payments ``venue.funding_fees`` lists from ``since`` on that an earlier call
    did not return (replay: all of the run's sim; live: from the run's start, the venue's
    clock, so an account's earlier income is not booked)."""
    seen: set[tuple[datetime, Decimal]] = set()

    async def funding() -> list[Decimal]:
        nonlocal since
        new = [
            (t, a) for t, a in await venue.funding_fees(instrument_id, since) if (t, a) not in seen
        ]
        seen.update(new)
        if new:
            since = new[-1][0]
        return [amount for _, amount in new]

    return funding

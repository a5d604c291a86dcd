"""The history part of ``RiskState``: what the bot's record says about its day and its streaks.

The trader's pre-check and the execution worker's authoritative check both fill it with
``with_history`` from the same record (``store.risk_history``, one query, the same SQL for
both): the same record, account and ``now`` give the same state, so the two checks agree.
Pure: the caller passes the record and ``now`` (the intent's decision time, tz-aware UTC:
replay time in a replay).

The record (``RiskHistory``) is bounded, whatever the bot's age or pace: the newest closed
trades (at most ``store.risk_history.STREAK``) and a few figures of the day. Nothing after
``now`` counts (a trade that closed after the decision counts from the next decision on); the
day is the UTC day of ``now``. Rules:

* ``realised_pnl_today``: the net P&L of the trades closed in [day start, ``now``];
* ``day_start_equity``: the equity now less today's realised P&L (the account before today's
  trades), so the day's loss is its realised loss (``RiskState.loss_today``); an open
  position's loss counts through the daily headroom (its risk at its stop), not its mark;
* ``realised_pnl_week`` and ``week_start_equity``: the same for the ISO week of ``now``
  (from Monday 00:00 UTC; the weekly loss limits);
* ``peak_equity``: the higher of the state's and the one the record's drawdown gives: the
  newest equity snapshot's ``drawdown`` (a fraction of the bot's peak, ``trader/records.py``)
  applied to the equity now, ``equity / (1 - drawdown)``. A fraction, not the snapshot's
  money: the record's equity is the trader's books (per symbol in a bot of several symbols),
  the worker's is the venue's account, and the two need not be on one scale;
* ``consecutive_losses``: the newest trades that lost (net P&L < 0), in a row; a trade that did
  not lose ends the streak (trades closed at one instant: losses first, so the record's order
  never matters). ``last_loss_at``: the newest losing trade's close among them;
* ``last_stop_loss_at``: the newest close by a stop (within the profile's longest pause);
* ``last_entry_at`` and ``trades_today``: the newest entry, and the entries in [day start, now];
* ``recent_trades``: the newest trades, oldest first.

Everything else in the state (equity, positions, breaker, ...) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from ai_engine.domain import DomainValueError, require_utc, to_decimal
from ai_engine.domain.decimals import wide_divide
from ai_engine.risk.limits import RiskLimits
from ai_engine.risk.state import ClosedTrade, RiskState

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskHistory:
    """The bot's record as the checks need it, up to ``now`` (``store.risk_history``)."""

    trades: tuple[ClosedTrade, ...] = ()  # the newest closed round trips, any order
    realised_today: Decimal = _ZERO  # net P&L of every trade closed today
    realised_week: Decimal = _ZERO  # ... and this ISO week (from Monday 00:00 UTC)
    last_stop_loss_at: datetime | None = None  # the newest close by a stop
    entries_today: int = 0  # entries decided today (filled or still working)
    last_entry_at: datetime | None = None  # the newest entry's decision time
    drawdown: Decimal | None = None  # the newest equity snapshot's, a fraction of the peak

    def __post_init__(self) -> None:
        for name in ("realised_today", "realised_week"):
            object.__setattr__(self, name, to_decimal(getattr(self, name), what=name))
        for name in ("last_stop_loss_at", "last_entry_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_utc(value, what=name))
        if self.entries_today < 0:
            raise DomainValueError(f"entries_today must not be negative, got {self.entries_today}")
        if self.drawdown is not None:
            drawdown = to_decimal(self.drawdown, what="drawdown")
            if not 0 <= drawdown <= 1:
                raise DomainValueError(f"drawdown must be a fraction 0..1, got {drawdown}")
            object.__setattr__(self, "drawdown", drawdown)


def day_start(now: datetime) -> datetime:
    """Midnight UTC of ``now``'s day."""
    now = require_utc(now, what="now")
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def lookback(limits: RiskLimits) -> timedelta:
    """How far before ``now`` the record's pauses matter for ``limits`` (its longest pause)."""
    pauses = (limits.min_trade_interval, limits.stop_loss_cooldown,
              limits.breaker.loss_streak_cooldown)  # fmt: skip
    return max((p for p in pauses if p is not None), default=timedelta(0))


def needs_history(limits: RiskLimits) -> bool:
    """Whether any of ``limits`` reads the record: a profile with none (``unrestricted``)
    is checked on the account alone, and neither check reads the record for it."""
    return any(
        (limits.daily_loss_fraction, limits.daily_loss_amount, limits.weekly_loss_fraction,
         limits.weekly_loss_amount, limits.max_drawdown_fraction, limits.stop_loss_cooldown,
         limits.min_trade_interval, limits.daily_trade_cap, limits.breaker.loss_streak,
         limits.leverage.step_down_after_loss)
    )  # fmt: skip


def with_history(state: RiskState, history: RiskHistory, now: datetime) -> RiskState:
    """``state`` with the history fields filled from ``history`` (module docstring)."""
    now = require_utc(now, what="now")
    trades = sorted((t for t in history.trades if t.closed_at <= now),
                    key=lambda t: (t.closed_at, t.pnl, t.by_stop))  # fmt: skip
    streak = 0
    for trade in reversed(trades):
        if trade.pnl >= 0:
            break
        streak += 1
    losses = [t.closed_at for t in trades if t.pnl < 0]
    peak = state.peak_equity
    drawdown = history.drawdown
    if drawdown is not None and drawdown < 1 and state.equity > 0:  # 1: nothing left, no peak
        peak = max(peak, wide_divide(state.equity, 1 - drawdown))
    return replace(
        state,
        realised_pnl_today=history.realised_today,
        day_start_equity=state.equity - history.realised_today,
        realised_pnl_week=history.realised_week,
        week_start_equity=state.equity - history.realised_week,
        peak_equity=peak,
        recent_trades=tuple(trades),
        consecutive_losses=streak,
        last_loss_at=losses[-1] if losses else None,
        last_stop_loss_at=history.last_stop_loss_at,
        last_entry_at=history.last_entry_at,
        trades_today=history.entries_today,
    )

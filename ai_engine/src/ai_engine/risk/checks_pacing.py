"""Pacing checks: circuit-breaker halts, loss streaks, cool-downs, trade spacing, daily cap.

Rules (``now`` is the injected time; a cool-down ends exactly at its end time):

* **halted**: while the circuit breaker (``state.breaker``) has an active halt, no entry.
* **loss streak**: after ``breaker.loss_streak`` losing trades in a row, no entry until
  ``loss_streak_cooldown`` after the last loss. The count resets at the next win, so after the
  cool-down one more loss halts again (probation).
* **cool-down after a stop loss**: no entry until ``stop_loss_cooldown`` after the last stop.
* **minimum time between trades**: no entry until ``min_trade_interval`` after the last entry.
* **daily trade cap**: at most ``daily_trade_cap`` entries per UTC day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ai_engine.risk.context import CheckContext
from ai_engine.risk.verdict import APPROVED, RefusalCode, Verdict, refuse
from ai_engine.risk.wording import span


def _waiting(last: datetime | None, pause: timedelta | None, now: datetime) -> timedelta | None:
    """Time left before ``last + pause``; None when nothing to wait for."""
    if last is None or pause is None or now >= last + pause:
        return None
    return last + pause - now


def check_halted(ctx: CheckContext) -> Verdict:
    breaker = ctx.state.breaker
    if breaker is None:
        return APPROVED
    halts = breaker.active_halts(ctx.now)
    if not halts:
        return APPROVED
    return refuse(
        RefusalCode.HALTED,
        "trading halted by the circuit breaker: " + "; ".join(str(h) for h in halts),
    )


def check_loss_streak(ctx: CheckContext) -> Verdict:
    rules, state = ctx.limits.breaker, ctx.state
    if rules.loss_streak is None or state.consecutive_losses < rules.loss_streak:
        return APPROVED
    cooldown = rules.loss_streak_cooldown
    if state.last_loss_at is None:
        left: timedelta | None = cooldown  # no time recorded: wait as if it just happened
    else:
        left = _waiting(state.last_loss_at, cooldown, ctx.now)
    if left is None:
        return APPROVED
    return refuse(
        RefusalCode.LOSS_STREAK,
        f"loss streak circuit breaker: {state.consecutive_losses} losing trades in a row, limit "
        f"{rules.loss_streak}; cool-down {span(cooldown)}, {span(left)} left",
    )


def check_stop_loss_cooldown(ctx: CheckContext) -> Verdict:
    pause = ctx.limits.stop_loss_cooldown
    left = _waiting(ctx.state.last_stop_loss_at, pause, ctx.now)
    if left is None or pause is None:
        return APPROVED
    return refuse(
        RefusalCode.STOP_LOSS_COOLDOWN,
        f"cool-down after a stop loss: {span(pause)} after the last stop, {span(left)} left",
    )


def check_trade_interval(ctx: CheckContext) -> Verdict:
    pause = ctx.limits.min_trade_interval
    left = _waiting(ctx.state.last_entry_at, pause, ctx.now)
    if left is None or pause is None:
        return APPROVED
    return refuse(
        RefusalCode.MIN_TRADE_INTERVAL,
        f"minimum time between trades: {span(pause)}, last entry {span(pause - left)} ago",
    )


def check_daily_trade_cap(ctx: CheckContext) -> Verdict:
    cap, done = ctx.limits.daily_trade_cap, ctx.state.trades_today
    if cap is None or done + 1 <= cap:
        return APPROVED
    return refuse(
        RefusalCode.DAILY_TRADE_CAP,
        f"daily trade cap: {done} entries today, cap {cap}",
    )

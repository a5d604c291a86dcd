"""Account limits the circuit breaker should hear about, read from a ``RiskState``.

``account_breaches(state, limits)`` returns one ``LimitBreached`` event per limit reached:
daily loss, weekly loss, drawdown from peak and the loss streak. The trader feeds them to
``breaker.next_state`` after every fill and mark update; the thresholds are the ones
``check_order`` uses, so the breaker and the pre-trade check never disagree.
"""

from __future__ import annotations

from ai_engine.risk.breaker import HaltCause, LimitBreached
from ai_engine.risk.context import cap_of
from ai_engine.risk.limits import RiskLimits
from ai_engine.risk.state import RiskState
from ai_engine.risk.wording import money


def account_breaches(state: RiskState, limits: RiskLimits) -> tuple[LimitBreached, ...]:
    found: list[LimitBreached] = []
    if limits.daily_loss_fraction is not None or limits.daily_loss_amount is not None:
        cap, text = cap_of(
            limits.daily_loss_fraction, state.day_start_equity, limits.daily_loss_amount
        )
        if state.loss_today >= cap:
            found.append(
                LimitBreached(
                    HaltCause.DAILY_LOSS, f"lost {money(state.loss_today)} today, limit {text}"
                )
            )
    if limits.weekly_loss_fraction is not None or limits.weekly_loss_amount is not None:
        start = state.week_start_equity if state.week_start_equity is not None else state.equity
        cap, text = cap_of(limits.weekly_loss_fraction, start, limits.weekly_loss_amount)
        if state.loss_this_week >= cap:
            found.append(
                LimitBreached(
                    HaltCause.WEEKLY_LOSS,
                    f"lost {money(state.loss_this_week)} this week, limit {text}",
                )
            )
    if limits.max_drawdown_fraction is not None:
        cap, text = cap_of(limits.max_drawdown_fraction, state.peak_equity, None)
        if state.drawdown >= cap:
            found.append(
                LimitBreached(
                    HaltCause.DRAWDOWN,
                    f"equity {money(state.equity)} is {money(state.drawdown)} below its peak "
                    f"{money(state.peak_equity)}, limit {text}",
                )
            )
    streak = limits.breaker.loss_streak
    if streak is not None and state.consecutive_losses >= streak:
        found.append(
            LimitBreached(
                HaltCause.LOSS_STREAK,
                f"{state.consecutive_losses} losing trades in a row, limit {streak}",
                at=state.last_loss_at,
            )
        )
    return tuple(found)

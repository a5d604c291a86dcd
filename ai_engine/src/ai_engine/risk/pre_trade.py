"""``check_order``: the pre-trade verdict on one order, every entry check combined.

* **Exits and reductions are never blocked.** A ``reduce_only`` order, or an order against the
  net position in its symbol for no more than that position, is approved at once: halts, loss
  limits, cool-downs and caps all concern new risk, and refusing an exit could only keep risk
  on. (A flip, closing and reopening in one order, counts as an entry: close with reduce-only
  first.)
* **An entry passes every check or is refused with all of its refusals**, in the order of
  ``ENTRY_CHECKS``; the verdict's ``notes`` say which milestones and step-downs were in force.
* Equity at or below zero refuses every entry (nothing else is computed: percentages of
  nothing mean nothing).

Pure: the caller passes the state and ``now`` (tz-aware UTC), nothing is read or written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from ai_engine.domain import OrderSide, require_utc
from ai_engine.risk.checks_exposure import (
    check_concurrent_positions,
    check_correlated_exposure,
    check_position_size,
)
from ai_engine.risk.checks_leverage import check_leverage, check_profit_shares
from ai_engine.risk.checks_loss import (
    check_daily_loss,
    check_drawdown,
    check_stop,
    check_trade_loss,
    check_weekly_loss,
)
from ai_engine.risk.checks_pacing import (
    check_daily_trade_cap,
    check_halted,
    check_loss_streak,
    check_stop_loss_cooldown,
    check_trade_interval,
)
from ai_engine.risk.checks_quality import (
    check_expected_profit,
    check_reward_risk,
    check_signal_score,
    check_target,
)
from ai_engine.risk.context import CheckContext
from ai_engine.risk.in_force import limits_in_force
from ai_engine.risk.intent import OrderIntent
from ai_engine.risk.limits import RiskLimits
from ai_engine.risk.state import RiskState
from ai_engine.risk.verdict import RefusalCode, Verdict, combine, refuse
from ai_engine.risk.wording import money

Check = Callable[[CheckContext], Verdict]

ENTRY_CHECKS: tuple[Check, ...] = (
    check_halted,
    check_stop,
    check_trade_loss,
    check_daily_loss,
    check_weekly_loss,
    check_drawdown,
    check_position_size,
    check_concurrent_positions,
    check_correlated_exposure,
    check_leverage,
    check_profit_shares,
    check_loss_streak,
    check_stop_loss_cooldown,
    check_trade_interval,
    check_daily_trade_cap,
    check_target,
    check_expected_profit,
    check_reward_risk,
    check_signal_score,
)


def is_exit(intent: OrderIntent, state: RiskState) -> bool:
    """Whether ``intent`` only closes or reduces: reduce-only, or against the net position."""
    if intent.reduce_only:
        return True
    net = state.net_quantity(intent.symbol)
    against = net < 0 if intent.side is OrderSide.BUY else net > 0
    return against and intent.quantity.value <= abs(net)


def check_order(
    intent: OrderIntent,
    state: RiskState,
    limits: RiskLimits,
    now: datetime,
    *,
    checks: Sequence[Check] = ENTRY_CHECKS,
) -> Verdict:
    """The verdict on ``intent``; ``checks`` exists so tests can prove each one is needed."""
    now = require_utc(now, what="now")
    if is_exit(intent, state):
        return Verdict(is_exit=True)
    if state.equity <= 0:
        return refuse(
            RefusalCode.NO_EQUITY,
            f"no equity: {money(state.equity)}; entries need a positive account value",
        )
    in_force = limits_in_force(limits, state)
    ctx = CheckContext(intent, state, limits, in_force, now)
    return combine((check(ctx) for check in checks), notes=in_force.notes)

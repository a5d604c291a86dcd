"""The limits in force now: growth milestones and leverage step-downs applied to a profile.

Order of application (each step explained in ``InForce.notes``):

1. Base values: ``limits.leverage.max_leverage``, ``limits.position_fraction``,
   ``limits.trade_loss_fraction``.
2. Growth milestones (seed 002 §6 leverage unlocks, seed 004 §2 growth milestones): every
   milestone whose ``equity_multiple x starting_equity`` equity has reached applies in turn,
   each replacing the values it sets. With ``milestones_need_profitable_days`` (seed 004 §14
   "scale up only after 10 consecutive profitable days") none applies before that streak.
3. Step-downs, one leverage step (1x) each, never below 1x: the last closed trade lost (seed 004
   §4), leveraged losses reached the configured share of profit (seed 002 §6), the volatility
   index is above its threshold (seed 002 §6).
4. Drawdown clamp: drawdown above ``drawdown_cap_from`` of peak caps leverage (seed 004 §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain.decimals import wide_divide
from ai_engine.risk.limits import Milestone, RiskLimits
from ai_engine.risk.state import RiskState
from ai_engine.risk.wording import money, number, pct

_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class InForce:
    max_leverage: Decimal
    position_fraction: Decimal | None
    trade_loss_fraction: Decimal | None
    milestone: Milestone | None
    notes: tuple[str, ...]


def reached_milestones(limits: RiskLimits, state: RiskState) -> tuple[Milestone, ...]:
    """Milestones whose equity level has been reached (ignoring the profitable-days gate)."""
    return tuple(
        m
        for m in limits.leverage.milestones
        if state.equity >= m.equity_multiple * state.starting_equity
    )


def limits_in_force(limits: RiskLimits, state: RiskState) -> InForce:
    rules = limits.leverage
    leverage = rules.max_leverage
    position = limits.position_fraction
    trade_loss = limits.trade_loss_fraction
    notes: list[str] = []
    reached = reached_milestones(limits, state)
    need = rules.milestones_need_profitable_days
    if reached and state.consecutive_profitable_days < need:
        notes.append(
            f"growth milestones held back: {state.consecutive_profitable_days} profitable days "
            f"in a row, {need} needed"
        )
        reached = ()
    for m in reached:
        leverage = m.max_leverage if m.max_leverage is not None else leverage
        position = m.position_fraction if m.position_fraction is not None else position
        trade_loss = m.trade_loss_fraction if m.trade_loss_fraction is not None else trade_loss
    if reached:
        top = reached[-1]
        notes.append(
            f"milestone {number(top.equity_multiple)}x starting equity reached "
            f"(equity {money(state.equity)}): leverage up to {number(leverage)}x"
            + (f", positions up to {pct(position)}" if position is not None else "")
        )
    steps = _step_downs(limits, state, notes)
    if steps:
        leverage = max(_ONE, leverage - steps)
    if rules.drawdown_cap_from is not None and rules.drawdown_cap_leverage is not None:
        drawdown = wide_divide(state.drawdown, state.peak_equity) if state.peak_equity > 0 else _ONE
        if drawdown > rules.drawdown_cap_from and leverage > rules.drawdown_cap_leverage:
            leverage = rules.drawdown_cap_leverage
            notes.append(
                f"drawdown {pct(drawdown)} above {pct(rules.drawdown_cap_from)}: leverage capped "
                f"at {number(leverage)}x"
            )
    return InForce(leverage, position, trade_loss, reached[-1] if reached else None, tuple(notes))


def _step_downs(limits: RiskLimits, state: RiskState, notes: list[str]) -> int:
    rules = limits.leverage
    steps = 0
    if rules.step_down_after_loss and state.recent_trades and state.recent_trades[-1].pnl < 0:
        steps += 1
        notes.append(f"last trade lost {money(-state.recent_trades[-1].pnl)}: leverage -1x")
    share = rules.leveraged_loss_share
    if (
        share is not None
        and state.leveraged_pnl < 0
        and -state.leveraged_pnl >= share * max(state.profit, Decimal(0))
    ):
        steps += 1
        notes.append(
            f"leveraged trades lost {money(-state.leveraged_pnl)}, at least {pct(share)} of "
            f"profit {money(state.profit)}: leverage -1x"
        )
    threshold = rules.high_volatility_index
    index = state.volatility_index
    if threshold is not None and index is not None and index > threshold:
        steps += 1
        notes.append(f"volatility index {number(index)} above {number(threshold)}: leverage -1x")
    return steps

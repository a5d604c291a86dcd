"""Leverage checks: the order's leverage, the account's gross exposure, seed 002's profit rules.

Rules (``InForce.max_leverage`` is the leverage allowed now, after milestones and step-downs):

* **leverage cap**: the order's leverage must not exceed the allowed leverage.
* **gross exposure**: the notional of all positions plus this order must not exceed the allowed
  leverage x equity (so many small leveraged positions cannot add up past it).
* **capital share** (seed 002 §6 "Max Position = (Principal + 70% Profit) only"): margin in
  all positions plus this order must not exceed ``principal + capital_profit_share x profit``
  (profit counted only when positive), nor equity.
* **leveraged margin** (seed 002 §6 "2x leverage on 50% of profits"): an order with leverage
  above 1 must keep the margin of all leveraged positions within ``leveraged_margin_share x
  profit``.
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.risk.context import CheckContext
from ai_engine.risk.verdict import RefusalCode, Verdict, combine, refuse
from ai_engine.risk.wording import money, number, pct

_ZERO = Decimal(0)


def check_leverage(ctx: CheckContext) -> Verdict:
    intent, state, allowed = ctx.intent, ctx.state, ctx.in_force.max_leverage
    verdicts = []
    why = ("; " + "; ".join(ctx.in_force.notes)) if ctx.in_force.notes else ""
    if intent.leverage > allowed:
        verdicts.append(
            refuse(
                RefusalCode.LEVERAGE_CAP,
                f"leverage cap: {ctx.label} asks {number(intent.leverage)}x, allowed "
                f"{number(allowed)}x{why}",
            )
        )
    gross = state.gross_notional + intent.notional
    cap = allowed * state.equity
    if gross > cap:
        verdicts.append(
            refuse(
                RefusalCode.GROSS_EXPOSURE,
                f"gross exposure: positions {money(state.gross_notional)} + this order "
                f"{money(intent.notional)} = {money(gross)}, over {number(allowed)}x equity "
                f"{money(state.equity)} = {money(cap)}",
            )
        )
    return combine(verdicts)


def check_profit_shares(ctx: CheckContext) -> Verdict:
    rules, state, intent = ctx.limits.leverage, ctx.state, ctx.intent
    profit = max(state.profit, _ZERO)
    verdicts = []
    if rules.capital_profit_share is not None:
        cap = min(state.equity, state.starting_equity + rules.capital_profit_share * profit)
        used = state.total_margin + intent.margin
        if used > cap:
            verdicts.append(
                refuse(
                    RefusalCode.CAPITAL_SHARE,
                    f"capital share: margin {money(state.total_margin)} + {money(intent.margin)}"
                    f" = {money(used)}, over principal {money(state.starting_equity)} + "
                    f"{pct(rules.capital_profit_share)} of profit {money(profit)} = {money(cap)}"
                    f" (capped at equity)",
                )
            )
    share = rules.leveraged_margin_share
    if share is not None and intent.leverage > 1:
        cap = share * profit
        used = state.leveraged_margin + intent.margin
        if used > cap:
            verdicts.append(
                refuse(
                    RefusalCode.LEVERAGED_MARGIN,
                    f"leveraged margin: margin at leverage {money(state.leveraged_margin)} + "
                    f"{money(intent.margin)} = {money(used)}, over {pct(share)} of profit "
                    f"{money(profit)} = {money(cap)}",
                )
            )
    return combine(verdicts)

"""Loss checks: protective stop, per-trade loss cap, daily and weekly loss, drawdown from peak.

Rules (a limit is a maximum: the value at the limit passes, a cent over fails):

* **stop**: with ``require_stop`` an entry needs a stop on the losing side of its price.
* **per-trade loss cap**: the loss if the stop fills at its price, both fees included, must not
  exceed ``trade_loss_fraction`` x equity (as in force: milestones may change it) nor
  ``trade_loss_amount``.
* **daily / weekly loss**: the period's loss so far (the worse of the equity drop since the
  period started and the realised loss; profits are no cushion) halts entries once it reaches
  the limit (``fraction`` x the period's starting equity, or ``amount``: the tighter). An entry
  is also refused when the loss so far, plus what every open position still loses at its stop,
  plus this trade's loss at its stop, would exceed the limit: so with stops filled at their
  price the limit cannot be broken by the positions the engine let open.
* **drawdown**: the same two rules against ``max_drawdown_fraction`` x peak equity.
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.risk.context import CheckContext, cap_of
from ai_engine.risk.verdict import APPROVED, RefusalCode, Verdict, refuse
from ai_engine.risk.wording import money, ratio

_UNIT = {"daily": "day", "weekly": "week"}


def check_stop(ctx: CheckContext) -> Verdict:
    intent = ctx.intent
    if intent.stop_price is None:
        if not ctx.limits.require_stop:
            return APPROVED
        return refuse(
            RefusalCode.STOP_REQUIRED,
            f"stop required: {ctx.label} at {money(intent.price.value)} has no protective stop "
            f"(profile {ctx.limits.name})",
        )
    if intent.stop_distance is None:
        return refuse(
            RefusalCode.BAD_STOP,
            f"bad stop: {ctx.label} stop {money(intent.stop_price.value)} is not on the losing "
            f"side of the price {money(intent.price.value)}",
        )
    return APPROVED


def check_trade_loss(ctx: CheckContext) -> Verdict:
    fraction, amount = ctx.in_force.trade_loss_fraction, ctx.limits.trade_loss_amount
    if fraction is None and amount is None:
        return APPROVED
    equity = ctx.state.equity
    cap, cap_text = cap_of(fraction, equity, amount)
    loss = ctx.intent.loss_at_stop
    if loss <= cap:
        return APPROVED
    where = "at its stop" if ctx.intent.stop_distance is not None else "without a usable stop"
    return refuse(
        RefusalCode.TRADE_LOSS_CAP,
        f"per-trade loss cap: {ctx.label} loses {money(loss)} {where} (fees included), "
        f"{ratio(loss, equity)} of equity {money(equity)}; cap {cap_text}",
    )


def _loss_window(
    ctx: CheckContext,
    *,
    period: str,
    start_equity: Decimal,
    loss: Decimal,
    fraction: Decimal | None,
    amount: Decimal | None,
    codes: tuple[RefusalCode, RefusalCode],
) -> Verdict:
    if fraction is None and amount is None:
        return APPROVED
    cap, cap_text = cap_of(fraction, start_equity, amount)
    if loss >= cap:
        return refuse(
            codes[0],
            f"{period} loss limit reached: lost {money(loss)} this {_UNIT[period]}"
            f" ({ratio(loss, start_equity)} of starting equity {money(start_equity)}); "
            f"limit {cap_text}",
        )
    at_risk, new = ctx.state.open_risk, ctx.intent.loss_at_stop
    worst = loss + at_risk + new
    if worst <= cap:
        return APPROVED
    return refuse(
        codes[1],
        f"{period} loss headroom: lost {money(loss)} so far + {money(at_risk)} at the stops of "
        f"open positions + {money(new)} at this trade's stop = {money(worst)}, over the "
        f"{period} limit {cap_text}",
    )


def check_daily_loss(ctx: CheckContext) -> Verdict:
    state, limits = ctx.state, ctx.limits
    return _loss_window(
        ctx,
        period="daily",
        start_equity=state.day_start_equity,
        loss=state.loss_today,
        fraction=limits.daily_loss_fraction,
        amount=limits.daily_loss_amount,
        codes=(RefusalCode.DAILY_LOSS_LIMIT, RefusalCode.DAILY_LOSS_HEADROOM),
    )


def check_weekly_loss(ctx: CheckContext) -> Verdict:
    state, limits = ctx.state, ctx.limits
    assert state.week_start_equity is not None  # filled in by RiskState
    return _loss_window(
        ctx,
        period="weekly",
        start_equity=state.week_start_equity,
        loss=state.loss_this_week,
        fraction=limits.weekly_loss_fraction,
        amount=limits.weekly_loss_amount,
        codes=(RefusalCode.WEEKLY_LOSS_LIMIT, RefusalCode.WEEKLY_LOSS_HEADROOM),
    )


def check_drawdown(ctx: CheckContext) -> Verdict:
    fraction = ctx.limits.max_drawdown_fraction
    if fraction is None:
        return APPROVED
    state = ctx.state
    cap, cap_text = cap_of(fraction, state.peak_equity, None)
    drawdown = state.drawdown
    if drawdown >= cap:
        return refuse(
            RefusalCode.DRAWDOWN_LIMIT,
            f"max drawdown reached: equity {money(state.equity)} is {money(drawdown)} "
            f"({ratio(drawdown, state.peak_equity)}) below its peak {money(state.peak_equity)}; "
            f"limit {cap_text}",
        )
    at_risk, new = state.open_risk, ctx.intent.loss_at_stop
    worst = drawdown + at_risk + new
    if worst <= cap:
        return APPROVED
    return refuse(
        RefusalCode.DRAWDOWN_HEADROOM,
        f"drawdown headroom: drawdown {money(drawdown)} + {money(at_risk)} at the stops of open "
        f"positions + {money(new)} at this trade's stop = {money(worst)}, over the limit "
        f"{cap_text}",
    )

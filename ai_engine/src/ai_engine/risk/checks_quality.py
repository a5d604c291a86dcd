"""Trade-quality checks: the expected profit must pay the fees, the reward must pay the risk.

Rules (the "target" is the expected exit price of the intent):

* **target**: when any rule below is set, an entry needs a target on the winning side.
* **fee-aware minimum expected profit**: profit at the target before fees must be at least
  ``fee_multiple`` x the round-trip fees (entry fee + exit fee at the target) plus
  ``profit_margin`` x the notional. Seed 002 §4: break-even is ``entry x fee x 2`` and the
  target break-even + 0.5 % (multiple 1, margin 0.005); seed 001: "expected profit >= 5x fees".
* **minimum expected move**: ``|target - price| / price >= min_expected_move`` (seed 004 §13
  "only enter if expected move > 0.15%", seed 001 "0.2% minimum").
* **reward : risk**: the distance to the target must be at least ``min_reward_risk`` x the
  distance to the stop (seed 002 §5 "minimum 1:2").
* **signal score**: the signal's 0-100 score must be at least ``min_signal_score`` (seed 001).
"""

from __future__ import annotations

from ai_engine.risk.context import CheckContext
from ai_engine.risk.verdict import APPROVED, RefusalCode, Verdict, combine, refuse
from ai_engine.risk.wording import money, number, pct, ratio


def check_target(ctx: CheckContext) -> Verdict:
    limits, intent = ctx.limits, ctx.intent
    rules = (limits.fee_multiple, limits.min_expected_move, limits.min_reward_risk)
    if all(rule is None for rule in rules):
        return APPROVED
    if intent.target_price is None:
        return refuse(
            RefusalCode.TARGET_REQUIRED,
            f"target required: {ctx.label} has no expected exit price, and profile "
            f"{limits.name} checks the expected profit",
        )
    if intent.target_distance is None:
        return refuse(
            RefusalCode.BAD_TARGET,
            f"bad target: {ctx.label} target {money(intent.target_price.value)} is not on the "
            f"winning side of the price {money(intent.price.value)}",
        )
    return APPROVED


def check_expected_profit(ctx: CheckContext) -> Verdict:
    limits, intent = ctx.limits, ctx.intent
    profit, fees, distance = (
        intent.expected_gross_profit,
        intent.fees_to_target,
        intent.target_distance,
    )
    if profit is None or fees is None or distance is None:
        return APPROVED  # check_target reports it
    verdicts = []
    if limits.fee_multiple is not None:
        extra = limits.profit_margin * intent.notional
        needed = limits.fee_multiple * fees + extra
        if profit < needed:
            margin_text = (
                f" + {pct(limits.profit_margin)} of notional {money(extra)}" if extra else ""
            )
            verdicts.append(
                refuse(
                    RefusalCode.MIN_EXPECTED_PROFIT,
                    f"fee-aware minimum profit: {ctx.label} expects {money(profit)} before fees "
                    f"at its target; needs {number(limits.fee_multiple)}x round-trip fees "
                    f"{money(fees)}{margin_text} = {money(needed)}",
                )
            )
    move = limits.min_expected_move
    if move is not None and distance < move * intent.price.value:
        verdicts.append(
            refuse(
                RefusalCode.MIN_EXPECTED_MOVE,
                f"minimum expected move: {ctx.label} target is "
                f"{ratio(distance, intent.price.value)} away; minimum {pct(move)}",
            )
        )
    return combine(verdicts)


def check_reward_risk(ctx: CheckContext) -> Verdict:
    need, intent = ctx.limits.min_reward_risk, ctx.intent
    reward, risk = intent.target_distance, intent.stop_distance
    if need is None or reward is None or risk is None or reward >= need * risk:
        return APPROVED
    return refuse(
        RefusalCode.MIN_REWARD_RISK,
        f"reward:risk: {ctx.label} target {money(reward)} away, stop {money(risk)} away, "
        f"ratio {number(reward / risk)}; minimum {number(need)}",
    )


def check_signal_score(ctx: CheckContext) -> Verdict:
    need, score = ctx.limits.min_signal_score, ctx.intent.signal_score
    if need is None or (score is not None and score >= need):
        return APPROVED
    shown = "none" if score is None else number(score)
    return refuse(
        RefusalCode.MIN_SIGNAL_SCORE,
        f"minimum signal score: {ctx.label} scored {shown}; minimum {number(need)}",
    )

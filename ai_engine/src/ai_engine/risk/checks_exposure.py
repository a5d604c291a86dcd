"""Exposure checks: position size, concurrent positions, correlated exposure.

Rules (limits are maxima; sizes are margin = notional / leverage, see ``limits``):

* **position size cap**: the margin of everything in this symbol on this side, this order
  included, must not exceed ``position_fraction`` x equity (as in force) nor ``position_amount``.
* **concurrent positions**: open positions plus this entry must not exceed ``max_positions``;
  in this symbol, ``max_positions_per_symbol`` (each entry counts as a position: adding to a
  position is pyramiding, and needs a per-symbol limit above 1).
* **correlated exposure**: symbols in one ``CorrelationGroup`` of the state count together:
  at most ``max_correlated_positions`` positions and ``correlated_fraction`` x equity margin.
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.risk.context import CheckContext, cap_of
from ai_engine.risk.verdict import APPROVED, RefusalCode, Verdict, combine, refuse
from ai_engine.risk.wording import money, ratio


def check_position_size(ctx: CheckContext) -> Verdict:
    fraction, amount = ctx.in_force.position_fraction, ctx.limits.position_amount
    if fraction is None and amount is None:
        return APPROVED
    intent, state = ctx.intent, ctx.state
    held = sum(
        (p.margin for p in state.positions_in(intent.symbol) if p.side is intent.position_side),
        Decimal(0),
    )
    after = held + intent.margin
    cap, cap_text = cap_of(fraction, state.equity, amount)
    if after <= cap:
        return APPROVED
    already = f" ({money(held)} held + {money(intent.margin)} new)" if held else ""
    return refuse(
        RefusalCode.POSITION_SIZE_CAP,
        f"position size cap: {ctx.label} margin {money(after)}{already} is "
        f"{ratio(after, state.equity)} of equity {money(state.equity)}; cap {cap_text}",
    )


def check_concurrent_positions(ctx: CheckContext) -> Verdict:
    limits, state, symbol = ctx.limits, ctx.state, ctx.intent.symbol
    verdicts = []
    if limits.max_positions is not None and len(state.positions) + 1 > limits.max_positions:
        verdicts.append(
            refuse(
                RefusalCode.MAX_POSITIONS,
                f"max concurrent positions: {len(state.positions)} open, this entry would make "
                f"{len(state.positions) + 1}; limit {limits.max_positions}",
            )
        )
    per_symbol = limits.max_positions_per_symbol
    held = len(state.positions_in(symbol))
    if per_symbol is not None and held + 1 > per_symbol:
        verdicts.append(
            refuse(
                RefusalCode.MAX_POSITIONS_SYMBOL,
                f"max positions per symbol: {held} open in {symbol}, this entry would make "
                f"{held + 1}; limit {per_symbol}",
            )
        )
    return combine(verdicts)


def check_correlated_exposure(ctx: CheckContext) -> Verdict:
    limits, state, intent = ctx.limits, ctx.state, ctx.intent
    if limits.max_correlated_positions is None and limits.correlated_fraction is None:
        return APPROVED
    verdicts = []
    for group in state.groups_of(intent.symbol):
        inside = state.positions_in(group.symbols)
        count = len(inside) + 1
        if limits.max_correlated_positions is not None and count > limits.max_correlated_positions:
            verdicts.append(
                refuse(
                    RefusalCode.CORRELATED_POSITIONS,
                    f"correlated positions: group {group.name} ({', '.join(sorted(group.symbols))})"
                    f" would hold {count} positions with this {intent.symbol} entry; limit "
                    f"{limits.max_correlated_positions}",
                )
            )
        if limits.correlated_fraction is not None:
            margin = sum((p.margin for p in inside), Decimal(0)) + intent.margin
            cap, cap_text = cap_of(limits.correlated_fraction, state.equity, None)
            if margin > cap:
                verdicts.append(
                    refuse(
                        RefusalCode.CORRELATED_EXPOSURE,
                        f"correlated exposure: group {group.name} margin would be "
                        f"{money(margin)} ({ratio(margin, state.equity)} of equity); cap "
                        f"{cap_text}",
                    )
                )
    return combine(verdicts)

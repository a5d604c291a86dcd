"""The limits an approved entry must respect, computed from the simulated account's own books.

Deliberately independent of the engine's code: the account's figures, a plain reading of each
rule, and for milestones an upper bound (the tier's values; step-downs only lower leverage).
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.risk import OrderIntent, RiskLimits

from .simulated_account import FEE, GROUPS, START, SimAccount

D = Decimal


def tier(limits: RiskLimits, equity: Decimal, profitable_days: int) -> tuple[Decimal, ...]:
    """(leverage, position fraction, trade-loss fraction) of the highest milestone reached."""
    rules = limits.leverage
    leverage, position, trade = (
        rules.max_leverage,
        limits.position_fraction or D(1),
        limits.trade_loss_fraction or D(1),
    )
    if profitable_days >= rules.milestones_need_profitable_days:
        for m in rules.milestones:
            if equity >= m.equity_multiple * START:
                leverage = m.max_leverage or leverage
                position = m.position_fraction or position
                trade = m.trade_loss_fraction or trade
    return leverage, position, trade


def cap(fraction: Decimal | None, base: Decimal, amount: Decimal | None) -> Decimal | None:
    caps = ([fraction * base] if fraction is not None else []) + ([amount] if amount else [])
    return min(caps) if caps else None


def check_approved_entry(acct: SimAccount, intent: OrderIntent) -> None:
    """Assert every configured limit holds for ``intent``, approved on ``acct`` as it is now."""
    lim, eq = acct.limits, acct.equity
    qty, price = intent.quantity.value, intent.price.value
    stop = None if intent.stop_price is None else intent.stop_price.value
    target = None if intent.target_price is None else intent.target_price.value
    notional = qty * price
    if stop is None:
        new_risk = notional + notional * FEE  # no stop: the whole notional can go
    else:
        new_risk = qty * abs(price - stop) + notional * FEE + qty * stop * FEE
    open_risk = sum((p.risk_at_stop for p in acct.positions), D(0))
    leverage, position, trade = tier(lim, eq, acct.profitable_days)
    why = f"{intent} on equity {eq} at {acct.now}"

    assert acct.breaker is not None
    assert acct.breaker.allows_entries(acct.now), f"halted: {why}"
    if lim.require_stop:
        assert stop is not None, why
    assert eq > 0, why
    trade_cap = cap(trade if lim.trade_loss_fraction else None, eq, lim.trade_loss_amount)
    if trade_cap is not None:
        assert new_risk <= trade_cap, f"trade loss {new_risk} > {trade_cap}: {why}"
    same = [p for p in acct.positions if p.symbol == intent.symbol]
    if lim.max_positions is not None:
        assert len(acct.positions) + 1 <= lim.max_positions, why
    if lim.max_positions_per_symbol is not None:
        assert len(same) + 1 <= lim.max_positions_per_symbol, why
    margin = notional / intent.leverage
    held = sum((p.qty * p.mark / p.leverage for p in same if p.side is intent.position_side), D(0))
    size_cap = cap(position if lim.position_fraction else None, eq, lim.position_amount)
    if size_cap is not None:
        assert held + margin <= size_cap + D("1e-20"), f"size {held + margin} > {size_cap}: {why}"
    assert intent.leverage <= leverage, why
    gross = sum((p.qty * p.mark for p in acct.positions), D(0))
    assert gross + notional <= leverage * eq, f"gross {gross + notional}: {why}"
    profit = max(eq - START, D(0))
    all_margin = sum((p.qty * p.mark / p.leverage for p in acct.positions), D(0))
    if lim.leverage.capital_profit_share is not None:
        limit = min(eq, START + lim.leverage.capital_profit_share * profit)
        assert all_margin + margin <= limit + D("1e-20"), why
    if lim.leverage.leveraged_margin_share is not None and intent.leverage > 1:
        lev_margin = sum(
            (p.qty * p.mark / p.leverage for p in acct.positions if p.leverage > 1), D(0)
        )
        assert lev_margin + margin <= lim.leverage.leveraged_margin_share * profit + D("1e-20")

    day_loss = max(D(0), acct.day_start - eq, -acct.realised_today)
    day_cap = cap(lim.daily_loss_fraction, acct.day_start, lim.daily_loss_amount)
    if day_cap is not None:
        assert day_loss < day_cap, f"daily loss {day_loss} >= {day_cap}: {why}"
        assert day_loss + open_risk + new_risk <= day_cap, f"daily headroom: {why}"
    week_loss = max(D(0), acct.week_start - eq, -acct.realised_week)
    week_cap = cap(lim.weekly_loss_fraction, acct.week_start, lim.weekly_loss_amount)
    if week_cap is not None:
        assert week_loss < week_cap, f"weekly loss: {why}"
        assert week_loss + open_risk + new_risk <= week_cap, f"weekly headroom: {why}"
    if lim.max_drawdown_fraction is not None:
        peak = max(acct.peak, eq)
        dd_cap = lim.max_drawdown_fraction * peak
        assert peak - eq < dd_cap, f"drawdown: {why}"
        assert peak - eq + open_risk + new_risk <= dd_cap, f"drawdown headroom: {why}"

    if lim.daily_trade_cap is not None:
        assert acct.trades_today + 1 <= lim.daily_trade_cap, why
    if lim.min_trade_interval is not None and acct.last_entry_at is not None:
        assert acct.now - acct.last_entry_at >= lim.min_trade_interval, why
    if lim.stop_loss_cooldown is not None and acct.last_stop_at is not None:
        assert acct.now - acct.last_stop_at >= lim.stop_loss_cooldown, why
    streak = lim.breaker.loss_streak
    if streak is not None and acct.streak >= streak:
        assert acct.last_loss_at is not None
        assert acct.now - acct.last_loss_at >= lim.breaker.loss_streak_cooldown, why
    if lim.max_correlated_positions is not None:
        for group in GROUPS:
            if intent.symbol in group.symbols:
                inside = [p for p in acct.positions if p.symbol in group.symbols]
                assert len(inside) + 1 <= lim.max_correlated_positions, why
    if lim.min_signal_score is not None:
        assert intent.signal_score is not None
        assert intent.signal_score >= lim.min_signal_score
    quality = (lim.fee_multiple, lim.min_expected_move, lim.min_reward_risk)
    if any(rule is not None for rule in quality):
        assert target is not None, why
    if target is None:
        return
    gain = qty * abs(target - price)
    if lim.fee_multiple is not None:
        fees = notional * FEE + qty * target * FEE
        assert gain >= lim.fee_multiple * fees + lim.profit_margin * notional, why
    if lim.min_expected_move is not None:
        assert abs(target - price) >= lim.min_expected_move * price, why
    if lim.min_reward_risk is not None and stop is not None:
        assert abs(target - price) >= lim.min_reward_risk * abs(price - stop), why

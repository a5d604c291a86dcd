"""The named risk profiles from the plans, as data, loadable by name and validated.

Every value cites the plan (``/work/shared/seeds``) and section it comes from. Where a plan is
silent the value is marked SILENT and a conservative choice is made (usually another plan's
number, said which). Where a plan contradicts itself the choice is explained. Seeds:

* 000 "Trinity Scalper 2.0" (forex/stock paper scalping)  -> ``trinity``
* 001 ultra-short-term crypto upgrade                      -> ``ultra_short``
* 002 "TradingBot V2" (Binance spot, testnet -> mainnet)   -> ``conservative_spot``
* 004 Binance futures from a $50 account                   -> ``futures_challenge``

Amounts in the plans that only restate a percentage of the plan's own account size (seed 004's
"$1 (2% of account)") are encoded as the percentage, so the profile scales with the account.
A bot config may override single values: ``with_overrides(load_profile(name), {...})``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any, get_args, get_type_hints

from ai_engine.domain import DomainValueError, to_decimal
from ai_engine.risk.limits import BreakerRules, LeverageRules, Milestone, RiskLimits

D = Decimal

CONSERVATIVE_SPOT = RiskLimits(
    name="conservative_spot",
    require_stop=True,  # 002 §5 "Stop-Loss Logic"; issue 7: never a position without a stop
    trade_loss_fraction=D("0.03"),  # 002 §5 "Single Trade Max Loss: -3%"
    position_fraction=D("0.20"),  # 002 Trade Safeguards "max 20% of balance per trade"
    max_positions=5,  # SILENT: 5 x 20% = the whole balance, no more on spot
    max_positions_per_symbol=1,  # SILENT: no pyramiding
    daily_loss_fraction=D("0.10"),  # 002 §5 "Daily Max Loss: -10%"; Safeguards "> 10%"
    max_drawdown_fraction=D("0.25"),  # 002 §5 "Total Drawdown Limit: -25%"
    stop_loss_cooldown=timedelta(seconds=60),  # SILENT: seed 000's 60 s
    min_trade_interval=timedelta(seconds=5),  # 002 Safeguards "Minimum time between trades (5 s)"
    daily_trade_cap=100,  # 002 Trade Safeguards "max 100 trades/day"
    fee_multiple=D(1),  # 002 §4 "break-even: (Entry Price x Fee%) x 2" ...
    profit_margin=D("0.005"),  # ... "Minimum Profit Target: Break-even + 0.5%"
    min_reward_risk=D(2),  # 002 §5 "Risk-reward ratio: Minimum 1:2"
    max_correlated_positions=3,  # SILENT: seed 001's "max 3 BTC-correlated positions"
    leverage=LeverageRules(
        max_leverage=D(1),  # 002 §6 "Initial: SPOT TRADING ONLY (No leverage)"
        milestones=(
            Milestone(equity_multiple=D(2), max_leverage=D(2)),  # 002 §6 "100% Profit -> 2x"
            Milestone(equity_multiple=D(3), max_leverage=D(3)),  # 002 §6 "200% Profit -> 3x"
            Milestone(equity_multiple=D(4), max_leverage=D(4)),  # 002 §6 "300% Profit -> 4x"
        ),
        leveraged_margin_share=D("0.5"),  # 002 §6 "... leverage on 50% of profits"
        capital_profit_share=D("0.7"),  # 002 §6 "Max Position = (Principal + 70% Profit) only"
        leveraged_loss_share=D("0.3"),  # 002 §6 "futures losses reach -30% of profit -> reduce"
        high_volatility_index=D(80),  # 002 §6 "High volatility (VIX crypto > 80) -> reduce"
    ),
    breaker=BreakerRules(
        loss_streak=5,  # SILENT: seed 000's "Circuit breaker: 5 consecutive losses"
        loss_streak_cooldown=timedelta(hours=1),  # SILENT: one hour
        venue_error_burst=5,  # SILENT: seed 000 §2.3 alert "API errors > 5/minute"
        stale_data_after=timedelta(seconds=30),  # SILENT: seed 000 §2.1 "> 30 seconds stale"
        flash_crash_move=D("0.05"),  # SILENT: seed 004 §11 ">5% market move in 1 minute"
    ),
)

FUTURES_CHALLENGE = RiskLimits(
    name="futures_challenge",
    require_stop=True,  # 004 §5 "Initial Stop: Based on 0.5% account risk"
    trade_loss_fraction=D("0.005"),  # 004 §2 "Risk Per Trade: 0.5%"; §14 "never > $0.25 (0.5%)"
    position_fraction=D("0.10"),  # 004 §2 "Position Sizing: 10% of account" (margin)
    max_positions=2,  # 004 §2 Risk Controls "Max Concurrent Positions: 2"
    max_positions_per_symbol=1,  # SILENT: §4 option B pairs *different* setups; no pyramiding
    daily_loss_fraction=D("0.02"),  # 004 §2 "Daily Loss Limit: $1 (2% of account)"; §11
    weekly_loss_fraction=D("0.05"),  # 004 §2 "Weekly Loss Limit: $2.50 (5% of account)"
    max_drawdown_fraction=D("0.10"),  # 004 §9 "Max Drawdown: <10% of account" (a KPI, as cap)
    stop_loss_cooldown=timedelta(seconds=60),  # SILENT: seed 000's 60 s
    min_trade_interval=timedelta(seconds=5),  # SILENT: seed 002's 5 s
    daily_trade_cap=50,  # SILENT: half of seed 002's 100 for a leveraged $50 account
    fee_multiple=D(1),  # 004 §13 "Minimum Profit Target: 0.12% to cover round-trip fees"
    min_expected_move=D("0.0015"),  # 004 §13 "Only enter if expected move >0.15%"
    min_reward_risk=D("1.5"),  # 004 §9 "Average RR: Target >1:1.5" (a KPI, as a floor)
    max_correlated_positions=1,  # 004 §4 option B "Correlation limit: <0.7": one per group ...
    correlation_threshold=D("0.7"),  # ... of symbols correlated at 0.7 or more
    leverage=LeverageRules(
        # 004 §2 "Starting Leverage: 2-3x maximum", §10 phase 1 "Fixed leverage (2x)", §14 "Use
        # 2x leverage initially": 2x, the value all three allow.
        max_leverage=D(2),
        milestones=(
            # 004 §2 Growth Milestones. (§14 says "scale to 3x after $75 account" where §2
            # says 5x; §2's table is the plan's stated framework and is kept as written.)
            Milestone(equity_multiple=D("1.2"), position_fraction=D("0.12")),  # "$60: 12%"
            Milestone(  # "$50 -> $75 (50%): Allow 15% positions, 5x leverage"
                equity_multiple=D("1.5"), position_fraction=D("0.15"), max_leverage=D(5)
            ),
            Milestone(  # "$100 (100%): 20% positions, 8x leverage"; §12 "Double: 1% risk"
                equity_multiple=D(2),
                position_fraction=D("0.20"),
                max_leverage=D(8),
                trade_loss_fraction=D("0.01"),
            ),
            Milestone(equity_multiple=D(3), max_leverage=D(10)),  # "$150 (200%): 10x max"
        ),
        milestones_need_profitable_days=10,  # 004 §14 "after 10 consecutive profitable days"
        step_down_after_loss=True,  # 004 §4 "Recent Loss: Decrease leverage by 1x"
        drawdown_cap_from=D("0.05"),  # 004 §4 "Account Drawdown >5%: ...
        drawdown_cap_leverage=D(2),  # ... Max 2x leverage"
    ),
    breaker=BreakerRules(
        loss_streak=3,  # SILENT: 3, tighter than seed 000's 5 for a leveraged account
        loss_streak_cooldown=timedelta(hours=1),  # SILENT
        venue_error_burst=5,  # SILENT: seed 000 §2.3 "API errors > 5/minute"
        stale_data_after=timedelta(seconds=30),  # SILENT: seed 000 §2.1
        flash_crash_move=D("0.05"),  # 004 §11 "Auto-exit all positions if >5% market move ...
        flash_crash_window=timedelta(minutes=1),  # ... in 1 minute"
        flash_crash_cooldown=timedelta(minutes=15),  # SILENT
    ),
)

ULTRA_SHORT = RiskLimits(
    name="ultra_short",
    require_stop=True,  # 001 Phase 4 exits "SL: 6% capital ... HARD STOP"
    trade_loss_fraction=D("0.06"),  # 001 Risk Controls "Max loss per trade: 6% capital"
    position_fraction=D("0.10"),  # SILENT: a tenth, so the 10 positions allowed fit
    max_positions=10,  # 001 Risk Controls "Max positions: 10"
    max_positions_per_symbol=1,  # SILENT: no pyramiding
    # 001 Risk Controls "Daily loss limit: 15%". (Target Performance hopes for "Max Drawdown:
    # < 5% daily"; the control section's number is the limit it sets.)
    daily_loss_fraction=D("0.15"),
    max_drawdown_fraction=D("0.20"),  # SILENT: 20%, below seed 002's 25%
    stop_loss_cooldown=timedelta(seconds=60),  # SILENT: seed 000's 60 s
    min_trade_interval=timedelta(seconds=5),  # SILENT (001: "opening trades too fast"): 002's 5 s
    daily_trade_cap=100,  # SILENT: seed 002's 100
    fee_multiple=D(5),  # 001 Entry Requirements "Expected profit >= 5x fees ...
    min_expected_move=D("0.002"),  # ... (0.2% minimum)"
    min_signal_score=D(80),  # 001 Entry Requirements "Score >= 80"; Risk Controls "Min score: 80"
    max_correlated_positions=3,  # 001 Risk Controls "Max 3 BTC-correlated positions"
    leverage=LeverageRules(
        max_leverage=D(50),  # 001 Phase 4 exits are sized "@ 50x" ("0.3% price @ 50x")
    ),
    breaker=BreakerRules(
        loss_streak=3,  # SILENT: 3 for a leveraged scalper
        loss_streak_cooldown=timedelta(hours=1),  # SILENT
        venue_error_burst=5,  # SILENT: seed 000 §2.3
        stale_data_after=timedelta(seconds=30),  # SILENT: seed 000 §2.1
        flash_crash_move=D("0.05"),  # SILENT: seed 004 §11
    ),
)

TRINITY = RiskLimits(
    name="trinity",
    require_stop=True,  # 000 §1.3 "Stop Loss: 3 pips / 0.03%"
    trade_loss_amount=D(50),  # 000 §1.3 Risk Management "Max trade risk: $50 per position"
    position_fraction=D("0.001"),  # 000 §1.2 OANDA "0.1% of balance per trade ($100)" (margin)
    max_positions=3,  # 000 §1.2 OANDA "Max concurrent: 3 positions" (Alpaca: 2, override)
    max_positions_per_symbol=1,  # SILENT: no pyramiding
    daily_loss_fraction=D("0.005"),  # 000 §1.3 "Max daily loss: $500 (0.5% of capital)" ...
    daily_loss_amount=D(500),  # ... both: the plan's account is a fixed paper account
    max_drawdown_fraction=D("0.05"),  # SILENT: 5%, ten days at the daily limit
    stop_loss_cooldown=timedelta(seconds=60),  # 000 §1.3 "Cool-down: 60 seconds after stop loss"
    min_trade_interval=timedelta(seconds=5),  # SILENT: seed 002's 5 s
    daily_trade_cap=500,  # SILENT: the plan hopes for 10,000 trades a month (~330 a day)
    fee_multiple=D(2),  # SILENT: twice the round-trip fees
    min_reward_risk=D("1.5"),  # SILENT: the plan's own TP 5 / SL 3 pips (1.67) passes
    max_correlated_positions=2,  # SILENT: its three pairs all hold USD; 2 per group
    leverage=LeverageRules(
        max_leverage=D(50),  # 000 §1.2 OANDA "Leverage: 50:1" (Alpaca: 1, override)
    ),
    breaker=BreakerRules(
        loss_streak=5,  # 000 §1.3 "Circuit breaker: 5 consecutive losses"
        loss_streak_cooldown=timedelta(hours=1),  # SILENT
        venue_error_burst=5,  # 000 §2.3 Alerts "API errors > 5/minute"
        stale_data_after=timedelta(seconds=30),  # 000 §2.1 "Alert if > 30 seconds stale"
        flash_crash_move=D("0.05"),  # SILENT: seed 004 §11
    ),
)

PROFILES: Mapping[str, RiskLimits] = {
    p.name: p for p in (CONSERVATIVE_SPOT, FUTURES_CHALLENGE, ULTRA_SHORT, TRINITY)
}


def load_profile(name: str) -> RiskLimits:
    """The profile called ``name``; unknown names raise, listing the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise DomainValueError(f"unknown risk profile {name!r}; known: {known}") from None


def with_overrides(limits: RiskLimits, overrides: Mapping[str, object]) -> RiskLimits:
    """``limits`` with some values replaced, e.g. from a bot config's ``risk:`` section.

    Keys are field names; ``breaker.NAME`` and ``leverage.NAME`` reach the nested rules
    (milestones cannot be overridden one by one). Values may be strings, ints or floats (a
    config file's ``0.03``: taken as written) for decimals, seconds for durations, ``None`` to
    switch a limit off. Everything is validated again.
    """
    top: dict[str, object] = {}
    nested: dict[str, dict[str, object]] = {"breaker": {}, "leverage": {}}
    for key, value in overrides.items():
        head, _, rest = key.partition(".")
        if rest and head in nested:
            nested[head][rest] = value
        else:
            top[key] = value
    breaker = _replace(limits.breaker, nested["breaker"], f"{limits.name}: breaker.")
    leverage = _replace(limits.leverage, nested["leverage"], f"{limits.name}: leverage.")
    result = _replace(limits, {**top, "breaker": breaker, "leverage": leverage}, f"{limits.name}: ")
    assert isinstance(result, RiskLimits)
    return result


def _replace(obj: Any, values: Mapping[str, object], where: str) -> Any:
    hints = get_type_hints(type(obj))
    names = {f.name for f in fields(obj)}
    changes: dict[str, object] = {}
    for key, value in values.items():
        if key not in names or key == "milestones":
            known = ", ".join(sorted(names - {"milestones"}))
            raise DomainValueError(f"{where}{key} is not a risk setting; known: {known}")
        changes[key] = _coerce(hints[key], value, f"{where}{key}")
    return replace(obj, **changes)


def _coerce(hint: Any, value: object, what: str) -> object:
    kinds = set(get_args(hint)) or {hint}
    if isinstance(value, float):  # a YAML or JSON number: as written (repr round-trips it)
        if not math.isfinite(value):
            raise DomainValueError(f"{what} must be a finite number, got {value!r}")
        value = repr(value)
    if value is None:
        if type(None) not in kinds:
            raise DomainValueError(f"{what} cannot be switched off")
        return None
    if timedelta in kinds:
        if isinstance(value, timedelta):
            return value
        seconds = to_decimal(value, what=f"{what} (seconds)")
        return timedelta(microseconds=int(seconds * 1_000_000))
    if Decimal in kinds:
        return to_decimal(value, what=what)
    if bool in kinds:
        if not isinstance(value, bool):
            raise DomainValueError(f"{what} must be true or false, got {value!r}")
        return value
    if int in kinds:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise DomainValueError(f"{what} must be a whole number, got {value!r}")
        try:
            return int(value)
        except ValueError:
            raise DomainValueError(f"{what} must be a whole number, got {value!r}") from None
    return value  # str names and the nested rules, already built

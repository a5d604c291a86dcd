"""Risk limits: typed, validated and immutable; one ``RiskLimits`` per profile or bot.

Units and conventions:

* money in the account's settlement asset (USDT on Binance) as ``Decimal``;
* every ratio is a **fraction**: ``Decimal("0.03")`` is 3 %; fee rates too (0.001 = 0.1 %);
* "position size" and "exposure" caps are on **margin** (notional / leverage): seed 004 sizes a
  position as "10% of account ($5), apply 2-3x leverage = $10-15 effective"; on spot margin is
  the notional;
* durations are ``timedelta``; ``None`` switches a limit off.

Values given as ``int`` or ``str`` are converted to ``Decimal`` (floats are refused: parse at
the boundary). Every value is checked on construction and a bad one raises
``DomainValueError`` naming the profile and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

from ai_engine.domain import DomainValueError, to_decimal

_ONE = Decimal(1)


_RULES = {
    "fraction": "in (0, 1]",
    "amount": "above 0",
    "leverage": "at least 1",
    "count": "a whole number >= 1",
    "duration": "a duration >= 0",
}


def _valid(kind: str, value: object) -> bool:
    if kind == "count":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if kind == "duration":
        return isinstance(value, timedelta) and value >= timedelta(0)
    assert isinstance(value, Decimal)
    if kind == "fraction":
        return 0 < value <= 1
    if kind == "amount":
        return value > 0
    return value >= 1  # leverage


def _check_fields(obj: object, owner: str, kinds: dict[str, str]) -> None:
    """Convert and check the fields named in ``kinds`` (see ``_RULES``); ``None`` is allowed."""
    for name, kind in kinds.items():
        value = getattr(obj, name)
        if value is None:
            continue
        if kind in ("fraction", "amount", "leverage"):
            value = to_decimal(value, what=f"{owner}: {name}")
        if not _valid(kind, value):
            raise DomainValueError(f"{owner}: {name} must be {_RULES[kind]}, got {value!r}")
        object.__setattr__(obj, name, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Milestone:
    """A growth milestone: from ``equity_multiple`` x starting equity on, these values apply.

    A field left ``None`` keeps the value of the milestone below (or the base limit).
    """

    equity_multiple: Decimal
    max_leverage: Decimal | None = None
    position_fraction: Decimal | None = None
    trade_loss_fraction: Decimal | None = None

    def __post_init__(self) -> None:
        _check_fields(
            self,
            "milestone",
            {
                "equity_multiple": "amount",
                "max_leverage": "leverage",
                "position_fraction": "fraction",
                "trade_loss_fraction": "fraction",
            },
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LeverageRules:
    """How much leverage is allowed, and when it grows or shrinks.

    ``max_leverage`` applies before any milestone (1 = none: spot only). Milestones raise it as
    equity grows; the step-downs lower it by one (never below 1); ``drawdown_cap`` clamps it.
    The two ``*_share`` rules are seed 002's "2x leverage on 50% of profits" and "Max Position
    = Principal + 70% Profit".
    """

    max_leverage: Decimal = _ONE
    milestones: tuple[Milestone, ...] = ()
    # Milestones count only after this many profitable days in a row (0: at once).
    milestones_need_profitable_days: int = 0
    step_down_after_loss: bool = False  # the last closed trade lost: one step down
    high_volatility_index: Decimal | None = None  # volatility index above it: one step down
    leveraged_loss_share: Decimal | None = None  # leveraged P&L <= -share x profit: step down
    drawdown_cap_from: Decimal | None = None  # drawdown above this fraction of peak ...
    drawdown_cap_leverage: Decimal | None = None  # ... caps leverage at this
    leveraged_margin_share: Decimal | None = None  # margin at leverage > 1 <= share x profit
    capital_profit_share: Decimal | None = None  # margin in all <= principal + share x profit

    def __post_init__(self) -> None:
        _check_fields(
            self,
            "leverage",
            {
                "max_leverage": "leverage",
                "high_volatility_index": "amount",
                "leveraged_loss_share": "fraction",
                "drawdown_cap_from": "fraction",
                "drawdown_cap_leverage": "leverage",
                "leveraged_margin_share": "fraction",
                "capital_profit_share": "fraction",
            },
        )
        if (self.drawdown_cap_from is None) != (self.drawdown_cap_leverage is None):
            raise DomainValueError(
                "leverage: drawdown_cap_from and drawdown_cap_leverage go together"
            )
        days = self.milestones_need_profitable_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise DomainValueError(
                f"leverage: milestones_need_profitable_days must be >= 0, got {days!r}"
            )
        multiples = [m.equity_multiple for m in self.milestones]
        if any(b <= a for a, b in pairwise(multiples)):
            raise DomainValueError(f"leverage: milestones must rise strictly, got {multiples}")


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerRules:
    """Thresholds of the circuit breaker (``breaker.next_state``) and of the loss-streak check."""

    loss_streak: int | None = None  # this many losing trades in a row halt entries ...
    loss_streak_cooldown: timedelta = timedelta(hours=1)  # ... for this long after the last loss
    venue_error_burst: int = 5  # more than this many venue errors ...
    venue_error_window: timedelta = timedelta(minutes=1)  # ... within this window halt entries
    venue_error_cooldown: timedelta = timedelta(minutes=5)
    stale_data_after: timedelta = timedelta(seconds=30)  # market data older than this halts
    flash_crash_move: Decimal | None = None  # a price move of this fraction ...
    flash_crash_window: timedelta = timedelta(minutes=1)  # ... within this window halts
    flash_crash_cooldown: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        _check_fields(
            self,
            "breaker",
            {
                "loss_streak": "count",
                "loss_streak_cooldown": "duration",
                "venue_error_burst": "count",
                "venue_error_window": "duration",
                "venue_error_cooldown": "duration",
                "stale_data_after": "duration",
                "flash_crash_move": "fraction",
                "flash_crash_window": "duration",
                "flash_crash_cooldown": "duration",
            },
        )


_LIMIT_KINDS = {
    "trade_loss_fraction": "fraction",
    "trade_loss_amount": "amount",
    "position_fraction": "fraction",
    "position_amount": "amount",
    "max_positions": "count",
    "max_positions_per_symbol": "count",
    "daily_loss_fraction": "fraction",
    "daily_loss_amount": "amount",
    "weekly_loss_fraction": "fraction",
    "weekly_loss_amount": "amount",
    "max_drawdown_fraction": "fraction",
    "stop_loss_cooldown": "duration",
    "min_trade_interval": "duration",
    "daily_trade_cap": "count",
    "fee_multiple": "amount",
    "min_expected_move": "fraction",
    "min_reward_risk": "amount",
    "min_signal_score": "amount",
    "max_correlated_positions": "count",
    "correlated_fraction": "fraction",
    "correlation_threshold": "fraction",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskLimits:
    """Every limit the pre-trade check enforces. See ``docs/risk.md`` for each rule."""

    name: str
    require_stop: bool = True  # an entry without a protective stop is refused
    trade_loss_fraction: Decimal | None = None  # loss at the stop, incl. fees, <= x equity
    trade_loss_amount: Decimal | None = None  # ... and <= this amount
    position_fraction: Decimal | None = None  # margin in one symbol and side <= x equity
    position_amount: Decimal | None = None  # ... and <= this amount
    max_positions: int | None = None  # open positions (and working entries), all symbols
    max_positions_per_symbol: int | None = None
    daily_loss_fraction: Decimal | None = None  # of the day's starting equity
    daily_loss_amount: Decimal | None = None
    weekly_loss_fraction: Decimal | None = None  # of the week's starting equity
    weekly_loss_amount: Decimal | None = None
    max_drawdown_fraction: Decimal | None = None  # from peak equity
    stop_loss_cooldown: timedelta | None = None  # no entry this long after a stop loss
    min_trade_interval: timedelta | None = None  # between two entries
    daily_trade_cap: int | None = None  # entries per UTC day
    fee_multiple: Decimal | None = None  # expected profit >= multiple x round-trip fees ...
    profit_margin: Decimal = Decimal(0)  # ... + this fraction of the notional
    min_expected_move: Decimal | None = None  # |target - entry| / entry >= this
    min_reward_risk: Decimal | None = None  # |target - entry| >= this x |entry - stop|
    min_signal_score: Decimal | None = None  # the signal's 0-100 score >= this
    max_correlated_positions: int | None = None  # positions in one correlation group
    correlated_fraction: Decimal | None = None  # margin in one correlation group <= x equity
    correlation_threshold: Decimal | None = None  # what the caller groups symbols by (info)
    leverage: LeverageRules = LeverageRules()
    breaker: BreakerRules = BreakerRules()

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.strip():
            raise DomainValueError(f"risk limits need a name, got {self.name!r}")
        _check_fields(self, f"risk profile {self.name}", _LIMIT_KINDS)
        margin = to_decimal(self.profit_margin, what=f"{self.name}.profit_margin")
        if margin < 0 or margin > 1:
            raise DomainValueError(f"risk profile {self.name}: profit_margin must be in [0, 1]")
        object.__setattr__(self, "profit_margin", margin)
        if not isinstance(self.leverage, LeverageRules) or not isinstance(
            self.breaker, BreakerRules
        ):
            raise DomainValueError(
                f"risk profile {self.name}: leverage/breaker have the wrong type"
            )

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

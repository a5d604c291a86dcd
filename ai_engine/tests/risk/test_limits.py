"""Limit validation: bad values are refused with the profile and field named."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ai_engine.domain import DomainValueError
from ai_engine.risk import BreakerRules, LeverageRules, Milestone, RiskLimits

from .factories import D


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"trade_loss_fraction": D(0)}, r"risk profile p: trade_loss_fraction must be in \(0, 1\]"),
        ({"position_fraction": D("1.01")}, r"position_fraction must be in \(0, 1\]"),
        ({"daily_loss_amount": D(-5)}, "daily_loss_amount must be above 0"),
        ({"max_positions": 0}, "max_positions must be a whole number >= 1"),
        ({"daily_trade_cap": True}, "daily_trade_cap must be a whole number >= 1"),
        ({"min_trade_interval": timedelta(seconds=-1)}, "must be a duration >= 0"),
        ({"profit_margin": D(2)}, r"profit_margin must be in \[0, 1\]"),
        ({"name": " p"}, "risk limits need a name"),
    ],
)
def test_bad_limits(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"name": "p", **fields}
    with pytest.raises(DomainValueError, match=message):
        RiskLimits(**values)  # type: ignore[arg-type]


def test_strings_and_ints_become_decimals_and_floats_are_refused() -> None:
    limits = RiskLimits(name="p", daily_loss_fraction="0.1", daily_loss_amount=5)  # type: ignore[arg-type]
    assert (limits.daily_loss_fraction, limits.daily_loss_amount) == (D("0.1"), D(5))
    with pytest.raises(TypeError, match="must be Decimal, int or str, not float"):
        RiskLimits(name="p", daily_loss_fraction=0.1)  # type: ignore[arg-type]


def test_leverage_rules_validation() -> None:
    with pytest.raises(DomainValueError, match="milestones must rise strictly"):
        LeverageRules(milestones=(Milestone(equity_multiple=D(2)), Milestone(equity_multiple=D(2))))
    with pytest.raises(DomainValueError, match="go together"):
        LeverageRules(drawdown_cap_from=D("0.05"))
    with pytest.raises(DomainValueError, match="max_leverage must be at least 1"):
        Milestone(equity_multiple=D(2), max_leverage=D("0.5"))
    with pytest.raises(DomainValueError, match="milestones_need_profitable_days"):
        LeverageRules(milestones_need_profitable_days=-1)


def test_breaker_rules_validation() -> None:
    with pytest.raises(DomainValueError, match="venue_error_burst must be a whole number"):
        BreakerRules(venue_error_burst=0)
    with pytest.raises(DomainValueError, match=r"flash_crash_move must be in \(0, 1\]"):
        BreakerRules(flash_crash_move=D(0))

"""Target, fee-aware minimum profit, minimum move, reward:risk, signal score."""

from __future__ import annotations

import pytest

from ai_engine.domain import OrderSide, Price
from ai_engine.risk.verdict import RefusalCode

from .factories import D, limits, make_intent, verdict

NO_EXIT_FEE = {"exit_fee_rate": D(0)}  # fees to any target = the 0.5 entry fee


def test_default_intent_profit_and_fees_are_hand_worked() -> None:
    intent = make_intent()
    assert (intent.expected_gross_profit, intent.fees_to_target) == (D(15), D("1.015"))


@pytest.mark.parametrize(
    ("target", "multiple", "approved"),
    [
        ("50050", "1", True),  # profit 0.5 = 1 x fees 0.5
        ("50049.99", "1", False),
        ("50250", "5", True),  # 2.5 = 5 x 0.5
        ("50249.99", "5", False),
    ],
)
def test_fee_aware_minimum_profit(target: str, multiple: str, approved: bool) -> None:
    intent = make_intent(target_price=Price(target), **NO_EXIT_FEE)
    v = verdict(limits(fee_multiple=D(multiple)), intent=intent)
    assert v.approved is approved
    if not approved:
        assert v.codes == (RefusalCode.MIN_EXPECTED_PROFIT,)


def test_seed_002_break_even_plus_half_a_percent() -> None:
    # fees 0.5 + 0.5% of the 500 notional = 3.00 needed; target 50,300 gives exactly 3.
    risk = limits(fee_multiple=D(1), profit_margin=D("0.005"))
    assert verdict(risk, intent=make_intent(target_price=Price(50300), **NO_EXIT_FEE)).approved
    v = verdict(risk, intent=make_intent(target_price=Price("50299.99"), **NO_EXIT_FEE))
    assert v.refusals[0].reason == (
        "fee-aware minimum profit: BTCUSDT buy expects 2.9999 before fees at its target; needs "
        "1x round-trip fees 0.50 + 0.5% of notional 2.50 = 3.00"
    )


@pytest.mark.parametrize(("target", "approved"), [("50075", True), ("50074.99", False)])
def test_minimum_expected_move(target: str, approved: bool) -> None:
    v = verdict(
        limits(min_expected_move=D("0.0015")), intent=make_intent(target_price=Price(target))
    )
    assert v.approved is approved
    if not approved:
        assert v.refusals[0].reason == (
            "minimum expected move: BTCUSDT buy target is 0.14998% away; minimum 0.15%"
        )


@pytest.mark.parametrize(("target", "approved"), [("51000", True), ("50999.99", False)])
def test_minimum_reward_to_risk(target: str, approved: bool) -> None:
    v = verdict(limits(min_reward_risk=D(2)), intent=make_intent(target_price=Price(target)))
    assert v.approved is approved
    if not approved:
        assert v.refusals[0].reason == (
            "reward:risk: BTCUSDT buy target 999.99 away, stop 500.00 away, ratio 1.99998; "
            "minimum 2"
        )


def test_target_required_and_on_the_winning_side() -> None:
    risk = limits(fee_multiple=D(1))
    assert verdict(risk, intent=make_intent(target_price=None)).codes == (
        RefusalCode.TARGET_REQUIRED,
    )
    short = make_intent(side=OrderSide.SELL, stop_price=Price(50500), target_price=Price(50100))
    assert verdict(risk, intent=short).codes == (RefusalCode.BAD_TARGET,)
    assert verdict(limits(), intent=make_intent(target_price=None)).approved  # no rule, no need


@pytest.mark.parametrize(("score", "approved"), [("80", True), ("79.99", False), (None, False)])
def test_minimum_signal_score(score: str | None, approved: bool) -> None:
    intent = make_intent(signal_score=None if score is None else D(score))
    v = verdict(limits(min_signal_score=D(80)), intent=intent)
    assert v.approved is approved
    if score is None:
        assert v.refusals[0].reason == "minimum signal score: BTCUSDT buy scored none; minimum 80"

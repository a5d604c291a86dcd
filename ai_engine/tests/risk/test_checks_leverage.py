"""Leverage cap, gross exposure, and seed 002's capital and leveraged-margin shares."""

from __future__ import annotations

from ai_engine.domain import Price, Quantity
from ai_engine.risk import LeverageRules
from ai_engine.risk.verdict import RefusalCode

from .factories import D, limits, make_intent, make_position, make_state, verdict


def test_order_leverage_at_and_over_the_cap() -> None:
    risk = limits(leverage=LeverageRules(max_leverage=D(3)))
    assert verdict(risk, intent=make_intent(leverage=D(3))).approved
    v = verdict(risk, intent=make_intent(leverage=D("3.5")))
    assert v.codes == (RefusalCode.LEVERAGE_CAP,)
    assert v.refusals[0].reason == "leverage cap: BTCUSDT buy asks 3.5x, allowed 3x"


def test_no_leverage_profile_refuses_any() -> None:
    v = verdict(limits(), intent=make_intent(leverage=D(2)))
    assert v.codes == (RefusalCode.LEVERAGE_CAP,)


def test_gross_exposure_adds_every_position() -> None:
    # ETH 3 @ 3,000 = 9,000 + BTC 500 new = 9,500; at 9,501 equity x 1 it fits.
    eth = make_position(quantity=Quantity(3))
    assert verdict(
        limits(), state=make_state(equity=D(9500), peak_equity=D(10000), positions=(eth,))
    ).approved
    v = verdict(
        limits(), state=make_state(equity=D("9499.99"), peak_equity=D(10000), positions=(eth,))
    )
    assert v.codes == (RefusalCode.GROSS_EXPOSURE,)
    assert v.refusals[0].reason == (
        "gross exposure: positions 9,000.00 + this order 500.00 = 9,500.00, over 1x equity "
        "9,499.99 = 9,499.99"
    )


SEED_002 = LeverageRules(
    max_leverage=D(4), capital_profit_share=D("0.7"), leveraged_margin_share=D("0.5")
)


def test_capital_share_principal_plus_70_percent_of_profit() -> None:
    # principal 10,000, equity 20,000: margin may reach 10,000 + 7,000 = 17,000.
    eth = make_position(
        quantity=Quantity(5),
        mark_price=Price(3300),
        entry_price=Price(3300),
        stop_price=Price(3200),
    )  # 16,500 margin
    state = make_state(equity=D(20000), peak_equity=D(20000), positions=(eth,))
    assert verdict(limits(leverage=SEED_002), state=state).approved  # 16,500 + 500
    over = make_intent(price=Price("50000.02"), stop_price=Price(49500), target_price=None)
    v = verdict(limits(leverage=SEED_002), intent=over, state=state)
    assert v.codes == (RefusalCode.CAPITAL_SHARE,)
    assert "over principal 10,000.00 + 70% of profit 10,000.00 = 17,000.00" in v.refusals[0].reason


def test_capital_share_never_exceeds_equity_when_in_loss() -> None:
    eth = make_position(quantity=Quantity(3))  # 9,000 margin
    state = make_state(equity=D(9400), day_start_equity=D(9400), positions=(eth,))
    v = verdict(limits(leverage=SEED_002), state=state)
    assert RefusalCode.CAPITAL_SHARE in v.codes  # 9,500 > equity 9,400


def test_leveraged_margin_within_half_the_profit() -> None:
    state = make_state(equity=D(20000), peak_equity=D(20000))  # profit 10,000: 5,000 allowed
    at_cap = make_intent(quantity=Quantity("0.2"), leverage=D(2), target_price=None)  # margin 5,000
    assert verdict(limits(leverage=SEED_002), intent=at_cap, state=state).approved
    over = make_intent(quantity=Quantity("0.2001"), leverage=D(2), target_price=None)
    v = verdict(limits(leverage=SEED_002), intent=over, state=state)
    assert v.codes == (RefusalCode.LEVERAGED_MARGIN,)
    assert v.refusals[0].reason == (
        "leveraged margin: margin at leverage 0.00 + 5,002.50 = 5,002.50, over 50% of profit "
        "10,000.00 = 5,000.00"
    )
    # Unleveraged orders do not use the leveraged share.
    spot = make_intent(quantity=Quantity("0.2"), target_price=None)
    assert verdict(limits(leverage=SEED_002), intent=spot, state=state).approved

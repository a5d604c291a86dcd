"""Position size cap, concurrent positions (total and per symbol), correlated exposure."""

from __future__ import annotations

import pytest

from ai_engine.domain import OrderSide, PositionSide, Price, Quantity
from ai_engine.risk import CorrelationGroup, LeverageRules
from ai_engine.risk.verdict import RefusalCode

from .factories import D, limits, make_intent, make_position, make_state, verdict


@pytest.mark.parametrize(
    ("price", "approved"),
    [("49999.99", True), ("50000", True), ("50000.01", False)],  # margin 500 vs cap 5% = 500
)
def test_position_size_cap_on_margin(price: str, approved: bool) -> None:
    intent = make_intent(price=Price(price), stop_price=None)
    v = verdict(limits(position_fraction=D("0.05"), require_stop=False), intent=intent)
    assert v.approved is approved
    if not approved:
        assert v.refusals[0].reason == (
            "position size cap: BTCUSDT buy margin 500.0001 is 5% of equity 10,000.00; "
            "cap 5% of 10,000.00 = 500.00"
        )


def test_position_size_is_margin_so_leverage_shrinks_it() -> None:
    # 0.02 BTC @ 50,000 = 1,000 notional; at 2x the margin is 500, at the 5% cap.
    intent = make_intent(quantity=Quantity("0.02"), leverage=D(2))
    risk = limits(position_fraction=D("0.05"), leverage=LeverageRules(max_leverage=D(2)))
    assert verdict(risk, intent=intent).approved
    v = verdict(risk, intent=make_intent(quantity=Quantity("0.02")))
    assert v.codes == (RefusalCode.POSITION_SIZE_CAP,)


def test_position_size_adds_what_is_held_on_the_same_side() -> None:
    held = make_position(
        symbol="BTCUSDT",
        quantity=Quantity("0.004"),
        entry_price=Price("50000"),
        mark_price=Price("50000"),
        stop_price=Price("49000"),
    )  # margin 200
    risk = limits(position_fraction=D("0.07"))  # cap 700
    assert verdict(risk, state=make_state(positions=(held,))).approved  # 200 + 500
    short_held = make_position(
        symbol="BTCUSDT",
        side=PositionSide.SHORT,
        quantity=Quantity("0.004"),
        entry_price=Price("50000"),
        mark_price=Price("50000"),
        stop_price=Price("51000"),
    )
    risk = limits(position_fraction=D("0.06"))  # cap 600: 200 + 500 = 700 is over
    v = verdict(risk, state=make_state(positions=(held,)))
    assert v.codes == (RefusalCode.POSITION_SIZE_CAP,)
    assert "margin 700.00 (200.00 held + 500.00 new)" in v.refusals[0].reason
    # The other side is not added (and a buy of 0.01 against a 0.004 short is an entry).
    assert verdict(risk, state=make_state(positions=(short_held,))).approved


def test_position_amount_cap() -> None:
    assert verdict(limits(position_amount=D(500))).approved
    assert verdict(limits(position_amount=D("499.99"))).codes == (RefusalCode.POSITION_SIZE_CAP,)


def _positions(*symbols: str) -> tuple:
    return tuple(make_position(symbol=s) for s in symbols)


@pytest.mark.parametrize(
    ("open_symbols", "approved"),
    [((), True), (("ETHUSDT",), True), (("ETHUSDT", "SOLUSDT"), False)],
)
def test_max_concurrent_positions(open_symbols: tuple[str, ...], approved: bool) -> None:
    v = verdict(limits(max_positions=2), state=make_state(positions=_positions(*open_symbols)))
    assert v.approved is approved
    if not approved:
        assert v.refusals[0].reason == (
            "max concurrent positions: 2 open, this entry would make 3; limit 2"
        )


def test_max_positions_per_symbol() -> None:
    risk = limits(max_positions_per_symbol=2)
    one = make_state(positions=_positions("BTCUSDT", "ETHUSDT", "ETHUSDT"))
    assert verdict(risk, state=one).approved
    two = make_state(positions=_positions("BTCUSDT", "BTCUSDT"))
    v = verdict(risk, state=two)
    assert v.codes == (RefusalCode.MAX_POSITIONS_SYMBOL,)
    assert "2 open in BTCUSDT, this entry would make 3; limit 2" in v.refusals[0].reason


GROUPS = (CorrelationGroup("btc_beta", frozenset({"BTCUSDT", "ETHUSDT", "SOLUSDT"})),)


def test_correlated_positions_count_together() -> None:
    risk = limits(max_correlated_positions=2)
    state = make_state(positions=_positions("ETHUSDT"), correlation_groups=GROUPS)
    assert verdict(risk, state=state).approved
    state = make_state(positions=_positions("ETHUSDT", "SOLUSDT"), correlation_groups=GROUPS)
    v = verdict(risk, state=state)
    assert v.codes == (RefusalCode.CORRELATED_POSITIONS,)
    assert (
        "group btc_beta (BTCUSDT, ETHUSDT, SOLUSDT) would hold 3 positions" in v.refusals[0].reason
    )
    # A symbol outside the group is not limited by it.
    xrp = make_intent(
        symbol="XRPUSDT",
        price=Price("0.5"),
        quantity=Quantity(1000),
        stop_price=Price("0.49"),
        target_price=Price("0.52"),
    )
    assert verdict(risk, intent=xrp, state=state).approved


def test_correlated_exposure_on_margin() -> None:
    # ETH position margin 3,000 + 500 new = 3,500 against 35% of 10,000.
    state = make_state(positions=_positions("ETHUSDT"), correlation_groups=GROUPS)
    assert verdict(limits(correlated_fraction=D("0.35")), state=state).approved
    v = verdict(limits(correlated_fraction=D("0.3499")), state=state)
    assert v.codes == (RefusalCode.CORRELATED_EXPOSURE,)


def test_a_sell_entry_is_checked_like_a_buy() -> None:
    short = make_intent(side=OrderSide.SELL, stop_price=Price("50500"), target_price=Price("49000"))
    assert verdict(
        limits(max_positions=1), intent=short, state=make_state(positions=_positions("ETHUSDT"))
    ).codes == (RefusalCode.MAX_POSITIONS,)

"""Stop, per-trade loss cap, daily and weekly loss, drawdown: pass, at the limit, just over."""

from __future__ import annotations

import pytest

from ai_engine.domain import OrderSide, Price
from ai_engine.risk.verdict import RefusalCode

from .factories import D, limits, make_intent, make_position, make_state, verdict


def test_default_intent_loss_at_stop_is_hand_worked() -> None:
    assert make_intent().loss_at_stop == D("5.995")


def test_missing_stop_is_refused_when_required_and_allowed_when_not() -> None:
    no_stop = make_intent(stop_price=None)
    refused = verdict(limits(), intent=no_stop)
    assert refused.codes == (RefusalCode.STOP_REQUIRED,)
    assert "BTCUSDT buy at 50,000.00 has no protective stop" in refused.refusals[0].reason
    assert verdict(limits(require_stop=False), intent=no_stop).approved


@pytest.mark.parametrize(
    ("side", "stop"),
    [(OrderSide.BUY, "50000"), (OrderSide.BUY, "50100"), (OrderSide.SELL, "49900")],
)
def test_stop_on_the_winning_side_is_refused(side: OrderSide, stop: str) -> None:
    intent = make_intent(side=side, stop_price=Price(stop), target_price=None)
    v = verdict(limits(), intent=intent)
    assert v.codes == (RefusalCode.BAD_STOP,)
    assert "not on the losing side" in v.refusals[0].reason


@pytest.mark.parametrize(("cap", "approved"), [("6", True), ("5.995", True), ("5.994", False)])
def test_per_trade_loss_cap_by_amount(cap: str, approved: bool) -> None:
    v = verdict(limits(trade_loss_amount=D(cap)))
    assert v.approved is approved
    if not approved:
        assert v.codes == (RefusalCode.TRADE_LOSS_CAP,)
        assert v.refusals[0].reason == (
            "per-trade loss cap: BTCUSDT buy loses 5.995 at its stop (fees included), "
            "0.05995% of equity 10,000.00; cap 5.994"
        )


@pytest.mark.parametrize(("fraction", "approved"), [("0.0005995", True), ("0.0005994", False)])
def test_per_trade_loss_cap_by_fraction_of_equity(fraction: str, approved: bool) -> None:
    v = verdict(limits(trade_loss_fraction=D(fraction)))
    assert v.approved is approved


def test_per_trade_loss_cap_takes_the_tighter_of_fraction_and_amount() -> None:
    v = verdict(limits(trade_loss_fraction=D("0.03"), trade_loss_amount=D("5")))
    assert v.codes == (RefusalCode.TRADE_LOSS_CAP,)
    assert "cap 5.00 (the tighter of 3% of 10,000.00 = 300.00 and 5.00)" in v.refusals[0].reason


def test_short_loss_at_stop_counts_the_move_up() -> None:
    short = make_intent(side=OrderSide.SELL, stop_price=Price("50500"), target_price=None)
    # 0.01 x 500 + 0.5 entry fee + 0.505 exit fee at 50,500
    assert short.loss_at_stop == D("6.005")
    assert verdict(limits(trade_loss_amount=D("6.005")), intent=short).approved
    assert not verdict(limits(trade_loss_amount=D("6.004")), intent=short).approved


# -- daily loss: day start 10,000, limit 2% = 200 ------------------------------------------

DAILY = {"daily_loss_fraction": D("0.02")}


@pytest.mark.parametrize(
    ("equity", "code"),
    [
        ("9806", None),  # lost 194, + 5.995 = 199.995 <= 200
        ("9805.995", None),  # lost 194.005, + 5.995 = 200: at the limit
        ("9805.994", RefusalCode.DAILY_LOSS_HEADROOM),  # 200.001
        ("9800.01", RefusalCode.DAILY_LOSS_HEADROOM),
        ("9800", RefusalCode.DAILY_LOSS_LIMIT),  # lost exactly 200: limit reached
        ("9700", RefusalCode.DAILY_LOSS_LIMIT),
    ],
)
def test_daily_loss_limit_and_headroom(equity: str, code: RefusalCode | None) -> None:
    v = verdict(limits(**DAILY), state=make_state(equity=D(equity), peak_equity=D(10000)))
    assert v.codes == (() if code is None else (code,))


def test_daily_loss_reason_names_the_numbers() -> None:
    v = verdict(limits(**DAILY), state=make_state(equity=D(9800)))
    assert v.refusals[0].reason == (
        "daily loss limit reached: lost 200.00 this day (2% of starting equity 10,000.00); "
        "limit 2% of 10,000.00 = 200.00"
    )
    v = verdict(limits(**DAILY), state=make_state(equity=D("9805.994")))
    assert v.refusals[0].reason == (
        "daily loss headroom: lost 194.006 so far + 0.00 at the stops of open positions + "
        "5.995 at this trade's stop = 200.001, over the daily limit 2% of 10,000.00 = 200.00"
    )


def test_realised_loss_counts_even_when_equity_recovered() -> None:
    # Profits elsewhere are no cushion: a realised loss of 200 today reaches the limit.
    state = make_state(equity=D(10100), realised_pnl_today=D(-200))
    assert verdict(limits(**DAILY), state=state).codes == (RefusalCode.DAILY_LOSS_LIMIT,)


def test_daily_headroom_counts_what_open_positions_lose_at_their_stops() -> None:
    # ETH long 1 @ mark 3000, stop 2900, exit fee 0.1%: 100 + 2.9 = 102.9 at risk.
    position = make_position(exit_fee_rate=FEE_RATE)
    state = make_state(equity=D(9910), positions=(position,))
    # lost 90 + 102.9 + 5.995 = 198.895 <= 200
    assert verdict(limits(**DAILY), state=state).approved
    state = make_state(equity=D(9908), positions=(position,))  # 92 + 108.895 = 200.895
    assert verdict(limits(**DAILY), state=state).codes == (RefusalCode.DAILY_LOSS_HEADROOM,)


FEE_RATE = D("0.001")


def test_daily_loss_amount_and_fraction_take_the_tighter() -> None:
    risk = limits(daily_loss_fraction=D("0.02"), daily_loss_amount=D(100))
    assert verdict(risk, state=make_state(equity=D(9900))).codes == (RefusalCode.DAILY_LOSS_LIMIT,)
    assert verdict(risk, state=make_state(equity=D(9950))).approved


def test_weekly_loss_uses_the_weeks_start() -> None:
    risk = limits(weekly_loss_fraction=D("0.05"))
    state = make_state(equity=D(9500), day_start_equity=D(9500), week_start_equity=D(10000))
    v = verdict(risk, state=state)
    assert v.codes == (RefusalCode.WEEKLY_LOSS_LIMIT,)
    assert "lost 500.00 this week (5% of starting equity 10,000.00)" in v.refusals[0].reason
    state = make_state(equity=D(9600), day_start_equity=D(9600), week_start_equity=D(10000))
    assert verdict(risk, state=state).approved  # 400 + 5.995 <= 500
    state = make_state(equity=D("9505.995"), week_start_equity=D(10000))
    assert verdict(risk, state=state).approved  # 494.005 + 5.995 = 500, at the limit
    state = make_state(equity=D("9505.994"), week_start_equity=D(10000))
    assert verdict(risk, state=state).codes == (RefusalCode.WEEKLY_LOSS_HEADROOM,)


# -- drawdown: peak 20,000, limit 25% = 5,000 ------------------------------------------------


@pytest.mark.parametrize(
    ("equity", "code"),
    [
        ("16000", None),
        ("15005.995", None),  # 4,994.005 + 5.995 = 5,000
        ("15005.994", RefusalCode.DRAWDOWN_HEADROOM),
        ("15000", RefusalCode.DRAWDOWN_LIMIT),
    ],
)
def test_drawdown_from_peak(equity: str, code: RefusalCode | None) -> None:
    state = make_state(
        equity=D(equity), peak_equity=D(20000), day_start_equity=D(equity), starting_equity=D(10000)
    )
    v = verdict(limits(max_drawdown_fraction=D("0.25")), state=state)
    assert v.codes == (() if code is None else (code,))


def test_drawdown_reason() -> None:
    state = make_state(equity=D(15000), peak_equity=D(20000), day_start_equity=D(15000))
    v = verdict(limits(max_drawdown_fraction=D("0.25")), state=state)
    assert v.refusals[0].reason == (
        "max drawdown reached: equity 15,000.00 is 5,000.00 (25%) below its peak 20,000.00; "
        "limit 25% of 20,000.00 = 5,000.00"
    )


def test_peak_below_equity_is_raised_to_it() -> None:
    assert make_state(equity=D(12000), peak_equity=D(11000)).peak_equity == D(12000)

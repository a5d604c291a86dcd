"""Growth milestones and leverage step-downs (seed 002 §6, seed 004 §2, §4, §12, §14)."""

from __future__ import annotations

import pytest

from ai_engine.risk import ClosedTrade, limits_in_force, load_profile
from ai_engine.risk.verdict import RefusalCode

from .factories import T0, D, make_intent, make_state, verdict

FUTURES = load_profile("futures_challenge")
SPOT = load_profile("conservative_spot")


def _state(equity: str, **extra: object) -> object:
    return make_state(
        equity=D(equity),
        starting_equity=D(50),
        peak_equity=D(equity),
        day_start_equity=D(equity),
        **extra,
    )


@pytest.mark.parametrize(
    ("equity", "leverage", "position", "trade_loss"),
    [
        ("50", "2", "0.10", "0.005"),  # start: §2 "2-3x", "10% of account", "0.5%"
        ("59.99", "2", "0.10", "0.005"),
        ("60", "2", "0.12", "0.005"),  # "$50 -> $60 (20%): Allow 12% positions"
        ("75", "5", "0.15", "0.005"),  # "$75 (50%): 15% positions, 5x leverage"
        ("100", "8", "0.20", "0.01"),  # "$100 (100%): 20%, 8x"; §12 "Double: 1% risk"
        ("149.99", "8", "0.20", "0.01"),
        ("150", "10", "0.20", "0.01"),  # "$150 (200%): ... 10x max leverage"
        ("1000", "10", "0.20", "0.01"),
    ],
)
def test_futures_challenge_growth_milestones(
    equity: str, leverage: str, position: str, trade_loss: str
) -> None:
    force = limits_in_force(FUTURES, _state(equity, consecutive_profitable_days=10))
    assert (force.max_leverage, force.position_fraction, force.trade_loss_fraction) == (
        D(leverage),
        D(position),
        D(trade_loss),
    )


def test_futures_milestones_wait_for_ten_profitable_days() -> None:
    force = limits_in_force(FUTURES, _state("150", consecutive_profitable_days=9))
    assert (force.max_leverage, force.position_fraction) == (D(2), D("0.10"))
    assert force.notes == ("growth milestones held back: 9 profitable days in a row, 10 needed",)


def test_futures_recent_loss_steps_leverage_down() -> None:
    lost = (ClosedTrade(symbol="BTCUSDT", closed_at=T0, pnl=D("-0.2")),)
    force = limits_in_force(
        FUTURES, _state("100", consecutive_profitable_days=10, recent_trades=lost)
    )
    assert force.max_leverage == D(7)
    assert "last trade lost 0.20: leverage -1x" in force.notes
    # Never below 1x, and the base of 2x steps down to 1x.
    assert limits_in_force(FUTURES, _state("50", recent_trades=lost)).max_leverage == D(1)


def test_futures_drawdown_above_5_percent_caps_leverage_at_2x() -> None:
    state = make_state(
        equity=D(150),
        starting_equity=D(50),
        peak_equity=D("158"),
        day_start_equity=D(150),
        consecutive_profitable_days=10,
    )
    force = limits_in_force(FUTURES, state)  # 8 / 158 = 5.06% drawdown
    assert force.max_leverage == D(2)
    assert any(n.startswith("drawdown 5.06329% above 5%") for n in force.notes)
    at_5 = make_state(
        equity=D(150),
        starting_equity=D(50),
        peak_equity=D("157.8947368"),
        day_start_equity=D(150),
        consecutive_profitable_days=10,
    )
    assert limits_in_force(FUTURES, at_5).max_leverage == D(10)  # 4.99999% is not above 5%


@pytest.mark.parametrize(
    ("equity", "leverage"),
    [
        ("10000", "1"),
        ("19999.99", "1"),
        ("20000", "2"),
        ("30000", "3"),
        ("40000", "4"),
        ("90000", "4"),
    ],
)
def test_conservative_spot_leverage_unlocks_with_profit(equity: str, leverage: str) -> None:
    state = make_state(equity=D(equity), peak_equity=D(equity), day_start_equity=D(equity))
    assert limits_in_force(SPOT, state).max_leverage == D(leverage)


def test_conservative_spot_steps_down_on_leveraged_losses_and_volatility() -> None:
    base = {"equity": D(30000), "peak_equity": D(30000), "day_start_equity": D(30000)}
    # profit 20,000; leveraged trades lost 6,000 = 30% of it: one step down.
    force = limits_in_force(SPOT, make_state(**base, leveraged_pnl=D(-6000)))
    assert force.max_leverage == D(2)
    assert limits_in_force(SPOT, make_state(**base, leveraged_pnl=D("-5999.99"))).max_leverage == D(
        3
    )
    force = limits_in_force(
        SPOT, make_state(**base, leveraged_pnl=D(-6000), volatility_index=D(81))
    )
    assert force.max_leverage == D(1)
    assert "volatility index 81 above 80: leverage -1x" in force.notes
    assert limits_in_force(SPOT, make_state(**base, volatility_index=D(80))).max_leverage == D(3)


def test_verdict_explains_the_leverage_in_force() -> None:
    lost = (ClosedTrade(symbol="BTCUSDT", closed_at=T0, pnl=D(-1)),)
    state = make_state(recent_trades=lost)
    v = verdict(FUTURES, intent=make_intent(leverage=D(2)), state=state)
    assert RefusalCode.LEVERAGE_CAP in v.codes
    refusal = next(r for r in v.refusals if r.code is RefusalCode.LEVERAGE_CAP)
    assert refusal.reason == (
        "leverage cap: BTCUSDT buy asks 2x, allowed 1x; last trade lost 1.00: leverage -1x"
    )
    assert v.notes == ("last trade lost 1.00: leverage -1x",)

"""The exit plan from a bot config's ``exits`` mapping, and the exit state through JSON."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from ai_engine.domain import OrderSide, Price, Quantity
from ai_engine.execution.exits import (
    Breakeven,
    Distance,
    ExitManager,
    ExitPlan,
    ExitStateError,
    FlashCrash,
    TakeProfitLevel,
    TimeStop,
    TrailingStop,
)
from ai_engine.execution.exits.config import ExitConfigError, plan_from_mapping
from ai_engine.execution.exits.persist import state_from_primitive, state_to_primitive

from .exit_factories import USDM, D, at, bar, opened, seed004_plan

FEES: dict[str, Any] = {
    "maker_fee_rate": D("0.0002"),
    "taker_fee_rate": D("0.0004"),
    "reduce_only_venue": True,
}
SEED004 = {
    "stop": {"percent": 0.01},
    "take_profits": [{"r": 1, "fraction": 0.25}, {"r": 2, "fraction": 0.25},
                     {"r": 3, "fraction": 0.25}],
    "trailing": {"activation": {"r": 2}, "distance": {"percent": "0.005"}},
    "breakeven": {"trigger": {"r": 1}},
}  # fmt: skip


def test_the_seed_004_section_gives_the_seed_004_plan() -> None:
    assert plan_from_mapping(SEED004, **FEES) == seed004_plan()


def test_every_key() -> None:
    plan = plan_from_mapping(
        {
            "stop": {"atr": 2},
            "take_profits": [{"percent": "0.02", "fraction": 1}],
            "trailing": {"activation": {"atr": 1}, "distance": {"atr": "1.5"}},
            "time_stop": {"bars": 30, "minutes": 45},
            "reversal": {"enabled": True, "min_score": 70},
            "flash_crash": {"move": 0.08, "window_s": 30},
        },
        **FEES,
    )
    assert plan == ExitPlan(
        stop=Distance.atr(2),
        take_profits=(TakeProfitLevel(Distance.percent("0.02"), D(1)),),
        trailing=TrailingStop(Distance.atr(1), Distance.atr("1.5")),
        time_stop=TimeStop(bars=30, duration=timedelta(minutes=45)),
        reversal_min_score=D(70),
        flash_crash=FlashCrash(D("0.08"), timedelta(seconds=30)),
        **FEES,
    )
    empty = plan_from_mapping({}, **FEES)
    assert empty.flash_crash == FlashCrash()
    assert empty.stop is None
    assert plan_from_mapping({"flash_crash": False, "reversal": False}, **FEES) == ExitPlan(
        flash_crash=None, exit_on_reversal=False, **FEES
    )
    assert plan_from_mapping({"breakeven": {"trigger": {"percent": 0.004}}}, **FEES).breakeven == (
        Breakeven(Distance.percent("0.004"))
    )


@pytest.mark.parametrize(
    ("section", "says"),
    [
        ({"stops": {}}, "exits.stops: unknown key; known: stop, take_profits"),
        ({"stop": {"percent": 0.01, "atr": 2}}, "exits.stop: give exactly one of percent, atr, r"),
        ({"stop": {"r": 1}}, "cannot be measured in R"),
        ({"stop": {"percent": -1}}, "exits.stop.percent: a percent distance must be positive"),
        ({"take_profits": [{"r": 1}]}, "exits.take_profits[0].fraction: required"),
        ({"take_profits": [{"r": 1, "fraction": 2}]}, "exits.take_profits[0].fraction: a take"),
        ({"take_profits": [{"r": 1, "fraction": 0.7}, {"r": 2, "fraction": 0.7}]}, "sum to 1.4"),
        ({"take_profits": {"r": 1}}, "exits.take_profits: expected a list"),
        ({"trailing": {"activation": {"r": 2}}}, "exits.trailing.distance: required"),
        ({"time_stop": {"bars": 0}}, "exits.time_stop.bars: expected a whole number >= 1"),
        ({"time_stop": {}}, "exits.time_stop: give bars, minutes or seconds"),
        ({"reversal": {"min_score": "high"}}, "exits.reversal.min_score: expected a number"),
        ({"flash_crash": {"move": 1.5}}, "exits.flash_crash: a flash-crash move must be in"),
        ("stop", "exits: expected a mapping"),
    ],
)
def test_errors_name_the_key(section: Any, says: str) -> None:
    with pytest.raises(ExitConfigError) as caught:
        plan_from_mapping(section, **FEES)
    assert says in str(caught.value)


def test_state_survives_json_and_the_restarted_manager_goes_on() -> None:
    manager, _ = opened(seed004_plan())
    bar(manager, 1, high=50600, low=50000, close=50550)  # breakeven move
    manager.on_tick(ts=at(1.2), price=Price(50500))
    assert manager.state is not None
    text = json.dumps(state_to_primitive(manager.state))
    restored = state_from_primitive(json.loads(text))
    assert restored == manager.state
    again = ExitManager(seed004_plan(), USDM, restored)
    original = manager.on_signal(side=OrderSide.SELL, score=None, ts=at(2))
    assert again.on_signal(side=OrderSide.SELL, score=None, ts=at(2)) == original
    assert original[0].quantity == Quantity("0.1")


def test_a_damaged_state_is_refused_by_name() -> None:
    manager, _ = opened(seed004_plan())
    assert manager.state is not None
    data = state_to_primitive(manager.state)
    broken = {k: v for k, v in data.items() if k != "remaining"}
    with pytest.raises(ValueError, match="missing 'remaining'"):
        state_from_primitive(broken)
    data["remaining"] = "0.2"  # more than entered, and the stop no longer covers it
    with pytest.raises(ExitStateError, match=r"remaining 0\.2 above the entry"):
        state_from_primitive(data)

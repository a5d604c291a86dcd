"""The flash-crash detector (``trader.flash_crash``): a fall of more than ``move`` below the
high of the last ``window`` fires once; a rise, a slow fall, an old tick never do. Checked
against a brute-force reading of the rule on random tick streams, for the long's ``FallWatch``
and the short's ``RiseWatch`` (``test_flash_short.py`` has the short's hand-worked cases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_engine.trader.flash_crash import (
    FallWatch,
    FlashCrashGuard,
    FlashRule,
    RiseWatch,
    bar_crashed,
    flash_rule,
)

T0 = datetime(2024, 5, 1, tzinfo=UTC)
RULE = FlashRule()  # 5 % in 60 s


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_fall_of_more_than_five_percent_within_a_minute_fires_once() -> None:
    watch = FallWatch(RULE)
    assert watch.update(at(0), Decimal(100)) is None
    assert watch.update(at(10), Decimal(102)) is None  # the window's high
    assert watch.update(at(30), Decimal("96.90")) is None  # exactly 5 % below 102: not more
    crash = watch.update(at(40), Decimal("96.89"))
    assert crash is not None
    assert (crash.high, crash.high_at, crash.price) == (Decimal(102), at(10), Decimal("96.89"))
    assert crash.move < -RULE.move
    assert "5.01% below the high 102" in crash.describe(RULE)
    assert watch.update(at(41), Decimal(96)) is None  # the same fall does not fire again


def test_a_slow_fall_a_rise_and_an_old_tick_do_not_fire() -> None:
    watch = FallWatch(RULE)
    watch.update(at(0), Decimal(100))
    assert watch.update(at(61), Decimal(94)) is None  # the high is out of the window
    assert watch.update(at(62), Decimal(120)) is None  # a rise: nothing for a long to fear
    assert watch.update(at(50), Decimal(1)) is None  # older than the newest tick: ignored
    assert watch.high == Decimal(120)


def test_the_replay_rule_and_the_config() -> None:
    assert bar_crashed(Decimal(100), Decimal("94.99"), RULE)
    assert not bar_crashed(Decimal(100), Decimal(95), RULE)
    assert flash_rule({}) == RULE
    assert flash_rule({"flash_crash": False}) is None
    assert flash_rule({"flash_crash": {"move": 0.1, "window_s": 30}}) == FlashRule(
        Decimal("0.1"), timedelta(seconds=30)
    )
    with pytest.raises(ValueError, match=r"bot.yaml: exits.flash_crash: .*\(0, 1\)"):
        flash_rule({"flash_crash": {"move": 2}}, where="bot.yaml: exits.flash_crash")
    with pytest.raises(ValueError, match=r"exits\.flash_crash: expected"):
        flash_rule({"flash_crash": {"moves": 0.1}})
    guard = FlashCrashGuard(RULE, "BTCUSDT")
    assert guard.seen(0, Decimal(100)) is None
    assert guard.seen(59_000, Decimal(90)) is not None
    assert len(guard.crashes) == 1


ticks = st.lists(
    st.tuples(st.integers(0, 30), st.integers(90, 110)), min_size=1, max_size=60
)  # (seconds after the previous tick, price)


def _falls_through(price: Decimal, high: Decimal) -> bool:
    return price < high * (1 - RULE.move)


def _rises_through(price: Decimal, low: Decimal) -> bool:
    return price > low * (1 + RULE.move)


@pytest.mark.parametrize(
    ("watch_of", "extreme", "breaks", "field"),
    [
        pytest.param(FallWatch, max, _falls_through, "high", id="a long's fall"),
        pytest.param(RiseWatch, min, _rises_through, "low", id="a short's rise"),
    ],
)
@settings(max_examples=300, deadline=None)
@given(ticks)
def test_each_watch_agrees_with_a_brute_force_reading_of_the_rule(
    watch_of: Any, extreme: Any, breaks: Any, field: str, steps: list[tuple[int, int]]
) -> None:
    """``FallWatch`` (a long's) and ``RiseWatch`` (a short's) against the rule read directly:
    fires exactly when the price is through the window's high (low) by more than the move,
    counted from the last firing."""
    watch, seen, since = watch_of(RULE), [], T0  # seen: ticks since the last firing
    now = T0
    for gap, price in steps:
        now += timedelta(seconds=gap)
        window = [p for t, p in seen if t >= now - RULE.window and t >= since]
        expected = bool(window) and breaks(Decimal(price), extreme(window))
        fired = watch.update(now, Decimal(price))
        assert (fired is not None) == expected, (now, price, window)
        if fired is not None:
            assert getattr(fired, field) == extreme(window)
            seen, since = [], now
        seen.append((now, Decimal(price)))

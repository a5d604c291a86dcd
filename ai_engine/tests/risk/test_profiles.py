"""Named profiles load, validate, carry the plans' numbers and cite where each came from."""

from __future__ import annotations

import ast
import inspect
import re
from datetime import timedelta

import pytest

from ai_engine.domain import DomainValueError
from ai_engine.risk import PROFILES, RiskLimits, load_profile, profiles, with_overrides

from .factories import D

CITATION = re.compile(r"\b00[0-4]\b|SILENT|issue 7")
NAMES = ("conservative_spot", "futures_challenge", "ultra_short", "trinity")


def test_the_four_plan_profiles_exist() -> None:
    assert set(PROFILES) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_profile_loads_by_name_and_revalidates(name: str) -> None:
    limits = load_profile(name)
    assert limits.name == name
    # Rebuilding from its own fields runs every validation again.
    rebuilt = RiskLimits(**{f: getattr(limits, f) for f in RiskLimits.field_names()})
    assert rebuilt == limits
    assert limits.require_stop  # issue 7: never a position without a stop


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(
        DomainValueError, match="unknown risk profile 'yolo'; known: conservative_spot"
    ):
        load_profile("yolo")


def test_plan_numbers() -> None:
    spot = load_profile("conservative_spot")  # seed 002
    assert (spot.trade_loss_fraction, spot.daily_loss_fraction, spot.max_drawdown_fraction) == (
        D("0.03"),
        D("0.10"),
        D("0.25"),
    )
    assert (spot.position_fraction, spot.daily_trade_cap, spot.min_trade_interval) == (
        D("0.2"),
        100,
        timedelta(seconds=5),
    )
    assert spot.leverage.max_leverage == 1
    assert [m.equity_multiple for m in spot.leverage.milestones] == [2, 3, 4]
    futures = load_profile("futures_challenge")  # seed 004
    assert (futures.trade_loss_fraction, futures.daily_loss_fraction) == (D("0.005"), D("0.02"))
    assert (futures.weekly_loss_fraction, futures.max_positions) == (D("0.05"), 2)
    assert futures.breaker.flash_crash_move == D("0.05")
    assert futures.leverage.milestones[-1].max_leverage == 10
    ultra = load_profile("ultra_short")  # seed 001
    assert (ultra.max_positions, ultra.trade_loss_fraction, ultra.daily_loss_fraction) == (
        10,
        D("0.06"),
        D("0.15"),
    )
    assert (ultra.fee_multiple, ultra.min_signal_score, ultra.max_correlated_positions) == (
        5,
        80,
        3,
    )
    trinity = load_profile("trinity")  # seed 000
    assert (trinity.daily_loss_amount, trinity.trade_loss_amount, trinity.max_positions) == (
        500,
        50,
        3,
    )
    assert (trinity.breaker.loss_streak, trinity.stop_loss_cooldown) == (5, timedelta(seconds=60))


def _keyword_lines(node: ast.Call) -> list[tuple[str, int, int]]:
    found = []
    for kw in node.keywords:
        found.append((kw.arg or "", kw.value.lineno, kw.value.end_lineno or kw.value.lineno))
        if isinstance(kw.value, ast.Call) and getattr(kw.value.func, "id", "") in (
            "LeverageRules",
            "BreakerRules",
        ):
            found.extend(_keyword_lines(kw.value))
    return found


def test_every_profile_value_cites_its_source_or_says_silent() -> None:
    source = inspect.getsource(profiles)
    lines = source.splitlines()
    tree = ast.parse(source)
    checked = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "RiskLimits":
            for name, first, last in _keyword_lines(node):
                if name == "name" or (name in ("leverage", "breaker") and last > first):
                    continue
                start = first - 1
                while start > 0 and lines[start - 1].strip().startswith("#"):
                    start -= 1  # a block comment just above the value belongs to it
                if "# ..." in lines[first - 1]:
                    start -= 1  # "... rest of the quote" continues the line above
                text = " ".join(lines[start:last])
                assert "#" in text, f"{name} at line {first} has no comment"
                assert CITATION.search(text), f"{name} at line {first} cites no seed"
                checked += 1
    assert checked > 60


def test_overrides_from_a_bot_config() -> None:
    base = load_profile("futures_challenge")
    changed = with_overrides(
        base,
        {
            "daily_loss_fraction": "0.01",
            "daily_loss_amount": 1,
            "max_positions": "1",
            "stop_loss_cooldown": 90,
            "weekly_loss_fraction": None,
            "breaker.loss_streak": 4,
            "leverage.max_leverage": "3",
        },
    )
    assert (changed.daily_loss_fraction, changed.daily_loss_amount) == (D("0.01"), D(1))
    assert (changed.max_positions, changed.stop_loss_cooldown) == (1, timedelta(seconds=90))
    assert changed.weekly_loss_fraction is None
    assert (changed.breaker.loss_streak, changed.leverage.max_leverage) == (4, D(3))
    assert changed.leverage.milestones == base.leverage.milestones
    assert base.max_positions == 2  # the profile itself is untouched


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"daily_loss_pct": 10}, "daily_loss_pct is not a risk setting; known: "),
        ({"daily_loss_fraction": "2"}, r"daily_loss_fraction must be in \(0, 1\], got"),
        ({"max_positions": 0}, "max_positions must be a whole number >= 1"),
        ({"max_positions": "two"}, "max_positions must be a whole number"),
        ({"require_stop": "no"}, "require_stop must be true or false"),
        ({"require_stop": None}, "require_stop cannot be switched off"),
        ({"breaker.nope": 1}, "breaker.nope is not a risk setting"),
        ({"leverage.milestones": ()}, "leverage.milestones is not a risk setting"),
        ({"leverage.max_leverage": "0.5"}, "max_leverage must be at least 1"),
    ],
)
def test_bad_overrides_are_refused_with_the_setting_named(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(DomainValueError, match=message):
        with_overrides(load_profile("trinity"), overrides)

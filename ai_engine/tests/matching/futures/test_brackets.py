"""The bracket table: derived maintenance amounts, maintenance margin, max notional."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.matching.futures import BTCUSDT_BRACKETS, BracketTable


def test_cum_is_derived_so_the_margin_is_continuous() -> None:
    cums = [bracket.cum for bracket in BTCUSDT_BRACKETS.brackets[:4]]
    assert cums == [Decimal(0), Decimal(50), Decimal(950), Decimal(11450)]  # Binance's values
    for bracket in BTCUSDT_BRACKETS.brackets[1:]:
        below = BTCUSDT_BRACKETS.brackets[bracket.number - 2]
        at_floor = bracket.floor * bracket.mmr - bracket.cum
        assert at_floor == bracket.floor * below.mmr - below.cum


@pytest.mark.parametrize(
    ("notional", "margin"),
    [("10000", "40.000"), ("50000", "200.000"), ("100000", "450.000"), ("0", "0.000")],
)
def test_maintenance_margin(notional: str, margin: str) -> None:
    assert BTCUSDT_BRACKETS.maintenance_margin(Decimal(notional)) == Decimal(margin)


def test_max_notional_per_leverage() -> None:
    assert BTCUSDT_BRACKETS.max_leverage == 125
    assert BTCUSDT_BRACKETS.max_notional(125) == Decimal(50000)
    assert BTCUSDT_BRACKETS.max_notional(101) == Decimal(50000)
    assert BTCUSDT_BRACKETS.max_notional(100) == Decimal(600000)


def test_a_table_must_not_raise_leverage_with_size() -> None:
    with pytest.raises(ValueError, match="must not rise"):
        BracketTable([("100", 10, "0.01"), ("200", 20, "0.02")])
    with pytest.raises(ValueError, match="at least one"):
        BracketTable([])

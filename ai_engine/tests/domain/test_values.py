from __future__ import annotations

from decimal import Decimal, Inexact

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_engine.domain import DomainValueError, Money, Price, Quantity, exact, notional, to_decimal
from ai_engine.domain.decimals import snap_to_step, tidy_step
from ai_engine.domain.enums import Rounding

from .factories import PROPERTY_SETTINGS


@pytest.mark.parametrize("make", [Price, Quantity, lambda v: Money(v, "USDT")])
@pytest.mark.parametrize("value", [0.1, 1.0, True])
def test_floats_and_bools_are_refused(make: object, value: object) -> None:
    with pytest.raises(TypeError):
        make(value)  # type: ignore[operator]


@pytest.mark.parametrize("make", [Price, Quantity, lambda v: Money(v, "USDT")])
@pytest.mark.parametrize("value", ["NaN", "sNaN", "inf", "-Infinity", Decimal("NaN"), "abc", ""])
def test_non_finite_and_garbage_are_refused(make: object, value: object) -> None:
    with pytest.raises(DomainValueError):
        make(value)  # type: ignore[operator]


def test_str_int_and_decimal_are_accepted_exactly() -> None:
    assert Price("0.1").value == Decimal("0.1")
    assert Price(" 42 ").value == Decimal(42)
    assert Quantity(Decimal("0.00001")).value == Decimal("0.00001")
    assert Price("1.50") == Price("1.5")  # equal by value, and hash alike
    assert hash(Price("1.50")) == hash(Price("1.5"))


@pytest.mark.parametrize("value", ["0", "-1", "-0.01"])
def test_price_must_be_positive(value: str) -> None:
    with pytest.raises(DomainValueError, match="positive"):
        Price(value)


def test_quantity_may_be_zero_but_not_negative() -> None:
    assert Quantity(0).is_zero()
    with pytest.raises(DomainValueError):
        Quantity("-0.001")
    with pytest.raises(DomainValueError):
        Quantity("1") - Quantity("1.5")
    assert Quantity("1.5") - Quantity("1") == Quantity("0.5")
    assert Quantity("1.5") + Quantity("1") == Quantity("2.5")


def test_values_order_within_their_type() -> None:
    assert Price("99.99") < Price("100")
    assert max(Quantity(1), Quantity(3), Quantity(2)) == Quantity(3)


def test_money_refuses_mixing_assets() -> None:
    assert Money("1.5", "USDT") + Money("-0.5", "USDT") == Money("1.0", "USDT")
    with pytest.raises(DomainValueError, match="BNB"):
        Money("1", "USDT") + Money("1", "BNB")
    with pytest.raises(DomainValueError):
        Money("1", "")


def test_notional_is_exact() -> None:
    assert notional(Price("0.1"), Quantity("3")) == Decimal("0.3")
    assert notional(Price("65000.01"), Quantity("0.00001"), Decimal(2)) == Decimal("1.3000002")


def test_exact_context_raises_instead_of_rounding() -> None:
    with exact(), pytest.raises(Inexact):
        _ = Decimal(1) / Decimal(3)


def test_to_decimal_names_the_value() -> None:
    with pytest.raises(TypeError, match="fee must be"):
        to_decimal(1.5, what="fee")


@pytest.mark.parametrize(
    ("step", "tidy"),
    [("0.01000000", "0.01"), ("10", "10"), ("1.0", "1"), ("0.5", "0.5"), ("100.00", "100")],
)
def test_tidy_step_drops_zeros_without_exponents(step: str, tidy: str) -> None:
    assert str(tidy_step(Decimal(step))) == tidy


@PROPERTY_SETTINGS
@given(
    units=st.integers(min_value=0, max_value=10**9),
    step=st.sampled_from(["0.01", "0.5", "25", "0.00001", "0.1"]),
    rounding=st.sampled_from(list(Rounding)),
)
def test_snapping_lands_on_the_grid_within_one_step(
    units: int, step: str, rounding: Rounding
) -> None:
    grid = Decimal(step)
    value = Decimal(units).scaleb(-6)
    snapped = snap_to_step(value, grid, rounding)
    assert snapped % grid == 0
    assert abs(snapped - value) < grid
    if rounding is Rounding.DOWN:
        assert snapped <= value
    if rounding is Rounding.UP:
        assert snapped >= value
    if rounding is Rounding.NEAREST:
        assert abs(snapped - value) * 2 <= grid

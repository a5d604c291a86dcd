"""Sizing helpers: rounded down to the lot step, refused below the instrument's minimums."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ai_engine.domain import Price, Quantity, Rounding
from ai_engine.domain.instrument_examples import binance_spot_btcusdt, binance_usdm_btcusdt
from ai_engine.risk import size_by_equity_fraction, size_by_notional, size_by_risk
from ai_engine.risk.verdict import RefusalCode

from .factories import PROPERTY_SETTINGS, D

SPOT = binance_spot_btcusdt()  # lot 0.00001, min notional 5, max 9000
USDM = binance_usdm_btcusdt()  # lot 0.001, min notional 100


def test_size_by_risk_exact_without_fees() -> None:
    s = size_by_risk(
        equity=D(10000),
        risk_fraction=D("0.01"),
        price=Price(50000),
        stop=Price(49500),
        instrument=SPOT,
    )
    assert (s.quantity, s.notional, s.ok) == (Quantity("0.2"), D(10000), True)


def test_size_by_risk_counts_fees_and_rounds_down() -> None:
    # per unit: 500 move + 50 entry fee + 49.5 exit fee = 599.5; 100 / 599.5 = 0.16680567...
    s = size_by_risk(
        equity=D(10000),
        risk_fraction=D("0.01"),
        price=Price(50000),
        stop=Price(49500),
        instrument=SPOT,
        entry_fee_rate=D("0.001"),
        exit_fee_rate=D("0.001"),
    )
    assert s.quantity == Quantity("0.1668")
    assert D("0.1668") * D("599.5") <= 100 < D("0.16681") * D("599.5")


def test_size_by_risk_for_a_short_uses_the_distance() -> None:
    s = size_by_risk(
        equity=D(10000),
        risk_fraction=D("0.01"),
        price=Price(50000),
        stop=Price(50500),
        instrument=SPOT,
    )
    assert s.quantity == Quantity("0.2")


def test_size_by_equity_fraction_with_leverage() -> None:
    s = size_by_equity_fraction(
        equity=D(10000), fraction=D("0.1"), price=Price(50000), instrument=USDM, leverage=D(3)
    )
    assert (s.quantity, s.notional) == (Quantity("0.06"), D(3000))


def test_fixed_notional_rounds_down_onto_the_lot_step() -> None:
    s = size_by_notional(notional=D(5), price=Price(50000), instrument=SPOT)
    assert (s.quantity, s.notional, s.ok) == (Quantity("0.0001"), D(5), True)
    # 5.49 / 50,000 = 0.0001098 -> 0.00010 on the lot step = 5.00: exactly the minimum, passes.
    s = size_by_notional(notional=D("5.49"), price=Price(50000), instrument=SPOT)
    assert (s.quantity, s.notional, s.ok) == (Quantity("0.0001"), D(5), True)


def test_below_min_notional_and_min_quantity_are_refused_with_reasons() -> None:
    s = size_by_notional(notional=D("4.99"), price=Price(50000), instrument=SPOT)
    assert s.refusal is not None
    assert s.refusal.code is RefusalCode.BELOW_MIN_NOTIONAL
    assert s.refusal.reason == (
        "BTCUSDT: a notional of 4.99 gives 0.00009 = 4.50 at 50000, below the minimum notional 5.00"
    )
    # $50 account, 10% at 2x = $10 of BTC at 60,000: 0.000166 -> 0 contracts of 0.001.
    s = size_by_equity_fraction(
        equity=D(50), fraction=D("0.1"), price=Price(60000), instrument=USDM, leverage=D(2)
    )
    assert s.refusal is not None
    assert s.refusal.code is RefusalCode.BELOW_MIN_QUANTITY
    assert "below the minimum quantity 0.001" in s.refusal.reason


def test_above_max_quantity_is_cut_to_it() -> None:
    s = size_by_notional(notional=D(10) ** 12, price=Price(50000), instrument=SPOT)
    assert s.quantity == Quantity(9000)


def test_unsizable_inputs_are_refused() -> None:
    s = size_by_risk(
        equity=D(10000),
        risk_fraction=D("0.01"),
        price=Price(50000),
        stop=Price(50000),
        instrument=SPOT,
    )
    assert s.refusal is not None
    assert s.refusal.code is RefusalCode.NO_SIZE
    s = size_by_equity_fraction(equity=D(-1), fraction=D("0.1"), price=Price(1), instrument=SPOT)
    assert s.refusal is not None
    assert s.refusal.code is RefusalCode.NO_SIZE


@PROPERTY_SETTINGS
@given(
    equity=st.integers(min_value=10, max_value=10**7),
    risk_bp=st.integers(min_value=1, max_value=500),
    price_cents=st.integers(min_value=100_00, max_value=200_000_00),
    stop_bp=st.integers(min_value=5, max_value=2000),
    fee_bp=st.sampled_from([0, 2, 4, 10]),
)
def test_risk_sizing_never_exceeds_the_budget_and_one_more_lot_would(
    equity: int, risk_bp: int, price_cents: int, stop_bp: int, fee_bp: int
) -> None:
    price = Price(Decimal(price_cents) / 100)
    stop = SPOT.round_price(price.value * (1 - Decimal(stop_bp) / 10_000), Rounding.DOWN)
    fee = Decimal(fee_bp) / 10_000
    budget = Decimal(equity) * risk_bp / 10_000
    s = size_by_risk(
        equity=Decimal(equity),
        risk_fraction=Decimal(risk_bp) / 10_000,
        price=price,
        stop=stop,
        instrument=SPOT,
        entry_fee_rate=fee,
        exit_fee_rate=fee,
    )
    per_unit = price.value - stop.value + price.value * fee + stop.value * fee
    if not s.ok:
        assert s.quantity.is_zero()
        return
    assert s.quantity.value % SPOT.lot_step == 0
    assert s.quantity.value * per_unit <= budget
    assert s.notional >= SPOT.min_notional
    assert SPOT.max_quantity is not None
    if s.quantity.value < SPOT.max_quantity:
        assert (s.quantity.value + SPOT.lot_step) * per_unit > budget

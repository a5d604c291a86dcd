"""Binance's VIP fee tiers as data (matching/fee_tiers.py) and the rates they give accounts."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from ai_engine.domain import DomainValueError, LiquiditySide
from ai_engine.matching import FeeRates
from ai_engine.matching.fee_tiers import (
    BNB_DISCOUNT_SPOT,
    BNB_DISCOUNT_USDM,
    MAX_TIER,
    SPOT_TIERS,
    TIER_NAMES,
    USDM_TIERS,
    check_tier,
    spot_rates,
    usdm_rates,
)
from ai_engine.matching.futures import FUTURES_FEES

D = Decimal

# The schedule as the sources cited in fee_tiers.py print it: (maker %, taker %) per tier.
SPOT_PERCENT = [
    ("0.1000", "0.1000"), ("0.0900", "0.1000"), ("0.0800", "0.1000"), ("0.0420", "0.0600"),
    ("0.0420", "0.0540"), ("0.0360", "0.0480"), ("0.0300", "0.0420"), ("0.0240", "0.0360"),
    ("0.0180", "0.0300"), ("0.0120", "0.0240"),
]  # fmt: skip
USDM_PERCENT = [
    ("0.0200", "0.0500"), ("0.0160", "0.0400"), ("0.0140", "0.0350"), ("0.0120", "0.0320"),
    ("0.0100", "0.0300"), ("0.0080", "0.0270"), ("0.0060", "0.0250"), ("0.0040", "0.0220"),
    ("0.0020", "0.0200"), ("0.0000", "0.0170"),
]  # fmt: skip
# Binance's TradFi-perps promotion (2026-02-04): 50 % of each tier's standard USD-M taker rate.
TRADFI_PROMO_TAKER_PERCENT = [
    "0.0250", "0.0200", "0.0175", "0.0160", "0.0150", "0.0135", "0.0125", "0.0110", "0.0100",
    "0.0085",
]  # fmt: skip


def as_percent(rates: tuple[FeeRates, ...]) -> list[tuple[Decimal, Decimal]]:
    return [(r.maker * 100, r.taker * 100) for r in rates]


def test_the_tables_hold_the_published_schedule() -> None:
    assert len(TIER_NAMES) == 10
    assert TIER_NAMES[0] == "Regular"
    assert TIER_NAMES[9] == "VIP 9"
    assert as_percent(SPOT_TIERS) == [(D(m), D(t)) for m, t in SPOT_PERCENT]
    assert as_percent(USDM_TIERS) == [(D(m), D(t)) for m, t in USDM_PERCENT]


def test_usdm_takers_agree_with_binance_promotion_table() -> None:
    takers = [rates.taker * 100 for rates in USDM_TIERS]
    assert [taker / 2 for taker in takers] == [D(p) for p in TRADFI_PROMO_TAKER_PERCENT]


def test_regular_tier_is_the_engines_default_and_rates_never_rise_with_the_tier() -> None:
    assert SPOT_TIERS[0] == FeeRates()
    assert USDM_TIERS[0] == FUTURES_FEES
    for table in (SPOT_TIERS, USDM_TIERS):
        for lower, higher in itertools.pairwise(table):
            assert higher.maker <= lower.maker
            assert higher.taker <= lower.taker
        assert all(rates.maker <= rates.taker for rates in table)


@pytest.mark.parametrize("tier", range(MAX_TIER + 1))
def test_rates_of_a_tier_with_and_without_bnb(tier: int) -> None:
    plain, with_bnb = spot_rates(tier), spot_rates(tier, bnb=True)
    assert (plain.maker, plain.taker) == (with_bnb.maker, with_bnb.taker) == (
        SPOT_TIERS[tier].maker, SPOT_TIERS[tier].taker,
    )  # fmt: skip
    assert not plain.pays_in_bnb
    assert with_bnb.bnb_discount == BNB_DISCOUNT_SPOT == D("0.25")
    futures = usdm_rates(tier, bnb=True)
    assert futures.rate(LiquiditySide.TAKER) == USDM_TIERS[tier].taker
    assert futures.bnb_discount == BNB_DISCOUNT_USDM == D("0.10")


@pytest.mark.parametrize("bad", [-1, 10, 3.0, "3", True, None])
def test_an_unknown_tier_is_refused_by_name(bad: object) -> None:
    with pytest.raises(DomainValueError, match=r"unknown VIP tier .*0 \(Regular\) to 9"):
        check_tier(bad)
    with pytest.raises(DomainValueError, match="unknown VIP tier"):
        spot_rates(bad)  # type: ignore[arg-type]


def test_fee_rates_check_the_bnb_discount() -> None:
    assert FeeRates().bnb_discount == 0
    assert not FeeRates().pays_in_bnb
    assert FeeRates().with_bnb(D("0.25")).pays_in_bnb
    for bad in ("-0.1", "1", "1.5"):
        with pytest.raises(DomainValueError, match="BNB discount must be in"):
            FeeRates(bnb_discount=D(bad))

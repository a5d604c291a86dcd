"""Binance's VIP fee tiers as data: maker/taker rates of spot and USD-M futures per tier.

Tier 0 is Binance's "Regular User", tiers 1..9 are VIP 1..VIP 9. What an account is charged is
``spot_rates(tier, bnb=...)`` or ``usdm_rates(tier, bnb=...)``; ``bnb=True`` marks the rates as
paid in BNB when possible (``bnb.py``: spot 25 % off, USD-M 10 % off).

Source and date. These are Binance's standard (non-promotional) rates as Binance's fee schedule
page (binance.com/en/fee/schedule) shows them; that page renders in a browser and could not be
read from here. The values were read on 2026-11-21 from a third-party transcription of it
(zb-binance.com, "What Are the Fee Rates for Each Binance VIP Level?" and its USD-M companion
page, both undated) and cross-checked against Binance's own documents where one exists:

- USD-M taker rates: Binance's announcement "Binance Futures Introduces Limited-Time 50% Trading
  Fee Discount for TradFi Perps" (signed 2026-02-02, promotion from 2026-02-04) lists per tier
  taker rates at "50% [off] the standard USDT taker fee rate": 0.0250 %, 0.0200 %, 0.0175 %,
  0.0160 %, 0.0150 %, 0.0135 %, 0.0125 %, 0.0110 %, 0.0100 %, 0.0085 % for Regular and
  VIP 1..9, exactly half of the USD-M taker column below.
- USD-M BNB discount: Binance's FAQ "Binance Futures Fee Structure & Fee Calculations"
  (support article 360033544231): 10 % off fees paid in BNB, the BNB must be in the futures
  wallet, and without enough of it USDT is charged at the standard rate.
- Spot BNB discount, 25 %: the spot API's commission answer carries it as ``discount`` 0.75
  (Binance's documented example of GET /api/v3/account/commission) and descriptions of the
  schedule agree. That a spot fill without enough BNB is charged normally (in the asset
  received) is modelled on the USD-M rule, not read in a Binance document.

The USD-M makers and all spot values are not cross-checked against a Binance document. Binance
revises its schedule and runs per-pair promotions (zero-fee pairs, USDC-margined discounts);
none of those are here. Rates are fractions: 0.1 % is ``Decimal("0.001")``.
"""

from __future__ import annotations

from decimal import Decimal

from ai_engine.domain import DomainValueError
from ai_engine.matching.params import FeeRates

TIER_NAMES = ("Regular", *(f"VIP {level}" for level in range(1, 10)))
MAX_TIER = len(TIER_NAMES) - 1

BNB_DISCOUNT_SPOT = Decimal("0.25")  # 25 % off when paid in BNB
BNB_DISCOUNT_USDM = Decimal("0.10")  # 10 % off when paid in BNB (BNB in the futures wallet)

_PERCENT = Decimal(100)


def _table(rows: tuple[tuple[str, str], ...]) -> tuple[FeeRates, ...]:
    """Rows of (maker %, taker %) as Binance prints them -> exact fractions."""
    return tuple(
        FeeRates(maker=Decimal(maker) / _PERCENT, taker=Decimal(taker) / _PERCENT)
        for maker, taker in rows
    )


# Regular, VIP 1 .. VIP 9: (maker %, taker %)
SPOT_TIERS: tuple[FeeRates, ...] = _table(
    (
        ("0.1000", "0.1000"),
        ("0.0900", "0.1000"),
        ("0.0800", "0.1000"),
        ("0.0420", "0.0600"),
        ("0.0420", "0.0540"),
        ("0.0360", "0.0480"),
        ("0.0300", "0.0420"),
        ("0.0240", "0.0360"),
        ("0.0180", "0.0300"),
        ("0.0120", "0.0240"),
    )
)
USDM_TIERS: tuple[FeeRates, ...] = _table(
    (
        ("0.0200", "0.0500"),
        ("0.0160", "0.0400"),
        ("0.0140", "0.0350"),
        ("0.0120", "0.0320"),
        ("0.0100", "0.0300"),
        ("0.0080", "0.0270"),
        ("0.0060", "0.0250"),
        ("0.0040", "0.0220"),
        ("0.0020", "0.0200"),
        ("0.0000", "0.0170"),
    )
)


def check_tier(tier: object) -> int:
    """``tier`` as a tier number, or ``DomainValueError`` naming the valid ones."""
    if isinstance(tier, bool) or not isinstance(tier, int) or not 0 <= tier <= MAX_TIER:
        raise DomainValueError(
            f"unknown VIP tier {tier!r}: use 0 (Regular) to {MAX_TIER} (VIP {MAX_TIER})"
        )
    return tier


def spot_rates(tier: int, *, bnb: bool = False) -> FeeRates:
    """Binance spot's rates of ``tier``; ``bnb``: pay in BNB at 25 % off when possible."""
    rates = SPOT_TIERS[check_tier(tier)]
    return rates.with_bnb(BNB_DISCOUNT_SPOT if bnb else Decimal(0))


def usdm_rates(tier: int, *, bnb: bool = False) -> FeeRates:
    """Binance USD-M futures' rates of ``tier``; ``bnb``: pay in BNB at 10 % off when possible."""
    rates = USDM_TIERS[check_tier(tier)]
    return rates.with_bnb(BNB_DISCOUNT_USDM if bnb else Decimal(0))

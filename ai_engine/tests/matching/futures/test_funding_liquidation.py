"""Funding payments and liquidations on the engine, with the numbers worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import OrderStatus
from ai_engine.matching.futures import IncomeType, MarginType

from .factories import ACCOUNT, SYMBOL, at, engine, fbar, order


@pytest.mark.parametrize(
    ("side", "rate", "paid"),
    [("buy", "0.0001", "-1.00000000"), ("sell", "0.0001", "1.00000000"),
     ("buy", "-0.0002", "2.00000000")],
)  # fmt: skip
def test_funding_is_quantity_times_mark_times_rate(side: str, rate: str, paid: str) -> None:
    venue = engine()
    venue.submit(order(side, "0.5"), at(0))
    (entry,) = venue.settle_funding(SYMBOL, at(0) + 1, Decimal(rate))  # mark 20000
    assert entry.income_type is IncomeType.FUNDING_FEE
    assert entry.amount == Decimal(paid)
    account = venue.account(ACCOUNT)
    assert account.funding == Decimal(paid)
    assert account.wallet == account.expected_wallet()


def test_no_position_no_funding() -> None:
    assert engine().settle_funding(SYMBOL, at(0), Decimal("0.0001")) == []


def test_isolated_long_is_liquidated_at_its_liquidation_price() -> None:
    venue = engine()
    venue.set_margin_type(ACCOUNT, SYMBOL, MarginType.ISOLATED, at(0))
    venue.set_leverage(ACCOUNT, SYMBOL, 10, at(0))
    venue.submit(order("buy", "0.5"), at(0))
    risk = venue.position_risk(ACCOUNT, SYMBOL)
    # iw + 0.5 (P - 20001) = 0.004 x 0.5 P  ->  P = 9000.45 / 0.498
    assert risk.liquidation_price.quantize(Decimal("0.0001")) == Decimal("18073.1928")
    before = venue.account(ACCOUNT).wallet
    assert venue.on_bar(SYMBOL, fbar(1, "18100", low="18074")) == []
    (trade,) = venue.on_bar(SYMBOL, fbar(2, "18100", low="18000"))
    assert trade.price == Decimal("18073.2")
    assert trade.commission == 0
    assert trade.client_order_id.startswith("autoclose-")
    assert venue.settings(ACCOUNT, SYMBOL).quantity == 0
    account = venue.account(ACCOUNT)
    assert before - account.wallet == Decimal("1000.05000000")  # exactly the isolated margin
    kinds = [(e.income_type, e.amount) for e in venue.incomes(ACCOUNT)][-2:]
    assert kinds == [(IncomeType.REALIZED_PNL, Decimal("-963.9")),
                     (IncomeType.INSURANCE_CLEAR, Decimal("-36.15000000"))]  # fmt: skip
    assert account.wallet == account.expected_wallet()


def test_cross_liquidation_uses_the_cross_wallet_and_cancels_open_orders() -> None:
    venue = engine("1000")
    venue.submit(order("buy", "0.5"), at(0))
    resting = venue.submit(order("sell", "0.01", "20500.0"), at(0)).order
    risk = venue.position_risk(ACCOUNT, SYMBOL)
    # B = 1000 - 5.00025 = 994.99975; P = (10000.5 - B - 0) / 0.498
    assert risk.liquidation_price.quantize(Decimal("0.001")) == Decimal("18083.334")
    (trade,) = venue.on_bar(SYMBOL, fbar(1, "18200", low="18083.3"))
    assert trade.price == Decimal("18083.4")
    order_after = venue.order(ACCOUNT, SYMBOL, order_id=resting.order_id)
    assert order_after is not None
    assert order_after.status is OrderStatus.CANCELED
    account = venue.account(ACCOUNT)
    assert account.insurance == Decimal("-36.16680000")  # 0.4 % of 9041.7
    assert account.wallet == Decimal("0.03295000")
    assert account.wallet == account.expected_wallet()


def test_a_short_is_liquidated_at_the_bar_high() -> None:
    venue = engine()
    venue.set_leverage(ACCOUNT, SYMBOL, 125, at(0))
    venue.set_margin_type(ACCOUNT, SYMBOL, MarginType.ISOLATED, at(0))
    venue.submit(order("sell", "2"), at(0))  # at 19999, isolated margin 319.984
    price = venue.position_risk(ACCOUNT, SYMBOL).liquidation_price
    assert Decimal(19999) < price < Decimal(20200)
    assert (
        len(venue.on_bar(SYMBOL, fbar(1, "20000", high=str(price.quantize(Decimal(1)) + 1)))) == 1
    )
    assert venue.settings(ACCOUNT, SYMBOL).quantity == 0

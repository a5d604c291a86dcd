from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import DomainValueError, LiquiditySide, OrderSide, OrderType
from ai_engine.matching import (
    FeeRates,
    commission,
    stop_triggered,
    trades_through,
    triggers_immediately,
)

from .factories import BTC, bar

D = Decimal


@pytest.mark.parametrize(
    ("side", "price", "filled"),
    [
        (OrderSide.BUY, "19990", False),  # low touches 19990 exactly: no trade-through
        (OrderSide.BUY, "19990.01", True),
        (OrderSide.SELL, "20010", False),  # high touches
        (OrderSide.SELL, "20009.99", True),
    ],
)
def test_resting_limits_fill_only_on_trade_through(
    side: OrderSide, price: str, filled: bool
) -> None:
    candle = bar(1, "20000", high="20010", low="19990")
    assert trades_through(side, D(price), candle) is filled


@pytest.mark.parametrize(
    ("kind", "side", "stop", "fires"),
    [
        (OrderType.STOP_LIMIT, OrderSide.SELL, "19990", True),  # low reaches the stop
        (OrderType.STOP_LIMIT, OrderSide.SELL, "19989.99", False),
        (OrderType.STOP_LIMIT, OrderSide.BUY, "20010", True),
        (OrderType.STOP_LIMIT, OrderSide.BUY, "20010.01", False),
        (OrderType.TAKE_PROFIT_LIMIT, OrderSide.SELL, "20010", True),
        (OrderType.TAKE_PROFIT_LIMIT, OrderSide.SELL, "20010.01", False),
        (OrderType.TAKE_PROFIT_LIMIT, OrderSide.BUY, "19990", True),
        (OrderType.TAKE_PROFIT_LIMIT, OrderSide.BUY, "19989.99", False),
    ],
)
def test_stops_trigger_when_the_range_reaches_them(
    kind: OrderType, side: OrderSide, stop: str, fires: bool
) -> None:
    candle = bar(1, "20000", high="20010", low="19990")
    assert stop_triggered(kind, side, D(stop), candle) is fires


@pytest.mark.parametrize(
    ("kind", "side", "stop", "immediate"),
    [
        (OrderType.STOP_LIMIT, OrderSide.SELL, "20000", True),
        (OrderType.STOP_LIMIT, OrderSide.SELL, "19999", False),
        (OrderType.STOP_LIMIT, OrderSide.BUY, "20001", False),
        (OrderType.TAKE_PROFIT_LIMIT, OrderSide.SELL, "20000.01", False),
        (OrderType.TAKE_PROFIT_LIMIT, OrderSide.BUY, "20000", True),
    ],
)
def test_stops_that_would_trigger_at_once(
    kind: OrderType, side: OrderSide, stop: str, immediate: bool
) -> None:
    assert triggers_immediately(kind, side, D(stop), D(20000)) is immediate


def test_commission_is_charged_in_the_received_asset() -> None:
    rates = FeeRates(maker=D("0.0002"), taker=D("0.001"))
    buy = commission(BTC, OrderSide.BUY, D(20000), D("0.5"), LiquiditySide.TAKER, rates)
    sell = commission(BTC, OrderSide.SELL, D(20000), D("0.5"), LiquiditySide.MAKER, rates)
    assert buy == (D("0.00050000"), "BTC")
    assert sell == (D("2.00000000"), "USDT")


def test_commission_rounds_half_even_to_eight_decimals() -> None:
    rates = FeeRates(maker=D("0.00075"), taker=D("0.00075"))
    # 0.00001 x 0.00075 = 7.5e-9 -> 0.00000001 (half-even: 7.5 -> 8)
    fee, _ = commission(BTC, OrderSide.BUY, D(1), D("0.00001"), LiquiditySide.TAKER, rates)
    assert fee == D("0.00000001")


def test_fee_rates_validate_and_convert_from_bps() -> None:
    assert FeeRates.from_bps(10, "7.5") == FeeRates(maker=D("0.001"), taker=D("0.00075"))
    with pytest.raises(DomainValueError):
        FeeRates(maker=D(1), taker=D(0))


def test_fee_rates_pick_maker_or_taker_by_liquidity() -> None:
    rates = FeeRates(maker=D("0.0002"), taker=D("0.0005"))
    assert rates.rate(LiquiditySide.MAKER) == D("0.0002")
    assert rates.rate(LiquiditySide.TAKER) == D("0.0005")

"""One fill model: the kernel's compiled rules agree with the sim exchange's Decimal rules.

``matching.fill_rules`` is the single source; ``matching.rules`` calls it with ``Decimal``s and
the kernel compiles it with numba for float64. These tests run both on the same inputs.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ai_engine.backtest.kernel_entries import commission as jit_commission
from ai_engine.backtest.kernel_fills import book_average_price as jit_book
from ai_engine.backtest.kernel_positions import limit_fills as jit_limit_fills
from ai_engine.backtest.kernel_positions import stop_triggers as jit_stop_triggers
from ai_engine.domain import Bar, LiquiditySide, OrderSide, OrderType, Price, Quantity
from ai_engine.domain.instrument_examples import binance_spot_btcusdt
from ai_engine.matching import BookParams, FeeRates, rules
from ai_engine.matching.book import Book

from .kernel_factories import sample_bars

BTC = binance_spot_btcusdt()
PRICES = ("99.99", "100.00", "100.01")


def bar(open_: str, high: str, low: str, close: str, volume: str = "10") -> Bar:
    return Bar(
        instrument_id=BTC.id,
        interval=timedelta(minutes=1),
        open_time=datetime(2023, 3, 23, tzinfo=UTC),
        open=Price(open_),
        high=Price(high),
        low=Price(low),
        close=Price(close),
        volume=Quantity(volume),
        quote_volume=Decimal(0),
        trade_count=0,
        taker_buy_volume=Quantity(0),
        taker_buy_quote_volume=Decimal(0),
    )


@pytest.mark.parametrize(("side", "price"), list(itertools.product(OrderSide, PRICES)))
def test_limit_fills_agree(side: OrderSide, price: str) -> None:
    b = bar("100.00", "100.00", "100.00", "100.00")  # touches 100.00 exactly
    decimal = rules.trades_through(side, Decimal(price), b)
    compiled = jit_limit_fills(side is OrderSide.BUY, float(price), 100.0, 100.0)
    assert decimal == compiled
    # a buy fills when the bar traded below its price, a sell above; touching is not enough
    assert compiled == (Decimal(price) > 100 if side is OrderSide.BUY else Decimal(price) < 100)


@pytest.mark.parametrize(
    ("kind", "side", "stop"),
    list(itertools.product((OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT), OrderSide, PRICES)),
)
def test_stop_triggers_agree(kind: OrderType, side: OrderSide, stop: str) -> None:
    b = bar("100.00", "100.00", "100.00", "100.00")
    decimal = rules.stop_triggered(kind, side, Decimal(stop), b)
    upwards = (kind is OrderType.STOP_LIMIT) == (side is OrderSide.BUY)
    assert decimal == jit_stop_triggers(upwards, float(stop), 100.0, 100.0)


@pytest.mark.parametrize("side", OrderSide)
def test_commission_agrees_before_the_decimal_rounding(side: OrderSide) -> None:
    rates = FeeRates(maker=Decimal("0.0002"), taker=Decimal("0.001"))
    price, quantity = Decimal("27201.13"), Decimal("0.36715")
    amount, _ = rules.commission(BTC, side, price, quantity, LiquiditySide.TAKER, rates)
    received = quantity if side is OrderSide.BUY else price * quantity
    compiled = jit_commission(float(received), 0.001)
    assert compiled == pytest.approx(float(amount), abs=1e-8)  # the Decimal rounds to 1e-8


def test_book_walk_agrees_with_the_decimal_book_on_real_bars() -> None:
    """The float twin of ``Book.from_bar`` + ``plan`` gives the same average price."""
    params = BookParams()
    b = sample_bars("BTCUSDT-1m-2023-03-23.csv.gz")
    tick, step = float(BTC.tick_size), float(BTC.lot_step)
    checked = 0
    for i in range(0, len(b), 97):
        close, volume = Decimal(f"{b.close[i]:.2f}"), Decimal(f"{b.volume[i]:.5f}")
        decimal_bar = bar(str(close), str(close), str(close), str(close), str(volume))
        level = float(volume) * 0.5 / 20
        for side, lots in itertools.product(OrderSide, (1, 3, 9)):
            quantity = Decimal(str(round(level * lots / 2.5, 5)))
            if quantity <= 0:
                continue
            book = Book.from_bar(decimal_bar, BTC, params)
            plan = book.plan(side, quantity=quantity)
            if not plan.complete:
                continue
            expected = float(plan.quote / plan.quantity)
            got = jit_book(
                side is OrderSide.BUY, float(quantity), float(close), float(volume),
                0.5, 1.0, 0.5, 20, tick, step,
            )  # fmt: skip
            assert got == pytest.approx(expected, rel=1e-12), (i, side, quantity)
            checked += 1
    assert checked > 50

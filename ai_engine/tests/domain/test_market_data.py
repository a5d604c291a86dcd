from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ai_engine.domain import (
    BadMarketData,
    Bar,
    BookLevel,
    OrderBookSnapshot,
    OrderSide,
    Price,
    Quantity,
    TradeTick,
)
from ai_engine.domain.instrument_examples import binance_spot_btcusdt

from .factories import T0

BTC = binance_spot_btcusdt().id


def make_bar(**overrides: Any) -> Bar:
    fields: dict[str, Any] = {
        "instrument_id": BTC,
        "interval": timedelta(minutes=1),
        "open_time": T0,
        "open": Price("100"),
        "high": Price("110"),
        "low": Price("95"),
        "close": Price("105"),
        "volume": Quantity("2"),
        "quote_volume": Decimal("205"),
        "trade_count": 7,
        "taker_buy_volume": Quantity("1"),
        "taker_buy_quote_volume": Decimal("104"),
    } | overrides
    return Bar(**fields)


def test_a_good_bar() -> None:
    bar = make_bar()
    assert bar.close_time == T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"high": Price("104")}, "outside low-high"),
        ({"low": Price("101")}, "outside low-high"),
        ({"taker_buy_volume": Quantity("3")}, "taker buy"),
        ({"trade_count": -1}, "negative"),
        ({"interval": timedelta(0)}, "interval"),
        ({"open_time": datetime(2024, 3, 4, 14, 30)}, "naive"),  # noqa: DTZ001
    ],
)
def test_bad_bars_stop_loudly(overrides: dict[str, Any], complaint: str) -> None:
    with pytest.raises(BadMarketData, match=complaint):
        make_bar(**overrides)


def test_trade_tick_aggressor_and_binance_maker_flag() -> None:
    tick = TradeTick(
        instrument_id=BTC,
        trade_id="12345",
        price=Price("65000.01"),
        quantity=Quantity("0.01"),
        aggressor=OrderSide.SELL,
        ts=T0,
    )
    assert tick.is_buyer_maker
    with pytest.raises(BadMarketData, match="zero quantity"):
        TradeTick(
            instrument_id=BTC,
            trade_id="1",
            price=Price("1"),
            quantity=Quantity(0),
            aggressor=OrderSide.BUY,
            ts=T0,
        )


def level(price: str, quantity: str = "1") -> BookLevel:
    return BookLevel(Price(price), Quantity(quantity))


def test_book_snapshot_best_levels_mid_and_spread() -> None:
    book = OrderBookSnapshot(
        instrument_id=BTC,
        bids=(level("100.00"), level("99.99")),
        asks=(level("100.03"), level("100.05")),
        ts=T0,
        last_update_id=42,
    )
    assert book.best_bid == level("100.00")
    assert book.spread == Decimal("0.03")
    assert book.mid == Decimal("100.015")
    empty = OrderBookSnapshot(instrument_id=BTC, bids=(), asks=(level("1"),), ts=T0)
    assert empty.mid is None
    assert empty.best_bid is None


@pytest.mark.parametrize(
    ("bids", "asks", "complaint"),
    [
        (("99", "100"), ("101",), "bids"),
        (("100",), ("102", "101"), "asks"),
        (("100",), ("100",), "crossed"),
    ],
)
def test_bad_books_stop_loudly(
    bids: tuple[str, ...], asks: tuple[str, ...], complaint: str
) -> None:
    with pytest.raises(BadMarketData, match=complaint):
        OrderBookSnapshot(
            instrument_id=BTC,
            bids=tuple(level(p) for p in bids),
            asks=tuple(level(p) for p in asks),
            ts=T0,
        )

"""Small builders for domain tests: sensible defaults, override what the test is about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import settings

from ai_engine.domain import (
    Fill,
    Instrument,
    LiquiditySide,
    Money,
    Order,
    OrderSide,
    OrderType,
    Price,
    Quantity,
    TimeInForce,
)
from ai_engine.domain.instrument_examples import binance_spot_btcusdt

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)  # a Monday, 09:30 in New York


def at(seconds: float = 0) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_order(
    *,
    client_order_id: str = "ord-1",
    instrument: Instrument | None = None,
    side: OrderSide = OrderSide.BUY,
    order_type: OrderType = OrderType.LIMIT,
    quantity: str = "1",
    price: str | None = "100",
    stop_price: str | None = None,
    callback_rate: Decimal | None = None,
    time_in_force: TimeInForce = TimeInForce.GTC,
    created_at: datetime = T0,
) -> Order:
    instrument = instrument or binance_spot_btcusdt()
    return Order.create(
        client_order_id=client_order_id,
        instrument_id=instrument.id,
        side=side,
        order_type=order_type,
        quantity=Quantity(quantity),
        price=None if price is None else Price(price),
        stop_price=None if stop_price is None else Price(stop_price),
        callback_rate=callback_rate,
        time_in_force=time_in_force,
        created_at=created_at,
    )


def make_fill(
    *,
    client_order_id: str = "ord-1",
    trade_id: str = "t-1",
    instrument: Instrument | None = None,
    side: OrderSide = OrderSide.BUY,
    price: str | Decimal = "100",
    quantity: str | Decimal = "1",
    fee: str | Decimal = "0",
    fee_asset: str = "USDT",
    venue_order_id: str | None = None,
    liquidity: LiquiditySide = LiquiditySide.TAKER,
    ts: datetime = T0,
) -> Fill:
    instrument = instrument or binance_spot_btcusdt()
    return Fill(
        client_order_id=client_order_id,
        venue_order_id=venue_order_id,
        trade_id=trade_id,
        instrument_id=instrument.id,
        side=side,
        price=Price(price),
        quantity=Quantity(quantity),
        fee=Money(fee, fee_asset),
        liquidity=liquidity,
        ts=ts,
    )


# Property tests are derandomized (same examples every run, no example database) so that the
# suite is deterministic; the example budget keeps the domain tests to a few seconds.
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None)

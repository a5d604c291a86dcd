"""Builders for matching tests: bars, an engine with one funded account, order requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ai_engine.domain import (
    Bar,
    Instrument,
    OrderSide,
    OrderType,
    Price,
    Quantity,
    TimeInForce,
    to_epoch_ms,
)
from ai_engine.domain.instrument_examples import binance_spot_btcusdt
from ai_engine.matching import BookParams, FeeRates, MatchingEngine, OrderRequest

T0 = datetime(2023, 3, 23, tzinfo=UTC)
MINUTE_MS = 60_000
BTC = binance_spot_btcusdt()
ACCOUNT = "acct"
# With these parameters and a close of 20000: mid 20000, best bid/ask 19999/20001 (half-spread
# 0.5 bps = 1.00), levels 2.00 apart (1 bps), 5 levels of 1 BTC each (0.5 x 10 BTC / 5).
PARAMS = BookParams(
    half_spread_bps=Decimal("0.5"),
    level_spacing_bps=Decimal(1),
    levels=5,
    depth_fraction=Decimal("0.5"),
)


def bar(
    minute: int,
    close: str = "20000",
    *,
    high: str | None = None,
    low: str | None = None,
    open: str | None = None,
    volume: str = "10",
    instrument: Instrument = BTC,
) -> Bar:
    top = high or max(close, open or close, key=Decimal)
    bottom = low or min(close, open or close, key=Decimal)
    return Bar(
        instrument_id=instrument.id,
        interval=timedelta(minutes=1),
        open_time=T0 + timedelta(minutes=minute),
        open=Price(open or close),
        high=Price(top),
        low=Price(bottom),
        close=Price(close),
        volume=Quantity(volume),
        quote_volume=Decimal(0),
        trade_count=0,
        taker_buy_volume=Quantity(0),
        taker_buy_quote_volume=Decimal(0),
    )


def close_ms(minute: int) -> int:
    """Epoch ms at which the bar opening at ``minute`` has closed."""
    return to_epoch_ms(T0) + (minute + 1) * MINUTE_MS


def engine(
    *,
    usdt: str = "1000000",
    btc: str = "10",
    fees: FeeRates | None = None,
    first_close: str = "20000",
) -> MatchingEngine:
    """An engine with one account and the book of a first bar (minute 0) in place."""
    made = MatchingEngine([BTC], PARAMS)
    made.open_account(ACCOUNT, {"USDT": Decimal(usdt), "BTC": Decimal(btc)}, fees)
    made.on_bar("BTCUSDT", bar(0, first_close))
    return made


_ids = iter(range(1, 10**9))


def request(
    order_type: OrderType = OrderType.LIMIT,
    side: OrderSide = OrderSide.BUY,
    *,
    quantity: str | None = "1",
    quote: str | None = None,
    price: str | None = None,
    stop: str | None = None,
    tif: TimeInForce = TimeInForce.GTC,
    client_order_id: str | None = None,
    account: str = ACCOUNT,
) -> OrderRequest:
    return OrderRequest(
        account_id=account,
        symbol="BTCUSDT",
        client_order_id=client_order_id or f"c{next(_ids)}",
        side=side,
        order_type=order_type,
        quantity=None if quantity is None or quote is not None else Decimal(quantity),
        quote_quantity=None if quote is None else Decimal(quote),
        price=None if price is None else Decimal(price),
        stop_price=None if stop is None else Decimal(stop),
        time_in_force=tif,
    )


def market(side: OrderSide = OrderSide.BUY, quantity: str = "1", **kw: Any) -> OrderRequest:
    return request(OrderType.MARKET, side, quantity=quantity, **kw)


def limit(side: OrderSide, price: str, quantity: str = "1", **kw: Any) -> OrderRequest:
    return request(OrderType.LIMIT, side, quantity=quantity, price=price, **kw)

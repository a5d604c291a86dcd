"""STOP_MARKET (Binance's spot STOP_LOSS): rests untriggered with the base locked, fires on the
bar that reaches its stop and sells at market (no limit), the unfilled rest expiring."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import LiquiditySide, OrderSide, OrderStatus, OrderType
from ai_engine.matching import BookParams, MatchingEngine, OrderRejected, RejectReason

from .factories import ACCOUNT, BTC, bar, close_ms, engine, request

D = Decimal
STOP = OrderType.STOP_MARKET


def test_market_stop_rests_with_the_base_locked_and_does_not_fire_above_its_stop() -> None:
    venue = engine()
    order = venue.submit(request(STOP, OrderSide.SELL, stop="19500"), close_ms(0)).order
    assert (order.status, order.is_working, order.locked) == (OrderStatus.ACCEPTED, False, D(1))
    assert venue.ledger(ACCOUNT).locked("BTC") == D(1)
    assert venue.on_bar("BTCUSDT", bar(1, "19600", low="19500.01")) == []


def test_market_stop_fires_and_takes_every_level_it_needs_without_a_limit() -> None:
    venue = engine()
    placed = venue.submit(
        request(STOP, OrderSide.SELL, stop="19500", quantity="1.5"), close_ms(0)
    ).order
    fills = venue.on_bar("BTCUSDT", bar(1, "19600", low="19500"))
    # The same book as a STOP_LOSS_LIMIT's around 19500, walked with no limit price.
    assert [(f.price, f.quantity) for f in fills] == [
        (D("19499.02"), D(1)),
        (D("19497.07"), D("0.5")),
    ]
    assert all(f.liquidity is LiquiditySide.TAKER and f.ts_ms == close_ms(1) for f in fills)
    order = venue.order(ACCOUNT, "BTCUSDT", order_id=placed.order_id)
    assert order is not None
    assert (order.status, order.working_ms, order.locked) == (
        OrderStatus.FILLED, close_ms(1), D(0),
    )  # fmt: skip
    assert venue.ledger(ACCOUNT).locked("BTC") == 0


def test_market_stop_that_would_trigger_at_once_is_refused() -> None:
    with pytest.raises(OrderRejected) as caught:  # the engine's last close is 20000
        engine().submit(request(STOP, OrderSide.SELL, stop="20000"), 1)
    assert caught.value.code is RejectReason.WOULD_TRIGGER_IMMEDIATELY


def test_canceled_market_stop_releases_its_lock() -> None:
    venue = engine()
    placed = venue.submit(request(STOP, OrderSide.SELL, stop="19000"), 1).order
    venue.cancel(ACCOUNT, "BTCUSDT", order_id=placed.order_id, now_ms=2)
    assert venue.ledger(ACCOUNT).locked("BTC") == 0


def test_a_bar_that_opens_through_the_stop_fills_it_around_its_open_not_at_the_stop() -> None:
    # A gap: the bar's first trade is already below the stop, so the market stop sells there
    # (the backtest's rule too: kernel_positions.scan fills a gapped stop at the open). With
    # the replay's flat parity book the fills are exactly the open, then the stop.
    flat = BookParams(half_spread_bps=D(0), levels=1, depth_fraction=D(1), min_half_spread_ticks=0)
    venue = MatchingEngine([BTC], flat)
    venue.open_account(ACCOUNT, {"USDT": D(0), "BTC": D(10)}, None)
    venue.on_bar("BTCUSDT", bar(0, "20000"))
    venue.submit(request(STOP, OrderSide.SELL, stop="19500"), close_ms(0))
    gapped = venue.on_bar("BTCUSDT", bar(1, "19300", open="19400", high="19450", low="19250"))
    assert [(f.price, f.quantity) for f in gapped] == [(D(19400), D(1))]
    venue.submit(request(STOP, OrderSide.SELL, stop="19200"), close_ms(1))
    touched = venue.on_bar("BTCUSDT", bar(2, "19300", open="19300", low="19100"))
    assert [(f.price, f.quantity) for f in touched] == [(D(19200), D(1))]

"""Real books (``Book.from_levels``): market orders walk the recorded levels, and what our
takers consume stays consumed until the recorded quantity of that level changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import LiquiditySide, OrderSide, OrderStatus
from ai_engine.matching import Book, MatchingEngine, OrderRejected, RejectReason

from .factories import ACCOUNT, BTC, limit, market
from .tick_factories import ASKS, BIDS, SYMBOL, T0_MS, book, levels, tick_engine

D = Decimal


def test_levels_keep_their_order_and_drop_empty_ones() -> None:
    made = Book.from_levels(levels((*BIDS, ("99.90", "0"))), levels(ASKS), BTC)
    assert [(lv.price, lv.quantity) for lv in made.bids] == levels(BIDS)
    assert made.best(OrderSide.BUY) is not None
    assert made.mid == D("100.01")  # middle of 100.00 and 100.02, on the tick


def test_mid_of_an_odd_spread_snaps_to_the_nearest_tick() -> None:
    made = Book.from_levels(levels((("100.00", "1"),)), levels((("100.03", "1"),)), BTC)
    assert made.mid == D("100.02")  # 100.015 -> ties go up


def test_reference_price_is_the_mid() -> None:
    made = Book.from_levels(levels(BIDS), levels(ASKS), BTC, reference=D("100.01"))
    assert made.mid == D("100.01")
    assert Book.from_levels([], levels(ASKS), BTC).mid == D("100.02")
    assert Book.from_levels([], [], BTC).mid == 0


def test_market_buy_walks_real_levels_at_their_prices() -> None:
    venue = tick_engine()
    result = venue.submit(market(OrderSide.BUY, "1.5"), T0_MS + 1)
    assert result.order.status is OrderStatus.FILLED
    assert [(f.price, f.quantity) for f in result.fills] == [
        (D("100.02"), D("0.5")),
        (D("100.03"), D("1")),
    ]
    assert all(f.liquidity is LiquiditySide.TAKER for f in result.fills)
    vwap = result.order.cumulative_quote / result.order.executed_quantity
    assert vwap == (D("100.02") * D("0.5") + D("100.03")) / D("1.5")


def test_market_sell_larger_than_the_book_expires_the_rest() -> None:
    venue = tick_engine()
    result = venue.submit(market(OrderSide.SELL, "5"), T0_MS + 1)
    assert result.order.status is OrderStatus.EXPIRED
    assert result.order.executed_quantity == D("4.75")  # 1.5 + 0.25 + 3


def test_taken_liquidity_stays_taken_while_the_recorded_level_is_unchanged() -> None:
    venue = tick_engine()
    venue.submit(market(OrderSide.BUY, "0.75"), T0_MS + 1)  # 0.5 at 100.02, 0.25 at 100.03
    venue.set_book(SYMBOL, book(), T0_MS + 100)  # the same recorded levels again
    current = venue.book(SYMBOL)
    assert current is not None
    assert [(lv.price, lv.quantity) for lv in current.asks if lv.quantity > 0] == [
        (D("100.03"), D("1")),
        (D("100.10"), D(2)),
    ]
    second = venue.submit(market(OrderSide.BUY, "0.5"), T0_MS + 101)
    assert [(f.price, f.quantity) for f in second.fills] == [(D("100.03"), D("0.5"))]


def test_a_level_the_market_updated_is_authoritative_again() -> None:
    venue = tick_engine()
    venue.submit(market(OrderSide.BUY, "0.75"), T0_MS + 1)
    # A later diff changed 100.02 (now 0.8) and left 100.03 as recorded (1.25).
    changed = (("100.02", "0.8"), ("100.03", "1.25"), ("100.10", "2"))
    venue.set_book(SYMBOL, book(asks=changed), T0_MS + 100)
    current = venue.book(SYMBOL)
    assert current is not None
    assert [(lv.price, lv.quantity) for lv in current.asks] == [
        (D("100.02"), D("0.8")),  # as recorded
        (D("100.03"), D("1")),  # still 0.25 short
        (D("100.10"), D(2)),
    ]


def test_a_level_that_went_away_and_came_back_is_as_recorded() -> None:
    venue = tick_engine()
    venue.submit(market(OrderSide.BUY, "0.5"), T0_MS + 1)  # empties 100.02
    venue.set_book(SYMBOL, book(asks=ASKS[1:]), T0_MS + 100)  # 100.02 removed by a diff
    venue.set_book(SYMBOL, book(), T0_MS + 200)  # and re-added with 0.5
    result = venue.submit(market(OrderSide.BUY, "0.5"), T0_MS + 201)
    assert [(f.price, f.quantity) for f in result.fills] == [(D("100.02"), D("0.5"))]


def test_the_reference_price_follows_trades() -> None:
    venue = tick_engine()
    assert venue.last_price(SYMBOL) is None  # a book but no trade yet
    venue.on_trade(SYMBOL, T0_MS + 5, D("100.02"), D("0.1"), False)
    assert venue.last_price(SYMBOL) == D("100.02")
    venue.set_book(SYMBOL, book(), T0_MS + 10)
    current = venue.book(SYMBOL)
    assert current is not None
    assert current.mid == D("100.02")


def run_session() -> list[tuple[object, ...]]:
    venue = tick_engine()
    venue.submit(market(OrderSide.BUY, "0.6", client_order_id="m1"), T0_MS + 1)
    venue.set_book(SYMBOL, book(), T0_MS + 100)
    venue.submit(market(OrderSide.SELL, "2", client_order_id="m2"), T0_MS + 101)
    venue.submit(limit(OrderSide.BUY, "99.97", "2", client_order_id="l1"), T0_MS + 120)
    venue.on_trade(SYMBOL, T0_MS + 150, D("99.95"), D("1"), True)
    return [
        (f.seq, f.ts_ms, f.order_id, f.trade_id, f.side, f.price, f.quantity, f.commission)
        for f in venue.fills
    ]


def test_the_same_books_and_orders_give_the_same_fills() -> None:
    first, second = run_session(), run_session()
    assert first == second
    assert len(first) == 6  # 2 + 3 takes, 1 maker fill of the resting limit


def test_without_a_book_orders_are_refused_as_on_a_closed_market() -> None:
    venue = MatchingEngine([BTC])
    venue.open_account(ACCOUNT, {"USDT": D(1000)})
    with pytest.raises(OrderRejected) as refused:
        venue.submit(market(OrderSide.BUY, "0.01"), T0_MS)
    assert refused.value.code is RejectReason.NO_MARKET


def test_an_empty_book_keeps_the_reference_price_and_fills_nothing() -> None:
    venue = tick_engine()
    venue.set_book(SYMBOL, Book.from_levels([], [], BTC), T0_MS + 10)  # the replay lost sync
    current = venue.book(SYMBOL)
    assert current is not None
    assert current.mid == D("100.01")
    result = venue.submit(market(OrderSide.BUY, "0.1"), T0_MS + 11)
    assert (result.order.status, result.fills) == (OrderStatus.EXPIRED, ())

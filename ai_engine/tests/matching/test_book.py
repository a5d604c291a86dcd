from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import OrderSide
from ai_engine.matching import BookParams, SyntheticBook

from .factories import BTC, PARAMS, bar

D = Decimal


def prices(levels: list) -> list[str]:  # type: ignore[type-arg]
    return [str(level.price) for level in levels]


def test_book_follows_the_documented_formulas() -> None:
    book = SyntheticBook.from_bar(bar(0, "20000"), BTC, PARAMS)
    assert book.mid == D("20000")
    assert prices(book.bids) == ["19999.00", "19997.00", "19995.00", "19993.00", "19991.00"]
    assert prices(book.asks) == ["20001.00", "20003.00", "20005.00", "20007.00", "20009.00"]
    assert {level.quantity for level in book.bids + book.asks} == {D(1)}


def test_spread_and_spacing_are_at_least_one_tick() -> None:
    params = BookParams(half_spread_bps=D(0), level_spacing_bps=D(0), levels=3)
    book = SyntheticBook.from_bar(bar(0, "100.00"), BTC, params)
    assert prices(book.bids) == ["99.99", "99.98", "99.97"]
    assert prices(book.asks) == ["100.01", "100.02", "100.03"]


def test_half_spread_rounds_up_to_the_tick() -> None:
    # 0.5 bps of 27201.10 is 1.360055 -> 1.37
    book = SyntheticBook.from_bar(bar(0, "27201.10"), BTC, BookParams())
    assert book.asks[0].price - book.mid == D("1.37")
    assert book.mid - book.bids[0].price == D("1.37")


def test_level_size_is_a_share_of_bar_volume_on_the_lot_grid() -> None:
    # 0.5 x 0.123457 / 5 = 0.0123457 -> 0.01234 (step 0.00001, rounded down)
    book = SyntheticBook.from_bar(bar(0, volume="0.123457"), BTC, PARAMS)
    assert book.asks[0].quantity == D("0.01234")


def test_zero_volume_bar_has_prices_but_no_size() -> None:
    book = SyntheticBook.from_bar(bar(0, volume="0"), BTC, PARAMS)
    assert book.best(OrderSide.SELL) is None
    plan = book.plan(OrderSide.BUY, quantity=D(1))
    assert plan.takes == ()
    assert not plan.complete


def test_bids_stop_before_zero() -> None:
    params = BookParams(half_spread_bps=D(0), level_spacing_bps=D(0), levels=10)
    book = SyntheticBook.from_bar(bar(0, "0.03"), BTC, params)
    assert prices(book.bids) == ["0.02", "0.01"]


def test_market_plan_walks_levels_and_slips() -> None:
    book = SyntheticBook.from_bar(bar(0), BTC, PARAMS)
    plan = book.plan(OrderSide.BUY, quantity=D("2.5"))
    assert [(str(t.price), str(t.quantity)) for t in plan.takes] == [
        ("20001.00", "1.00000"),
        ("20003.00", "1.00000"),
        ("20005.00", "0.50000"),
    ]
    assert plan.complete
    assert plan.quote == D("50006.500")


def test_plan_beyond_the_book_is_incomplete() -> None:
    book = SyntheticBook.from_bar(bar(0), BTC, PARAMS)
    plan = book.plan(OrderSide.SELL, quantity=D(6))
    assert plan.quantity == D(5)
    assert not plan.complete


def test_limit_caps_the_walk() -> None:
    book = SyntheticBook.from_bar(bar(0), BTC, PARAMS)
    plan = book.plan(OrderSide.SELL, quantity=D(3), limit=D("19997"))
    assert plan.quantity == D(2)
    assert not plan.complete


def test_quote_plan_spends_whole_lots_only() -> None:
    book = SyntheticBook.from_bar(bar(0), BTC, PARAMS)
    plan = book.plan(OrderSide.BUY, quote=D("30000"))
    # 20001 for the first BTC, then 9999 / 20003 = 0.49987... -> 0.49987 BTC
    assert [str(t.quantity) for t in plan.takes] == ["1.00000", "0.49987"]
    assert plan.complete
    assert plan.quote <= D("30000")


def test_consume_removes_liquidity_until_the_next_book() -> None:
    book = SyntheticBook.from_bar(bar(0), BTC, PARAMS)
    book.consume(OrderSide.BUY, book.plan(OrderSide.BUY, quantity=D("1.5")))
    best = book.best(OrderSide.SELL)
    assert best is not None
    assert (best.price, best.quantity) == (D("20003"), D("0.5"))
    assert book.is_marketable(OrderSide.BUY, D("20003"))
    assert not book.is_marketable(OrderSide.BUY, D("20002"))
    bids, asks = book.depth(2)
    assert prices(asks) == ["20003.00", "20005.00"]
    assert prices(bids) == ["19999.00", "19997.00"]


def test_plan_needs_exactly_one_amount() -> None:
    book = SyntheticBook.from_bar(bar(0), BTC, PARAMS)
    with pytest.raises(ValueError, match="exactly one"):
        book.plan(OrderSide.BUY)

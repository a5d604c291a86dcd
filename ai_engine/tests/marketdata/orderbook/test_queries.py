"""Book queries: best levels, top N, spread, mid, depth within N bps, imbalance; on a small book by
hand and on the real book checked against a brute-force rebuild with exact decimals."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ai_engine.marketdata.captures import DepthDiff, DepthSnapshot, read_capture
from ai_engine.marketdata.orderbook import OrderBook
from ai_engine.marketdata.orderbook.side import BookSide, parse_levels

from .samples import SPOT_SLICE, USDM_SLICE, diff, snapshot


def small_book() -> OrderBook:
    book = OrderBook("BTCUSDT", futures=False)
    book.apply_snapshot(
        snapshot(
            10,
            {"100.00": "1.5", "99.99": "2", "99.00": "4", "90.00": "100"},
            {"100.02": "0.5", "100.05": "1", "101.00": "3", "110.00": "50"},
        )
    )
    return book


def test_best_levels_spread_and_mid() -> None:
    book = small_book()
    assert book.best_bid() == ("100.00", "1.5")
    assert book.best_ask() == ("100.02", "0.5")
    assert book.spread() == pytest.approx(0.02)
    assert book.mid() == pytest.approx(100.01)


def test_top_levels_best_first() -> None:
    book = small_book()
    assert book.top("bid", 3) == [("100.00", "1.5"), ("99.99", "2"), ("99.00", "4")]
    assert book.top("ask", 2) == [("100.02", "0.5"), ("100.05", "1")]
    assert len(book.top("ask", 100)) == 4


def test_depth_within_bps_of_the_mid() -> None:
    book = small_book()  # mid 100.01
    assert book.depth_within_bps(1) == pytest.approx((1.5, 0.5))  # 100.00 .. 100.02
    assert book.depth_within_bps(5) == pytest.approx((3.5, 1.5))  # 99.96 .. 100.06
    assert book.depth_within_bps(200) == pytest.approx((7.5, 4.5))  # 98.01 .. 102.01
    assert book.imbalance(5) == pytest.approx((3.5 - 1.5) / 5.0)
    assert book.imbalance_top(1) == pytest.approx((1.5 - 0.5) / 2.0)


def test_removing_the_best_level_reveals_the_next() -> None:
    book = small_book()
    book.apply_diff(diff(11, 11, {"100.00": "0"}, {"100.02": "0.00000000"}))
    assert book.best_bid() == ("99.99", "2")
    assert book.best_ask() == ("100.05", "1")
    book.apply_diff(diff(12, 12, {"100.01": "3"}))  # a new best inside the spread
    assert book.best_bid() == ("100.01", "3")
    book.apply_diff(diff(13, 13, {"100.01": "0", "99.99": "0", "99.00": "0", "90.00": "0"}))
    assert book.best_bid() is None
    assert book.spread() is None
    assert book.imbalance(10) is None  # no mid to measure from
    assert book.imbalance_top(5) == -1.0  # asks only


def test_the_same_price_written_differently_is_one_level() -> None:
    book = small_book()
    book.apply_diff(diff(11, 11, {"100.0": "9"}))
    assert book.best_bid() == ("100.0", "9")
    assert len(book.top("bid", 10)) == 4


def test_heap_of_a_side_stays_bounded_under_churn() -> None:
    side = BookSide(descending=False)
    side.replace(parse_levels((("100", "1"),)))
    for i in range(10_000):
        price = f"{101 + i % 50}"
        side.update(((price, "1"),))
        side.update(((price, "0"),))
    assert len(side) == 1
    assert side.best() == ("100", "1")
    assert len(side._heap) <= 2 * len(side) + 64 + 1


class ExactBook:
    """An independent rebuild: plain Decimal dicts, no sequencing shortcuts."""

    def __init__(self, snap: DepthSnapshot) -> None:
        self.bids = {Decimal(p): Decimal(q) for p, q in snap.bids}
        self.asks = {Decimal(p): Decimal(q) for p, q in snap.asks}

    def apply(self, d: DepthDiff) -> None:
        for side, levels in ((self.bids, d.bids), (self.asks, d.asks)):
            for p, q in levels:
                if Decimal(q) == 0:
                    side.pop(Decimal(p), None)
                else:
                    side[Decimal(p)] = Decimal(q)


@pytest.mark.parametrize("path", [SPOT_SLICE, USDM_SLICE], ids=["spot", "usdm"])
def test_real_book_agrees_with_an_exact_rebuild(path: Path) -> None:
    events = list(read_capture(path, strict=True))
    (snap,) = [e for e in events if isinstance(e, DepthSnapshot)]
    diffs = [e for e in events if isinstance(e, DepthDiff)]
    book = OrderBook("BTCUSDT", futures=diffs[0].prev_final_id is not None)
    book.apply_snapshot(snap)
    exact = ExactBook(snap)
    checked = 0
    for d in diffs:
        if d.final_id <= snap.last_update_id:
            assert book.apply_diff(d).value == "stale"
            continue
        book.apply_diff(d)
        exact.apply(d)
        if d.final_id % 7 == 0 or d is diffs[-1]:
            checked += 1
            bids = sorted(exact.bids.items(), reverse=True)[:20]
            asks = sorted(exact.asks.items())[:20]
            assert [(Decimal(p), Decimal(q)) for p, q in book.top("bid", 20)] == bids
            assert [(Decimal(p), Decimal(q)) for p, q in book.top("ask", 20)] == asks
            mid = (bids[0][0] + asks[0][0]) / 2
            assert book.mid() == pytest.approx(float(mid))
            reach = mid * Decimal(10) / 10_000
            near_bid = sum(q for p, q in exact.bids.items() if p >= mid - reach)
            near_ask = sum(q for p, q in exact.asks.items() if p <= mid + reach)
            assert book.depth_within_bps(10) == pytest.approx((float(near_bid), float(near_ask)))
    assert checked > 50

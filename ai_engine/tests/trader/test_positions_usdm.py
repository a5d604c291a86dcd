"""The USD-M books (``positions_usdm.UsdmBook``) and the USD-M order rules (``usdm``): a long
and a short booked from fills give the backtest's P&L (gross - fees - funding) and a wallet
that moved by exactly that; partial exits merge into the trip; an order through zero is
refused; ``decide`` is the backtest kernel's ``decide`` for one position."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.trader.holdings import FillView, OrderFills
from ai_engine.trader.positions_usdm import UsdmBook
from ai_engine.trader.usdm import MARGIN_RESERVE, Decision, decide, entry_quantity

D = Decimal


def order(cid: str, side: str, *fills: tuple[str, str, str]) -> OrderFills:
    """Fills as (price, qty, fee in USDT)."""
    views = tuple(FillView(D(p), D(q), D(f), "USDT", i) for i, (p, q, f) in enumerate(fills))
    return OrderFills(cid, side, "signal", views)


def test_a_short_round_trip_books_the_backtests_pnl_and_funding() -> None:
    book = UsdmBook("BTC", "USDT", quote=D(1000))
    book.apply(order("e", "sell", ("100", "2", "0.1")))
    assert (book.base, book.side, book.entry_price) == (D(-2), -1, D(100))
    assert book.equity(D(90)) == D(1000) - D("0.1") + D(20)  # the short gains as it falls
    book.book_funding(D("-0.3"))  # the short paid funding
    book.apply(order("x1", "buy", ("90", "1", "0.045")), closes=False)  # a take profit
    assert not book.trips
    assert book.base == D(-1)
    book.apply(order("x2", "buy", ("95", "1", "0.0475")))
    (trip,) = book.trips
    gross = D(10) + D(5)
    fees = D("0.1") + D("0.045") + D("0.0475")
    assert trip.pnl == gross - fees - D("0.3")
    assert (trip.side, trip.funding, trip.exit.qty) == (-1, D("0.3"), D(2))
    assert book.quote == D(1000) + trip.pnl
    assert (book.base, book.open_entry, book.funding_open) == (0, None, 0)


def test_a_long_with_two_entry_fills_averages_its_entry() -> None:
    book = UsdmBook("BTC", "USDT", quote=D(1000))
    book.apply(order("e", "buy", ("100", "1", "0"), ("110", "1", "0")))
    assert book.entry_price == D(105)
    book.apply(order("x", "sell", ("120", "2", "0")))
    assert book.trips[0].pnl == D(30)
    assert book.trips[0].side == 1


def test_an_order_through_zero_is_refused() -> None:
    book = UsdmBook("BTC", "USDT", quote=D(1000))
    book.apply(order("e", "buy", ("100", "1", "0")))
    with pytest.raises(ValueError, match="through zero"):
        book.apply(order("x", "sell", ("100", "2", "0")))


@pytest.mark.parametrize(
    ("side", "flags", "expected"),
    [
        (0, (True, False, False, False), Decision(False, 1)),
        (0, (False, False, True, False), Decision(False, -1)),
        (0, (True, False, True, False), Decision(False, 0)),  # both sides: nothing
        (1, (False, True, False, False), Decision(True, 0)),
        (1, (False, True, True, False), Decision(True, -1)),  # exit, then the short
        (1, (False, False, True, False), Decision(True, -1)),  # a reversal closes first
        (-1, (True, False, False, True), Decision(True, 1)),
        (-1, (False, True, False, False), Decision(False, 0)),  # a long's exit: not ours
        (1, (True, False, False, False), Decision(False, 0)),  # already long
    ],
)
def test_decide_is_the_kernels(
    side: int, flags: tuple[bool, bool, bool, bool], expected: Decision
) -> None:
    assert decide(side, *flags) == expected


def test_entry_quantity_is_the_backtests_all_equity_sizing_floored() -> None:
    qty = entry_quantity(D(10_000), D(100), 3, D("0.0005"), D("0.001"))
    exact = D(10_000) / (D(100) * (1 + MARGIN_RESERVE) * (D(1) / 3 + D("0.0005")))
    assert qty <= exact < qty + D("0.001")
    # A fill up to the reserve above the close still fits the margin and fee (-2019 else).
    assert qty * D(100) * (1 + MARGIN_RESERVE) * (D(1) / 3 + D("0.0005")) <= D(10_000)
    assert entry_quantity(D(0), D(100), 3, D(0), D("0.001")) == 0

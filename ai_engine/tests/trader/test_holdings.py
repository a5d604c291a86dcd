"""The bot's books from fills: spot commissions in the asset they are charged in, round trips
net of every fee, dust the exit could not sell counted at the exit price."""

from __future__ import annotations

from decimal import Decimal

from ai_engine.trader.holdings import FillView, Holdings, OrderFills

D = Decimal


def _order(side: str, *fills: tuple[str, str, str, str]) -> OrderFills:
    views = tuple(
        FillView(D(p), D(q), D(fee), asset, i) for i, (p, q, fee, asset) in enumerate(fills)
    )
    return OrderFills(f"id-{side}", side, "signal", views)


def test_a_round_trip_books_as_the_venue_does() -> None:
    books = Holdings("BTC", "USDT", quote=D(1000))
    buy = _order("buy", ("100", "5", "0.005", "BTC"), ("101", "4", "0.004", "BTC"))
    books.apply(buy)
    assert books.base == D("8.991")  # 9 bought, 0.009 BTC commission
    assert books.quote == D(1000) - D(500) - D(404)
    assert buy.fee_in_quote("USDT") == D("0.005") * 100 + D("0.004") * 101
    sell = _order("sell", ("110", "8.99", "0.98890", "USDT"))
    books.apply(sell)
    assert books.base == D("0.001")  # dust below the lot step stays
    (trip,) = books.trips
    received = D("8.99") * 110 - D("0.98890")
    assert trip.pnl == received - D(904) + D("0.001") * 110
    assert books.open_entry is None
    assert books.equity(D(110)) == D(1000) + trip.pnl


def test_dust_of_earlier_trips_is_not_counted_twice() -> None:
    books = Holdings("BTC", "USDT", quote=D(1000), base=D("0.002"))
    books.apply(_order("buy", ("100", "1", "0", "BTC")))
    books.apply(_order("sell", ("100", "1", "0", "USDT")))
    assert books.trips[0].pnl == 0
    assert books.base == D("0.002")


def test_an_order_without_fills_changes_nothing() -> None:
    books = Holdings("BTC", "USDT", quote=D(1000))
    books.apply(_order("buy"))
    assert (books.base, books.quote, books.open_entry, books.trips) == (0, 1000, None, [])

"""The books of a position the exit manager closes in parts (trader/holdings.py, trader/exits.py):
sells booked with ``closes=False`` reduce the position, the closing sell makes one round trip
of all of them; and the spot exit quantity: the base an entry left after its base-asset fee,
floored to the lot step."""

from __future__ import annotations

from decimal import Decimal

from ai_engine.trader.exits import exit_quantity
from ai_engine.trader.holdings import FillView, Holdings, OrderFills

D = Decimal


def _order(cid: str, side: str, reason: str, *fills: tuple[str, str, str, str]) -> OrderFills:
    views = tuple(
        FillView(D(p), D(q), D(fee), asset, i) for i, (p, q, fee, asset) in enumerate(fills)
    )
    return OrderFills(cid, side, reason, views)


def test_partial_exits_and_the_closing_one_make_one_round_trip_net_of_every_fee() -> None:
    books = Holdings("BTC", "USDT", quote=D(1000))
    books.apply(_order("e", "buy", "signal", ("100", "4", "0.004", "BTC")))
    take = _order("tp", "sell", "take_profit", ("110", "1", "0.11", "USDT"))
    books.apply(take, closes=False)
    assert books.open_entry is not None
    assert books.trips == []
    assert books.base == D("2.996")
    stop = _order("sl", "sell", "stop_loss", ("95", "2.99", "0.28405", "USDT"))
    books.apply(stop)
    (trip,) = books.trips
    assert trip.exit.client_order_id == "sl"
    assert trip.exit.reason == "stop_loss"
    assert trip.exit.fills == take.fills + stop.fills
    received = D(110) - D("0.11") + D("2.99") * 95 - D("0.28405")
    assert trip.pnl == received - D(400) + D("0.006") * trip.exit.avg_price
    assert books.open_entry is None
    assert books.partial_exits == []
    assert books.quote == D(1000) - D(400) + received


def test_a_round_trip_closed_at_once_is_unchanged_by_the_partial_bookkeeping() -> None:
    whole, parts = Holdings("BTC", "USDT", quote=D(1000)), Holdings("BTC", "USDT", quote=D(1000))
    for books in (whole, parts):
        books.apply(_order("e", "buy", "signal", ("100", "2", "0.002", "BTC")))
    whole.apply(_order("x", "sell", "signal", ("105", "1.998", "0.20979", "USDT")))
    parts.apply(_order("x", "sell", "signal", ("105", "1.998", "0.20979", "USDT")), closes=True)
    assert whole.trips == parts.trips
    assert (whole.base, whole.quote) == (parts.base, parts.quote)


def test_exit_quantity_is_the_base_left_after_the_fee_floored_to_the_lot() -> None:
    assert exit_quantity(D("0.07368"), D("0.00007368"), D("0.00001")) == D("0.07360")
    assert exit_quantity(D("1"), D("0"), D("0.001")) == D("1")
    assert exit_quantity(D("0.0005"), D("0.0000005"), D("0.001")) == D("0")

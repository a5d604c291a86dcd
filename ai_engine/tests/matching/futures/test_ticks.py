"""The futures engine fed ticks instead of bars: real books, public trades and recorded mark
prices (``matching/futures/ticks.py``), on hand-made levels with the numbers worked out."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import OrderStatus, OrderType, Rounding
from ai_engine.domain.decimals import snap_to_step
from ai_engine.matching import Book
from ai_engine.matching.futures import (
    MARK_STALE_MS,
    AlgoStatus,
    FuturesEngine,
    FuturesReject,
    FuturesRejected,
    MarginType,
    WorkingType,
)
from matching.factories import PARAMS

from .factories import ACCOUNT, BTC, SYMBOL, algo, order

D = Decimal
T0 = 1_721_347_023_765  # 2024-07-18 23:57:03.765 UTC, as in the vendored USD-M capture
BIDS = (("19999.9", "2"), ("19999.5", "1"), ("19998.0", "5"))
ASKS = (("20000.1", "0.5"), ("20000.4", "1.5"), ("20002.0", "5"))


def levels(rows: tuple[tuple[str, str], ...]) -> list[tuple[Decimal, Decimal]]:
    return [(D(price), D(quantity)) for price, quantity in rows]


Rows = tuple[tuple[str, str], ...]


def book(bids: Rows = BIDS, asks: Rows = ASKS) -> Book:
    return Book.from_levels(levels(bids), levels(asks), BTC)


def tick_engine(wallet: str = "10000") -> FuturesEngine:
    """One account; the real book set and one trade at 20000.0 printed at ``T0``."""
    made = FuturesEngine([BTC], PARAMS)
    made.open_account(ACCOUNT, D(wallet))
    made.set_book(SYMBOL, book(), T0)
    made.on_trade(SYMBOL, T0, D("20000.0"), D("0.01"), False)
    return made


def test_a_market_order_walks_the_real_levels_and_the_takes_outlive_a_new_book() -> None:
    venue = tick_engine()
    result = venue.submit(order("buy", "1"), T0 + 1)
    assert [(t.price, t.quantity, t.is_maker) for t in result.trades] == [
        (D("20000.1"), D("0.5"), False), (D("20000.4"), D("0.5"), False),
    ]  # fmt: skip
    # The next recorded book changed 20000.1 (now 0.7) but not 20000.4: only the latter keeps
    # what we took.
    venue.set_book(SYMBOL, book(asks=(("20000.1", "0.7"), *ASKS[1:])), T0 + 2)
    replaced = venue.book(SYMBOL)
    assert replaced is not None
    _, asks = replaced.depth(3)
    assert [(lv.price, lv.quantity) for lv in asks] == [
        (D("20000.1"), D("0.7")), (D("20000.4"), D("1.0")), (D("20002.0"), D("5")),
    ]  # fmt: skip
    assert replaced.mid == D("20000.0")  # the reference price is the last trade


def test_a_resting_limit_fills_only_through_and_at_most_the_printed_quantity() -> None:
    venue = tick_engine()
    placed = venue.submit(order("buy", "0.3", "19999.9"), T0 + 1).order
    assert venue.on_trade(SYMBOL, T0 + 2, D("19999.9"), D("5"), True) == []  # at the limit
    (first,) = venue.on_trade(SYMBOL, T0 + 3, D("19999.5"), D("0.1"), True)
    assert (first.price, first.quantity, first.is_maker) == (D("19999.9"), D("0.1"), True)
    partly = venue.order(ACCOUNT, SYMBOL, order_id=placed.order_id)
    assert partly is not None
    assert partly.status is OrderStatus.PARTIALLY_FILLED
    (second,) = venue.on_trade(SYMBOL, T0 + 4, D("19999.0"), D("1"), True)
    assert second.quantity == D("0.2")
    done = venue.order(ACCOUNT, SYMBOL, order_id=placed.order_id)
    assert done is not None
    assert done.status is OrderStatus.FILLED


def test_a_stop_market_fires_on_a_trade_and_takes_from_the_current_real_book() -> None:
    venue = tick_engine()
    stop = venue.submit_algo(algo("buy", OrderType.STOP_MARKET, "1", "20001.0"), T0 + 1)
    assert venue.on_trade(SYMBOL, T0 + 2, D("20000.9"), D("1"), False) == []
    venue.set_book(SYMBOL, book(asks=(("20001.0", "0.25"), ("20001.5", "2"))), T0 + 3)
    trades = venue.on_trade(SYMBOL, T0 + 4, D("20001.0"), D("0.001"), False)
    assert [(t.price, t.quantity, t.ts_ms) for t in trades] == [
        (D("20001.0"), D("0.25"), T0 + 4), (D("20001.5"), D("0.75"), T0 + 4),
    ]  # fmt: skip
    fired = venue.algo(ACCOUNT, SYMBOL, algo_id=stop.algo_id)
    assert fired is not None
    assert fired.status is AlgoStatus.FINISHED


def test_a_mark_price_stop_waits_for_a_recorded_mark_not_for_trades() -> None:
    venue = tick_engine()
    venue.on_mark(SYMBOL, T0, D("20003.25"))  # the mark sits above the traded price
    request = algo("sell", OrderType.STOP_MARKET, "0.5", "20002.0")
    with pytest.raises(FuturesRejected) as refused:  # the contract price is past it
        venue.submit_algo(request, T0 + 1)
    assert refused.value.code is FuturesReject.WOULD_TRIGGER_IMMEDIATELY
    stop = venue.submit_algo(
        algo("sell", OrderType.STOP_MARKET, "0.5", "20002.0", working_type=WorkingType.MARK_PRICE),
        T0 + 1,
    )
    assert venue.on_trade(SYMBOL, T0 + 2, D("19990.0"), D("1"), True) == []
    assert venue.on_mark(SYMBOL, T0 + 1000, D("20002.10")) == []
    trades = venue.on_mark(SYMBOL, T0 + 2000, D("20001.99"))
    assert [(t.price, t.quantity) for t in trades] == [(D("19999.9"), D("0.5"))]
    fired = venue.algo(ACCOUNT, SYMBOL, algo_id=stop.algo_id)
    assert fired is not None
    assert fired.trigger_ms == T0 + 2000


def test_without_a_fresh_recorded_mark_the_trade_is_the_mark() -> None:
    venue = tick_engine()
    assert venue.mark_price(SYMBOL) == D("20000.0")
    venue.on_trade(SYMBOL, T0 + 1, D("20000.7"), D("1"), False)
    assert venue.mark_price(SYMBOL) == venue.last_price(SYMBOL) == D("20000.7")
    venue.on_mark(SYMBOL, T0 + 2, D("20000.31"))
    venue.on_trade(SYMBOL, T0 + 2 + MARK_STALE_MS, D("20001.0"), D("1"), False)
    assert (venue.mark_price(SYMBOL), venue.last_price(SYMBOL)) == (D("20000.31"), D("20001.0"))
    # No mark recorded for longer than MARK_STALE_MS (a capture without marks, a gap):
    venue.on_trade(SYMBOL, T0 + 3 + MARK_STALE_MS, D("20001.5"), D("1"), False)
    assert venue.mark_price(SYMBOL) == D("20001.5")


def isolated_long(venue: FuturesEngine) -> Decimal:
    """A 10x isolated long of 0.5 BTC at 20000.1; its liquidation price on the tick."""
    venue.set_margin_type(ACCOUNT, SYMBOL, MarginType.ISOLATED, T0)
    venue.set_leverage(ACCOUNT, SYMBOL, 10, T0)
    venue.submit(order("buy", "0.5"), T0 + 1)
    price = venue.position_risk(ACCOUNT, SYMBOL).liquidation_price
    return snap_to_step(price, BTC.tick_size, Rounding.UP)


def test_trades_liquidate_while_they_are_the_mark() -> None:
    venue = tick_engine()
    liquidation = isolated_long(venue)
    assert venue.on_trade(SYMBOL, T0 + 2, liquidation + D("0.1"), D("1"), True) == []
    (closed,) = venue.on_trade(SYMBOL, T0 + 3, liquidation - D(50), D("1"), True)
    assert (closed.price, closed.ts_ms) == (liquidation, T0 + 3)
    assert closed.client_order_id == f"autoclose-{T0 + 3}"
    assert venue.settings(ACCOUNT, SYMBOL).quantity == 0


def test_with_recorded_marks_only_a_mark_update_liquidates() -> None:
    venue = tick_engine()
    venue.on_mark(SYMBOL, T0, D("20000.0"))
    liquidation = isolated_long(venue)
    assert venue.on_trade(SYMBOL, T0 + 2, liquidation - D(50), D("1"), True) == []
    assert venue.settings(ACCOUNT, SYMBOL).quantity == D("0.5")
    (closed,) = venue.on_mark(SYMBOL, T0 + 1000, liquidation - D("0.1"))
    assert (closed.price, closed.ts_ms) == (liquidation, T0 + 1000)
    assert venue.settings(ACCOUNT, SYMBOL).quantity == 0


def test_a_trailing_stop_trails_the_trades() -> None:
    venue = tick_engine()
    request = algo("sell", OrderType.TRAILING_STOP_MARKET, "0.5", callback_rate=D("0.1"))
    trailing = venue.submit_algo(request, T0 + 1)  # extreme 20000.0: fires at 19980.0
    for n, price in enumerate(("20010.0", "19990.0", "20008.0"), 2):
        assert venue.on_trade(SYMBOL, T0 + n, D(price), D("1"), False) == []
    moved = venue.algo(ACCOUNT, SYMBOL, algo_id=trailing.algo_id)
    assert moved is not None
    assert moved.extreme == D("20010.0")  # fires at 19989.9 now
    trades = venue.on_trade(SYMBOL, T0 + 9, D("19989.9"), D("1"), True)
    assert [(t.price, t.quantity) for t in trades] == [(D("19999.9"), D("0.5"))]
    fired = venue.algo(ACCOUNT, SYMBOL, algo_id=trailing.algo_id)
    assert fired is not None
    assert fired.trigger_price == D("19989.9")


def test_trades_are_watched_only_while_something_can_react() -> None:
    venue = tick_engine()
    assert (venue.watches_trades(SYMBOL), venue.stops_rest(SYMBOL)) == (False, False)
    venue.submit(order("buy", "0.1"), T0 + 1)  # a position: a trade may be its mark
    assert venue.watches_trades(SYMBOL)
    venue.submit(order("sell", "0.1"), T0 + 2)  # flat again
    assert not venue.watches_trades(SYMBOL)
    venue.submit_algo(algo("sell", OrderType.STOP_MARKET, "0.1", "19000.0"), T0 + 3)
    assert (venue.watches_trades(SYMBOL), venue.stops_rest(SYMBOL)) == (True, True)

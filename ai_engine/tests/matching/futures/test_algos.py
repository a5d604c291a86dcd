"""Conditional (algo) orders on the engine: stop and take-profit markets on the bar range or
the mark, trailing stops following the extreme, close-position and reduce-only at trigger."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import OrderStatus, OrderType
from ai_engine.matching.futures import AlgoStatus, FuturesReject, FuturesRejected, WorkingType

from .factories import ACCOUNT, SYMBOL, algo, at, engine, fbar, order

STOP, TAKE, TRAIL = (
    OrderType.STOP_MARKET,
    OrderType.TAKE_PROFIT_MARKET,
    OrderType.TRAILING_STOP_MARKET,
)


def long_engine() -> object:
    venue = engine()
    venue.submit(order("buy", "0.5"), at(0))
    return venue


def test_stop_market_closes_the_position_when_the_bar_reaches_the_trigger() -> None:
    venue = engine()
    venue.submit(order("buy", "0.5"), at(0))
    placed = venue.submit_algo(algo("sell", STOP, None, "19900.0", close_position=True), at(0))
    assert placed.status is AlgoStatus.NEW
    assert venue.on_bar(SYMBOL, fbar(1, "19950", low="19910")) == []
    (trade,) = venue.on_bar(SYMBOL, fbar(2, "19950", low="19890"))
    assert trade.price == Decimal("19899.0")  # the best bid of a book around the trigger
    done = venue.algo(ACCOUNT, SYMBOL, algo_id=placed.algo_id)
    assert done is not None
    assert done.status is AlgoStatus.FINISHED
    assert done.actual_order_id == trade.order_id
    assert done.actual_quantity == Decimal("0.5")
    child = venue.order(ACCOUNT, SYMBOL, order_id=trade.order_id)
    assert child is not None
    assert child.orig_type is STOP
    assert child.status is OrderStatus.FILLED
    assert child.client_order_id == placed.client_algo_id
    assert child.reduce_only
    assert venue.settings(ACCOUNT, SYMBOL).quantity == 0


@pytest.mark.parametrize(
    ("side", "trigger", "gap_open"), [("sell", "19900.0", "19500"), ("buy", "20100.0", "20500")]
)
def test_a_stop_jumped_by_the_bars_open_fills_around_the_open(
    side: str, trigger: str, gap_open: str
) -> None:
    venue = engine()
    venue.submit(order("buy" if side == "sell" else "sell", "0.5"), at(0))
    venue.submit_algo(algo(side, STOP, None, trigger, close_position=True), at(0))
    (trade,) = venue.on_bar(SYMBOL, fbar(1, gap_open, open=gap_open))
    # Around the gap's price (a half spread off it), not the trigger the bar jumped over.
    assert abs(trade.price - Decimal(gap_open)) <= Decimal(2)
    assert venue.settings(ACCOUNT, SYMBOL).quantity == 0


def test_take_profit_fires_when_the_price_rises_to_it() -> None:
    venue = engine()
    venue.submit(order("buy", "0.5"), at(0))
    venue.submit_algo(algo("sell", TAKE, "0.5", "20100.0", reduce_only=True), at(0))
    (trade,) = venue.on_bar(SYMBOL, fbar(1, "20050", high="20100"))
    assert trade.realised_pnl > 0


@pytest.mark.parametrize(("kind", "trigger"), [(STOP, "20100.0"), (TAKE, "19900.0")])
def test_an_order_that_would_fire_at_once_is_refused(kind: OrderType, trigger: str) -> None:
    venue = engine()
    with pytest.raises(FuturesRejected, match=FuturesReject.WOULD_TRIGGER_IMMEDIATELY.value):
        venue.submit_algo(algo("sell", kind, "0.1", trigger), at(0))


def test_mark_price_working_type_watches_the_close_only() -> None:
    venue = engine()
    venue.submit(order("buy", "0.5"), at(0))
    stop = algo(
        "sell", STOP, None, "19900.0", close_position=True, working_type=WorkingType.MARK_PRICE
    )
    venue.submit_algo(stop, at(0))
    assert venue.on_bar(SYMBOL, fbar(1, "19950", low="19800")) == []  # the range is ignored
    assert len(venue.on_bar(SYMBOL, fbar(2, "19890"))) == 1


def test_trailing_stop_follows_the_high_and_fires_on_the_callback() -> None:
    venue = engine()
    venue.submit(order("buy", "0.5"), at(0))
    trailing = algo("sell", TRAIL, "0.5", callback_rate=Decimal(1), reduce_only=True)
    placed = venue.submit_algo(trailing, at(0))
    assert placed.activated
    assert placed.extreme == Decimal("20000")
    # Tested against 20000 x 0.99 = 19800 first, then the extreme moves up to 20500.
    assert venue.on_bar(SYMBOL, fbar(1, "20400", high="20500", low="19850")) == []
    moved = venue.algo(ACCOUNT, SYMBOL, algo_id=placed.algo_id)
    assert moved is not None
    assert moved.extreme == Decimal("20500")
    (trade,) = venue.on_bar(SYMBOL, fbar(2, "20300", low="20290"))  # 20500 x 0.99 = 20295
    done = venue.algo(ACCOUNT, SYMBOL, algo_id=placed.algo_id)
    assert done is not None
    assert done.trigger_price == Decimal("20295.0")
    assert trade.price == Decimal("20293.9")  # best bid around 20295 (half spread 1.1)


def test_trailing_stop_waits_for_its_activation_price() -> None:
    venue = engine()
    venue.submit(order("buy", "0.5"), at(0))
    trailing = algo(
        "sell", TRAIL, "0.5", callback_rate=Decimal(1), activate_price=Decimal("20200.0")
    )
    placed = venue.submit_algo(trailing, at(0))
    assert not placed.activated
    assert venue.on_bar(SYMBOL, fbar(1, "19900", high="20100", low="19700")) == []
    assert venue.on_bar(SYMBOL, fbar(2, "20100", high="20300", low="20000")) == []  # activates
    assert len(venue.on_bar(SYMBOL, fbar(3, "20100", low="20090"))) == 1  # 20300 x 0.99 = 20097


def test_trailing_buy_tracks_the_low() -> None:
    venue = engine()
    venue.submit(order("sell", "0.5"), at(0))
    venue.submit_algo(algo("buy", TRAIL, "0.5", callback_rate=Decimal(2), reduce_only=True), at(0))
    assert venue.on_bar(SYMBOL, fbar(1, "19600", low="19500", high="20300")) == []
    assert venue.on_bar(SYMBOL, fbar(2, "19800", high="19880")) == []  # 19500 x 1.02 = 19890
    assert len(venue.on_bar(SYMBOL, fbar(3, "19850", high="19890"))) == 1


def test_activation_already_passed_is_refused() -> None:
    with pytest.raises(FuturesRejected, match=FuturesReject.WOULD_TRIGGER_IMMEDIATELY.value):
        engine().submit_algo(
            algo("sell", TRAIL, "0.1", callback_rate=Decimal(1), activate_price=Decimal("19900")),
            at(0),
        )


def test_reduce_only_algo_without_a_position_expires_when_it_fires() -> None:
    venue = engine()
    placed = venue.submit_algo(algo("sell", STOP, "0.1", "19900.0", reduce_only=True), at(0))
    assert venue.on_bar(SYMBOL, fbar(1, "19850", low="19800")) == []
    fired = venue.algo(ACCOUNT, SYMBOL, algo_id=placed.algo_id)
    assert fired is not None
    assert fired.status is AlgoStatus.EXPIRED
    assert fired.actual_order_id is None


def test_an_opening_stop_checks_margin_when_it_fires() -> None:
    venue = engine("100")
    placed = venue.submit_algo(algo("buy", STOP, "0.2", "20100.0"), at(0))  # needs ~201
    venue.on_bar(SYMBOL, fbar(1, "20150", high="20150"))
    fired = venue.algo(ACCOUNT, SYMBOL, algo_id=placed.algo_id)
    assert fired is not None
    assert fired.status is AlgoStatus.EXPIRED


def test_algo_cancel() -> None:
    venue = engine()
    placed = venue.submit_algo(algo("sell", STOP, "0.1", "19000.0"), at(0))
    assert venue.open_algos(ACCOUNT, SYMBOL) == [placed]
    canceled = venue.cancel_algo(
        ACCOUNT, SYMBOL, client_algo_id=placed.client_algo_id, now_ms=at(0)
    )
    assert canceled.status is AlgoStatus.CANCELED
    with pytest.raises(FuturesRejected, match=FuturesReject.UNKNOWN_ORDER.value):
        venue.cancel_algo(ACCOUNT, SYMBOL, algo_id=placed.algo_id, now_ms=at(0))
    assert venue.cancel_all_algos(ACCOUNT, SYMBOL, at(0)) == []


@pytest.mark.parametrize("take_first", [True, False], ids=["take-placed-first", "stop-first"])
def test_a_bar_through_both_a_stop_and_a_take_profit_fires_the_stop(take_first: bool) -> None:
    # The bar's path is unknown: the backtest's worst case, whatever the placement order.
    venue = long_engine()
    take = algo("sell", TAKE, "0.5", "20100.0", reduce_only=True)
    stop = algo("sell", STOP, "0.5", "19900.0", reduce_only=True)
    for request in (take, stop) if take_first else (stop, take):
        venue.submit_algo(request, at(0))
    (trade,) = venue.on_bar(SYMBOL, fbar(1, "20000", low="19890", high="20110"))
    assert trade.realised_pnl < 0  # closed at the stop, not the target
    child = venue.order(ACCOUNT, SYMBOL, order_id=trade.order_id)
    assert child is not None
    assert child.orig_type is STOP
    assert venue.settings(ACCOUNT, SYMBOL).quantity == 0


def test_a_take_profit_the_bars_open_is_through_fires_before_a_stop_inside_the_bar() -> None:
    # The open is the bar's first trade: a target it gapped through is taken at once.
    venue = long_engine()
    venue.submit_algo(algo("sell", STOP, "0.5", "19900.0", reduce_only=True), at(0))
    venue.submit_algo(algo("sell", TAKE, "0.5", "20100.0", reduce_only=True), at(0))
    (trade,) = venue.on_bar(SYMBOL, fbar(1, "20000", open="20200", low="19890", high="20210"))
    assert trade.realised_pnl > 0
    child = venue.order(ACCOUNT, SYMBOL, order_id=trade.order_id)
    assert child is not None
    assert child.orig_type is TAKE


def test_on_ticks_the_price_path_decides() -> None:
    venue = long_engine()
    venue.submit_algo(algo("sell", STOP, "0.5", "19900.0", reduce_only=True), at(0))
    venue.submit_algo(algo("sell", TAKE, "0.5", "20100.0", reduce_only=True), at(0))
    venue.on_trade(SYMBOL, at(1), Decimal("20100.0"), Decimal("1"), buyer_is_maker=False)
    venue.on_trade(SYMBOL, at(1) + 1, Decimal("19890.0"), Decimal("1"), buyer_is_maker=True)
    assert venue.settings(ACCOUNT, SYMBOL).quantity == 0
    children = [o for o in venue.orders(ACCOUNT, SYMBOL) if o.orig_type in (STOP, TAKE)]
    assert [o.orig_type for o in children if o.status is OrderStatus.FILLED] == [TAKE]

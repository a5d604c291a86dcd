"""OCO lists in the matching engine: one lock, the first leg to fire cancels the other."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import LiquiditySide, OrderSide, OrderStatus, OrderType
from ai_engine.matching import MatchingEngine, OrderRejected, OrderRequest, RejectReason

from .factories import ACCOUNT, bar, close_ms, engine, request

D = Decimal
SELL, BUY = OrderSide.SELL, OrderSide.BUY


def sell_oco(
    limit: str = "21000", stop: str = "19500", stop_limit: str = "19400"
) -> list[OrderRequest]:
    return [
        request(OrderType.STOP_LIMIT, SELL, price=stop_limit, stop=stop),
        request(OrderType.LIMIT_MAKER, SELL, price=limit),
    ]


def statuses(venue: MatchingEngine, list_id: int) -> list[OrderStatus]:
    order_list = venue.lists.get(ACCOUNT, list_id)
    assert order_list is not None
    return [leg.status for leg in venue.lists.legs(order_list)]


def test_sell_oco_rests_both_legs_under_one_lock() -> None:
    venue = engine()
    placed = venue.submit_oco(sell_oco(), "list-1", close_ms(0))
    stop, limit = venue.lists.legs(placed)
    assert (stop.order_type, stop.is_working, limit.is_working) == (
        OrderType.STOP_LIMIT, False, True,
    )  # fmt: skip
    assert stop.order_id < limit.order_id
    assert {stop.order_list_id, limit.order_list_id} == {placed.list_id}
    assert (venue.ledger(ACCOUNT).free("BTC"), venue.ledger(ACCOUNT).locked("BTC")) == (D(9), D(1))
    assert len(venue.open_orders(ACCOUNT)) == 2


def test_limit_leg_fill_cancels_the_stop_leg() -> None:
    venue = engine()
    placed = venue.submit_oco(sell_oco(), "list-1", close_ms(0))
    (fill,) = venue.on_bar("BTCUSDT", bar(1, "20900", high="21000.01"))
    assert (fill.price, fill.liquidity) == (D(21000), LiquiditySide.MAKER)
    assert statuses(venue, placed.list_id) == [OrderStatus.CANCELED, OrderStatus.FILLED]
    done = venue.lists.get(ACCOUNT, placed.list_id)
    assert done is not None
    assert (done.done, done.update_ms) == (True, close_ms(1))
    assert venue.ledger(ACCOUNT).locked("BTC") == 0
    assert venue.ledger(ACCOUNT).free("BTC") == 9


def test_stop_trigger_cancels_the_limit_leg_and_trades_from_its_own_lock() -> None:
    venue = engine()
    placed = venue.submit_oco(sell_oco(), "list-1", close_ms(0))
    fills = venue.on_bar("BTCUSDT", bar(1, "19600", low="19500"))
    assert fills
    assert all(f.order_id == placed.order_ids[0] for f in fills)
    assert statuses(venue, placed.list_id) == [OrderStatus.FILLED, OrderStatus.CANCELED]
    assert venue.ledger(ACCOUNT).total("BTC") == 9


def test_a_bar_through_both_legs_fires_the_stop_loss_leg() -> None:
    venue = engine()
    placed = venue.submit_oco(sell_oco(), "list-1", close_ms(0))
    venue.on_bar("BTCUSDT", bar(1, "20000", high="21500", low="19000"))
    assert statuses(venue, placed.list_id) == [OrderStatus.FILLED, OrderStatus.CANCELED]


@pytest.mark.parametrize("leg", [0, 1])
def test_canceling_either_leg_cancels_the_list_and_unlocks_once(leg: int) -> None:
    venue = engine()
    placed = venue.submit_oco(sell_oco(), "list-1", close_ms(0))
    canceled = venue.cancel(ACCOUNT, "BTCUSDT", order_id=placed.order_ids[leg], now_ms=5)
    assert (canceled.order_id, canceled.status) == (placed.order_ids[leg], OrderStatus.CANCELED)
    assert statuses(venue, placed.list_id) == [OrderStatus.CANCELED] * 2
    assert (venue.ledger(ACCOUNT).free("BTC"), venue.ledger(ACCOUNT).locked("BTC")) == (D(10), 0)
    with pytest.raises(OrderRejected):
        venue.cancel(ACCOUNT, "BTCUSDT", order_id=placed.order_ids[1 - leg], now_ms=6)


def test_cancel_all_takes_both_legs_and_returns_them() -> None:
    venue = engine()
    placed = venue.submit_oco(sell_oco(), "list-1", close_ms(0))
    done = venue.cancel_all(ACCOUNT, "BTCUSDT", close_ms(0))
    assert [o.order_id for o in done] == list(placed.order_ids)
    assert {o.status for o in done} == {OrderStatus.CANCELED}
    assert venue.ledger(ACCOUNT).locked("BTC") == 0


def test_buy_oco_locks_the_dearer_leg_and_returns_the_rest_on_fill() -> None:
    venue = engine(usdt="30000")
    legs = [
        request(OrderType.STOP_LIMIT, BUY, price="20600", stop="20500"),
        request(OrderType.LIMIT_MAKER, BUY, price="19000"),
    ]
    placed = venue.submit_oco(legs, "list-b", close_ms(0))
    assert venue.ledger(ACCOUNT).locked("USDT") == D(20600)
    venue.on_bar("BTCUSDT", bar(1, "19100", low="18999.99"))
    assert statuses(venue, placed.list_id) == [OrderStatus.CANCELED, OrderStatus.FILLED]
    ledger = venue.ledger(ACCOUNT)
    assert (ledger.free("USDT"), ledger.locked("USDT")) == (D(11000), 0)


@pytest.mark.parametrize(
    ("legs", "reason"),
    [
        (sell_oco(limit="19999"), RejectReason.WOULD_TAKE),
        (sell_oco(stop="20000", stop_limit="19900"), RejectReason.WOULD_TRIGGER_IMMEDIATELY),
        (
            [
                request(OrderType.STOP_LIMIT, SELL, quantity="11", price="19400", stop="19500"),
                request(OrderType.LIMIT_MAKER, SELL, quantity="11", price="21000"),
            ],
            RejectReason.INSUFFICIENT_BALANCE,
        ),
    ],
)
def test_refused_lists_leave_nothing_behind(legs: list[OrderRequest], reason: RejectReason) -> None:
    venue = engine()
    with pytest.raises(OrderRejected) as caught:
        venue.submit_oco(legs, "list-x", close_ms(0))
    assert caught.value.code is reason
    assert venue.open_orders(ACCOUNT) == []
    assert venue.ledger(ACCOUNT).locked("BTC") == 0
    placed = venue.submit_oco(sell_oco(), "list-x", close_ms(0))
    assert placed.order_ids == (1, 2)  # refusals used no order ids


def test_a_list_client_id_is_unique_among_executing_lists() -> None:
    venue = engine()
    venue.submit_oco(sell_oco(), "same", close_ms(0))
    with pytest.raises(OrderRejected) as caught:
        venue.submit_oco(sell_oco(), "same", close_ms(0))
    assert caught.value.code is RejectReason.DUPLICATE_ORDER
    venue.cancel_all(ACCOUNT, "BTCUSDT", close_ms(0))
    again = venue.submit_oco(sell_oco(), "same", close_ms(0))
    assert venue.lists.by_client_id(ACCOUNT, "same") == again

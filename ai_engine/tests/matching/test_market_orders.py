from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import FilterViolation, LiquiditySide, OrderFilter, OrderSide, OrderStatus
from ai_engine.matching import MatchingEngine, OrderRejected, RejectReason

from .factories import ACCOUNT, BTC, PARAMS, bar, engine, market, request

D = Decimal


def test_market_buy_walks_the_book_and_pays_taker_fee_in_base() -> None:
    venue = engine()
    result = venue.submit(market(OrderSide.BUY, "1.5"), 1)
    assert result.order.status is OrderStatus.FILLED
    assert [(f.price, f.quantity) for f in result.fills] == [
        (D("20001"), D("1")),
        (D("20003"), D("0.5")),
    ]
    assert all(f.liquidity is LiquiditySide.TAKER for f in result.fills)
    assert [(f.commission, f.commission_asset) for f in result.fills] == [
        (D("0.001"), "BTC"),
        (D("0.0005"), "BTC"),
    ]
    assert result.order.cumulative_quote == D("30002.5")
    ledger = venue.ledger(ACCOUNT)
    assert ledger.free("USDT") == D(1_000_000) - D("30002.5")
    assert ledger.free("BTC") == D(10) + D("1.5") - D("0.0015")


def test_market_sell_pays_fee_in_quote() -> None:
    venue = engine()
    result = venue.submit(market(OrderSide.SELL, "1"), 1)
    (fill,) = result.fills
    assert (fill.price, fill.commission, fill.commission_asset) == (
        D("19999"),
        D("19.999"),
        "USDT",
    )
    assert venue.ledger(ACCOUNT).free("USDT") == D(1_000_000) + D(19999) - D("19.999")


def test_quote_quantity_buy_spends_up_to_the_amount() -> None:
    venue = engine()
    result = venue.submit(request(quantity=None, quote="100", order_type=market().order_type), 1)
    order = result.order
    assert order.status is OrderStatus.FILLED
    assert order.quote_quantity == D(100)
    assert order.quantity == order.executed_quantity == D("0.00499")  # whole 0.00001 lots
    assert order.cumulative_quote <= D(100)


def test_liquidity_taken_stays_taken_until_the_next_bar() -> None:
    venue = engine()
    venue.submit(market(OrderSide.BUY, "1"), 1)
    second = venue.submit(market(OrderSide.BUY, "1"), 2)
    assert second.fills[0].price == D("20003")  # the 20001 level is gone
    venue.on_bar("BTCUSDT", bar(1))
    third = venue.submit(market(OrderSide.BUY, "1"), 3)
    assert third.fills[0].price == D("20001")  # a new bar, a new book


def test_market_order_larger_than_the_book_fills_what_there_is_and_expires() -> None:
    venue = engine()
    result = venue.submit(market(OrderSide.SELL, "6"), 1)
    assert result.order.status is OrderStatus.EXPIRED
    assert result.order.executed_quantity == D(5)


def test_market_order_against_an_empty_book_expires_unfilled() -> None:
    venue = MatchingEngine([BTC], PARAMS)
    venue.open_account(ACCOUNT, {"USDT": D(10**6)})
    venue.on_bar("BTCUSDT", bar(0, volume="0"))
    result = venue.submit(market(OrderSide.BUY, "0.1"), 1)
    assert result.order.status is OrderStatus.EXPIRED
    assert result.fills == ()


def test_insufficient_balance_is_rejected_before_anything_moves() -> None:
    venue = engine(usdt="20000")
    with pytest.raises(OrderRejected) as caught:
        venue.submit(market(OrderSide.BUY, "1"), 1)  # costs 20001
    assert caught.value.code is RejectReason.INSUFFICIENT_BALANCE
    assert venue.ledger(ACCOUNT).free("USDT") == D(20000)
    assert venue.fills == []
    assert venue.orders(ACCOUNT, "BTCUSDT") == []


@pytest.mark.parametrize(
    ("quantity", "broken"),
    [
        ("0.000001", OrderFilter.LOT_STEP),
        ("0.0001", OrderFilter.MIN_NOTIONAL),  # 2 USDT at mid, minimum is 5
        ("9001", OrderFilter.MAX_QUANTITY),
    ],
)
def test_market_orders_meet_the_filters(quantity: str, broken: OrderFilter) -> None:
    with pytest.raises(FilterViolation) as caught:
        engine().submit(market(OrderSide.BUY, quantity), 1)
    assert caught.value.filter is broken


def test_quote_quantity_below_min_notional_is_a_filter_failure() -> None:
    with pytest.raises(FilterViolation) as caught:
        engine().submit(request(market().order_type, quantity=None, quote="4.99"), 1)
    assert caught.value.filter is OrderFilter.MIN_NOTIONAL


def test_no_bar_yet_means_no_market() -> None:
    venue = MatchingEngine([BTC], PARAMS)
    venue.open_account(ACCOUNT, {"USDT": D(100)})
    with pytest.raises(OrderRejected) as caught:
        venue.submit(market(), 1)
    assert caught.value.code is RejectReason.NO_MARKET


def test_unknown_symbol_and_account() -> None:
    venue = engine()
    with pytest.raises(OrderRejected) as caught:
        venue.submit(market(account="nobody"), 1)
    assert caught.value.code is RejectReason.UNKNOWN_ACCOUNT
    with pytest.raises(OrderRejected) as caught:
        venue.book("ETHUSDT")
    assert caught.value.code is RejectReason.UNKNOWN_SYMBOL


def test_fills_convert_to_domain_fills() -> None:
    venue = engine()
    (fill,) = venue.submit(market(OrderSide.SELL, "0.5"), 1_679_529_660_000).fills
    domain_fill = fill.to_fill(BTC.id)
    assert domain_fill.trade_id == "1"
    assert domain_fill.fee.asset == "USDT"
    assert domain_fill.quote_amount() == fill.quote_quantity

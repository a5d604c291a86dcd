"""Regular futures orders on the engine: market/limit, time in force, reduce-only, filters,
the price band, margin checks, leverage and margin type."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import FilterViolation, OrderFilter, OrderSide, OrderStatus, TimeInForce
from ai_engine.matching.futures import FuturesReject, FuturesRejected, MarginType

from .factories import ACCOUNT, SYMBOL, at, engine, fbar, order


def rejected(reason: FuturesReject) -> pytest.RaisesExc[FuturesRejected]:
    return pytest.raises(FuturesRejected, match=reason.value)


def test_market_buy_opens_a_long_and_pays_the_taker_fee() -> None:
    venue = engine()
    result = venue.submit(order("buy", "0.5"), at(0))
    assert result.order.status is OrderStatus.FILLED
    (trade,) = result.trades
    assert (trade.price, trade.quantity) == (Decimal("20001.0"), Decimal("0.5"))
    assert trade.commission == Decimal("5.00025000")  # 0.05 % of 10000.5
    state = venue.settings(ACCOUNT, SYMBOL)
    assert (state.quantity, state.entry_price) == (Decimal("0.5"), Decimal("20001.0"))
    margin = venue.margin(ACCOUNT)
    assert margin.wallet == Decimal("9994.99975000")
    assert margin.unrealised == Decimal("-0.5")  # marked at the close, 20000
    assert margin.position_initial == Decimal("500")  # 10000 / 20x
    assert margin.maintenance == Decimal("40")  # 0.4 % of 10000
    assert margin.available == Decimal("9494.49975000")


def test_closing_realises_the_price_difference() -> None:
    venue = engine()
    venue.submit(order("buy", "0.5"), at(0))
    venue.on_bar(SYMBOL, fbar(1, "20100"))
    (trade,) = venue.submit(order("sell", "0.5"), at(1)).trades
    assert trade.price == Decimal("20098.9")  # best bid around 20100: half spread 1.005 -> 1.1
    assert trade.realised_pnl == Decimal("48.95")  # 0.5 x (20098.9 - 20001)
    assert venue.settings(ACCOUNT, SYMBOL).quantity == 0
    account = venue.account(ACCOUNT)
    assert account.wallet == account.expected_wallet()


def test_a_sell_larger_than_the_long_flips_to_a_short() -> None:
    venue = engine()
    venue.submit(order("buy", "0.5"), at(0))
    venue.submit(order("sell", "1.5"), at(0))
    state = venue.settings(ACCOUNT, SYMBOL)
    assert state.quantity == Decimal("-1.0")


def test_resting_limit_fills_as_maker_when_a_later_bar_trades_through() -> None:
    venue = engine()
    resting = venue.submit(order("buy", "0.5", "19990.0"), at(0)).order
    assert resting.status is OrderStatus.ACCEPTED
    venue.on_bar(SYMBOL, fbar(1, "19995", low="19990"))  # touches only
    assert venue.order(ACCOUNT, SYMBOL, order_id=resting.order_id).status.is_working
    (trade,) = venue.on_bar(SYMBOL, fbar(2, "19995", low="19985"))
    assert trade.is_maker
    assert trade.price == Decimal("19990.0")
    assert trade.commission == Decimal("1.99900000")  # 0.02 % of 9995


def test_ioc_takes_what_the_book_has_within_the_limit_and_expires_the_rest() -> None:
    result = engine().submit(order("buy", "3", "20003.0", tif=TimeInForce.IOC), at(0))
    assert result.order.status is OrderStatus.EXPIRED
    assert result.order.executed_quantity == Decimal("2")


def test_fok_expires_unfilled_when_the_book_is_too_thin() -> None:
    result = engine().submit(order("buy", "6", "20100.0", tif=TimeInForce.FOK), at(0))
    assert result.order.status is OrderStatus.EXPIRED
    assert result.trades == ()


def test_gtx_that_would_take_is_rejected_and_one_that_would_not_rests() -> None:
    venue = engine()
    with rejected(FuturesReject.POST_ONLY_REJECTED):
        venue.submit(order("buy", "0.1", "20001.0", tif=TimeInForce.GTX), at(0))
    rests = venue.submit(order("buy", "0.1", "19999.0", tif=TimeInForce.GTX), at(0))
    assert rests.order.status is OrderStatus.ACCEPTED


def test_reduce_only_without_a_position_is_rejected() -> None:
    with rejected(FuturesReject.REDUCE_ONLY_REJECTED):
        engine().submit(order("sell", "0.1", reduce_only=True), at(0))


def test_reduce_only_market_is_cut_to_the_position() -> None:
    venue = engine()
    venue.submit(order("buy", "0.5"), at(0))
    result = venue.submit(order("sell", "1.0", reduce_only=True), at(0))
    assert result.order.executed_quantity == Decimal("0.5")
    assert result.order.status is OrderStatus.EXPIRED
    assert venue.settings(ACCOUNT, SYMBOL).quantity == 0


def test_resting_reduce_only_fills_only_what_still_reduces() -> None:
    venue = engine()
    venue.submit(order("buy", "0.5"), at(0))
    resting = venue.submit(order("sell", "1.0", "20050.0", reduce_only=True), at(0)).order
    (trade,) = venue.on_bar(SYMBOL, fbar(1, "20040", high="20060"))
    assert trade.quantity == Decimal("0.5")
    assert venue.order(ACCOUNT, SYMBOL, order_id=resting.order_id).status is OrderStatus.EXPIRED
    assert venue.settings(ACCOUNT, SYMBOL).quantity == 0


def test_reduce_only_is_exempt_from_the_minimum_notional() -> None:
    venue = engine()
    venue.submit(order("buy", "0.01"), at(0))
    with pytest.raises(FilterViolation) as caught:
        venue.submit(order("buy", "0.001"), at(0))  # 20 USDT < 100
    assert caught.value.filter is OrderFilter.MIN_NOTIONAL
    venue.submit(order("sell", "0.001", reduce_only=True), at(0))
    assert venue.settings(ACCOUNT, SYMBOL).quantity == Decimal("0.009")


@pytest.mark.parametrize(
    ("quantity", "price", "broken"),
    [
        ("0.0005", None, OrderFilter.LOT_STEP),
        ("1001", None, OrderFilter.MAX_QUANTITY),
        ("0.01", "19999.95", OrderFilter.TICK_SIZE),
    ],
)
def test_filters(quantity: str, price: str | None, broken: OrderFilter) -> None:
    with pytest.raises(FilterViolation) as caught:
        engine().submit(order("buy", quantity, price), at(0))
    assert caught.value.filter is broken


def test_limit_price_must_stay_within_the_band_around_the_mark() -> None:
    venue = engine()
    with pytest.raises(FuturesRejected) as caught:
        venue.submit(order("buy", "0.01", "21000.1"), at(0))
    assert caught.value.code is FuturesReject.PRICE_ABOVE_BAND
    assert caught.value.limit == Decimal("21000.00")
    with rejected(FuturesReject.PRICE_BELOW_BAND):
        venue.submit(order("sell", "0.01", "18999.9"), at(0))


def test_an_order_the_margin_cannot_carry_is_rejected() -> None:
    venue = engine("100")
    with rejected(FuturesReject.MARGIN_INSUFFICIENT):
        venue.submit(order("buy", "0.2"), at(0))  # 4000 notional needs 200 at 20x
    venue.set_leverage(ACCOUNT, SYMBOL, 125, at(0))
    assert venue.submit(order("buy", "0.2"), at(0)).order.status is OrderStatus.FILLED


def test_resting_orders_tie_up_margin() -> None:
    venue = engine("1000")
    venue.submit(order("buy", "0.9", "19900.0"), at(0))  # 17910 / 20 = 895.5
    assert venue.margin(ACCOUNT).open_order_initial == Decimal("895.5")
    with rejected(FuturesReject.MARGIN_INSUFFICIENT):
        venue.submit(order("buy", "0.11", "19900.0"), at(0))  # 109.45 > 104.5 left


def test_the_reducing_part_of_an_order_needs_no_margin() -> None:
    venue = engine("1000")
    venue.set_leverage(ACCOUNT, SYMBOL, 50, at(0))
    venue.submit(order("buy", "2"), at(0))  # 40k notional: 800 margin at 50x
    venue.set_leverage(ACCOUNT, SYMBOL, 20, at(0))
    result = venue.submit(order("sell", "2"), at(0))  # closing needs nothing
    assert result.order.status is OrderStatus.FILLED


def test_leverage_bounds_and_the_bracket_cap() -> None:
    venue = engine("100000")
    for bad in (0, 126):
        with rejected(FuturesReject.INVALID_LEVERAGE):
            venue.set_leverage(ACCOUNT, SYMBOL, bad, at(0))
    assert venue.set_leverage(ACCOUNT, SYMBOL, 125, at(0)) == Decimal(50000)
    assert venue.set_leverage(ACCOUNT, SYMBOL, 20, at(0)) == Decimal(100_000_000)
    venue.submit(order("buy", "3"), at(0))  # 60k notional: above 50k, the 125x cap
    with rejected(FuturesReject.ABOVE_MAX_NOTIONAL):
        venue.set_leverage(ACCOUNT, SYMBOL, 125, at(0))
    venue.set_leverage(ACCOUNT, SYMBOL, 100, at(0))
    with rejected(FuturesReject.ABOVE_MAX_NOTIONAL):
        venue.submit(order("buy", "29"), at(0))  # 640k at 100x: above 600k


def test_margin_type_changes() -> None:
    venue = engine()
    with rejected(FuturesReject.MARGIN_TYPE_UNCHANGED):
        venue.set_margin_type(ACCOUNT, SYMBOL, MarginType.CROSSED, at(0))
    venue.set_margin_type(ACCOUNT, SYMBOL, MarginType.ISOLATED, at(0))
    resting = venue.submit(order("buy", "0.01", "19000.0"), at(0)).order
    with rejected(FuturesReject.OPEN_ORDERS_EXIST):
        venue.set_margin_type(ACCOUNT, SYMBOL, MarginType.CROSSED, at(0))
    venue.cancel(ACCOUNT, SYMBOL, order_id=resting.order_id, now_ms=at(0))
    venue.submit(order("buy", "0.01"), at(0))
    with rejected(FuturesReject.POSITION_EXISTS):
        venue.set_margin_type(ACCOUNT, SYMBOL, MarginType.CROSSED, at(0))


def test_isolated_margin_is_set_aside_and_released_pro_rata() -> None:
    venue = engine()
    venue.set_margin_type(ACCOUNT, SYMBOL, MarginType.ISOLATED, at(0))
    venue.set_leverage(ACCOUNT, SYMBOL, 10, at(0))
    venue.submit(order("buy", "0.5"), at(0))
    state = venue.settings(ACCOUNT, SYMBOL)
    assert state.isolated_wallet == Decimal("1000.05000000")  # 0.5 x 20001 / 10
    account = venue.account(ACCOUNT)
    assert account.cross_wallet == account.wallet - state.isolated_wallet
    venue.submit(order("sell", "0.25"), at(0))  # at 19999: realises -0.5
    assert state.isolated_wallet == Decimal("499.77500000")  # (1000.05 - 0.5) / 2
    with rejected(FuturesReject.LEVERAGE_REDUCTION_ISOLATED):
        venue.set_leverage(ACCOUNT, SYMBOL, 5, at(0))


def test_duplicate_client_id_unknown_cancel_and_cancel_all() -> None:
    venue = engine()
    venue.submit(order("buy", "0.01", "19000.0", client_id="mine"), at(0))
    with rejected(FuturesReject.DUPLICATE_ORDER):
        venue.submit(order("buy", "0.01", "19000.0", client_id="mine"), at(0))
    with rejected(FuturesReject.UNKNOWN_ORDER):
        venue.cancel(ACCOUNT, SYMBOL, order_id=99, now_ms=at(0))
    venue.submit(order("sell", "0.01", "21000.0"), at(0))
    assert len(venue.cancel_all(ACCOUNT, SYMBOL, at(0))) == 2
    assert venue.open_orders(ACCOUNT) == []
    assert venue.settings(ACCOUNT, SYMBOL).reducible(OrderSide.SELL) == 0

"""Orders the way the execution adapter will place them: client id in, ack, fill, query,
trades, cancel, and the refusals it must tell apart (duplicate, balance, filters)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from binance.exceptions import BinanceAPIException

from ai_engine.domain import OrderStatus

from .venue import BINANCE_STATUS, VenueUnderTest

D = Decimal


def refusal(venue: VenueUnderTest, method: str, **params: Any) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as caught:
        getattr(venue.client, method)(**params)
    return caught.value


def status(venue: VenueUnderTest, client_id: str, symbol: str = "BTCUSDT") -> OrderStatus:
    order = venue.client.get_order(symbol=symbol, origClientOrderId=client_id)
    return BINANCE_STATUS[order["status"]]


def bid(venue: VenueUnderTest, symbol: str = "BTCUSDT") -> Decimal:
    return D(venue.client.get_orderbook_ticker(symbol=symbol)["bidPrice"])


def test_limit_order_ack_then_fill_shows_in_query_and_trades(venue: VenueUnderTest) -> None:
    price = bid(venue) - 5
    ack = venue.client.create_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.1",
        price=str(price), newClientOrderId="c-limit", newOrderRespType="ACK",
    )  # fmt: skip
    assert ack["clientOrderId"] == "c-limit"
    assert status(venue, "c-limit") is OrderStatus.ACCEPTED
    venue.let_market_move(30)
    done = venue.client.get_order(symbol="BTCUSDT", origClientOrderId="c-limit")
    assert BINANCE_STATUS[done["status"]] is OrderStatus.FILLED
    assert (D(done["executedQty"]), D(done["price"])) == (D("0.1"), price)
    trades = venue.client.get_my_trades(symbol="BTCUSDT", orderId=ack["orderId"])
    assert sum(D(t["qty"]) for t in trades) == D("0.1")
    assert {(D(t["price"]), t["isMaker"], t["commissionAsset"]) for t in trades} == {
        (price, True, "BTC")
    }


def test_market_order_fills_and_its_fills_are_its_trades(venue: VenueUnderTest) -> None:
    full = venue.client.create_order(
        symbol="ETHUSDT", side="SELL", type="MARKET", quantity="2", newClientOrderId="c-mkt"
    )
    assert BINANCE_STATUS[full["status"]] is OrderStatus.FILLED
    trades = venue.client.get_my_trades(symbol="ETHUSDT", orderId=full["orderId"])
    assert [t["id"] for t in trades] == [f["tradeId"] for f in full["fills"]]
    assert sum(D(t["quoteQty"]) for t in trades) == D(full["cummulativeQuoteQty"])


def test_cancel_by_client_id_then_cancel_again_is_unknown(venue: VenueUnderTest) -> None:
    venue.client.order_limit_sell(
        symbol="ETHUSDT", quantity="1", price="9999", newClientOrderId="c-cancel"
    )
    canceled = venue.client.cancel_order(symbol="ETHUSDT", origClientOrderId="c-cancel")
    assert BINANCE_STATUS[canceled["status"]] is OrderStatus.CANCELED
    assert venue.client.get_open_orders(symbol="ETHUSDT") == []
    again = refusal(venue, "cancel_order", symbol="ETHUSDT", origClientOrderId="c-cancel")
    assert (again.status_code, again.code) == (400, -2011)


def test_duplicate_client_id_of_an_open_order(venue: VenueUnderTest) -> None:
    order = {"symbol": "BTCUSDT", "quantity": "0.01", "price": "20000", "newClientOrderId": "dup"}
    venue.client.order_limit_buy(**order)
    error = refusal(venue, "order_limit_buy", **order)
    assert (error.status_code, error.code, error.message) == (400, -2010, "Duplicate order sent.")
    assert len(venue.client.get_open_orders(symbol="BTCUSDT")) == 1


def test_insufficient_balance(venue: VenueUnderTest) -> None:
    error = refusal(venue, "order_market_buy", symbol="BTCUSDT", quantity="90")
    assert (error.code, error.message) == (
        -2010, "Account has insufficient balance for requested action.",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("method", "params", "code"),
    [
        ("order_market_buy", {"symbol": "NOPEUSDT", "quantity": "1"}, -1121),
        ("order_market_buy", {"symbol": "BTCUSDT", "quantity": "0.000015"}, -1013),
        ("order_limit_buy", {"symbol": "BTCUSDT", "quantity": "0.01", "price": "1.001"}, -1013),
        ("get_order", {"symbol": "BTCUSDT", "origClientOrderId": "never-sent"}, -2013),
    ],
)
def test_rejections_carry_binance_codes(
    venue: VenueUnderTest, method: str, params: dict[str, str], code: int
) -> None:
    assert refusal(venue, method, **params).code == code


def test_every_status_maps_to_the_domain_and_agrees_with_open_orders(
    venue: VenueUnderTest,
) -> None:
    client = venue.client
    ask = D(client.get_orderbook_ticker(symbol="BTCUSDT")["askPrice"])
    client.order_limit_buy(symbol="BTCUSDT", quantity="0.01", price="20000", newClientOrderId="s1")
    client.order_limit_buy(symbol="BTCUSDT", quantity="0.01", price="20001", newClientOrderId="s2")
    client.cancel_order(symbol="BTCUSDT", origClientOrderId="s2")
    client.order_market_buy(symbol="BTCUSDT", quantity="0.01", newClientOrderId="s3")
    client.order_limit_buy(
        symbol="BTCUSDT", quantity="3", price=str(ask), timeInForce="IOC", newClientOrderId="s4"
    )  # more than the book holds at the ask: part fills, the rest expires
    seen = {o["clientOrderId"]: o["status"] for o in client.get_all_orders(symbol="BTCUSDT")}
    assert seen == {"s1": "NEW", "s2": "CANCELED", "s3": "FILLED", "s4": "EXPIRED"}
    open_ids = {o["clientOrderId"] for o in client.get_open_orders(symbol="BTCUSDT")}
    for client_id, wire_status in seen.items():
        domain = BINANCE_STATUS[wire_status]
        assert domain.is_terminal == (client_id not in open_ids)

"""Error answers as python-binance sees them: ``BinanceAPIException`` with Binance's codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from binance import Client
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import SimConfig, ThreadedSimExchange

from .conftest import KEY, SECRET


def failure(call: Callable[..., Any], **kwargs: Any) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as caught:
        call(**kwargs)
    return caught.value


def test_wrong_secret_is_a_bad_signature(
    sim: ThreadedSimExchange, client_for: Callable[..., Client]
) -> None:
    error = failure(client_for(sim.api_url, secret="not-the-secret").get_account)
    assert (error.status_code, error.code) == (400, -1022)
    assert error.message == "Signature for this request is not valid."


def test_unknown_api_key(sim: ThreadedSimExchange, client_for: Callable[..., Client]) -> None:
    error = failure(client_for(sim.api_url, key="who-is-this").get_open_orders)
    assert (error.status_code, error.code) == (401, -2015)


def test_old_timestamp_is_outside_the_recv_window(client: Client) -> None:
    client.timestamp_offset = -15_000  # python-binance sends recvWindow=10000
    error = failure(client.get_account)
    assert (error.status_code, error.code) == (400, -1021)
    client.timestamp_offset = 0
    assert client.get_account()["canTrade"] is True


@pytest.mark.parametrize(
    ("order", "code", "message"),
    [
        ({"symbol": "DOGEUSDT", "type": "MARKET", "quantity": "1"}, -1121, "Invalid symbol."),
        (
            {"symbol": "BTCUSDT", "type": "MARKET", "quantity": "0.000015"},
            -1013,
            "Filter failure: LOT_SIZE",
        ),
        (
            {"symbol": "BTCUSDT", "type": "MARKET", "quantity": "0.0001"},
            -1013,
            "Filter failure: NOTIONAL",
        ),
        (
            {"symbol": "BTCUSDT", "type": "MARKET", "quantity": "101"},
            -1013,
            "Filter failure: MARKET_LOT_SIZE",
        ),
        (
            {"symbol": "BTCUSDT", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01",
             "price": "20000.001"},
            -1013,
            "Filter failure: PRICE_FILTER",
        ),
        (
            {"symbol": "BTCUSDT", "type": "MARKET", "quantity": "0.000000001"},
            -1111,
            "Precision is over the maximum defined for this asset.",
        ),
        (
            {"symbol": "BTCUSDT", "type": "MARKET", "quantity": "50"},
            -2010,
            "Account has insufficient balance for requested action.",
        ),
        (
            {"symbol": "BTCUSDT", "type": "LIMIT_MAKER", "quantity": "0.01", "price": "99999"},
            -2010,
            "Order would immediately match and take.",
        ),
        (
            {"symbol": "BTCUSDT", "type": "STOP_LOSS_LIMIT", "timeInForce": "GTC",
             "quantity": "0.01", "price": "20000", "stopPrice": "20000"},
            -2010,
            "Order would trigger immediately.",
        ),
        ({"symbol": "BTCUSDT", "type": "LIMIT", "quantity": "1", "price": "1"}, -1102, None),
        ({"symbol": "BTCUSDT", "type": "TRAILING", "quantity": "1"}, -1116, "Invalid orderType."),
    ],
)  # fmt: skip
def test_order_rejections(
    client: Client, order: dict[str, str], code: int, message: str | None
) -> None:
    error = failure(client.create_order, side="BUY", **order)
    assert (error.status_code, error.code) == (400, code)
    if message is not None:
        assert error.message == message


def test_duplicate_client_order_id_of_an_open_order(client: Client) -> None:
    order = {"symbol": "BTCUSDT", "side": "BUY", "quantity": "0.01", "price": "20000"}
    client.order_limit(newClientOrderId="once", **order)
    error = failure(client.order_limit, newClientOrderId="once", **order)
    assert (error.code, error.message) == (-2010, "Duplicate order sent.")


def test_unknown_orders(client: Client) -> None:
    cancel = failure(client.cancel_order, symbol="BTCUSDT", orderId=424242)
    assert (cancel.code, cancel.message) == (-2011, "Unknown order sent.")
    query = failure(client.get_order, symbol="BTCUSDT", origClientOrderId="nope")
    assert (query.code, query.message) == (-2013, "Order does not exist.")
    nothing_open = failure(client.cancel_all_open_orders, symbol="BTCUSDT")
    assert nothing_open.code == -2011
    missing = failure(client.get_order, symbol="BTCUSDT")
    assert missing.code == -1102


def test_bad_public_parameters(client: Client) -> None:
    assert failure(client.get_klines, symbol="BTCUSDT", interval="7m").code == -1120
    assert failure(client.get_klines, symbol="BTCUSDT", interval="1m", limit="x").code == -1100
    assert failure(client.get_order_book, symbol="NOPE").code == -1121
    assert failure(client.get_ticker, symbol="BTCUSDT", junk="1").code == -1104


def test_weight_limit_429_with_retry_after_then_418(
    make_config: Callable[..., SimConfig], client_for: Callable[..., Client]
) -> None:
    with ThreadedSimExchange(make_config(weight_limit=30)) as sim:
        client = client_for(sim.api_url)  # its constructor pings: weight 1
        assert client.response is not None
        assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "1"
        client.get_exchange_info()  # 21
        error = failure(client.get_account)  # 41 > 30
        assert (error.status_code, error.code) == (429, -1003)
        assert 1 <= int(error.response.headers["Retry-After"]) <= 60
        assert error.response.headers["X-MBX-USED-WEIGHT-1M"] == "41"
        banned = failure(client.ping)
        assert (banned.status_code, banned.code) == (418, -1003)
        assert int(banned.response.headers["Retry-After"]) > 60


def test_order_count_limit(
    make_config: Callable[..., SimConfig], client_for: Callable[..., Client]
) -> None:
    with ThreadedSimExchange(make_config(orders_per_day=2)) as sim:
        client = client_for(sim.api_url, KEY, SECRET)
        order = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"}
        client.create_order(**order)
        client.create_order(**order)
        assert client.response is not None
        assert client.response.headers["X-MBX-ORDER-COUNT-1D"] == "2"
        error = failure(client.create_order, **order)
        assert (error.status_code, error.code) == (429, -1015)
        assert error.message == "Too many new orders; current limit is 2 orders per 1 DAY."

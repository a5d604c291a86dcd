"""The dropped response: the order IS placed, the client only sees its connection die.

This is the story the execution worker relies on: it sends every order with a client order id
minted before the send, and after a connection error it asks the venue by that id
(``origClientOrderId``) before doing anything else. Re-sending an id that is still open is
refused with -2010 "Duplicate order sent."; an id whose order already FILLED is accepted again
(Binance: client ids are unique among OPEN orders only), which is why the worker queries first.
"""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest
import requests
from binance import Client
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import RunningSim, ThreadedSimExchange
from simexchange.conftest import make_async_client

from .conftest import inject

DROP_ORDER = {"action": "drop_response", "method": "POST", "path": "/api/v3/order", "times": 1}


def test_dropped_limit_order_exists_and_a_resend_is_a_duplicate(
    client: Client, sim: ThreadedSimExchange
) -> None:
    inject(sim, DROP_ORDER)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.order_limit_buy(
            symbol="BTCUSDT", quantity="0.01", price="20000", newClientOrderId="intent-1"
        )
    placed = client.get_order(symbol="BTCUSDT", origClientOrderId="intent-1")
    assert (placed["status"], placed["price"], placed["origQty"]) == (
        "NEW", "20000.00000000", "0.01000000",
    )  # fmt: skip
    with pytest.raises(BinanceAPIException) as caught:
        client.order_limit_buy(
            symbol="BTCUSDT", quantity="0.01", price="20000", newClientOrderId="intent-1"
        )
    assert (caught.value.status_code, caught.value.code) == (400, -2010)
    assert caught.value.message == "Duplicate order sent."
    assert [o["clientOrderId"] for o in client.get_open_orders()] == ["intent-1"]


def test_dropped_market_order_is_filled_and_found_by_its_client_id(
    client: Client, sim: ThreadedSimExchange
) -> None:
    inject(sim, DROP_ORDER)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.order_market_buy(symbol="ETHUSDT", quantity="1", newClientOrderId="intent-2")
    filled = client.get_order(symbol="ETHUSDT", origClientOrderId="intent-2")
    assert (filled["status"], filled["executedQty"]) == ("FILLED", "1.00000000")
    trades = client.get_my_trades(symbol="ETHUSDT", orderId=filled["orderId"])
    assert sum(Decimal(t["qty"]) for t in trades) == 1
    # No longer open, so Binance would take the same id again: only the query protects us.
    again = client.order_market_buy(symbol="ETHUSDT", quantity="1", newClientOrderId="intent-2")
    assert again["orderId"] != filled["orderId"]


async def test_async_client_sees_a_disconnect_and_recovers_by_query(
    async_sim: RunningSim,
) -> None:
    client = await make_async_client(async_sim.api_url)
    try:
        async with aiohttp.ClientSession() as admin:
            posted = await admin.post(f"{async_sim.base_url}/sim/faults", json=[DROP_ORDER])
            assert posted.status == 201
        with pytest.raises(aiohttp.ClientConnectionError):
            await client.order_limit_sell(
                symbol="BTCUSDT", quantity="0.1", price="90000", newClientOrderId="intent-3"
            )
        placed = await client.get_order(symbol="BTCUSDT", origClientOrderId="intent-3")
        assert placed["status"] == "NEW"
        with pytest.raises(BinanceAPIException) as caught:
            await client.order_limit_sell(
                symbol="BTCUSDT", quantity="0.1", price="90000", newClientOrderId="intent-3"
            )
        assert caught.value.code == -2010
    finally:
        await client.close_connection()

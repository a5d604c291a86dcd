"""OCO order lists through python-binance: ``create_oco_order`` (orderList/oco), the legacy
``order/oco`` spelling, queries, cancels, and the one-cancels-the-other rule over replayed bars."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from binance import Client
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import SimConfig, ThreadedSimExchange, running_sim_exchange

from . import test_fuzz as fuzz
from .conftest import KEY

D = Decimal
LIST_KEYS = {
    "orderListId", "contingencyType", "listStatusType", "listOrderStatus", "listClientOrderId",
    "transactionTime", "symbol", "orders",
}  # fmt: skip


def last(client: Client) -> Decimal:
    return D(client.get_symbol_ticker(symbol="BTCUSDT")["price"])


def sell_oco(client: Client, stop_gap: int = 1, **extra: Any) -> dict[str, Any]:
    price = last(client)
    placed: dict[str, Any] = client.create_oco_order(
        symbol="BTCUSDT", side="SELL", quantity="0.5",
        aboveType="LIMIT_MAKER", abovePrice=str(price + 1000),
        belowType="STOP_LOSS_LIMIT", belowStopPrice=str(price - stop_gap),
        belowPrice=str(price - 30), belowTimeInForce="GTC", **extra,
    )  # fmt: skip
    return placed


def btc(client: Client) -> tuple[Decimal, Decimal]:
    row = next(b for b in client.get_account()["balances"] if b["asset"] == "BTC")
    return D(row["free"]), D(row["locked"])


def leg_statuses(client: Client, placed: dict[str, Any]) -> list[str]:
    return [
        client.get_order(symbol="BTCUSDT", orderId=o["orderId"])["status"] for o in placed["orders"]
    ]


def test_sell_oco_shape_one_lock_and_the_stop_cancels_the_limit(
    client: Client, sim: ThreadedSimExchange
) -> None:
    placed = sell_oco(client, listClientOrderId="my-list", belowClientOrderId="my-stop")
    assert set(placed) == LIST_KEYS | {"orderReports"}
    assert (placed["contingencyType"], placed["listStatusType"], placed["listOrderStatus"]) == (
        "OCO", "EXEC_STARTED", "EXECUTING",
    )  # fmt: skip
    stop, limit = placed["orderReports"]
    assert (stop["type"], stop["clientOrderId"], stop["workingTime"]) == (
        "STOP_LOSS_LIMIT", "my-stop", -1,
    )  # fmt: skip
    assert (limit["type"], limit["status"]) == ("LIMIT_MAKER", "NEW")
    assert {r["orderListId"] for r in placed["orderReports"]} == {placed["orderListId"]}
    assert btc(client) == (D("1.5"), D("0.5"))  # locked once for both legs
    leg = client.get_order(symbol="BTCUSDT", orderId=stop["orderId"])
    assert leg["orderListId"] == placed["orderListId"]
    assert [lst["orderListId"] for lst in client.get_open_oco_orders()] == [placed["orderListId"]]
    sim.advance(bars=30)
    assert leg_statuses(client, placed) == ["FILLED", "CANCELED"]
    done = client.v3_get_order_list(orderListId=placed["orderListId"])
    assert set(done) == LIST_KEYS
    assert (done["listStatusType"], done["listOrderStatus"]) == ("ALL_DONE", "ALL_DONE")
    assert done == client.v3_get_order_list(origClientOrderId="my-list")
    assert client.get_open_oco_orders() == []
    assert btc(client)[1] == 0


def test_buy_oco_limit_fill_cancels_the_stop(client: Client, sim: ThreadedSimExchange) -> None:
    bid, price = D(client.get_orderbook_ticker(symbol="BTCUSDT")["bidPrice"]), last(client)
    placed = client.order_oco_buy(
        symbol="BTCUSDT", quantity="0.1",
        aboveType="STOP_LOSS_LIMIT", aboveStopPrice=str(price + 1000),
        abovePrice=str(price + 1010), aboveTimeInForce="GTC",
        belowType="LIMIT_MAKER", belowPrice=str(bid - 5),
    )  # fmt: skip
    assert [r["type"] for r in placed["orderReports"]] == ["STOP_LOSS_LIMIT", "LIMIT_MAKER"]
    sim.advance(bars=30)
    assert leg_statuses(client, placed) == ["CANCELED", "FILLED"]
    usdt = next(b for b in client.get_account()["balances"] if b["asset"] == "USDT")
    assert (D(usdt["free"]), D(usdt["locked"])) == (100_000 - (bid - 5) * D("0.1"), 0)


def test_legacy_order_oco_spelling(client: Client) -> None:
    price = last(client)
    placed = client._post(  # python-binance 1.0.37 has no method left for the legacy path
        "order/oco", True,
        data={"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.2",
              "price": str(price + 500), "stopPrice": str(price - 500),
              "stopLimitPrice": str(price - 510), "stopLimitTimeInForce": "GTC",
              "limitClientOrderId": "lim", "stopClientOrderId": "stp"},
    )  # fmt: skip
    assert [(r["type"], r["clientOrderId"]) for r in placed["orderReports"]] == [
        ("STOP_LOSS_LIMIT", "stp"), ("LIMIT_MAKER", "lim"),
    ]  # fmt: skip
    assert D(placed["orderReports"][1]["price"]) == price + 500


def test_cancel_the_list_or_one_leg(client: Client) -> None:
    first = sell_oco(client, stop_gap=200)
    canceled = client.v3_delete_order_list(symbol="BTCUSDT", orderListId=first["orderListId"])
    assert canceled["listStatusType"] == "ALL_DONE"
    assert [r["status"] for r in canceled["orderReports"]] == ["CANCELED", "CANCELED"]
    assert btc(client) == (D(2), D(0))
    second = sell_oco(client, stop_gap=200)
    client.cancel_order(symbol="BTCUSDT", orderId=second["orders"][1]["orderId"])
    assert leg_statuses(client, second) == ["CANCELED", "CANCELED"]
    assert client.get_open_orders() == []
    assert btc(client) == (D(2), D(0))
    lists = client.v3_get_all_order_list(fromId=first["orderListId"])
    assert [lst["orderListId"] for lst in lists] == [first["orderListId"], second["orderListId"]]
    assert [lst["orderListId"] for lst in client.v3_get_all_order_list(limit=1)] == [
        second["orderListId"]
    ]


def test_cancel_all_open_orders_takes_both_legs(client: Client) -> None:
    placed = sell_oco(client, stop_gap=200)
    canceled = client.cancel_all_open_orders(symbol="BTCUSDT")
    assert [o["orderId"] for o in canceled] == [o["orderId"] for o in placed["orders"]]
    assert btc(client) == (D(2), D(0))


def refusal(call: Any, **params: Any) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as caught:
        call(**params)
    return caught.value


def test_refusals(client: Client) -> None:
    price = last(client)
    wrong_side = refusal(
        client.create_oco_order, symbol="BTCUSDT", side="SELL", quantity="0.5",
        aboveType="LIMIT_MAKER", abovePrice=str(price - 100),
        belowType="STOP_LOSS_LIMIT", belowStopPrice=str(price - 200),
        belowPrice=str(price - 210), belowTimeInForce="GTC",
    )  # fmt: skip
    assert (wrong_side.code, wrong_side.message) == (
        -2010, "The relationship of the prices for the orders is not correct.",
    )  # fmt: skip
    two_limits = refusal(
        client.create_oco_order, symbol="BTCUSDT", side="SELL", quantity="0.5",
        aboveType="LIMIT_MAKER", abovePrice=str(price + 100),
        belowType="LIMIT_MAKER", belowPrice=str(price - 100),
    )  # fmt: skip
    assert two_limits.code == -1116
    market_stop = refusal(
        client.create_oco_order, symbol="BTCUSDT", side="SELL", quantity="0.5",
        aboveType="LIMIT_MAKER", abovePrice=str(price + 100),
        belowType="STOP_LOSS", belowStopPrice=str(price - 100),
    )  # fmt: skip
    assert market_stop.code == -1116
    too_big = refusal(
        client.create_oco_order, symbol="BTCUSDT", side="SELL", quantity="5",
        aboveType="LIMIT_MAKER", abovePrice=str(price + 100),
        belowType="STOP_LOSS_LIMIT", belowStopPrice=str(price - 100),
        belowPrice=str(price - 110), belowTimeInForce="GTC",
    )  # fmt: skip
    assert too_big.message == "Account has insufficient balance for requested action."
    assert refusal(client.v3_get_order_list, orderListId=99).code == -2013
    assert refusal(client.v3_delete_order_list, symbol="BTCUSDT", orderListId=99).code == -2011
    assert client.get_open_orders() == []


ORDER_LIST_TEMPLATES = [
    ("POST", "/api/v3/orderList/oco",
     "symbol=BTCUSDT&side=SELL&quantity=0.01&aboveType=LIMIT_MAKER&abovePrice=28000"
     "&belowType=STOP_LOSS_LIMIT&belowStopPrice=26000&belowPrice=25900&belowTimeInForce=GTC"),
    ("POST", "/api/v3/orderList/oco",
     "symbol=BTCUSDT&side=BUY&quantity=0.01&aboveType=STOP_LOSS_LIMIT&aboveStopPrice=28000"
     "&abovePrice=28100&aboveTimeInForce=GTC&belowType=LIMIT_MAKER&belowPrice=26000"),
    ("POST", "/api/v3/order/oco",
     "symbol=ETHUSDT&side=SELL&quantity=0.1&price=2000&stopPrice=1500&stopLimitPrice=1490"
     "&stopLimitTimeInForce=GTC"),
    ("GET", "/api/v3/orderList", "orderListId=1"),
    ("DELETE", "/api/v3/orderList", "symbol=BTCUSDT&orderListId=1"),
    ("GET", "/api/v3/allOrderList", "fromId=1&limit=3"),
    ("GET", "/api/v3/openOrderList", ""),
    ("GET", "/api/v3/aggTrades", "symbol=BTCUSDT&startTime=1679529600000&endTime=1679529660000"),
    ("GET", "/api/v3/historicalTrades", "symbol=ETHUSDT&fromId=5"),
]  # fmt: skip
EXTRA_NAMES = [
    "aboveType",
    "belowType",
    "abovePrice",
    "belowStopPrice",
    "belowTimeInForce",
    "listClientOrderId",
    "orderListId",
    "stopLimitPrice",
    "aboveClientOrderId",
]


async def test_random_order_list_and_trade_requests_never_get_a_5xx(
    make_config: Callable[..., SimConfig],
) -> None:
    rng = random.Random(7)
    config = make_config(weight_limit=10**9, orders_per_10s=10**9, orders_per_day=10**9)
    statuses: Counter[int] = Counter()
    names = [*fuzz.NAMES, *EXTRA_NAMES]
    async with running_sim_exchange(config) as sim, aiohttp.ClientSession() as session:
        for _ in range(600):
            method, path, query = rng.choice(ORDER_LIST_TEMPLATES)
            pairs = [tuple(item.split("=", 1)) for item in query.split("&") if item]
            for _ in range(rng.randint(0, 2)):
                if pairs and rng.random() < 0.5:
                    index = rng.randrange(len(pairs))
                    pairs[index] = (pairs[index][0], rng.choice(fuzz.VALUES))
                elif pairs and rng.random() < 0.5:
                    pairs.pop(rng.randrange(len(pairs)))
                else:
                    pairs.append((rng.choice(names), rng.choice(fuzz.VALUES)))
            text = fuzz.signed(fuzz.encode(pairs))  # type: ignore[arg-type]
            headers = {"X-MBX-APIKEY": KEY}
            in_body = method != "GET"
            url = f"{sim.base_url}{path}" + ("" if in_body else f"?{text}")
            body = text.encode() if in_body else None
            async with session.request(method, url, data=body, headers=headers) as response:
                statuses[response.status] += 1
                assert response.status < 500, (method, url, body, await response.text())
    assert statuses[200] > 50

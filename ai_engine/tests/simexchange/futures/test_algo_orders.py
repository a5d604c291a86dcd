"""Conditional orders through python-binance 1.0.37, which sends STOP_MARKET,
TAKE_PROFIT_MARKET and TRAILING_STOP_MARKET to ``/fapi/v1/algoOrder`` (``clientAlgoId``,
``stopPrice`` renamed ``triggerPrice``). Triggers come from the replayed real bars; where a test
predicts when an order fires it recomputes that from the klines the server serves."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import pytest
from binance import Client
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import ThreadedSimExchange

from .conftest import FIRST_CLOSE, MINUTE

TICK = Decimal("0.1")


def stop(client: Client, **params: Any) -> dict[str, Any]:
    return client.futures_create_order(symbol="BTCUSDT", **params)  # type: ignore[no-any-return]


def bars(client: Client, count: int) -> list[list[Any]]:
    return client.futures_klines(symbol="BTCUSDT", interval="1m", limit=count)  # type: ignore[no-any-return]


def long(client: Client) -> None:
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.05")


def test_stop_market_fires_on_the_first_bar_that_reaches_it(
    fsim: ThreadedSimExchange, fclient: Client
) -> None:
    long(fclient)
    placed = stop(fclient, side="SELL", type="STOP_MARKET", stopPrice="108800", closePosition=True)
    assert (placed["algoStatus"], placed["orderType"], placed["triggerPrice"]) == (
        "NEW", "STOP_MARKET", "108800.00",
    )  # fmt: skip
    assert placed["clientAlgoId"].startswith("x-Cb7ytekJ")
    open_algos = fclient.futures_get_open_orders(conditional=True)  # /fapi/v1/openAlgoOrders
    assert [a["algoId"] for a in open_algos] == [placed["algoId"]]
    fsim.advance(bars=60)
    rows = bars(fclient, 61)
    first = next(row for row in rows if row[0] >= FIRST_CLOSE and Decimal(row[3]) <= 108800)
    fired = fclient.futures_get_order(symbol="BTCUSDT", algoId=placed["algoId"])
    assert fired["algoStatus"] == "FINISHED"
    assert fired["triggerTime"] == first[6] + 1  # the close of that bar
    child = fclient.futures_get_order(symbol="BTCUSDT", orderId=int(fired["actualOrderId"]))
    assert (child["status"], child["origType"], child["type"]) == (
        "FILLED",
        "STOP_MARKET",
        "MARKET",
    )
    assert child["closePosition"] is True
    assert child["stopPrice"] == "108800.00"
    assert Decimal(child["avgPrice"]) == Decimal("108794.5")  # best bid around the trigger
    assert fired["actualPrice"] == "108794.50"
    assert fired["actualQty"] == "0.050"
    assert fclient.futures_position_information(symbol="BTCUSDT") == []
    assert fclient.futures_get_open_orders(conditional=True) == []


def test_take_profit_market_on_the_mark_price(fsim: ThreadedSimExchange, fclient: Client) -> None:
    long(fclient)
    placed = stop(
        fclient, side="SELL", type="TAKE_PROFIT_MARKET", stopPrice="109600", quantity="0.05",
        reduceOnly="true", workingType="MARK_PRICE",
    )  # fmt: skip
    fsim.advance(bars=80)
    rows = bars(fclient, 81)
    # MARK_PRICE: the first close at or above the trigger, not the first high.
    by_close = next(row for row in rows if row[0] >= FIRST_CLOSE and Decimal(row[4]) >= 109600)
    by_high = next(row for row in rows if row[0] >= FIRST_CLOSE and Decimal(row[2]) >= 109600)
    assert by_close[0] != by_high[0]
    fired = fclient.futures_get_order(symbol="BTCUSDT", clientAlgoId=placed["clientAlgoId"])
    assert fired["triggerTime"] == by_close[6] + 1
    assert fired["workingType"] == "MARK_PRICE"


def trailing_fire(rows: list[list[Any]], extreme: Decimal, rate: Decimal) -> tuple[int, Decimal]:
    """(close time, trigger) where a sell trailing stop from ``extreme`` fires, by the rule:
    test the bar against the extreme so far, then move the extreme to the bar's high."""
    for row in rows:
        if row[0] < FIRST_CLOSE:
            continue
        trigger = (extreme * (1 - rate / 100) / TICK).to_integral_value(ROUND_FLOOR) * TICK
        if Decimal(row[3]) <= trigger:
            return row[6] + 1, trigger
        extreme = max(extreme, Decimal(row[2]))
    raise AssertionError("never fired")


def test_trailing_stop_follows_the_highest_price(
    fsim: ThreadedSimExchange, fclient: Client
) -> None:
    long(fclient)
    placed = stop(
        fclient, side="SELL", type="TRAILING_STOP_MARKET", quantity="0.05", callbackRate="0.5",
        reduceOnly="true",
    )  # fmt: skip
    assert placed["callbackRate"] == "0.5"
    assert placed["triggerPrice"] == "0.00"
    fsim.advance(bars=600)
    fired_at, trigger = trailing_fire(bars(fclient, 601), Decimal("108901.4"), Decimal("0.5"))
    fired = fclient.futures_get_order(symbol="BTCUSDT", algoId=placed["algoId"])
    assert fired["algoStatus"] == "FINISHED"
    assert (fired["triggerTime"], Decimal(fired["triggerPrice"])) == (fired_at, trigger)
    assert trigger > Decimal("108901.4") * Decimal("0.995")  # it did trail upwards


def test_trailing_stop_with_an_activation_price(fsim: ThreadedSimExchange, fclient: Client) -> None:
    long(fclient)
    placed = stop(
        fclient, side="SELL", type="TRAILING_STOP_MARKET", quantity="0.05", callbackRate="0.2",
        activationPrice="109500", reduceOnly="true",  # python-binance keeps the old name
    )  # fmt: skip
    assert placed["activatePrice"] == "109500.00"
    fsim.advance(bars=300)
    rows = bars(fclient, 301)
    activated = next(i for i, row in enumerate(rows) if row[0] >= FIRST_CLOSE
                     and Decimal(row[2]) >= 109500)  # fmt: skip
    fired_at, trigger = trailing_fire(
        rows[activated + 1 :], Decimal(rows[activated][2]), Decimal("0.2")
    )
    fired = fclient.futures_get_order(symbol="BTCUSDT", algoId=placed["algoId"])
    assert (fired["triggerTime"], Decimal(fired["triggerPrice"])) == (fired_at, trigger)


def test_cancel_list_and_cancel_all(fclient: Client) -> None:
    first = stop(fclient, side="SELL", type="STOP_MARKET", stopPrice="100000", quantity="0.01")
    stop(fclient, side="BUY", type="STOP_MARKET", stopPrice="120000", quantity="0.01")
    canceled = fclient.futures_cancel_order(symbol="BTCUSDT", algoId=first["algoId"])
    assert canceled == {"algoId": first["algoId"], "clientAlgoId": first["clientAlgoId"],
                        "code": "200", "msg": "success"}  # fmt: skip
    assert len(fclient.futures_get_open_algo_orders(symbol="BTCUSDT")) == 1
    done = fclient.futures_cancel_all_open_orders(symbol="BTCUSDT", conditional=True)
    assert done["code"] == 200
    every = fclient.futures_get_all_orders(symbol="BTCUSDT", conditional=True)
    assert [a["algoStatus"] for a in every] == ["CANCELED", "CANCELED"]
    assert fclient.futures_get_all_algo_orders(symbol="BTCUSDT", limit=1)[0]["algoId"] == 2


def error(call: Callable[[], Any]) -> int:
    with pytest.raises(BinanceAPIException) as caught:
        call()
    return caught.value.code


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"side": "SELL", "type": "STOP_MARKET", "stopPrice": "109000", "quantity": "0.01"}, -2021),
        ({"side": "SELL", "type": "TAKE_PROFIT_MARKET", "stopPrice": "108000",
          "quantity": "0.01"}, -2021),
        ({"side": "SELL", "type": "STOP_MARKET", "stopPrice": "108000", "quantity": "0.01",
          "closePosition": "true"}, -4137),
        ({"side": "SELL", "type": "STOP_MARKET", "quantity": "0.01"}, -1102),
        ({"side": "SELL", "type": "STOP_MARKET", "stopPrice": "108000"}, -1102),
        ({"side": "SELL", "type": "TRAILING_STOP_MARKET", "quantity": "0.01",
          "callbackRate": "6"}, -1130),
        ({"side": "SELL", "type": "TRAILING_STOP_MARKET", "quantity": "0.01",
          "callbackRate": "1", "activationPrice": "108000"}, -2021),
        ({"side": "SELL", "type": "STOP_MARKET", "stopPrice": "108000.05",
          "quantity": "0.01"}, -4014),
        ({"side": "SELL", "type": "STOP_MARKET", "stopPrice": "108000", "quantity": "0.0005"},
         -1111),
        ({"side": "SELL", "type": "STOP", "stopPrice": "108000", "quantity": "0.01",
          "price": "108000"}, -1116),  # STOP/TAKE_PROFIT (limit) are not simulated
        ({"side": "SELL", "type": "STOP_MARKET", "stopPrice": "108000", "quantity": "0.01",
          "workingType": "INDEX_PRICE"}, -4031),
    ],
)  # fmt: skip
def test_algo_order_errors(fclient: Client, params: dict[str, Any], code: int) -> None:
    assert error(lambda: stop(fclient, **params)) == code


def test_unknown_algo_orders(fclient: Client) -> None:
    assert error(lambda: fclient.futures_get_order(symbol="BTCUSDT", algoId=9)) == -2013
    assert error(lambda: fclient.futures_cancel_algo_order(symbol="BTCUSDT", algoId=9)) == -2011
    assert error(lambda: fclient.futures_get_algo_order(symbol="BTCUSDT")) == -1102


def test_eligible_only_from_the_next_bar(fsim: ThreadedSimExchange, fclient: Client) -> None:
    """An algo order placed at a bar's close is judged by the bars that open after it."""
    fsim.advance(ms=MINUTE // 2)  # mid-bar: the bar in progress is not closed yet
    long(fclient)
    placed = stop(fclient, side="SELL", type="STOP_MARKET", stopPrice="108850", quantity="0.05",
                  reduceOnly="true")  # fmt: skip
    assert placed["createTime"] == FIRST_CLOSE + MINUTE // 2
    fsim.advance(bars=1)
    rows = bars(fclient, 2)
    assert Decimal(rows[-1][3]) <= 108882  # that bar went below 108882.2 but not to the trigger
    assert (
        fclient.futures_get_order(symbol="BTCUSDT", algoId=placed["algoId"])["algoStatus"] == "NEW"
    )

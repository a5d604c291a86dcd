"""Orders, positions, leverage, margin type, account, balance, income and trades through
python-binance 1.0.37's futures methods (sync Client), with Binance's error answers.

At the start the book is around the first close 108901.4: best bid 108895.9, best ask 108906.9.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from binance import Client
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import SimConfig, ThreadedSimExchange

from .conftest import FIRST_CLOSE, WALLET

ASK, BID = Decimal("108906.9"), Decimal("108895.9")


def buy(client: Client, quantity: str = "0.05", **extra: Any) -> dict[str, Any]:
    return client.futures_create_order(  # type: ignore[no-any-return]
        symbol="BTCUSDT", side="BUY", type="MARKET", quantity=quantity, **extra
    )


def code_of(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(BinanceAPIException) as caught:
        call()
    return caught.value.code, caught.value.message


def test_market_order_ack_then_query(fclient: Client) -> None:
    ack = buy(fclient)  # newOrderRespType defaults to ACK, as on Binance
    assert (ack["status"], ack["executedQty"], ack["origQty"]) == ("NEW", "0.000", "0.050")
    assert ack["clientOrderId"].startswith("x-Cb7ytekJ")  # python-binance's futures prefix
    found = fclient.futures_get_order(symbol="BTCUSDT", orderId=ack["orderId"])
    assert (found["status"], found["executedQty"]) == ("FILLED", "0.050")
    assert Decimal(found["avgPrice"]) == ASK
    assert found["time"] == FIRST_CLOSE  # replay time


def test_positions_account_balance_income_and_trades(fclient: Client) -> None:
    result = buy(fclient, newOrderRespType="RESULT")
    assert result["status"] == "FILLED"
    assert result["cumQuote"] == "5445.34500"
    fee = Decimal("2.72267250")  # 0.05 % of 5445.345
    (position,) = fclient.futures_position_information(symbol="BTCUSDT")  # /fapi/v3
    assert position["positionAmt"] == "0.050"
    assert Decimal(position["entryPrice"]) == ASK
    assert Decimal(position["unRealizedProfit"]) == Decimal("0.05") * (Decimal("108901.4") - ASK)
    assert Decimal(position["positionInitialMargin"]) == Decimal("272.2535")  # 5445.07 / 20
    assert Decimal(position["maintMargin"]) == Decimal("21.78028")  # 0.4 %
    (balance,) = fclient.futures_account_balance()  # /fapi/v3
    assert Decimal(balance["balance"]) == WALLET - fee
    account = fclient.futures_account()  # /fapi/v2
    assert Decimal(account["totalWalletBalance"]) == WALLET - fee
    assert Decimal(account["availableBalance"]) == WALLET - fee - Decimal("0.275") - Decimal(
        "272.2535"
    )
    assert [p["symbol"] for p in account["positions"]] == ["BTCUSDT"]
    (trade,) = fclient.futures_account_trades(symbol="BTCUSDT")
    assert (trade["buyer"], trade["maker"], Decimal(trade["commission"])) == (True, False, fee)
    (income,) = fclient.futures_income_history(symbol="BTCUSDT")
    assert (income["incomeType"], Decimal(income["income"])) == ("COMMISSION", -fee)
    sold = fclient.futures_create_order(
        symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.05", reduceOnly=True,
        newOrderRespType="RESULT",
    )  # fmt: skip
    assert sold["status"] == "FILLED"
    realised = fclient.futures_income_history(incomeType="REALIZED_PNL")
    assert Decimal(realised[0]["income"]) == Decimal("0.05") * (BID - ASK)
    assert fclient.futures_position_information() == []  # v3 lists open positions only
    v2 = fclient.futures_position_information(version=2)
    assert v2[0]["positionAmt"] == "0.000"
    assert v2[0]["leverage"] == "20"
    v3 = fclient.futures_account(version=3)
    assert v3["positions"] == []
    assert "assets" in v3


def test_limit_orders_rest_and_cancel(fsim: ThreadedSimExchange, fclient: Client) -> None:
    common = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
    first = fclient.futures_create_order(**common, quantity="0.01", price="108000")
    second = fclient.futures_create_order(**common, quantity="0.01", price="107000.5")
    assert first["status"] == "NEW"
    assert first["price"] == "108000.00"
    assert len(fclient.futures_get_open_orders(symbol="BTCUSDT")) == 2
    canceled = fclient.futures_cancel_order(symbol="BTCUSDT", orderId=first["orderId"])
    assert canceled["status"] == "CANCELED"
    (margin,) = fclient.futures_position_information(symbol="BTCUSDT")  # an open order counts
    assert Decimal(margin["openOrderInitialMargin"]) == Decimal("53.50025")
    assert fclient.futures_cancel_all_open_orders(symbol="BTCUSDT")["code"] == 200
    assert fclient.futures_get_open_orders() == []
    statuses = [o["status"] for o in fclient.futures_get_all_orders(symbol="BTCUSDT")]
    assert statuses == ["CANCELED", "CANCELED"]
    assert second["clientOrderId"] != first["clientOrderId"]


def test_leverage_and_margin_type(fclient: Client) -> None:
    changed = fclient.futures_change_leverage(symbol="BTCUSDT", leverage=125)
    assert changed == {"leverage": 125, "maxNotionalValue": "50000", "symbol": "BTCUSDT"}
    assert fclient.futures_change_margin_type(symbol="BTCUSDT", marginType="ISOLATED") == {
        "code": 200, "msg": "success",
    }  # fmt: skip
    assert code_of(lambda: fclient.futures_change_margin_type(
        symbol="BTCUSDT", marginType="ISOLATED"))[0] == -4046  # fmt: skip
    buy(fclient, "0.01")
    assert code_of(lambda: fclient.futures_change_margin_type(
        symbol="BTCUSDT", marginType="CROSSED"))[0] == -4048  # fmt: skip
    (position,) = fclient.futures_position_information(symbol="BTCUSDT")
    assert Decimal(position["isolatedWallet"]) == Decimal("8.71255200")  # 1089.069 / 125
    assert code_of(lambda: fclient.futures_change_leverage(symbol="BTCUSDT", leverage=200)) == (
        -4028, "Leverage 200 is not valid",
    )  # fmt: skip


def test_margin_insufficient_and_reduce_only(
    make_fconfig: Callable[..., SimConfig], fclient_for: Callable[..., Client]
) -> None:
    with ThreadedSimExchange(make_fconfig(wallet=Decimal(100))) as sim:
        client = fclient_for(sim.base_url)
        assert code_of(lambda: buy(client, "0.05")) == (-2019, "Margin is insufficient.")
        assert code_of(
            lambda: client.futures_create_order(
                symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.01", reduceOnly="true"
            )
        ) == (-2022, "ReduceOnly Order is rejected.")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"type": "MARKET", "quantity": "0"}, -4003),
        ({"type": "MARKET", "quantity": "0.0001"}, -1111),
        ({"type": "MARKET", "quantity": "121"}, -4005),
        ({"type": "MARKET", "quantity": "1001"}, -4005),
        ({"type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "108000.055"}, -1111),
        ({"type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001", "price": "99000"}, -4164),
        ({"type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "500"}, -4013),
        ({"type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "108000.05"}, -4014),
        ({"type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "200000"}, -4016),
        ({"type": "LIMIT", "timeInForce": "GTX", "quantity": "0.01", "price": "109000"}, -5022),
        ({"type": "LIMIT", "timeInForce": "GTD", "quantity": "0.01", "price": "108000"}, -1115),
        ({"type": "LIMIT", "quantity": "0.01", "price": "108000"}, -1102),
        ({"type": "MARKET", "quantity": "0.01", "price": "108000"}, -1106),
        ({"type": "MARKET", "quantity": "0.01", "positionSide": "LONG"}, -4061),
        ({"type": "OCO", "quantity": "0.01"}, -1116),
        ({"type": "MARKET", "quantity": "0.01", "symbol": "ETHUSDT"}, -1121),
        ({"type": "MARKET", "quantity": "0.01", "newOrderRespType": "FULL"}, -1136),
    ],
)
def test_new_order_errors(fclient: Client, params: dict[str, Any], code: int) -> None:
    arguments = {"symbol": "BTCUSDT", "side": "BUY", **params}
    assert code_of(lambda: fclient.futures_create_order(**arguments))[0] == code


def test_order_lookup_and_cancel_errors(fclient: Client) -> None:
    assert code_of(lambda: fclient.futures_get_order(symbol="BTCUSDT", orderId=42)) == (
        -2013, "Order does not exist.",
    )  # fmt: skip
    assert code_of(lambda: fclient.futures_cancel_order(symbol="BTCUSDT", orderId=42))[0] == -2011
    assert code_of(lambda: fclient.futures_get_order(symbol="BTCUSDT"))[0] == -1102
    fclient.futures_create_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
        price="100000", newClientOrderId="same",
    )  # fmt: skip
    assert code_of(
        lambda: fclient.futures_create_order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
            price="100000", newClientOrderId="same",
        )
    )[0] == -4116  # fmt: skip
    found = fclient.futures_get_order(symbol="BTCUSDT", origClientOrderId="same")
    assert found["status"] == "NEW"


def test_signed_requests_are_checked(
    fsim: ThreadedSimExchange, fclient_for: Callable[..., Client]
) -> None:
    wrong = fclient_for(fsim.base_url, secret="not-the-secret")
    assert code_of(lambda: wrong.futures_account())[0] == -1022
    stranger = fclient_for(fsim.base_url, key="nobody")
    assert code_of(lambda: stranger.futures_account_balance())[0] == -2015


def test_test_orders_check_without_trading(fclient: Client) -> None:
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"}
    assert fclient.futures_create_test_order(**order, quantity="0.01") == {}
    assert code_of(lambda: fclient.futures_create_test_order(**order, quantity="200"))[0] == -4005
    assert (
        code_of(
            lambda: fclient.futures_create_test_order(**order, quantity="0.01", reduceOnly="true")
        )[0]
        == -2022
    )
    assert fclient.futures_get_all_orders(symbol="BTCUSDT") == []

"""The real python-binance sync ``Client`` against the simulated exchange, end to end.

Only ``API_URL`` differs from a client talking to Binance. The clock is manual: the tests
move it with ``sim.advance`` and the replay data decide what fills.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from binance import Client

from ai_engine.simexchange import ThreadedSimExchange

FIRST_OPEN = 1_679_529_600_000
D = Decimal


def balances(client: Client) -> dict[str, tuple[Decimal, Decimal]]:
    return {
        row["asset"]: (D(row["free"]), D(row["locked"])) for row in client.get_account()["balances"]
    }


def test_public_market_data(client: Client, sim: ThreadedSimExchange) -> None:
    assert client.ping() == {}
    assert abs(client.get_server_time()["serverTime"] - time.time() * 1000) < 5_000  # wall clock
    info = client.get_symbol_info("BTCUSDT")
    assert info is not None
    filters = {f["filterType"]: f for f in info["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001000"
    assert filters["NOTIONAL"]["minNotional"] == "5.00000000"
    sim.advance(bars=9)
    klines = client.get_klines(symbol="BTCUSDT", interval="1m")
    assert [row[0] for row in klines] == [FIRST_OPEN + i * 60_000 for i in range(10)]
    assert klines[0][1:5] == [
        "27250.97000000",
        "27256.77000000",
        "27238.00000000",
        "27250.01000000",
    ]
    assert client.get_klines(symbol="ETHUSDT", interval="5m") == [  # whole closed buckets only
        client.get_klines(symbol="ETHUSDT", interval="5m", endTime=FIRST_OPEN)[0],
        client.get_klines(symbol="ETHUSDT", interval="5m", limit=1)[0],
    ]
    book = client.get_order_book(symbol="BTCUSDT", limit=5)
    assert len(book["bids"]) == len(book["asks"]) == 5
    assert D(book["bids"][0][0]) < D(client.get_symbol_ticker(symbol="BTCUSDT")["price"])
    top = client.get_orderbook_ticker(symbol="BTCUSDT")
    assert [top["bidPrice"], top["askPrice"]] == [book["bids"][0][0], book["asks"][0][0]]
    day = client.get_ticker(symbol="ETHUSDT")
    assert day["openTime"] == FIRST_OPEN
    assert day["lastPrice"] == client.get_symbol_ticker(symbol="ETHUSDT")["price"]
    assert {row["symbol"] for row in client.get_all_tickers()} == {"BTCUSDT", "ETHUSDT"}
    listed = client.get_orderbook_ticker(symbols='["ETHUSDT"]')  # `symbols`: always a list
    assert [row["symbol"] for row in listed] == ["ETHUSDT"]
    assert len(client.get_ticker(symbols='["BTCUSDT","ETHUSDT"]')) == 2


def test_market_orders_full_result_ack_and_quote_quantity(client: Client) -> None:
    full = client.create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.5")
    assert full["status"] == "FILLED"
    assert full["clientOrderId"].startswith("x-HNA2TXFJ")
    assert sum(D(f["qty"]) for f in full["fills"]) == D("0.5")
    assert all(f["commissionAsset"] == "BTC" for f in full["fills"])
    quote = client.order_market_sell(
        symbol="BTCUSDT", quoteOrderQty="1000", newOrderRespType="RESULT"
    )
    assert (quote["status"], quote["origQuoteOrderQty"]) == ("FILLED", "1000.00000000")
    assert D(quote["cummulativeQuoteQty"]) <= 1000
    assert "fills" not in quote
    ack = client.create_order(
        symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1", newOrderRespType="ACK"
    )
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    held = balances(client)
    fees = sum(D(f["commission"]) for f in full["fills"])
    assert held["BTC"][0] == 2 + D("0.5") - fees - D(quote["executedQty"])
    trades = client.get_my_trades(symbol="BTCUSDT")
    assert [t["orderId"] for t in trades] == [full["orderId"]] * len(full["fills"]) + [
        quote["orderId"]
    ] * (len(trades) - len(full["fills"]))
    assert not any(t["isMaker"] for t in trades)


def test_resting_limit_order_lifecycle(client: Client, sim: ThreadedSimExchange) -> None:
    bid = D(client.get_orderbook_ticker(symbol="BTCUSDT")["bidPrice"])
    order = client.order_limit_buy(symbol="BTCUSDT", quantity="0.1", price=str(bid - 5))
    assert order["status"] == "NEW"
    assert order["fills"] == []
    assert balances(client)["USDT"][1] == (bid - 5) * D("0.1")
    assert [o["orderId"] for o in client.get_open_orders(symbol="BTCUSDT")] == [order["orderId"]]
    fills = sim.advance(bars=30)
    assert [f.order_id for f in fills] == [order["orderId"]]
    done = client.get_order(symbol="BTCUSDT", orderId=order["orderId"])
    assert (done["status"], done["executedQty"], done["price"]) == (
        "FILLED",
        "0.10000000",
        order["price"],
    )
    (trade,) = client.get_my_trades(symbol="BTCUSDT")
    assert (trade["isMaker"], trade["isBuyer"], trade["price"]) == (True, True, order["price"])
    assert client.get_open_orders() == []


def test_cancel_query_and_cancel_all(client: Client) -> None:
    ask = D(client.get_orderbook_ticker(symbol="ETHUSDT")["askPrice"])
    one = client.order_limit_sell(
        symbol="ETHUSDT", quantity="1", price=str(ask + 50), newClientOrderId="sell-1"
    )
    client.order_limit_sell(symbol="ETHUSDT", quantity="2", price=str(ask + 60))
    assert (
        client.get_order(symbol="ETHUSDT", origClientOrderId="sell-1")["orderId"] == one["orderId"]
    )
    canceled = client.cancel_order(symbol="ETHUSDT", origClientOrderId="sell-1")
    assert (canceled["status"], canceled["origClientOrderId"]) == ("CANCELED", "sell-1")
    assert balances(client)["ETH"] == (D(18), D(2))
    rest = client.cancel_all_open_orders(symbol="ETHUSDT")
    assert [o["status"] for o in rest] == ["CANCELED"]
    assert balances(client)["ETH"] == (D(20), D(0))
    history = client.get_all_orders(symbol="ETHUSDT")
    assert [o["status"] for o in history] == ["CANCELED", "CANCELED"]
    assert client.get_all_orders(symbol="ETHUSDT", orderId=history[1]["orderId"]) == history[1:]


def test_time_in_force_and_limit_maker(client: Client) -> None:
    ask = D(client.get_orderbook_ticker(symbol="BTCUSDT")["askPrice"])
    ioc = client.order_limit_buy(symbol="BTCUSDT", quantity="3", price=str(ask), timeInForce="IOC")
    assert ioc["status"] == "EXPIRED"
    assert D(ioc["executedQty"]) > 0
    fok = client.order_limit_buy(symbol="BTCUSDT", quantity="1", price=str(ask), timeInForce="FOK")
    assert (fok["status"], fok["executedQty"]) == ("EXPIRED", "0.00000000")  # level is gone
    maker = client.create_order(
        symbol="BTCUSDT", side="SELL", type="LIMIT_MAKER", quantity="0.1",
        price=str(ask + 100), newOrderRespType="RESULT",
    )  # fmt: skip
    assert (maker["status"], maker["type"]) == ("NEW", "LIMIT_MAKER")


def test_stop_loss_and_take_profit_limits(client: Client, sim: ThreadedSimExchange) -> None:
    last = D(client.get_symbol_ticker(symbol="BTCUSDT")["price"])
    stop = client.create_order(
        symbol="BTCUSDT", side="SELL", type="STOP_LOSS_LIMIT", timeInForce="GTC",
        quantity="0.2", stopPrice=str(last - 1), price=str(last - 30),
    )  # fmt: skip
    profit = client.create_order(
        symbol="BTCUSDT", side="SELL", type="TAKE_PROFIT_LIMIT", timeInForce="GTC",
        quantity="0.2", stopPrice=str(last + 1000), price=str(last + 1000),
    )  # fmt: skip
    assert set(stop) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    waiting = client.get_order(symbol="BTCUSDT", orderId=stop["orderId"])
    assert (waiting["status"], waiting["isWorking"], waiting["workingTime"]) == ("NEW", False, -1)
    assert waiting["type"] == "STOP_LOSS_LIMIT"
    assert balances(client)["BTC"] == (D("1.6"), D("0.4"))
    sim.advance(bars=30)
    fired = client.get_order(symbol="BTCUSDT", orderId=stop["orderId"])
    assert (fired["status"], fired["isWorking"]) == ("FILLED", True)
    idle = client.get_order(symbol="BTCUSDT", orderId=profit["orderId"])
    assert (idle["status"], idle["isWorking"]) == ("NEW", False)


def test_test_order_validates_without_trading(client: Client) -> None:
    assert client.create_test_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
        quantity="0.001", price="20000",
    ) == {}  # fmt: skip
    assert client.get_all_orders(symbol="BTCUSDT") == []


def test_account_shape_and_fees(client: Client) -> None:
    account = client.get_account()
    assert account["canTrade"] is True
    assert account["commissionRates"] == {
        "maker": "0.00100000",
        "taker": "0.00100000",
        "buyer": "0.00000000",
        "seller": "0.00000000",
    }
    assert (account["makerCommission"], account["takerCommission"]) == (10, 10)
    assert balances(client) == {
        "BTC": (D(2), D(0)),
        "ETH": (D(20), D(0)),
        "USDT": (D(100_000), D(0)),
    }


@pytest.mark.parametrize("omit", ["true", "false"])
def test_account_can_omit_zero_balances(client: Client, omit: str) -> None:
    client.create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="20")
    assets = {b["asset"] for b in client.get_account(omitZeroBalances=omit)["balances"]}
    assert assets == ({"BTC", "USDT"} if omit == "true" else {"BTC", "ETH", "USDT"})

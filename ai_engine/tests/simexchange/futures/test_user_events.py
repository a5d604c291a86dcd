"""User data events on the bus channel ``user:usdm:<api key>``: ORDER_TRADE_UPDATE,
ACCOUNT_UPDATE, ALGO_UPDATE and ACCOUNT_CONFIG_UPDATE in Binance's field names. Read straight
from the bus (delivery over WebSocket is the streams package's job)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from binance import Client

from ai_engine.simexchange import ThreadedSimExchange
from ai_engine.simexchange.streams.bus import user_channel
from simexchange.conftest import KEY

from .conftest import FIRST_CLOSE

ORDER_KEYS = {
    "s", "c", "S", "o", "f", "q", "p", "ap", "sp", "x", "X", "i", "l", "z", "L", "T", "t", "b",
    "a", "m", "R", "wt", "ot", "ps", "cp", "pP", "si", "ss", "rp", "V", "pm", "gtd",
}  # fmt: skip
POSITION_KEYS = {"s", "pa", "ep", "bep", "cr", "up", "mt", "iw", "ps"}
ALGO_KEYS = {
    "caid", "aid", "at", "o", "s", "S", "ps", "f", "q", "X", "ai", "ap", "aq", "act", "tp", "p",
    "V", "wt", "pm", "cp", "pP", "R", "tt", "gtd",
}  # fmt: skip


@pytest.fixture
def events(fsim: ThreadedSimExchange) -> Callable[[], list[dict[str, Any]]]:
    queue: asyncio.Queue[Any] = fsim.call(lambda ex: ex.bus.subscribe(user_channel("usdm", KEY)))

    def drain() -> list[dict[str, Any]]:
        return fsim.call(lambda ex: [queue.get_nowait() for _ in range(queue.qsize())])

    return drain


def test_a_market_order_publishes_new_trade_and_the_account(
    events: Callable[[], list[dict[str, Any]]], fclient: Client
) -> None:
    fclient.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.05")
    new, trade, account = events()
    assert (new["e"], new["o"]["x"], new["o"]["X"]) == ("ORDER_TRADE_UPDATE", "NEW", "NEW")
    assert (trade["o"]["x"], trade["o"]["X"], trade["o"]["l"]) == ("TRADE", "FILLED", "0.050")
    assert set(trade["o"]) == ORDER_KEYS | {"N", "n"}  # commission: only with a trade
    assert (trade["o"]["N"], trade["o"]["n"]) == ("USDT", "2.72267250")
    assert set(new["o"]) == ORDER_KEYS
    assert trade["E"] == trade["T"] == FIRST_CLOSE
    assert (account["e"], account["a"]["m"]) == ("ACCOUNT_UPDATE", "ORDER")
    (balance,) = account["a"]["B"]
    assert balance == {
        "a": "USDT",
        "wb": "9997.27732750",
        "cw": "9997.27732750",
        "bc": "0.00000000",
    }
    (position,) = account["a"]["P"]
    assert set(position) == POSITION_KEYS
    assert (position["pa"], position["mt"], position["ps"]) == ("0.050", "cross", "BOTH")


def test_leverage_margin_type_and_cancel_events(
    events: Callable[[], list[dict[str, Any]]], fclient: Client
) -> None:
    fclient.futures_change_leverage(symbol="BTCUSDT", leverage=7)
    fclient.futures_change_margin_type(symbol="BTCUSDT", marginType="ISOLATED")
    resting = fclient.futures_create_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
        price="105000",
    )  # fmt: skip
    fclient.futures_cancel_order(symbol="BTCUSDT", orderId=resting["orderId"])
    config, margin, new, canceled = events()
    assert config == {"e": "ACCOUNT_CONFIG_UPDATE", "E": FIRST_CLOSE, "T": FIRST_CLOSE,
                      "ac": {"s": "BTCUSDT", "l": 7}}  # fmt: skip
    assert margin["a"]["m"] == "MARGIN_TYPE_CHANGE"
    assert margin["a"]["P"][0]["mt"] == "isolated"
    assert [new["o"]["x"], canceled["o"]["x"]] == ["NEW", "CANCELED"]


def test_algo_orders_publish_algo_updates_and_their_market_order(
    events: Callable[[], list[dict[str, Any]]], fsim: ThreadedSimExchange, fclient: Client
) -> None:
    fclient.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.05")
    events()
    placed = fclient.futures_create_order(
        symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="108800", closePosition=True
    )
    (created,) = events()
    assert created["e"] == "ALGO_UPDATE"
    assert set(created["o"]) == ALGO_KEYS
    assert (created["o"]["X"], created["o"]["aid"], created["o"]["cp"]) == (
        "NEW", placed["algoId"], True,
    )  # fmt: skip
    fsim.advance(bars=60)
    published = events()
    kinds = [(e["e"], e["o"]["X"] if "o" in e else e["a"]["m"]) for e in published]
    assert kinds == [
        ("ALGO_UPDATE", "TRIGGERED"),
        ("ORDER_TRADE_UPDATE", "NEW"),
        ("ORDER_TRADE_UPDATE", "FILLED"),
        ("ACCOUNT_UPDATE", "ORDER"),
        ("ALGO_UPDATE", "FINISHED"),
    ]
    triggered, _, filled, account, finished = published
    assert triggered["o"]["ai"] == str(filled["o"]["i"])
    assert filled["o"]["ot"] == "STOP_MARKET"
    assert finished["o"]["ap"] == filled["o"]["ap"][:-3]
    assert account["a"]["P"][0]["pa"] == "0.000"


def test_funding_publishes_an_account_update(
    events: Callable[[], list[dict[str, Any]]], fsim: ThreadedSimExchange, fclient: Client
) -> None:
    fclient.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.05")
    events()
    fsim.advance(ms=8 * 3_600_000)
    (funding,) = events()
    assert funding["a"]["m"] == "FUNDING_FEE"
    assert funding["E"] == 1748246400000
    assert float(funding["a"]["B"][0]["bc"]) > 0  # shorts receive at a positive rate

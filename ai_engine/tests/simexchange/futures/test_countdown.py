"""countdownCancelAll: the dead-man switch runs on REPLAY time and fires between bars."""

from __future__ import annotations

from typing import Any

from binance import Client

from ai_engine.simexchange import ThreadedSimExchange

from .conftest import FIRST_CLOSE

SECOND = 1000


def rest(client: Client) -> dict[str, Any]:
    return client.futures_create_order(  # type: ignore[no-any-return]
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
        price="104000",
    )  # fmt: skip


def status(client: Client, order: dict[str, Any]) -> str:
    return client.futures_get_order(symbol="BTCUSDT", orderId=order["orderId"])["status"]  # type: ignore[no-any-return]


def test_open_orders_are_canceled_when_the_countdown_runs_out(
    fsim: ThreadedSimExchange, fclient: Client
) -> None:
    order = rest(fclient)
    armed = fclient.futures_countdown_cancel_all(symbol="BTCUSDT", countdownTime=120 * SECOND)
    assert armed == {"symbol": "BTCUSDT", "countdownTime": "120000"}
    fsim.advance(ms=60 * SECOND)
    assert status(fclient, order) == "NEW"
    fclient.futures_countdown_cancel_all(symbol="BTCUSDT", countdownTime=120 * SECOND)  # renewed
    fsim.advance(ms=90 * SECOND)  # 150 s: past the first deadline, not the renewed one
    assert status(fclient, order) == "NEW"
    fsim.advance(ms=31 * SECOND)
    canceled = fclient.futures_get_order(symbol="BTCUSDT", orderId=order["orderId"])
    assert canceled["status"] == "CANCELED"
    assert canceled["updateTime"] == FIRST_CLOSE + 180 * SECOND  # exactly at the deadline


def test_zero_switches_the_countdown_off(fsim: ThreadedSimExchange, fclient: Client) -> None:
    order = rest(fclient)
    fclient.futures_countdown_cancel_all(symbol="BTCUSDT", countdownTime=60 * SECOND)
    fclient.futures_countdown_cancel_all(symbol="BTCUSDT", countdownTime=0)
    fsim.advance(ms=300 * SECOND)
    assert status(fclient, order) == "NEW"

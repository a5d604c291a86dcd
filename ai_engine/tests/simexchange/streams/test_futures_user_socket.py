"""USD-M user data over WebSocket: python-binance's ``futures_user_socket()`` takes a listen
key from ``/fapi/v1/listenKey`` and reads ``<FSTREAM_URL>private/ws?listenKey=...``; the
futures venue publishes on the same bus."""

from __future__ import annotations

from typing import Any

import pytest

from ai_engine.simexchange import RunningSim

from .conftest import futures_manager, local_futures_client, next_data


async def events_until(socket: Any, kind: str) -> list[dict[str, Any]]:
    events = [await next_data(socket)]
    while events[-1]["e"] != kind:
        events.append(await next_data(socket))
    return events


@pytest.mark.parametrize("method", ["futures_user_socket", "futures_socket"])
async def test_futures_user_socket_gets_order_account_and_algo_updates(
    async_fsim: RunningSim, method: str
) -> None:
    client = await local_futures_client(async_fsim.base_url)
    try:
        manager = futures_manager(client, async_fsim.base_url)
        async with getattr(manager, method)() as socket:  # the same socket, two names
            order = await client.futures_create_order(
                symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01"
            )
            filled = await events_until(socket, "ACCOUNT_UPDATE")
            stop = await client.futures_create_order(
                symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="100000",
                quantity="0.01", reduceOnly="true",
            )  # fmt: skip
            algo = await next_data(socket)
    finally:
        await client.close_connection()
    updates = [event["o"] for event in filled if event["e"] == "ORDER_TRADE_UPDATE"]
    assert [(o["i"], o["s"], o["x"]) for o in updates] == [
        (order["orderId"], "BTCUSDT", "NEW"),
        (order["orderId"], "BTCUSDT", "TRADE"),
    ]
    assert updates[-1]["X"] == "FILLED"
    account = filled[-1]["a"]
    assert account["m"] == "ORDER"
    assert [(p["s"], p["pa"]) for p in account["P"]] == [("BTCUSDT", "0.010")]
    assert algo["e"] == "ALGO_UPDATE"
    assert (algo["o"]["aid"], algo["o"]["X"], algo["o"]["o"]) == (
        stop["algoId"], "NEW", "STOP_MARKET",
    )  # fmt: skip

"""User data streams: python-binance 1.0.37's ``user_socket()`` (the WS-API subscription it
actually uses) and classic listen keys, carrying Binance's executionReport and
outboundAccountPosition for orders placed, filled by later bars, and canceled."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import websockets
from binance import AsyncClient

from ai_engine.simexchange import RunningSim
from ai_engine.simexchange.streams.bus import user_channel
from simexchange.conftest import KEY, SECRET, local_client_class

from .conftest import (
    eventually,
    local_async_client,
    next_data,
    recv_json,
    socket_manager,
    ws_url,
)

REPORT_FIELDS = set("eEscSofqpPFgCxXrilzLnNTtIwmMOZYQV")


@pytest.fixture
async def client(async_sim: RunningSim) -> AsyncIterator[AsyncClient]:
    client = await local_async_client(async_sim.base_url)
    yield client
    await client.close_connection()


async def subscribed(sim: RunningSim) -> bool:
    """Entering python-binance's ``user_socket()`` does not wait for its WS-API subscription to
    be acknowledged; events published before the server registered it would be lost."""
    return await eventually(lambda: sim.exchange.bus.has_subscribers(user_channel("spot", KEY)))


async def reports(socket: Any, count: int) -> list[dict[str, Any]]:
    return [await next_data(socket) for _ in range(count)]


async def test_user_socket_reports_a_market_order(
    async_sim: RunningSim, client: AsyncClient
) -> None:
    async with socket_manager(client, async_sim.base_url).user_socket() as socket:
        assert await subscribed(async_sim)
        placed = await client.create_order(
            symbol="BTCUSDT", side="BUY", type="MARKET", quantity="3"
        )
        new, *trades, position = await reports(socket, 2 + len(placed["fills"]))
    assert set(new) >= REPORT_FIELDS
    assert new["e"] == "executionReport"
    assert (new["x"], new["X"], new["i"], new["c"]) == (
        "NEW", "NEW", placed["orderId"], placed["clientOrderId"],
    )  # fmt: skip
    assert [(t["x"], t["X"]) for t in trades] == [("TRADE", "PARTIALLY_FILLED")] * (
        len(trades) - 1
    ) + [("TRADE", "FILLED")]
    assert [(t["L"], t["l"], t["n"], t["N"], t["t"]) for t in trades] == [
        (f["price"], f["qty"], f["commission"], f["commissionAsset"], f["tradeId"])
        for f in placed["fills"]
    ]
    assert trades[-1]["z"] == placed["executedQty"]
    assert trades[-1]["Z"] == placed["cummulativeQuoteQty"]
    assert new["T"] == new["O"] == placed["transactTime"]
    assert not trades[-1]["m"]
    account = {b["asset"]: b for b in (await client.get_account())["balances"]}
    assert position["e"] == "outboundAccountPosition"
    assert position["B"] == [
        {"a": a, "f": account[a]["free"], "l": account[a]["locked"]} for a in ("BTC", "USDT")
    ]


async def test_a_resting_order_reports_its_fill_by_a_later_bar(
    async_sim: RunningSim, client: AsyncClient
) -> None:
    exchange = async_sim.exchange
    low = min(float(exchange.market.bar("BTCUSDT", i).low.value) for i in range(60, 600))
    async with socket_manager(client, async_sim.base_url).user_socket() as socket:
        assert await subscribed(async_sim)
        placed = await client.create_order(
            symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
            quantity="0.01", price=f"{low + 0.01:.2f}",
        )  # fmt: skip
        new, _ = await reports(socket, 2)
        exchange.advance_bars(600)
        fill, position = await reports(socket, 2)
    assert (new["x"], new["w"], new["W"]) == ("NEW", True, placed["workingTime"])
    assert (fill["x"], fill["X"], fill["m"], fill["L"]) == (
        "TRADE",
        "FILLED",
        True,
        placed["price"],
    )
    assert fill["T"] % 60_000 == 0
    assert fill["E"] == fill["T"]
    assert position["B"][1]["l"] == "0.00000000"  # USDT no longer locked


async def test_a_cancel_is_reported(async_sim: RunningSim, client: AsyncClient) -> None:
    async with socket_manager(client, async_sim.base_url).user_socket() as socket:
        assert await subscribed(async_sim)
        placed = await client.create_order(
            symbol="ETHUSDT", side="SELL", type="LIMIT", timeInForce="GTC",
            quantity="1", price="9999",
        )  # fmt: skip
        await client.cancel_order(symbol="ETHUSDT", orderId=placed["orderId"])
        _, locked, canceled, released = await reports(socket, 4)
    assert (canceled["x"], canceled["X"], canceled["C"]) == (
        "CANCELED", "CANCELED", placed["clientOrderId"],
    )  # fmt: skip
    assert locked["B"][0] == {"a": "ETH", "f": "19.00000000", "l": "1.00000000"}
    assert released["B"][0] == {"a": "ETH", "f": "20.00000000", "l": "0.00000000"}


async def test_orders_of_the_sync_client_reach_the_user_socket(
    async_sim: RunningSim, client: AsyncClient
) -> None:
    async with socket_manager(client, async_sim.base_url).user_socket() as socket:
        assert await subscribed(async_sim)
        sync_client = local_client_class(async_sim.api_url)(KEY, SECRET, ping=False)
        try:
            order = await asyncio.to_thread(
                sync_client.create_order, symbol="ETHUSDT", side="BUY", type="MARKET",
                quoteOrderQty="100",
            )  # fmt: skip
        finally:
            sync_client.close_connection()
        new = await next_data(socket)
    assert (new["i"], new["s"], new["Q"]) == (order["orderId"], "ETHUSDT", "100.00000000")


async def test_listen_key_streams(async_sim: RunningSim, client: AsyncClient) -> None:
    listen_key = await client.stream_get_listen_key()
    assert len(listen_key) == 64
    assert await client.stream_get_listen_key() == listen_key
    assert await client.stream_keepalive(listen_key) == {}
    async with websockets.connect(ws_url(async_sim.base_url) + f"/ws/{listen_key}") as ws:
        await client.create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.1")
        new = await recv_json(ws)
        assert (new["e"], new["x"], new["S"]) == ("executionReport", "NEW", "SELL")
        await client.stream_close(listen_key)
        await asyncio.wait_for(ws.wait_closed(), 5)
    async with aiohttp.ClientSession() as session:
        url = async_sim.api_url + f"/v3/userDataStream?listenKey={listen_key}"
        async with session.put(url, headers={"X-MBX-APIKEY": KEY}) as answer:
            assert answer.status == 400
            assert await answer.json() == {"code": -1125, "msg": "This listenKey does not exist."}


async def test_ws_api_checks_the_signature(async_sim: RunningSim) -> None:
    async with websockets.connect(ws_url(async_sim.base_url) + "/ws-api/v3") as ws:
        request = {"id": "a", "method": "userDataStream.subscribe.signature",
                   "params": {"apiKey": KEY, "timestamp": 1, "signature": "0" * 64}}  # fmt: skip
        await ws.send(json.dumps(request))
        answer = await recv_json(ws)
        await ws.send(json.dumps({"id": 7, "method": "time"}))
        time_answer = await recv_json(ws)
    assert answer == {
        "id": "a",
        "status": 400,
        "error": {"code": -1022, "msg": answer["error"]["msg"]},
    }
    assert time_answer["status"] == 200
    assert time_answer["result"]["serverTime"] > 0


async def test_a_deposit_sends_balance_update_then_the_position(
    async_sim: RunningSim, client: AsyncClient
) -> None:
    url = f"{async_sim.base_url}/sim/accounts/{KEY}/deposit"
    async with (
        socket_manager(client, async_sim.base_url).user_socket() as socket,
        aiohttp.ClientSession() as session,
    ):
        assert await subscribed(async_sim)
        async with session.post(url, json={"asset": "BTC", "amount": "-0.5"}) as answer:
            assert answer.status == 200
        update, position = await reports(socket, 2)
    now = async_sim.exchange.now_ms()
    assert update == {"e": "balanceUpdate", "E": now, "a": "BTC", "d": "-0.50000000", "T": now}
    assert position["e"] == "outboundAccountPosition"
    assert position["B"] == [{"a": "BTC", "f": "1.50000000", "l": "0.00000000"}]

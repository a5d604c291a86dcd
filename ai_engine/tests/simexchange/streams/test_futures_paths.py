"""Where USD-M market streams are served: python-binance's ``market/`` and ``public/``
paths, and the same under ``/fstream``; a connection there speaks USD-M stream names, also
in SUBSCRIBE, and spot paths do not."""

from __future__ import annotations

import json
from typing import Any

import pytest
import websockets

from ai_engine.simexchange import RunningSim

from .conftest import recv_json, ws_url


@pytest.mark.parametrize(
    "path", ["/market/ws/", "/public/ws/", "/fstream/ws/", "/fstream/market/ws/"]
)
async def test_futures_streams_are_served_at_each_futures_path(
    async_fsim: RunningSim, path: str
) -> None:
    async with websockets.connect(ws_url(async_fsim.base_url) + path + "ethusdt@bookTicker") as ws:
        async_fsim.exchange.advance_bars(1)
        event = await recv_json(ws)
    assert (event["e"], event["s"]) == ("bookTicker", "ETHUSDT")


async def test_spot_paths_do_not_know_futures_streams(async_fsim: RunningSim) -> None:
    url = ws_url(async_fsim.base_url) + "/ws/btcusdt@markPrice"
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url)
    assert refused.value.response.status_code == 400


async def test_subscribe_on_a_futures_connection_takes_futures_names(
    async_fsim: RunningSim,
) -> None:
    async with websockets.connect(ws_url(async_fsim.base_url) + "/public/ws") as ws:

        async def ask(params: list[str], request_id: int) -> Any:
            await ws.send(json.dumps({"method": "SUBSCRIBE", "params": params, "id": request_id}))
            return await recv_json(ws)

        assert await ask(["btcusdt@markPrice", "ethusdt@depth5@100ms"], 1) == {
            "result": None, "id": 1,
        }  # fmt: skip
        refused = await ask(["btcusdt@depth@1000ms"], 2)  # spot has it, USD-M does not
        async_fsim.exchange.advance_bars(1)
        events = [await recv_json(ws) for _ in range(2)]
    assert refused["error"]["code"] == 2
    assert {event["e"] for event in events} == {"markPriceUpdate", "depthUpdate"}

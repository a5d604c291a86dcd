"""Market streams over a raw WebSocket client: Binance's event shapes, values consistent with
REST, combined streams and ordering, and no event before its bar has closed."""

from __future__ import annotations

import json

import aiohttp
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from ai_engine.simexchange import RunningSim

from .conftest import recv_json, ws_url


async def rest(sim: RunningSim, path: str) -> object:
    async with aiohttp.ClientSession() as session, session.get(sim.api_url + path) as answer:
        return await answer.json()


async def test_a_1m_kline_is_sent_once_final_when_its_bar_closes(async_sim: RunningSim) -> None:
    async with websockets.connect(ws_url(async_sim.base_url) + "/ws/btcusdt@kline_1m") as ws:
        async_sim.exchange.advance_bars(3)
        events = [await recv_json(ws) for _ in range(3)]
    rows = await rest(async_sim, "/v3/klines?symbol=BTCUSDT&interval=1m&limit=3")
    assert isinstance(rows, list)
    for event, row in zip(events, rows, strict=True):
        kline = event["k"]
        assert (event["e"], event["s"], kline["i"], kline["x"]) == ("kline", "BTCUSDT", "1m", True)
        assert event["E"] == kline["T"] + 1 == row[6] + 1  # sent as the bar closes
        assert [kline["t"], kline["o"], kline["h"], kline["l"], kline["c"], kline["v"]] == row[:6]
        assert [kline["q"], kline["n"], kline["V"], kline["Q"]] == [row[7], *row[8:11]]
        assert kline["L"] - kline["f"] + 1 == kline["n"]
    assert events[1]["k"]["f"] == events[0]["k"]["L"] + 1


async def test_a_longer_kline_is_updated_each_minute_and_final_at_its_close(
    async_sim: RunningSim,
) -> None:
    exchange = async_sim.exchange
    minute = exchange.now_ms() // 60_000
    exchange.advance_bars(5 - minute % 5)  # to a 5m boundary: the next kline starts fresh
    async with websockets.connect(ws_url(async_sim.base_url) + "/ws/ethusdt@kline_5m") as ws:
        exchange.advance_bars(5)
        events = [await recv_json(ws) for _ in range(5)]
    klines = [event["k"] for event in events]
    assert [k["x"] for k in klines] == [False] * 4 + [True]
    assert len({k["t"] for k in klines}) == 1
    assert [event["E"] for event in events] == [klines[0]["t"] + 60_000 * n for n in range(1, 6)]
    rows = await rest(async_sim, "/v3/klines?symbol=ETHUSDT&interval=5m&limit=1")
    assert isinstance(rows, list)
    final = klines[-1]
    assert [final["t"], final["o"], final["h"], final["l"], final["c"]] == rows[0][:5]
    assert float(final["v"]) == pytest.approx(float(rows[0][5]))


async def test_trades_are_one_synthetic_trade_per_bar(async_sim: RunningSim) -> None:
    url = (
        ws_url(async_sim.base_url)
        + "/stream?streams=btcusdt@kline_1m/btcusdt@trade/btcusdt@aggTrade"
    )
    async with websockets.connect(url) as ws:
        async_sim.exchange.advance_bars(1)
        kline, trade, agg = [(await recv_json(ws))["data"] for _ in range(3)]
    k = kline["k"]
    assert (trade["e"], trade["p"], trade["q"], trade["t"]) == ("trade", k["c"], k["v"], k["L"])
    assert trade["T"] == k["T"]
    assert trade["E"] == kline["E"]
    assert (agg["e"], agg["p"], agg["q"], agg["f"], agg["l"]) == (
        "aggTrade",
        k["c"],
        k["v"],
        k["f"],
        k["L"],
    )
    assert agg["m"] == (float(k["V"]) < float(k["v"]) / 2)


async def test_book_streams_show_the_book_rest_shows(async_sim: RunningSim) -> None:
    url = ws_url(async_sim.base_url) + "/ws/btcusdt@bookTicker/btcusdt@depth5"
    async with websockets.connect(url) as ws:
        async_sim.exchange.advance_bars(2)
        first, depth_1, ticker, depth = [await recv_json(ws) for _ in range(4)]
    book = await rest(async_sim, "/v3/depth?symbol=BTCUSDT&limit=5")
    best = await rest(async_sim, "/v3/ticker/bookTicker?symbol=BTCUSDT")
    assert isinstance(book, dict)
    assert isinstance(best, dict)
    assert depth == book
    assert ticker == {
        "u": book["lastUpdateId"], "s": "BTCUSDT", "b": best["bidPrice"], "B": best["bidQty"],
        "a": best["askPrice"], "A": best["askQty"],
    }  # fmt: skip
    assert first["u"] < ticker["u"]
    assert depth_1["lastUpdateId"] == first["u"]


async def test_combined_streams_wrap_and_interleave_by_time(async_sim: RunningSim) -> None:
    url = ws_url(async_sim.base_url) + "/stream?streams=btcusdt@kline_1m/ethusdt@kline_1m"
    async with websockets.connect(url) as ws:
        async_sim.exchange.advance_bars(3)
        events = [await recv_json(ws) for _ in range(6)]
    assert [e["stream"] for e in events] == ["btcusdt@kline_1m", "ethusdt@kline_1m"] * 3
    times = [e["data"]["E"] for e in events]
    assert times == sorted(times)
    assert times[0] == times[1] < times[2]


async def test_same_replay_same_bytes(async_sim: RunningSim) -> None:
    url = ws_url(async_sim.base_url) + "/ws/btcusdt@kline_3m/ethusdt@depth@100ms/btcusdt@trade"
    async with websockets.connect(url) as one, websockets.connect(url) as two:
        async_sim.exchange.advance_bars(4)
        first = [await one.recv() for _ in range(12)]
        second = [await two.recv() for _ in range(12)]
    assert first == second


async def test_no_event_before_the_bar_has_closed(async_sim: RunningSim) -> None:
    exchange = async_sim.exchange
    async with websockets.connect(ws_url(async_sim.base_url) + "/ws/btcusdt@kline_1m") as ws:
        exchange.advance(59_999)  # one millisecond short of the next close
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
        # Answers queue behind the market events already due, so this one proves none was.
        assert await recv_json(ws) == {"result": ["btcusdt@kline_1m"], "id": 1}
        exchange.advance(1)
        event = await recv_json(ws)
    assert event["E"] == event["k"]["T"] + 1 == exchange.now_ms()


async def test_the_live_subscription_protocol(async_sim: RunningSim) -> None:
    exchange = async_sim.exchange
    async with websockets.connect(ws_url(async_sim.base_url) + "/ws") as ws:

        async def ask(request: object) -> object:
            await ws.send(json.dumps(request))
            return await recv_json(ws)

        assert await ask({"method": "SUBSCRIBE", "params": ["ethusdt@kline_1m"], "id": 1}) == {
            "result": None, "id": 1,
        }  # fmt: skip
        exchange.advance_bars(1)
        assert (await recv_json(ws))["e"] == "kline"
        assert await ask({"method": "SET_PROPERTY", "params": ["combined", True], "id": 2}) == {
            "result": None, "id": 2,
        }  # fmt: skip
        exchange.advance_bars(1)
        assert (await recv_json(ws))["stream"] == "ethusdt@kline_1m"
        assert await ask({"method": "UNSUBSCRIBE", "params": ["ethusdt@kline_1m"], "id": 3}) == {
            "result": None, "id": 3,
        }  # fmt: skip
        exchange.advance_bars(1)
        assert await ask({"method": "LIST_SUBSCRIPTIONS", "id": "x"}) == {"result": [], "id": "x"}
        assert await ask({"method": "GET_PROPERTY", "params": ["combined"], "id": 4}) == {
            "result": True, "id": 4,
        }  # fmt: skip
        bad_stream = await ask({"method": "SUBSCRIBE", "params": ["dogeusdt@trade"], "id": 5})
        assert bad_stream["error"]["code"] == 2
        assert bad_stream["id"] == 5
        assert (await ask({"method": "PING", "id": 6}))["error"]["code"] == 2
        await ws.send("{not json")
        assert (await recv_json(ws))["error"]["code"] == 3


async def test_an_unknown_stream_in_the_url_is_refused(async_sim: RunningSim) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(ws_url(async_sim.base_url) + "/ws/btcusdt@kline_7m"):
            pass
    assert refused.value.response.status_code == 400

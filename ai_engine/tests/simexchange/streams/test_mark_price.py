"""USD-M markPrice events: values from the venue's mark and funding state as of each bar's
close -- the last settled rate, the next stored funding time -- and nothing sent or read
before its bar has closed."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import websockets

from ai_engine.simexchange import RunningSim
from ai_engine.simexchange.exchange import SimExchange
from ai_engine.simexchange.streams.names import parse
from ai_engine.simexchange.streams.render_mark_price import MarkPrices
from ai_engine.simexchange.streams.sources import USDM
from simexchange.futures.conftest import FILES

from .conftest import futures_config, recv_json, ws_url

MINUTE = 60_000


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def stored_funding() -> list[tuple[int, Decimal]]:
    with gzip.open(FILES[1], "rt") as rows:
        return [(int(row["funding_time"]), Decimal(row["funding_rate"]))
                for row in csv.DictReader(rows)]  # fmt: skip


def mark_prices(exchange: SimExchange, symbol: str = "BTCUSDT") -> MarkPrices:
    source = exchange.streams[USDM]
    stream = parse(f"{symbol.lower()}@markPrice", source.symbols, futures=True)
    assert stream is not None
    return MarkPrices(stream, source.market, source.funding[symbol])


def test_rate_and_next_funding_time_follow_the_stored_schedule(two_perps_store: Path) -> None:
    exchange = SimExchange(futures_config(two_perps_store))
    start, end = ms("2025-05-26T07:55"), ms("2025-05-26T16:05")
    events = [json.loads(p) for p in mark_prices(exchange).render(start, end)[1]]
    funding = stored_funding()
    assert [e["E"] for e in events] == list(range(start + MINUTE, end + 1, MINUTE))
    for event in events:
        settled = [rate for time, rate in funding if time <= event["E"]]
        assert event["r"] == f"{settled[-1]:.8f}"
        assert event["T"] == min(time for time, _ in funding if time > event["E"])
    by_time = {e["E"]: e for e in events}
    # 08:00:00.000 is both a bar close and a funding time: settled at that close.
    assert (by_time[ms("2025-05-26T07:59")]["r"], by_time[ms("2025-05-26T07:59")]["T"]) == (
        "0.00007331", 1748246400000,
    )  # fmt: skip
    assert (by_time[ms("2025-05-26T08:00")]["r"], by_time[ms("2025-05-26T08:00")]["T"]) == (
        "0.00010000", 1748275200002,
    )  # fmt: skip
    # Binance settled 16:00 at 16:00:00.002: the 16:00:00.000 close still shows the old rate.
    assert by_time[ms("2025-05-26T16:00")]["T"] == 1748275200002
    assert by_time[ms("2025-05-26T16:00")]["r"] == "0.00010000"
    assert by_time[ms("2025-05-26T16:01")]["r"] == "0.00009782"


def test_each_event_is_its_own_bar_and_none_comes_early(two_perps_store: Path) -> None:
    exchange = SimExchange(futures_config(two_perps_store))
    renderer = mark_prices(exchange)
    close = ms("2025-05-26T10:00")
    assert renderer.render(close - 5 * MINUTE, close - 1)[1] != []
    assert renderer.render(close - 1, close - 1)[1] == []  # the 10:00 close is not yet
    (payload,) = renderer.render(close - 1, close)[1]
    event = json.loads(payload)
    bars = exchange.futures.market.closed("BTCUSDT", close)
    assert event["E"] == close == int(bars.open_time[-1]) + MINUTE
    assert event["p"] == event["i"] == event["P"] == f"{bars.close[-1]:.8f}"


async def test_a_connection_gets_nothing_before_the_close(async_fsim: RunningSim) -> None:
    exchange = async_fsim.exchange
    url = ws_url(async_fsim.base_url) + "/market/ws/btcusdt@markPrice"
    async with websockets.connect(url) as ws:
        exchange.advance(MINUTE - 1)  # the clock stands on a close: one ms short of the next
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
        # Answers queue behind the market events already due, so this one proves none was.
        assert await recv_json(ws) == {"result": ["btcusdt@markPrice"], "id": 1}
        exchange.advance(1)
        event = await recv_json(ws)
    assert event["e"] == "markPriceUpdate"
    assert event["E"] == exchange.now_ms()
    assert Decimal(event["p"]) == exchange.futures.mark("BTCUSDT")
